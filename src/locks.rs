//! Serializing inserts per key. Every insert into a versioned table holds an exclusive
//! advisory lock on (table, hash of the key), normally until its transaction ends (a savepoint
//! rolled back releases the locks taken since). The tag uses a lock-tag field4 that
//! pg_advisory_lock() never uses, so it cannot collide with the application's own advisory
//! locks.
//!
//! A transaction holds at most `versioning.key_lock_limit` key locks per table, so no load of
//! any size can exhaust the shared lock table (docs/concurrency.md, "Bulk loads"). Past the
//! limit (a bulk load):
//! - it locks the table itself in Exclusive mode when it can at once — every writer of the
//!   table holds RowExclusive until its transaction ends, so this succeeds only when no other
//!   transaction has written the table, and from then on none can: no more key locks are
//!   needed. Tried again every `RETRY_EVERY` new keys; never waits, so it adds no deadlock;
//! - otherwise it releases its oldest key locks taken at the current (sub)transaction level.
//!   A released key's row is already stored (the current row's key is always the newest lock),
//!   so another inserter of that key finds it in flight and waits for this transaction, as
//!   PostgreSQL's unique check would (`probe`, "versions in flight"); what this transaction
//!   knew about the key is forgotten (`key_cache`).
//!
//! Key locks are owned by the (sub)transaction that took them — not by the statement's portal —
//! so that a later statement of it can release them.
use pgrx::pg_sys::{self, Oid};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

const KEY_SPACE: u16 = 0x7676; // "vv"

/// New key locks past the limit between two attempts to lock the table.
const RETRY_EVERY: usize = 32;

/// A key lock held: the key's hash and the (sub)transaction nesting level that owns it.
struct Held {
    key_hash: u32,
    level: i32,
}

#[derive(Default)]
struct TableLocks {
    /// the key locks held on the table, oldest first
    held: VecDeque<Held>,
    /// new key locks taken past the limit (for the escalation's retry cadence)
    beyond: usize,
    escalated: bool,
}

thread_local! {
    /// Per table, this transaction's key locks. Cleared when the transaction ends.
    static HELD: RefCell<HashMap<Oid, TableLocks>> = RefCell::new(HashMap::new());
}

fn tag(relid: Oid, key_hash: u32) -> pg_sys::LOCKTAG {
    pg_sys::LOCKTAG {
        locktag_field1: unsafe { pg_sys::MyDatabaseId }.to_u32(),
        locktag_field2: relid.to_u32(),
        locktag_field3: key_hash,
        locktag_field4: KEY_SPACE,
        locktag_type: pg_sys::LockTagType::LOCKTAG_ADVISORY as u8,
        locktag_lockmethodid: pg_sys::USER_LOCKMETHOD as u8,
    }
}

fn level() -> i32 {
    unsafe { pg_sys::GetCurrentTransactionNestLevel() }
}

/// Runs `f` with the current (sub)transaction's resource owner, which owns the key locks.
fn as_transaction_owner<R>(f: impl FnOnce() -> R) -> R {
    unsafe {
        let owner = pg_sys::CurrentResourceOwner;
        pg_sys::CurrentResourceOwner = pg_sys::CurTransactionResourceOwner;
        let r = f();
        pg_sys::CurrentResourceOwner = owner;
        r
    }
}

/// The key's lock; true when this transaction did not hold it yet.
fn acquire_key(relid: Oid, key_hash: u32) -> bool {
    let tag = tag(relid, key_hash);
    as_transaction_owner(|| unsafe {
        pg_sys::LockAcquire(&tag, pg_sys::ExclusiveLock as i32, false, false)
            == pg_sys::LockAcquireResult::LOCKACQUIRE_OK
    })
}

/// Releases a key lock this (sub)transaction level took.
fn release_key(relid: Oid, key_hash: u32) {
    let tag = tag(relid, key_hash);
    as_transaction_owner(|| unsafe {
        pg_sys::LockRelease(&tag, pg_sys::ExclusiveLock as i32, false)
    });
    crate::key_cache::forget_key(relid, key_hash);
}

/// Waits until no other transaction can be inserting this key, and keeps it so until the
/// end of the transaction (or, past the limit, until this transaction's row of it is stored).
pub fn lock_key(relid: Oid, key_hash: u32) {
    let escalated = HELD.with(|h| h.borrow().get(&relid).is_some_and(|t| t.escalated));
    if escalated || !acquire_key(relid, key_hash) {
        return;
    }
    let limit = crate::guc::KEY_LOCK_LIMIT.get().max(1) as usize;
    let level = level();
    let try_escalate = HELD.with(|h| {
        let mut h = h.borrow_mut();
        let t = h.entry(relid).or_default();
        t.held.push_back(Held { key_hash, level });
        if t.held.len() <= limit {
            return false;
        }
        t.beyond += 1;
        (t.beyond - 1) % RETRY_EVERY == 0
    });
    if try_escalate
        && unsafe { pg_sys::ConditionalLockRelationOid(relid, pg_sys::ExclusiveLock as i32) }
    {
        HELD.with(|h| h.borrow_mut().entry(relid).or_default().escalated = true);
        return;
    }
    // the oldest locks of this level, beyond the limit (never the one just taken: it is last)
    let released: Vec<u32> = HELD.with(|h| {
        let mut h = h.borrow_mut();
        let t = h.entry(relid).or_default();
        let mut over = t.held.len().saturating_sub(limit);
        let mut released = Vec::new();
        t.held.retain(|held| {
            let release = over > 0 && held.level == level && held.key_hash != key_hash;
            if release {
                over -= 1;
                released.push(held.key_hash);
            }
            !release
        });
        released
    });
    for old in released {
        release_key(relid, old);
    }
}

/// The transaction ended: forget what we recorded (PostgreSQL released the locks).
pub fn forget() {
    HELD.with(|h| h.borrow_mut().clear());
}

/// A subtransaction (nesting level `level`) ends. Committed: its locks now belong to its
/// parent. Rolled back: its locks are gone, and so is a table lock it took (the next insert
/// locks its key again).
pub fn subtransaction_ended(level: i32, committed: bool) {
    HELD.with(|h| {
        for t in h.borrow_mut().values_mut() {
            if committed {
                for held in t.held.iter_mut().filter(|held| held.level == level) {
                    held.level = level - 1;
                }
            } else {
                t.held.retain(|held| held.level < level);
                t.escalated = false;
            }
        }
    });
}
