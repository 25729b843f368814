//! UPDATE and DELETE of versions. Without a lifecycle every version is frozen as soon as it
//! is inserted: only `mutable` columns may change, and nothing may be deleted.
use super::{Call, Row};
use crate::errors::{error, Code};
use crate::pg;
use crate::table_state;
use pgrx::pg_sys::{self, Datum};

pub unsafe fn on_change(call: &Call) -> Datum {
    let rel = call.relation();
    let state = table_state::get(rel);
    let desc = (*rel).rd_att;
    let old = Row::deform((*call.data).tg_trigtuple, desc);
    let version = old
        .get(state.version.index)
        .map_or(0, |d| pg::int_from_datum(d, state.version.typid));
    let key = || state.key_json(&old.values, &old.nulls);

    if call.op() == pg_sys::TRIGGER_EVENT_DELETE {
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("cannot delete version {version} of key {} in table {}: versions are frozen", key(), state.name),
        )
        .hint("Create a new version instead; versioning.disable() lifts the rules for the whole table.")
        .raise();
    }

    let new = Row::deform((*call.data).tg_newtuple, desc);
    let changed = |i: usize| match (old.get(i), new.get(i)) {
        (None, None) => false,
        (Some(a), Some(b)) => {
            let att = &*(*desc).attrs.as_ptr().add(i);
            !pg::same_value(a, b, att.attlen, att.attbyval)
        }
        _ => true,
    };
    let identity = state
        .key
        .iter()
        .map(|k| &k.column)
        .chain(std::iter::once(&state.version));
    for c in identity {
        if changed(c.index) {
            error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "cannot change column \"{}\" of version {version} of key {} in table {}",
                    c.name,
                    key(),
                    state.name
                ),
            )
            .detail("Key and version columns never change.")
            .hint("Insert a row with the new key instead.")
            .raise();
        }
    }
    for i in 0..state.natts {
        let att = &*(*desc).attrs.as_ptr().add(i);
        if !att.attisdropped && !state.mutable[i] && changed(i) {
            let name = std::ffi::CStr::from_ptr(att.attname.data.as_ptr()).to_string_lossy();
            error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "version {version} of key {} in table {} is frozen",
                    key(),
                    state.name
                ),
            )
            .detail(format!(
                "Column \"{name}\" cannot change; only the mutable columns of a version may."
            ))
            .hint("create a new version instead")
            .raise();
        }
    }
    // A version changed (mutable columns): what this transaction cached about the table's
    // keys (the parent's primary key, say) may no longer hold.
    crate::key_cache::forget_table(state.relid);
    Datum::from((*call.data).tg_newtuple)
}
