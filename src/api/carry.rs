//! `versioning.enable_carry_forward` (docs/versioning.md, "Carrying approved rows forward"): checks the rule against both tables,
//! stores it in versioning.carry_forward and attaches the parent's AFTER INSERT trigger.
use super::args::{self, required, required_elements, Table};
use crate::carry_forward::Rule;
use crate::catalog::named as column;
use crate::catalog::{self, Column};
use crate::errors::{error, Code};
use crate::extension::CARRY_TRIGGER;
use crate::pg;
use crate::spi;
use pgrx::prelude::*;

fn same_type(table: &str, option: &str, c: &Column, want: &Column, what: &str) {
    if c.typid != want.typid {
        error(
            Code::ERRCODE_DATATYPE_MISMATCH,
            format!(
                "{option} \"{}\" of table {table} has type {}, but {what} has type {}",
                c.name,
                c.type_name(),
                want.type_name()
            ),
        )
        .raise();
    }
}

#[allow(clippy::too_many_arguments)]
#[pg_extern]
fn enable_carry_forward(
    child: Option<Table>,
    parent: Option<Table>,
    parent_column: Option<String>,
    when_column: Option<String>,
    when_values: Option<Vec<Option<String>>>,
    from_parent_column: default!(Option<String>, "NULL"),
    from_row_column: default!(Option<String>, "NULL"),
) {
    const F: &str = "versioning.enable_carry_forward";
    let child = args::table(F, "child", child);
    let parent = args::table(F, "parent", parent);
    let parent_column = required(F, "parent_column", parent_column);
    let when_column = required(F, "when_column", when_column);
    let when_values = required_elements(F, "when_values", when_values);
    let state = super::state_of(&parent);
    let child_name = pg::qualified_name(child.oid());
    for (oid, name) in [(child.oid(), &child_name), (state.relid, &state.name)] {
        if !pg::current_user_owns(oid) {
            error(
                Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
                format!("must be owner of table {name} to set up carry-forward"),
            )
            .raise();
        }
    }
    let Some(parent_pk) = state.primary_key.clone() else {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!(
                "carry-forward needs a single-column primary key on table {}",
                state.name
            ),
        )
        .raise()
    };
    let columns = unsafe { catalog::columns(child.as_ptr()) };
    let child_pk = unsafe { catalog::primary_key(child.as_ptr(), &columns) };
    drop(child); // DDL below needs no open relation of ours
    let child_table = ChildTable {
        name: &child_name,
        columns: &columns,
        primary_key: &child_pk,
    };
    child_table.check(
        &state.name,
        &parent_pk,
        &parent_column,
        &when_column,
        from_parent_column.as_deref(),
        from_row_column.as_deref(),
    );
    let rule = Rule {
        child: child_name.clone(),
        parent_column,
        when_column,
        when_values,
        from_parent_column,
        from_row_column,
    };
    store(&state.name, state.relid, &rule);
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(state.relid) };
}

/// The child table of a rule, as `enable_carry_forward` checks it.
struct ChildTable<'a> {
    name: &'a str,
    columns: &'a [Column],
    primary_key: &'a [Column],
}

impl ChildTable<'_> {
    /// The rule's columns exist, and those pointing at a primary key have its type.
    fn check(
        &self,
        parent: &str,
        parent_pk: &Column,
        parent_column: &str,
        when_column: &str,
        from_parent_column: Option<&str>,
        from_row_column: Option<&str>,
    ) {
        let link = column(self.name, self.columns, "parent_column", parent_column);
        same_type(
            self.name,
            "parent_column",
            link,
            parent_pk,
            &format!("the primary key of {parent}"),
        );
        column(self.name, self.columns, "when_column", when_column);
        if let Some(f) = from_parent_column {
            let c = column(self.name, self.columns, "from_parent_column", f);
            same_type(
                self.name,
                "from_parent_column",
                c,
                parent_pk,
                &format!("the primary key of {parent}"),
            );
        }
        if let Some(f) = from_row_column {
            if self.primary_key.len() != 1 {
                error(
                    Code::ERRCODE_INVALID_PARAMETER_VALUE,
                    format!(
                        "from_row_column needs a single-column primary key on table {}",
                        self.name
                    ),
                )
                .raise();
            }
            let c = column(self.name, self.columns, "from_row_column", f);
            same_type(
                self.name,
                "from_row_column",
                c,
                &self.primary_key[0],
                "its primary key",
            );
        }
    }
}

/// Stores the rule (as the extension's owner) and attaches the parent's AFTER INSERT trigger.
fn store(parent: &str, parent_relid: pg_sys::Oid, rule: &Rule) {
    let config = serde_json::to_value(rule).expect("rule serializes");
    pg::as_user(crate::extension::owner(), || {
        Spi::run_with_args(
            "INSERT INTO versioning.carry_forward (parent_table, child_table, config) VALUES ($1, $2, $3) \
             ON CONFLICT (parent_table, child_table) DO UPDATE SET config = excluded.config",
            &[parent.into(), rule.child.as_str().into(), pgrx::JsonB(config).into()],
        )
    })
    .unwrap_or_else(|e| error(Code::ERRCODE_INTERNAL_ERROR, format!("pg_versioning: {e}")).raise());
    let exists = spi::answer(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_trigger WHERE tgrelid OPERATOR(pg_catalog.=) $1 \
         AND tgname OPERATOR(pg_catalog.=) $2)",
        &[parent_relid.into(), CARRY_TRIGGER.into()],
    );
    if !exists {
        spi::run(&format!(
            "CREATE TRIGGER {} AFTER INSERT ON {} FOR EACH ROW EXECUTE FUNCTION versioning._after_insert()",
            pg::quote_ident(CARRY_TRIGGER),
            parent
        ));
    }
}
