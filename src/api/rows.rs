//! Reading and writing versions by key (docs/reference.md, "Functions"; docs/versioning.md, "The read API"): put, latest, get, history. Rows come
//! back as `to_jsonb(row)`; each lookup is an index scan on (key…, version). jsonb travels as
//! text (sql/versions.sql wraps these), which keeps numbers exact.
use super::args::{required, Table};
use super::key;
use super::versioned;
use crate::errors::{error, Code};
use crate::flags;
use crate::pg;
use crate::spi::{self, Snapshot};
use crate::table_state::{PlanKey, TableState};
use pgrx::pg_sys::{self, Datum};
use pgrx::prelude::*;

/// Conditions for a state filter and for hiding soft-deleted versions; `$n` is the state.
fn filters(state: &TableState, with_state: bool, include_deleted: bool, n: usize) -> String {
    let mut out = String::new();
    if with_state {
        let Some(l) = &state.lifecycle else {
            error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("table {} has no lifecycle, so no states", state.name),
            )
            .hint("Leave the state argument NULL.")
            .raise()
        };
        out += &format!(
            " AND t.{}::pg_catalog.text OPERATOR(pg_catalog.=) ${n}",
            pg::quote_ident(&l.status.name)
        );
    }
    if let (Some(d), false) = (&state.deleted, include_deleted) {
        out += &format!(" AND t.{} IS NULL", pg::quote_ident(&d.name));
    }
    out
}

