//! Writing `versioning.log`. The per-row path forms the tuple itself and inserts it into the
//! heap and its plain indexes (no SQL), which is safe while the log has no triggers and no
//! expression or partial index; otherwise (someone added one for their queries) it falls back
//! to a kept INSERT plan run as the log's owner.
use crate::pg;
use crate::spi::{self, KeptPlan, Snapshot};
use pgrx::pg_sys::{self, Datum, Oid};
use std::cell::{Cell, OnceCell, RefCell};
use std::ffi::CString;

/// The log's columns, in table order (sql/bootstrap.sql).
const COLUMNS: [&str; 10] = [
    "at",
    "actor",
    "txid",
    "table_name",
    "key",
    "version",
    "action",
    "from_state",
    "to_state",
    "detail",
];

#[derive(Default)]
pub struct Entry<'a> {
    pub table: &'a str,
    pub key_json: &'a str,
    /// `key_json` as a jsonb varlena, when the caller has it (saves parsing it per row)
    pub key_jsonb: Option<&'a [u8]>,
    pub version: Option<i64>,
    pub action: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    /// JSON text
    pub detail: Option<String>,
}

pub fn write(entry: &Entry) {
    unsafe {
        let log = kept_log();
        let rel = log.rel;
        if (*(*rel).rd_rel).relhastriggers || !has_expected_columns(rel) {
            write_with_sql(entry);
            return;
        }
        let mut values = [Datum::from(0); 10];
        let mut nulls = [true; 10];
        let mut set = |i: usize, d: Datum| {
            values[i] = d;
            nulls[i] = false;
        };
        set(
            0,
            Datum::from(pg_sys::GetCurrentTransactionStartTimestamp()),
        );
        let (actor, table, action) = REPEATED_TEXTS.with(|t| {
            let mut t = t.borrow_mut();
            t.make_room(3);
            let actor = with_actor(|a| t.get(a));
            (actor, t.get(entry.table), t.get(entry.action))
        });
        set(1, actor);
        set(
            2,
            Datum::from(pg_sys::GetTopFullTransactionId().value as i64),
        );
        set(3, table);
        set(
            4,
            match entry.key_jsonb {
                Some(bytes) => Datum::from(bytes.as_ptr()),
                None => jsonb_datum(entry.key_json),
            },
        );
        if let Some(v) = entry.version {
            set(5, Datum::from(v));
        }
        set(6, action);
        if let Some(s) = entry.from_state {
            set(7, pg::text_datum(s));
        }
        if let Some(s) = entry.to_state {
            set(8, pg::text_datum(s));
        }
        if let Some(d) = &entry.detail {
            set(9, jsonb_datum(d));
        }
        let tuple = pg_sys::heap_form_tuple((*rel).rd_att, values.as_mut_ptr(), nulls.as_mut_ptr());
        // heap_insert plus an entry in each index (the log's own and any plain one added)
        pg_sys::CatalogTupleInsertWithInfo(rel, tuple, log.indexes);
    }
}

/// JSON text as a jsonb datum (in the current memory context).
fn jsonb_datum(json: &str) -> Datum {
    let text = CString::new(json).expect("JSON without NUL");
    unsafe {
        pgrx::direct_function_call_as_datum(pg_sys::jsonb_in, &[Some(Datum::from(text.as_ptr()))])
            .expect("jsonb_in returns a value")
    }
}

/// A key as the log stores it: its JSON text and that text parsed into jsonb once, for a key
/// logged many times in a transaction (a bulk load).
pub struct LoggedKey {
    pub json: String,
    /// the jsonb varlena, header included
    pub jsonb: Vec<u8>,
}

impl LoggedKey {
    pub fn new(json: String) -> LoggedKey {
        let jsonb = unsafe {
            let d = jsonb_datum(&json);
            let bytes = std::slice::from_raw_parts(
                d.cast_mut_ptr::<u8>(),
                pgrx::varsize_any(d.cast_mut_ptr()),
            )
            .to_vec();
            pg_sys::pfree(d.cast_mut_ptr());
            bytes
        };
        LoggedKey { json, jsonb }
    }
}

/// The log and its indexes as the writes of a transaction use them.
#[derive(Clone, Copy)]
struct KeptLog {
    rel: pg_sys::Relation,
    indexes: pg_sys::CatalogIndexState,
}

