//! Property tests against oracles that share no code with the library.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use versioning_core::canonical::write_string;
use versioning_core::{canonical_number, canonicalize};

// ---------------------------------------------------------------------------
// (1) Doubles: ECMAScript Number::toString, from Rust's shortest digits.
// ---------------------------------------------------------------------------

/// ECMAScript `Number::toString(x)` built from Rust's formatting, which also
/// prints the shortest round-trip digits: ECMAScript uses plain notation
/// exactly for 1e-6 <= |x| < 1e21 (where Rust's `{}` is plain too), and
/// otherwise Rust's `{:e}` form with an explicit `+` on positive exponents.
/// (On exact ties between two shortest candidates Rust's digits can differ
/// from ECMAScript's; the property checks the layout of the digits a client
/// wrote, see `shortest_digit_ties_keep_their_digits` in `vectors.rs`.)
fn es_number_to_string(x: f64) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    if (1e-6..1e21).contains(&x.abs()) {
        return format!("{x}");
    }
    let sci = format!("{x:e}");
    match sci.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => sci,
    }
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>()
            .prop_map(f64::from_bits)
            .prop_filter("finite", |f| f.is_finite()),
        any::<i64>().prop_map(|i| i as f64),
        (any::<i32>(), -30i32..30).prop_map(|(m, e)| f64::from(m) * 10f64.powi(e)),
        (1e-8..1e-5f64).prop_union(1e19..1e23f64),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn doubles_match_ecmascript(x in finite_f64()) {
        let expected = es_number_to_string(x);
        for input in [format!("{x:e}"), format!("{x:E}"), format!("{x}"), format!("{x:?}")] {
            prop_assert_eq!(canonical_number(&input).unwrap(), expected.as_str(), "input {}", input);
        }
        let back: f64 = expected.parse().unwrap();
        prop_assert!(back == x, "{} parses back to {}, not {}", expected, back, x);
    }
}

// ---------------------------------------------------------------------------
// (2) Decimals: same canonical text iff numerically equal.
// ---------------------------------------------------------------------------

/// A decimal as generated: `(-)digits × 10^(exp − digits after the point)`.
#[derive(Debug, Clone)]
struct RawDecimal {
    negative: bool,
    digits: String,
    /// How many of `digits` come before the decimal point.
    point: usize,
    exp: i64,
    /// Spelling choices for the exponent: letter, explicit '+', leading zeros,
    /// and whether to omit a zero exponent.
    upper_e: bool,
    plus: bool,
    exp_zeros: usize,
    omit_zero_exp: bool,
}

impl RawDecimal {
    fn to_json(&self) -> String {
        let (int, frac) = self.digits.split_at(self.point);
        let int = int.trim_start_matches('0');
        let mut s = String::new();
        if self.negative {
            s.push('-');
        }
        s.push_str(if int.is_empty() { "0" } else { int });
        if !frac.is_empty() {
            s.push('.');
            s.push_str(frac);
        }
        if self.exp != 0 || !self.omit_zero_exp {
            s.push(if self.upper_e { 'E' } else { 'e' });
            if self.exp < 0 {
                s.push('-');
            } else if self.plus {
                s.push('+');
            }
            s.push_str(&"0".repeat(self.exp_zeros));
            s.push_str(&self.exp.unsigned_abs().to_string());
        }
        s
    }

    /// Same value: pad with zeros on both sides and move the point,
    /// compensating in the exponent.
    fn rewritten(&self, lead: usize, trail: usize, point: usize) -> RawDecimal {
        let digits = format!("{}{}{}", "0".repeat(lead), self.digits, "0".repeat(trail));
        let point = point % (digits.len() + 1);
        let exp = self.exp + lead as i64 + self.point as i64 - point as i64;
        RawDecimal {
            digits,
            point,
            exp,
            ..self.clone()
        }
    }
}

/// The value as (sign, integer without trailing zeros, power of ten), computed
/// from the generator's fields: integer mantissa, not the library's 0.s form.
#[derive(Debug, PartialEq, Eq)]
enum Exact {
    Zero,
    NonZero(bool, String, i128),
}

