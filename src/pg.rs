//! Thin helpers around PostgreSQL's C API, so the trigger path reads as logic.
use pgrx::pg_sys::{self, Datum, Oid};
use std::ffi::{CStr, CString};

/// `schema.table`, each part quoted only where needed: the form tables are stored by.
pub fn qualified_name(relid: Oid) -> String {
    unsafe {
        let nsp = pg_sys::get_namespace_name(pg_sys::get_rel_namespace(relid));
        let rel = pg_sys::get_rel_name(relid);
        if nsp.is_null() || rel.is_null() {
            return format!("relation {}", relid.to_u32());
        }
        CStr::from_ptr(pg_sys::quote_qualified_identifier(nsp, rel))
            .to_string_lossy()
            .into_owned()
    }
}

pub fn quote_ident(name: &str) -> String {
    let c = CString::new(name).expect("identifier without NUL");
    unsafe {
        CStr::from_ptr(pg_sys::quote_identifier(c.as_ptr()))
            .to_string_lossy()
            .into_owned()
    }
}

/// `PG_FUNCTION_INFO_V1` for C-convention functions written by hand (the trigger functions,
/// `versioning.canonical`/`content_hash`): each named `pg_finfo_<symbol>` function tells
/// PostgreSQL that `<symbol>` uses the version-1 calling convention.
macro_rules! function_info_v1 {
    ($($finfo:ident),* $(,)?) => {$(
        #[no_mangle]
        #[doc(hidden)]
        pub extern "C" fn $finfo() -> &'static pgrx::pg_sys::Pg_finfo_record {
            const V1: pgrx::pg_sys::Pg_finfo_record = pgrx::pg_sys::Pg_finfo_record { api_version: 1 };
            &V1
        }
    )*};
}
pub(crate) use function_info_v1;

/// The bytes of a varlena datum (text, bytea, json), detoasted.
/// The slice lives in the current memory context.
///
/// # Safety
/// `datum` is a non-NULL varlena value; the slice must not outlive the memory context.
pub unsafe fn varlena_bytes<'a>(datum: Datum) -> &'a [u8] {
    let v = pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr());
    let len = pgrx::varlena::varsize_any_exhdr(v);
    let data = pgrx::varlena::vardata_any(v) as *const u8;
    std::slice::from_raw_parts(data, len)
}

/// A text datum (also good for varchar) in the current memory context.
pub fn text_datum(s: &str) -> Datum {
    unsafe {
        Datum::from(pg_sys::cstring_to_text_with_len(
            s.as_ptr() as *const _,
            s.len() as i32,
        ))
    }
}

/// A bytea datum in the current memory context.
pub fn bytea_datum(bytes: &[u8]) -> Datum {
    // text and bytea share the varlena layout
    unsafe {
        Datum::from(pg_sys::cstring_to_text_with_len(
            bytes.as_ptr() as *const _,
            bytes.len() as i32,
        ))
    }
}

/// The text of a jsonb datum, as jsonb_out prints it.
///
/// # Safety
/// `datum` is a non-NULL jsonb value.
pub unsafe fn jsonb_text(datum: Datum) -> String {
    let jb = pg_sys::pg_detoast_datum(datum.cast_mut_ptr()) as *mut pg_sys::Jsonb;
    let size = pgrx::varlena::varsize_any(jb as *const pg_sys::varlena) as i32;
    let cstr = pg_sys::JsonbToCString(std::ptr::null_mut(), &mut (*jb).root, size);
    let s = CStr::from_ptr(cstr).to_string_lossy().into_owned();
    pg_sys::pfree(cstr.cast());
    s
}

/// Whether two non-NULL values of one type are the same value, byte for byte after detoasting
/// (what "this column changed" means for a frozen version).
///
/// # Safety
/// `a` and `b` are non-NULL values of one type with this `typlen` and `typbyval`.
pub unsafe fn same_value(a: Datum, b: Datum, typlen: i16, typbyval: bool) -> bool {
    if typbyval {
        return a == b;
    }
    match typlen {
        -1 => varlena_bytes(a) == varlena_bytes(b),
        -2 => CStr::from_ptr(a.cast_mut_ptr()) == CStr::from_ptr(b.cast_mut_ptr()),
        n => {
            let n = n as usize;
            std::slice::from_raw_parts(a.cast_mut_ptr::<u8>(), n)
                == std::slice::from_raw_parts(b.cast_mut_ptr::<u8>(), n)
        }
    }
}

/// An integer of the column's width (int2, int4 or int8).
pub fn int_datum(value: i64, typid: Oid) -> Datum {
    match typid {
        pg_sys::INT2OID => Datum::from(value as i16),
        pg_sys::INT4OID => Datum::from(value as i32),
        _ => Datum::from(value),
    }
}

/// The largest value of an integer type (int2, int4 or int8).
pub fn int_max(typid: Oid) -> i64 {
    match typid {
        pg_sys::INT2OID => i16::MAX.into(),
        pg_sys::INT4OID => i32::MAX.into(),
        _ => i64::MAX,
    }
}

pub fn int_from_datum(datum: Datum, typid: Oid) -> i64 {
    match typid {
        pg_sys::INT2OID => datum.value() as i16 as i64,
        pg_sys::INT4OID => datum.value() as i32 as i64,
        _ => datum.value() as i64,
    }
}

