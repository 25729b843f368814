//! `versioning.enable_current` / `disable_current` (docs/versioning.md, "Current-version
//! pointers"): checks a pointer against both tables, stores it in versioning.current_pointers
//! and attaches the versioned table's AFTER row trigger; setting it up also brings every
//! existing target row up to date.
use super::args::{self, required, Table};
use crate::catalog::{self, named as column};
use crate::current::Rule;
use crate::errors::{error, Code};
use crate::extension::CURRENT_TRIGGER;
use crate::pg;
use crate::spi;
use crate::table_state::TableState;
use pgrx::prelude::*;
use pgrx::JsonB;
use std::collections::BTreeMap;

/// `versioning.enable_current(tbl, target, match, set, state)`. Declared in sql/versions.sql
/// (an argument named `match` is a Rust keyword).
#[pg_extern(sql = false)]
fn enable_current(
    tbl: Option<Table>,
    target: Option<Table>,
    matches: Option<JsonB>,
    set: Option<JsonB>,
    state: default!(Option<String>, "NULL"),
) {
    const F: &str = "versioning.enable_current";
    let tbl = args::table(F, "tbl", tbl);
    let target = args::table(F, "target", target);
    let matches = string_map(F, "match", required(F, "match", matches));
    let set = string_map(F, "set", required(F, "set", set));
    let versioned = super::state_of(&tbl);
    let target_name = pg::qualified_name(target.oid());
    must_own(&[(tbl.oid(), &versioned.name), (target.oid(), &target_name)]);
    let target_columns = unsafe { catalog::columns(target.as_ptr()) };
    let table_columns = unsafe { catalog::columns(tbl.as_ptr()) };
    drop((tbl, target)); // DDL below needs no open relation of ours
    check_match(&versioned, &target_name, &target_columns, &matches);
    check_set(
        &versioned,
        &table_columns,
        &target_name,
        &target_columns,
        &set,
    );
    if let Some(s) = &state {
        check_state(&versioned, s);
    }
    let rule = Rule {
        target: target_name,
        matches,
        set,
        state,
    };
    store(&versioned, &rule);
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(versioned.relid) };
    refresh_all(&versioned, &rule);
}

/// `versioning.disable_current(tbl, target)`: the pointer is forgotten (the target's columns
/// keep their last values); the trigger goes with the table's last pointer.
#[pg_extern]
fn disable_current(tbl: Option<Table>, target: Option<Table>) {
    const F: &str = "versioning.disable_current";
    let tbl = args::table(F, "tbl", tbl);
    let target = args::table(F, "target", target);
    let name = pg::qualified_name(tbl.oid());
    let target_name = pg::qualified_name(target.oid());
    must_own(&[(tbl.oid(), &name)]);
    let relid = tbl.oid();
    drop((tbl, target));
    let (removed, left) = pg::as_user(crate::extension::owner(), || {
        let removed = spi::run_one::<bool>(
            "DELETE FROM versioning.current_pointers WHERE table_name OPERATOR(pg_catalog.=) $1 \
             AND target_table OPERATOR(pg_catalog.=) $2 RETURNING true",
            &[name.as_str().into(), target_name.as_str().into()],
        );
        let left = spi::answer(
            "SELECT EXISTS (SELECT FROM versioning.current_pointers WHERE table_name OPERATOR(pg_catalog.=) $1)",
            &[name.as_str().into()],
        );
        (removed.is_some(), left)
    });
    if !removed {
        error(
            Code::ERRCODE_UNDEFINED_OBJECT,
            format!("table {name} has no current-version pointer into table {target_name}"),
        )
        .hint(format!(
            "versioning.config('{name}') lists its pointers under \"current\"."
        ))
        .raise();
    }
    if !left {
        super::drop_triggers(&name, relid, &[CURRENT_TRIGGER]);
    }
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(relid) };
}

/// The pointers of `table` as stored, for `versioning.config` (None when it has none).
pub fn listed(table: &str) -> Option<serde_json::Value> {
    let rules: Vec<Rule> = crate::current::rules_of(table)
        .into_iter()
        .map(|p| p.rule)
        .collect();
    (!rules.is_empty()).then(|| serde_json::to_value(rules).expect("pointers serialize"))
}

fn must_own(tables: &[(pg_sys::Oid, &str)]) {
    for (oid, name) in tables {
        if !pg::current_user_owns(*oid) {
            error(
                Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
                format!("must be owner of table {name} to set up a current-version pointer"),
            )
            .raise();
        }
    }
}

