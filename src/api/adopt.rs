//! Adopting the rows a table already holds when `versioning.enable` turns versioning on
//! (docs/versioning.md, "Adopting a table that has history").
//!
//! One UPDATE does it: a window over each key's rows (ordered by version, then `order_by`)
//! numbers the rows without a version and hands every row to `versioning._adopt_row`, which
//! checks it in that order (a key mixing numbered and unnumbered rows, a repeated version, a
//! stored hash that differs, an unknown state), computes its hash as an INSERT would, counts
//! and reports progress. Only rows that change are written. Memory: the window's sort (which
//! spills past work_mem) and one key's hashes.
use crate::catalog::{self, Column};
use crate::config::TableConfig;
use crate::content;
use crate::errors::{error, Code};
use crate::pg;
use crate::row::Row;
use crate::spi;
use crate::table_state::{self, TableState};
use pgrx::pg_sys::{self, Datum};
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How the rows of a populated table are adopted (the options of `versioning.enable`).
pub(super) struct Request<'a> {
    /// columns giving the order of a key's unnumbered rows
    pub order_by: Option<&'a [String]>,
    /// replace stored hashes that differ from the computed ones
    pub rehash: bool,
    /// the versioned partitioned table the rows are about to join (ATTACH PARTITION)
    pub part_of: Option<pg_sys::Oid>,
}

/// Above this many rows an adoption reports its progress.
const PROGRESS_ROWS: u64 = 100_000;
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// What one adoption found and did, and where it is.
struct Adoption {
    state: Rc<TableState>,
    /// the table whose rows are adopted: the versioned table, or a table being attached to it
    table: String,
    attaching: bool,
    desc: pg_sys::TupleDesc,
    rehash: bool,
    order_by_given: bool,
    total: u64,
    rows: u64,
    keys: u64,
    versions_assigned: u64,
    hashes_filled: u64,
    hashes_replaced: u64,
    states_set: u64,
    duplicates: u64,
    keys_with_gaps: u64,
    /// keys whose history has gaps or repeated contents, with their last adopted version
    irregular: Vec<serde_json::Value>,
    key: KeySoFar,
    next_report: u64,
    last_report: Instant,
}

/// The key whose rows are being adopted.
#[derive(Default)]
struct KeySoFar {
    json: String,
    versions: Vec<i64>,
    /// its rows carry versions (they come first: NULL versions sort last)
    numbered: bool,
    /// its rows without a version so far
    unnumbered: u32,
    hashes: HashSet<[u8; 32]>,
    gap: bool,
    duplicate: bool,
}

thread_local! {
    static CURRENT: RefCell<Option<Adoption>> = const { RefCell::new(None) };
}

/// Adopts the rows of `name`, whose configuration `config` is stored already and whose
/// versioning triggers are not attached. Returns the detail of the `adopt` log record, or
/// None when the table is empty.
pub(super) fn run(
    name: &str,
    relid: pg_sys::Oid,
    config: &TableConfig,
    columns: &[Column],
    request: &Request,
) -> Option<serde_json::Value> {
    // No other session writes rows the pass would miss (CREATE TRIGGER takes this lock anyway).
    spi::run(&format!("LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE"));
    let total = rows_seen(name, spi::Snapshot::Transaction);
    // Under REPEATABLE READ / SERIALIZABLE the transaction's snapshot may predate a write that
    // committed while enable waited for the lock: adopting without that row would leave it
    // unversioned.
    if pg::uses_transaction_snapshot() && rows_seen(name, spi::Snapshot::Latest) != total {
        error(
            Code::ERRCODE_T_R_SERIALIZATION_FAILURE,
            format!("table {name} changed while versioning.enable waited to adopt its rows"),
        )
        .detail("A concurrent transaction wrote rows this transaction's snapshot does not see.")
        .hint("Retry the transaction.")
        .raise();
    }
    if total == 0 {
        return None;
    }
    table_state::forget(relid);
    let paused = pause_own_triggers(relid);
    let rel = unsafe { pgrx::PgRelation::with_lock(relid, pg_sys::AccessShareLock as _) };
    let state = match request.part_of {
        Some(root) => table_state::as_partition_of(rel.as_ptr(), root)
            .expect("the partitioned table is versioned"),
        None => table_state::get(rel.as_ptr()),
    };
    let now = Instant::now();
    CURRENT.with(|c| {
        *c.borrow_mut() = Some(Adoption {
            state: state.clone(),
            table: name.to_string(),
            attaching: request.part_of.is_some(),
            desc: rel.rd_att,
            rehash: request.rehash,
            order_by_given: request.order_by.is_some(),
            total,
            rows: 0,
            keys: 0,
            versions_assigned: 0,
            hashes_filled: 0,
            hashes_replaced: 0,
            states_set: 0,
            duplicates: 0,
            keys_with_gaps: 0,
            irregular: Vec::new(),
            key: KeySoFar::default(),
            next_report: total / 10,
            last_report: now,
        })
    });
    // Taken back whether the UPDATE succeeds or raises.
    let taken = || CURRENT.with(|c| c.borrow_mut().take());
    pgrx::PgTryBuilder::new(|| spi::run(&update_sql(name, config, columns, request)))
        .catch_others(|e| {
            taken();
            e.rethrow()
        })
        .execute();
    let mut adoption = taken().expect("the adoption is in progress");
    adoption.finish_key();
    drop(state);
    drop(rel);
    resume_own_triggers(&paused);
    table_state::forget(relid);
    Some(adoption.report(name))
}

