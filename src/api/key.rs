//! An entity key given as JSON (`'{"reference": "wf-1"}'`; a key column missing from the
//! object means NULL), turned into SQL conditions on the versioned table.
use crate::errors::{error, Code};
use crate::pg;
use crate::table_state::TableState;

/// Conditions selecting the key's rows of `alias`; the key's JSON text is parameter `$1`.
pub fn conditions(state: &TableState, key_json: &str, alias: &str) -> String {
    let key: serde_json::Value = serde_json::from_str(key_json).unwrap_or(serde_json::Value::Null);
    let Some(object) = key.as_object() else {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("the key for table {} must be a JSON object", state.name),
        )
        .hint(format!("For example '{}'.", example(state)))
        .raise()
    };
    if let Some(unknown) = object
        .keys()
        .find(|k| !state.key.iter().any(|c| &c.column.name == *k))
    {
        error(
            Code::ERRCODE_UNDEFINED_COLUMN,
            format!("\"{unknown}\" is not a key column of table {}", state.name),
        )
        .hint(format!(
            "The key columns are: {}.",
            state
                .key
                .iter()
                .map(|k| k.column.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .raise();
    }
    state
        .key
        .iter()
        .map(|k| {
            let c = &k.column;
            let column = format!("{alias}.{}", pg::quote_ident(&c.name));
            match given(c, object.get(&c.name), 1) {
                None => format!("{column} IS NULL"),
                Some(value) => format!("{column} {} {value}", c.equality()),
            }
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The key given as JSON text in parameter `$n`, normalized as the log stores keys: every key
/// column by name, its value cast to the column's type (NULL when missing). Call after
/// `conditions` has checked the key.
pub fn normalized(state: &TableState, key_json: &str, n: usize) -> String {
    let key: serde_json::Value = serde_json::from_str(key_json).unwrap_or(serde_json::Value::Null);
    let parts: Vec<String> = state
        .key
        .iter()
        .map(|k| {
            let c = &k.column;
            let value =
                given(c, key.get(&c.name), n).unwrap_or_else(|| format!("NULL::{}", c.sql_type()));
            format!(
                "{}, {}",
                pg::quote_literal(&c.name),
                logged_value(c, &value)
            )
        })
        .collect();
    format!("pg_catalog.jsonb_build_object({})", parts.join(", "))
}

/// SQL for key column `c`'s value `expr` as the log holds it: as to_jsonb writes it, except
/// that a timestamptz is written in UTC whatever the session's time zone, as the INSERT path
/// writes it (`content::ToJsonb`).
fn logged_value(c: &crate::catalog::Column, expr: &str) -> String {
    if c.typid != pgrx::pg_sys::TIMESTAMPTZOID {
        return expr.to_string();
    }
    let utc = format!("pg_catalog.timezone('UTC', {expr})");
    format!(
        "CASE WHEN pg_catalog.isfinite({expr}) \
         THEN pg_catalog.to_jsonb(pg_catalog.concat(pg_catalog.to_jsonb({utc}) OPERATOR(pg_catalog.#>>) '{{}}', '+00:00')) \
         ELSE pg_catalog.to_jsonb({utc}) END"
    )
}

/// The key column's value given in the JSON of parameter `$n`, cast to the column's type; None
/// when the key leaves it out or gives null (the column is NULL).
fn given(
    c: &crate::catalog::Column,
    value: Option<&serde_json::Value>,
    n: usize,
) -> Option<String> {
    match value {
        None | Some(serde_json::Value::Null) => None,
        Some(_) => Some(format!(
            "CAST(${n}::pg_catalog.jsonb OPERATOR(pg_catalog.->>) {} AS {})",
            pg::quote_literal(&c.name),
            c.sql_type()
        )),
    }
}

/// The key given as JSON, as the log holds keys (see `normalized`), computed as the caller: it
/// casts to the key columns' types, whose input functions and domain checks must never run as
/// the log's owner. Refuses a key naming other columns.
pub fn as_logged(state: &TableState, key_json: &str) -> String {
    conditions(state, key_json, "t");
    crate::spi::run_one::<String>(
        &format!(
            "SELECT ({})::pg_catalog.text",
            normalized(state, key_json, 1)
        ),
        &[key_json.into()],
    )
    .expect("jsonb_build_object returns a value")
}

/// `jsonb_build_object('k1', alias.k1, …)`: the key of a row, normalized as the log holds keys.
pub fn json_of_row(state: &TableState, alias: &str) -> String {
    let parts: Vec<String> = state
        .key
        .iter()
        .map(|k| {
            let column = format!("{alias}.{}", pg::quote_ident(&k.column.name));
            format!(
                "{}, {}",
                pg::quote_literal(&k.column.name),
                logged_value(&k.column, &column)
            )
        })
        .collect();
    format!("pg_catalog.jsonb_build_object({})", parts.join(", "))
}

fn example(state: &TableState) -> String {
    let parts: Vec<String> = state
        .key
        .iter()
        .map(|k| format!("\"{}\": …", k.column.name))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// `alias.k1 DESC, …, alias.version DESC`: newest first, written so the (key…, version) index
/// gives the order even when key columns are matched with IS NULL (which does not make them
/// constant for the planner's ordering, so `ORDER BY version DESC` alone would sort).
pub fn newest_first(state: &TableState, alias: &str) -> String {
    state
        .key
        .iter()
        .map(|k| &k.column)
        .chain(std::iter::once(&state.version))
        .map(|c| format!("{alias}.{} DESC", pg::quote_ident(&c.name)))
        .collect::<Vec<_>>()
        .join(", ")
}