/// The log and its indexes, opened on the first write of a transaction and kept open until it
/// ends or a utility statement runs (opening them and building their IndexInfo per row cost
/// more than the index insert). They belong to the top transaction's resource owner, so a
/// subtransaction that opened them can end without them.
unsafe fn kept_log() -> KeptLog {
    let stale = KEPT_STALE.with(|c| c.replace(false));
    if let Some(kept) = KEPT.with(Cell::get) {
        if !stale {
            return kept;
        }
        KEPT.with(|c| c.set(None));
        close(kept);
    }
    let kept = as_top_transaction(|| {
        let rel = pg_sys::table_open(log_relid(), pg_sys::RowExclusiveLock as i32);
        KeptLog {
            rel,
            indexes: pg_sys::CatalogOpenIndexes(rel),
        }
    });
    KEPT.with(|c| c.set(Some(kept)));
    kept
}

unsafe fn close(kept: KeptLog) {
    as_top_transaction(|| {
        pg_sys::CatalogCloseIndexes(kept.indexes);
        pg_sys::table_close(kept.rel, pg_sys::NoLock as i32);
    });
}

/// Runs `f` with the top transaction's resource owner and memory context.
unsafe fn as_top_transaction<R>(f: impl FnOnce() -> R) -> R {
    let owner = pg_sys::CurrentResourceOwner;
    pg_sys::CurrentResourceOwner = pg_sys::TopTransactionResourceOwner;
    let cx = pg_sys::MemoryContextSwitchTo(pg_sys::TopTransactionContext);
    let r = f();
    pg_sys::MemoryContextSwitchTo(cx);
    pg_sys::CurrentResourceOwner = owner;
    r
}

/// Before a utility statement — PostgreSQL refuses to drop, truncate or reindex a relation
/// this session holds open (DROP EXTENSION after a write in the same transaction would fail) —
/// and before a commit or prepare: the log is closed; the next write opens it again.
pub fn let_go() {
    if let Some(kept) = KEPT.with(|c| c.take()) {
        unsafe { close(kept) };
    }
}

/// The transaction ended (committed, prepared or aborted): forget what it kept; whatever is
/// still open (on abort: everything) PostgreSQL released with the transaction's resources.
pub fn transaction_ended() {
    KEPT.with(|c| c.take());
    KEPT_STALE.with(|c| c.set(false));
    REPEATED_TEXTS.with(|t| t.borrow_mut().0.clear());
}

thread_local! {
    static KEPT: Cell<Option<KeptLog>> = const { Cell::new(None) };
    /// the log's relcache entry was invalidated (an index added or dropped): reopen it
    static KEPT_STALE: Cell<bool> = const { Cell::new(false) };
    static LOG_RELID: Cell<Oid> = const { Cell::new(Oid::INVALID) };
    /// (log OID, whether the direct write path may be used for it)
    static DIRECT_OK: Cell<(Oid, bool)> = const { Cell::new((Oid::INVALID, false)) };
}

/// versioning.log's OID, looked up once (forgotten on relcache invalidation, e.g. when the
/// extension is dropped and created again).
fn log_relid() -> Oid {
    LOG_RELID.with(|c| {
        if c.get() == Oid::INVALID {
            c.set(crate::extension::table(c"log"));
        }
        c.get()
    })
}

/// Relcache invalidation of the log (or of everything): look its OID up again and check its
/// columns and indexes again (someone may have added an expression index).
pub fn forget_log_relid(relid: Oid) {
    LOG_RELID.with(|c| {
        if relid == Oid::INVALID || relid == c.get() {
            c.set(Oid::INVALID);
            DIRECT_OK.with(|d| d.set((Oid::INVALID, false)));
            KEPT_STALE.with(|s| s.set(true));
        }
    });
}

/// `versioning.actor` when set, else the session user.
pub fn actor() -> String {
    with_actor(str::to_owned)
}

/// Calls `f` with the actor's name (no copy of it per logged row).
fn with_actor<R>(f: impl FnOnce(&str) -> R) -> R {
    // the setting's own string, read in place (GucSetting::get copies it)
    let guc = unsafe { *crate::guc::ACTOR.as_ptr() };
    if !guc.is_null() {
        let name = unsafe { std::ffi::CStr::from_ptr(guc) };
        if !name.is_empty() {
            return f(&name.to_string_lossy());
        }
    }
    let user = unsafe { pg_sys::GetSessionUserId() };
    if SESSION_USER.with(|c| c.borrow().as_ref().is_none_or(|(id, _)| *id != user)) {
        // looked up outside the cell's borrow: the lookup may take a lock, and with it
        // invalidations that clear the cell (forget_session_user)
        let name = unsafe {
            std::ffi::CStr::from_ptr(pg_sys::GetUserNameFromId(user, false))
                .to_string_lossy()
                .into_owned()
        };
        SESSION_USER.with(|c| *c.borrow_mut() = Some((user, name)));
    }
    SESSION_USER.with(|c| f(c.borrow().as_ref().map_or("", |(_, name)| name)))
}

