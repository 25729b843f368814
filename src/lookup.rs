//! What the INSERT path needs to know about a key, read after its lock is held:
//! the latest version (number, hash, primary key) and, for dedup 'any', a version with the
//! same hash.
//!
//! Two implementations give the same answers:
//! - `index` (default): direct probes of the btree indexes `enable` created, with a fresh
//!   snapshot that also sees this transaction's rows so far, including earlier rows of the
//!   current statement (`KeySnapshot`). About 2 µs a probe.
//! - `spi`: one kept SQL plan per NULL pattern of the key, run with a fresh snapshot. The
//!   readable reference (`SET versioning.lookup_method = spi`); the tests run both.
use crate::guc::{self, LookupMethod};
use crate::pg;
use crate::spi::{self, Snapshot};
use crate::table_state::TableState;
use pgrx::pg_sys::{self, Datum, Oid};
use std::cell::RefCell;
use std::collections::HashMap;

pub struct Latest {
    pub version: i64,
    /// its content hash
    pub hash: Option<[u8; 32]>,
    /// its primary key (for parent_column), copied into the caller's memory context
    pub primary_key: Option<Datum>,
    /// the transaction's own snapshot sees it (always true under READ COMMITTED)
    pub visible_to_transaction: bool,
}

pub struct KeyState {
    pub latest: Option<Latest>,
    /// a version with the same hash (dedup 'any' only)
    pub duplicate: Option<i64>,
}

/// A btree index whose leading columns are the key columns (in any order) followed by
/// `last` (the version or the hash column), probed with equality on all of them.
pub struct IndexProbe {
    index: Oid,
    /// per index column: heap column index, equality function, collation
    columns: Vec<(usize, Oid, Oid)>,
    /// the last column's >= function (a lower bound for the version probe)
    last_ge: Oid,
}

impl IndexProbe {
    /// Finds a usable index on `rel`: btree, valid, no expressions or predicate, columns
    /// exactly the key set followed by `last`.
    pub unsafe fn find(rel: pg_sys::Relation, key: &[usize], last: usize) -> Option<IndexProbe> {
        let mut found = None;
        for oid in pg::index_oids(rel) {
            let index = pg_sys::index_open(oid, pg_sys::AccessShareLock as i32);
            let form = &*(*index).rd_index;
            let natts = form.indnatts as usize;
            let cols: Vec<usize> = form
                .indkey
                .values
                .as_slice(natts)
                .iter()
                .map(|&a| a as usize)
                .collect();
            let usable = (*(*index).rd_rel).relam == pg_sys::BTREE_AM_OID
                && form.indisvalid
                && pg::is_plain_index(index)
                && natts == key.len() + 1
                && cols.iter().all(|&a| a > 0)
                && cols[natts - 1] == last + 1
                && key.iter().all(|k| cols[..natts - 1].contains(&(k + 1)));
            if usable && found.is_none() {
                let procedure = |j: usize, strategy: u32| {
                    let family = *(*index).rd_opfamily.add(j);
                    let intype = *(*index).rd_opcintype.add(j);
                    pg_sys::get_opcode(pg_sys::get_opfamily_member(
                        family,
                        intype,
                        intype,
                        strategy as i16,
                    ))
                };
                let columns = (0..natts)
                    .map(|j| {
                        (
                            cols[j] - 1,
                            procedure(j, pg_sys::BTEqualStrategyNumber),
                            *(*index).rd_indcollation.add(j),
                        )
                    })
                    .collect();
                found = Some(IndexProbe {
                    index: oid,
                    columns,
                    last_ge: procedure(natts - 1, pg_sys::BTGreaterEqualStrategyNumber),
                });
            }
            pg_sys::index_close(index, pg_sys::AccessShareLock as i32);
        }
        found
    }

    /// Runs `f` on the first tuple the probe finds (in `direction`), with its deformed values.
    /// `lower_bound` (a datum of the last column's type) limits the last column when the
    /// others are all constrained.
    #[allow(clippy::too_many_arguments)]
    unsafe fn first<R>(
        &self,
        heap: pg_sys::Relation,
        sees: Sees,
        row: (&[Datum], &[bool]),
        constrained: usize,
        lower_bound: Option<Datum>,
        direction: pg_sys::ScanDirection::Type,
        f: impl FnOnce(*mut pg_sys::TupleTableSlot) -> R,
    ) -> Option<R> {
        let mut f = Some(f);
        let mut result = None;
        self.each(
            heap,
            sees,
            row,
            constrained,
            lower_bound,
            direction,
            |slot| {
                result = f.take().map(|f| f(slot));
                false
            },
        );
        result
    }

