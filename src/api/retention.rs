//! Retention (docs/versioning.md, "Retention"): a per-table bound on history, applied by
//! `versioning.prune` (by hand or from pg_cron), and `versioning.prune_log` for the audit log.
//!
//! A version is pruned only when it is beyond the `keep_last` newest versions of its key and its
//! creation record is older than `keep_for` (either alone when only one is set), and it is
//! none of: the key's latest version, its current version (highest not soft-deleted, and the
//! highest in each state a current-version pointer names), a label's target, editable, in one of
//! `keep_states`. A version whose creation time is unknown (adopted history) is not old enough.
use super::args::{self, elements, required, Table};
use super::key;
use crate::errors::{error, Code};
use crate::flags;
use crate::pg;
use crate::spi;
use crate::table_state::{self, TableState};
use pgrx::datum::Interval;
use pgrx::prelude::*;
use std::collections::BTreeMap;

/// `versioning.set_retention(tbl, keep_last, keep_for, keep_states)`; both bounds NULL removes
/// the table's policy.
#[pg_extern]
fn set_retention(
    tbl: Option<Table>,
    keep_last: default!(Option<i32>, "NULL"),
    keep_for: default!(Option<Interval>, "NULL"),
    keep_states: default!(Option<Vec<Option<String>>>, "ARRAY[]::text[]"),
) {
    const F: &str = "versioning.set_retention";
    let (_, state) = super::versioned(F, tbl);
    let keep_states = elements(F, "keep_states", required(F, "keep_states", keep_states));
    must_own(&state, "set its retention");
    if keep_last.is_some_and(|n| n < 1) {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("{F}: keep_last must be at least 1"),
        )
        .hint("The latest version is always kept; keep_last => 1 keeps only it (and the versions that must stay).")
        .raise();
    }
    if let Some(age) = keep_for {
        check_keep_for(&state, age);
    }
    check_states(&state, &keep_states);
    pg::as_user(crate::extension::owner(), || {
        if keep_last.is_none() && keep_for.is_none() {
            spi::run_one::<bool>(
                "DELETE FROM versioning.retention WHERE table_name OPERATOR(pg_catalog.=) $1 RETURNING true",
                &[state.name.as_str().into()],
            );
        } else {
            spi::run_one::<bool>(
                "INSERT INTO versioning.retention (table_name, keep_last, keep_for, keep_states, set_by) \
                 VALUES ($1, $2, $3, $4, CURRENT_USER) ON CONFLICT (table_name) DO UPDATE \
                 SET keep_last = excluded.keep_last, keep_for = excluded.keep_for, keep_states = excluded.keep_states, \
                     set_at = pg_catalog.now(), set_by = excluded.set_by RETURNING true",
                &[
                    state.name.as_str().into(),
                    keep_last.into(),
                    keep_for.into(),
                    keep_states.into(),
                ],
            );
        }
    });
}

/// `versioning.prune(tbl)` → versions removed; NULL: every table with a policy that the caller
/// owns.
#[pg_extern]
fn prune(tbl: default!(Option<Table>, "NULL")) -> i64 {
    const F: &str = "versioning.prune";
    if tbl.is_some() {
        let (_, state) = super::versioned(F, tbl);
        must_own(&state, "prune it");
        let Some(policy) = policy(&state.name) else {
            error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("table {} has no retention policy", state.name),
            )
            .hint(format!(
                "versioning.set_retention('{}', keep_last => …, keep_for => …) sets one.",
                state.name
            ))
            .raise()
        };
        return prune_table(&state, &policy);
    }
    let tables: Vec<String> = Spi::connect(|c| {
        c.select(
            "SELECT table_name FROM versioning.retention ORDER BY table_name",
            None,
            &[],
        )
        .map(|rows| {
            rows.filter_map(|r| r.get::<String>(1).ok().flatten())
                .collect()
        })
    })
    .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise());
    let mut removed = 0;
    for name in tables {
        let Some(oid) = spi::run_one::<pg_sys::Oid>(
            "SELECT pg_catalog.to_regclass($1)::pg_catalog.oid",
            &[name.as_str().into()],
        ) else {
            continue;
        };
        if !pg::current_user_owns(oid) {
            continue;
        }
        let Some(rel) = args::lock_existing(oid) else {
            continue; // dropped meanwhile
        };
        let Some(state) = table_state::try_get(rel.as_ptr()) else {
            continue;
        };
        if let Some(policy) = policy(&state.name) {
            removed += prune_table(&state, &policy);
        }
    }
    removed
}