/// Adopts the rows of `table`, about to be attached as a partition of the versioned table
/// `root` (`root_name`), as `versioning.enable` adopts a populated table; one `adopt` record of
/// the versioned table names the partition (verify() reads it).
pub(crate) fn attaching(
    root: pg_sys::Oid,
    root_name: &str,
    table: pg_sys::Oid,
    config: &TableConfig,
) {
    let name = pg::qualified_name(table);
    let columns = unsafe {
        let rel = pgrx::PgRelation::with_lock(table, pg_sys::AccessShareLock as _);
        catalog::columns(rel.as_ptr())
    };
    let configured = config.key.iter().chain(&config.content).map(String::as_str);
    for c in configured.chain(config.version_columns()) {
        if catalog::find(&columns, c).is_none() {
            // ATTACH refuses it itself, naming the column
            return;
        }
    }
    let request = Request {
        order_by: None,
        rehash: false,
        part_of: Some(root),
    };
    if let Some(mut detail) = run(&name, table, config, &columns, &request) {
        detail["partition"] = name.into();
        crate::audit::write(&crate::audit::Entry {
            table: root_name,
            key_json: "{}",
            action: "adopt",
            detail: Some(detail.to_string()),
            ..Default::default()
        });
    }
}

/// How many rows of the table a snapshot sees.
fn rows_seen(name: &str, snapshot: spi::Snapshot) -> u64 {
    let _session = spi::Session::connect();
    let plan = spi::KeptPlan::prepare(&format!("SELECT pg_catalog.count(*) FROM {name}"), &[]);
    plan.execute(&[], snapshot, 1);
    spi::value(0, 1).map_or(0, |d| d.value() as u64)
}

/// Completing versions and hashes is not a change of the application's: the table's own
/// triggers (an `updated_at` stamp, an audit copy) stay out of it. Returns the triggers paused,
/// with how each was enabled.
fn pause_own_triggers(relid: pg_sys::Oid) -> Vec<(String, String, String)> {
    // Of a partitioned table: its own triggers and its partitions' (a trigger cloned from a
    // partitioned table's follows that one).
    let listed = spi::run_one::<pgrx::JsonB>(
        "SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(g.tgrelid::pg_catalog.regclass::pg_catalog.text, g.tgname, g.tgenabled)) \
           FROM pg_catalog.pg_trigger g \
          WHERE g.tgrelid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[]) \
            AND NOT g.tgisinternal AND g.tgenabled OPERATOR(pg_catalog.<>) 'D' \
            AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger p WHERE p.oid OPERATOR(pg_catalog.=) g.tgparentid \
                            AND p.tgrelid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[]))",
        &[crate::partitions::tree(relid).into()],
    );
    let paused: Vec<(String, String, String)> = listed
        .and_then(|j| serde_json::from_value(j.0).ok())
        .unwrap_or_default();
    for (table, trigger, _) in &paused {
        spi::run(&format!(
            "ALTER TABLE {table} DISABLE TRIGGER {}",
            pg::quote_ident(trigger)
        ));
    }
    paused
}

