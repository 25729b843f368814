//! Carry-forward (docs/versioning.md, "Carrying approved rows forward"; examples/001_review_workflow.sql): when a new version of a parent key is inserted,
//! the previous version's child rows whose `when_column` is in `when_values` are copied to it,
//! in the same statement. An AFTER INSERT row trigger on the parent does it, so the new parent
//! row exists when the copies' foreign keys are checked. Copies run as the child table's owner.
use crate::catalog;
use crate::pg;
use crate::spi::{self, KeptPlan, Snapshot};
use pgrx::pg_sys::{self, Datum, Oid};
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;

/// One rule, as stored in versioning.carry_forward.config.
#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
pub struct Rule {
    pub child: String,
    pub parent_column: String,
    pub when_column: String,
    pub when_values: Vec<String>,
    pub from_parent_column: Option<String>,
    pub from_row_column: Option<String>,
}

/// A rule of the parent's table state, with its copying statement prepared on first use. The
/// statement names the child's columns, so the parent's state is dropped when the child's
/// relcache entry is invalidated (`depends_on`).
pub struct Carry {
    pub rule: Rule,
    prepared: OnceCell<Option<Prepared>>,
}

struct Prepared {
    plan: KeptPlan,
    child: Oid,
    /// copies run as the child table's owner
    owner: Oid,
}

impl Carry {
    /// Whether the prepared statement was built from relation `relid` (the child table).
    pub fn depends_on(&self, relid: Oid) -> bool {
        matches!(self.prepared.get(), Some(Some(p)) if p.child == relid)
    }
}

/// The rules whose parent is `table`.
pub fn rules_of(table: &str) -> Vec<Carry> {
    let rules: Vec<Rule> = spi::query_json(
        "SELECT pg_catalog.jsonb_agg(config)::pg_catalog.text FROM versioning.carry_forward \
         WHERE parent_table OPERATOR(pg_catalog.=) $1",
        &[table],
    )
    .unwrap_or_default();
    rules
        .into_iter()
        .map(|rule| Carry {
            rule,
            prepared: OnceCell::new(),
        })
        .collect()
}

/// Copies one rule's child rows from the previous parent version (primary key `previous`) to
/// the new one (`new`) of `key` in `table`, as the child table's owner, and logs it.
/// Needs an open SPI session.
#[allow(clippy::too_many_arguments)]
pub fn copy(
    table: &str,
    carry: &Carry,
    pk: &catalog::Column,
    previous: Datum,
    new: Datum,
    key: &str,
    version: i64,
) {
    let Some(p) = carry.prepared.get_or_init(|| prepare(&carry.rule, pk)) else {
        return; // the child table is gone (DROP TABLE also forgets the rule)
    };
    let count = pg::as_user(p.owner, || {
        p.plan
            .execute(&[Some(new), Some(previous)], Snapshot::Transaction, 0)
    });
    if count > 0 {
        crate::audit::write(&crate::audit::Entry {
            table,
            key_json: key,
            version: Some(version),
            action: "carry_forward",
            detail: Some(serde_json::json!({ "child": carry.rule.child, "rows": count, "from_version": version - 1 }).to_string()),
            ..Default::default()
        });
    }
}

/// `INSERT INTO child (…) SELECT … FROM child WHERE parent = $2 AND when = ANY (…)`, with $1 the
/// new parent's key; None when the child table no longer exists. Needs an open SPI session.
fn prepare(rule: &Rule, pk: &catalog::Column) -> Option<Prepared> {
    let child_oid = (unsafe {
        pgrx::direct_function_call::<pg_sys::Oid>(
            pg_sys::to_regclass,
            &[pgrx::IntoDatum::into_datum(rule.child.as_str())],
        )
    })?;
    let (columns, child_pk) = unsafe {
        let child = pg_sys::table_open(child_oid, pg_sys::RowExclusiveLock as i32);
        let columns = catalog::columns(child);
        let child_pk = catalog::primary_key(child, &columns).pop();
        pg_sys::table_close(child, pg_sys::NoLock as i32);
        (columns, child_pk)
    };
    let q = pg::quote_ident;
    let special = [
        Some(&rule.parent_column),
        rule.from_parent_column.as_ref(),
        rule.from_row_column.as_ref(),
    ];
    let copied: Vec<String> = columns
        .iter()
        .filter(|c| !c.generated && child_pk.as_ref().is_none_or(|p| p.name != c.name))
        .filter(|c| !special.iter().flatten().any(|s| **s == c.name))
        .map(|c| q(&c.name))
        .collect();
    let mut target: Vec<String> = copied.clone();
    let mut source: Vec<String> = copied.iter().map(|c| format!("c.{c}")).collect();
    target.push(q(&rule.parent_column));
    source.push("$1".into());
    if let Some(f) = &rule.from_parent_column {
        target.push(q(f));
        source.push("$2".into());
    }
    if let (Some(f), Some(p)) = (&rule.from_row_column, &child_pk) {
        target.push(q(f));
        source.push(format!("c.{}", q(&p.name)));
    }
    let values: Vec<String> = rule
        .when_values
        .iter()
        .map(|v| pg::quote_literal(v))
        .collect();
    let sql = format!(
        "INSERT INTO {child} ({target}) SELECT {source} FROM {child} c \
         WHERE c.{parent} {equals} $2 \
           AND c.{when}::pg_catalog.text OPERATOR(pg_catalog.=) ANY (ARRAY[{values}]::pg_catalog.text[])",
        child = rule.child,
        target = target.join(", "),
        source = source.join(", "),
        parent = q(&rule.parent_column),
        equals = catalog::find(&columns, &rule.parent_column).map_or("OPERATOR(pg_catalog.=)".into(), |c| c.equality()),
        when = q(&rule.when_column),
        values = values.join(", "),
    );
    Some(Prepared {
        plan: KeptPlan::prepare(&sql, &[pk.typid, pk.typid]),
        child: child_oid,
        owner: pg::relation_owner(child_oid),
    })
}