    /// Runs `f` on each tuple the probe finds (in `direction`) while it returns true, with
    /// the first `constrained` index columns equal to the row's values (NULL matching NULL)
    /// and the last column at least `lower_bound`, if given.
    #[allow(clippy::too_many_arguments)]
    unsafe fn each(
        &self,
        heap: pg_sys::Relation,
        sees: Sees,
        (values, nulls): (&[Datum], &[bool]),
        constrained: usize,
        lower_bound: Option<Datum>,
        direction: pg_sys::ScanDirection::Type,
        mut f: impl FnMut(*mut pg_sys::TupleTableSlot) -> bool,
    ) -> Option<InFlight> {
        // The INSERT already holds RowExclusiveLock on every index of the table.
        let index = pg_sys::index_open(self.index, pg_sys::NoLock as i32);
        let mut keys: Vec<pg_sys::ScanKeyData> = vec![std::mem::zeroed(); constrained];
        if let Some(bound) = lower_bound {
            let mut key: pg_sys::ScanKeyData = std::mem::zeroed();
            pg_sys::ScanKeyEntryInitialize(
                &mut key,
                0,
                self.columns.len() as i16,
                pg_sys::BTGreaterEqualStrategyNumber as u16,
                Oid::INVALID,
                Oid::INVALID,
                self.last_ge,
                bound,
            );
            keys.push(key);
        }
        for (j, &(col, eq, collation)) in self.columns.iter().take(constrained).enumerate() {
            let attno = (j + 1) as i16;
            if nulls[col] {
                pg_sys::ScanKeyEntryInitialize(
                    &mut keys[j],
                    (pg_sys::SK_ISNULL | pg_sys::SK_SEARCHNULL) as i32,
                    attno,
                    0,
                    Oid::INVALID,
                    Oid::INVALID,
                    Oid::INVALID,
                    Datum::from(0),
                );
            } else {
                pg_sys::ScanKeyEntryInitialize(
                    &mut keys[j],
                    0,
                    attno,
                    pg_sys::BTEqualStrategyNumber as u16,
                    Oid::INVALID,
                    collation,
                    eq,
                    values[col],
                );
            }
        }
        let (snapshot, recheck, wait) = match sees {
            Sees::Snapshot(s) => (s, None, false),
            Sees::Stable(s) => (std::ptr::addr_of_mut!(pg_sys::SnapshotAnyData), Some(s), false),
            Sees::StableWaiting(s) => (std::ptr::addr_of_mut!(pg_sys::SnapshotAnyData), Some(s), true),
        };
        let mut in_flight = None;
        let scan = pg_sys::index_beginscan(heap, index, snapshot, keys.len() as i32, 0);
        pg_sys::index_rescan(
            scan,
            keys.as_mut_ptr(),
            keys.len() as i32,
            std::ptr::null_mut(),
            0,
        );
        let slot = pg_sys::MakeSingleTupleTableSlot((*heap).rd_att, &pg_sys::TTSOpsBufferHeapTuple);
        while pg_sys::index_getnext_slot(scan, direction, slot) {
            if recheck.is_some_and(|s| !satisfies(slot, s)) {
                in_flight = if wait { in_flight_insert(slot) } else { None };
                if in_flight.is_some() {
                    break;
                }
                continue;
            }
            pg_sys::slot_getsomeattrs_int(slot, (*(*heap).rd_att).natts);
            if !f(slot) {
                break;
            }
        }
        pg_sys::ExecDropSingleTupleTableSlot(slot);
        pg_sys::index_endscan(scan);
        pg_sys::index_close(index, pg_sys::NoLock as i32);
        in_flight
    }
}

