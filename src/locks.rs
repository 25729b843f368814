//! Serializing inserts per key. Every insert into a versioned table holds an exclusive
//! advisory lock on (table, hash of the key) until its transaction ends. The tag uses a
//! lock-tag field4 that pg_advisory_lock() never uses, so it cannot collide with the
//! application's own advisory locks.
//!
//! A transaction that has locked more than `versioning.key_lock_limit` keys of one table (a bulk
//! load) locks the table itself in Exclusive mode instead and stops taking key locks, so the
//! shared lock table cannot run out. Every writer of the table holds RowExclusive on it until
//! its transaction ends, so the upgrade succeeds only when no other transaction has written the
//! table (none can hold an uncommitted version), and from then on no other transaction can
//! write it; readers are not blocked. The upgrade is only tried when the lock is free at that
//! moment (otherwise again a little later), so escalation never waits and never adds a deadlock.
use pgrx::pg_sys::{self, Oid};
use std::cell::RefCell;
use std::collections::HashMap;

const KEY_SPACE: u16 = 0x7676; // "vv"

/// New key locks between two attempts to escalate when the table was busy.
const RETRY_EVERY: i32 = 32;

#[derive(Default)]
struct TableLocks {
    keys: i32,
    escalated: bool,
}

thread_local! {
    /// Per table, this transaction's key locks. Cleared when the transaction ends.
    static HELD: RefCell<HashMap<Oid, TableLocks>> = RefCell::new(HashMap::new());
}

/// The key's lock; true when this transaction did not hold it yet.
fn acquire_key(relid: Oid, key_hash: u32) -> bool {
    unsafe {
        let tag = pg_sys::LOCKTAG {
            locktag_field1: pg_sys::MyDatabaseId.to_u32(),
            locktag_field2: relid.to_u32(),
            locktag_field3: key_hash,
            locktag_field4: KEY_SPACE,
            locktag_type: pg_sys::LockTagType::LOCKTAG_ADVISORY as u8,
            locktag_lockmethodid: pg_sys::USER_LOCKMETHOD as u8,
        };
        pg_sys::LockAcquire(&tag, pg_sys::ExclusiveLock as i32, false, false)
            == pg_sys::LockAcquireResult::LOCKACQUIRE_OK
    }
}

/// Waits until no other transaction can be inserting this key, and keeps it so until the
/// end of the transaction.
pub fn lock_key(relid: Oid, key_hash: u32) {
    let escalated = HELD.with(|h| h.borrow().get(&relid).is_some_and(|t| t.escalated));
    if escalated || !acquire_key(relid, key_hash) {
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
        && unsafe { pg_sys::ConditionalLockRelationOid(relid, pg_sys::ExclusiveLock as i32) }
    {
        HELD.with(|h| h.borrow_mut().entry(relid).or_default().escalated = true);
    }
}

/// The transaction ended, or a subtransaction rolled back (releasing the locks it took, the
/// table lock included): forget what we recorded; the next insert locks its key again.
pub fn forget() {
    HELD.with(|h| h.borrow_mut().clear());
}