fn resume_own_triggers(paused: &[(String, String, String)]) {
    for (table, trigger, enabled) in paused {
        let how = match enabled.as_str() {
            "A" => "ENABLE ALWAYS",
            "R" => "ENABLE REPLICA",
            _ => "ENABLE",
        };
        spi::run(&format!(
            "ALTER TABLE {table} {how} TRIGGER {}",
            pg::quote_ident(trigger)
        ));
    }
}

/// The UPDATE that numbers, hashes and completes every row that needs it.
fn update_sql(name: &str, config: &TableConfig, columns: &[Column], request: &Request) -> String {
    let q = |c: &str| pg::quote_ident(c);
    let col = |c: &str| catalog::find(columns, c).expect("validated");
    let keys: Vec<String> = config.key.iter().map(|k| format!("x.{}", q(k))).collect();
    let mut order = vec![format!("x.{}", q(&config.version_column))];
    order.extend(
        request
            .order_by
            .unwrap_or_default()
            .iter()
            .map(|c| format!("x.{}", q(c))),
    );
    let v = q(&config.version_column);
    let mut inner = vec![
        // a row is (tableoid, ctid): a partitioned table's ctids repeat across partitions
        "x.tableoid AS pgv_tab".to_string(),
        "x.ctid AS pgv_row".to_string(),
        "pg_catalog.row_number() OVER w AS pgv_n".to_string(),
        "versioning._adopt_row(x, pg_catalog.row_number() OVER w) AS pgv_hash".to_string(),
    ];
    let mut sets = vec![format!("{v} = COALESCE(t.{v}, s.pgv_n)")];
    let mut changed = vec![format!("t.{v} IS NULL")];
    if let Some(h) = &config.hash_column {
        let value = if col(h).typid == pg_sys::BYTEAOID {
            "s.pgv_hash".to_string()
        } else {
            "pg_catalog.encode(s.pgv_hash, 'hex')".to_string()
        };
        let h = q(h);
        changed.push(format!(
            "NOT COALESCE(t.{h} OPERATOR(pg_catalog.=) {value}, t.{h} IS NULL AND s.pgv_hash IS NULL)"
        ));
        sets.push(format!("{h} = {value}"));
    }
    if let Some(l) = &config.lifecycle {
        let status = col(&l.column);
        let s = q(&status.name);
        sets.push(format!(
            "{s} = COALESCE(t.{s}, {}::{})",
            pg::quote_literal(&l.initial),
            status.sql_type()
        ));
        changed.push(format!("t.{s} IS NULL"));
    }
    if let (Some(p), [pk]) = (&config.parent_column, config.primary_key.as_slice()) {
        inner.push(format!("pg_catalog.lag(x.{}) OVER w AS pgv_prev", q(pk)));
        let p = q(p);
        sets.push(format!("{p} = COALESCE(t.{p}, s.pgv_prev)"));
        changed.push(format!("t.{p} IS NULL AND s.pgv_prev IS NOT NULL"));
    }
    format!(
        "UPDATE {name} AS t SET {} FROM (SELECT {} FROM {name} AS x WINDOW w AS (PARTITION BY {} ORDER BY {})) AS s \
         WHERE t.tableoid OPERATOR(pg_catalog.=) s.pgv_tab AND t.ctid OPERATOR(pg_catalog.=) s.pgv_row AND ({})",
        sets.join(", "),
        inner.join(", "),
        keys.join(", "),
        order.join(", "),
        changed.join(" OR ")
    )
}