/// `versioning.latest(tbl, key, state DEFAULT NULL)`: the highest version (in `state`, if
/// given), soft-deleted versions excluded.
#[pg_extern(name = "_latest")]
fn latest(tbl: Option<Table>, key: Option<&str>, state_name: Option<&str>) -> Option<String> {
    const F: &str = "versioning.latest";
    let (_, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    let sql = format!(
        "SELECT pg_catalog.to_jsonb(t.*)::pg_catalog.text FROM {table} t WHERE {cond}{filters} ORDER BY {order} LIMIT 1",
        table = state.name,
        cond = key::conditions(&state, key, "t"),
        filters = filters(&state, state_name.is_some(), false, 2),
        order = key::newest_first(&state, "t"),
    );
    read_one(&state, &sql, &[text_arg(Some(key)), text_arg(state_name)])
}

/// `versioning.get(tbl, key, version)`
#[pg_extern(name = "_get")]
fn get(tbl: Option<Table>, key: Option<&str>, version: Option<i32>) -> Option<String> {
    const F: &str = "versioning.get";
    let (_, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    let version = required(F, "version", version);
    get_version(&state, key, version as i64)
}

fn get_version(state: &TableState, key: &str, version: i64) -> Option<String> {
    let sql = format!(
        "SELECT pg_catalog.to_jsonb(t.*)::pg_catalog.text FROM {table} t WHERE {cond} AND t.{v} OPERATOR(pg_catalog.=) $2",
        table = state.name,
        cond = key::conditions(state, key, "t"),
        v = pg::quote_ident(&state.version.name),
    );
    read_one(
        state,
        &sql,
        &[
            text_arg(Some(key)),
            (pg_sys::INT8OID, Some(Datum::from(version))),
        ],
    )
}

/// A parameter of a read: its type and value (None: NULL).
type Arg = (pg_sys::Oid, Option<Datum>);
fn text_arg(value: Option<&str>) -> Arg {
    (pg_sys::TEXTOID, value.map(pg::text_datum))
}

/// Runs a one-row read of the table through the plan kept for this SQL text
/// (`TableState::plan`) and returns the row's first column, text.
fn read_one(state: &TableState, sql: &str, args: &[Arg]) -> Option<String> {
    let _session = spi::Session::connect();
    let types: Vec<pg_sys::Oid> = args.iter().map(|(t, _)| *t).collect();
    let values: Vec<Option<Datum>> = args.iter().map(|(_, v)| *v).collect();
    if state
        .plan(PlanKey::Read(sql.to_string()), || (sql.to_string(), types))
        .execute(&values, Snapshot::Transaction, 1)
        == 0
    {
        return None;
    }
    spi::text(0, 1)
}

/// The statement of `versioning.history(tbl, key, state, include_deleted, lim, off)` (newest
/// first), which sql/versions.sql runs with EXECUTE … USING key, state, lim, off: its rows
/// reach the caller as jsonb without a detour through text.
#[pg_extern(name = "_history_sql")]
fn history_sql(
    tbl: Option<Table>,
    key: Option<&str>,
    state_name: Option<&str>,
    include_deleted: Option<bool>,
    lim: Option<i64>,
    off: Option<i64>,
) -> String {
    const F: &str = "versioning.history";
    let (_, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    let include_deleted = required(F, "include_deleted", include_deleted);
    let off = off.unwrap_or(0); // like OFFSET NULL
    if lim.is_some_and(|l| l < 0) || off < 0 {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            "history's lim and off must not be negative",
        )
        .raise();
    }
    format!(
        "SELECT pg_catalog.to_jsonb(t.*) FROM {table} t WHERE {cond}{filters} \
         ORDER BY {order} LIMIT $3 OFFSET $4",
        table = state.name,
        cond = key::conditions(&state, key, "t"),
        filters = filters(&state, state_name.is_some(), include_deleted, 2),
        order = key::newest_first(&state, "t"),
    )
}

/// `versioning.as_of(tbl, key, at)`: the version that was latest at `at` — the highest version
/// the log records as created at or before `at` (transaction start time) that still exists and
/// had not been soft-deleted by then. Versions are returned as they are now (a draft's later
/// edits included).
#[pg_extern(name = "_as_of")]
fn as_of(
    tbl: Option<Table>,
    key: Option<&str>,
    at: Option<pgrx::datum::TimestampWithTimeZone>,
) -> Option<String> {
    const F: &str = "versioning.as_of";
    let (_, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    let at = required(F, "at", at);
    if !state.config.audit {
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("table {} does not log version creations (audit => false), so as_of cannot tell when a version was created", state.name),
        )
        .hint("Enable the table with audit => true; as_of then knows the versions created from then on.")
        .raise();
    }
    let cond = key::conditions(&state, key, "t");
    let log_key = key::as_logged(&state, key);
    // Creation times come from the log, read as its owner (its rows are visible to the table's
    // owners only); the rows themselves are read with the caller's privileges.
    const BATCH: i64 = 1000;
    let created = format!(
        "SELECT l.version, l.at FROM versioning.log l \
          WHERE l.table_name OPERATOR(pg_catalog.=) $2 AND l.key OPERATOR(pg_catalog.=) $1::pg_catalog.jsonb \
            AND l.action OPERATOR(pg_catalog.=) 'create' AND l.at OPERATOR(pg_catalog.<=) $3 \
            AND (l.at, l.version) OPERATOR(pg_catalog.<) ($4, $5) \
            AND NOT EXISTS (SELECT FROM versioning.log r \
                 WHERE r.table_name OPERATOR(pg_catalog.=) l.table_name AND r.key OPERATOR(pg_catalog.=) l.key \
                   AND r.at OPERATOR(pg_catalog.>) $3 AND r.version OPERATOR(pg_catalog.=) l.version \
                   AND r.action OPERATOR(pg_catalog.=) 'create') \
          ORDER BY l.at DESC, l.version DESC LIMIT {BATCH}",
    );
    let deleted = state.deleted.as_ref().map_or(String::new(), |d| {
        let d = pg::quote_ident(&d.name);
        format!(" AND (t.{d} IS NULL OR t.{d} OPERATOR(pg_catalog.>) $3)")
    });
    let existing = format!(
        "SELECT pg_catalog.to_jsonb(t.*)::pg_catalog.text FROM {table} t \
          WHERE {cond} AND t.{v} OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.int8[]){deleted} \
          ORDER BY {order} LIMIT 1",
        table = state.name,
        v = pg::quote_ident(&state.version.name),
        order = key::newest_first(&state, "t"),
    );
    // batches of creations, newest first: each continues below the last (at, version) seen
    let (mut before_at, mut before_version) = (at, i64::MAX);
    loop {
        let batch = creations(
            &created,
            &[
                log_key.as_str().into(),
                state.name.as_str().into(),
                at.into(),
                before_at.into(),
                before_version.into(),
            ],
        );
        let &(last_version, last_at) = batch.last()?;
        let versions: Vec<i64> = batch.iter().map(|(v, _)| *v).collect();
        if let Some(row) =
            spi::run_one::<String>(&existing, &[key.into(), versions.into(), at.into()])
        {
            return Some(row);
        }
        if (batch.len() as i64) < BATCH {
            return None;
        }
        (before_at, before_version) = (last_at, last_version);
    }
}

/// One batch of creation records (version, at), read as the log's owner.
fn creations(
    sql: &str,
    args: &[pgrx::datum::DatumWithOid],
) -> Vec<(i64, pgrx::datum::TimestampWithTimeZone)> {
    crate::pg::as_user(crate::extension::owner(), || {
        Spi::connect(|c| {
            c.select(sql, None, args)
                .unwrap_or_else(|e| {
                    error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise()
                })
                .filter_map(|r| Some((r.get::<i64>(1).ok()??, r.get(2).ok()??)))
                .collect()
        })
    })
}

/// `versioning.put(tbl, row)`: inserts the row through exactly the rules of a plain INSERT and
/// returns the stored version: the new one, or the existing one when the content was a
/// duplicate. Columns missing from `row` get their defaults.
#[pg_extern(name = "_put")]
fn put(tbl: Option<Table>, row: Option<&str>) -> String {
    const F: &str = "versioning.put";
    let (tbl, state) = versioned(F, tbl);
    let row = required(F, "row", row);
    let value: serde_json::Value = serde_json::from_str(row).unwrap_or(serde_json::Value::Null);
    let Some(object) = value.as_object() else {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("the row for table {} must be a JSON object", state.name),
        )
        .raise()
    };
    let columns = unsafe { crate::catalog::columns(tbl.as_ptr()) };
    if let Some(unknown) = object
        .keys()
        .find(|k| crate::catalog::find(&columns, k).is_none())
    {
        error(
            Code::ERRCODE_UNDEFINED_COLUMN,
            format!(
                "column \"{unknown}\" of the row does not exist in table {}",
                state.name
            ),
        )
        .raise();
    }
    let named: Vec<String> = columns
        .iter()
        .filter(|c| object.contains_key(&c.name))
        .map(|c| pg::quote_ident(&c.name))
        .collect();
    let sql = if named.is_empty() {
        format!("INSERT INTO {} AS n DEFAULT VALUES RETURNING pg_catalog.to_jsonb(n.*)::pg_catalog.text", state.name)
    } else {
        let selected: Vec<String> = named.iter().map(|c| format!("r.{c}")).collect();
        format!(
            "INSERT INTO {table} AS n ({list}) SELECT {selected} \
             FROM pg_catalog.jsonb_populate_record(NULL::{table}, $1::pg_catalog.jsonb) r \
             RETURNING pg_catalog.to_jsonb(n.*)::pg_catalog.text",
            table = state.name,
            list = named.join(", "),
            selected = selected.join(", "),
        )
    };
    flags::take_skipped(state.relid);
    if let Some(stored) = spi::run_one::<String>(&sql, &[row.into()]) {
        return stored;
    }
    // Skipped as a duplicate: the version it duplicates.
    let existing = flags::take_skipped(state.relid);
    let key_json = serde_json::Value::Object(
        state
            .key
            .iter()
            .filter_map(|k| {
                object
                    .get(&k.column.name)
                    .map(|v| (k.column.name.clone(), v.clone()))
            })
            .collect(),
    )
    .to_string();
    existing
        .and_then(|v| get_version(&state, &key_json, v))
        .unwrap_or_else(|| {
            error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("the row for table {} was not stored", state.name),
            )
            .detail("A BEFORE trigger of the table dropped it.")
            .raise()
        })
}

