//! Kinds (docs/versioning.md, "Kinds: JSON Schemas for content"): a table with `kind_column` checks each new version's (and each
//! draft edit's) jsonb content against the latest JSON Schema registered for the row's kind
//! in `versioning.schemas`.
//!
//! Compiled schemas are cached per backend. `versioning.register_schema` sends a relcache
//! invalidation for the registry table at commit; every session drops its compiled schemas
//! when it receives it and compiles the new latest version on next use. Schemas are read with
//! a fresh snapshot (like the catalogs), so a long REPEATABLE READ transaction validates
//! against the schema registered most recently, and never caches an older one.
use crate::catalog::Column;
use crate::errors::{error, Code};
use crate::key::Key;
use crate::pg;
use pgrx::pg_sys::{self, Datum, Oid};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use versioning_core::schema::{self, KindSchema};

/// What a table with `kind_column` checks.
pub struct KindCheck {
    pub kind: Column,
    /// the single jsonb (or json) content column: the document
    pub document: Column,
    /// a kind without a registered schema is refused
    pub require: bool,
}

/// The latest schema of a kind, compiled.
pub struct Registered {
    pub version: i32,
    schema: KindSchema,
}

thread_local! {
    /// kind → its latest schema (None: no schema registered)
    static COMPILED: RefCell<HashMap<String, Option<Rc<Registered>>>> = RefCell::new(HashMap::new());
    static REGISTRY_RELID: Cell<Oid> = const { Cell::new(Oid::INVALID) };
}

/// versioning.schemas's OID, looked up once per backend (and again after an invalidation).
fn registry_relid() -> Oid {
    REGISTRY_RELID.with(|c| {
        if c.get() == Oid::INVALID {
            c.set(crate::extension::table(c"schemas"));
        }
        c.get()
    })
}

/// Relcache invalidation: a registration (in any session, also rolled back in this one) or a
/// reset drops what is compiled.
pub fn forget(relid: Oid) {
    let registry = REGISTRY_RELID.with(|c| c.get());
    if relid == Oid::INVALID || relid == registry {
        COMPILED.with(|c| c.borrow_mut().clear());
        // looked up again on next use (the extension may have been dropped and created again)
        REGISTRY_RELID.with(|c| c.set(Oid::INVALID));
    }
}

/// The latest registered version of `kind` as (version, schema), read with a fresh snapshot.
fn latest_registered(kind: &str) -> Option<(i32, serde_json::Value)> {
    let text = crate::spi::query_text(
        "SELECT pg_catalog.jsonb_build_array(version, schema)::pg_catalog.text \
           FROM versioning.schemas WHERE kind OPERATOR(pg_catalog.=) $1 \
          ORDER BY version DESC LIMIT 1",
        &[kind],
    )?;
    let (version, schema): (i32, serde_json::Value) = serde_json::from_str(&text).unwrap_or_else(|e| {
        // only a row written into versioning.schemas by hand (register_schema refuses these)
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("the latest JSON Schema of kind \"{kind}\" in versioning.schemas is unreadable: {e}"),
        )
        .hint("Register a corrected schema for the kind with versioning.register_schema.")
        .raise()
    });
    Some((version, schema))
}

/// The compiled latest schema of `kind`, from the cache or compiled now.
pub fn registered(kind: &str) -> Option<Rc<Registered>> {
    // Registrations committed by other sessions since this transaction last took a new lock
    // (its statements may all reuse locks it holds) reach `forget` now; cheap when there are none.
    unsafe { pg_sys::AcceptInvalidationMessages() };
    // `forget` recognizes the registry's invalidations by its OID.
    registry_relid();
    if let Some(hit) = COMPILED.with(|c| c.borrow().get(kind).cloned()) {
        return hit;
    }
    let compiled = latest_registered(kind).map(|(version, json)| {
        let schema = KindSchema::compile(&json).unwrap_or_else(|f| {
            // registered schemas were compiled at registration; only a changed validator gets here
            error(
                Code::ERRCODE_INVALID_PARAMETER_VALUE,
                format!("JSON Schema version {version} of kind \"{kind}\" does not compile: {f}"),
            )
            .hint("Register a corrected schema for the kind with versioning.register_schema.")
            .raise()
        });
        Rc::new(Registered { version, schema })
    });
    COMPILED.with(|c| c.borrow_mut().insert(kind.to_string(), compiled.clone()));
    compiled
}

