//! Current-version pointers (docs/versioning.md, "Current-version pointers"): columns of another
//! table (`workflows.current_version_id`, `prompts.content`) that always hold values of a key's
//! current version — its highest version not soft-deleted, in a given state if the pointer names
//! one. The versioned table's AFTER row trigger (`trigger::current`) calls [`Pointer::refresh`]
//! for every row it writes, under the key's lock; the update runs as the target's owner.
use crate::catalog::Column;
use crate::pg;
use crate::spi::{self, KeptPlan, Snapshot};
use pgrx::pg_sys::{self, Datum, Oid};
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::collections::BTreeMap;

/// One pointer, as stored in versioning.current_pointers.config.
#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
pub struct Rule {
    /// the target table, quoted and schema-qualified
    pub target: String,
    /// versioned table's key column → target column
    #[serde(rename = "match")]
    pub matches: BTreeMap<String, String>,
    /// target column → versioned table column whose value it takes
    pub set: BTreeMap<String, String>,
    /// only versions in this state count as current
    pub state: Option<String>,
}

/// What the pointer's statement needs to know of the versioned table.
pub struct Versioned<'a> {
    pub name: &'a str,
    pub key: Vec<&'a Column>,
    pub version: &'a Column,
    pub deleted: Option<&'a Column>,
    pub status: Option<&'a Column>,
}

/// A rule of the versioned table's state, with its statement prepared on first use. The
/// statement names the target's columns, so the table's state is dropped when the target's
/// relcache entry is invalidated (`depends_on`).
pub struct Pointer {
    pub rule: Rule,
    prepared: OnceCell<Option<Prepared>>,
}

struct Prepared {
    plan: KeptPlan,
    target: Oid,
    owner: Oid,
}

impl Pointer {
    /// Whether the prepared statement was built from relation `relid` (the target table).
    pub fn depends_on(&self, relid: Oid) -> bool {
        matches!(self.prepared.get(), Some(Some(p)) if p.target == relid)
    }

    /// Sets the target row of the key whose values are `key` (in key column order) to the key's
    /// current version, or NULLs when it has none. `table` describes the versioned table, asked
    /// for only when the statement is first prepared. The caller holds the key's lock; needs an
    /// open SPI session.
    pub fn refresh<'a>(&self, table: impl FnOnce() -> Versioned<'a>, key: &[Option<Datum>]) {
        if key.iter().any(Option::is_none) {
            return; // a NULL key column matches no target row
        }
        let Some(p) = self.prepared.get_or_init(|| prepare(&self.rule, &table())) else {
            return; // the target table is gone (DROP TABLE also forgets the pointer)
        };
        pg::as_user(p.owner, || p.plan.execute(key, Snapshot::Transaction, 0));
    }
}

/// The pointers whose versioned table is `table` (none while the extension's SQL predates
/// pointers: the new library runs under the old SQL until ALTER EXTENSION … UPDATE).
pub fn rules_of(table: &str) -> Vec<Pointer> {
    if crate::extension::table(c"current_pointers") == Oid::INVALID {
        return Vec::new();
    }
    let rules: Vec<Rule> = spi::query_json(
        "SELECT pg_catalog.jsonb_agg(config ORDER BY target_table)::pg_catalog.text \
         FROM versioning.current_pointers WHERE table_name OPERATOR(pg_catalog.=) $1",
        &[table],
    )
    .unwrap_or_default();
    rules
        .into_iter()
        .map(|rule| Pointer {
            rule,
            prepared: OnceCell::new(),
        })
        .collect()
}

/// None when the target table no longer exists.
fn prepare(rule: &Rule, table: &Versioned) -> Option<Prepared> {
    let target = unsafe {
        pgrx::direct_function_call::<Oid>(
            pg_sys::to_regclass,
            &[pgrx::IntoDatum::into_datum(rule.target.as_str())],
        )
    }?;
    let types: Vec<Oid> = table.key.iter().map(|c| c.typid).collect();
    Some(Prepared {
        plan: KeptPlan::prepare(&statement(rule, table, true), &types),
        target,
        owner: pg::relation_owner(target),
    })
}

/// `UPDATE target t SET (c…) = (SELECT v.s… FROM table v WHERE v.k… = … [not soft-deleted]
/// [in the state] ORDER BY version DESC LIMIT 1)` — a key with no qualifying version gets
/// NULLs — for the target rows of the key given as parameters $1… (`one_key`), or for every
/// target row (each compared with its own key).
pub fn statement(rule: &Rule, table: &Versioned, one_key: bool) -> String {
    let q = pg::quote_ident;
    let mut versioned = Vec::new();
    let mut target_match = Vec::new();
    for (i, c) in table.key.iter().enumerate() {
        let Some(matched) = rule.matches.get(&c.name) else {
            crate::errors::error(
                crate::errors::Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "the current-version pointer of table {} into table {} matches no column to key column \"{}\"",
                    table.name, rule.target, c.name
                ),
            )
            .detail("The table was enabled again with other key columns.")
            .hint(format!(
                "Call versioning.enable_current('{}', '{}', …) again with a match for every key column.",
                table.name, rule.target
            ))
            .raise()
        };
        let t = format!("t.{}", q(matched));
        let value = if one_key {
            format!("${}", i + 1)
        } else {
            t.clone()
        };
        versioned.push(format!("v.{} {} {value}", q(&c.name), c.equality()));
        target_match.push(format!("{t} {} {value}", c.equality()));
    }
    if let Some(d) = table.deleted {
        versioned.push(format!("v.{} IS NULL", q(&d.name)));
    }
    if let (Some(s), Some(state)) = (table.status, &rule.state) {
        versioned.push(format!(
            "v.{}::pg_catalog.text OPERATOR(pg_catalog.=) {}",
            q(&s.name),
            pg::quote_literal(state)
        ));
    }
    let targets: Vec<String> = rule.set.keys().map(|c| q(c)).collect();
    let sources: Vec<String> = rule.set.values().map(|c| format!("v.{}", q(c))).collect();
    let assigned = if targets.len() == 1 {
        targets[0].clone()
    } else {
        format!("({})", targets.join(", "))
    };
    let which = if one_key {
        format!(" WHERE {}", target_match.join(" AND "))
    } else {
        String::new()
    };
    format!(
        "UPDATE {target} t SET {assigned} = (SELECT {sources} FROM {table} v WHERE {versioned} \
           ORDER BY v.{version} DESC LIMIT 1){which}",
        target = rule.target,
        sources = sources.join(", "),
        table = table.name,
        versioned = versioned.join(" AND "),
        version = q(&table.version.name),
    )
}