fn exact(negative: bool, digits: &str, power: i128) -> Exact {
    let significant = digits.trim_start_matches('0');
    let stripped = significant.trim_end_matches('0');
    if stripped.is_empty() {
        return Exact::Zero;
    }
    let power = power + (significant.len() - stripped.len()) as i128;
    Exact::NonZero(negative, stripped.to_string(), power)
}

fn exact_of_raw(d: &RawDecimal) -> Exact {
    let frac_len = (d.digits.len() - d.point) as i128;
    exact(d.negative, &d.digits, i128::from(d.exp) - frac_len)
}

/// The exact value of a JSON number text, by plain string splitting.
fn exact_of_text(text: &str) -> Exact {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = rest.split_once(['e', 'E']).unwrap_or((rest, "0"));
    let exp: i128 = exp.trim_start_matches('+').parse().unwrap();
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    exact(negative, &format!("{int}{frac}"), exp - frac.len() as i128)
}

fn raw_decimal() -> impl Strategy<Value = RawDecimal> {
    (
        any::<bool>(),
        "[0-2]{1,6}|[0-9]{1,25}",
        any::<usize>(),
        prop_oneof![4 => -12i64..12, 1 => -1_000_000_000_000_000i64..1_000_000_000_000_000],
        (any::<bool>(), any::<bool>(), 0usize..3, any::<bool>()),
    )
        .prop_map(
            |(negative, digits, point, exp, (upper_e, plus, exp_zeros, omit_zero_exp))| {
                let point = point % (digits.len() + 1);
                RawDecimal {
                    negative,
                    digits,
                    point,
                    exp,
                    upper_e,
                    plus,
                    exp_zeros,
                    omit_zero_exp,
                }
            },
        )
}

fn decimal_pair() -> impl Strategy<Value = (RawDecimal, RawDecimal)> {
    prop_oneof![
        (raw_decimal(), raw_decimal()),
        (
            raw_decimal(),
            0usize..4,
            0usize..4,
            any::<usize>(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(a, lead, trail, point, upper_e, flip_zero_sign)| {
                let mut b = a.rewritten(lead, trail, point);
                b.upper_e = upper_e;
                if flip_zero_sign && exact_of_raw(&a) == Exact::Zero {
                    b.negative = !b.negative;
                }
                (a, b)
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn equal_text_iff_equal_value((a, b) in decimal_pair()) {
        let (text_a, text_b) = (a.to_json(), b.to_json());
        prop_assert_eq!(exact_of_text(&text_a), exact_of_raw(&a));
        let canon_a = canonical_number(&text_a).unwrap();
        let canon_b = canonical_number(&text_b).unwrap();
        prop_assert_eq!(
            canon_a == canon_b,
            exact_of_raw(&a) == exact_of_raw(&b),
            "{} -> {}, {} -> {}", text_a, canon_a, text_b, canon_b
        );
        // The canonical text denotes the exact value and is a fixed point.
        prop_assert_eq!(exact_of_text(&canon_a), exact_of_raw(&a));
        prop_assert_eq!(canonical_number(&canon_a).unwrap(), canon_a.as_str());
        // It never spends more characters than digits + 21 (+ sign, point, exponent).
        prop_assert!(canon_a.len() <= a.digits.len() + 21 + 25);
    }
}

// ---------------------------------------------------------------------------
// (3) JSON trees: idempotence, permutation/whitespace/spelling invariance,
//     and agreement with serde_json on structure, strings and keys.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Tree {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Tree>),
    Obj(Vec<(String, Tree)>),
}

/// A small deterministic generator for the serializer's spelling choices.
struct Choices(u64);

impl Choices {
    fn next(&mut self, n: u64) -> u64 {
        // xorshift64*; the seed is made non-zero by the caller.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) % n
    }

    fn whitespace(&mut self, out: &mut String) {
        out.push_str(["", "", " ", "\n", "\t ", "\r\n  "][self.next(6) as usize]);
    }
}

fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ab\"\\\\/\u{0}\u{1}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1f}\u{7f}\u{80}\u{e9}\u{2028}\u{20ac}\u{d7ff}\u{e000}\u{fb33}\u{ffff}\u{10000}\u{1f600}\u{10ffff}]{0,8}",
        any::<String>(),
    ]
}

fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        raw_decimal().prop_map(|d| d.to_json()),
        finite_f64().prop_map(|f| format!("{f:?}")),
        prop::sample::select(vec![
            "1",
            "1.0",
            "1.00",
            "10e-1",
            "0",
            "-0",
            "1e400",
            "0.1000000000000000000001",
            "123456789012345678901234567890",
            "0.1",
        ])
        .prop_map(String::from),
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    let key = prop_oneof!["[ab\u{e000}\u{1f600}]{0,2}", tricky_string()];
    let leaf = prop_oneof![
        Just(Tree::Null),
        any::<bool>().prop_map(Tree::Bool),
        number_text().prop_map(Tree::Num),
        tricky_string().prop_map(Tree::Str),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Tree::Arr),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(Tree::Obj),
        ]
    })
}

