//! `versioning.verify(tbl)`: the integrity check of a versioned table (docs/reference.md,
//! "Functions"). One query over the table: a window over each key's rows in version order hands
//! every row to `versioning._verify_row`, which compares it with what the extension promises
//! (its hash, its state, no gap before it, no earlier version with its content, its parent) and
//! returns its problems; an anti-join finds labels whose version is gone. Runs as the caller
//! (who needs SELECT on the table); memory: the sort, and one key's hashes.
use super::args::Table;
use super::key;
use crate::content;
use crate::pg;
use crate::row::Row;
use crate::table_state::{self, TableState};
use pgrx::pg_sys::{self, Datum, Oid};
use pgrx::prelude::*;
use pgrx::{IntoDatum, JsonB};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The check in progress: the table, the keys whose adopted history may have gaps and
/// repeated contents (up to a version), the versions removed on purpose (purge, prune), and the
/// key being read.
struct Check {
    relid: Oid,
    state: Rc<TableState>,
    adopted_through: HashMap<String, i64>,
    removed: HashMap<String, std::collections::HashSet<i64>>,
    key: String,
    previous: i64,
    hashes: HashMap<[u8; 32], i64>,
}

/// Per key (canonical JSON), the versions the log records as purged or pruned.
fn removed_versions(table: &str) -> HashMap<String, std::collections::HashSet<i64>> {
    let text = pg::as_user(crate::extension::owner(), || {
        crate::spi::query_text(
            "SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(key, v))::pg_catalog.text FROM versioning.log, \
               LATERAL (SELECT version AS v WHERE action OPERATOR(pg_catalog.=) 'purge' \
                        UNION ALL SELECT pg_catalog.jsonb_array_elements_text(detail OPERATOR(pg_catalog.->) 'versions')::pg_catalog.int8 \
                         WHERE action OPERATOR(pg_catalog.=) 'prune') AS r \
              WHERE table_name OPERATOR(pg_catalog.=) $1 AND action OPERATOR(pg_catalog.=) ANY ('{purge,prune}'::pg_catalog.text[])",
            &[table],
        )
    });
    let mut removed: HashMap<String, std::collections::HashSet<i64>> = HashMap::new();
    for pair in text
        .and_then(|t| serde_json::from_str::<Vec<Value>>(&t).ok())
        .unwrap_or_default()
    {
        let key = versioning_core::canonicalize(&pair[0].to_string()).unwrap_or_default();
        if let Some(v) = pair[1].as_i64() {
            removed.entry(key).or_default().insert(v);
        }
    }
    removed
}

thread_local! {
    static CURRENT: RefCell<Option<Check>> = const { RefCell::new(None) };
}

/// The query `versioning.verify` runs (sql below).
#[pg_extern(name = "_verify_sql")]
fn verify_sql(tbl: Option<Table>) -> String {
    let (rel, state) = super::versioned("versioning.verify", tbl);
    drop(rel);
    CURRENT.with(|c| *c.borrow_mut() = None);
    let q = |c: &str| pg::quote_ident(c);
    let name = &state.name;
    let config = &state.config;
    let keys: Vec<String> = config.key.iter().map(|k| format!("x.{}", q(k))).collect();
    let v = q(&config.version_column);
    let parent_ok = match (&state.parent, &state.primary_key) {
        (Some(p), Some(pk)) => {
            let (p, prev) = (
                format!("x.{}", q(&p.name)),
                format!("pg_catalog.lag(x.{}) OVER w", q(&pk.name)),
            );
            format!(
                "COALESCE({p} {} {prev}, {p} IS NULL AND {prev} IS NULL)",
                pk.equality()
            )
        }
        _ => "true".to_string(),
    };
    format!(
        "SELECT p FROM (SELECT versioning._verify_row(x, pg_catalog.row_number() OVER w, {parent_ok}) AS ps \
           FROM {name} AS x WINDOW w AS (PARTITION BY {} ORDER BY x.{v})) AS s, pg_catalog.jsonb_array_elements(s.ps) AS p \
         UNION ALL \
         SELECT pg_catalog.jsonb_build_object('key', l.key, 'version', l.version, 'problem', 'label_target_missing', \
                  'detail', 'label \"' OPERATOR(pg_catalog.||) l.label OPERATOR(pg_catalog.||) '\" points at a version that does not exist') \
           FROM versioning.labels AS l WHERE l.table_name OPERATOR(pg_catalog.=) {} \
            AND NOT EXISTS (SELECT FROM {name} AS x WHERE {} OPERATOR(pg_catalog.=) l.key AND x.{v} OPERATOR(pg_catalog.=) l.version)",
        keys.join(", "),
        pg::quote_literal(name),
        key::json_of_row(&state, "x"),
    )
}

