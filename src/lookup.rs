//! What the INSERT path needs to know about a key, read after its lock is held:
//! the latest version (number, hash, primary key) and, for dedup 'any', a version with the
//! same hash.
//!
//! Two implementations give the same answers:
//! - `index` (default): direct probes of the btree indexes `enable` created (`crate::probe`),
//!   as of a fresh snapshot that also sees this transaction's rows so far, including earlier
//!   rows of the current statement.
//! - `spi`: one kept SQL plan per NULL pattern of the key, run with a fresh snapshot. The
//!   readable reference (`SET versioning.lookup_method = spi`); the tests run both.
use crate::config::Dedup;
use crate::key_cache::{SpreadMap, SpreadSet};
use crate::pg;
use crate::probe::{KeySnapshot, Probes, Sees};
use crate::spi::{self, Snapshot};
use crate::table_state::{PlanKey, TableState};
use pgrx::pg_sys::{self, Datum, Oid};
use std::cell::RefCell;

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
    match state.index_probes() {
        Some(probes) => pg::as_user(state.owner, || unsafe {
            read_index(state, probes, heap, values, nulls, hash, key_hash)
        }),
        None => pg::as_user(state.owner, || read_spi(state, values, nulls)),
    }
}

thread_local! {
    /// (table, key lock hash) → a version the key had when this session last read or wrote
    /// it. The latest-version probe starts from there: a backward index scan reads every
    /// entry of the key on its leaf page, one from a lower bound only those above it. Only a
    /// hint: when nothing is found from it (the key's newest versions were deleted or rolled
    /// back, or another key shares the hash), the probe runs again without it.
    static VERSION_HINTS: RefCell<SpreadMap<(Oid, u32), i64>> = RefCell::new(SpreadMap::default());
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

/// Column `i` of the tuple in `slot` (deformed), None when NULL.
unsafe fn column(slot: *mut pg_sys::TupleTableSlot, i: usize) -> Option<Datum> {
    (!*(*slot).tts_isnull.add(i)).then(|| *(*slot).tts_values.add(i))
}

/// The version number of the tuple in `slot`.
unsafe fn version_in(state: &TableState, slot: *mut pg_sys::TupleTableSlot) -> i64 {
    column(slot, state.version.index).map_or(0, |d| pg::int_from_datum(d, state.version.typid))
}

/// The tuple in `slot` as the key's latest version.
unsafe fn latest_in(state: &TableState, slot: *mut pg_sys::TupleTableSlot) -> Latest {
    Latest {
        version: version_in(state, slot),
        hash: state
            .hash
            .as_ref()
            .and_then(|h| column(slot, h.index).and_then(|d| stored_hash(d, h.typid))),
        primary_key: state
            .primary_key
            .as_ref()
            .and_then(|p| column(slot, p.index).map(|d| pg::datum_copy(d, p.typbyval, p.typlen))),
        visible_to_transaction: !pg::uses_transaction_snapshot() || visible_to_transaction(slot),
    }
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
    // one snapshot for the whole read (renewed only after waiting for a row in flight)
    let mut now = KeySnapshot::take();
    let mut latest_from =
        |lower_bound| latest_version(state, probes, heap, (values, nulls), lower_bound, &mut now);
    let hint = VERSION_HINTS.with(|h| h.borrow().get(&(state.storage, key_hash)).copied());
    let mut latest = match hint {
        Some(v) => latest_from(Some(v)).or_else(|| latest_from(None)),
        None => latest_from(None),
    };
    match &latest {
        Some(l) => hint_version(state.storage, key_hash, l.version),
        None => {
            VERSION_HINTS.with(|h| h.borrow_mut().remove(&(state.storage, key_hash)));
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
            pg_sys::ScanDirection::BackwardScanDirection,
            |slot| version_in(state, slot),
        );
        l.visible_to_transaction = seen == Some(l.version);
    }
    let duplicate = match (&latest, state.config.dedup) {
        (Some(_), crate::config::Dedup::Any) if hash.is_some() => {
            duplicate_as_of(state, heap, values, nulls, now.sees())
        }
        _ => None,
    };
    KeyState { latest, duplicate }
}

/// The key's latest version (at least `lower_bound`, if given), waiting for a new version in
/// flight without the key's lock (see `probe::Sees::StableWaiting`) and then looking again.
unsafe fn latest_version(
    state: &TableState,
    probes: &Probes,
    heap: pg_sys::Relation,
    row: (&[Datum], &[bool]),
    lower_bound: Option<i64>,
    now: &mut KeySnapshot,
) -> Option<Latest> {
    loop {
        let mut latest = None;
        let in_flight = probes.version.each(
            heap,
            now.sees_waiting(),
            row,
            state.key.len(),
            lower_bound.map(|v| pg::int_datum(v, state.version.typid)),
            pg_sys::ScanDirection::BackwardScanDirection,
            |slot| {
                latest = Some(latest_in(state, slot));
                false
            },
        );
        match in_flight {
            Some(insert) => {
                insert.wait(heap);
                *now = KeySnapshot::take(); // one that sees how it ended
            }
            None => return latest,
        }
    }
}

/// A stored hash (bytea, or text of 64 hex digits) as bytes; None if it is neither.
///
/// # Safety
/// `stored` is a non-NULL value of type `typid` (a varlena).
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
    duplicate_as_of(state, heap, values, nulls, KeySnapshot::take().sees())
}

