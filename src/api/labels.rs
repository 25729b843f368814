//! Labels (docs/versioning.md, "Labels"): a name pointing at one frozen version of a key, stored in
//! `versioning.labels`; `latest` is implicit. Moving a label is logged; a protected label may
//! be moved only by members of its role.
use super::args::{required, Table};
use super::key;
use super::versioned;
use crate::errors::{error, Code};
use crate::pg;
use crate::spi;
use crate::table_state::TableState;
use pgrx::prelude::*;

/// `versioning.set_label(tbl, key, label, version)`
#[pg_extern(name = "_set_label")]
fn set_label(tbl: Option<Table>, key: Option<&str>, label: Option<&str>, version: Option<i32>) {
    const F: &str = "versioning.set_label";
    let (_, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    let label = required(F, "label", label);
    let version = required(F, "version", version);
    may_set(&state, label);
    let row_key = frozen_version(&state, key, version);
    check_protection(&state, label);
    let actor = crate::audit::actor();
    let args = [
        state.name.as_str().into(),
        row_key.as_str().into(),
        label.into(),
        (version as i64).into(),
        actor.as_str().into(),
    ];
    // Move an existing label (locking it, so the "from" is the version it pointed at), or create
    // it; when another transaction created it meanwhile, move it after all.
    let previous: Option<i64> = pg::as_user(crate::extension::owner(), || loop {
        let moved = spi::run_one::<i64>(
            "WITH old AS (SELECT version FROM versioning.labels WHERE table_name OPERATOR(pg_catalog.=) $1 \
               AND key OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb AND label OPERATOR(pg_catalog.=) $3 FOR UPDATE), \
             moved AS (UPDATE versioning.labels l SET version = $4, set_at = pg_catalog.now(), set_by = $5 FROM old \
               WHERE l.table_name OPERATOR(pg_catalog.=) $1 AND l.key OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb \
                 AND l.label OPERATOR(pg_catalog.=) $3 RETURNING old.version) \
             SELECT version FROM moved",
            &args,
        );
        if moved.is_some() {
            break moved;
        }
        let created = spi::run_one::<bool>(
            "INSERT INTO versioning.labels (table_name, key, label, version, set_by) \
             VALUES ($1, $2::pg_catalog.jsonb, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true",
            &args,
        );
        if created.is_some() {
            break None;
        }
    });
    crate::audit::write(&crate::audit::Entry {
        table: &state.name,
        key_json: &row_key,
        version: Some(version as i64),
        action: "label",
        detail: Some(serde_json::json!({ "label": label, "from": previous }).to_string()),
        ..Default::default()
    });
}

/// A label other than `latest`, on a table the caller may update.
fn may_set(state: &TableState, label: &str) {
    if label == "latest" {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            "the label \"latest\" is implicit and cannot be set",
        )
        .hint("versioning.label(tbl, key, 'latest') always gives the latest version.")
        .raise();
    }
    super::args::require_privilege(
        state.relid,
        pg_sys::ACL_UPDATE,
        "UPDATE",
        &format!("setting a label of table {}", state.name),
    );
}

/// The key of version `version` as its row stores it, or 22023 when there is no such version
/// and 55000 while it is editable (a label points at a frozen version).
fn frozen_version(state: &TableState, key: &str, version: i32) -> String {
    // The version, its key as stored, and its state.
    let status = state.lifecycle.as_ref().map_or("NULL".to_string(), |l| {
        format!("t.{}::pg_catalog.text", pg::quote_ident(&l.status.name))
    });
    let sql = format!(
        "SELECT pg_catalog.jsonb_build_array({key_json}, {status})::pg_catalog.text FROM {table} t \
         WHERE {cond} AND t.{v} OPERATOR(pg_catalog.=) $2",
        key_json = key::json_of_row(state, "t"),
        table = state.name,
        cond = key::conditions(state, key, "t"),
        v = pg::quote_ident(&state.version.name),
    );
    let Some(found) = spi::run_one::<String>(&sql, &[key.into(), version.into()]) else {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("table {} has no version {version} of key {key}", state.name),
        )
        .raise()
    };
    let found: serde_json::Value = serde_json::from_str(&found).unwrap_or_default();
    let row_key = found[0].to_string();
    if let (Some(l), Some(s)) = (&state.lifecycle, found[1].as_str()) {
        let left = l.rules.can_reenter_editable()
            && crate::lifecycle::has_left_editable(&state.name, &row_key, version as i64);
        if l.rules.is_editable(s) && !left {
            error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("cannot label version {version} of key {row_key} in table {}: it is still editable (state \"{s}\")", state.name),
            )
            .detail("A label points at a frozen version; an editable version may still change.")
            .hint("Labels point at frozen versions: move the version out of its editable state first.")
            .raise();
        }
    }
    row_key
}

