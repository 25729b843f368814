//! JSON Schema (draft 2020-12) checks of a kind's content, through the `jsonschema` crate.
//!
//! Schemas are self-contained: a `$ref` to another document (http or file) is refused when
//! the schema is compiled, so validation never reaches outside the database. `format` is
//! asserted (an `"email"` that is no email address fails), as users of a content check expect.
//!
//! ```
//! use versioning_core::schema::KindSchema;
//! use serde_json::json;
//!
//! let schema = KindSchema::compile(&json!({
//!     "type": "object", "required": ["name"],
//!     "properties": {"name": {"type": "string", "minLength": 3}}
//! })).unwrap();
//! assert!(schema.failures(&json!({"name": "Onboarding"})).is_empty());
//! let failures = schema.failures(&json!({"name": "ab"}));
//! assert_eq!(failures[0].pointer, "/name");
//! ```
use crate::jsonb_instance::StoredJsonb;
use jsonschema::json::{Json, SerdeJson};
use serde_json::Value;
use std::fmt;

/// A compiled schema, ready to check documents given as `serde_json` values or as PostgreSQL
/// jsonb bytes (read in place: no printing and parsing of the document).
pub struct KindSchema {
    validator: jsonschema::Validator<SerdeJson>,
    jsonb: jsonschema::Validator<StoredJsonb>,
}

/// One reason a document (or a schema) fails: where, as a JSON Pointer, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// RFC 6901 pointer into the checked document; "" is the whole document
    pub pointer: String,
    /// what the schema asked for there, in words
    pub reason: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "(document root): {}", self.reason)
        } else {
            write!(f, "{}: {}", self.pointer, self.reason)
        }
    }
}

/// The deepest nesting of arrays and objects a document may have to be checked: what
/// `serde_json` reads (json columns are parsed with it). The validator recurses once or more
/// per level, so a deeper jsonb document could overflow the thread's stack.
pub const MAX_NESTING: usize = 127;

/// A document nested deeper than [`MAX_NESTING`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep;

impl fmt::Display for TooDeep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "it nests arrays and objects more than {MAX_NESTING} levels deep"
        )
    }
}

/// The `$schema` values a schema may carry: it is always read as draft 2020-12.
const DRAFT_2020_12: [&str; 2] = [
    "https://json-schema.org/draft/2020-12/schema",
    "https://json-schema.org/draft/2020-12/schema#",
];

/// Reasons echo the offending value; a long one is cut so a message stays readable.
const MAX_REASON_CHARS: usize = 300;

fn failure(pointer: String, reason: String) -> Failure {
    let reason = match reason.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &reason[..cut]),
        None => reason,
    };
    Failure { pointer, reason }
}

impl KindSchema {
    /// Compiles `schema` as draft 2020-12. An invalid schema (not matching the 2020-12
    /// meta-schema, `$schema` naming another draft, a `$ref` that does not resolve inside the
    /// document) is refused with the reason.
    pub fn compile(schema: &Value) -> Result<KindSchema, Failure> {
        if let Some(named) = schema.get("$schema") {
            if !DRAFT_2020_12.contains(&named.as_str().unwrap_or_default()) {
                return Err(failure(
                    "/$schema".to_string(),
                    format!("{named} is not draft 2020-12 (\"{}\")", DRAFT_2020_12[0]),
                ));
            }
        }
        let validator = build(schema)?;
        let jsonb = build(schema)?;
        Ok(KindSchema { validator, jsonb })
    }

    /// Every failure of `document` against the schema, in the validator's order; empty when
    /// the document is valid.
    pub fn failures(&self, document: &Value) -> Vec<Failure> {
        failures_in(&self.validator, document)
    }

    /// Like [`KindSchema::failures`], for a jsonb value as PostgreSQL stores it: the
    /// `JsonbContainer` bytes after the varlena header. A value nested deeper than
    /// [`MAX_NESTING`] is not checked.
    pub fn failures_jsonb(&self, container: &[u8]) -> Result<Vec<Failure>, TooDeep> {
        if StoredJsonb::nests_deeper_than(container, MAX_NESTING) {
            return Err(TooDeep);
        }
        Ok(failures_in(&self.jsonb, StoredJsonb::root(container)))
    }
}

/// A validator for documents in representation `F` (serde values, stored jsonb).
fn build<F: Json>(schema: &Value) -> Result<jsonschema::Validator<F>, Failure> {
    jsonschema::options_for::<F>()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| failure(e.instance_path().to_string(), e.to_string()))
}

/// Every failure of `document` (none without the cost of collecting them when it is valid).
fn failures_in<'i, F: Json>(
    validator: &'i jsonschema::Validator<F>,
    document: F::Node<'i>,
) -> Vec<Failure> {
    if validator.is_valid(document.clone()) {
        return Vec::new();
    }
    validator
        .iter_errors(document)
        .map(|e| failure(e.instance_path().to_string(), e.to_string()))
        .collect()
}

