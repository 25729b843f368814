//! Schema changes follow a versioned table (docs/operations.md, "Schema changes"): two event
//! triggers around every ALTER TABLE. At `ddl_command_start` the statement's parse tree names
//! the table as it is before the change; when that table is versioned (or a carry-forward
//! child), its name and columns are remembered. At `ddl_command_end` the table is compared with
//! what was remembered: renamed columns and a new name are written into everything stored about
//! the table; a dropped configured column, or a type change that would hash or compare
//! differently, is refused (the error undoes the ALTER).
use crate::catalog::{self, Column};
use crate::config::{self, TableConfig};
use crate::errors::{error, Code};
use crate::pg;
use crate::spi;
use crate::table_state;
use pgrx::pg_sys::{self, Datum, Oid};
use pgrx::JsonB;
use std::cell::RefCell;

/// A table an ALTER TABLE is about to change, as it was.
struct Before {
    relid: Oid,
    name: String,
    columns: Vec<Column>,
    /// None: only a carry-forward child
    config: Option<TableConfig>,
    /// the columns rules name besides the table's own configuration: as a carry-forward child,
    /// and a current-version pointer's columns
    rule_columns: Vec<String>,
}

thread_local! {
    static PENDING: RefCell<Vec<Before>> = const { RefCell::new(Vec::new()) };
}

pg::function_info_v1!(pg_finfo_pgv_ddl_start, pg_finfo_pgv_ddl_end);

/// `versioning._ddl_start()`: ddl_command_start, WHEN TAG IN ('ALTER TABLE').
///
/// # Safety
/// Called by PostgreSQL as an event trigger.
#[pgrx::pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_ddl_start(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    PENDING.with(|p| p.borrow_mut().clear());
    let Some(tree) = parse_tree(fcinfo) else {
        return Datum::from(0);
    };
    super::partitions::before_alter(tree);
    let relation = match (*tree).type_ {
        pg_sys::NodeTag::T_AlterTableStmt => (*(tree as *mut pg_sys::AlterTableStmt)).relation,
        pg_sys::NodeTag::T_RenameStmt => {
            let stmt = tree as *mut pg_sys::RenameStmt;
            let kind = (*stmt).renameType;
            if kind == pg_sys::ObjectType::OBJECT_TABLE || kind == pg_sys::ObjectType::OBJECT_COLUMN
            {
                (*stmt).relation
            } else {
                std::ptr::null_mut()
            }
        }
        pg_sys::NodeTag::T_AlterObjectSchemaStmt => {
            let stmt = tree as *mut pg_sys::AlterObjectSchemaStmt;
            if (*stmt).objectType == pg_sys::ObjectType::OBJECT_TABLE {
                (*stmt).relation
            } else {
                std::ptr::null_mut()
            }
        }
        _ => std::ptr::null_mut(),
    };
    if relation.is_null() {
        return Datum::from(0);
    }
    let relid = pg::range_var_oid(relation);
    if relid == Oid::INVALID
        || !matches!(
            pg_sys::get_rel_relkind(relid) as u8,
            pg_sys::RELKIND_RELATION | pg_sys::RELKIND_PARTITIONED_TABLE
        )
    {
        return Datum::from(0);
    }
    let name = pg::qualified_name(relid);
    let config = config::load(&name);
    let rule_columns = rule_columns(&name);
    if config.is_none() && rule_columns.is_empty() {
        return Datum::from(0);
    }
    let rel = pgrx::PgRelation::with_lock(relid, pg_sys::AccessShareLock as _);
    let columns = catalog::columns(rel.as_ptr());
    drop(rel);
    PENDING.with(|p| {
        p.borrow_mut().push(Before {
            relid,
            name,
            columns,
            config,
            rule_columns,
        })
    });
    Datum::from(0)
}

/// `versioning._ddl_end()`: ddl_command_end, WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE') (a new
/// partition: `trigger::partitions`).
///
/// # Safety
/// Called by PostgreSQL as an event trigger.
#[pgrx::pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_ddl_end(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    let tree = parse_tree(fcinfo);
    if let Some(create) = tree.filter(|t| (**t).type_ == pg_sys::NodeTag::T_CreateStmt) {
        // CREATE TABLE has no ddl_command_start here: what is pending is an ALTER TABLE's.
        super::partitions::after_create(create);
        return Datum::from(0);
    }
    let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    for before in pending {
        follow(before);
    }
    Datum::from(0)
}

