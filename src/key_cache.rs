//! What this transaction already knows about keys it holds locked, so that inserting many
//! versions of one key in a transaction (a bulk load, an import) does not probe the indexes
//! for every row. Bounded (`MAX_KEYS`, `MAX_HASHES`): what does not fit is read from the
//! indexes again.
//!
//! Sound because nobody else can add a version to a key while we hold its lock, and because
//! everything that could make an entry wrong forgets it:
//! - the key's lock is released early (a bulk load past `versioning.key_lock_limit`): its entry;
//! - the transaction ends, or a subtransaction rolls back (its rows, and maybe its key
//!   locks, are gone): everything is forgotten;
//! - the table's relcache entry is invalidated (TRUNCATE, enable/disable, ALTER): its entries;
//! - a version is updated or deleted through the guard, or inserted in restore mode: its table;
//! - a row we numbered might not be stored although no error occurs: when a BEFORE trigger
//!   that fires after ours could drop it, the table is never cached (`TableState::cacheable`);
//!   when the transaction runs an INSERT … ON CONFLICT (which skips rows after the BEFORE
//!   triggers ran), nothing is cached until the transaction ends.
use pgrx::pg_sys::{self, Datum, Oid};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// A cheap hasher for maps keyed by values that are already hashes (key lock hashes, SHA-256
/// content hashes): SipHash costs more than the rest of a cache lookup. The keys come from
/// PostgreSQL's hash functions and SHA-256, so spreading them is all that is needed.
#[derive(Clone, Copy, Default)]
pub struct Spread(u64);

