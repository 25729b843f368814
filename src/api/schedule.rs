//! Scheduled transitions (docs/versioning.md, "Scheduled transitions"): `versioning.schedule`
//! records a transition to make at a set time in `versioning.scheduled`; `versioning.run_due()`
//! (sql/versions.sql, called every minute by pg_cron) applies the due ones in time order, each
//! in a subtransaction of its own through `_apply_scheduled`, and marks one that fails through
//! `_scheduled_failed` — it never blocks the others and is never retried.
//!
//! A transition runs as the role that scheduled it (its privileges, its name as the actor), with
//! every rule of an UPDATE of the status column. The scheduled row is locked (`SKIP LOCKED`)
//! while it is applied, so concurrent `run_due` calls never apply one twice.
use super::args::{self, required, Table};
use super::key;
use super::versions::{known_state, lifecycle_of, move_version, no_such_version};
use crate::errors::{error, Code};
use crate::pg;
use crate::spi;
use crate::table_state;
use pgrx::prelude::*;

/// `versioning.schedule(tbl, key, version, to_state, at) → bigint`
#[pg_extern(name = "_schedule")]
fn schedule(
    tbl: Option<Table>,
    key: Option<&str>,
    version: Option<i32>,
    to_state: Option<&str>,
    at: Option<pgrx::datum::TimestampWithTimeZone>,
) -> i64 {
    const F: &str = "versioning.schedule";
    let (_, state) = super::versioned(F, tbl);
    let key = required(F, "key", key);
    let version = required(F, "version", version);
    let to_state = required(F, "to_state", to_state);
    let at = required(F, "at", at);
    let l = lifecycle_of(&state);
    args::require_privilege(
        state.relid,
        pg_sys::ACL_UPDATE,
        "UPDATE",
        &format!("scheduling a transition in table {}", state.name),
    );
    known_state(&state, to_state, "to_state");
    let now = state_now(&state, key, version);
    if !l.rules.reachable(&now, to_state) {
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "version {version} of key {key} in table {} can never move from \"{now}\" to \"{to_state}\"",
                state.name
            ),
        )
        .detail("No sequence of the lifecycle's transitions leads there.")
        .raise();
    }
    let log_key = key::as_logged(&state, key);
    let scheduled_by = current_user(); // the role it will run as
    pg::as_user(crate::extension::owner(), || {
        spi::run_one::<i64>(
            "INSERT INTO versioning.scheduled (table_name, key, version, to_state, at, scheduled_by) \
             VALUES ($1, $2::pg_catalog.jsonb, $3, $4, $5, $6::pg_catalog.name) RETURNING id",
            &[
                state.name.as_str().into(),
                log_key.as_str().into(),
                (version as i64).into(),
                to_state.into(),
                at.into(),
                scheduled_by.as_str().into(),
            ],
        )
    })
    .expect("INSERT … RETURNING gives the id")
}

/// `versioning.unschedule(id)`: removes a pending transition; the role that scheduled it or
/// the table's owner may.
#[pg_extern]
fn unschedule(id: Option<i64>) {
    let id = required("versioning.unschedule", "id", id);
    let Some(s) = scheduled(id, false) else {
        error(
            Code::ERRCODE_UNDEFINED_OBJECT,
            format!("there is no scheduled transition {id}"),
        )
        .raise()
    };
    let owns_table = s.table_oid.is_some_and(pg::current_user_owns);
    if !is_member_of(&s.scheduled_by) && !owns_table {
        error(
            Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!(
                "scheduled transition {id} belongs to role {} and table {}",
                s.scheduled_by, s.table
            ),
        )
        .raise();
    }
    if s.state != "pending" {
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("scheduled transition {id} is {} already", s.state),
        )
        .raise();
    }
    pg::as_user(crate::extension::owner(), || {
        spi::run_one::<bool>(
            "DELETE FROM versioning.scheduled WHERE id OPERATOR(pg_catalog.=) $1 RETURNING true",
            &[id.into()],
        )
    });
}

/// Applies scheduled transition `id` if it is pending, not being applied by another session,
/// and the caller may act as the role that scheduled it; true when it was applied. An error
/// (the transition is no longer allowed) propagates: `run_due` marks it failed.
#[pg_extern(name = "_apply_scheduled")]
fn apply_scheduled(id: Option<i64>) -> bool {
    const F: &str = "versioning.run_due";
    let id = required(F, "id", id);
    let Some(s) = scheduled(id, true) else {
        return false;
    };
    if s.state != "pending" {
        return false;
    }
    let Some(role) = role_oid(&s.scheduled_by) else {
        error(
            Code::ERRCODE_UNDEFINED_OBJECT,
            format!("role {} that scheduled it no longer exists", s.scheduled_by),
        )
        .raise()
    };
    if !is_member_of(&s.scheduled_by) {
        return false; // another role's: left for a run_due that may act as it
    }
    let Some(oid) = s.table_oid else {
        error(
            Code::ERRCODE_UNDEFINED_TABLE,
            format!("table {} no longer exists", s.table),
        )
        .raise()
    };
    let rel = args::table(F, "tbl", Some(Table(oid)));
    let state =
        table_state::try_get(rel.as_ptr()).unwrap_or_else(|| super::not_versioned(&s.table));
    let moved = pg::as_user(role, || {
        // the actor of the transition's log record and stamps
        spi::run_one::<String>(
            "SELECT pg_catalog.set_config('versioning.actor', $1, true)",
            &[s.scheduled_by.as_str().into()],
        );
        move_version(&state, &s.key, s.version, &s.to_state)
    });
    if moved.is_none() {
        no_such_version(&state, &s.key, s.version);
    }
    finish(id, "done", &format!("moved to \"{}\"", s.to_state));
    true
}

