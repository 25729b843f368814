//! Everything that relies on pgrx beyond its documented API, in one place. Checked against
//! pgrx 0.18.1 (the version pgrx.toml pins); revisit each item when that pin moves.
//!
//! - `guard`: pgrx's `pgrx_extern_c_guard`, which `#[pg_guard]` expands to, around a trigger's
//!   work, so that a refusal can be raised after the guard (see `trigger::refusable`).
//! - `raise_error`: an ERROR raised through PostgreSQL's `errstart` … `errfinish` (declared
//!   here; pgrx does not export them), clearing pgrx's active-thread check as pgrx does before
//!   an ERROR leaves Rust code.
//! - `Table`'s argument conversion: `ArgAbi` and `SqlTranslatable`, which pgrx exposes for its
//!   macros and asks not to implement, so that a `regclass` argument arrives unopened.
use pgrx::callconv::{Arg, ArgAbi};
use pgrx::datum::FromDatum;
use pgrx::nullable::Nullable;
use pgrx::pg_sys::{self, Oid};
use pgrx::pgrx_sql_entity_graph::metadata::{
    ArgumentError, ReturnsError, ReturnsRef, SqlMappingRef, SqlTranslatable, TypeOrigin,
};
use std::ffi::{c_char, c_int, CString};

/// Runs `work` under pgrx's guard: a Rust panic or a PostgreSQL error inside becomes a
/// PostgreSQL error, as with `#[pg_guard]`; what `work` returns comes back as it is.
///
/// # Safety
/// In a function called by PostgreSQL through the C ABI.
#[inline(always)]
pub unsafe fn guard<R>(work: impl FnOnce() -> R) -> R {
    pg_sys::submodules::panic::pgrx_extern_c_guard(work)
}

/// Raises an ERROR with `code` (a packed SQLSTATE), message, detail and hint, reported at
/// `location`.
///
/// # Safety
/// Only in a function called by PostgreSQL, outside any pgrx guard, with nothing left to drop
/// in the calling frames: `errfinish` jumps straight back into PostgreSQL. The strings are
/// dropped here, before the jump.
pub unsafe fn raise_error(
    code: i32,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
    location: &std::panic::Location,
) -> ! {
    unsafe extern "C-unwind" {
        fn errstart(elevel: c_int, domain: *const c_char) -> bool;
        fn errcode(sqlerrcode: c_int) -> c_int;
        fn errmsg(fmt: *const c_char, ...) -> c_int;
        fn errdetail(fmt: *const c_char, ...) -> c_int;
        fn errhint(fmt: *const c_char, ...) -> c_int;
        fn errfinish(filename: *const c_char, lineno: c_int, funcname: *const c_char);
    }
    let c_text = |s: String| CString::new(s.replace('\0', "")).unwrap_or_default();
    let message = c_text(message);
    let detail = detail.map(c_text);
    let hint = hint.map(c_text);
    // errstart always accepts an ERROR; the texts are copied into PostgreSQL's error data
    if errstart(pgrx::PgLogLevel::ERROR as c_int, std::ptr::null()) {
        errcode(code);
        errmsg(c"%s".as_ptr(), message.as_ptr());
        if let Some(d) = &detail {
            errdetail(c"%s".as_ptr(), d.as_ptr());
        }
        if let Some(h) = &hint {
            errhint(c"%s".as_ptr(), h.as_ptr());
        }
    }
    drop((message, detail, hint));
    // the error keeps pointing at its source file name: copy it where the error lives
    let old = pg_sys::MemoryContextSwitchTo(pg_sys::ErrorContext);
    let file = pg_sys::pstrdup(c_text(location.file().to_string()).as_ptr());
    pg_sys::MemoryContextSwitchTo(old);
    pg_sys::submodules::thread_check::active_thread::clear();
    errfinish(file, location.line() as c_int, c"pg_versioning".as_ptr());
    unreachable!("errfinish does not return from an ERROR")
}

/// A `regclass` argument of a SQL function, not yet opened: only its OID (checked and opened
/// by `api::args::table`).
pub struct Table(pub Oid);

impl FromDatum for Table {
    unsafe fn from_polymorphic_datum(datum: pg_sys::Datum, is_null: bool, _: Oid) -> Option<Self> {
        (!is_null).then(|| Table(Oid::from(datum.value() as u32)))
    }
}

// Safety: a regclass is an OID passed by value; reading it needs nothing else.
unsafe impl<'fcx> ArgAbi<'fcx> for Table {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        arg.unbox_arg_using_from_datum()
            .unwrap_or(Table(Oid::INVALID))
    }

    unsafe fn unbox_nullable_arg(arg: Arg<'_, 'fcx>) -> Nullable<Self> {
        arg.unbox_arg_using_from_datum().into()
    }
}

// Safety: the SQL type is regclass, whose values are OIDs, as `from_polymorphic_datum` reads them.
unsafe impl SqlTranslatable for Table {
    const TYPE_IDENT: &'static str = pgrx::pgrx_resolved_type!(Table);
    const TYPE_ORIGIN: TypeOrigin = TypeOrigin::External;
    const ARGUMENT_SQL: Result<SqlMappingRef, ArgumentError> =
        Ok(SqlMappingRef::literal("regclass"));
    const RETURN_SQL: Result<ReturnsRef, ReturnsError> =
        Ok(ReturnsRef::One(SqlMappingRef::literal("regclass")));
}