/// A JSON object of column names (`{"workflow_id": "id"}`), or 22023.
fn string_map(function: &str, argument: &str, value: JsonB) -> BTreeMap<String, String> {
    let refuse = || -> ! {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("{function}: {argument} must be a non-empty JSON object of column names"),
        )
        .hint(r#"For example match => '{"workflow_id": "id"}', set => '{"current_version_id": "id"}'."#)
        .raise()
    };
    let serde_json::Value::Object(object) = value.0 else {
        refuse()
    };
    if object.is_empty() {
        refuse()
    }
    object
        .into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => (k, s),
            _ => refuse(),
        })
        .collect()
}

/// `match` maps exactly the key columns, each to a target column of the same type.
fn check_match(
    state: &TableState,
    target: &str,
    target_columns: &[catalog::Column],
    matches: &BTreeMap<String, String>,
) {
    let keys: Vec<&str> = state.key.iter().map(|k| k.column.name.as_str()).collect();
    for (key, to) in matches {
        if !keys.contains(&key.as_str()) {
            error(
                Code::ERRCODE_UNDEFINED_COLUMN,
                format!(
                    "\"{key}\" named in match is not a key column of table {}",
                    state.name
                ),
            )
            .hint(format!("The key columns are: {}.", keys.join(", ")))
            .raise();
        }
        let t = column(target, target_columns, "match", to);
        let k = &state
            .key
            .iter()
            .find(|k| &k.column.name == key)
            .expect("a key column")
            .column;
        if t.typid != k.typid {
            error(
                Code::ERRCODE_DATATYPE_MISMATCH,
                format!(
                    "match: column \"{to}\" of table {target} has type {}, but key column \"{key}\" of table {} has type {}",
                    t.type_name(),
                    state.name,
                    k.type_name()
                ),
            )
            .raise();
        }
    }
    if let Some(missing) = keys.iter().find(|k| !matches.contains_key(**k)) {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!(
                "match names no target column for key column \"{missing}\" of table {}",
                state.name
            ),
        )
        .detail("Each target row stands for one key: every key column must be matched.")
        .raise();
    }
}

/// `set` maps target columns to columns of the versioned table whose values they can take
/// (an assignment cast, as an UPDATE would apply).
fn check_set(
    state: &TableState,
    table_columns: &[catalog::Column],
    target: &str,
    target_columns: &[catalog::Column],
    set: &BTreeMap<String, String>,
) {
    for (to, from) in set {
        let t = column(target, target_columns, "set", to);
        let f = column(&state.name, table_columns, "set", from);
        let assignable = unsafe {
            pg_sys::can_coerce_type(
                1,
                &f.typid,
                &t.typid,
                pg_sys::CoercionContext::COERCION_ASSIGNMENT,
            )
        };
        if !assignable {
            error(
                Code::ERRCODE_DATATYPE_MISMATCH,
                format!(
                    "set: column \"{to}\" of table {target} has type {}, which column \"{from}\" of table {} (type {}) cannot be assigned to",
                    t.type_name(),
                    state.name,
                    f.type_name()
                ),
            )
            .raise();
        }
    }
}

/// The state names a lifecycle state of the table.
fn check_state(state: &TableState, name: &str) {
    if state.lifecycle.is_none() {
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "table {} has no lifecycle, so a pointer cannot name a state",
                state.name
            ),
        )
        .hint("Leave state NULL: the current version is then the highest one not soft-deleted.")
        .raise()
    }
    super::versions::known_state(state, name, "state");
}

/// Stores the pointer (as the extension's owner) and attaches the AFTER row trigger.
fn store(state: &TableState, rule: &Rule) {
    let config = serde_json::to_value(rule).expect("pointer serializes");
    pg::as_user(crate::extension::owner(), || {
        spi::run_one::<bool>(
            "INSERT INTO versioning.current_pointers (table_name, target_table, config) VALUES ($1, $2, $3) \
             ON CONFLICT (table_name, target_table) DO UPDATE SET config = excluded.config RETURNING true",
            &[state.name.as_str().into(), rule.target.as_str().into(), JsonB(config).into()],
        )
    });
    let exists = spi::answer(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_trigger WHERE tgrelid OPERATOR(pg_catalog.=) $1 \
         AND tgname OPERATOR(pg_catalog.=) $2)",
        &[state.relid.into(), CURRENT_TRIGGER.into()],
    );
    if !exists {
        spi::run(&format!(
            "CREATE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE ON {} FOR EACH ROW \
             EXECUTE FUNCTION versioning._current_changed()",
            pg::quote_ident(CURRENT_TRIGGER),
            state.name
        ));
    }
}

/// Brings every target row up to date with the key it matches, in one statement.
fn refresh_all(state: &TableState, rule: &Rule) {
    spi::run(&crate::current::statement(rule, &state.versioned(), false));
}