/// `versioning.prune_log(older_than)` → log records removed: those older than `older_than` of
/// the tables the caller owns (of tables that no longer exist: superusers only), except the
/// creation and label records of versions that still exist (as_of and label history read them).
#[pg_extern]
fn prune_log(older_than: Option<Interval>) -> i64 {
    const F: &str = "versioning.prune_log";
    let older_than = required(F, "older_than", older_than);
    let tables: Vec<String> = pg::as_user(crate::extension::owner(), || {
        Spi::connect(|c| {
            c.select(
                "SELECT DISTINCT table_name FROM versioning.log \
                 WHERE at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) $1)",
                None,
                &[older_than.into()],
            )
            .map(|rows| {
                rows.filter_map(|r| r.get::<String>(1).ok().flatten())
                    .collect()
            })
        })
    })
    .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise());
    let superuser = unsafe { pg_sys::superuser() };
    let mut removed = 0;
    for name in tables {
        let oid = spi::run_one::<pg_sys::Oid>(
            "SELECT pg_catalog.to_regclass($1)::pg_catalog.oid",
            &[name.as_str().into()],
        );
        let needed = match oid {
            None if superuser => None, // the table is gone: nothing left to read
            None => continue,
            Some(oid) if !pg::current_user_owns(oid) => continue,
            Some(oid) => match args::lock_existing(oid) {
                Some(rel) => {
                    table_state::try_get(rel.as_ptr()).map(|state| existing_versions(&state))
                }
                None if superuser => None, // dropped meanwhile: gone as well
                None => continue,
            },
        };
        let old = "DELETE FROM versioning.log l WHERE l.table_name OPERATOR(pg_catalog.=) $1 \
                     AND l.at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) $2)";
        // Two statements, so that the second one's NOT EXISTS is an anti-join.
        let statements = match &needed {
            None => vec![old.to_string()],
            Some(existing) => vec![
                format!("{old} AND NOT l.action OPERATOR(pg_catalog.=) ANY ('{{create,label}}'::pg_catalog.text[])"),
                format!("{old} AND l.action OPERATOR(pg_catalog.=) ANY ('{{create,label}}'::pg_catalog.text[]) AND NOT EXISTS ({existing})"),
            ],
        };
        for sql in statements {
            removed += pg::as_user(crate::extension::owner(), || {
                Spi::connect_mut(|c| {
                    c.update(&sql, None, &[name.as_str().into(), older_than.into()])
                        .map(|r| r.len() as i64)
                })
            })
            .unwrap_or_else(|e| {
                error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise()
            });
        }
    }
    removed
}

/// The version of the table that log record `l` names, for prune_log's NOT EXISTS.
fn existing_versions(state: &TableState) -> String {
    format!(
        "SELECT FROM {table} t WHERE {key_json} OPERATOR(pg_catalog.=) l.key \
           AND t.{v}::pg_catalog.int8 OPERATOR(pg_catalog.=) l.version",
        key_json = key::json_of_row(state, "t"),
        v = pg::quote_ident(&state.version.name),
        table = state.name,
    )
}

/// A table's policy as stored.
struct Policy {
    keep_last: Option<i32>,
    keep_for: Option<Interval>,
    keep_states: Vec<String>,
}

