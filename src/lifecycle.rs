//! The lifecycle of a table at run time: a row's state, the values stamped on entering a
//! state, and the memory of versions that left an editable state. The rules themselves
//! (presets, transitions, validation) are pure logic in `versioning_core::lifecycle`.
use crate::catalog::Column;
use crate::errors::{error, Code};
use crate::pg;
use crate::row::Row;
use crate::spi::{self, KeptPlan, Snapshot};
use pgrx::pg_sys::{self, Datum};
use std::collections::HashMap;
use std::ffi::CString;
use versioning_core::lifecycle::Lifecycle;

pub struct Rules {
    pub rules: Lifecycle,
    pub status: Column,
    boolean: bool,
    /// per state: its (at, by) stamp columns
    stamps: HashMap<String, (Option<Column>, Option<Column>)>,
}

impl Rules {
    pub fn new(rules: Lifecycle, col: impl Fn(&str) -> Column) -> Rules {
        let status = col(&rules.column);
        let boolean = status.typid == pg_sys::BOOLOID;
        let stamps = rules
            .stamps
            .iter()
            .map(|(state, s)| {
                (
                    state.clone(),
                    (s.at.as_deref().map(&col), s.by.as_deref().map(&col)),
                )
            })
            .collect();
        Rules {
            rules,
            status,
            boolean,
            stamps,
        }
    }

    /// The row's state ("true"/"false" for a boolean status column); None when NULL.
    pub fn state_of(&self, row: &Row) -> Option<String> {
        let d = row.get(self.status.index)?;
        Some(if self.boolean {
            (d.value() != 0).to_string()
        } else {
            String::from_utf8_lossy(unsafe { pg::varlena_bytes(d) }).into_owned()
        })
    }

    /// The status column's value for a state.
    pub fn state_datum(&self, state: &str) -> Datum {
        if self.boolean {
            Datum::from(state == "true")
        } else {
            pg::text_datum(state)
        }
    }

    /// The stamps of entering `state`: (column index, value).
    pub fn stamp_values(&self, state: &str, table: &str) -> Vec<(usize, Option<Datum>)> {
        let Some((at, by)) = self.stamps.get(state) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(at) = at {
            let now = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
            let value = if at.typid == pg_sys::TIMESTAMPOID {
                unsafe {
                    pgrx::direct_function_call_as_datum(
                        pg_sys::timestamptz_timestamp,
                        &[Some(Datum::from(now))],
                    )
                }
            } else {
                Some(Datum::from(now))
            };
            out.push((at.index, value));
        }
        if let Some(by) = by {
            out.push((by.index, Some(actor_as(by, table))));
        }
        out
    }
}

/// The actor (versioning.actor, else session_user) as a value of the stamp column's type,
/// so integer user ids work.
fn actor_as(column: &Column, table: &str) -> Datum {
    let actor = crate::audit::actor();
    if column.is_integer() && actor.trim().parse::<i64>().is_err() {
        error(
            Code::ERRCODE_INVALID_TEXT_REPRESENTATION,
            format!(
                "actor \"{actor}\" cannot be stored in stamp column \"{}\" ({}) of table {table}",
                column.name,
                column.type_name()
            ),
        )
        .hint("Set the actor the column expects: SET LOCAL versioning.actor = '42'.")
        .raise();
    }
    let text = CString::new(actor).unwrap_or_default();
    unsafe {
        let mut input = pg_sys::Oid::INVALID;
        let mut ioparam = pg_sys::Oid::INVALID;
        pg_sys::getTypeInputInfo(column.typid, &mut input, &mut ioparam);
        pg_sys::OidInputFunctionCall(input, text.as_ptr() as *mut _, ioparam, column.typmod)
    }
}

thread_local! {
    static LEFT_LOOKUP: std::cell::OnceCell<KeptPlan> = const { std::cell::OnceCell::new() };
    static LEFT_RECORD: std::cell::OnceCell<KeptPlan> = const { std::cell::OnceCell::new() };
}

/// The key as stored in versioning.left_editable: canonical JSON, whoever spelled it.
fn stored_key(key_json: &str) -> String {
    versioning_core::canonicalize(key_json).unwrap_or_else(|_| key_json.to_string())
}

/// Whether this version has once left an editable state (then it stays frozen).
pub fn has_left_editable(table: &str, key_json: &str, version: i64) -> bool {
    let key_json = &stored_key(key_json);
    let _session = spi::Session::connect();
    LEFT_LOOKUP.with(|p| {
        let plan = p.get_or_init(|| {
            KeptPlan::prepare(
                "SELECT FROM versioning.left_editable WHERE table_name OPERATOR(pg_catalog.=) $1 \
                 AND key OPERATOR(pg_catalog.=) $2 AND version OPERATOR(pg_catalog.=) $3",
                &[pg_sys::TEXTOID, pg_sys::TEXTOID, pg_sys::INT8OID],
            )
        });
        let args = [
            Some(pg::text_datum(table)),
            Some(pg::text_datum(key_json)),
            Some(Datum::from(version)),
        ];
        plan.execute(&args, Snapshot::Latest, 1) > 0
    })
}

/// Remembers that this version left an editable state.
pub fn record_left_editable(table: &str, key_json: &str, version: i64) {
    let key_json = &stored_key(key_json);
    let _session = spi::Session::connect();
    LEFT_RECORD.with(|p| {
        let plan = p.get_or_init(|| {
            KeptPlan::prepare(
                "INSERT INTO versioning.left_editable (table_name, key, version) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[pg_sys::TEXTOID, pg_sys::TEXTOID, pg_sys::INT8OID],
            )
        });
        let args = [Some(pg::text_datum(table)), Some(pg::text_datum(key_json)), Some(Datum::from(version))];
        pg::as_user(crate::extension::owner(), || plan.execute(&args, Snapshot::Transaction, 0));
    });
}

/// Forgets that a version left an editable state (it was purged: a new version may take its number).
pub fn forget_left_editable(table: &str, key_json: &str, version: i64) {
    let key_json = stored_key(key_json);
    pg::as_user(crate::extension::owner(), || {
        pgrx::spi::Spi::run_with_args(
            "DELETE FROM versioning.left_editable WHERE table_name OPERATOR(pg_catalog.=) $1 \
             AND key OPERATOR(pg_catalog.=) $2 AND version OPERATOR(pg_catalog.=) $3",
            &[table.into(), key_json.as_str().into(), version.into()],
        )
    })
    .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise());
}
