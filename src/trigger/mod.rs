//! The row triggers `versioning.enable` attaches. Raw C-convention functions: the INSERT path
//! runs once per inserted row and must not pay for conversions it does not need.
use crate::errors::Error;
use crate::pg;
use crate::row::Call;
use pgrx::pg_sys::{self, Datum};

mod carry_forward;
mod current;
mod guard;
mod insert;
mod partitions;
mod schema_changes;

/// Runs a trigger's work under pgrx's guard (a panic or PostgreSQL error inside becomes a
/// PostgreSQL error, as with `#[pg_guard]`). A refusal the work returns is raised here, once
/// its frames are gone: raising it from inside would unwind every frame (about 5 µs).
#[inline(always)]
#[track_caller]
unsafe fn refusable(work: impl FnOnce() -> Result<Datum, Error>) -> Datum {
    match crate::pgrx_internals::guard(work) {
        Ok(tuple) => tuple,
        Err(refusal) => refusal.raise_here(),
    }
}

pg::function_info_v1!(
    pg_finfo_pgv_on_insert,
    pg_finfo_pgv_on_change,
    pg_finfo_pgv_after_insert,
    pg_finfo_pgv_current_changed,
    pg_finfo_pgv_schemas_changed
);

/// `versioning._on_insert()`: BEFORE INSERT FOR EACH ROW.
///
/// # Safety
/// Called by PostgreSQL's function manager (`Call::check` verifies it is a trigger call).
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_on_insert(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    refusable(move || {
        let call = Call::check(
            fcinfo,
            "versioning._on_insert()",
            pg_sys::TRIGGER_EVENT_BEFORE,
            &[pg_sys::TRIGGER_EVENT_INSERT],
        );
        insert::on_insert(&call)
    })
}

/// `versioning._on_change()`: BEFORE UPDATE OR DELETE FOR EACH ROW.
///
/// # Safety
/// Called by PostgreSQL's function manager (`Call::check` verifies it is a trigger call).
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_on_change(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    refusable(move || {
        let call = Call::check(
            fcinfo,
            "versioning._on_change()",
            pg_sys::TRIGGER_EVENT_BEFORE,
            &[pg_sys::TRIGGER_EVENT_UPDATE, pg_sys::TRIGGER_EVENT_DELETE],
        );
        guard::on_change(&call)
    })
}

/// `versioning._after_insert()`: AFTER INSERT FOR EACH ROW on a parent with carry-forward rules.
///
/// # Safety
/// Called by PostgreSQL's function manager (`Call::check` verifies it is a trigger call).
#[pgrx::pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_after_insert(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    let call = Call::check(
        fcinfo,
        "versioning._after_insert()",
        pg_sys::TRIGGER_EVENT_AFTER,
        &[pg_sys::TRIGGER_EVENT_INSERT],
    );
    carry_forward::after_insert(&call);
    Datum::from(0)
}

/// `versioning._current_changed()`: AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW on a
/// versioned table with current-version pointers.
///
/// # Safety
/// Called by PostgreSQL's function manager (`Call::check` verifies it is a trigger call).
#[pgrx::pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_current_changed(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    let call = Call::check(
        fcinfo,
        "versioning._current_changed()",
        pg_sys::TRIGGER_EVENT_AFTER,
        &[
            pg_sys::TRIGGER_EVENT_INSERT,
            pg_sys::TRIGGER_EVENT_UPDATE,
            pg_sys::TRIGGER_EVENT_DELETE,
        ],
    );
    current::after_change(&call);
    Datum::from(0)
}

/// `versioning._schemas_changed()`: AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW on
/// `versioning.schemas`, enabled ALWAYS: at commit every session drops its compiled schemas
/// (`kinds::forget`) — also when the row was written by logical replication's apply worker.
///
/// # Safety
/// Called by PostgreSQL's function manager (`Call::check` verifies it is a trigger call).
#[pgrx::pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_schemas_changed(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    let call = Call::check(
        fcinfo,
        "versioning._schemas_changed()",
        pg_sys::TRIGGER_EVENT_AFTER,
        &[
            pg_sys::TRIGGER_EVENT_INSERT,
            pg_sys::TRIGGER_EVENT_UPDATE,
            pg_sys::TRIGGER_EVENT_DELETE,
        ],
    );
    pg_sys::CacheInvalidateRelcacheByRelid((*call.relation()).rd_id);
    Datum::from(0)
}
