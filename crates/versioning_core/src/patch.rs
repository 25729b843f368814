//! RFC 6902 JSON Patch between two JSON values (`versioning.diff`), and applying one (so the
//! tests can check that applying `diff(a, b)` to `a` gives `b`).
//!
//! Objects are compared member by member (recursing into members present on both sides);
//! arrays element by element over their common length, then elements are appended or removed
//! from the end; anything else that differs is replaced. Numbers compare by exact value, so
//! `1.0` and `1` give no operation.
use crate::canonical::{canonical_number, write_canonical, write_string};
use crate::json::{ParseError, Value};

/// One patch operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `{"op": "add", "path": …, "value": …}`
    Add(String, Value),
    /// `{"op": "remove", "path": …}`
    Remove(String),
    /// `{"op": "replace", "path": …, "value": …}`
    Replace(String, Value),
}

/// The operations that turn `from` into `to`.
pub fn diff(from: &Value, to: &Value) -> Vec<Op> {
    let mut ops = Vec::new();
    diff_at(String::new(), from, to, &mut ops);
    ops
}

/// A JSON Pointer token: `~` → `~0`, `/` → `~1` (RFC 6901).
fn token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            canonical_number(x).ok() == canonical_number(y).ok()
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(_), Value::Object(_)) => {
            let (mut x, mut y) = (String::new(), String::new());
            write_canonical(a, &mut x).is_ok() && write_canonical(b, &mut y).is_ok() && x == y
        }
        _ => a == b,
    }
}

