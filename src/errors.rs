//! Raising errors users can act on: every expected violation gets its SQLSTATE, a message
//! naming table, key and version, and a hint where there is an obvious next step.
//! (Returning `Err` or panicking from a trigger would surface as XX000.)
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};

pub use pgrx::PgSqlErrorCode as Code;

pub struct Error {
    code: PgSqlErrorCode,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
}

pub fn error(code: PgSqlErrorCode, message: impl Into<String>) -> Error {
    Error {
        code,
        message: message.into(),
        detail: None,
        hint: None,
    }
}

impl Error {
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// Raises the error through PostgreSQL's `errstart` … `errfinish` directly. `raise` panics
    /// instead, and pgrx makes the same calls once the panic has unwound every frame up to the
    /// entry point — the larger part of what a refused UPDATE costs over a PL/pgSQL RAISE.
    ///
    /// # Safety
    /// Only in a function called by PostgreSQL (a trigger's entry point), outside its pgrx
    /// guard, with nothing left to drop in that frame: `errfinish` jumps straight back into
    /// PostgreSQL. The strings are dropped here, before the jump.
    #[track_caller]
    pub unsafe fn raise_here(self) -> ! {
        use std::ffi::{c_char, c_int, CString};
        unsafe extern "C-unwind" {
            fn errstart(elevel: c_int, domain: *const c_char) -> bool;
            fn errcode(sqlerrcode: c_int) -> c_int;
            fn errmsg(fmt: *const c_char, ...) -> c_int;
            fn errdetail(fmt: *const c_char, ...) -> c_int;
            fn errhint(fmt: *const c_char, ...) -> c_int;
            fn errfinish(filename: *const c_char, lineno: c_int, funcname: *const c_char);
        }
        let c_text = |s: String| CString::new(s.replace('\0', "")).unwrap_or_default();
        let message = c_text(self.message);
        let detail = self.detail.map(c_text);
        let hint = self.hint.map(c_text);
        // errstart always accepts an ERROR; the texts are copied into PostgreSQL's error data
        if errstart(PgLogLevel::ERROR as c_int, std::ptr::null()) {
            errcode(self.code as c_int);
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
        let here = std::panic::Location::caller();
        let old = pgrx::pg_sys::MemoryContextSwitchTo(pgrx::pg_sys::ErrorContext);
        let file = pgrx::pg_sys::pstrdup(c_text(here.file().to_string()).as_ptr());
        pgrx::pg_sys::MemoryContextSwitchTo(old);
        // as pgrx does before an ERROR leaves Rust code
        pgrx::pg_sys::submodules::thread_check::active_thread::clear();
        errfinish(file, here.line() as c_int, c"pg_versioning".as_ptr());
        unreachable!("errfinish does not return from an ERROR")
    }

    pub fn raise(self) -> ! {
        let mut report = ErrorReport::new(self.code, self.message, "pg_versioning");
        if let Some(d) = self.detail {
            report = report.set_detail(d);
        }
        if let Some(h) = self.hint {
            report = report.set_hint(h);
        }
        report.report(PgLogLevel::ERROR);
        unreachable!("ERROR does not return")
    }
}
