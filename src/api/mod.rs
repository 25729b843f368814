//! The SQL functions of schema `versioning` (docs/reference.md, "Functions").
use crate::catalog;
use crate::config::{self, Options, TableConfig};
use crate::content;
use crate::errors::{error, Code};
use crate::partitions;
use crate::pg;
use crate::spi;
use crate::table_state;
use args::{elements, required, required_elements, Table};
use pgrx::prelude::*;
use pgrx::JsonB;

mod adopt;
pub(crate) mod args;
mod carry;
mod current;
mod key;
mod kinds;
mod labels;
mod retention;
mod rows;
mod schedule;
mod verify;
mod versions;

/// A table attached to a versioned table as a partition brings rows: they are adopted first
/// (trigger::partitions).
pub(crate) use adopt::attaching as adopt_attaching;

use crate::extension::{CARRY_TRIGGER, CHANGE_TRIGGER, CURRENT_TRIGGER, INSERT_TRIGGER};

/// Turns versioning on for a table (or changes its configuration). Idempotent.
#[allow(clippy::too_many_arguments)]
#[pg_extern(name = "enable")]
fn enable_table(
    tbl: Option<Table>,
    key: Option<Vec<Option<String>>>,
    content: default!(Option<Vec<Option<String>>>, "NULL"),
    version_column: default!(Option<String>, "'version'"),
    hash_column: default!(Option<String>, "'content_hash'"),
    parent_column: default!(Option<String>, "NULL"),
    dedup: default!(Option<String>, "'any'"),
    on_duplicate: default!(Option<String>, "'skip'"),
    lifecycle: default!(Option<String>, "NULL"),
    mutable: default!(Option<Vec<Option<String>>>, "ARRAY[]::text[]"),
    deleted_column: default!(Option<String>, "NULL"),
    kind_column: default!(Option<String>, "NULL"),
    semver: default!(Option<JsonB>, "NULL"),
    check_version: default!(Option<bool>, false),
    audit: default!(Option<bool>, true),
    require_schema: default!(Option<bool>, false),
    order_by: default!(Option<Vec<Option<String>>>, "NULL"),
    rehash: default!(Option<bool>, false),
) {
    const F: &str = "versioning.enable";
    let tbl = args::table(F, "tbl", tbl);
    let relid = tbl.oid();
    let name = pg::qualified_name(relid);
    let relkind = unsafe { (*tbl.rd_rel).relkind } as u8;
    if relkind != pg_sys::RELKIND_RELATION && relkind != pg_sys::RELKIND_PARTITIONED_TABLE {
        error(
            Code::ERRCODE_WRONG_OBJECT_TYPE,
            format!("{name} is not a table"),
        )
        .detail("Versioning works on tables, partitioned or not (not on views or foreign tables).")
        .raise();
    }
    if partitions::is_partition(relid) {
        let root = pg::qualified_name(partitions::root_of(relid));
        error(
            Code::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!("cannot version {name} by itself: it is a partition of {root}"),
        )
        .detail("A partition is versioned with the partitioned table it belongs to.")
        .hint(format!("Call versioning.enable('{root}', …) instead."))
        .raise();
    }
    if !pg::current_user_owns(relid) {
        error(
            Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("must be owner of table {name} to enable versioning"),
        )
        .raise();
    }
    let columns = unsafe { catalog::columns(tbl.as_ptr()) };
    let primary_key = unsafe { catalog::primary_key(tbl.as_ptr(), &columns) };
    drop(tbl); // DDL below refuses a table this function still holds open
    let options = Options {
        key: required_elements(F, "key", key),
        content: content.map(|c| elements(F, "content", c)),
        version_column: required(F, "version_column", version_column),
        hash_column,
        parent_column,
        dedup: required(F, "dedup", dedup),
        on_duplicate: required(F, "on_duplicate", on_duplicate),
        lifecycle,
        mutable: required_elements(F, "mutable", mutable),
        deleted_column,
        kind_column,
        require_schema: required(F, "require_schema", require_schema),
        semver: semver.map(|j| j.0),
        check_version: required(F, "check_version", check_version),
        audit: required(F, "audit", audit),
    };
    let order_by = order_by.map(|o| required_elements(F, "order_by", Some(o)));
    for c in order_by.iter().flatten() {
        catalog::named(&name, &columns, "order_by", c);
    }
    let rehash = required(F, "rehash", rehash);
    let mut config = config::validate(&name, &columns, &primary_key, options);
    partitions::require_key_partitioning(&name, relid, &config.key);
    let partitions_below: Vec<pg_sys::Oid> = partitions::tree(relid)
        .into_iter()
        .filter(|m| *m != relid)
        .collect();
    partitions::require_no_own_configuration(&name, &partitions_below);
    partitions::require_no_foreign_partitions(&name, &partitions_below);
    let previous = config::load(&name);
    // Content columns renamed since their rows were hashed keep the name they are hashed under.
    if let Some(p) = &previous {
        config.hashed_as = p
            .hashed_as
            .iter()
            .filter(|(c, _)| config.content.contains(c))
            .map(|(c, h)| (c.clone(), h.clone()))
            .collect();
    }
    if previous.as_ref() == Some(&config) && triggers_exist(relid) && !rehash {
        return;
    }
    let q = |s: &str| pg::quote_ident(s);
    // The rows are checked and completed before the triggers that guard them are attached.
    drop_triggers(&name, relid, &[INSERT_TRIGGER, CHANGE_TRIGGER]);
    store(&name, &config);
    let adopted = previous
        .as_ref()
        .is_none_or(|p| rehash || changes_history(p, &config))
        .then(|| {
            let request = adopt::Request {
                order_by: order_by.as_deref(),
                rehash,
                part_of: None,
            };
            adopt::run(&name, relid, &config, &columns, &request)
        })
        .flatten();
    create_indexes(&name, &config, previous.as_ref(), &columns, relid);
    spi::run(&format!("CREATE TRIGGER {} BEFORE INSERT ON {name} FOR EACH ROW EXECUTE FUNCTION versioning._on_insert()", q(INSERT_TRIGGER)));
    spi::run(&format!(
        "CREATE TRIGGER {} BEFORE UPDATE OR DELETE ON {name} FOR EACH ROW EXECUTE FUNCTION versioning._on_change()",
        q(CHANGE_TRIGGER)
    ));
    if let Some(detail) = adopted {
        // One record for the whole adoption (audit => false or not): verify() reads it.
        crate::audit::write(&crate::audit::Entry {
            table: &name,
            key_json: "{}",
            action: "adopt",
            detail: Some(detail.to_string()),
            ..Default::default()
        });
    }
    invalidate(relid);
}