/// A row whose document is checked: its table, key and version (None: being inserted).
pub struct Checked<'a> {
    pub table: &'a str,
    pub key: &'a Key,
    pub values: &'a [Datum],
    pub nulls: &'a [bool],
    pub version: Option<i64>,
}

impl Checked<'_> {
    /// "version 3 of key {…} in table …", or "a new version of key …", for messages.
    fn which(&self) -> String {
        let version = match self.version {
            Some(v) => format!("version {v}"),
            None => "a new version".to_string(),
        };
        format!(
            "{version} of key {} in table {}",
            self.key.json(self.values, self.nulls),
            self.table
        )
    }
}

/// Checks a row's document against its kind's latest schema; raises 23514 listing every
/// failing JSON Pointer.
///
/// # Safety
/// `row.values`/`row.nulls` are a deformed row of the table `kinds` was resolved for.
pub unsafe fn check(kinds: &KindCheck, row: &Checked) {
    let (values, nulls) = (row.values, row.nulls);
    let kind = (!nulls[kinds.kind.index])
        .then(|| String::from_utf8_lossy(pg::varlena_bytes(values[kinds.kind.index])));
    let Some(registered) = kind.as_deref().and_then(registered) else {
        if kinds.require {
            let named = kind
                .as_deref()
                .map_or("NULL".to_string(), |k| format!("\"{k}\""));
            error(
                Code::ERRCODE_CHECK_VIOLATION,
                format!(
                    "no JSON Schema is registered for kind {named} of {}",
                    row.which()
                ),
            )
            .detail(format!(
                "Table {} is enabled with require_schema => true.",
                row.table
            ))
            .hint("Register the kind's schema with versioning.register_schema(kind, schema) first.")
            .raise();
        }
        return;
    };
    let kind = kind.unwrap_or_default();
    let failures = failures_of(kinds, row, &kind, &registered);
    if !failures.is_empty() {
        error(
            Code::ERRCODE_CHECK_VIOLATION,
            format!(
                "content of {} does not match the JSON Schema of kind \"{kind}\" (schema version {})",
                row.which(),
                registered.version
            ),
        )
        .detail(schema::describe(&failures))
        .hint("Correct the content at the listed JSON Pointers, or register a schema version that accepts it.")
        .raise();
    }
}

/// The failures of the row's document: jsonb is read in place; json text is parsed (SQL NULL
/// is checked as JSON null).
unsafe fn failures_of(
    kinds: &KindCheck,
    row: &Checked,
    kind: &str,
    schema: &Registered,
) -> Vec<schema::Failure> {
    if row.nulls[kinds.document.index] {
        return schema.schema.failures(&serde_json::Value::Null);
    }
    let d = row.values[kinds.document.index];
    // what the checker cannot read: a jsonb or json nesting too deep, a json number beyond a
    // double (1e400)
    let unreadable = |reason: String, hint: &str| -> ! {
        error(
            Code::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            format!(
                "content of {} cannot be checked against the JSON Schema of kind \"{kind}\": {reason}",
                row.which()
            ),
        )
        .hint(hint)
        .raise()
    };
    if kinds.document.typid == pg_sys::JSONBOID {
        return schema
            .schema
            .failures_jsonb(pg::varlena_bytes(d))
            .unwrap_or_else(|e| {
                unreadable(e.to_string(), "Store the document less deeply nested.")
            });
    }
    let text = String::from_utf8_lossy(pg::varlena_bytes(d));
    let document = serde_json::from_str(&text).unwrap_or_else(|e| {
        unreadable(
            e.to_string(),
            "Store the content as jsonb: it is checked in place, numbers of any size included (nesting up to 127 levels either way).",
        )
    });
    schema.schema.failures(&document)
}