/// Which tuples a probe finds.
#[derive(Clone, Copy)]
pub(crate) enum Sees {
    /// those an MVCC snapshot sees, the index scan reading with it (under SERIALIZABLE the read
    /// is tracked by SSI, as any query's)
    Snapshot(pg_sys::Snapshot),
    /// those a [`KeySnapshot`] sees: the scan reads every tuple (SnapshotAny) and each is
    /// checked against the snapshot, so the check is as of one instant for the whole scan and
    /// the probe, a lookup of the extension's own, takes no SSI predicate locks
    Stable(pg_sys::Snapshot),
    /// as `Stable`, but a row another transaction is still inserting as a new row (without the
    /// key's lock: a session with triggers off, such as logical replication's apply worker)
    /// stops the scan and is reported, to be waited for
    StableWaiting(pg_sys::Snapshot),
}

/// A row another transaction is still inserting: that transaction and the row's TID.
pub(crate) struct InFlight(pg_sys::TransactionId, pg_sys::ItemPointerData);

impl InFlight {
    /// Waits until the inserting transaction has ended (as PostgreSQL's unique check does).
    unsafe fn wait(mut self, heap: pg_sys::Relation) {
        pg_sys::XactLockTableWait(self.0, heap, &mut self.1, pg_sys::XLTW_Oper::XLTW_InsertIndexUnique);
    }
}

/// The tuple in `slot`, which the key snapshot does not see, as a row in flight: inserted — not
/// by an UPDATE, whose old row the snapshot sees — by another transaction still in progress.
unsafe fn in_flight_insert(slot: *mut pg_sys::TupleTableSlot) -> Option<InFlight> {
    let tuple = (*(slot as *mut pg_sys::BufferHeapTupleTableSlot)).base.tuple;
    let header = &*(*tuple).t_data;
    let infomask = header.t_infomask as u32;
    if infomask & (pg_sys::HEAP_XMIN_COMMITTED | pg_sys::HEAP_XMIN_INVALID | pg_sys::HEAP_UPDATED) != 0 {
        return None;
    }
    let xmin = header.t_choice.t_heap.t_xmin;
    (!pg_sys::TransactionIdIsCurrentTransactionId(xmin) && pg_sys::TransactionIdIsInProgress(xmin))
        .then(|| InFlight(xmin, (*slot).tts_tid))
}

/// Whether `snapshot` sees the heap tuple in `slot` (a buffer heap tuple slot, pinned).
unsafe fn satisfies(slot: *mut pg_sys::TupleTableSlot, snapshot: pg_sys::Snapshot) -> bool {
    let slot = slot as *mut pg_sys::BufferHeapTupleTableSlot;
    let buffer = (*slot).buffer;
    pg_sys::LockBuffer(buffer, pg_sys::BUFFER_LOCK_SHARE as i32);
    let visible = pg_sys::HeapTupleSatisfiesVisibility((*slot).base.tuple, snapshot, buffer);
    pg_sys::LockBuffer(buffer, pg_sys::BUFFER_LOCK_UNLOCK as i32);
    visible
}

/// Reads the key's state; `values`/`nulls` are the new row with its computed hash filled in,
/// `key_hash` the key's lock hash.
pub fn read(
    state: &TableState,
    heap: pg_sys::Relation,
    values: &[Datum],
    nulls: &[bool],
    hash: Option<&[u8; 32]>,
    key_hash: u32,
) -> KeyState {
    match state
        .probes
        .as_ref()
        .filter(|_| guc::LOOKUP_METHOD.get() == LookupMethod::Index)
    {
        Some(probes) => pg::as_user(state.owner, || unsafe {
            read_index(state, probes, heap, values, nulls, hash, key_hash)
        }),
        None => pg::as_user(state.owner, || read_spi(state, values, nulls)),
    }
}

pub struct Probes {
    pub version: IndexProbe,
    pub hash: Option<IndexProbe>,
}

/// The snapshot the probes read a key with, taken after its lock is held: everything committed
/// now, and this transaction's own rows so far — earlier rows of the current statement too —
/// as SnapshotSelf shows them, but fixed for the whole read. (A non-MVCC snapshot is checked
/// when a tuple is fetched, after the scan copied its index page: an UPDATE of the latest
/// version that commits in between shows neither the old tuple, now dead, nor the new one,
/// whose index entry the copy predates — and the insert would number that version again.)
pub(crate) struct KeySnapshot(pg_sys::Snapshot);