/// Makes every session drop its cached state of the table at commit (a partitioned table's
/// partitions too, with what the transaction knows about their keys).
pub(crate) fn invalidate(relid: pg_sys::Oid) {
    for member in partitions::tree(relid) {
        unsafe { pg_sys::CacheInvalidateRelcacheByRelid(member) };
    }
}

/// Whether a new configuration reads the stored rows differently (their keys, versions,
/// hashes, parents or states): then they are checked again as in an adoption.
fn changes_history(before: &TableConfig, after: &TableConfig) -> bool {
    before.key != after.key
        || before.content != after.content
        || before.version_column != after.version_column
        || before.hash_column != after.hash_column
        || before.parent_column != after.parent_column
        || before.lifecycle != after.lifecycle
}

/// 0.1.0's `versioning.enable` (16 arguments, C symbol `enable_wrapper`): that release's SQL
/// calls it until `ALTER EXTENSION pg_versioning UPDATE` replaces the declaration
/// (docs/operations.md, "Upgrades").
#[allow(clippy::too_many_arguments)]
#[pg_extern(sql = false)]
fn enable(
    tbl: Option<Table>,
    key: Option<Vec<Option<String>>>,
    content: Option<Vec<Option<String>>>,
    version_column: Option<String>,
    hash_column: Option<String>,
    parent_column: Option<String>,
    dedup: Option<String>,
    on_duplicate: Option<String>,
    lifecycle: Option<String>,
    mutable: Option<Vec<Option<String>>>,
    deleted_column: Option<String>,
    kind_column: Option<String>,
    semver: Option<JsonB>,
    check_version: Option<bool>,
    audit: Option<bool>,
    require_schema: Option<bool>,
) {
    enable_table(
        tbl,
        key,
        content,
        version_column,
        hash_column,
        parent_column,
        dedup,
        on_duplicate,
        lifecycle,
        mutable,
        deleted_column,
        kind_column,
        semver,
        check_version,
        audit,
        require_schema,
        None,
        Some(false),
    )
}