impl Adoption {
    /// Checks one row (its key's rows arrive together, in version order) and returns its hash.
    unsafe fn row(&mut self, row: &Row, n: i64) -> Option<[u8; 32]> {
        let state = self.state.clone();
        if n == 1 {
            self.finish_key();
            self.keys += 1;
            self.key.json = state.key.json(&row.values, &row.nulls);
        }
        let stored = row
            .get(state.version.index)
            .map(|d| pg::int_from_datum(d, state.version.typid));
        let version = match stored {
            Some(v) => {
                if self.key.versions.last() == Some(&v) {
                    self.refuse_repeated(v);
                }
                self.key.numbered = true;
                v
            }
            None => {
                if self.key.numbered {
                    self.refuse_mixed();
                }
                // one row alone needs no order
                self.key.unnumbered += 1;
                if !self.order_by_given && self.key.unnumbered > 1 {
                    self.refuse_unordered();
                }
                self.versions_assigned += 1;
                n
            }
        };
        if version != self.key.versions.last().map_or(1, |v| v + 1) {
            self.key.gap = true;
        }
        self.key.versions.push(version);
        let hash = state
            .content
            .hash(&row.values, &row.nulls)
            .unwrap_or_else(|e| {
                e.error(&format!(
                    "version {version} of key {} in table {}",
                    self.key.json, state.name
                ))
                .raise()
            });
        if let Some(h) = &state.hash {
            self.check_stored_hash(row.get(h.index), h.typid, hash.as_ref(), version);
        }
        if let Some(h) = hash {
            if !self.key.hashes.insert(h) {
                self.duplicates += 1;
                self.key.duplicate = true;
            }
        }
        if let Some(l) = &state.lifecycle {
            match l.state_of(row) {
                None => self.states_set += 1,
                Some(s) if !l.rules.states().contains(s.as_str()) => self.refuse_state(&s, version),
                // It has left the editable states: a return to one (review's submitted →
                // draft) must not make it editable again.
                Some(s) if l.rules.can_reenter_editable() && !l.rules.is_editable(&s) => {
                    crate::lifecycle::record_left_editable(&state.name, &self.key.json, version)
                }
                Some(_) => {}
            }
        }
        self.rows += 1;
        self.progress();
        hash
    }

    unsafe fn check_stored_hash(
        &mut self,
        stored: Option<Datum>,
        typid: pg_sys::Oid,
        computed: Option<&[u8; 32]>,
        version: i64,
    ) {
        let Some(stored) = stored else {
            if computed.is_some() {
                self.hashes_filled += 1;
            }
            return;
        };
        let bytes = pg::varlena_bytes(stored);
        let stored = match typid {
            pg_sys::BYTEAOID => <[u8; 32]>::try_from(bytes).ok(),
            _ => content::from_hex(bytes),
        };
        if stored.as_ref() == computed {
            return;
        }
        if self.rehash {
            self.hashes_replaced += 1;
            return;
        }
        let shown = |h: Option<&[u8; 32]>| h.map_or("none".to_string(), |h| content::hex(h));
        error(
            Code::ERRCODE_DATA_EXCEPTION,
            format!(
                "stored content hash of version {version} of key {} in table {} differs from the hash of its content",
                self.key.json, self.table
            ),
        )
        .detail(format!(
            "Stored {}, computed {}.",
            stored.as_ref().map_or_else(|| String::from_utf8_lossy(bytes).into_owned(), |h| content::hex(h)),
            shown(computed)
        ))
        .hint("If the application hashed this history with code of its own, pass rehash => true to replace the stored hashes.")
        .raise()
    }

