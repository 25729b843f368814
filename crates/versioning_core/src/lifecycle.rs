//! Lifecycle rules of a versioned table: the states a version may be inserted in, the states
//! in which it may be edited, the allowed transitions, and the columns stamped on entering a
//! state. Parsed from `versioning.enable(lifecycle => …)`: a preset name (`'publish'`,
//! `'review'`) or a JSON object, optionally `{"preset": …}` extended by its other fields.
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Columns written when a version enters a state: `at` gets now(), `by` the actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Stamp {
    /// timestamp column
    pub at: Option<String>,
    /// actor column
    pub by: Option<String>,
}

/// A validated lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// the status column
    pub column: String,
    /// the state a version gets when inserted with a NULL status
    pub initial: String,
    /// states a version may be inserted in
    pub insertable: Vec<String>,
    /// states in which a version may be edited
    pub editable: Vec<String>,
    /// allowed state changes: from → [to, …]; every state is a key
    pub transitions: BTreeMap<String, Vec<String>>,
    /// columns stamped on entering a state
    pub stamps: BTreeMap<String, Stamp>,
}

/// Why a lifecycle specification was refused (a message for the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleError(pub String);

impl std::fmt::Display for LifecycleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, LifecycleError> {
    Err(LifecycleError(message.into()))
}

/// The presets, as the JSON a user could have written.
fn preset(name: &str) -> Option<Value> {
    let text = match name {
        // draft → published → archived; only drafts are edited
        "publish" => {
            r#"{"column": "status", "initial": "draft", "insertable": ["draft"], "editable": ["draft"],
                "transitions": {"draft": ["published"], "published": ["archived"], "archived": []}}"#
        }
        // draft → submitted → approved | rejected; a submitted version may go back to draft
        "review" => {
            r#"{"column": "status", "initial": "draft", "insertable": ["draft"], "editable": ["draft"],
                "transitions": {"draft": ["submitted"], "submitted": ["approved", "rejected", "draft"],
                                "approved": [], "rejected": []}}"#
        }
        _ => return None,
    };
    Some(serde_json::from_str(text).expect("preset JSON is valid"))
}

const FIELDS: [&str; 7] = [
    "preset",
    "column",
    "initial",
    "insertable",
    "editable",
    "transitions",
    "stamps",
];

/// Parses and validates a lifecycle specification (the `lifecycle` option's text).
pub fn parse(spec: &str) -> Result<Lifecycle, LifecycleError> {
    let spec = spec.trim();
    let given: Map<String, Value> = if spec.starts_with(['{', '[', '"']) {
        match serde_json::from_str(spec) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return err("lifecycle must be a preset name or a JSON object"),
            Err(e) => return err(format!("lifecycle is not valid JSON: {e}")),
        }
    } else {
        let mut m = Map::new();
        m.insert("preset".into(), Value::String(spec.into()));
        m
    };
    if let Some(unknown) = given.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return err(format!(
            "unknown lifecycle field \"{unknown}\" (fields: {})",
            FIELDS.join(", ")
        ));
    }
    let mut merged = match given.get("preset") {
        None => Map::new(),
        Some(Value::String(name)) => match preset(name) {
            Some(Value::Object(m)) => m,
            _ => {
                return err(format!(
                    "unknown lifecycle preset \"{name}\" (presets: publish, review)"
                ))
            }
        },
        Some(_) => return err("lifecycle preset must be a string"),
    };
    // Fields beside the preset extend it: transitions and stamps per state, others replace.
    for (field, value) in given.into_iter().filter(|(k, _)| k != "preset") {
        match (field.as_str(), merged.get_mut(&field), value) {
            ("transitions" | "stamps", Some(Value::Object(base)), Value::Object(extra)) => {
                base.extend(extra)
            }
            (_, _, value) => {
                merged.insert(field, value);
            }
        }
    }
    build(merged)
}

fn string(m: &Map<String, Value>, field: &str) -> Result<Option<String>, LifecycleError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => err(format!("lifecycle field \"{field}\" must be a string")),
    }
}

fn strings(value: &Value, what: &str) -> Result<Vec<String>, LifecycleError> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                _ => err(format!("{what} must be an array of state names")),
            })
            .collect(),
        _ => err(format!("{what} must be an array of state names")),
    }
}