/// Writes a JSON string with randomly chosen (but valid) escapes.
fn write_json_string(s: &str, c: &mut Choices, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        let short = match ch {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '/' if c.next(2) == 0 => Some("\\/"),
            _ => None,
        };
        let must_escape = ch < ' ' || ch == '"' || ch == '\\';
        let roll = c.next(4);
        match short {
            Some(short) if roll < 2 => out.push_str(short),
            _ if must_escape || roll == 2 => {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    let hex = if c.next(2) == 0 {
                        format!("\\u{unit:04X}")
                    } else {
                        format!("\\u{unit:04x}")
                    };
                    out.push_str(&hex);
                }
            }
            _ => out.push(ch),
        }
    }
    out.push('"');
}

/// A different spelling of the same number: add zeros to the fraction or a
/// zero exponent.
fn respell_number(text: &str, c: &mut Choices) -> String {
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let zeros = "0".repeat(c.next(3) as usize);
    let mantissa = if mantissa.contains('.') {
        format!("{mantissa}{zeros}")
    } else {
        format!("{mantissa}.0{zeros}")
    };
    let exp = if exp.is_empty() && c.next(2) == 0 {
        "E+00"
    } else {
        exp
    };
    format!("{mantissa}{exp}")
}

fn write_tree(t: &Tree, c: &mut Choices, respell: bool, out: &mut String) {
    c.whitespace(out);
    match t {
        Tree::Null => out.push_str("null"),
        Tree::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Tree::Num(n) if respell => out.push_str(&respell_number(n, c)),
        Tree::Num(n) => out.push_str(n),
        Tree::Str(s) => write_json_string(s, c, out),
        Tree::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_tree(item, c, respell, out);
            }
            c.whitespace(out);
            out.push(']');
        }
        Tree::Obj(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                c.whitespace(out);
                write_json_string(k, c, out);
                c.whitespace(out);
                out.push(':');
                write_tree(v, c, respell, out);
            }
            c.whitespace(out);
            out.push('}');
        }
    }
    c.whitespace(out);
}

/// What jsonb keeps: the last member of each key, here in shuffled order.
fn dedup_and_shuffle(t: &Tree, c: &mut Choices) -> Tree {
    match t {
        Tree::Arr(items) => Tree::Arr(items.iter().map(|i| dedup_and_shuffle(i, c)).collect()),
        Tree::Obj(members) => {
            let mut kept: Vec<(String, Tree)> = Vec::new();
            for (i, (k, v)) in members.iter().enumerate() {
                if !members[i + 1..].iter().any(|(later, _)| later == k) {
                    kept.push((k.clone(), dedup_and_shuffle(v, c)));
                }
            }
            for i in (1..kept.len()).rev() {
                kept.swap(i, c.next(i as u64 + 1) as usize);
            }
            Tree::Obj(kept)
        }
        other => other.clone(),
    }
}

