//! Lifecycle functions (docs/versioning.md, "Lifecycles"): transition, revert, purge. Each runs plain SQL
//! on the versioned table, so every rule of the triggers applies to it as to any client.
//! jsonb travels as text here (sql/versions.sql wraps them): it keeps numbers exact.
use super::args::{required, Table};
use super::key;
use super::versioned;
use crate::catalog;
use crate::errors::{error, Code};
use crate::flags;
use crate::pg;
use crate::spi;
use crate::table_state::TableState;
use pgrx::prelude::*;

pub(super) fn no_such_version(state: &TableState, key: &str, version: i32) -> ! {
    error(
        Code::ERRCODE_INVALID_PARAMETER_VALUE,
        format!("table {} has no version {version} of key {key}", state.name),
    )
    .hint(format!(
        "versioning.history('{}', key) lists the versions.",
        state.name
    ))
    .raise()
}

/// `versioning.transition(tbl, key, version, to_state)`: an UPDATE of the status column, with
/// every rule such an UPDATE has. Returns the version as it is stored afterwards.
#[pg_extern(name = "_transition")]
fn transition(
    tbl: Option<Table>,
    key: Option<&str>,
    version: Option<i32>,
    to_state: Option<&str>,
) -> String {
    const F: &str = "versioning.transition";
    let (_, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    let version = required(F, "version", version);
    let to_state = required(F, "to_state", to_state);
    move_version(&state, key, version, to_state)
        .unwrap_or_else(|| no_such_version(&state, key, version))
}

/// The UPDATE of the status column a transition is (every rule of the guard applies): the row
/// as stored afterwards, None when there is no such version. 55000 without a lifecycle.
pub(super) fn move_version(
    state: &TableState,
    key: &str,
    version: i32,
    to_state: &str,
) -> Option<String> {
    let l = lifecycle_of(state);
    let sql = format!(
        "UPDATE {table} t SET {status} = CAST($3 AS {ty}) WHERE {cond} AND t.{v} OPERATOR(pg_catalog.=) $2 \
         RETURNING pg_catalog.to_jsonb(t.*)::pg_catalog.text",
        table = state.name,
        status = pg::quote_ident(&l.status.name),
        ty = l.status.sql_type(),
        cond = key::conditions(state, key, "t"),
        v = pg::quote_ident(&state.version.name),
    );
    spi::run_one::<String>(&sql, &[key.into(), version.into(), to_state.into()])
}

/// 22023 unless `name` (given as `option`) is a state of the table's lifecycle (55000 without one).
pub(super) fn known_state(state: &TableState, name: &str, option: &str) {
    let states = lifecycle_of(state).rules.states();
    if !states.contains(name) {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!(
                "\"{name}\" in {option} is not a state of the lifecycle of table {}",
                state.name
            ),
        )
        .hint(format!(
            "Its states are: {}.",
            states.into_iter().collect::<Vec<_>>().join(", ")
        ))
        .raise();
    }
}

/// The table's lifecycle, or 55000.
pub(super) fn lifecycle_of(state: &TableState) -> &crate::lifecycle::Rules {
    let Some(l) = &state.lifecycle else {
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("table {} has no lifecycle", state.name),
        )
        .hint("Enable it with lifecycle => 'publish', 'review' or a JSON object.")
        .raise()
    };
    l
}