fn build(m: Map<String, Value>) -> Result<Lifecycle, LifecycleError> {
    let column = string(&m, "column")?.unwrap_or_else(|| "status".into());
    let Some(initial) = string(&m, "initial")? else {
        return err("lifecycle needs an \"initial\" state");
    };
    let insertable = match m.get("insertable") {
        Some(v) => strings(v, "\"insertable\"")?,
        None => vec![initial.clone()],
    };
    let editable = match m.get("editable") {
        Some(v) => strings(v, "\"editable\"")?,
        None => Vec::new(),
    };
    let mut transitions = BTreeMap::new();
    match m.get("transitions") {
        None => {}
        Some(Value::Object(t)) => {
            for (from, to) in t {
                transitions.insert(
                    from.clone(),
                    strings(to, &format!("transitions of \"{from}\""))?,
                );
            }
        }
        Some(_) => return err("\"transitions\" must be an object {state: [state, …]}"),
    }
    let mut stamps = BTreeMap::new();
    match m.get("stamps") {
        None => {}
        Some(Value::Object(s)) => {
            for (state, stamp) in s {
                let Value::Object(o) = stamp else {
                    return err(format!("stamps of \"{state}\" must be an object {{\"at\": column, \"by\": column}}"));
                };
                if let Some(k) = o.keys().find(|k| *k != "at" && *k != "by") {
                    return err(format!(
                        "stamps of \"{state}\" has unknown field \"{k}\" (fields: at, by)"
                    ));
                }
                stamps.insert(
                    state.clone(),
                    Stamp {
                        at: string(o, "at")?,
                        by: string(o, "by")?,
                    },
                );
            }
        }
        Some(_) => {
            return err("\"stamps\" must be an object {state: {\"at\": column, \"by\": column}}")
        }
    }
    let lifecycle = Lifecycle {
        column,
        initial,
        insertable,
        editable,
        transitions,
        stamps,
    };
    lifecycle.validate()?;
    Ok(lifecycle)
}

impl Lifecycle {
    /// Every declared state: the initial, insertable and editable states and every state
    /// that has an entry in `transitions`.
    pub fn states(&self) -> BTreeSet<&str> {
        let mut s: BTreeSet<&str> = self.transitions.keys().map(String::as_str).collect();
        s.insert(&self.initial);
        s.extend(self.insertable.iter().map(String::as_str));
        s.extend(self.editable.iter().map(String::as_str));
        s
    }

    fn validate(&self) -> Result<(), LifecycleError> {
        let states = self.states();
        if !self.insertable.contains(&self.initial) {
            return err(format!(
                "the initial state \"{}\" must be insertable",
                self.initial
            ));
        }
        for (from, targets) in &self.transitions {
            if let Some(to) = targets.iter().find(|t| !states.contains(t.as_str())) {
                return err(format!(
                    "transition from \"{from}\" to undeclared state \"{to}\" (declared: {})",
                    states.iter().copied().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        if let Some(state) = self.stamps.keys().find(|s| !states.contains(s.as_str())) {
            return err(format!("stamps name undeclared state \"{state}\""));
        }
        Ok(())
    }

    /// Whether `from → to` is an allowed transition.
    pub fn allows(&self, from: &str, to: &str) -> bool {
        self.transitions
            .get(from)
            .is_some_and(|t| t.iter().any(|s| s == to))
    }

    /// Whether a version in `from` can get to `to` through one or more allowed transitions
    /// (a scheduled transition that is not reachable can never be applied).
    pub fn reachable(&self, from: &str, to: &str) -> bool {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut next: Vec<&str> = vec![from];
        while let Some(state) = next.pop() {
            for t in self.transitions.get(state).into_iter().flatten() {
                if t == to {
                    return true;
                }
                if seen.insert(t) {
                    next.push(t);
                }
            }
        }
        false
    }

    /// Whether versions in `state` may be edited (unless they have left an editable state before).
    pub fn is_editable(&self, state: &str) -> bool {
        self.editable.iter().any(|s| s == state)
    }

    /// Whether a version may be inserted in `state`.
    pub fn is_insertable(&self, state: &str) -> bool {
        self.insertable.iter().any(|s| s == state)
    }

    /// Whether a version can come back into an editable state after leaving it (then it is
    /// still frozen, and the extension must remember that it left).
    pub fn can_reenter_editable(&self) -> bool {
        self.transitions
            .iter()
            .any(|(from, to)| !self.is_editable(from) && to.iter().any(|t| self.is_editable(t)))
    }

    /// The stamp of a state, if it has one.
    pub fn stamp(&self, state: &str) -> Option<&Stamp> {
        self.stamps.get(state)
    }

    /// Every stamp column, each once.
    pub fn stamp_columns(&self) -> BTreeSet<&str> {
        self.stamps
            .values()
            .flat_map(|s| s.at.iter().chain(s.by.iter()))
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn presets() {
        let p = parse("publish").unwrap();
        assert_eq!(p.column, "status");
        assert!(p.allows("draft", "published") && p.allows("published", "archived"));
        assert!(!p.allows("published", "draft") && !p.allows("draft", "archived"));
        assert!(p.is_editable("draft") && !p.is_editable("published"));
        assert!(!p.can_reenter_editable());
        let r = parse(" review ").unwrap();
        assert!(r.allows("submitted", "draft") && r.allows("submitted", "approved"));
        assert!(r.can_reenter_editable());
    }

    #[test]
    fn preset_extended() {
        let l = parse(
            r#"{"preset": "review", "column": "version_status",
            "stamps": {"submitted": {"at": "version_submitted_at", "by": "version_submitted_by"}},
            "transitions": {"approved": ["draft"]}}"#,
        )
        .unwrap();
        assert_eq!(l.column, "version_status");
        assert!(l.allows("approved", "draft"));
        assert!(l.allows("submitted", "rejected"), "other transitions stay");
        assert_eq!(
            l.stamp("submitted").unwrap().by.as_deref(),
            Some("version_submitted_by")
        );
        assert_eq!(l.stamp_columns().len(), 2);
    }

    #[test]
    fn boolean_style() {
        let l = parse(
            r#"{"column": "is_published", "initial": "false", "editable": ["false"],
            "transitions": {"false": ["true"], "true": ["false"]},
            "stamps": {"true": {"at": "published_at", "by": "published_by_user_id"}}}"#,
        )
        .unwrap();
        assert!(l.can_reenter_editable());
        assert_eq!(l.insertable, vec!["false".to_string()]);
    }

    #[test]
    fn reachable_states() {
        let p = parse("publish").unwrap();
        assert!(p.reachable("draft", "published") && p.reachable("draft", "archived"));
        assert!(!p.reachable("published", "draft") && !p.reachable("archived", "published"));
        assert!(
            !p.reachable("draft", "draft"),
            "no transition leads back to draft"
        );
        let r = parse("review").unwrap();
        assert!(
            r.reachable("submitted", "submitted"),
            "submitted → draft → submitted"
        );
        assert!(!p.reachable("nowhere", "published"));
    }

    #[test]
    fn refusals() {
        for (spec, needle) in [
            ("publishing", "unknown lifecycle preset"),
            ("{\"preset\": 3}", "must be a string"),
            (
                "{\"initial\": \"a\", \"colour\": \"x\"}",
                "unknown lifecycle field \"colour\"",
            ),
            ("{\"column\": \"s\"}", "needs an \"initial\""),
            (
                "{\"preset\": \"publish\", \"transitions\": {\"published\": [\"archivd\"]}}",
                "undeclared state \"archivd\"",
            ),
            (
                "{\"preset\": \"publish\", \"stamps\": {\"live\": {\"at\": \"x\"}}}",
                "stamps name undeclared state \"live\"",
            ),
            (
                "{\"preset\": \"publish\", \"stamps\": {\"draft\": {\"when\": \"x\"}}}",
                "unknown field \"when\"",
            ),
            (
                "{\"preset\": \"publish\", \"insertable\": [\"published\"]}",
                "must be insertable",
            ),
            (
                "{\"preset\": \"publish\", \"editable\": \"draft\"}",
                "array of state names",
            ),
            ("[1]", "preset name or a JSON object"),
            ("{nope", "not valid JSON"),
        ] {
            let e = parse(spec).unwrap_err().0;
            assert!(e.contains(needle), "{spec}: {e}");
        }
    }

    fn state() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "draft",
            "published",
            "archived",
            "submitted",
            "approved",
            "rejected",
        ])
        .prop_map(String::from)
    }