/// The members of an object, the last one winning for duplicate names (as jsonb does).
fn members(members: &[(String, Value)]) -> Vec<(&str, &Value)> {
    let mut out: Vec<(&str, &Value)> = Vec::new();
    for (k, v) in members {
        match out.iter_mut().find(|(n, _)| *n == k.as_str()) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

fn diff_at(path: String, from: &Value, to: &Value, ops: &mut Vec<Op>) {
    if same(from, to) {
        return;
    }
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            let (a, b) = (members(a), members(b));
            for (k, _) in a.iter().filter(|(k, _)| !b.iter().any(|(n, _)| n == k)) {
                ops.push(Op::Remove(format!("{path}/{}", token(k))));
            }
            for (k, vb) in &b {
                let p = format!("{path}/{}", token(k));
                match a.iter().find(|(n, _)| n == k) {
                    Some((_, va)) => diff_at(p, va, vb, ops),
                    None => ops.push(Op::Add(p, (*vb).clone())),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            let common = a.len().min(b.len());
            for i in 0..common {
                diff_at(format!("{path}/{i}"), &a[i], &b[i], ops);
            }
            for (i, v) in b.iter().enumerate().skip(common) {
                ops.push(Op::Add(format!("{path}/{i}"), v.clone()));
            }
            for i in (common..a.len()).rev() {
                ops.push(Op::Remove(format!("{path}/{i}")));
            }
        }
        _ => ops.push(Op::Replace(path, to.clone())),
    }
}

/// The patch as JSON text: `[{"op":"replace","path":"/a","value":1}, …]`.
pub fn to_json(ops: &[Op]) -> Result<String, ParseError> {
    let mut out = String::from("[");
    for (i, op) in ops.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let (name, path, value) = match op {
            Op::Add(p, v) => ("add", p, Some(v)),
            Op::Remove(p) => ("remove", p, None),
            Op::Replace(p, v) => ("replace", p, Some(v)),
        };
        out.push_str("{\"op\":\"");
        out.push_str(name);
        out.push_str("\",\"path\":");
        write_string(path, &mut out);
        if let Some(v) = value {
            out.push_str(",\"value\":");
            write_canonical(v, &mut out)?;
        }
        out.push('}');
    }
    out.push(']');
    Ok(out)
}

/// Applies operations produced by [`diff`] (add, remove, replace with JSON Pointer paths).
pub fn apply(doc: &Value, ops: &[Op]) -> Result<Value, String> {
    let mut doc = doc.clone();
    for op in ops {
        let (path, value) = match op {
            Op::Add(p, v) | Op::Replace(p, v) => (p, Some(v.clone())),
            Op::Remove(p) => (p, None),
        };
        if path.is_empty() {
            doc = value.ok_or("cannot remove the whole document")?;
            continue;
        }
        let tokens: Vec<String> = path[1..]
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        let (last, parents) = tokens.split_last().ok_or("empty path")?;
        let mut target = &mut doc;
        for t in parents {
            target = match target {
                Value::Object(m) => {
                    &mut m
                        .iter_mut()
                        .rev()
                        .find(|(k, _)| k == t)
                        .ok_or(format!("no member {t}"))?
                        .1
                }
                Value::Array(a) => a
                    .get_mut(t.parse::<usize>().map_err(|e| e.to_string())?)
                    .ok_or("index out of range")?,
                _ => return Err(format!("{t}: not a container")),
            };
        }
        match (target, op) {
            (Value::Object(m), Op::Remove(_)) => m.retain(|(k, _)| k != last),
            (Value::Object(m), _) => {
                m.retain(|(k, _)| k != last);
                m.push((last.clone(), value.expect("add/replace carry a value")));
            }
            (Value::Array(a), Op::Remove(_)) => {
                let i: usize = last.parse().map_err(|_| "bad index")?;
                if i >= a.len() {
                    return Err("index out of range".into());
                }
                a.remove(i);
            }
            (Value::Array(a), Op::Add(..)) => {
                let i: usize = last.parse().map_err(|_| "bad index")?;
                if i > a.len() {
                    return Err("index out of range".into());
                }
                a.insert(i, value.expect("add carries a value"));
            }
            (Value::Array(a), Op::Replace(..)) => {
                let i: usize = last.parse().map_err(|_| "bad index")?;
                *a.get_mut(i).ok_or("index out of range")? =
                    value.expect("replace carries a value");
            }
            _ => return Err(format!("{path}: not a container")),
        }
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonicalize;
    use crate::json::parse;
    use proptest::prelude::*;

    fn patch(a: &str, b: &str) -> String {
        to_json(&diff(&parse(a).unwrap(), &parse(b).unwrap())).unwrap()
    }

    #[test]
    fn examples() {
        assert_eq!(patch(r#"{"a":1}"#, r#"{"a":1.0}"#), "[]");
        assert_eq!(
            patch(r#"{"a":1,"b":2}"#, r#"{"a":3,"c":4}"#),
            r#"[{"op":"remove","path":"/b"},{"op":"replace","path":"/a","value":3},{"op":"add","path":"/c","value":4}]"#
        );
        assert_eq!(
            patch("[1,2,3]", "[1,5]"),
            r#"[{"op":"replace","path":"/1","value":5},{"op":"remove","path":"/2"}]"#
        );
        assert_eq!(
            patch(r#"{"a/b":{"~":1}}"#, r#"{"a/b":{"~":2}}"#),
            r#"[{"op":"replace","path":"/a~1b/~0","value":2}]"#
        );
        assert_eq!(
            patch("1", r#""x""#),
            r#"[{"op":"replace","path":"","value":"x"}]"#
        );
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-50i64..50).prop_map(|n| Value::Number(n.to_string())),
            prop::sample::select(vec!["1.0", "1", "2.50", "1e2"])
                .prop_map(|n| Value::Number(n.into())),
            "[a-c/~]{0,3}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec(("[a-d/~]{1,2}", inner), 0..5).prop_map(Value::Object),
            ]
        })
    }

    fn text(v: &Value) -> String {
        let mut s = String::new();
        write_canonical(v, &mut s).unwrap();
        s
    }

    proptest! {
        /// Applying diff(a, b) to a gives b; a value diffed with itself gives no operation.
        #[test]
        fn apply_diff_gives_target(a in value(), b in value()) {
            let ops = diff(&a, &b);
            let patched = apply(&a, &ops).map_err(TestCaseError::fail)?;
            prop_assert_eq!(text(&patched), text(&b));
            prop_assert!(diff(&a, &a).is_empty());
            // the patch is valid JSON
            prop_assert!(canonicalize(&to_json(&ops).unwrap()).is_ok());
        }
    }
}