impl KeySnapshot {
    pub(crate) fn take() -> KeySnapshot {
        unsafe {
            // a registered copy: ours to change, and valid whatever runs meanwhile
            let snapshot = pg_sys::RegisterSnapshot(pg_sys::GetLatestSnapshot());
            // rows of the current command count as those of earlier commands do
            (*snapshot).curcid = pg_sys::GetCurrentCommandId(false) + 1;
            KeySnapshot(snapshot)
        }
    }

    pub(crate) fn sees(&self) -> Sees {
        Sees::Stable(self.0)
    }

    pub(crate) fn sees_waiting(&self) -> Sees {
        Sees::StableWaiting(self.0)
    }
}

impl Drop for KeySnapshot {
    fn drop(&mut self) {
        unsafe { pg_sys::UnregisterSnapshot(self.0) }
    }
}

thread_local! {
    /// (table, key lock hash) → a version the key had when this session last read or wrote
    /// it. The latest-version probe starts from there: a backward index scan reads every
    /// entry of the key on its leaf page, one from a lower bound only those above it. Only a
    /// hint: when nothing is found from it (the key's newest versions were deleted or rolled
    /// back, or another key shares the hash), the probe runs again without it.
    static VERSION_HINTS: RefCell<HashMap<(Oid, u32), i64>> = RefCell::new(HashMap::new());
}

/// Hints kept per session, at most (a bounded cache, cleared when full).
const MAX_VERSION_HINTS: usize = 100_000;

/// Notes that `key_hash`'s key in `relid` has (or had) `version`.
pub fn hint_version(relid: Oid, key_hash: u32, version: i64) {
    VERSION_HINTS.with(|h| {
        let mut h = h.borrow_mut();
        if h.len() >= MAX_VERSION_HINTS {
            h.clear();
        }
        h.insert((relid, key_hash), version);
    });
}

#[allow(clippy::too_many_arguments)]
unsafe fn read_index(
    state: &TableState,
    probes: &Probes,
    heap: pg_sys::Relation,
    values: &[Datum],
    nulls: &[bool],
    hash: Option<&[u8; 32]>,
    key_hash: u32,
) -> KeyState {
    let backward = pg_sys::ScanDirection::BackwardScanDirection;
    let version_of = |slot: *mut pg_sys::TupleTableSlot| {
        pg::int_from_datum(
            *(*slot).tts_values.add(state.version.index),
            state.version.typid,
        )
    };
    let read_latest = |slot: *mut pg_sys::TupleTableSlot| {
        let v = |i: usize| (!*(*slot).tts_isnull.add(i)).then(|| *(*slot).tts_values.add(i));
        Latest {
            version: v(state.version.index)
                .map_or(0, |d| pg::int_from_datum(d, state.version.typid)),
            hash: state
                .hash
                .as_ref()
                .and_then(|h| v(h.index).and_then(|d| stored_hash(d, h.typid))),
            primary_key: state
                .primary_key
                .as_ref()
                .and_then(|p| v(p.index).map(|d| pg::datum_copy(d, p.typbyval, p.typlen))),
            visible_to_transaction: !pg::uses_transaction_snapshot()
                || visible_to_transaction(slot),
        }
    };
    let latest_from = |lower_bound: Option<i64>| loop {
        let now = KeySnapshot::take();
        let mut latest = None;
        let in_flight = probes.version.each(
            heap,
            now.sees_waiting(),
            (values, nulls),
            state.key.len(),
            lower_bound.map(|v| pg::int_datum(v, state.version.typid)),
            backward,
            |slot| {
                latest = Some(read_latest(slot));
                false
            },
        );
        match in_flight {
            Some(insert) => insert.wait(heap), // then look again
            None => break latest,
        }
    };
    let hint = VERSION_HINTS.with(|h| h.borrow().get(&(state.relid, key_hash)).copied());
    let mut latest = match hint {
        Some(v) => latest_from(Some(v)).or_else(|| latest_from(None)),
        None => latest_from(None),
    };
    match &latest {
        Some(l) => hint_version(state.relid, key_hash, l.version),
        None => {
            VERSION_HINTS.with(|h| h.borrow_mut().remove(&(state.relid, key_hash)));
        }
    }
    if let Some(l) = latest.as_mut().filter(|l| !l.visible_to_transaction) {
        // The newest tuple is not visible to this transaction, but that may be a concurrent
        // UPDATE of a mutable column rather than a new version: what matters (as in the SPI
        // reference) is whether the transaction sees the same latest version number.
        let seen = probes.version.first(
            heap,
            Sees::Snapshot(pg_sys::GetTransactionSnapshot()),
            (values, nulls),
            state.key.len(),
            None,
            backward,
            version_of,
        );
        l.visible_to_transaction = seen == Some(l.version);
    }
    let duplicate = match (&latest, &probes.hash, state.config.dedup) {
        (Some(_), Some(probe), crate::config::Dedup::Any) if hash.is_some() => probe.first(
            heap,
            KeySnapshot::take().sees(),
            (values, nulls),
            state.key.len() + 1,
            None,
            pg_sys::ScanDirection::ForwardScanDirection,
            version_of,
        ),
        _ => None,
    };
    KeyState { latest, duplicate }
}

