//! The content hash of a row (docs/versioning.md, "The content hash"):
//! - one jsonb/json content column: the canonical JSON text of its value;
//! - one text (or varchar) column: its UTF-8 bytes; one bytea column: its bytes;
//! - otherwise the canonical JSON text of {column_name: to_jsonb(value), …}.
//!
//! A single content column that is SQL NULL has no hash: any byte string it could hash as is
//! also some text's hash, and NULL content is no duplicate of anything (NULL ≠ NULL).
//! timestamptz values are written as to_jsonb writes them with TimeZone = 'UTC', so the hash
//! does not depend on the session's time zone.
use crate::catalog::Column;
use crate::errors::{error, Code, Error};
use crate::pg;
use pgrx::pg_sys::{self, Datum};
use versioning_core::json::{self, Value};

/// Calls `to_jsonb(value)` for one column type. to_jsonb is polymorphic, so it learns the
/// argument type from an expression node we attach once (as the executor would).
pub struct ToJsonb {
    finfo: *mut pg_sys::FmgrInfo,
    /// timestamptz, formatted as timestamp (the UTC wall clock) plus "+00:00"
    utc: bool,
    /// types whose canonical JSON we write directly (same text, without the detour through
    /// jsonb): text in a UTF-8 database, integers, booleans
    direct: Direct,
}

#[derive(Clone, Copy, PartialEq)]
enum Direct {
    No,
    Text,
    Integer(pg_sys::Oid),
    Bool,
}

impl ToJsonb {
    /// Allocates in `mcx`, which must outlive the value.
    /// # Safety
    /// `mcx` is a valid memory context that outlives the value.
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
        let utf8 = pg_sys::GetDatabaseEncoding() == pg_sys::pg_enc::PG_UTF8 as i32;
        let direct = match column.typid {
            pg_sys::TEXTOID | pg_sys::VARCHAROID if utf8 => Direct::Text,
            t @ (pg_sys::INT2OID | pg_sys::INT4OID | pg_sys::INT8OID) => Direct::Integer(t),
            pg_sys::BOOLOID => Direct::Bool,
            _ => Direct::No,
        };
        ToJsonb { finfo, utc, direct }
    }

    /// Appends the canonical JSON of to_jsonb(value) (`null` for SQL NULL) to `out`.
    pub fn write_canonical(
        &self,
        value: Option<Datum>,
        out: &mut String,
    ) -> Result<(), Unhashable> {
        use std::fmt::Write;
        let Some(d) = value else {
            out.push_str("null");
            return Ok(());
        };
        match self.direct {
            Direct::Text => {
                let bytes = unsafe { pg::varlena_bytes(d) };
                versioning_core::canonical::write_string(&String::from_utf8_lossy(bytes), out);
            }
            Direct::Integer(t) => {
                let _ = write!(out, "{}", pg::int_from_datum(d, t));
            }
            Direct::Bool => out.push_str(if d.value() != 0 { "true" } else { "false" }),
            Direct::No => out.push_str(&canonical(&self.value(Some(d))?)),
        }
        Ok(())
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

    fn value(&self, value: Option<Datum>) -> Result<Value, Unhashable> {
        parse(&self.text(value))
    }
}

/// Content read through its JSON text that has no canonical form.
pub enum Unhashable {
    /// nested deeper than the text path reads (`json::MAX_DEPTH`)
    TooDeep,
    /// text PostgreSQL's json type accepts but canonical JSON (RFC 8785, I-JSON) does not,
    /// e.g. a lone surrogate `"\ud800"`
    Invalid(json::ParseError),
}

impl Unhashable {
    /// The error for the content of `which` ("a new version of key … in table …").
    pub fn error(&self, which: &str) -> Error {
        match self {
            Unhashable::TooDeep => error(
                Code::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                format!(
                    "content of {which} nests more than {} levels deep and cannot be hashed",
                    json::MAX_DEPTH
                ),
            )
            .hint("Store the content as jsonb: it is hashed from its stored form, at any depth."),
            Unhashable::Invalid(e) => error(
                Code::ERRCODE_INVALID_TEXT_REPRESENTATION,
                format!("content of {which} is JSON without a canonical form: {e}"),
            )
            .detail("The content hash is SHA-256 of the RFC 8785 canonical text, which only I-JSON has (no lone surrogates).")
            .hint("Store valid Unicode text; jsonb refuses such strings on input."),
        }
    }
}

