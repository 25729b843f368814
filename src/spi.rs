//! SPI: raw kept plans for the per-row trigger path, and one-off statements (through pgrx's
//! `Spi`) for the SQL functions.
//!
//! pgrx's `Spi` picks the read-only flag (and with it the snapshot) per statement; the trigger
//! must choose the snapshot itself: after waiting for a key's lock it has to see what the
//! other session committed, and earlier rows of its own statement.
use crate::errors::{error, Code};
use pgrx::pg_sys::{self, Datum, Oid};
use std::ffi::CString;

/// An open SPI connection; closed (SPI_finish) when dropped.
pub struct Session(());

impl Session {
    pub fn connect() -> Session {
        unsafe {
            if pg_sys::SPI_connect() != pg_sys::SPI_OK_CONNECT as i32 {
                error(
                    Code::ERRCODE_INTERNAL_ERROR,
                    "pg_versioning: SPI_connect failed",
                )
                .raise();
            }
        }
        Session(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // On error, PostgreSQL's abort processing cleans SPI up; only finish on the normal path.
        if !std::thread::panicking() {
            unsafe { pg_sys::SPI_finish() };
        }
    }
}

/// Which snapshot a statement reads with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Snapshot {
    /// Everything committed now, plus this transaction's rows so far (including earlier rows of
    /// the current statement): what numbering and dedup must see.
    Latest,
    /// The transaction's own snapshot (under READ COMMITTED a new one per statement).
    Transaction,
}

/// A plan prepared once and kept for the backend's life (freed when dropped).
pub struct KeptPlan(pg_sys::SPIPlanPtr);

impl KeptPlan {
    /// Requires an open `Session`.
    pub fn prepare(sql: &str, arg_types: &[Oid]) -> KeptPlan {
        let c = CString::new(sql).expect("SQL without NUL");
        unsafe {
            let plan = pg_sys::SPI_prepare(
                c.as_ptr(),
                arg_types.len() as i32,
                arg_types.as_ptr() as *mut Oid,
            );
            if plan.is_null() {
                error(
                    Code::ERRCODE_INTERNAL_ERROR,
                    format!("pg_versioning: could not prepare: {sql}"),
                )
                .raise();
            }
            pg_sys::SPI_keepplan(plan);
            KeptPlan(plan)
        }
    }

    /// Runs the plan (not read-only, so earlier rows of the current statement are visible)
    /// and returns the number of rows processed; results are in `Rows`.
    pub fn execute(&self, args: &[Option<Datum>], snapshot: Snapshot, limit: i64) -> u64 {
        let values: Vec<Datum> = args.iter().map(|a| a.unwrap_or(Datum::from(0))).collect();
        let nulls: Vec<std::os::raw::c_char> = args
            .iter()
            .map(|a| if a.is_some() { b' ' as _ } else { b'n' as _ })
            .collect();
        unsafe {
            let rc = match snapshot {
                Snapshot::Latest => pg_sys::SPI_execute_snapshot(
                    self.0,
                    values.as_ptr() as *mut Datum,
                    nulls.as_ptr(),
                    pg_sys::GetLatestSnapshot(),
                    std::ptr::null_mut(),
                    false,
                    false,
                    limit,
                ),
                Snapshot::Transaction => pg_sys::SPI_execute_plan(
                    self.0,
                    values.as_ptr() as *mut Datum,
                    nulls.as_ptr(),
                    false,
                    limit,
                ),
            };
            if rc < 0 {
                let why =
                    std::ffi::CStr::from_ptr(pg_sys::SPI_result_code_string(rc)).to_string_lossy();
                error(
                    Code::ERRCODE_INTERNAL_ERROR,
                    format!("pg_versioning: SPI error {why}"),
                )
                .raise();
            }
            pg_sys::SPI_processed
        }
    }
}

impl Drop for KeptPlan {
    fn drop(&mut self) {
        unsafe { pg_sys::SPI_freeplan(self.0) };
    }
}

/// Column `col` (1-based) of result row `row` of the last executed statement.
pub fn value(row: u64, col: i32) -> Option<Datum> {
    unsafe {
        let table = pg_sys::SPI_tuptable;
        let tuple = *(*table).vals.add(row as usize);
        let mut is_null = false;
        let d = pg_sys::SPI_getbinval(tuple, (*table).tupdesc, col, &mut is_null);
        (!is_null).then_some(d)
    }
}

/// Copies a by-reference result value out of SPI's memory into the caller's context.
pub fn transfer(datum: Datum, typbyval: bool, typlen: i16) -> Datum {
    unsafe { pg_sys::SPI_datumTransfer(datum, typbyval, typlen as i32) }
}

/// Runs a one-off query with text parameters and returns the first column of the first row
/// as text. For configuration reads, not the row path.
pub fn query_text(sql: &str, args: &[&str]) -> Option<String> {
    let _session = Session::connect();
    let types = vec![pg_sys::TEXTOID; args.len()];
    let plan = KeptPlan::prepare(sql, &types);
    let datums: Vec<Option<Datum>> = args
        .iter()
        .map(|a| Some(crate::pg::text_datum(a)))
        .collect();
    if plan.execute(&datums, Snapshot::Latest, 1) == 0 {
        return None;
    }
    text(0, 1)
}

/// Like `query_text`, the first column of the first row, parsed from JSON text (None when there
/// is no row, or the text is not a `T`).
pub fn query_json<T: serde::de::DeserializeOwned>(sql: &str, args: &[&str]) -> Option<T> {
    query_text(sql, args).and_then(|t| serde_json::from_str(&t).ok())
}

/// Column `col` (1-based, a text column) of result row `row` of the last executed statement.
pub fn text(row: u64, col: i32) -> Option<String> {
    value(row, col).map(|d| unsafe {
        std::ffi::CStr::from_ptr(pg_sys::text_to_cstring(d.cast_mut_ptr()))
            .to_string_lossy()
            .into_owned()
    })
}

/// Runs one statement of a SQL function (DDL, writes of the extension's tables).
pub fn run(sql: &str) {
    if let Err(e) = pgrx::spi::Spi::run(sql) {
        error(
            Code::ERRCODE_INTERNAL_ERROR,
            format!("pg_versioning: {e}: {sql}"),
        )
        .raise();
    }
}

/// Runs one statement (it may write) and returns the first column of its first row.
pub fn run_one<T: pgrx::FromDatum + pgrx::IntoDatum>(
    sql: &str,
    args: &[pgrx::datum::DatumWithOid],
) -> Option<T> {
    pgrx::spi::Spi::connect_mut(|c| {
        let rows = c.update(sql, Some(1), args).unwrap_or_else(|e| {
            error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise()
        });
        if rows.is_empty() {
            None
        } else {
            rows.first().get_one::<T>().ok().flatten()
        }
    })
}

/// The boolean a one-row query answers (false when it gives none).
pub fn answer(sql: &str, args: &[pgrx::datum::DatumWithOid]) -> bool {
    pgrx::spi::Spi::get_one_with_args::<bool>(sql, args)
        .ok()
        .flatten()
        .unwrap_or(false)
}