pgrx::extension_sql!(
    "-- versioning.verify (src/api/verify.rs): the problems of a versioned table, one jsonb each.\n\
     CREATE FUNCTION versioning._verify_row(whole_row record, n bigint, parent_ok boolean) RETURNS jsonb\n\
         LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'pgv_verify_row';\n\
     CREATE FUNCTION versioning.verify(tbl regclass) RETURNS SETOF jsonb LANGUAGE plpgsql AS $$\n\
     BEGIN\n\
         RETURN QUERY EXECUTE versioning._verify_sql(tbl);\n\
     END $$;\n\
     COMMENT ON FUNCTION versioning.verify(regclass) IS\n\
       'Integrity check of a versioned table: one jsonb {key, version, problem, detail} per problem; no rows = healthy.';\n",
    name = "verify",
    requires = [verify_sql]
);

impl Check {
    fn start(relid: Oid) -> Check {
        let rel = unsafe { pgrx::PgRelation::with_lock(relid, pg_sys::AccessShareLock as _) };
        let state = table_state::get(rel.as_ptr());
        drop(rel);
        // Every adoption's record (as the log's owner: row security hides it from a reader
        // with SELECT only) names the keys whose history was irregular when adopted.
        let irregular = pg::as_user(crate::extension::owner(), || {
            crate::spi::query_text(
                "SELECT pg_catalog.jsonb_agg(i)::pg_catalog.text FROM versioning.log, \
                   pg_catalog.jsonb_array_elements(detail OPERATOR(pg_catalog.->) 'irregular') AS i \
                  WHERE table_name OPERATOR(pg_catalog.=) $1 AND action OPERATOR(pg_catalog.=) 'adopt'",
                &[&state.name],
            )
        });
        let mut adopted_through = HashMap::new();
        for i in irregular
            .and_then(|t| serde_json::from_str::<Vec<Value>>(&t).ok())
            .unwrap_or_default()
        {
            let key = versioning_core::canonicalize(&i["key"].to_string()).unwrap_or_default();
            let through = i["through"].as_i64().unwrap_or(0);
            let e = adopted_through.entry(key).or_insert(through);
            *e = (*e).max(through);
        }
        Check {
            relid,
            removed: removed_versions(&state.name),
            state,
            adopted_through,
            key: String::new(),
            previous: 0,
            hashes: HashMap::new(),
        }
    }