impl std::hash::Hasher for Spread {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

pub type SpreadMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Spread>>;
pub type SpreadSet<K> = std::collections::HashSet<K, std::hash::BuildHasherDefault<Spread>>;

/// A content hash as the cache keeps it: its first 8 bytes. A key's set of them proves that a
/// hash is new when it is absent; a hash that is present is confirmed by an index probe (two
/// contents may share a prefix). A quarter of the memory of whole hashes and versions.
pub fn prefix(hash: &[u8; 32]) -> u64 {
    u64::from_le_bytes(hash[..8].try_into().expect("8 bytes"))
}

pub struct Known {
    /// the latest version: number, hash, primary key (in TopTransactionContext)
    pub latest: Option<(i64, Option<[u8; 32]>, Option<Datum>)>,
    /// every hash of the key (its `prefix`), when the history is small enough to hold
    pub hashes: Option<SpreadSet<u64>>,
    /// the key as the audit log stores it
    pub logged_key: Option<crate::audit::LoggedKey>,
}

/// (table, key lock hash) → (the key's bytes, what is known about it)
type Entries = SpreadMap<(Oid, u32), (Vec<u8>, Known)>;

/// A transaction's memory stays bounded whatever it inserts: at most this many keys are known
/// (past it, everything is forgotten and read again from the indexes) …
const MAX_KEYS: usize = 65_536;
/// … and room for this many content hashes across them, counted as the sets' capacity (what
/// they occupy: a set doubles as it grows, so counting its hashes would let memory double
/// past the bound). Past it, a key's hashes are dropped and its duplicates found by an index
/// probe per row. About 10 bytes a hash, 10 MB in all.
const MAX_HASHES: usize = 1_048_576;

thread_local! {
    static KNOWN: RefCell<Entries> = RefCell::new(Entries::default());
    /// the room for hashes the entries of KNOWN take (see `hashes_of`)
    static HASHES: Cell<usize> = const { Cell::new(0) };
    static ON_CONFLICT_SEEN: Cell<bool> = const { Cell::new(false) };
}

/// The room a key's hashes take (their set's capacity), as `MAX_HASHES` counts it.
fn hashes_of(known: &Known) -> usize {
    known.hashes.as_ref().map_or(0, SpreadSet::capacity)
}

fn count_hashes(delta: isize) {
    HASHES.with(|h| h.set(h.get().saturating_add_signed(delta)));
}

pub fn usable() -> bool {
    !ON_CONFLICT_SEEN.with(|c| c.get())
}

/// Takes the entry for a key out of the cache (put it back with `put`). `key` is the key's
/// bytes: an entry is only used for the very same bytes; another key with the same lock hash
/// (or another spelling of an equal key) replaces it.
pub fn take(relid: Oid, key_hash: u32, key: &[u8]) -> Option<Known> {
    let (bytes, known) = KNOWN.with(|k| k.borrow_mut().remove(&(relid, key_hash)))?;
    count_hashes(-(hashes_of(&known) as isize));
    (bytes == key).then_some(known)
}

pub fn put(relid: Oid, key_hash: u32, key: Vec<u8>, mut known: Known) {
    if !usable() {
        return;
    }
    if HASHES.with(Cell::get) + hashes_of(&known) > MAX_HASHES {
        known.hashes = None;
    }
    if KNOWN.with(|k| k.borrow().len()) >= MAX_KEYS {
        forget_all();
    }
    count_hashes(hashes_of(&known) as isize);
    let replaced = KNOWN.with(|k| k.borrow_mut().insert((relid, key_hash), (key, known)));
    if let Some((_, old)) = replaced {
        count_hashes(-(hashes_of(&old) as isize));
    }
}

/// The key lock `key_hash` was released early (src/locks.rs): what it guarded is forgotten.
pub fn forget_key(relid: Oid, key_hash: u32) {
    if let Some((_, old)) = KNOWN.with(|k| k.borrow_mut().remove(&(relid, key_hash))) {
        count_hashes(-(hashes_of(&old) as isize));
    }
}

pub fn forget_table(relid: Oid) {
    KNOWN.with(|k| {
        k.borrow_mut().retain(|(r, _), (_, known)| {
            let keep = *r != relid;
            if !keep {
                count_hashes(-(hashes_of(known) as isize));
            }
            keep
        })
    });
}

pub fn forget_all() {
    KNOWN.with(|k| k.borrow_mut().clear());
    HASHES.with(|h| h.set(0));
}

/// A primary key copied where it lives as long as the transaction.
pub fn keep(datum: Datum, typbyval: bool, typlen: i16) -> Datum {
    unsafe {
        let old = pg_sys::MemoryContextSwitchTo(pg_sys::TopTransactionContext);
        let copy = crate::pg::datum_copy(datum, typbyval, typlen);
        pg_sys::MemoryContextSwitchTo(old);
        copy
    }
}

/// The transaction ended: nothing is known, and ON CONFLICT no longer matters.
pub fn transaction_ended() {
    forget_all();
    ON_CONFLICT_SEEN.with(|c| c.set(false));
}

static mut PREVIOUS_EXECUTOR_START: pg_sys::ExecutorStart_hook_type = None;

/// Notes an INSERT … ON CONFLICT (at top level or in a CTE) before it runs.
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn executor_start(query: *mut pg_sys::QueryDesc, eflags: i32) {
    let stmt = (*query).plannedstmt;
    if !stmt.is_null() && has_on_conflict(stmt) {
        ON_CONFLICT_SEEN.with(|c| c.set(true));
        forget_all();
    }
    match PREVIOUS_EXECUTOR_START {
        Some(previous) => previous(query, eflags),
        None => pg_sys::standard_ExecutorStart(query, eflags),
    }
}

unsafe fn has_on_conflict(stmt: *mut pg_sys::PlannedStmt) -> bool {
    let on_conflict = |plan: *mut pg_sys::Plan| {
        !plan.is_null()
            && (*plan).type_ == pg_sys::NodeTag::T_ModifyTable
            && (*(plan as *mut pg_sys::ModifyTable)).onConflictAction
                != pg_sys::OnConflictAction::ONCONFLICT_NONE
    };
    if on_conflict((*stmt).planTree) {
        return true;
    }
    let subplans = (*stmt).subplans;
    let n = pg_sys::list_length(subplans);
    (0..n).any(|i| {
        on_conflict((*(*subplans).elements.add(i as usize)).ptr_value as *mut pg_sys::Plan)
    })
}

pub fn register_executor_hook() {
    unsafe {
        PREVIOUS_EXECUTOR_START = pg_sys::ExecutorStart_hook;
        pg_sys::ExecutorStart_hook = Some(executor_start);
    }
}