/// Runs `f` as `user` (e.g. the versioned table's owner, so that row-level security and the
/// caller's column privileges cannot make numbering wrong). An error inside `f` aborts the
/// (sub)transaction, which restores the previous user by itself.
pub fn as_user<R>(user: Oid, f: impl FnOnce() -> R) -> R {
    unsafe {
        let mut saved_user = Oid::INVALID;
        let mut saved_context = 0;
        pg_sys::GetUserIdAndSecContext(&mut saved_user, &mut saved_context);
        pg_sys::SetUserIdAndSecContext(
            user,
            saved_context
                | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32
                | pg_sys::SECURITY_NOFORCE_RLS as i32,
        );
        let result = f();
        pg_sys::SetUserIdAndSecContext(saved_user, saved_context);
        result
    }
}

/// The OIDs of `rel`'s indexes.
///
/// # Safety
/// `rel` is an open relation.
pub unsafe fn index_oids(rel: pg_sys::Relation) -> Vec<Oid> {
    let list = pg_sys::RelationGetIndexList(rel);
    (0..pg_sys::list_length(list))
        .map(|i| (*(*list).elements.add(i as usize)).oid_value)
        .collect()
}

/// Whether an (open) index is on plain columns and has no predicate: its entries follow from a
/// row's columns alone.
///
/// # Safety
/// `index` is an open index relation.
pub unsafe fn is_plain_index(index: pg_sys::Relation) -> bool {
    pg_sys::RelationGetIndexExpressions(index).is_null()
        && pg_sys::RelationGetIndexPredicate(index).is_null()
}

/// The relation a statement's RangeVar names, as it is now (no lock; InvalidOid when there is
/// none: the statement itself reports that).
///
/// # Safety
/// `relation` is a RangeVar of a parse tree.
pub unsafe fn range_var_oid(relation: *mut pg_sys::RangeVar) -> Oid {
    pg_sys::RangeVarGetRelidExtended(
        relation,
        pg_sys::NoLock as _,
        pg_sys::RVROption::RVR_MISSING_OK,
        None,
        std::ptr::null_mut(),
    )
}

pub fn relation_owner(relid: Oid) -> Oid {
    unsafe {
        let tuple = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::RELOID as i32,
            Datum::from(relid),
        );
        if tuple.is_null() {
            return Oid::INVALID;
        }
        let form = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_class>(tuple);
        let owner = (*form).relowner;
        pg_sys::ReleaseSysCache(tuple);
        owner
    }
}

/// Whether the current user owns (is a member of the owner role of) the relation.
pub fn current_user_owns(relid: Oid) -> bool {
    #[cfg(feature = "pg15")]
    unsafe {
        pg_sys::pg_class_ownercheck(relid, pg_sys::GetUserId())
    }
    #[cfg(not(feature = "pg15"))]
    unsafe {
        pg_sys::object_ownercheck(pg_sys::RelationRelationId, relid, pg_sys::GetUserId())
    }
}

// Where PostgreSQL's C API differs between the supported majors (pgrx.toml), the difference
// lives here and nowhere else.

/// Attribute `i` of a tuple descriptor. PostgreSQL 18 keeps a compact array first, so the
/// full attributes are reached through its TupleDescAttr().
///
/// # Safety
/// `desc` is a valid tuple descriptor and `i` < its `natts`.
pub unsafe fn tuple_desc_attr(
    desc: pg_sys::TupleDesc,
    i: usize,
) -> *const pg_sys::FormData_pg_attribute {
    #[cfg(feature = "pg18")]
    {
        pg_sys::TupleDescAttr(desc, i as i32)
    }
    #[cfg(not(feature = "pg18"))]
    {
        (*desc).attrs.as_ptr().add(i)
    }
}

/// The OID of the relation's primary key index (InvalidOid when it has none; a deferrable
/// primary key counts, as before PostgreSQL 18 made that a parameter).
///
/// # Safety
/// `rel` is an open relation.
pub unsafe fn primary_key_index(rel: pg_sys::Relation) -> Oid {
    #[cfg(feature = "pg18")]
    {
        pg_sys::RelationGetPrimaryKeyIndex(rel, true)
    }
    #[cfg(not(feature = "pg18"))]
    {
        pg_sys::RelationGetPrimaryKeyIndex(rel)
    }
}

/// index_beginscan() without instrumentation (a parameter since PostgreSQL 18).
///
/// # Safety
/// As for index_beginscan(): open relations and a registered snapshot.
pub unsafe fn index_beginscan(
    heap: pg_sys::Relation,
    index: pg_sys::Relation,
    snapshot: pg_sys::Snapshot,
    nkeys: i32,
) -> pg_sys::IndexScanDesc {
    #[cfg(feature = "pg18")]
    {
        pg_sys::index_beginscan(heap, index, snapshot, std::ptr::null_mut(), nkeys, 0)
    }
    #[cfg(not(feature = "pg18"))]
    {
        pg_sys::index_beginscan(heap, index, snapshot, nkeys, 0)
    }
}

pub fn uses_transaction_snapshot() -> bool {
    // IsolationUsesXactSnapshot(): REPEATABLE READ or SERIALIZABLE
    unsafe { pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32 }
}

/// A copy of a datum in the current memory context (datumCopy()).
///
/// # Safety
/// `datum` is a non-NULL value of a type with this `typbyval` and `typlen`.
pub unsafe fn datum_copy(datum: Datum, typbyval: bool, typlen: i16) -> Datum {
    if typbyval {
        return datum;
    }
    match typlen {
        -1 => Datum::from(pg_sys::pg_detoast_datum_copy(datum.cast_mut_ptr())),
        -2 => Datum::from(pg_sys::pstrdup(datum.cast_mut_ptr())),
        n => {
            let copy = pg_sys::palloc(n as usize);
            std::ptr::copy_nonoverlapping(datum.cast_mut_ptr::<u8>(), copy as *mut u8, n as usize);
            Datum::from(copy)
        }
    }
}

/// A SQL string literal.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
