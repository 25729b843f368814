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
        crate::pgrx_internals::raise_error(
            self.code as i32,
            self.message,
            self.detail,
            self.hint,
            std::panic::Location::caller(),
        )
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
