//! Serializing inserts per key. Every insert into a versioned table holds, until its
//! transaction ends:
//! - an exclusive advisory lock on (table, hash of the key), taken first, and
//! - the table's advisory lock in RowExclusive mode (inserters do not block each other).
//!
//! A transaction that has locked more than `versioning.key_lock_limit` keys of one table (a bulk
//! load) upgrades to the table's lock in Exclusive mode and stops taking key locks, so the
//! shared lock table cannot run out. It only upgrades when the table lock is free at that
//! moment (otherwise it tries again a little later), so escalation never waits and can never
//! add a deadlock; once upgraded, other inserters wait for it to commit.
//!
//! The tags use a lock-tag field4 that pg_advisory_lock() never uses, so they cannot collide
//! with the application's own advisory locks.
use pgrx::pg_sys::{self, Oid};
use std::cell::RefCell;
use std::collections::HashMap;

const KEY_SPACE: u16 = 0x7676; // "vv"
const TABLE_SPACE: u16 = 0x7677;

#[derive(Default)]
struct TableLocks {
    keys: i32,
    escalated: bool,
}

/// New key locks between two attempts to escalate when the table lock was busy.
const RETRY_EVERY: i32 = 32;

thread_local! {
    /// Per table, this transaction's key locks. Cleared when the transaction ends.
    static HELD: RefCell<HashMap<Oid, TableLocks>> = RefCell::new(HashMap::new());
}

fn acquire(
    relid: Oid,
    field3: u32,
    field4: u16,
    mode: u32,
    wait: bool,
) -> pg_sys::LockAcquireResult::Type {
    unsafe {
        let tag = pg_sys::LOCKTAG {
            locktag_field1: pg_sys::MyDatabaseId.to_u32(),
            locktag_field2: relid.to_u32(),
            locktag_field3: field3,
            locktag_field4: field4,
            locktag_type: pg_sys::LockTagType::LOCKTAG_ADVISORY as u8,
            locktag_lockmethodid: pg_sys::USER_LOCKMETHOD as u8,
        };
        pg_sys::LockAcquire(&tag, mode as i32, false, !wait)
    }
}

/// Waits until no other transaction can be inserting this key, and keeps it so until the
/// end of the transaction.
pub fn lock_key(relid: Oid, key_hash: u32) {
    let escalated = HELD.with(|h| h.borrow().get(&relid).is_some_and(|t| t.escalated));
    if escalated {
        return;
    }
    // Key first: a session waiting for a key holds no table lock an escalating bulk load
    // would have to wait for.
    let new = acquire(relid, key_hash, KEY_SPACE, pg_sys::ExclusiveLock, true)
        == pg_sys::LockAcquireResult::LOCKACQUIRE_OK;
    acquire(relid, 0, TABLE_SPACE, pg_sys::RowExclusiveLock, true);
    if !new {
        return;
    }
    let limit = crate::guc::KEY_LOCK_LIMIT.get();
    let try_escalate = HELD.with(|h| {
        let mut h = h.borrow_mut();
        let t = h.entry(relid).or_default();
        t.keys += 1;
        t.keys > limit && (t.keys - limit - 1) % RETRY_EVERY == 0
    });
    if try_escalate
        && acquire(relid, 0, TABLE_SPACE, pg_sys::ExclusiveLock, false)
            != pg_sys::LockAcquireResult::LOCKACQUIRE_NOT_AVAIL
    {
        HELD.with(|h| h.borrow_mut().entry(relid).or_default().escalated = true);
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_transaction_end(
    event: pg_sys::XactEvent::Type,
    _arg: *mut std::ffi::c_void,
) {
    use pg_sys::XactEvent::*;
    if matches!(
        event,
        XACT_EVENT_COMMIT
            | XACT_EVENT_ABORT
            | XACT_EVENT_PREPARE
            | XACT_EVENT_PARALLEL_COMMIT
            | XACT_EVENT_PARALLEL_ABORT
    ) {
        HELD.with(|h| h.borrow_mut().clear());
    }
}

/// A rolled-back subtransaction releases the locks it took, the table-wide one included:
/// forget what we recorded (the next insert locks its key again).
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_subtransaction_end(
    event: pg_sys::SubXactEvent::Type,
    _my: pg_sys::SubTransactionId,
    _parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    if event == pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB {
        HELD.with(|h| h.borrow_mut().clear());
    }
}

pub fn register_transaction_callback() {
    unsafe {
        pg_sys::RegisterXactCallback(Some(on_transaction_end), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(on_subtransaction_end), std::ptr::null_mut());
    }
}