/// A stored hash (bytea, or text of 64 hex digits) as bytes; None if it is neither.
pub unsafe fn stored_hash(stored: Datum, typid: Oid) -> Option<[u8; 32]> {
    let bytes = pg::varlena_bytes(stored);
    match typid {
        pg_sys::BYTEAOID => bytes.try_into().ok(),
        _ => crate::content::from_hex(bytes),
    }
}

/// A version of the key with the row's hash (the probe of the hash index alone).
pub fn duplicate(
    state: &TableState,
    heap: pg_sys::Relation,
    values: &[Datum],
    nulls: &[bool],
) -> Option<i64> {
    let probe = state.probes.as_ref()?.hash.as_ref()?;
    pg::as_user(state.owner, || unsafe {
        let now = KeySnapshot::take();
        probe.first(
            heap,
            now.sees(),
            (values, nulls),
            state.key.len() + 1,
            None,
            pg_sys::ScanDirection::ForwardScanDirection,
            |slot| {
                pg::int_from_datum(
                    *(*slot).tts_values.add(state.version.index),
                    state.version.typid,
                )
            },
        )
    })
}

/// Every (hash → version) of the key, or None if it has more than `limit` versions.
pub fn hashes(
    state: &TableState,
    heap: pg_sys::Relation,
    values: &[Datum],
    nulls: &[bool],
    limit: usize,
) -> Option<std::collections::HashMap<[u8; 32], i64>> {
    let probe = state.probes.as_ref()?.hash.as_ref()?;
    let h = state.hash.as_ref()?;
    let mut found = std::collections::HashMap::new();
    let mut complete = true;
    pg::as_user(state.owner, || unsafe {
        let now = KeySnapshot::take();
        probe.each(
            heap,
            now.sees(),
            (values, nulls),
            state.key.len(),
            None,
            pg_sys::ScanDirection::ForwardScanDirection,
            |slot| {
                if found.len() == limit {
                    complete = false;
                    return false;
                }
                let v =
                    |i: usize| (!*(*slot).tts_isnull.add(i)).then(|| *(*slot).tts_values.add(i));
                if let (Some(hash), Some(version)) = (
                    v(h.index).and_then(|d| stored_hash(d, h.typid)),
                    v(state.version.index),
                ) {
                    found.insert(hash, pg::int_from_datum(version, state.version.typid));
                }
                true
            },
        )
    });
    complete.then_some(found)
}

/// Whether the transaction snapshot (REPEATABLE READ / SERIALIZABLE) sees the tuple in
/// `slot`, which SnapshotSelf found: it does when this transaction inserted it, when it is
/// frozen, or when its inserter had committed before the snapshot was taken.
unsafe fn visible_to_transaction(slot: *mut pg_sys::TupleTableSlot) -> bool {
    let mut should_free = false;
    let tuple = pg_sys::ExecFetchSlotHeapTuple(slot, false, &mut should_free);
    let header = &*(*tuple).t_data;
    let xmin = header.t_choice.t_heap.t_xmin;
    let frozen = header.t_infomask as u32 & pg_sys::HEAP_XMIN_FROZEN == pg_sys::HEAP_XMIN_FROZEN;
    pg_sys::TransactionIdIsCurrentTransactionId(xmin)
        || frozen
        || !pg_sys::XidInMVCCSnapshot(xmin, pg_sys::GetTransactionSnapshot())
}