/// `versioning.diff(tbl, key, from_version, to_version)`: RFC 6902 JSON Patch from one
/// version's content to the other's. The content is what is hashed: a single jsonb content
/// column's value, another single column as to_jsonb(value) (a text column: a JSON string),
/// otherwise the object of the content columns.
#[pg_extern(name = "_diff")]
fn diff(
    tbl: Option<Table>,
    key: Option<&str>,
    from_version: Option<i32>,
    to_version: Option<i32>,
) -> String {
    const F: &str = "versioning.diff";
    let (_, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    let from_version = required(F, "from_version", from_version);
    let to_version = required(F, "to_version", to_version);
    let content = match state.config.content.as_slice() {
        [one] => format!("pg_catalog.to_jsonb(t.{})", pg::quote_ident(one)),
        many => format!(
            "pg_catalog.jsonb_build_object({})",
            many.iter()
                .map(|c| format!("{}, t.{}", pg::quote_literal(c), pg::quote_ident(c)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let sql = format!(
        "SELECT {content}::pg_catalog.text FROM {table} t WHERE {cond} AND t.{v} OPERATOR(pg_catalog.=) $2",
        table = state.name,
        cond = key::conditions(&state, key, "t"),
        v = pg::quote_ident(&state.version.name),
    );
    let content_of = |version: i32| {
        let text =
            spi::run_one::<String>(&sql, &[key.into(), version.into()]).unwrap_or_else(|| {
                error(
                    Code::ERRCODE_INVALID_PARAMETER_VALUE,
                    format!("table {} has no version {version} of key {key}", state.name),
                )
                .raise()
            });
        versioning_core::json::parse(&text).unwrap_or_else(|e| {
            if e.is_too_deep() {
                error(
                    Code::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                    format!(
                        "version {version} of key {key} in table {} nests its content more than {} levels deep: versioning.diff cannot compare it",
                        state.name,
                        versioning_core::json::MAX_DEPTH
                    ),
                )
                .raise()
            }
            error(
                Code::ERRCODE_INVALID_TEXT_REPRESENTATION,
                format!("version {version} of key {key} in table {} has content without a canonical JSON form: {e}", state.name),
            )
            .raise()
        })
    };
    let (from, to) = (content_of(from_version), content_of(to_version));
    versioning_core::patch::to_json(&versioning_core::patch::diff(&from, &to)).unwrap_or_else(|e| {
        error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise()
    })
}

/// `versioning.semver(tbl, key, version) → text`: `M.m.p` (or `M.m.p-prerelease`); NULL when
/// the version does not exist.
#[pg_extern(name = "_semver")]
fn semver(tbl: Option<Table>, key: Option<&str>, version: Option<i32>) -> Option<String> {
    const F: &str = "versioning.semver";
    let (_, state) = versioned(F, tbl);
    let key = required(F, "key", key);
    let version = required(F, "version", version);
    let Some(v) = &state.config.semver else {
        error(Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, format!("table {} has no semantic versions", state.name))
            .hint("Enable it with semver => '{\"change_type\": …, \"major\": …, \"minor\": …, \"patch\": …}'.")
            .raise()
    };
    let q = pg::quote_ident;
    let prerelease = v
        .prerelease
        .as_deref()
        .map_or("NULL".to_string(), |p| format!("t.{}", q(p)));
    let sql = format!(
        "SELECT pg_catalog.jsonb_build_array(t.{}, t.{}, t.{}, {prerelease})::pg_catalog.text FROM {} t \
         WHERE {} AND t.{} OPERATOR(pg_catalog.=) $2",
        q(&v.major),
        q(&v.minor),
        q(&v.patch),
        state.name,
        key::conditions(&state, key, "t"),
        q(&state.version.name),
    );
    let row: serde_json::Value = serde_json::from_str(&spi::run_one::<String>(
        &sql,
        &[key.into(), version.into()],
    )?)
    .ok()?;
    let part = |i: usize| row[i].as_i64();
    Some(versioning_core::semver::format(
        (part(0)?, part(1)?, part(2)?),
        row[3].as_str(),
    ))
}