/// Checks serde_json's reading of the canonical text against a deduplicated
/// tree: same structure, strings and keys exactly, keys in UTF-16 order,
/// numbers as their canonical text.
fn check_serde(t: &Tree, v: &serde_json::Value) -> Result<(), TestCaseError> {
    use serde_json::Value as J;
    match (t, v) {
        (Tree::Null, J::Null) => {}
        (Tree::Bool(a), J::Bool(b)) => prop_assert_eq!(a, b),
        (Tree::Num(a), J::Number(b)) => {
            prop_assert_eq!(canonical_number(a).unwrap(), b.to_string())
        }
        (Tree::Str(a), J::String(b)) => prop_assert_eq!(a, b),
        (Tree::Arr(a), J::Array(b)) => {
            prop_assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(b) {
                check_serde(x, y)?;
            }
        }
        (Tree::Obj(a), J::Object(b)) => {
            let mut expected: Vec<&(String, Tree)> = a.iter().collect();
            expected.sort_by_key(|(k, _)| k.encode_utf16().collect::<Vec<u16>>());
            let keys: Vec<&String> = b.keys().collect();
            let expected_keys: Vec<&String> = expected.iter().map(|(k, _)| k).collect();
            prop_assert_eq!(keys, expected_keys);
            for ((_, x), y) in expected.iter().zip(b.values()) {
                check_serde(x, y)?;
            }
        }
        _ => prop_assert!(false, "{:?} read back as {:?}", t, v),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn canonical_trees(t in tree(), seed in 1u64..) {
        let mut c = Choices(seed);
        let mut text = String::new();
        write_tree(&t, &mut c, false, &mut text);
        let canon = canonicalize(&text).unwrap();

        prop_assert_eq!(canonicalize(&canon).unwrap(), canon.as_str(), "not idempotent");

        let same = dedup_and_shuffle(&t, &mut c);
        let mut other = String::new();
        write_tree(&same, &mut c, true, &mut other);
        prop_assert_eq!(canonicalize(&other).unwrap(), canon.as_str(), "{} vs {}", text, other);

        let read: serde_json::Value = serde_json::from_str(&canon).unwrap();
        check_serde(&same, &read)?;
    }
}

// ---------------------------------------------------------------------------
// (4) Strings: injective escaping that decodes back exactly.
// ---------------------------------------------------------------------------

/// JCS string escaping, char by char.
fn jcs_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn string_pair() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        (tricky_string(), tricky_string()),
        // Near misses: one character inserted, removed or replaced.
        (tricky_string(), any::<usize>(), tricky_string()).prop_map(|(a, at, piece)| {
            let mut chars: Vec<char> = a.chars().collect();
            let at = at % (chars.len() + 1);
            match piece.chars().next() {
                Some(ch) if at < chars.len() && ch != chars[at] => chars[at] = ch,
                Some(ch) => chars.insert(at, ch),
                None if at < chars.len() => {
                    chars.remove(at);
                }
                None => chars.push('\\'),
            }
            (a, chars.into_iter().collect())
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn string_escaping_is_injective((a, b) in string_pair()) {
        let (mut text_a, mut text_b) = (String::new(), String::new());
        write_string(&a, &mut text_a);
        write_string(&b, &mut text_b);
        prop_assert_eq!(text_a == text_b, a == b);
        prop_assert_eq!(&text_a, &jcs_string(&a));
        prop_assert_eq!(serde_json::from_str::<String>(&text_a).unwrap(), a.as_str());
        prop_assert_eq!(canonicalize(&text_a).unwrap(), text_a.as_str());
    }
}

// ---------------------------------------------------------------------------
// Robustness: arbitrary and mutated input never panics, and is accepted
// exactly when serde_json accepts it.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = canonicalize(&text);
    }

    #[test]
    fn mutated_json_agrees_with_serde(t in tree(), seed in 1u64.., edits in prop::collection::vec((any::<usize>(), prop::sample::select(vec!["", "\"", "\\", ",", ":", "[", "]", "{", "}", "0", "-", ".", "e", "u", "\u{1}", " ", "\\ud800", "x"])), 1..3)) {
        let mut c = Choices(seed);
        let mut text = String::new();
        write_tree(&t, &mut c, false, &mut text);
        for (at, piece) in edits {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            // Replace one character with `piece` (or insert it at the end).
            let end = text[at..].chars().next().map_or(at, |ch| at + ch.len_utf8());
            text.replace_range(at..end, piece);
        }
        let ours = canonicalize(&text);
        let theirs = serde_json::from_str::<serde_json::Value>(&text);
        // The one deliberate difference: exponents that overflow i64.
        if ours.as_ref().is_err_and(|e| e.message() == "exponent out of range") {
            return Ok(());
        }
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}: {:?} vs {:?}", text, ours, theirs.err());
    }
}