unsafe fn parse_tree(fcinfo: pg_sys::FunctionCallInfo) -> Option<*mut pg_sys::Node> {
    let ctx = (*fcinfo).context;
    if ctx.is_null() || (*ctx).type_ != pg_sys::NodeTag::T_EventTriggerData {
        error(
            Code::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
            "versioning's schema-change functions must be called as event triggers",
        )
        .raise();
    }
    let tree = (*(ctx as *mut pg_sys::EventTriggerData)).parsetree;
    (!tree.is_null()).then_some(tree)
}

/// The columns of `table` that rules name besides its own configuration: a carry-forward
/// child's columns, the columns of a current-version pointer (in its versioned table and its
/// target).
fn rule_columns(table: &str) -> Vec<String> {
    spi::query_json(
        "SELECT pg_catalog.jsonb_agg(c)::pg_catalog.text FROM ( \
           SELECT c FROM versioning.carry_forward, \
             LATERAL (VALUES (config OPERATOR(pg_catalog.->>) 'parent_column'), (config OPERATOR(pg_catalog.->>) 'when_column'), \
                             (config OPERATOR(pg_catalog.->>) 'from_parent_column'), (config OPERATOR(pg_catalog.->>) 'from_row_column')) AS v(c) \
            WHERE child_table OPERATOR(pg_catalog.=) $1 AND c IS NOT NULL \
           UNION ALL \
           SELECT m.c FROM versioning.current_pointers, \
             LATERAL (SELECT value FROM pg_catalog.jsonb_each_text(config OPERATOR(pg_catalog.->) 'match') \
                      UNION ALL SELECT key FROM pg_catalog.jsonb_each_text(config OPERATOR(pg_catalog.->) 'set')) AS m(c) \
            WHERE target_table OPERATOR(pg_catalog.=) $1 \
           UNION ALL \
           SELECT m.c FROM versioning.current_pointers, \
             LATERAL (SELECT key FROM pg_catalog.jsonb_each_text(config OPERATOR(pg_catalog.->) 'match') \
                      UNION ALL SELECT value FROM pg_catalog.jsonb_each_text(config OPERATOR(pg_catalog.->) 'set')) AS m(c) \
            WHERE table_name OPERATOR(pg_catalog.=) $1) AS named",
        &[table],
    )
    .unwrap_or_default()
}

/// Compares the table with what it was and writes the changes into what is stored about it.
unsafe fn follow(before: Before) {
    let relid = before.relid;
    if pg_sys::get_rel_relkind(relid) == 0 {
        return; // dropped meanwhile (the sql_drop trigger forgets it)
    }
    let name = pg::qualified_name(relid);
    let rel = pgrx::PgRelation::with_lock(relid, pg_sys::AccessShareLock as _);
    let now = catalog::columns(rel.as_ptr());
    drop(rel);
    let mut renamed: Vec<(String, String)> = Vec::new();
    let mut config = before.config.clone();
    for old in &before.columns {
        let current = now.iter().find(|c| c.index == old.index);
        if let Some(config) = config.as_mut() {
            check_kept(&before.name, config, old, current);
        }
        if current.is_none() && before.rule_columns.contains(&old.name) {
            error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("cannot drop column \"{}\" of table {}: a carry-forward rule or a current-version pointer names it", old.name, before.name),
            )
            .hint(format!("Remove the rule first (versioning.disable on the parent table, or versioning.disable_current), or keep the column of {}.", before.name))
            .raise();
        }
        if let Some(c) = current.filter(|c| c.name != old.name) {
            renamed.push((old.name.clone(), c.name.clone()));
        }
    }
    if let (Some(config), true) = (config.as_mut(), renamed.is_empty()) {
        check_parent_type(&name, config, &now);
    }
    if renamed.is_empty() && name == before.name {
        return;
    }
    let key_renames: Vec<&(String, String)> = match &before.config {
        Some(c) => renamed
            .iter()
            .filter(|(old, _)| c.key.contains(old))
            .collect(),
        None => Vec::new(),
    };
    if let Some(config) = config.as_mut() {
        for (old, new) in &renamed {
            config.rename_column(old, new);
        }
        check_parent_type(&name, config, &now);
    }
    pg::as_user(crate::extension::owner(), || {
        store(&before.name, &name, config.as_ref(), &key_renames, &renamed)
    });
    table_state::forget(Oid::INVALID); // parents' carry-forward statements name child columns
    pg_sys::CacheInvalidateRelcacheByRelid(relid);
}