/// A protected label moves only for members of its role.
fn check_protection(state: &TableState, label: &str) {
    let protected_by = spi::run_one::<String>(
        "SELECT role::pg_catalog.text FROM versioning.label_protections \
         WHERE table_name OPERATOR(pg_catalog.=) $1 AND label OPERATOR(pg_catalog.=) $2",
        &[state.name.as_str().into(), label.into()],
    );
    if let Some(role) = protected_by {
        let member = spi::run_one::<bool>(
            "SELECT pg_catalog.pg_has_role($1::pg_catalog.name, 'MEMBER')",
            &[role.as_str().into()],
        )
        .unwrap_or(false);
        if !member {
            error(
                Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
                format!("label \"{label}\" of table {} is protected", state.name),
            )
            .detail(format!("Only members of role {role} may move it."))
            .raise();
        }
    }
}

/// `versioning.label(tbl, key, label) → int`: the version a label points at; `latest` is the
/// highest version (not soft-deleted). NULL when there is none.
#[pg_extern(name = "_label")]
fn label(tbl: Option<Table>, key: Option<&str>, label: Option<&str>) -> Option<i32> {
    const F: &str = "versioning.label";
    let (_, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    let label = required(F, "label", label);
    let cond = key::conditions(&state, key, "t");
    let v = pg::quote_ident(&state.version.name);
    let sql = if label == "latest" {
        let alive = state
            .deleted
            .as_ref()
            .map(|d| format!(" AND t.{} IS NULL", pg::quote_ident(&d.name)))
            .unwrap_or_default();
        format!(
            "SELECT t.{v}::pg_catalog.int4 FROM {} t WHERE {cond}{alive} ORDER BY {} LIMIT 1",
            state.name,
            key::newest_first(&state, "t")
        )
    } else {
        format!(
            "SELECT l.version::pg_catalog.int4 FROM versioning.labels l WHERE l.table_name OPERATOR(pg_catalog.=) $2 \
             AND l.label OPERATOR(pg_catalog.=) $3 \
             AND l.key OPERATOR(pg_catalog.=) (SELECT {} FROM {} t WHERE {cond} LIMIT 1)",
            key::json_of_row(&state, "t"),
            state.name
        )
    };
    spi::run_one::<i32>(
        &sql,
        &[key.into(), state.name.as_str().into(), label.into()],
    )
}

/// `versioning.protect_label(tbl, label, role)`: only members of `role` may move the label.
#[pg_extern]
fn protect_label(tbl: Option<Table>, label: Option<&str>, role: Option<&str>) {
    const F: &str = "versioning.protect_label";
    let (_, state) = versioned(F, tbl);
    let label = required(F, "label", label);
    let role = required(F, "role", role);
    if !pg::current_user_owns(state.relid) {
        error(
            Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!(
                "only the owner of table {} may protect its labels",
                state.name
            ),
        )
        .raise();
    }
    spi::run_one::<bool>("SELECT $1::pg_catalog.regrole IS NOT NULL", &[role.into()]);
    pg::as_user(crate::extension::owner(), || {
        spi::run_one::<bool>(
            "INSERT INTO versioning.label_protections (table_name, label, role) VALUES ($1, $2, $3::pg_catalog.name) \
             ON CONFLICT (table_name, label) DO UPDATE SET role = excluded.role RETURNING true",
            &[state.name.as_str().into(), label.into(), role.into()],
        )
    });
}

/// `versioning.label(tbl, key, label, at) → int`: the version the label pointed at, at time
/// `at` (as of the start of the transaction that moved it), from the log's records of label
/// moves; `latest` is the version `versioning.as_of` gives. NULL if it pointed at none.
#[pg_extern(name = "_label_at")]
fn label_at(
    tbl: Option<Table>,
    key: Option<&str>,
    label: Option<&str>,
    at: Option<pgrx::datum::TimestampWithTimeZone>,
) -> Option<i32> {
    const F: &str = "versioning.label";
    let (_, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    let label = required(F, "label", label);
    let at = required(F, "at", at);
    if label == "latest" {
        return spi::run_one::<i32>(
            "SELECT (versioning.as_of($1, $2::pg_catalog.jsonb, $3) OPERATOR(pg_catalog.->>) $4)::pg_catalog.int4",
            &[state.relid.into(), key.into(), at.into(), state.version.name.as_str().into()],
        );
    }
    moves(&state, key, label, Some(at), 1)
        .into_iter()
        .next()
        .and_then(|m| m["to_version"].as_i64())
        .map(|v| v as i32)
}

/// `versioning.label_history(tbl, key, label) → SETOF jsonb`: every move of the label,
/// newest first: `{at, by, from_version, to_version}`.
#[pg_extern(name = "_label_history")]
fn label_history(
    tbl: Option<Table>,
    key: Option<&str>,
    label: Option<&str>,
) -> SetOfIterator<'static, pgrx::JsonB> {
    const F: &str = "versioning.label_history";
    let (_, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    let label = required(F, "label", label);
    SetOfIterator::new(
        moves(&state, key, label, None, i64::MAX)
            .into_iter()
            .map(pgrx::JsonB),
    )
}

/// The label's moves recorded in the log, newest first (before or at `until`), at most
/// `limit`. The log is read as its owner once the caller has shown it may read the table.
fn moves(
    state: &TableState,
    key: &str,
    label: &str,
    until: Option<pgrx::datum::TimestampWithTimeZone>,
    limit: i64,
) -> Vec<serde_json::Value> {
    super::args::require_privilege(
        state.relid,
        pg_sys::ACL_SELECT,
        "SELECT",
        &format!("reading the label history of table {}", state.name),
    );
    let log_key = key::as_logged(state, key);
    // Moves within one transaction share their time (its start); among those the physical order
    // of the appended log rows tells which came last.
    let sql = "SELECT pg_catalog.jsonb_build_object('at', l.at, 'by', l.actor, \
                 'from_version', l.detail OPERATOR(pg_catalog.->) 'from', 'to_version', l.version)::pg_catalog.text \
               FROM versioning.log l \
               WHERE l.table_name OPERATOR(pg_catalog.=) $1 AND l.key OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb \
                 AND l.action OPERATOR(pg_catalog.=) 'label' AND l.detail OPERATOR(pg_catalog.->>) 'label' OPERATOR(pg_catalog.=) $3 \
                 AND ($4::pg_catalog.timestamptz IS NULL OR l.at OPERATOR(pg_catalog.<=) $4) \
               ORDER BY l.at DESC, l.ctid DESC LIMIT $5";
    let rows: Vec<String> = pg::as_user(crate::extension::owner(), || {
        Spi::connect(|c| {
            c.select(
                sql,
                None,
                &[
                    state.name.as_str().into(),
                    log_key.as_str().into(),
                    label.into(),
                    until.into(),
                    limit.into(),
                ],
            )
            .map(|rows| {
                rows.filter_map(|r| r.get::<String>(1).ok().flatten())
                    .collect()
            })
        })
    })
    .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise());
    rows.iter()
        .filter_map(|r| serde_json::from_str(r).ok())
        .collect()
}