pub(crate) fn drop_triggers(name: &str, relid: pg_sys::Oid, triggers: &[&str]) {
    for &trigger in triggers {
        if spi::answer(
            "SELECT EXISTS (SELECT FROM pg_catalog.pg_trigger WHERE tgrelid OPERATOR(pg_catalog.=) $1 AND tgname OPERATOR(pg_catalog.=) $2)",
            &[relid.into(), trigger.into()],
        ) {
            spi::run(&format!("DROP TRIGGER {} ON {name}", pg::quote_ident(trigger)));
        }
    }
}

fn triggers_exist(relid: pg_sys::Oid) -> bool {
    spi::answer(
        "SELECT pg_catalog.count(*) OPERATOR(pg_catalog.=) 2 FROM pg_catalog.pg_trigger \
         WHERE tgrelid OPERATOR(pg_catalog.=) $1 AND tgname OPERATOR(pg_catalog.=) ANY (ARRAY[$2, $3]::pg_catalog.name[])",
        &[relid.into(), INSERT_TRIGGER.into(), CHANGE_TRIGGER.into()],
    )
}

/// The key columns of `config` and then `last`.
fn key_and<'a>(config: &'a TableConfig, last: &'a String) -> Vec<&'a String> {
    config.key.iter().chain([last]).collect()
}

/// The indexes the guarantees need, unless an equivalent one exists: unique (key…, version)
/// with NULLS NOT DISTINCT (NULL-equal keys), and (key…, hash) for dedup. An index an earlier
/// `enable` made for other columns (named as below, on the previous configuration's columns)
/// is replaced: kept, the unique one would hold the old key (a wider key's new versions
/// refused by a bare 23505).
fn create_indexes(
    name: &str,
    config: &TableConfig,
    previous: Option<&TableConfig>,
    columns: &[catalog::Column],
    relid: pg_sys::Oid,
) {
    let attnums = |cols: &[&String]| -> Vec<i16> {
        cols.iter()
            .map(|c| (catalog::find(columns, c).expect("validated").index + 1) as i16)
            .collect()
    };
    let relname = unsafe {
        std::ffi::CStr::from_ptr(pg_sys::get_rel_name(relid))
            .to_string_lossy()
            .into_owned()
    };
    let ensure = |suffix: &str, cols: Vec<&String>, before: Option<Vec<&String>>, unique: bool| {
        let index_name: String = format!("{relname}_{suffix}").chars().take(63).collect();
        if let Some(before) = before.filter(|b| *b != cols) {
            let stale = spi::run_one::<String>(
                "SELECT c.oid::pg_catalog.regclass::pg_catalog.text FROM pg_catalog.pg_index i \
                   JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.indexrelid \
                  WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND c.relname OPERATOR(pg_catalog.=) $2 \
                    AND pg_catalog.string_to_array(i.indkey::pg_catalog.text, ' ')::pg_catalog.int2[] OPERATOR(pg_catalog.=) $3",
                &[relid.into(), index_name.as_str().into(), attnums(&before).into()],
            );
            if let Some(stale) = stale {
                pgrx::notice!("replacing index {stale} of the previous configuration's columns");
                spi::run(&format!("DROP INDEX {stale}"));
            }
        }
        let exists = spi::answer(
            "SELECT EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indrelid OPERATOR(pg_catalog.=) $1 \
               AND pg_catalog.string_to_array(i.indkey::pg_catalog.text, ' ')::pg_catalog.int2[] OPERATOR(pg_catalog.=) $2 AND i.indpred IS NULL AND i.indexprs IS NULL \
               AND (NOT $3 OR (i.indisunique AND i.indnullsnotdistinct)))",
            &[relid.into(), attnums(&cols).into(), unique.into()],
        );
        if exists {
            return;
        }
        // Each column keeps its own collation, so the application's own queries on
        // (key…, hash) can use the index too.
        let list: Vec<String> = cols.iter().map(|c| pg::quote_ident(c)).collect();
        spi::run(&format!(
            "CREATE {} INDEX IF NOT EXISTS {} ON {name} ({}){}",
            if unique { "UNIQUE" } else { "" },
            pg::quote_ident(&index_name),
            list.join(", "),
            if unique { " NULLS NOT DISTINCT" } else { "" }
        ));
    };
    ensure(
        "versions",
        key_and(config, &config.version_column),
        previous.map(|p| key_and(p, &p.version_column)),
        true,
    );
    if let Some(h) = &config.hash_column {
        ensure(
            "content_hashes",
            key_and(config, h),
            previous.and_then(|p| Some(key_and(p, p.hash_column.as_ref()?))),
            false,
        );
    }
}