/// A configured column must stay, with a type that hashes and compares as before.
fn check_kept(table: &str, config: &mut TableConfig, old: &Column, current: Option<&Column>) {
    let Some(role) = config.role_of(&old.name) else {
        return;
    };
    let hint = format!(
        "Call versioning.disable('{table}') first, or versioning.enable('{table}', …) again without this column."
    );
    let Some(current) = current else {
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "cannot drop column \"{}\" of table {table}: it is {role} of the versioned table",
                old.name
            ),
        )
        .hint(hint)
        .raise()
    };
    if role == "mutable" || same_hashing(old, current) {
        return;
    }
    error(
        Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
        format!(
            "cannot change the type of column \"{}\" of table {table} from {} to {}: it is {role} of the versioned table",
            old.name,
            old.type_name(),
            current.type_name()
        ),
    )
    .detail("Only changes that hash and compare values as before are followed: within text and varchar (any length), within smallint, integer and bigint.")
    .hint(hint)
    .raise()
}

/// Whether values keep their hash (and key equality) across a type change.
fn same_hashing(old: &Column, new: &Column) -> bool {
    let family = |t: Oid| match t {
        pg_sys::TEXTOID | pg_sys::VARCHAROID => 1,
        pg_sys::INT2OID | pg_sys::INT4OID | pg_sys::INT8OID => 2,
        _ => 0,
    };
    (old.typid == new.typid && old.typmod == new.typmod)
        || (family(old.typid) != 0 && family(old.typid) == family(new.typid))
}

/// parent_column keeps the primary key's type (a type change of either must keep them equal).
fn check_parent_type(table: &str, config: &TableConfig, now: &[Column]) {
    let (Some(p), [pk]) = (&config.parent_column, config.primary_key.as_slice()) else {
        return;
    };
    let (Some(p), Some(pk)) = (catalog::find(now, p), catalog::find(now, pk)) else {
        return;
    };
    if p.typid != pk.typid {
        error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "parent_column \"{}\" of versioned table {table} would have type {}, but the primary key \"{}\" has type {}",
                p.name,
                p.type_name(),
                pk.name,
                pk.type_name()
            ),
        )
        .hint("Change both columns to the same type in one ALTER TABLE.")
        .raise();
    }
}