    proptest! {
        /// `reachable` is the transitive closure of `allows`: every allowed step is reachable,
        /// reachability composes, and a state reached is one some transition leads to.
        #[test]
        fn reachable_is_the_closure_of_allows(
            transitions in prop::collection::btree_map(state(), prop::collection::vec(state(), 0..3), 0..6),
            a in state(), b in state(), c in state()) {
            let mut spec = serde_json::json!({"column": "s", "initial": "draft", "transitions": transitions});
            spec["transitions"].as_object_mut().unwrap().entry("draft").or_insert(serde_json::json!([]));
            for t in transitions.values().flatten() {
                spec["transitions"].as_object_mut().unwrap().entry(t.clone()).or_insert(serde_json::json!([]));
            }
            let l = parse(&spec.to_string()).unwrap();
            if l.allows(&a, &b) { prop_assert!(l.reachable(&a, &b)); }
            if l.reachable(&a, &b) && l.reachable(&b, &c) { prop_assert!(l.reachable(&a, &c)); }
            if l.reachable(&a, &b) { prop_assert!(l.transitions.values().flatten().any(|t| *t == b)); }
            if l.transitions.get(&a).is_none_or(|t| t.is_empty()) { prop_assert!(!l.reachable(&a, &b)); }
        }

        /// A preset extended by its own fields is the preset; any accepted lifecycle has every
        /// transition target declared; serialization round-trips.
        #[test]
        fn extension_and_declarations(name in prop::sample::select(vec!["publish", "review"]),
                                      extra in prop::collection::btree_map(state(), prop::collection::vec(state(), 0..3), 0..3)) {
            let base = parse(name).unwrap();
            let same = parse(&format!("{{\"preset\": \"{name}\", \"initial\": \"{}\"}}", base.initial)).unwrap();
            prop_assert_eq!(&same, &base);
            let spec = serde_json::json!({"preset": name, "transitions": extra});
            if let Ok(l) = parse(&spec.to_string()) {
                let states = l.states();
                for targets in l.transitions.values() {
                    for t in targets { prop_assert!(states.contains(t.as_str())); }
                }
                for (from, to) in &extra { prop_assert_eq!(l.transitions.get(from), Some(to)); }
                let again: Lifecycle = serde_json::from_str(&serde_json::to_string(&l).unwrap()).unwrap();
                prop_assert_eq!(again, l);
            }
        }
    }
}