/// A version of the key with the row's hash, as `sees` sees the table.
fn duplicate_as_of(
    state: &TableState,
    heap: pg_sys::Relation,
    values: &[Datum],
    nulls: &[bool],
    sees: Sees,
) -> Option<i64> {
    let probe = state.probes.as_ref()?.hash.as_ref()?;
    pg::as_user(state.owner, || unsafe {
        probe.first(
            heap,
            sees,
            (values, nulls),
            state.key.len() + 1,
            None,
            pg_sys::ScanDirection::ForwardScanDirection,
            |slot| version_in(state, slot),
        )
    })
}

/// Every hash of the key (as `key_cache::prefix`), or None if it has more than `limit`
/// versions.
pub fn hashes(
    state: &TableState,
    heap: pg_sys::Relation,
    values: &[Datum],
    nulls: &[bool],
    limit: usize,
) -> Option<SpreadSet<u64>> {
    let probe = state.probes.as_ref()?.hash.as_ref()?;
    let h = state.hash.as_ref()?;
    let mut found = SpreadSet::default();
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
                if let Some(hash) = column(slot, h.index).and_then(|d| stored_hash(d, h.typid)) {
                    found.insert(crate::key_cache::prefix(&hash));
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

/// WHERE conditions on the key for a NULL pattern; parameters start at $1.
fn key_conditions(state: &TableState, null_mask: u64, alias: &str) -> (String, Vec<Oid>) {
    let mut conds = Vec::new();
    let mut types = Vec::new();
    for (i, k) in state.key.iter().enumerate() {
        let c = format!("{alias}.{}", pg::quote_ident(&k.column.name));
        if null_mask & (1 << i) != 0 {
            conds.push(format!("{c} IS NULL"));
        } else {
            types.push(k.column.typid);
            conds.push(format!("{c} {} ${}", k.column.equality(), types.len()));
        }
    }
    (conds.join(" AND "), types)
}

/// The SPI strategy's one query per row: the latest version of the key (an index backward
/// scan on (key…, version)), its hash, its primary key, and for dedup 'any' a version with
/// the same hash $h (index on (key…, hash)).
fn lookup_sql(state: &TableState, null_mask: u64) -> (String, Vec<Oid>) {
    let q = pg::quote_ident;
    let (conds, mut types) = key_conditions(state, null_mask, "t");
    let version = q(&state.version.name);
    let order: Vec<String> = state
        .key
        .iter()
        .map(|k| format!("t.{} DESC", q(&k.column.name)))
        .collect();
    let hash_param = format!("${}", types.len() + 1);
    let (latest_hash, duplicate) = match &state.hash {
        Some(h) => {
            let same = format!("l.{}", q(&h.name));
            let dup = if state.config.dedup == Dedup::Any {
                let (dconds, _) = key_conditions(state, null_mask, "d");
                format!("(SELECT d.{version} FROM {} d WHERE {dconds} AND d.{} OPERATOR(pg_catalog.=) {hash_param} LIMIT 1)", state.name, q(&h.name))
            } else {
                "NULL".into()
            };
            types.push(h.typid);
            (same, dup)
        }
        None => ("NULL".into(), "NULL".into()),
    };
    let column = |c: &Option<crate::catalog::Column>, prefix: &str| {
        c.as_ref().map(|c| format!("{prefix}{}", q(&c.name)))
    };
    let pk = column(&state.primary_key, "l.").unwrap_or_else(|| "NULL".into());
    let select_pk = column(&state.primary_key, ", t.").unwrap_or_default();
    let hash_col = column(&state.hash, ", t.").unwrap_or_default();
    let sql = format!(
        "SELECT l.{version}, {latest_hash}, {pk}, {duplicate} FROM \
         (SELECT t.{version}{hash_col}{select_pk} FROM {} t WHERE {conds} ORDER BY {}, t.{version} DESC LIMIT 1) l",
        state.name,
        order.join(", ")
    );
    (sql, types)
}

/// Does (key, version = $n) exist (restore mode, SPI strategy).
fn exists_sql(state: &TableState, null_mask: u64) -> (String, Vec<Oid>) {
    let (conds, mut types) = key_conditions(state, null_mask, "t");
    types.push(state.version.typid);
    let sql = format!(
        "SELECT 1 FROM {} t WHERE {conds} AND t.{} OPERATOR(pg_catalog.=) ${} LIMIT 1",
        state.name,
        pg::quote_ident(&state.version.name),
        types.len()
    );
    (sql, types)
}

fn read_spi(state: &TableState, values: &[Datum], nulls: &[bool]) -> KeyState {
    let args = spi_args(state, values, nulls);
    let args = &args;
    let _session = spi::Session::connect();
    let null_mask = state.key.null_mask(nulls);
    let plan = state.plan(PlanKey::Lookup(null_mask), || lookup_sql(state, null_mask));
    let run = |snapshot| {
        if plan.execute(args, snapshot, 1) == 0 {
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
    let mut args = state.key.args(values, nulls);
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
    pg::as_user(state.owner, || match state.index_probes() {
        Some(_) => columns_of_version(state, heap, values, nulls, version, &[]).is_some(),
        None => {
            let _session = spi::Session::connect();
            let null_mask = state.key.null_mask(nulls);
            let plan = state.plan(PlanKey::Exists(null_mask), || exists_sql(state, null_mask));
            let mut args = state.key.args(values, nulls);
            args.push(Some(pg::int_datum(version, state.version.typid)));
            plan.execute(&args, Snapshot::Latest, 1) > 0
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
            |slot| columns.iter().map(|&i| column(slot, i)).collect(),
        )
    })
}
