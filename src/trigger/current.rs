//! The AFTER row trigger of a versioned table with current-version pointers (docs/versioning.md,
//! "Current-version pointers"): every insert, edit, transition, soft delete or removal of a
//! version sets the key's target rows to its current version, in the same statement. The key's
//! lock serializes it with every other writer of the key, so the last writer to commit
//! computed the pointer from everything committed before it (READ COMMITTED), or failed with
//! 40001 on the target row (REPEATABLE READ, SERIALIZABLE).
use crate::row::{Call, Row};
use crate::spi;
use crate::table_state;
use pgrx::pg_sys;

/// # Safety
/// `call` is a checked AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW call.
pub unsafe fn after_change(call: &Call) {
    let rel = call.relation();
    let state = table_state::get(rel);
    if state.current.is_empty() {
        return;
    }
    // the key never changes: the new row of an UPDATE, else the inserted or deleted one
    let tuple = if call.op() == pg_sys::TRIGGER_EVENT_UPDATE {
        (*call.data).tg_newtuple
    } else {
        (*call.data).tg_trigtuple
    };
    let row = Row::deform(tuple, (*rel).rd_att);
    crate::locks::lock_key(state.storage, state.key.lock_hash(&row.values, &row.nulls));
    let key: Vec<_> = state.key.iter().map(|k| row.get(k.column.index)).collect();
    let _session = spi::Session::connect();
    for pointer in &state.current {
        pointer.refresh(|| state.versioned(), &key);
    }
}