// ---------------------------------------------------------------------------
// (6) jsonb: the canonical text read from PostgreSQL's binary layout is the
//     canonical text of the value's JSON text.
// ---------------------------------------------------------------------------

use jsonschema_value::jsonb::encode::{encode_with, NumericForm};
use versioning_core::jsonb::write_canonical;

/// The tree with every number's text replaced by `f` of it.
fn map_numbers(t: &Tree, f: &dyn Fn(&str) -> String) -> Tree {
    match t {
        Tree::Num(n) => Tree::Num(f(n)),
        Tree::Arr(items) => Tree::Arr(items.iter().map(|t| map_numbers(t, f)).collect()),
        Tree::Obj(members) => Tree::Obj(
            members
                .iter()
                .map(|(k, v)| (k.clone(), map_numbers(v, f)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The tree with every number moved into the range of PostgreSQL's numeric
/// (jsonb refuses the others), keeping its digits.
fn within_numeric(t: &Tree) -> Tree {
    map_numbers(t, &|n| match exact_of_text(n) {
        Exact::NonZero(negative, digits, power) if !(-300..=300).contains(&power) => {
            format!(
                "{}{digits}e{}",
                if negative { "-" } else { "" },
                power % 300
            )
        }
        Exact::Zero if n.contains(['e', 'E']) => "0".to_string(),
        _ => n.to_string(),
    })
}

/// The numeric headers PostgreSQL writes: short where the value fits, else
/// long; or long always. (NumericForm has no Debug, which proptest needs to
/// report a case, so cases carry an index.)
fn numeric_form(i: usize) -> NumericForm {
    [NumericForm::Short, NumericForm::Long][i]
}

/// The jsonb bytes of a tree, through serde_json (which keeps numbers as text).
fn jsonb_of(t: &Tree, c: &mut Choices, form: NumericForm) -> (String, Vec<u8>) {
    let mut text = String::new();
    write_tree(&within_numeric(t), c, false, &mut text);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    (text, encode_with(&value, form))
}

/// The jsonb bytes of a tree, damaged: a few bytes changed, the end cut off.
fn damaged_jsonb() -> impl Strategy<Value = Vec<u8>> {
    let flips = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4);
    (tree(), 1u64.., any::<prop::sample::Index>(), flips).prop_map(|(t, seed, cut, flips)| {
        let (_, mut bytes) = jsonb_of(&t, &mut Choices(seed), NumericForm::Short);
        for (at, byte) in flips {
            let at = at.index(bytes.len());
            bytes[at] ^= byte;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn jsonb_layout_gives_the_canonical_text(t in tree(), seed in 1u64.., form in 0usize..2) {
        let (text, bytes) = jsonb_of(&t, &mut Choices(seed), numeric_form(form));
        let mut out = String::new();
        write_canonical(&bytes, &mut out).unwrap();
        prop_assert_eq!(out, canonicalize(&text).unwrap());
    }

    #[test]
    fn jsonb_numbers_give_their_canonical_text(d in raw_decimal(), form in 0usize..2) {
        let (text, bytes) = jsonb_of(&Tree::Num(d.to_json()), &mut Choices(1), numeric_form(form));
        let mut out = String::new();
        write_canonical(&bytes, &mut out).unwrap();
        prop_assert_eq!(out, canonical_number(text.trim()).unwrap());
    }

    /// Damaged bytes give an error or some text, never a panic, and an error
    /// leaves the output as it was.
    #[test]
    fn damaged_jsonb_never_panics(bytes in damaged_jsonb()) {
        let mut out = String::from("kept");
        if write_canonical(&bytes, &mut out).is_err() {
            prop_assert_eq!(out, "kept");
        }
    }
}

// ---------------------------------------------------------------------------
// (7) JSON Schema checks of jsonb bytes, read in place, fail exactly where the
//     same document as a serde_json value fails.
// ---------------------------------------------------------------------------

use versioning_core::schema::KindSchema;

/// Schemas using most keywords, over the trees' keys ("a", "b", "ab", …).
fn check_schemas() -> Vec<KindSchema> {
    [
        r##"{"type": "object", "required": ["a"],
            "properties": {"a": {"type": "integer", "minimum": 0},
                           "b": {"type": "string", "minLength": 2, "pattern": "^a"}},
            "additionalProperties": {"type": ["array", "null"]}}"##,
        r##"{"type": "array", "minItems": 1, "uniqueItems": true,
            "items": {"type": ["number", "boolean"], "maximum": 100,
                      "exclusiveMinimum": -1.5, "multipleOf": 0.5}}"##,
        r##"{"anyOf": [{"const": {"a": [1, "x"]}},
                      {"enum": [1, 2.5, null, "a", [true], {"b": {}}]},
                      {"type": "string", "maxLength": 3}]}"##,
        r##"{"properties": {"a": {"$ref": "#"}}, "patternProperties": {"^b": {"type": "number"}},
            "propertyNames": {"maxLength": 1}, "minProperties": 1, "maxProperties": 3}"##,
        r##"{"prefixItems": [{"type": "null"}, {"type": "object"}],
            "items": {"not": {"type": "string"}}, "contains": {"type": "array"}, "maxContains": 2}"##,
        r##"{"if": {"required": ["a"]}, "then": {"dependentRequired": {"a": ["b"]}},
            "else": {"oneOf": [{"type": "array"}, {"type": "object", "minProperties": 2}]},
            "properties": {"ab": true}, "unevaluatedProperties": false}"##,
        r##"{"$defs": {"t": {"type": ["object", "array"],
                            "additionalProperties": {"$ref": "#/$defs/t"},
                            "items": {"$ref": "#/$defs/t"}}},
            "anyOf": [{"$ref": "#/$defs/t"}, {"type": "number", "minimum": 1e10}]}"##,
        r##"{"type": "array", "items": {"type": "integer", "maximum": 9007199254740993}}"##,
    ]
    .iter()
    .map(|s| KindSchema::compile(&serde_json::from_str(s).unwrap()).unwrap())
    .collect()
}

