//! `versioning.register_schema(kind, schema)`: the versioned registry of kinds' JSON Schemas.
use super::args::required;
use crate::audit;
use crate::errors::{error, Code};
use crate::pg;
use pgrx::prelude::*;
use versioning_core::schema::KindSchema;

/// Registers `schema` (JSON Schema draft 2020-12) as the next version of `kind`'s schema and
/// returns its version; the same schema as the latest version is a no-op returning that
/// version. A kind belongs to the role that registered it first: only its members may
/// register new versions. (`versioning.register_schema(kind, jsonb)` passes the schema as
/// text, which keeps its numbers exact.)
#[pg_extern(name = "_register_schema")]
fn register_schema(kind: Option<&str>, schema_text: Option<&str>) -> i32 {
    const F: &str = "versioning.register_schema";
    let kind = required(F, "kind", kind);
    let schema_text = required(F, "schema", schema_text);
    if kind.is_empty() {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            "versioning.register_schema: kind must not be empty",
        )
        .raise();
    }
    let schema: serde_json::Value = serde_json::from_str(schema_text).unwrap_or_else(|e| {
        // valid jsonb, but beyond what a schema may be: a number past a double, deep nesting
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("invalid JSON Schema for kind \"{kind}\": {e}"),
        )
        .raise()
    });
    if let Err(f) = KindSchema::compile(&schema) {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("invalid JSON Schema for kind \"{kind}\""),
        )
        .detail(f.to_string())
        .hint("A kind's schema is a JSON Schema draft 2020-12 document; $ref may point only inside it.")
        .raise();
    }
    let caller = unsafe { pg_sys::GetUserId() };
    let caller_name = role_name(caller);
    // One registration at a time: the next version number and the no-op check below read the
    // registry as committed now.
    pg::as_user(crate::extension::owner(), || {
        Spi::run("LOCK TABLE versioning.schemas IN SHARE ROW EXCLUSIVE MODE")
    })
    .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise());
    // The latest version as committed now: its number, the kind's owner (every version carries
    // it) and whether it already is this schema (jsonb equality).
    let latest: Option<(i32, String, bool)> = crate::spi::query_text(
        "SELECT pg_catalog.jsonb_build_array(version, owner, schema OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb)::pg_catalog.text \
           FROM versioning.schemas WHERE kind OPERATOR(pg_catalog.=) $1 ORDER BY version DESC LIMIT 1",
        &[kind, schema_text],
    )
    .map(|row| serde_json::from_str(&row).expect("jsonb_build_array(int, name, bool)"));
    let (version, owner) = match latest {
        None => (1, caller_name),
        Some((version, owner, same)) => {
            if !is_member_of(caller, &owner) {
                error(
                    Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
                    format!("kind \"{kind}\" belongs to role {owner}; {caller_name} may not register its schema"),
                )
                .hint(format!("Register as a member of role {owner}, or use another kind name."))
                .raise();
            }
            if same {
                return version; // the same schema again: nothing to register
            }
            (version + 1, owner)
        }
    };
    store(kind, version, schema_text, &owner);
    // Every session (this one included) recompiles the kind's schema on next use: the
    // registry's trigger sends the invalidation (sql/triggers.sql).
    version
}

fn role_name(role: pg_sys::Oid) -> String {
    unsafe {
        std::ffi::CStr::from_ptr(pg_sys::GetUserNameFromId(role, false))
            .to_string_lossy()
            .into_owned()
    }
}

/// Whether `role` has the privileges of the role named `owner` (superusers always do; a
/// dropped owner role leaves the kind to superusers).
fn is_member_of(role: pg_sys::Oid, owner: &str) -> bool {
    let owner = std::ffi::CString::new(owner).expect("role name without NUL");
    unsafe {
        let owner = pg_sys::get_role_oid(owner.as_ptr(), true);
        pg_sys::superuser_arg(role)
            || (owner != pg_sys::Oid::INVALID && pg_sys::has_privs_of_role(role, owner))
    }
}

/// Inserts the schema as the kind's version `version` (as the registry's owner) and logs it.
fn store(kind: &str, version: i32, schema_text: &str, owner: &str) {
    pg::as_user(crate::extension::owner(), || {
        Spi::run_with_args(
            "INSERT INTO versioning.schemas (kind, version, schema, owner, registered_by) \
             VALUES ($1, $2, $3::pg_catalog.jsonb, $4::pg_catalog.name, $5)",
            &[
                kind.into(),
                version.into(),
                schema_text.into(),
                owner.into(),
                audit::actor().into(),
            ],
        )
    })
    .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise());
    let key = serde_json::json!({ "kind": kind }).to_string();
    audit::write(&audit::Entry {
        table: "versioning.schemas",
        key_json: &key,
        version: Some(version as i64),
        action: "register_schema",
        ..Default::default()
    });
}