    /// The problems of one row (the n-th of its key, in version order).
    fn row(&mut self, row: &Row, n: i64, parent_ok: bool) -> Vec<Value> {
        let state = self.state.clone();
        if n == 1 {
            self.key = state.key.json(&row.values, &row.nulls);
            self.previous = 0;
            self.hashes.clear();
        }
        let version = row
            .get(state.version.index)
            .map_or(0, |d| pg::int_from_datum(d, state.version.typid));
        let key: Value = serde_json::from_str(&self.key).unwrap_or_default();
        let adopted = versioning_core::canonicalize(&self.key)
            .ok()
            .and_then(|k| self.adopted_through.get(&k).copied())
            .is_some_and(|through| version <= through);
        // a gap left by versions purged or pruned on purpose (their parent went with them)
        let removed_gap = version > self.previous + 1
            && versioning_core::canonicalize(&self.key)
                .ok()
                .and_then(|k| self.removed.get(&k))
                .is_some_and(|r| (self.previous + 1..version).all(|v| r.contains(&v)));
        let mut problems = Vec::new();
        let mut problem = |name: &str, detail: String| {
            problems
                .push(json!({"key": key, "version": version, "problem": name, "detail": detail}))
        };
        if version != self.previous + 1 && !adopted && !removed_gap {
            problem(
                "version_gap",
                if version == self.previous + 2 {
                    format!("version {} is missing", self.previous + 1)
                } else if version > self.previous + 1 {
                    format!(
                        "versions {} to {} are missing",
                        self.previous + 1,
                        version - 1
                    )
                } else {
                    format!("version {version} follows version {}", self.previous)
                },
            );
        }
        self.previous = version;
        let computed = state.content.hash(&row.values, &row.nulls);
        if let Some(h) = &state.hash {
            match (&computed, row.get(h.index)) {
                (Err(_), _) => problem(
                    "hash_mismatch",
                    "the content has no canonical form to hash".into(),
                ),
                (Ok(Some(_)), None) => problem("missing_hash", "the hash column is NULL".into()),
                (Ok(c), Some(stored)) => {
                    let bytes = unsafe { pg::varlena_bytes(stored) };
                    let stored = match h.typid {
                        pg_sys::BYTEAOID => <[u8; 32]>::try_from(bytes).ok(),
                        _ => content::from_hex(bytes),
                    };
                    if stored.as_ref() != c.as_ref() {
                        problem(
                            "hash_mismatch",
                            format!(
                                "stored {}, the content hashes to {}",
                                match (stored, h.typid) {
                                    (Some(s), _) => content::hex(&s),
                                    (None, pg_sys::BYTEAOID) =>
                                        format!("\\x{}", content::hex(bytes)),
                                    (None, _) => String::from_utf8_lossy(bytes).into_owned(),
                                },
                                c.as_ref()
                                    .map_or("nothing (NULL content)".into(), |c| content::hex(c))
                            ),
                        );
                    }
                }
                (Ok(None), None) => {}
            }
        }
        if let (Ok(Some(h)), crate::config::Dedup::Any) = (&computed, state.config.dedup) {
            match self.hashes.get(h) {
                Some(earlier) if !adopted => problem(
                    "duplicate_content",
                    format!("version {earlier} has the same content"),
                ),
                Some(_) => {}
                None => {
                    self.hashes.insert(*h, version);
                }
            }
        }
        if let Some(l) = &state.lifecycle {
            match l.state_of(row) {
                None => problem("invalid_state", "the status is NULL".into()),
                Some(s) if !l.rules.states().contains(s.as_str()) => problem(
                    "invalid_state",
                    format!("\"{s}\" is not a state of the lifecycle"),
                ),
                Some(_) => {}
            }
        }
        if !parent_ok && !removed_gap {
            problem(
                "parent_mismatch",
                if n == 1 {
                    "the first version of its key has a parent".into()
                } else {
                    "the parent is not the previous version".into()
                },
            );
        }
        problems
    }
}

pg::function_info_v1!(pg_finfo_pgv_verify_row);

/// `versioning._verify_row(whole_row record, n bigint, parent_ok boolean) → jsonb`: the row's
/// problems as a jsonb array, NULL when it has none.
///
/// # Safety
/// Called by PostgreSQL with a composite, a bigint and a boolean, none NULL (STRICT).
#[pgrx::pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_verify_row(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    let datum = pgrx::fcinfo::pg_getarg_datum_raw(fcinfo, 0);
    let header = pg_sys::pg_detoast_datum(datum.cast_mut_ptr()) as pg_sys::HeapTupleHeader;
    let typid = pgrx::heap_tuple_header_get_type_id(header);
    let typmod = pgrx::heap_tuple_header_get_typmod(header);
    let relid = pg_sys::get_typ_typrelid(typid);
    let n = pgrx::fcinfo::pg_getarg_datum_raw(fcinfo, 1).value() as i64;
    let parent_ok = pgrx::fcinfo::pg_getarg_datum_raw(fcinfo, 2).value() != 0;
    let desc = pg_sys::lookup_rowtype_tupdesc(typid, typmod);
    let row = Row::from_composite(Datum::from(header), desc);
    let problems = CURRENT.with(|c| {
        let mut current = c.borrow_mut();
        if current.as_ref().is_none_or(|c| c.relid != relid) {
            *current = Some(Check::start(relid));
        }
        current.as_mut().expect("started").row(&row, n, parent_ok)
    });
    pg_sys::DecrTupleDescRefCount(desc);
    if problems.is_empty() {
        return pgrx::fcinfo::pg_return_null(fcinfo);
    }
    JsonB(Value::Array(problems))
        .into_datum()
        .expect("jsonb datum")
}