fn parse(text: &str) -> Result<Value, Unhashable> {
    json::parse(text).map_err(|e| {
        if e.is_too_deep() {
            Unhashable::TooDeep
        } else {
            Unhashable::Invalid(e)
        }
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

/// Canonical JSON text of a jsonb value, read from its binary layout.
pub fn canonical_jsonb(datum: Datum) -> Result<String, Unhashable> {
    let container = unsafe { pg::varlena_bytes(datum) };
    let mut out = String::with_capacity(container.len());
    match versioning_core::jsonb::write_canonical(container, &mut out) {
        Ok(()) => Ok(out),
        Err(e) => {
            // Not expected of PostgreSQL's own jsonb (a bug of the reader): the text form gives
            // the same hash, slower. Said once per session, so that it gets noticed.
            thread_local!(static WARNED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
            if !WARNED.replace(true) {
                pgrx::warning!("pg_versioning: {e}; hashing the value's text form instead");
            }
            Ok(canonical(&parse(&unsafe { pg::jsonb_text(datum) })?))
        }
    }
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
    /// # Safety
    /// `mcx` is a valid memory context that outlives the content (it holds to_jsonb calls).
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
        let mut columns = columns;
        // canonical JSON orders members by the UTF-16 code units of their names
        columns.sort_by(|a, b| a.name.encode_utf16().cmp(b.name.encode_utf16()));
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
    pub fn hash(&self, values: &[Datum], nulls: &[bool]) -> Result<Option<[u8; 32]>, Unhashable> {
        let get = |c: &Column| (!nulls[c.index]).then(|| values[c.index]);
        let sha = versioning_core::sha256;
        unsafe {
            match self {
                Content::Jsonb(c) => get(c)
                    .map(|d| Ok(sha(canonical_jsonb(d)?.as_bytes())))
                    .transpose(),
                Content::Json(c) => get(c)
                    .map(|d| {
                        let text = String::from_utf8_lossy(pg::varlena_bytes(d));
                        Ok(sha(canonical(&parse(&text)?).as_bytes()))
                    })
                    .transpose(),
                Content::Text(c) | Content::Bytea(c) => {
                    Ok(get(c).map(|d| sha(pg::varlena_bytes(d))))
                }
                Content::Object(columns) => {
                    // columns are kept in canonical (UTF-16) order of their names
                    let mut out = String::from("{");
                    for (i, (c, f)) in columns.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        versioning_core::canonical::write_string(&c.name, &mut out);
                        out.push(':');
                        f.write_canonical(get(c), &mut out)?;
                    }
                    out.push('}');
                    Ok(Some(sha(out.as_bytes())))
                }
            }
        }
    }
}

/// The bytes as lowercase hex digits (how a text hash column stores a hash).
pub fn hex(bytes: &[u8]) -> String {
    let digits: Vec<u8> = bytes.iter().flat_map(|&b| hex_pair(b)).collect();
    String::from_utf8(digits).expect("hex digits are ASCII")
}

fn hex_pair(b: u8) -> [u8; 2] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]]
}

/// A hash as a value of the hash column's type: bytea, or text of 64 hex digits.
pub fn hash_datum(hash: &[u8; 32], typid: pg_sys::Oid) -> Datum {
    match typid {
        pg_sys::BYTEAOID => pg::bytea_datum(hash),
        _ => {
            // the digits on the stack, copied once into the text (text and bytea share the
            // varlena layout)
            let mut digits = [0u8; 64];
            for (pair, &b) in digits.chunks_exact_mut(2).zip(hash) {
                pair.copy_from_slice(&hex_pair(b));
            }
            pg::bytea_datum(&digits)
        }
    }
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
