//! Columns of a relation, as the configuration and the trigger path need them.
use crate::pg;
use pgrx::pg_sys::{self, Oid};
use std::ffi::CStr;

#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    /// 0-based index into the tuple descriptor (attnum - 1)
    pub index: usize,
    pub typid: Oid,
    pub typmod: i32,
    pub collation: Oid,
    pub typlen: i16,
    pub typbyval: bool,
    /// has a default that is not immutable (now(), gen_random_uuid(), nextval(…)),
    /// or is an identity or generated column: never content
    pub volatile_default: bool,
    /// a generated column: computed after BEFORE triggers, so the hash could not cover it
    pub generated: bool,
    /// a row inserted without a value for it gets one: a default, an identity or generated
    pub has_default: bool,
}

impl Column {
    /// The type's name for messages (schema-qualified only where the search_path needs it).
    pub fn type_name(&self) -> String {
        unsafe {
            CStr::from_ptr(pg_sys::format_type_be(self.typid))
                .to_string_lossy()
                .into_owned()
        }
    }
    /// The type's name for SQL the extension runs: always schema-qualified, so the caller's
    /// search_path cannot put another type of that name in its place.
    pub fn sql_type(&self) -> String {
        unsafe {
            CStr::from_ptr(pg_sys::format_type_be_qualified(self.typid))
                .to_string_lossy()
                .into_owned()
        }
    }
    /// `OPERATOR(schema.=)`: the equality of the type's default btree operator class — the one
    /// the (key…, version) index compares with, so that SQL and the index probes agree (citext
    /// keys compare case-insensitively in both) — named by its schema, whatever the
    /// search_path. pg_catalog's `=` for a type without a btree class.
    pub fn equality(&self) -> String {
        unsafe {
            let opclass = pg_sys::GetDefaultOpClass(self.typid, pg_sys::BTREE_AM_OID);
            let operator = if opclass == Oid::INVALID {
                Oid::INVALID
            } else {
                let input = pg_sys::get_opclass_input_type(opclass);
                pg_sys::get_opfamily_member(
                    pg_sys::get_opclass_family(opclass),
                    input,
                    input,
                    pg_sys::BTEqualStrategyNumber as i16,
                )
            };
            let tuple = pg_sys::SearchSysCache1(
                pg_sys::SysCacheIdentifier::OPEROID as i32,
                pg_sys::Datum::from(operator),
            );
            if tuple.is_null() {
                return "OPERATOR(pg_catalog.=)".into();
            }
            let form = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_operator>(tuple);
            let schema = CStr::from_ptr(pg_sys::get_namespace_name((*form).oprnamespace))
                .to_string_lossy()
                .into_owned();
            let name = CStr::from_ptr((*form).oprname.data.as_ptr())
                .to_string_lossy()
                .into_owned();
            pg_sys::ReleaseSysCache(tuple);
            format!("OPERATOR({}.{name})", crate::pg::quote_ident(&schema))
        }
    }
    pub fn is_integer(&self) -> bool {
        matches!(
            self.typid,
            pg_sys::INT2OID | pg_sys::INT4OID | pg_sys::INT8OID
        )
    }
    pub fn is_text(&self) -> bool {
        matches!(self.typid, pg_sys::TEXTOID | pg_sys::VARCHAROID)
    }
}

/// The live (not dropped) columns of an open relation, in attribute order.
///
/// # Safety
/// `rel` is an open relation.
pub unsafe fn columns(rel: pg_sys::Relation) -> Vec<Column> {
    let desc = (*rel).rd_att;
    let mut out = Vec::new();
    for i in 0..(*desc).natts as usize {
        let att = &*pg::tuple_desc_attr(desc, i);
        if att.attisdropped {
            continue;
        }
        let default = pg_sys::build_column_default(rel, att.attnum as i32);
        let has_default = !default.is_null() && att.atthasdef;
        let volatile_default = att.attidentity != 0
            || att.attgenerated != 0
            || (has_default && pg_sys::contain_mutable_functions(default));
        out.push(Column {
            name: CStr::from_ptr(att.attname.data.as_ptr())
                .to_string_lossy()
                .into_owned(),
            index: i,
            typid: att.atttypid,
            typmod: att.atttypmod,
            collation: att.attcollation,
            typlen: att.attlen,
            typbyval: att.attbyval,
            volatile_default,
            generated: att.attgenerated != 0,
            has_default: has_default || att.attidentity != 0 || att.attgenerated != 0,
        });
    }
    out
}

pub fn find<'a>(columns: &'a [Column], name: &str) -> Option<&'a Column> {
    columns.iter().find(|c| c.name == name)
}

/// The columns of the table's primary key, in key order (empty when it has none). Of a
/// partitioned table, whose primary key must include its partition key: the columns besides
/// the partition key's (a row's id, when one remains; unique by itself only by construction —
/// a uuid default, an identity — since PostgreSQL enforces it together with the partition key).
///
/// # Safety
/// `rel` is an open relation and `columns` its columns.
pub unsafe fn primary_key(rel: pg_sys::Relation, columns: &[Column]) -> Vec<Column> {
    let mut keys = primary_key_attnums(rel);
    if (*(*rel).rd_rel).relkind == pg_sys::RELKIND_PARTITIONED_TABLE as std::os::raw::c_char {
        let partition_key = crate::spi::run_one::<Vec<i16>>(
            "SELECT partattrs::pg_catalog.int2[] FROM pg_catalog.pg_partitioned_table WHERE partrelid OPERATOR(pg_catalog.=) $1",
            &[(*rel).rd_id.into()],
        )
        .unwrap_or_default();
        keys.retain(|k| !partition_key.contains(k));
    }
    keys.iter()
        .filter_map(|&attnum| {
            columns
                .iter()
                .find(|c| c.index + 1 == attnum as usize)
                .cloned()
        })
        .collect()
}

unsafe fn primary_key_attnums(rel: pg_sys::Relation) -> Vec<i16> {
    let index_oid = pg::primary_key_index(rel);
    if index_oid == Oid::INVALID {
        return Vec::new();
    }
    let index = pg_sys::index_open(index_oid, pg_sys::AccessShareLock as i32);
    let form = (*index).rd_index;
    let natts = (*form).indnkeyatts as usize;
    let keys = (*form).indkey.values.as_slice(natts).to_vec();
    pg_sys::index_close(index, pg_sys::AccessShareLock as i32);
    keys
}

/// The column `name` that option `option` names, or 42703 naming table, option and column.
pub fn named<'a>(table: &str, columns: &'a [Column], option: &str, name: &str) -> &'a Column {
    find(columns, name).unwrap_or_else(|| {
        crate::errors::error(
            crate::errors::Code::ERRCODE_UNDEFINED_COLUMN,
            format!("column \"{name}\" named in {option} does not exist in table {table}"),
        )
        .hint("Options name columns of the table itself; check the spelling and case.")
        .raise()
    })
}