/// Writes the configuration row, as the owner of versioning.tables (callers have SELECT only;
/// ownership of the versioned table was checked by the caller).
fn store(name: &str, config: &TableConfig) {
    let json = serde_json::to_value(config).expect("configuration serializes");
    let user = unsafe {
        std::ffi::CStr::from_ptr(pg_sys::GetUserNameFromId(pg_sys::GetUserId(), false))
            .to_string_lossy()
            .into_owned()
    };
    pg::as_user(crate::extension::owner(), || {
        Spi::run_with_args(
            "INSERT INTO versioning.tables AS t (table_name, config, enabled_by) VALUES ($1, $2, $3) \
             ON CONFLICT (table_name) DO UPDATE SET config = excluded.config, \
               enabled_at = pg_catalog.now(), enabled_by = excluded.enabled_by",
            &[name.into(), JsonB(json).into(), user.into()],
        )
    })
    .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: could not store configuration: {e}")).raise());
}

/// Turns versioning off: removes the triggers and the configuration, keeps every row
/// (and the indexes, which the application may rely on).
#[pg_extern]
fn disable(tbl: Option<Table>) {
    let tbl = args::table("versioning.disable", "tbl", tbl);
    let relid = tbl.oid();
    let name = pg::qualified_name(relid);
    if !pg::current_user_owns(relid) {
        error(
            Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("must be owner of table {name} to disable versioning"),
        )
        .raise();
    }
    if config::load(&name).is_none() {
        not_versioned(&name);
    }
    drop_triggers(
        &name,
        relid,
        &[
            INSERT_TRIGGER,
            CHANGE_TRIGGER,
            CARRY_TRIGGER,
            CURRENT_TRIGGER,
        ],
    );
    pg::as_user(crate::extension::owner(), || {
        for rules in [
            "carry_forward WHERE parent_table",
            "current_pointers WHERE table_name",
            "retention WHERE table_name",
        ] {
            Spi::run_with_args(
                &format!("DELETE FROM versioning.{rules} OPERATOR(pg_catalog.=) $1"),
                &[name.as_str().into()],
            )?;
        }
        Spi::run_with_args(
            "DELETE FROM versioning.tables WHERE table_name OPERATOR(pg_catalog.=) $1",
            &[name.as_str().into()],
        )
    })
    .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise());
    invalidate(relid);
}

/// The state of a versioned table (55000 when it is not versioned).
fn state_of(tbl: &pgrx::PgRelation) -> std::rc::Rc<table_state::TableState> {
    table_state::try_get(tbl.as_ptr())
        .unwrap_or_else(|| not_versioned(&pg::qualified_name(tbl.oid())))
}

/// The table argument of `function`, opened (see [`args::table`]), and its versioning state.
fn versioned(
    function: &str,
    tbl: Option<Table>,
) -> (pgrx::PgRelation, std::rc::Rc<table_state::TableState>) {
    let rel = args::table(function, "tbl", tbl);
    let state = state_of(&rel);
    (rel, state)
}