/// Marks pending transition `id` failed with the error that stopped it.
#[pg_extern(name = "_scheduled_failed")]
fn scheduled_failed(id: Option<i64>, sqlstate: Option<&str>, message: Option<&str>) {
    const F: &str = "versioning.run_due";
    let id = required(F, "id", id);
    let Some(s) = scheduled(id, false) else {
        return;
    };
    let may = role_oid(&s.scheduled_by).is_none() || is_member_of(&s.scheduled_by);
    if s.state == "pending" && may {
        let reason = format!("{}: {}", sqlstate.unwrap_or("?"), message.unwrap_or(""));
        finish(id, "failed", &reason);
    }
}

fn finish(id: i64, state: &str, outcome: &str) {
    pg::as_user(crate::extension::owner(), || {
        spi::run_one::<bool>(
            "UPDATE versioning.scheduled SET state = $2, outcome = $3, finished_at = pg_catalog.clock_timestamp() \
             WHERE id OPERATOR(pg_catalog.=) $1 AND state OPERATOR(pg_catalog.=) 'pending' RETURNING true",
            &[id.into(), state.into(), outcome.into()],
        )
    });
}

/// A scheduled transition as stored.
struct Scheduled {
    table: String,
    table_oid: Option<pg_sys::Oid>,
    key: String,
    version: i32,
    to_state: String,
    scheduled_by: String,
    state: String,
}

/// Scheduled transition `id`, read as the extension's owner; with `lock`, locked for this
/// transaction unless another one holds it (then None).
fn scheduled(id: i64, lock: bool) -> Option<Scheduled> {
    let sql = format!(
        "SELECT pg_catalog.jsonb_build_object('table', table_name, 'oid', pg_catalog.to_regclass(table_name)::pg_catalog.oid::pg_catalog.int8, \
           'key', key::pg_catalog.text, 'version', version, 'to_state', to_state, 'by', scheduled_by, 'state', state)::pg_catalog.text \
         FROM versioning.scheduled WHERE id OPERATOR(pg_catalog.=) $1{}",
        if lock { " FOR UPDATE SKIP LOCKED" } else { "" }
    );
    let row = pg::as_user(crate::extension::owner(), || {
        spi::run_one::<String>(&sql, &[id.into()])
    })?;
    let v: serde_json::Value = serde_json::from_str(&row).ok()?;
    let text = |f: &str| v[f].as_str().unwrap_or_default().to_string();
    Some(Scheduled {
        table: text("table"),
        table_oid: v["oid"].as_u64().map(|o| pg_sys::Oid::from(o as u32)),
        key: text("key"),
        version: v["version"].as_i64().unwrap_or(0) as i32,
        to_state: text("to_state"),
        scheduled_by: text("by"),
        state: text("state"),
    })
}

/// The version's state now, or 22023 when there is no such version.
fn state_now(state: &table_state::TableState, key: &str, version: i32) -> String {
    let l = lifecycle_of(state);
    let sql = format!(
        "SELECT t.{status}::pg_catalog.text FROM {table} t WHERE {cond} AND t.{v} OPERATOR(pg_catalog.=) $2",
        status = pg::quote_ident(&l.status.name),
        table = state.name,
        cond = key::conditions(state, key, "t"),
        v = pg::quote_ident(&state.version.name),
    );
    let found = Spi::connect(|c| {
        c.select(&sql, Some(1), &[key.into(), version.into()])
            .map(|rows| {
                rows.into_iter()
                    .next()
                    .map(|r| r.get::<String>(1).ok().flatten())
            })
    })
    .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise());
    match found {
        Some(s) => s.unwrap_or_default(),
        None => no_such_version(state, key, version),
    }
}

fn current_user() -> String {
    unsafe {
        std::ffi::CStr::from_ptr(pg_sys::GetUserNameFromId(pg_sys::GetUserId(), false))
            .to_string_lossy()
            .into_owned()
    }
}

fn role_oid(role: &str) -> Option<pg_sys::Oid> {
    let name = std::ffi::CString::new(role).ok()?;
    let oid = unsafe { pg_sys::get_role_oid(name.as_ptr(), true) };
    (oid != pg_sys::Oid::INVALID).then_some(oid)
}

/// Whether the current user may act as `role` (is a member of it; superusers are).
fn is_member_of(role: &str) -> bool {
    spi::answer(
        "SELECT pg_catalog.pg_has_role($1::pg_catalog.name, 'MEMBER')",
        &[role.into()],
    )
}
