//! Semantic version numbers at run time (the `semver` option): a new version's major.minor.patch
//! is its predecessor's bumped by the row's change type (rules in `versioning_core::semver`),
//! set at INSERT and recomputed while the version is editable.
use crate::errors::{error, Code};
use crate::pg;
use crate::row::Row;
use crate::table_state::TableState;
use pgrx::pg_sys::{self, Datum};
use versioning_core::semver::{bump, ChangeType};

/// The (column, value) replacements that give version `version` of the row's key its triple.
pub fn replacements(
    state: &TableState,
    heap: pg_sys::Relation,
    row: &Row,
    version: i64,
) -> Vec<(usize, Option<Datum>)> {
    let Some([change_type, major, minor, patch]) = &state.semver else {
        return Vec::new();
    };
    let change = row
        .get(change_type.index)
        .map(|d| String::from_utf8_lossy(unsafe { pg::varlena_bytes(d) }).into_owned());
    let change = ChangeType::parse(change.as_deref()).unwrap_or_else(|e| {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!(
                "version {version} of key {} in table {}: {e}",
                state.key.json(&row.values, &row.nulls),
                state.name
            ),
        )
        .raise()
    });
    let previous = (version > 1)
        .then(|| previous_triple(state, heap, row, version - 1, [major, minor, patch]))
        .flatten();
    let (m, n, p) = bump(previous, change);
    vec![
        (major.index, Some(pg::int_datum(m, major.typid))),
        (minor.index, Some(pg::int_datum(n, minor.typid))),
        (patch.index, Some(pg::int_datum(p, patch.typid))),
    ]
}

/// The major, minor and patch of version `version` of the row's key (None when it is gone or
/// its numbers are NULL: the next version starts again at 1.0.0).
fn previous_triple(
    state: &TableState,
    heap: pg_sys::Relation,
    row: &Row,
    version: i64,
    columns: [&crate::catalog::Column; 3],
) -> Option<(i64, i64, i64)> {
    crate::lookup::columns_of_version(
        state,
        heap,
        &row.values,
        &row.nulls,
        version,
        &columns.map(|c| c.index),
    )
    .and_then(|v| match v.as_slice() {
        [Some(a), Some(b), Some(c)] => Some((
            pg::int_from_datum(*a, columns[0].typid),
            pg::int_from_datum(*b, columns[1].typid),
            pg::int_from_datum(*c, columns[2].typid),
        )),
        _ => None,
    })
}