/// The failures as DETAIL lines of an error message.
pub fn describe(failures: &[Failure]) -> String {
    failures
        .iter()
        .map(Failure::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn workflow() -> KindSchema {
        KindSchema::compile(&json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": ["name", "steps"],
            "properties": {
                "name": {"type": "string", "minLength": 3},
                "steps": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "owner": {"type": "string", "format": "email"}
            },
            "additionalProperties": false
        }))
        .unwrap()
    }

    #[test]
    fn valid_document_has_no_failures() {
        let s = workflow();
        assert!(s
            .failures(&json!({"name": "Onboarding", "steps": ["a"]}))
            .is_empty());
    }

    #[test]
    fn lists_every_failure_with_its_pointer() {
        let s = workflow();
        let f = s.failures(&json!({"name": "ab", "steps": ["a", 7], "extra": true}));
        let pointers: Vec<&str> = f.iter().map(|f| f.pointer.as_str()).collect();
        assert!(pointers.contains(&"/name"), "{f:?}");
        assert!(pointers.contains(&"/steps/1"), "{f:?}");
        assert!(pointers.contains(&""), "{f:?}"); // additionalProperties is about the object
        assert_eq!(f.len(), 3, "{f:?}");
        let missing = s.failures(&json!({}));
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(describe(&missing).starts_with("(document root): "));
    }

    #[test]
    fn formats_are_asserted() {
        let s = workflow();
        let f = s.failures(&json!({"name": "abc", "steps": ["a"], "owner": "nobody"}));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/owner");
        assert!(f[0].reason.contains("email"), "{}", f[0].reason);
    }

    #[test]
    fn pointers_escape_slash_and_tilde() {
        let s =
            KindSchema::compile(&json!({"properties": {"a/b~c": {"type": "integer"}}})).unwrap();
        let f = s.failures(&json!({"a/b~c": "x"}));
        assert_eq!(f[0].pointer, "/a~1b~0c");
    }

    #[test]
    fn invalid_schemas_are_refused() {
        for bad in [
            json!({"type": "strnig"}),
            json!({"minLength": -1}),
            json!({"required": "name"}),
            json!({"$ref": "https://example.com/other.json"}),
            json!({"$ref": "#/$defs/missing"}),
            json!({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"}),
            json!({"$schema": "https://example.com/unknown"}),
        ] {
            assert!(KindSchema::compile(&bad).is_err(), "accepted {bad}");
        }
        assert!(KindSchema::compile(&json!(true)).is_ok());
        assert!(KindSchema::compile(
            &json!({"$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n"})
        )
        .is_ok());
    }

    #[test]
    fn jsonb_bytes_fail_as_the_json_does() {
        use jsonschema_value::jsonb::encode::encode;
        let s = workflow();
        for doc in [
            json!({"name": "Onboarding", "steps": ["a"]}),
            json!({"name": "ab", "steps": ["a", 7], "extra": true}),
            json!({"name": "abc", "steps": [], "owner": "nobody"}),
            json!([1, 2]),
            json!(12.5),
        ] {
            // jsonb orders object members by key length, then bytes: compare as sets
            let sorted = |mut f: Vec<Failure>| {
                f.sort_by(|a, b| (&a.pointer, &a.reason).cmp(&(&b.pointer, &b.reason)));
                f
            };
            assert_eq!(
                sorted(s.failures_jsonb(&encode(&doc)).unwrap()),
                sorted(s.failures(&doc)),
                "{doc}"
            );
        }
    }

    #[test]
    fn jsonb_is_checked_as_deep_as_json_is_read() {
        use jsonschema_value::jsonb::encode::encode;
        let nested = |levels: usize| (0..levels).fold(json!(1), |inner, _| json!([inner]));
        let s = KindSchema::compile(
            &json!({"$defs": {"t": {"items": {"$ref": "#/$defs/t"}}}, "$ref": "#/$defs/t"}),
        )
        .unwrap();
        assert_eq!(s.failures_jsonb(&encode(&nested(MAX_NESTING))), Ok(vec![]));
        assert_eq!(
            s.failures_jsonb(&encode(&nested(MAX_NESTING + 1))),
            Err(TooDeep)
        );
        // json columns are parsed with serde_json, which reads exactly as deep
        let text = |levels: usize| "[".repeat(levels) + &"]".repeat(levels);
        assert!(serde_json::from_str::<Value>(&text(MAX_NESTING)).is_ok());
        assert!(serde_json::from_str::<Value>(&text(MAX_NESTING + 1)).is_err());
    }

    #[test]
    fn long_reasons_are_cut() {
        let s = KindSchema::compile(&json!({"type": "integer"})).unwrap();
        let f = s.failures(&json!("x".repeat(5000)));
        assert!(f[0].reason.chars().count() <= MAX_REASON_CHARS + 1);
        assert!(f[0].reason.ends_with('…'));
    }
}
