//! Partitioned versioned tables (docs/operations.md, "Partitioned tables"). A partitioned table
//! may be versioned when every column of its partition key, at every level, is a key column:
//! then all versions of a key live in one partition, and the per-row work of an insert (its
//! lock, its index probes) touches only the partition the row goes to. Configuration is stored
//! under the partitioned table's name; a partition finds it through its root.
use crate::errors::{error, Code};
use crate::pg;
use crate::spi;
use pgrx::pg_sys::{self, Oid};

/// Whether `relid` is a partitioned table.
pub fn is_partitioned(relid: Oid) -> bool {
    unsafe {
        pg_sys::get_rel_relkind(relid) == pg_sys::RELKIND_PARTITIONED_TABLE as std::os::raw::c_char
    }
}

/// Whether `relid` is a partition of another table.
pub fn is_partition(relid: Oid) -> bool {
    unsafe { pg_sys::get_rel_relispartition(relid) }
}

/// The table at the top of the partition tree `relid` belongs to (`relid` itself when it is
/// not a partition).
pub fn root_of(relid: Oid) -> Oid {
    if !is_partition(relid) {
        return relid;
    }
    spi::run_one::<pg_sys::Oid>("SELECT pg_catalog.pg_partition_root($1)", &[relid.into()])
        .unwrap_or(relid)
}

/// Every relation of the tree under `relid`, `relid` included (a table that is neither
/// partitioned nor a partition: itself).
pub fn tree(relid: Oid) -> Vec<Oid> {
    let members = spi::query_json::<Vec<u32>>(
        "SELECT pg_catalog.jsonb_agg(relid::pg_catalog.oid::pg_catalog.int8)::pg_catalog.text \
         FROM pg_catalog.pg_partition_tree($1::pg_catalog.oid::pg_catalog.regclass)",
        &[&relid.to_u32().to_string()],
    )
    .unwrap_or_default()
    .into_iter()
    .map(Oid::from)
    .collect::<Vec<Oid>>();
    if members.is_empty() {
        vec![relid]
    } else {
        members
    }
}

/// Refuses (0A000) a partition key, of `relid` or of any partitioned table below it, with a
/// column outside the versioning key or an expression: a key's versions could then be split
/// across partitions, and neither numbering nor dedup could see them all.
pub fn require_key_partitioning(table: &str, relid: Oid, key: &[String]) {
    let outside: Vec<(u32, Option<String>)> = spi::query_json(
        "SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(t.relid::pg_catalog.oid::pg_catalog.int8, a.attname) \
                                     ORDER BY t.level, t.relid)::pg_catalog.text \
           FROM pg_catalog.pg_partition_tree($1::pg_catalog.oid::pg_catalog.regclass) t \
           JOIN pg_catalog.pg_partitioned_table p ON p.partrelid OPERATOR(pg_catalog.=) t.relid \
           CROSS JOIN LATERAL pg_catalog.unnest(p.partattrs::pg_catalog.int2[]) AS k(attnum) \
           LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) t.relid \
                 AND a.attnum OPERATOR(pg_catalog.=) k.attnum \
          WHERE a.attname IS NULL OR NOT (a.attname::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[]))",
        &[&relid.to_u32().to_string(), &text_array(key)],
    )
    .unwrap_or_default();
    if let Some((partitioned, column)) = outside.into_iter().next() {
        let what = match column {
            Some(c) => format!("column \"{c}\", which is not a key column"),
            None => "an expression".to_string(),
        };
        error(
            Code::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!(
                "cannot version table {table}: the partition key of {} has {what}",
                pg::qualified_name(Oid::from(partitioned))
            ),
        )
        .detail(format!(
            "Every partition key column must be a key column ({}), so that all versions of a key live in one partition; otherwise a key's versions could be split across partitions, and numbering and duplicate detection would not see them all.",
            key.join(", ")
        ))
        .hint("Partition by key columns (for example PARTITION BY HASH or LIST on a key column), or add the partition column to the key.")
        .raise();
    }
}

/// Refuses (0A000) a partition of `table` among `members` that has a versioning configuration
/// of its own (it was versioned as a table by itself): it would carry two sets of triggers.
pub fn require_no_own_configuration(table: &str, members: &[Oid]) {
    for &member in members {
        let name = pg::qualified_name(member);
        if crate::config::load(&name).is_some() {
            error(
                Code::ERRCODE_FEATURE_NOT_SUPPORTED,
                format!("cannot version {name} as a partition of {table}: it is versioned by itself"),
            )
            .hint(format!(
                "Call versioning.disable('{name}') first (its rows keep their versions), then attach it or enable versioning on {table}."
            ))
            .raise();
        }
    }
}

/// Whether `relid` is a foreign table.
pub fn is_foreign(relid: Oid) -> bool {
    unsafe {
        pg_sys::get_rel_relkind(relid) == pg_sys::RELKIND_FOREIGN_TABLE as std::os::raw::c_char
    }
}

/// Refuses (42809) a foreign table among the partitions `members` of `table`: every partition
/// must hold the unique (key…, version) index, and PostgreSQL builds no index on a foreign
/// table (it would refuse with a message about indexes; this one names the partition before
/// any row is adopted).
pub fn require_no_foreign_partitions(table: &str, members: &[Oid]) {
    if let Some(&foreign) = members.iter().find(|&&m| is_foreign(m)) {
        let name = pg::qualified_name(foreign);
        error(
            Code::ERRCODE_WRONG_OBJECT_TYPE,
            format!("cannot version table {table}: its partition {name} is a foreign table"),
        )
        .detail("Every partition of a versioned table holds its unique (key, version) index, and PostgreSQL cannot build an index on a foreign table.")
        .hint(format!("Detach it first: ALTER TABLE {table} DETACH PARTITION {name}."))
        .raise();
    }
}

/// `{a,b}` as a text[] literal.
fn text_array(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("{{{}}}", quoted.join(","))
}