thread_local! {
    /// the session user and its name (every logged row names it: no catalog lookup per row)
    static SESSION_USER: RefCell<Option<(Oid, String)>> = const { RefCell::new(None) };
}

/// A role was changed (renamed, perhaps): the session user's name is looked up again.
pub fn forget_session_user() {
    SESSION_USER.with(|c| c.borrow_mut().take());
}

/// Text datums of the strings every log row of a bulk load repeats (the actor, the table, the
/// action), formed once per transaction in its memory context rather than once per row.
struct RepeatedTexts(Vec<(String, Datum)>);

/// Strings kept at most; past it the datums are freed and formed again as needed.
const MAX_REPEATED_TEXTS: usize = 16;

impl RepeatedTexts {
    /// Room for `n` more strings, so that no datum handed out by the next `n` calls is freed.
    unsafe fn make_room(&mut self, n: usize) {
        if self.0.len() + n > MAX_REPEATED_TEXTS {
            for (_, d) in self.0.drain(..) {
                pg_sys::pfree(d.cast_mut_ptr());
            }
        }
    }

    unsafe fn get(&mut self, s: &str) -> Datum {
        if let Some(&(_, d)) = self.0.iter().find(|(k, _)| k == s) {
            return d;
        }
        let cx = pg_sys::MemoryContextSwitchTo(pg_sys::TopTransactionContext);
        let d = pg::text_datum(s);
        pg_sys::MemoryContextSwitchTo(cx);
        self.0.push((s.to_owned(), d));
        d
    }
}

thread_local! {
    /// cleared when the transaction ends (its memory goes with it)
    static REPEATED_TEXTS: RefCell<RepeatedTexts> = const { RefCell::new(RepeatedTexts(Vec::new())) };
}

/// The direct path writes columns by position and fills indexes from columns only; check once
/// per backend (and log table) that the table still has exactly these columns and no index
/// with expressions or a predicate.
unsafe fn has_expected_columns(rel: pg_sys::Relation) -> bool {
    let relid = (*rel).rd_id;
    let (seen, ok) = DIRECT_OK.with(|c| c.get());
    if seen == relid {
        return ok;
    }
    let columns = crate::catalog::columns(rel);
    let ok = (*(*rel).rd_att).natts as usize == COLUMNS.len()
        && columns
            .iter()
            .map(|c| c.name.as_str())
            .eq(COLUMNS.iter().copied())
        && plain_indexes(rel);
    DIRECT_OK.with(|c| c.set((relid, ok)));
    ok
}

/// Whether every index of `rel` is on plain columns, without a predicate.
unsafe fn plain_indexes(rel: pg_sys::Relation) -> bool {
    pg::index_oids(rel).into_iter().all(|oid| {
        let index = pg_sys::index_open(oid, pg_sys::AccessShareLock as i32);
        let plain = pg::is_plain_index(index);
        pg_sys::index_close(index, pg_sys::AccessShareLock as i32);
        plain
    })
}

fn write_with_sql(entry: &Entry) {
    thread_local!(static PLAN: OnceCell<KeptPlan> = const { OnceCell::new() });
    let _session = spi::Session::connect();
    let text = |s: Option<&str>| s.map(pg::text_datum);
    PLAN.with(|plan| {
        let plan = plan.get_or_init(|| {
            KeptPlan::prepare(
                "INSERT INTO versioning.log (actor, table_name, key, version, action, from_state, to_state, detail) \
                 VALUES ($5, $1, $2::pg_catalog.jsonb, $3, $4, $6, $7, $8::pg_catalog.jsonb)",
                &[pg_sys::TEXTOID, pg_sys::TEXTOID, pg_sys::INT8OID, pg_sys::TEXTOID, pg_sys::TEXTOID, pg_sys::TEXTOID, pg_sys::TEXTOID, pg_sys::TEXTOID],
            )
        });
        pg::as_user(crate::extension::owner(), || {
            plan.execute(
                &[
                    text(Some(entry.table)),
                    text(Some(entry.key_json)),
                    entry.version.map(Datum::from),
                    text(Some(entry.action)),
                    text(Some(&actor())),
                    text(entry.from_state),
                    text(entry.to_state),
                    text(entry.detail.as_deref()),
                ],
                Snapshot::Transaction,
                0,
            )
        });
    });
}