/// Writes the new name and column names into every table of schema versioning.
fn store(
    old_name: &str,
    name: &str,
    config: Option<&TableConfig>,
    key_renames: &[&(String, String)],
    renamed: &[(String, String)],
) {
    let run = |sql: &str, args: &[pgrx::datum::DatumWithOid]| {
        pgrx::Spi::run_with_args(sql, args).unwrap_or_else(|e| {
            error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise()
        })
    };
    if let Some(config) = config {
        let json = serde_json::to_value(config).expect("configuration serializes");
        run(
            "UPDATE versioning.tables SET table_name = $2, config = $3 WHERE table_name OPERATOR(pg_catalog.=) $1",
            &[old_name.into(), name.into(), JsonB(json).into()],
        );
    }
    if old_name != name {
        for table in [
            "labels",
            "label_protections",
            "left_editable",
            "log",
            "current_pointers",
            "retention",
            "scheduled",
        ] {
            run(
                &format!("UPDATE versioning.{table} SET table_name = $2 WHERE table_name OPERATOR(pg_catalog.=) $1"),
                &[old_name.into(), name.into()],
            );
        }
        run(
            "UPDATE versioning.carry_forward SET parent_table = $2 WHERE parent_table OPERATOR(pg_catalog.=) $1",
            &[old_name.into(), name.into()],
        );
        run(
            "UPDATE versioning.carry_forward SET child_table = $2, \
               config = pg_catalog.jsonb_set(config, '{child}', pg_catalog.to_jsonb($2::pg_catalog.text)) \
             WHERE child_table OPERATOR(pg_catalog.=) $1",
            &[old_name.into(), name.into()],
        );
        run(
            "UPDATE versioning.current_pointers SET target_table = $2, \
               config = pg_catalog.jsonb_set(config, '{target}', pg_catalog.to_jsonb($2::pg_catalog.text)) \
             WHERE target_table OPERATOR(pg_catalog.=) $1",
            &[old_name.into(), name.into()],
        );
    }
    // The stored keys name the key columns: {"old": v} becomes {"new": v}.
    for (old, new) in key_renames {
        let renamed_key = |k: &str| {
            format!("({k} OPERATOR(pg_catalog.-) $2::pg_catalog.text) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object($3::pg_catalog.text, {k} OPERATOR(pg_catalog.->) $2::pg_catalog.text)")
        };
        for table in ["labels", "log", "scheduled"] {
            run(
                &format!("UPDATE versioning.{table} SET key = {} WHERE table_name OPERATOR(pg_catalog.=) $1 AND key OPERATOR(pg_catalog.?) $2::pg_catalog.text", renamed_key("key")),
                &[name.into(), old.as_str().into(), new.as_str().into()],
            );
        }
        run(
            &format!(
                "UPDATE versioning.left_editable SET key = versioning.canonical({}) WHERE table_name OPERATOR(pg_catalog.=) $1",
                renamed_key("key::pg_catalog.jsonb")
            ),
            &[name.into(), old.as_str().into(), new.as_str().into()],
        );
    }
    // A current-version pointer names columns of both tables: in "match" the versioned table's
    // (keys) and the target's (values), in "set" the target's (keys) and the versioned table's
    // (values).
    for (old, new) in renamed {
        let rename = |side: &str, keys: bool, tables: &str| {
            let renamed_map = if keys {
                format!("(config OPERATOR(pg_catalog.->) '{side}' OPERATOR(pg_catalog.-) $2::pg_catalog.text) \
                         OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object($3::pg_catalog.text, \
                         config OPERATOR(pg_catalog.->) '{side}' OPERATOR(pg_catalog.->) $2::pg_catalog.text)")
            } else {
                format!("(SELECT pg_catalog.jsonb_object_agg(k, CASE WHEN v OPERATOR(pg_catalog.=) $2::pg_catalog.text THEN $3::pg_catalog.text ELSE v END) \
                          FROM pg_catalog.jsonb_each_text(config OPERATOR(pg_catalog.->) '{side}') AS e(k, v))")
            };
            let named = if keys {
                format!("config OPERATOR(pg_catalog.->) '{side}' OPERATOR(pg_catalog.?) $2::pg_catalog.text")
            } else {
                "true".to_string()
            };
            run(
                &format!(
                    "UPDATE versioning.current_pointers SET config = pg_catalog.jsonb_set(config, '{{{side}}}', {renamed_map}) \
                     WHERE {tables} OPERATOR(pg_catalog.=) $1 AND {named}"
                ),
                &[name.into(), old.as_str().into(), new.as_str().into()],
            );
        };
        rename("match", true, "table_name");
        rename("set", false, "table_name");
        rename("match", false, "target_table");
        rename("set", true, "target_table");
    }
    // A carry-forward child's columns named by its rules.
    for (old, new) in renamed {
        for field in [
            "parent_column",
            "when_column",
            "from_parent_column",
            "from_row_column",
        ] {
            run(
                &format!(
                    "UPDATE versioning.carry_forward SET config = pg_catalog.jsonb_set(config, '{{{field}}}', pg_catalog.to_jsonb($3::pg_catalog.text)) \
                     WHERE child_table OPERATOR(pg_catalog.=) $1 AND config OPERATOR(pg_catalog.->>) '{field}' OPERATOR(pg_catalog.=) $2"
                ),
                &[name.into(), old.as_str().into(), new.as_str().into()],
            );
        }
    }
}