pub(crate) fn not_versioned(name: &str) -> ! {
    error(
        Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
        format!("table {name} is not versioned"),
    )
    .hint(format!(
        "Call versioning.enable('{name}', key => ARRAY[…]) first."
    ))
    .raise()
}

/// The effective configuration of a versioned table.
#[pg_extern(stable)]
fn config(tbl: Option<Table>) -> JsonB {
    let tbl = args::table("versioning.config", "tbl", tbl);
    let name = pg::qualified_name(tbl.oid());
    let Some(c) = config::load(&name) else {
        not_versioned(&name)
    };
    let mut listed = serde_json::to_value(c).expect("configuration serializes");
    // what other functions set up for the table, where there is any
    if let Some(pointers) = current::listed(&name) {
        listed["current"] = pointers;
    }
    if let Some(policy) = retention::listed(&name) {
        listed["retention"] = policy;
    }
    JsonB(listed)
}

/// `versioning.canonical(jsonb)` and `versioning.content_hash(jsonb)` (sql/json_functions.sql)
/// read the value from jsonb's stored form, as an INSERT hashes a jsonb content column: the
/// same text, at any depth, without printing and parsing it. C functions, because a pgrx jsonb
/// argument would be turned into a serde value first.
unsafe fn canonical_of_arg(fcinfo: pg_sys::FunctionCallInfo) -> String {
    let value = pgrx::fcinfo::pg_getarg_datum_raw(fcinfo, 0);
    content::canonical_jsonb(value).unwrap_or_else(|e| e.error("the value").raise())
}

pg::function_info_v1!(
    pg_finfo_pgv_canonical_jsonb,
    pg_finfo_pgv_content_hash_jsonb
);

/// `versioning.canonical(value jsonb) → text` (strict: never called with NULL).
///
/// # Safety
/// Called by PostgreSQL with a non-NULL jsonb argument (the function is STRICT).
#[pgrx::pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_canonical_jsonb(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    pg::text_datum(&canonical_of_arg(fcinfo))
}

/// `versioning.content_hash(value jsonb) → text` (strict).
///
/// # Safety
/// Called by PostgreSQL with a non-NULL jsonb argument (the function is STRICT).
#[pgrx::pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_content_hash_jsonb(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    let canonical = canonical_of_arg(fcinfo);
    pg::text_datum(&content::hex(&versioning_core::sha256(
        canonical.as_bytes(),
    )))
}

/// Canonical JSON of a JSON text, through the text parser: the reference the tests compare
/// the stored-form reader with (`versioning._canonical_text(value::text)`).
#[pg_extern(immutable, strict, parallel_safe, name = "_canonical_text")]
fn canonical_text(json: &str) -> String {
    versioning_core::canonicalize(json).unwrap_or_else(|e| {
        if e.is_too_deep() {
            error(
                Code::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                format!(
                    "the text path reads JSON nested up to {} levels deep; this value nests deeper",
                    versioning_core::json::MAX_DEPTH
                ),
            )
            .raise()
        }
        error(
            Code::ERRCODE_INVALID_TEXT_REPRESENTATION,
            format!("invalid JSON: {e}"),
        )
        .raise()
    })
}

/// SHA-256 (lowercase hex) of the canonical JSON of a JSON text.
#[pg_extern(immutable, strict, parallel_safe, name = "_content_hash_text")]
fn content_hash_text(json: &str) -> String {
    content::hex(&versioning_core::sha256(canonical_text(json).as_bytes()))
}

pgrx::extension_sql_file!(
    "../../sql/json_functions.sql",
    name = "json_functions",
    requires = [canonical_text, content_hash_text]
);

pgrx::extension_sql_file!(
    "../../sql/versions.sql",
    name = "versions",
    requires = [
        versions::transition,
        versions::revert,
        versions::purge,
        labels::set_label,
        labels::label,
        rows::put,
        rows::latest,
        rows::get,
        rows::history_sql,
        rows::diff,
        rows::semver,
        rows::as_of,
        kinds::register_schema,
        labels::label_at,
        labels::label_history,
        schedule::schedule,
        schedule::apply_scheduled,
        schedule::scheduled_failed
    ]
);
