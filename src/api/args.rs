//! The arguments of the SQL functions, checked before anything else runs: a NULL where a value
//! is needed is 22004 (null_value_not_allowed), a table that does not exist is 42P01
//! (undefined_table) — never an internal error (docs/reference.md, "Errors").
//!
//! A `regclass` argument arrives as [`Table`]: only its OID, so that a dropped table or
//! `0::regclass` can be refused with a clear error instead of pgrx's failing `relation_open`.
use crate::errors::{error, Code};
use pgrx::pg_sys;
use pgrx::PgRelation;

pub use crate::pgrx_internals::Table;

/// `value`, or 22004 naming the function and the argument.
pub fn required<T>(function: &str, argument: &str, value: Option<T>) -> T {
    value.unwrap_or_else(|| {
        error(
            Code::ERRCODE_NULL_VALUE_NOT_ALLOWED,
            format!("{function}: {argument} must not be NULL"),
        )
        .raise()
    })
}

/// Every element of an array argument (itself not NULL), or 22004.
pub fn required_elements(
    function: &str,
    argument: &str,
    values: Option<Vec<Option<String>>>,
) -> Vec<String> {
    elements(function, argument, required(function, argument, values))
}

/// Every element of an array, or 22004 when one is NULL.
pub fn elements(function: &str, argument: &str, values: Vec<Option<String>>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| {
            v.unwrap_or_else(|| {
                error(
                    Code::ERRCODE_NULL_VALUE_NOT_ALLOWED,
                    format!("{function}: {argument} must not contain NULL"),
                )
                .raise()
            })
        })
        .collect()
}

/// The table argument `argument` of `function`, opened with AccessShareLock: 22004 when NULL,
/// 42P01 when no relation has that OID (dropped, or `0::regclass`).
pub fn table(function: &str, argument: &str, tbl: Option<Table>) -> PgRelation {
    let Table(oid) = required(function, argument, tbl);
    lock_existing(oid).unwrap_or_else(|| {
        error(
            Code::ERRCODE_UNDEFINED_TABLE,
            format!("{function}: there is no table with OID {}", oid.to_u32()),
        )
        .hint("The table may have been dropped; name it as 'schema.table'.")
        .raise()
    })
}

/// The relation `oid`, opened with AccessShareLock; None when it no longer exists.
pub fn lock_existing(oid: pg_sys::Oid) -> Option<PgRelation> {
    unsafe {
        // lock first, then look: a concurrent DROP cannot remove it between the two
        pg_sys::LockRelationOid(oid, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let exists = pg_sys::SearchSysCacheExists(
            pg_sys::SysCacheIdentifier::RELOID as i32,
            pg_sys::Datum::from(oid),
            pg_sys::Datum::from(0),
            pg_sys::Datum::from(0),
            pg_sys::Datum::from(0),
        );
        if !exists {
            pg_sys::UnlockRelationOid(oid, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
            return None;
        }
        Some(PgRelation::with_lock(
            oid,
            pg_sys::AccessShareLock as pg_sys::LOCKMODE,
        ))
    }
}

/// 42501 unless the current user has `privilege` (ACL_SELECT, ACL_UPDATE, …) on table `relid`:
/// "{what} needs {privilege_name} privilege on it".
pub fn require_privilege(relid: pg_sys::Oid, privilege: u32, privilege_name: &str, what: &str) {
    let granted = unsafe {
        pg_sys::pg_class_aclcheck(relid, pg_sys::GetUserId(), privilege as pg_sys::AclMode)
    } == pg_sys::AclResult::ACLCHECK_OK;
    if !granted {
        error(
            Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("{what} needs {privilege_name} privilege on it"),
        )
        .raise();
    }
}