/// `versioning.revert(tbl, key, to_version)`: a new version with `to_version`'s content (no
/// dedup: the content exists on purpose), in the initial state, parent = the current latest.
/// What else it copies: see [`reverted_columns`].
#[pg_extern(name = "_revert")]
fn revert(tbl: Option<Table>, key: Option<&str>, to_version: Option<i32>) -> String {
    const F: &str = "versioning.revert";
    let (tbl, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    let to_version = required(F, "to_version", to_version);
    let columns = unsafe { catalog::columns(tbl.as_ptr()) };
    let copied: Vec<String> = reverted_columns(&state, &columns, key, to_version)
        .into_iter()
        .map(pg::quote_ident)
        .collect();
    let selected: Vec<String> = copied.iter().map(|c| format!("t.{c}")).collect();
    let sql = format!(
        "INSERT INTO {table} AS n ({list}) SELECT {selected} FROM {table} t WHERE {cond} \
         AND t.{v} OPERATOR(pg_catalog.=) $2 RETURNING pg_catalog.to_jsonb(n.*)::pg_catalog.text",
        table = state.name,
        list = copied.join(", "),
        selected = selected.join(", "),
        cond = key::conditions(&state, key, "t"),
        v = pg::quote_ident(&state.version.name),
    );
    let _reverting = flags::reverting_to(to_version.into());
    spi::run_one::<String>(&sql, &[key.into(), to_version.into()])
        .unwrap_or_else(|| no_such_version(&state, key, to_version))
}

/// The columns a revert copies from the version it goes back to: the key, the content, the
/// kind, and every other column without a default that does not describe a version of its own
/// (see `TableConfig::version_columns`). The others get what any new row gets: assigned values,
/// defaults (a fresh id, `created_at = now()`).
/// A primary key column that would be copied (no default) is refused up front: the copy
/// could only collide with the version it came from.
fn reverted_columns<'c>(
    state: &TableState,
    columns: &'c [catalog::Column],
    key: &str,
    to_version: i32,
) -> Vec<&'c str> {
    let config = &state.config;
    let per_version = config.version_columns();
    let named = |c: &str| {
        config.key.iter().chain(&config.content).any(|n| n == c)
            || config.kind_column.as_deref() == Some(c)
    };
    let copied: Vec<&str> = columns
        .iter()
        .filter(|c| !c.generated)
        .filter(|c| named(&c.name) || !(c.has_default || per_version.contains(&c.name.as_str())))
        .map(|c| c.name.as_str())
        .collect();
    if let Some(pk) = config
        .primary_key
        .iter()
        .find(|p| copied.contains(&p.as_str()) && !named(p))
    {
        error(
            Code::ERRCODE_NOT_NULL_VIOLATION,
            format!(
                "versioning.revert cannot add a version of key {key} in table {} (to version {to_version}): primary key column \"{pk}\" has no default",
                state.name
            ),
        )
        .detail("A reverted version is a new row; its primary key would have to come from somewhere.")
        .hint(format!(
            "Give \"{pk}\" a default, or insert the new version yourself with the content of version {to_version}."
        ))
        .raise();
    }
    copied
}

/// `versioning.purge(tbl, key, version, reason)`: removes frozen versions (all of the key's
/// when `version` is NULL). Owner only, with `SET LOCAL versioning.allow_purge = on`; the
/// reason goes to the audit log. Returns how many versions were removed.
#[pg_extern(name = "_purge")]
fn purge(tbl: Option<Table>, key: Option<&str>, version: Option<i32>, reason: Option<&str>) -> i64 {
    const F: &str = "versioning.purge";
    let (_, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    if !pg::current_user_owns(state.relid) {
        error(
            Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("only the owner of table {} may purge versions", state.name),
        )
        .raise();
    }
    if !crate::guc::ALLOW_PURGE.get() {
        error(
            Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!(
                "purging versions of table {} needs versioning.allow_purge",
                state.name
            ),
        )
        .hint("SET LOCAL versioning.allow_purge = on in the transaction that purges.")
        .raise();
    }
    let Some(reason) = reason.filter(|r| !r.trim().is_empty()) else {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            "versioning.purge needs a reason",
        )
        .hint("The reason is kept in versioning.log.")
        .raise()
    };
    let sql = format!(
        "DELETE FROM {table} t WHERE {cond} AND ($2::pg_catalog.int4 IS NULL OR t.{v} OPERATOR(pg_catalog.=) $2) \
         RETURNING t.{v}::pg_catalog.int8, {key_json}::pg_catalog.text",
        table = state.name,
        cond = key::conditions(&state, key, "t"),
        v = pg::quote_ident(&state.version.name),
        key_json = key::json_of_row(&state, "t"),
    );
    let _purging = flags::purging();
    let removed: Vec<(i64, String)> = Spi::connect_mut(|c| {
        let rows = c
            .update(sql.as_str(), None, &[key.into(), version.into()])
            .unwrap_or_else(|e| {
                error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise()
            });
        rows.map(|r| {
            (
                r.get::<i64>(1).ok().flatten().unwrap_or(0),
                r.get::<String>(2).ok().flatten().unwrap_or_default(),
            )
        })
        .collect()
    });
    let detail = serde_json::json!({ "reason": reason }).to_string();
    for (v, key_json) in &removed {
        // nothing may refer to a purged version (nor, later, to a new one of that number)
        crate::lifecycle::forget_left_editable(&state.name, key_json, *v);
        pg::as_user(crate::extension::owner(), || {
            Spi::run_with_args(
                "DELETE FROM versioning.labels WHERE table_name OPERATOR(pg_catalog.=) $1 \
                 AND key OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb AND version OPERATOR(pg_catalog.=) $3",
                &[state.name.as_str().into(), key_json.as_str().into(), (*v).into()],
            )
        })
        .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise());
        crate::audit::write(&crate::audit::Entry {
            table: &state.name,
            key_json,
            version: Some(*v),
            action: "purge",
            detail: Some(detail.clone()),
            ..Default::default()
        });
    }
    removed.len() as i64
}