    fn refuse_repeated(&self, version: i64) -> ! {
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "key {} of table {} has version {version} more than once",
                self.key.json, self.table
            ),
        )
        .detail(format!("Its versions: {}.", self.versions_shown()))
        .hint("Give each of the key's rows its own version (or NULL in every row of the key, to have them numbered), then enable again.")
        .raise()
    }

    fn refuse_mixed(&self) -> ! {
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "key {} of table {} has rows with versions ({}) and rows without one",
                self.key.json,
                self.table,
                self.versions_shown()
            ),
        )
        .detail("Adoption keeps the versions of a key whose rows all have one, and numbers the rows of a key that has none; it does not guess between them.")
        .hint("Set the missing versions of this key, or set all of them to NULL, then enable again.")
        .raise()
    }

    fn refuse_unordered(&self) -> ! {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!(
                "rows of key {} in table {} have no version, and no order to number them in",
                self.key.json, self.table
            ),
        )
        .hint(if self.attaching {
            "Number the key's rows before attaching the table (UPDATE … SET version = …), in the order they were made."
        } else {
            "Name the columns giving the order of a key's rows: order_by => ARRAY['created_at', 'id']."
        })
        .raise()
    }

    fn refuse_state(&self, s: &str, version: i64) -> ! {
        let l = self.state.lifecycle.as_ref().expect("a lifecycle");
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "version {version} of key {} in table {} is in state \"{s}\", which the lifecycle does not have",
                self.key.json, self.table
            ),
        )
        .detail(format!(
            "The lifecycle's states: {}.",
            l.rules.states().into_iter().collect::<Vec<_>>().join(", ")
        ))
        .hint("Update those rows to a state of the lifecycle, or name a lifecycle that has this state.")
        .raise()
    }

    fn versions_shown(&self) -> String {
        let v = &self.key.versions;
        let mut shown: Vec<String> = v.iter().take(20).map(|v| v.to_string()).collect();
        if v.len() > 20 {
            shown.push(format!("… {} in all", v.len()));
        }
        shown.join(", ")
    }

    /// Closes the key whose rows have all been seen.
    fn finish_key(&mut self) {
        let key = std::mem::take(&mut self.key);
        if key.gap {
            self.keys_with_gaps += 1;
        }
        if key.gap || key.duplicate {
            self.irregular.push(serde_json::json!({
                "key": serde_json::from_str::<serde_json::Value>(&key.json).unwrap_or_default(),
                "through": key.versions.last(),
            }));
        }
    }

    /// A NOTICE every 10 % or 10 s of a large adoption.
    fn progress(&mut self) {
        if self.total <= PROGRESS_ROWS {
            return;
        }
        let due = self.rows >= self.next_report
            || (self.rows.is_multiple_of(1024) && self.last_report.elapsed() >= PROGRESS_EVERY);
        if !due {
            return;
        }
        while self.next_report <= self.rows {
            self.next_report += self.total / 10;
        }
        self.last_report = Instant::now();
        pgrx::notice!(
            "adopting table {}: {} % ({} of {} rows)",
            self.table,
            self.rows * 100 / self.total,
            self.rows,
            self.total
        );
    }

    /// The NOTICE at the end, and the detail of the `adopt` log record.
    fn report(self, name: &str) -> serde_json::Value {
        let mut notes = vec![format!(
            "{} rows of {} keys; {} versions numbered, {} hashes filled",
            self.rows, self.keys, self.versions_assigned, self.hashes_filled
        )];
        if self.hashes_replaced > 0 {
            notes.push(format!("{} hashes replaced", self.hashes_replaced));
        }
        if self.states_set > 0 {
            notes.push(format!("{} states set", self.states_set));
        }
        if self.keys_with_gaps > 0 {
            notes.push(format!(
                "{} keys with gaps in their versions (kept; numbering continues after each key's last version)",
                self.keys_with_gaps
            ));
        }
        if self.duplicates > 0 {
            notes.push(format!(
                "{} versions repeating an earlier content of their key (kept)",
                self.duplicates
            ));
        }
        pgrx::notice!("adopted table {name}: {}", notes.join("; "));
        serde_json::json!({
            "rows": self.rows,
            "keys": self.keys,
            "versions_assigned": self.versions_assigned,
            "hashes_filled": self.hashes_filled,
            "hashes_replaced": self.hashes_replaced,
            "states_set": self.states_set,
            "keys_with_gaps": self.keys_with_gaps,
            "duplicate_contents": self.duplicates,
            "irregular": self.irregular,
        })
    }
}

pg::function_info_v1!(pg_finfo_pgv_adopt_row);

/// `versioning._adopt_row(row record, n bigint) → bytea`: the hash of one row of the table
/// being adopted (its n-th row in key order), after checking it. Only inside an adoption.
///
/// # Safety
/// Called by PostgreSQL with the table's whole row and a bigint, neither NULL (STRICT).
#[pgrx::pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_adopt_row(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    let hash = CURRENT.with(|c| {
        let mut current = c.borrow_mut();
        let Some(adoption) = current.as_mut() else {
            error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                "versioning._adopt_row is called by versioning.enable only",
            )
            .raise()
        };
        let row = Row::from_composite(pgrx::fcinfo::pg_getarg_datum_raw(fcinfo, 0), adoption.desc);
        let n = pgrx::fcinfo::pg_getarg_datum_raw(fcinfo, 1).value() as i64;
        adoption.row(&row, n)
    });
    match hash {
        Some(h) => pg::bytea_datum(&h),
        None => pgrx::fcinfo::pg_return_null(fcinfo),
    }
}

pgrx::extension_sql!(
    "-- The per-row step of adopting a populated table (src/api/adopt.rs); versioning.enable runs it.\n\
     CREATE FUNCTION versioning._adopt_row(whole_row record, n bigint) RETURNS bytea\n\
         LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'pgv_adopt_row';\n",
    name = "adopt_row"
);