fn policy(table: &str) -> Option<Policy> {
    Spi::connect(|c| {
        let rows = c.select(
            "SELECT keep_last, keep_for, keep_states FROM versioning.retention WHERE table_name OPERATOR(pg_catalog.=) $1",
            None,
            &[table.into()],
        )?;
        Ok::<_, pgrx::spi::Error>(rows.into_iter().next().map(|r| Policy {
            keep_last: r.get::<i32>(1).ok().flatten(),
            keep_for: r.get::<Interval>(2).ok().flatten(),
            keep_states: r
                .get::<Vec<String>>(3)
                .ok()
                .flatten()
                .unwrap_or_default(),
        }))
    })
    .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise())
}

/// The table's policy for `versioning.config` (None when it has none).
pub fn listed(table: &str) -> Option<serde_json::Value> {
    spi::query_json(
        "SELECT pg_catalog.jsonb_build_object('keep_last', keep_last, 'keep_for', keep_for, 'keep_states', keep_states)::pg_catalog.text \
         FROM versioning.retention WHERE table_name OPERATOR(pg_catalog.=) $1",
        &[table],
    )
}

/// Removes what the policy lets go, as the caller (the owner: the table's own rules, foreign
/// keys and cascades apply), and logs one `prune` record per key.
fn prune_table(state: &TableState, policy: &Policy) -> i64 {
    let sql = format!(
        "DELETE FROM {table} t USING ({candidates}) AS gone \
          WHERE t.tableoid OPERATOR(pg_catalog.=) gone.tab AND t.ctid OPERATOR(pg_catalog.=) gone.tid \
         RETURNING {key_json}::pg_catalog.text, t.{v}::pg_catalog.int8",
        table = state.name,
        candidates = candidates(state),
        key_json = key::json_of_row(state, "t"),
        v = pg::quote_ident(&state.version.name),
    );
    let editable: Vec<String> = state
        .lifecycle
        .as_ref()
        .map(|l| l.rules.editable.clone())
        .unwrap_or_default();
    let pointer_states: Vec<String> = state
        .current
        .iter()
        .filter_map(|p| p.rule.state.clone())
        .collect();
    let _purging = flags::purging();
    let removed: Vec<(String, i64)> = Spi::connect_mut(|c| {
        let rows = c.update(
            &sql,
            None,
            &[
                state.name.as_str().into(),
                policy.keep_last.into(),
                policy.keep_for.into(),
                policy.keep_states.clone().into(),
                editable.into(),
                pointer_states.into(),
            ],
        )?;
        Ok::<_, pgrx::spi::Error>(
            rows.map(|r| {
                (
                    r.get::<String>(1).ok().flatten().unwrap_or_default(),
                    r.get::<i64>(2).ok().flatten().unwrap_or(0),
                )
            })
            .collect(),
        )
    })
    .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise());
    let mut per_key: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (key_json, version) in &removed {
        crate::lifecycle::forget_left_editable(&state.name, key_json, *version);
        per_key.entry(key_json.clone()).or_default().push(*version);
    }
    for (key_json, mut versions) in per_key {
        versions.sort_unstable();
        crate::audit::write(&crate::audit::Entry {
            table: &state.name,
            key_json: &key_json,
            action: "prune",
            detail: Some(serde_json::json!({ "versions": versions }).to_string()),
            ..Default::default()
        });
    }
    removed.len() as i64
}

