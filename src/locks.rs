//! Serializing inserts per key. Every insert into a versioned table holds, until its
//! transaction ends:
//! - the table's advisory lock in RowExclusive mode (inserters do not block each other), and
//! - an exclusive advisory lock on (table, hash of the key).
//!
//! A transaction that has locked more than `versioning.key_lock_limit` keys of one table (a bulk
//! load) upgrades to the table's lock in Exclusive mode and stops taking key locks, so the
//! shared lock table cannot run out. Other inserters into that table then wait for it;
//! two bulk loads escalating at once may end in a deadlock report (40P01) for one of them.
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

thread_local! {
    /// Per table, this transaction's key locks. Cleared when the transaction ends.
    static HELD: RefCell<HashMap<Oid, TableLocks>> = RefCell::new(HashMap::new());
}

fn acquire(relid: Oid, field3: u32, field4: u16, mode: u32) -> pg_sys::LockAcquireResult::Type {
    unsafe {
        let mut tag = pg_sys::LOCKTAG {
            locktag_field1: pg_sys::MyDatabaseId.to_u32(),
            locktag_field2: relid.to_u32(),
            locktag_field3: field3,
            locktag_field4: field4,
            locktag_type: pg_sys::LockTagType::LOCKTAG_ADVISORY as u8,
            locktag_lockmethodid: pg_sys::USER_LOCKMETHOD as u8,
        };
        pg_sys::LockAcquire(&mut tag, mode as i32, false, false)
    }
}

/// Waits until no other transaction can be inserting this key, and keeps it so until the
/// end of the transaction.
pub fn lock_key(relid: Oid, key_hash: u32) {
    let escalated = HELD.with(|h| h.borrow().get(&relid).is_some_and(|t| t.escalated));
    if escalated {
        return;
    }
    acquire(relid, 0, TABLE_SPACE, pg_sys::RowExclusiveLock);
    let new = acquire(relid, key_hash, KEY_SPACE, pg_sys::ExclusiveLock) == pg_sys::LockAcquireResult::LOCKACQUIRE_OK;
    if !new {
        return;
    }
    let limit = crate::guc::KEY_LOCK_LIMIT.get();
    let escalate = HELD.with(|h| {
        let mut h = h.borrow_mut();
        let t = h.entry(relid).or_default();
        t.keys += 1;
        t.keys > limit
    });
    if escalate {
        acquire(relid, 0, TABLE_SPACE, pg_sys::ExclusiveLock);
        HELD.with(|h| h.borrow_mut().entry(relid).or_default().escalated = true);
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_transaction_end(event: pg_sys::XactEvent::Type, _arg: *mut std::ffi::c_void) {
    use pg_sys::XactEvent::*;
    if matches!(event, XACT_EVENT_COMMIT | XACT_EVENT_ABORT | XACT_EVENT_PREPARE | XACT_EVENT_PARALLEL_COMMIT | XACT_EVENT_PARALLEL_ABORT) {
        HELD.with(|h| h.borrow_mut().clear());
    }
}

pub fn register_transaction_callback() {
    unsafe { pg_sys::RegisterXactCallback(Some(on_transaction_end), std::ptr::null_mut()) };
}