fn read_spi(state: &TableState, values: &[Datum], nulls: &[bool]) -> KeyState {
    let args = spi_args(state, values, nulls);
    let args = &args;
    let _session = spi::Session::connect();
    let null_mask = state.null_mask(nulls);
    let plans = state.plans(null_mask);
    let run = |snapshot| {
        if plans.lookup.execute(args, snapshot, 1) == 0 {
            return None;
        }
        let int = |d: Datum| pg::int_from_datum(d, state.version.typid);
        Some((
            int(spi::value(0, 1)?),
            state
                .hash
                .as_ref()
                .and_then(|h| spi::value(0, 2).and_then(|d| unsafe { stored_hash(d, h.typid) })),
            state
                .primary_key
                .as_ref()
                .and_then(|p| spi::value(0, 3).map(|d| spi::transfer(d, p.typbyval, p.typlen))),
            spi::value(0, 4).map(int),
        ))
    };
    let now = run(Snapshot::Latest);
    // Under REPEATABLE READ / SERIALIZABLE the same plan with the transaction's snapshot tells
    // whether that snapshot sees the latest version.
    let seen_version = if pg::uses_transaction_snapshot() {
        run(Snapshot::Transaction).map(|r| r.0)
    } else {
        now.as_ref().map(|r| r.0)
    };
    let duplicate = now.as_ref().and_then(|r| r.3);
    KeyState {
        latest: now.map(|(version, hash, primary_key, _)| Latest {
            version,
            hash,
            primary_key,
            visible_to_transaction: seen_version == Some(version),
        }),
        duplicate,
    }
}

/// The SPI plans' parameters: the non-NULL key values, then the hash.
fn spi_args(state: &TableState, values: &[Datum], nulls: &[bool]) -> Vec<Option<Datum>> {
    let mut args = state.key_args(values, nulls);
    if let Some(h) = &state.hash {
        args.push((!nulls[h.index]).then(|| values[h.index]));
    }
    args
}

/// Restore mode: does (key, version) exist already?
pub fn version_exists(
    state: &TableState,
    heap: pg_sys::Relation,
    values: &[Datum],
    nulls: &[bool],
    version: i64,
) -> bool {
    pg::as_user(state.owner, || {
        match state
            .probes
            .as_ref()
            .filter(|_| guc::LOOKUP_METHOD.get() == LookupMethod::Index)
        {
            Some(_) => columns_of_version(state, heap, values, nulls, version, &[]).is_some(),
            None => {
                let _session = spi::Session::connect();
                let null_mask = state.null_mask(nulls);
                let plans = state.plans(null_mask);
                let mut args = state.key_args(values, nulls);
                args.push(Some(pg::int_datum(version, state.version.typid)));
                state
                    .exists_plan(&plans, null_mask)
                    .execute(&args, Snapshot::Latest, 1)
                    > 0
            }
        }
    })
}

/// The values of `columns` in version `version` of the key in `values`/`nulls`, if it exists.
pub fn columns_of_version(
    state: &TableState,
    heap: pg_sys::Relation,
    values: &[Datum],
    nulls: &[bool],
    version: i64,
    columns: &[usize],
) -> Option<Vec<Option<Datum>>> {
    let mut values = values.to_vec();
    let mut nulls = nulls.to_vec();
    values[state.version.index] = pg::int_datum(version, state.version.typid);
    nulls[state.version.index] = false;
    let Some(probes) = state.probes.as_ref() else {
        crate::errors::error(
            crate::errors::Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "table {} lacks the unique (key…, version) index versioning.enable creates",
                state.name
            ),
        )
        .hint(format!(
            "Call versioning.enable('{}', …) again to create it.",
            state.name
        ))
        .raise()
    };
    pg::as_user(state.owner, || unsafe {
        let now = KeySnapshot::take();
        probes.version.first(
            heap,
            now.sees(),
            (&values, &nulls),
            state.key.len() + 1,
            None,
            pg_sys::ScanDirection::ForwardScanDirection,
            |slot| {
                columns
                    .iter()
                    .map(|&i| (!*(*slot).tts_isnull.add(i)).then(|| *(*slot).tts_values.add(i)))
                    .collect()
            },
        )
    })
}
