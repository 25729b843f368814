//! Direct probes of a versioned table's btree indexes — (key…, version) and (key…, hash) —
//! for the INSERT path: the first or every tuple whose leading columns equal a row's key,
//! read as of one snapshot (`KeySnapshot`), about 2 µs a probe.
use crate::pg;
use pgrx::pg_sys::{self, Datum, Oid};

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
    /// # Safety
    /// `rel` is an open relation.
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
    /// # Safety
    /// `heap` is the open table the index belongs to; `row` is one of its deformed rows.
    pub unsafe fn first<R>(
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

    /// Equality on the first `constrained` index columns (NULL matching NULL) and, if given,
    /// the last column at least `lower_bound`.
    unsafe fn scan_keys(
        &self,
        (values, nulls): (&[Datum], &[bool]),
        constrained: usize,
        lower_bound: Option<Datum>,
    ) -> Vec<pg_sys::ScanKeyData> {
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
        keys
    }

    /// Runs `f` on each tuple the probe finds (in `direction`) while it returns true, with
    /// the first `constrained` index columns equal to the row's values (NULL matching NULL)
    /// and the last column at least `lower_bound`, if given.
    #[allow(clippy::too_many_arguments)]
    /// # Safety
    /// As for [`IndexProbe::first`].
    pub unsafe fn each(
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
        let mut keys = self.scan_keys((values, nulls), constrained, lower_bound);
        let (snapshot, recheck, wait) = match sees {
            Sees::Snapshot(s) => (s, None, false),
            Sees::Stable(s) => (
                std::ptr::addr_of_mut!(pg_sys::SnapshotAnyData),
                Some(s),
                false,
            ),
            Sees::StableWaiting(s) => (
                std::ptr::addr_of_mut!(pg_sys::SnapshotAnyData),
                Some(s),
                true,
            ),
        };
        let mut in_flight = None;
        let scan = pg::index_beginscan(heap, index, snapshot, keys.len() as i32);
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
    /// # Safety
    /// `heap` is the open table the row is in.
    pub unsafe fn wait(mut self, heap: pg_sys::Relation) {
        pg_sys::XactLockTableWait(
            self.0,
            heap,
            &mut self.1,
            pg_sys::XLTW_Oper::XLTW_InsertIndexUnique,
        );
    }
}

/// The tuple in `slot`, which the key snapshot does not see, as a row in flight: inserted — not
/// by an UPDATE, whose old row the snapshot sees — by another transaction still in progress.
unsafe fn in_flight_insert(slot: *mut pg_sys::TupleTableSlot) -> Option<InFlight> {
    let tuple = (*(slot as *mut pg_sys::BufferHeapTupleTableSlot))
        .base
        .tuple;
    let header = &*(*tuple).t_data;
    let infomask = header.t_infomask as u32;
    if infomask & (pg_sys::HEAP_XMIN_COMMITTED | pg_sys::HEAP_XMIN_INVALID | pg_sys::HEAP_UPDATED)
        != 0
    {
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