/// The tree with every number replaced by the double nearest to it: the serde
/// side of the comparison reads numbers as doubles, jsonb keeps them exact (so
/// 141.0000000000000000001 is an integer to one and not to the other). Doubles
/// whose digits reach past PostgreSQL's numeric range (which `jsonb_of` would
/// move) become 0.
fn within_double(t: &Tree) -> Tree {
    map_numbers(t, &|n| match n.parse::<f64>() {
        Ok(x) if x == 0.0 || (1e-280..1e280).contains(&x.abs()) => format!("{x:?}"),
        _ => "0".to_string(),
    })
}

/// Where a check fails, in a stable order (an object's members are visited in
/// stored order: by key length in jsonb, as written in the serde value).
fn failing_pointers(failures: Vec<versioning_core::schema::Failure>) -> Vec<String> {
    let mut pointers: Vec<String> = failures.into_iter().map(|f| f.pointer).collect();
    pointers.sort();
    pointers
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn jsonb_checks_fail_where_the_json_value_does(t in tree(), seed in 1u64.., form in 0usize..2) {
        let (text, bytes) = jsonb_of(&within_double(&t), &mut Choices(seed), numeric_form(form));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (i, schema) in check_schemas().iter().enumerate() {
            prop_assert_eq!(
                failing_pointers(schema.failures_jsonb(&bytes).unwrap()),
                failing_pointers(schema.failures(&value)),
                "schema {} on {}", i, text
            );
        }
    }

    #[test]
    fn jsonb_number_checks_agree(numbers in prop::collection::vec(number_text(), 1..4), form in 0usize..2) {
        let t = Tree::Arr(numbers.into_iter().map(Tree::Num).collect());
        let (text, bytes) = jsonb_of(&within_double(&t), &mut Choices(1), numeric_form(form));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        for items in [
            r#"{"type": "integer"}"#,
            r#"{"multipleOf": 0.5}"#,
            r#"{"multipleOf": 0.01}"#,
            r#"{"minimum": 0.1, "maximum": 1e21}"#,
            r#"{"exclusiveMinimum": -0.001, "exclusiveMaximum": 1e-5}"#,
            r#"{"not": {"enum": [0.1, 0.25, -1.5, 100, 1e300, 5e-324]}}"#,
        ] {
            let schema: serde_json::Value =
                serde_json::from_str(&format!(r#"{{"items": {items}}}"#)).unwrap();
            let schema = KindSchema::compile(&schema).unwrap();
            prop_assert_eq!(
                failing_pointers(schema.failures_jsonb(&bytes).unwrap()),
                failing_pointers(schema.failures(&value)),
                "{} on {}", items, text
            );
        }
    }

    /// Names are found in objects of any size (long ones are binary-searched, and every 32nd
    /// child stores an end offset instead of a length).
    #[test]
    fn jsonb_names_are_found_in_long_objects(
        names in prop::collection::btree_set("[a-z\u{e9}]{0,6}", 0..90),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        others in prop::collection::vec("[a-z\u{e9}]{0,6}", 0..3),
    ) {
        let names: Vec<String> = names.into_iter().collect();
        let document = serde_json::Value::Object(
            names.iter().enumerate().map(|(i, n)| (n.clone(), serde_json::json!(i))).collect(),
        );
        let mut probes: Vec<String> = others;
        if !names.is_empty() {
            probes.extend(picks.iter().map(|p| names[p.index(names.len())].clone()));
        }
        probes.sort();
        probes.dedup(); // `required` lists each name once
        let properties: serde_json::Map<String, serde_json::Value> = probes
            .iter()
            .map(|p| (p.clone(), serde_json::json!({"maximum": names.len() / 2})))
            .collect();
        let schema = KindSchema::compile(&serde_json::json!({
            "required": probes, "properties": properties,
        })).unwrap();
        let bytes = jsonschema_value::jsonb::encode::encode(&document);
        prop_assert_eq!(
            failing_pointers(schema.failures_jsonb(&bytes).unwrap()),
            failing_pointers(schema.failures(&document))
        );
    }

    /// The nesting bound counts arrays and objects as a recursive walk would.
    #[test]
    fn jsonb_nesting_is_measured(t in tree(), limit in 1usize..6) {
        fn depth(v: &serde_json::Value) -> usize {
            match v {
                serde_json::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
                serde_json::Value::Object(members) => 1 + members.values().map(depth).max().unwrap_or(0),
                _ => 0,
            }
        }
        let (text, bytes) = jsonb_of(&t, &mut Choices(1), NumericForm::Short);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(
            versioning_core::jsonb_instance::StoredJsonb::nests_deeper_than(&bytes, limit),
            depth(&value) > limit
        );
    }

    /// Damaged bytes are checked as whatever they read as, never with a panic.
    #[test]
    fn damaged_jsonb_checks_never_panic(bytes in damaged_jsonb()) {
        for schema in check_schemas() {
            let _ = schema.failures_jsonb(&bytes);
        }
    }
}