/// The rows (table oid and ctid: a partitioned table's ctids repeat across partitions) of the
/// versions the policy lets go. Parameters: $1 the table's name, $2 keep_last,
/// $3 keep_for, $4 keep_states, $5 the editable states, $6 the states pointers name.
fn candidates(state: &TableState) -> String {
    let q = pg::quote_ident;
    let partition: Vec<String> = state
        .key
        .iter()
        .map(|k| format!("t.{}", q(&k.column.name)))
        .collect();
    let v = format!("t.{}", q(&state.version.name));
    let status = state
        .lifecycle
        .as_ref()
        .map_or("NULL::pg_catalog.text".into(), |l| {
            format!("t.{}::pg_catalog.text", q(&l.status.name))
        });
    let alive = state
        .deleted
        .as_ref()
        .map_or("true".into(), |d| format!("t.{} IS NULL", q(&d.name)));
    format!(
        "WITH v AS (SELECT t.tableoid AS tab, t.ctid AS tid, {key_json} AS key, {v}::pg_catalog.int8 AS version, {status} AS state, {alive} AS alive, \
                  pg_catalog.row_number() OVER (PARTITION BY {partition} ORDER BY {v} DESC) AS newest, \
                  pg_catalog.max({v}::pg_catalog.int8) OVER (PARTITION BY {partition}) AS latest \
             FROM {table} t), \
         current AS (SELECT key, pg_catalog.max(version) AS version FROM v WHERE alive GROUP BY key \
             UNION ALL SELECT key, pg_catalog.max(version) FROM v \
                WHERE alive AND state OPERATOR(pg_catalog.=) ANY ($6::pg_catalog.text[]) GROUP BY key, state) \
         SELECT v.tab, v.tid FROM v \
          WHERE v.version OPERATOR(pg_catalog.<) v.latest \
            AND ($2::pg_catalog.int4 IS NULL OR v.newest OPERATOR(pg_catalog.>) $2::pg_catalog.int4) \
            AND ($3::pg_catalog.interval IS NULL OR EXISTS (SELECT FROM versioning.log c \
                 WHERE c.table_name OPERATOR(pg_catalog.=) $1 AND c.key OPERATOR(pg_catalog.=) v.key \
                   AND c.version OPERATOR(pg_catalog.=) v.version AND c.action OPERATOR(pg_catalog.=) 'create' \
                   AND c.at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) $3::pg_catalog.interval))) \
            AND NOT (v.state IS NOT NULL AND (v.state OPERATOR(pg_catalog.=) ANY ($4::pg_catalog.text[]) \
                                              OR v.state OPERATOR(pg_catalog.=) ANY ($5::pg_catalog.text[]))) \
            AND NOT EXISTS (SELECT FROM current c WHERE c.key OPERATOR(pg_catalog.=) v.key AND c.version OPERATOR(pg_catalog.=) v.version) \
            AND NOT EXISTS (SELECT FROM versioning.labels l WHERE l.table_name OPERATOR(pg_catalog.=) $1 \
                  AND l.key OPERATOR(pg_catalog.=) v.key AND l.version OPERATOR(pg_catalog.=) v.version)",
        key_json = key::json_of_row(state, "t"),
        partition = partition.join(", "),
        table = state.name,
    )
}

fn must_own(state: &TableState, to: &str) {
    if !pg::current_user_owns(state.relid) {
        error(
            Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("must be owner of table {} to {to}", state.name),
        )
        .raise();
    }
}

/// keep_for is positive, and the table logs creations (the age of a version comes from its
/// creation record).
fn check_keep_for(state: &TableState, age: Interval) {
    let positive = spi::answer(
        "SELECT $1::pg_catalog.interval OPERATOR(pg_catalog.>) '0'::pg_catalog.interval",
        &[age.into()],
    );
    if !positive {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            "versioning.set_retention: keep_for must be a positive interval",
        )
        .raise();
    }
    if !state.config.audit {
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("table {} does not log version creations (audit => false), so keep_for cannot tell a version's age", state.name),
        )
        .hint("Use keep_last alone, or enable the table with audit => true.")
        .raise();
    }
}

/// keep_states names states of the table's lifecycle.
fn check_states(state: &TableState, keep_states: &[String]) {
    if keep_states.is_empty() {
        return;
    }
    if state.lifecycle.is_none() {
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "table {} has no lifecycle, so keep_states names nothing",
                state.name
            ),
        )
        .raise()
    }
    for s in keep_states {
        super::versions::known_state(state, s, "keep_states");
    }
}
