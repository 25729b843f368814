//! The content hash of a row (SPEC section 7):
//! - one jsonb/json content column: the canonical JSON text of its value;
//! - one text (or varchar) column: its UTF-8 bytes; one bytea column: its bytes;
//! - otherwise the canonical JSON text of {column_name: to_jsonb(value), …}.
//!
//! A single content column that is SQL NULL has no hash: any byte string it could hash as is
//! also some text's hash, and NULL content is no duplicate of anything (NULL ≠ NULL).
//! timestamptz values are written as to_jsonb writes them with TimeZone = 'UTC', so the hash
//! does not depend on the session's time zone.
use crate::catalog::Column;
use crate::errors::{error, Code};
use crate::pg;
use pgrx::pg_sys::{self, Datum};
use versioning_core::json::{self, Value};

/// Calls `to_jsonb(value)` for one column type. to_jsonb is polymorphic, so it learns the
/// argument type from an expression node we attach once (as the executor would).
pub struct ToJsonb {
    finfo: *mut pg_sys::FmgrInfo,
    /// timestamptz, formatted as timestamp (the UTC wall clock) plus "+00:00"
    utc: bool,
}

impl ToJsonb {
    /// Allocates in `mcx`, which must outlive the value.
    pub unsafe fn new(column: &Column, mcx: pg_sys::MemoryContext) -> ToJsonb {
        let old = pg_sys::MemoryContextSwitchTo(mcx);
        let finfo =
            pg_sys::palloc0(std::mem::size_of::<pg_sys::FmgrInfo>()) as *mut pg_sys::FmgrInfo;
        pg_sys::fmgr_info_cxt(pg_sys::Oid::from(pg_sys::F_TO_JSONB), finfo, mcx);
        // A timestamptz holds UTC microseconds; read as a timestamp it is the UTC wall clock.
        let utc = column.typid == pg_sys::TIMESTAMPTZOID;
        let typid = if utc {
            pg_sys::TIMESTAMPOID
        } else {
            column.typid
        };
        let arg = pg_sys::makeNullConst(typid, column.typmod, column.collation);
        let args = pg_sys::lappend(std::ptr::null_mut(), arg.cast());
        (*finfo).fn_expr = pg_sys::makeFuncExpr(
            pg_sys::Oid::from(pg_sys::F_TO_JSONB),
            pg_sys::JSONBOID,
            args,
            pg_sys::Oid::INVALID,
            pg_sys::Oid::INVALID,
            pg_sys::CoercionForm::COERCE_EXPLICIT_CALL,
        )
        .cast();
        pg_sys::MemoryContextSwitchTo(old);
        ToJsonb { finfo, utc }
    }

    /// The JSON text of to_jsonb(value); `null` for SQL NULL.
    pub fn text(&self, value: Option<Datum>) -> String {
        match value {
            None => "null".to_string(),
            Some(d) => unsafe {
                let jb = pg_sys::FunctionCall1Coll(self.finfo, pg_sys::Oid::INVALID, d);
                let mut text = pg::jsonb_text(jb);
                // "2026-01-02T03:04:05" → "2026-01-02T03:04:05+00:00" (not "infinity")
                if self.utc && text.len() > 2 && text.as_bytes()[text.len() - 2].is_ascii_digit() {
                    text.insert_str(text.len() - 1, "+00:00");
                }
                text
            },
        }
    }

    pub fn value(&self, value: Option<Datum>) -> Value {
        parse(&self.text(value))
    }
}

fn parse(text: &str) -> Value {
    json::parse(text).unwrap_or_else(|e| {
        error(
            Code::ERRCODE_INTERNAL_ERROR,
            format!("pg_versioning: could not read JSON produced by PostgreSQL: {e}"),
        )
        .raise()
    })
}

fn canonical(value: &Value) -> String {
    let mut out = String::new();
    if let Err(e) = versioning_core::canonical::write_canonical(value, &mut out) {
        error(
            Code::ERRCODE_INTERNAL_ERROR,
            format!("pg_versioning: could not canonicalize JSON: {e}"),
        )
        .raise();
    }
    out
}

/// Canonical JSON text of a jsonb value.
pub fn canonical_jsonb(datum: Datum) -> String {
    canonical(&parse(&unsafe { pg::jsonb_text(datum) }))
}

/// How a table's content is turned into the bytes that are hashed.
pub enum Content {
    Jsonb(Column),
    Json(Column),
    Text(Column),
    Bytea(Column),
    /// several columns (or one of another type): {name: to_jsonb(value), …}
    Object(Vec<(Column, ToJsonb)>),
}

impl Content {
    pub unsafe fn new(columns: Vec<Column>, mcx: pg_sys::MemoryContext) -> Content {
        if columns.len() == 1 {
            let c = columns[0].clone();
            match c.typid {
                pg_sys::JSONBOID => return Content::Jsonb(c),
                pg_sys::JSONOID => return Content::Json(c),
                pg_sys::TEXTOID | pg_sys::VARCHAROID => return Content::Text(c),
                pg_sys::BYTEAOID => return Content::Bytea(c),
                _ => {}
            }
        }
        Content::Object(
            columns
                .into_iter()
                .map(|c| {
                    let f = ToJsonb::new(&c, mcx);
                    (c, f)
                })
                .collect(),
        )
    }

    /// SHA-256 of the row's canonical content (None: a single content column that is NULL).
    /// `values`/`nulls` are the deformed row.
    pub fn hash(&self, values: &[Datum], nulls: &[bool]) -> Option<[u8; 32]> {
        let get = |c: &Column| (!nulls[c.index]).then(|| values[c.index]);
        let sha = versioning_core::sha256;
        unsafe {
            match self {
                Content::Jsonb(c) => get(c).map(|d| sha(canonical_jsonb(d).as_bytes())),
                Content::Json(c) => get(c).map(|d| {
                    let text = String::from_utf8_lossy(pg::varlena_bytes(d));
                    sha(canonical(&parse(&text)).as_bytes())
                }),
                Content::Text(c) | Content::Bytea(c) => get(c).map(|d| sha(pg::varlena_bytes(d))),
                Content::Object(columns) => {
                    let members = columns
                        .iter()
                        .map(|(c, f)| (c.name.clone(), f.value(get(c))))
                        .collect();
                    Some(sha(canonical(&Value::Object(members)).as_bytes()))
                }
            }
        }
    }
}

pub fn hex(hash: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in hash {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// The hash written as 64 hex digits (either case), as bytes.
pub fn from_hex(text: &[u8]) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (i, pair) in text.chunks(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}
