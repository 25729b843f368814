//! The AFTER INSERT trigger of a parent table with carry-forward rules (docs/versioning.md,
//! "Carry-forward"): once the new parent version exists, the previous version's matching
//! child rows are copied to it (`crate::carry_forward`).
use crate::row::{Call, Row};
use crate::spi;
use crate::table_state;
use crate::{guc, lookup, pg};

/// # Safety
/// `call` is a checked AFTER INSERT FOR EACH ROW call.
pub unsafe fn after_insert(call: &Call) {
    if guc::RESTORE.get() {
        return; // restored history keeps the child rows it had
    }
    let rel = call.relation();
    let state = table_state::get(rel);
    if state.carry.is_empty() {
        return;
    }
    let row = Row::deform((*call.data).tg_trigtuple, (*rel).rd_att);
    let version = row
        .get(state.version.index)
        .map_or(0, |d| pg::int_from_datum(d, state.version.typid));
    let Some(pk) = &state.primary_key else { return };
    if version <= 1 {
        return;
    }
    let previous = lookup::columns_of_version(
        &state,
        rel,
        &row.values,
        &row.nulls,
        version - 1,
        &[pk.index],
    );
    let Some(Some(previous)) = previous.map(|v| v[0]) else {
        return;
    };
    let Some(new) = row.get(pk.index) else { return };
    let key = state.key.json(&row.values, &row.nulls);
    let _session = spi::Session::connect();
    for carry in &state.carry {
        crate::carry_forward::copy(&state.name, carry, pk, previous, new, &key, version);
    }
}
