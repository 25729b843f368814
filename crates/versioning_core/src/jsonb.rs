//! The canonical JSON text of a value in PostgreSQL's binary `jsonb` layout, read in place:
//! the hash of every inserted row with a jsonb content column, without printing the value as
//! text and parsing that text again.
//!
//! The layout (PostgreSQL's `src/include/utils/jsonb.h`): a container is a `u32` header (child
//! count and the scalar / object / array flags), one `u32` JEntry per child — an object's keys
//! first, then its values in the same order — and then the children's data. A JEntry holds the
//! child's type and either its length or, every 32nd child, its end offset. Numerics and nested
//! containers start on a 4-byte boundary (relative to the data), the padding counted in their
//! length. Object keys are unique and sorted by length, then bytes; canonical JSON sorts them
//! by UTF-16 code units instead. A numeric is a `numeric` varlena: base-10000 digits and the
//! weight of the first one. Words are in the machine's byte order, as PostgreSQL wrote them.
//!
//! ```
//! use versioning_core::jsonb::write_canonical;
//! // jsonb of `[true]`: header (array, 1 child), one JEntry (bool true)
//! let bytes = [0x4000_0001u32.to_ne_bytes(), 0x3000_0000u32.to_ne_bytes()].concat();
//! let mut out = String::new();
//! write_canonical(&bytes, &mut out).unwrap();
//! assert_eq!(out, "[true]");
//! ```
use crate::canonical::{cmp_utf16_bytes, write_string};
use crate::number::Decimal;
use std::fmt;

pub(crate) const JB_CMASK: u32 = 0x0fff_ffff;
pub(crate) const JB_FSCALAR: u32 = 0x1000_0000;
pub(crate) const JB_FOBJECT: u32 = 0x2000_0000;
const JB_FARRAY: u32 = 0x4000_0000;

pub(crate) const JENTRY_OFFLENMASK: u32 = 0x0fff_ffff;
pub(crate) const JENTRY_TYPEMASK: u32 = 0x7000_0000;
pub(crate) const JENTRY_HAS_OFF: u32 = 0x8000_0000;
pub(crate) const JENTRY_ISSTRING: u32 = 0x0000_0000;
pub(crate) const JENTRY_ISNUMERIC: u32 = 0x1000_0000;
pub(crate) const JENTRY_ISBOOL_FALSE: u32 = 0x2000_0000;
pub(crate) const JENTRY_ISBOOL_TRUE: u32 = 0x3000_0000;
pub(crate) const JENTRY_ISNULL: u32 = 0x4000_0000;
pub(crate) const JENTRY_ISCONTAINER: u32 = 0x5000_0000;

const NUMERIC_SIGN_MASK: u16 = 0xc000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_SHORT: u16 = 0x8000;
const NUMERIC_SPECIAL: u16 = 0xc000;
const NUMERIC_SHORT_SIGN_MASK: u16 = 0x2000;
const NUMERIC_SHORT_WEIGHT_SIGN_MASK: u16 = 0x0040;
const NUMERIC_SHORT_WEIGHT_MASK: u16 = 0x003f;
const NUMERIC_SHORT_DSCALE_MASK: u16 = 0x1f80;
const NUMERIC_DSCALE_MASK: u16 = 0x3fff;

/// The bytes are not a jsonb value this reader understands (truncated or corrupt data, a
/// NaN or infinite numeric, a big-endian varlena header). Callers fall back to the value's
/// text form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(&'static str);

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unreadable jsonb: {}", self.0)
    }
}

impl std::error::Error for FormatError {}

/// Appends the canonical JSON text (see [`crate::canonical`]) of the jsonb value whose
/// `JsonbContainer` is `container` (a stored jsonb without its varlena header) to `out`: the
/// same text as canonicalizing the value's printed form. On error `out` is left as it was.
pub fn write_canonical(container: &[u8], out: &mut String) -> Result<(), FormatError> {
    let start = out.len();
    let result = write_root(container, out);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Like [`write_canonical`], for any child: a nested container (its bytes from its header) or
/// a scalar of JEntry type `kind`.
pub(crate) fn write_child(kind: u32, bytes: &[u8], out: &mut String) -> Result<(), FormatError> {
    match write_scalar(kind, bytes, out)? {
        Some(container) => write_canonical(container, out),
        None => Ok(()),
    }
}

/// Where the data of a child of JEntry type `kind` begins, its space beginning at `start`
/// (relative to the container's data): numerics and containers are 4-byte aligned, the padding
/// counted in the child's length.
pub(crate) fn data_start(kind: u32, start: usize) -> usize {
    match kind {
        JENTRY_ISNUMERIC | JENTRY_ISCONTAINER => (start + 3) & !3,
        _ => start,
    }
}

/// The children of the containers being written, shared by all of them (one allocation per
/// value, not several per container): each open container's children are a range of
/// `children`, an object's members in canonical order a range of `order`.
struct Scratch {
    /// (type, start, end) per child, relative to its container's data
    children: Vec<(u32, usize, usize)>,
    order: Vec<usize>,
}

/// An array or object being written: where its children lie and the position of the next one.
struct Frame<'a> {
    data: &'a [u8],
    /// its first child in `Scratch::children`: an object's keys, then its values
    first: usize,
    /// elements, or members
    len: usize,
    object: bool,
    /// its first member in `Scratch::order` (objects)
    order: usize,
    next: usize,
}

impl<'a> Frame<'a> {
    /// The bytes of child `i`; numerics and containers without their alignment padding.
    fn child(
        &self,
        children: &[(u32, usize, usize)],
        i: usize,
    ) -> Result<(u32, &'a [u8]), FormatError> {
        let (kind, start, end) = children[self.first + i];
        let start = data_start(kind, start);
        if start > end {
            return Err(FormatError("padding past the child's end"));
        }
        Ok((kind, &self.data[start..end]))
    }
}

/// Reads a container's JEntries into `scratch` and, for an object, its members' canonical
/// (UTF-16) key order.
fn open<'a>(bytes: &'a [u8], scratch: &mut Scratch) -> Result<Frame<'a>, FormatError> {
    let header = word(bytes, 0)?;
    let count = (header & JB_CMASK) as usize;
    let object = header & JB_FOBJECT != 0;
    if !object && header & JB_FARRAY == 0 {
        return Err(FormatError("container is neither an object nor an array"));
    }
    let entries = if object { 2 * count } else { count };
    let data_start = entries
        .checked_mul(4)
        .and_then(|n| n.checked_add(4))
        .filter(|&n| n <= bytes.len())
        .ok_or(FormatError("truncated JEntry array"))?;
    let data = &bytes[data_start..];
    let first = scratch.children.len();
    scratch.children.reserve(entries);
    let mut offset = 0usize;
    for i in 0..entries {
        let entry = word(bytes, 4 + 4 * i)?;
        let field = (entry & JENTRY_OFFLENMASK) as usize;
        let end = if entry & JENTRY_HAS_OFF != 0 {
            field
        } else {
            offset + field
        };
        if end < offset || end > data.len() {
            return Err(FormatError("child data out of bounds"));
        }
        scratch
            .children
            .push((entry & JENTRY_TYPEMASK, offset, end));
        offset = end;
    }
    let frame = Frame {
        data,
        first,
        len: count,
        object,
        order: scratch.order.len(),
        next: 0,
    };
    if object {
        canonical_order(&frame, scratch)?;
    }
    Ok(frame)
}

/// Appends the object's member indexes in canonical (UTF-16) key order to `scratch.order`.
fn canonical_order(frame: &Frame, scratch: &mut Scratch) -> Result<(), FormatError> {
    let Scratch { children, order } = scratch;
    let key = |i: usize| match frame.child(children, i)? {
        (JENTRY_ISSTRING, key) => Ok(key),
        _ => Err(FormatError("object key is not a string")),
    };
    // keys are compared as their (lossy) UTF-8 text, which is their bytes when they are valid
    let mut valid = true;
    for i in 0..frame.len {
        let key = key(i)?;
        valid &= key.is_ascii() || std::str::from_utf8(key).is_ok();
    }
    let start = order.len();
    order.extend(0..frame.len);
    let members = &mut order[start..];
    if valid {
        // each key read once (bounds checked above), not twice per comparison
        let keys = |i: usize| {
            let (_, start, end) = children[frame.first + i];
            &frame.data[start..end]
        };
        members.sort_unstable_by(|&a, &b| cmp_utf16_bytes(keys(a), keys(b)));
    } else {
        let keys = (0..frame.len)
            .map(|i| key(i).map(utf8))
            .collect::<Result<Vec<_>, FormatError>>()?;
        members.sort_by(|&a, &b| cmp_utf16_bytes(keys[a].as_bytes(), keys[b].as_bytes()));
    }
    Ok(())
}

fn write_root(bytes: &[u8], out: &mut String) -> Result<(), FormatError> {
    // room for a few small nested containers without growing
    let mut scratch = Scratch {
        children: Vec::with_capacity(32),
        order: Vec::with_capacity(16),
    };
    let header = word(bytes, 0)?;
    if header & JB_FSCALAR != 0 {
        // a scalar is stored as a one-element array flagged as scalar
        let root = open(bytes, &mut scratch)?;
        if root.len != 1 || root.object {
            return Err(FormatError("scalar container without exactly one element"));
        }
        let (kind, child) = root.child(&scratch.children, 0)?;
        return match write_scalar(kind, child, out)? {
            None => Ok(()),
            Some(_) => Err(FormatError("scalar container holding a container")),
        };
    }
    // an explicit stack: nesting depth is bounded by the data, not by this thread's stack
    let mut stack = Vec::with_capacity(8);
    stack.push(begin(bytes, &mut scratch, out)?);
    while let Some(frame) = stack.last_mut() {
        if frame.next == frame.len {
            out.push(if frame.object { '}' } else { ']' });
            scratch.children.truncate(frame.first);
            scratch.order.truncate(frame.order);
            stack.pop();
            continue;
        }
        if frame.next > 0 {
            out.push(',');
        }
        let i = frame.next;
        frame.next += 1;
        let value = if frame.object {
            let member = scratch.order[frame.order + i];
            let (_, key) = frame.child(&scratch.children, member)?;
            write_string(&utf8(key), out);
            out.push(':');
            member + frame.len
        } else {
            i
        };
        let (kind, child) = frame.child(&scratch.children, value)?;
        if let Some(nested) = write_scalar(kind, child, out)? {
            let frame = begin(nested, &mut scratch, out)?;
            stack.push(frame);
        }
    }
    Ok(())
}

/// Opens a nested (or the root) container and writes its opening bracket.
fn begin<'a>(
    bytes: &'a [u8],
    scratch: &mut Scratch,
    out: &mut String,
) -> Result<Frame<'a>, FormatError> {
    let frame = open(bytes, scratch)?;
    out.push(if frame.object { '{' } else { '[' });
    Ok(frame)
}

/// Writes a scalar child; returns a nested container's bytes instead of writing them.
fn write_scalar<'a>(
    kind: u32,
    bytes: &'a [u8],
    out: &mut String,
) -> Result<Option<&'a [u8]>, FormatError> {
    match kind {
        JENTRY_ISNULL => out.push_str("null"),
        JENTRY_ISBOOL_TRUE => out.push_str("true"),
        JENTRY_ISBOOL_FALSE => out.push_str("false"),
        JENTRY_ISSTRING => write_string(&utf8(bytes), out),
        JENTRY_ISNUMERIC => write_numeric(bytes, out)?,
        JENTRY_ISCONTAINER => return Ok(Some(bytes)),
        _ => return Err(FormatError("unknown JEntry type")),
    }
    Ok(None)
}

/// Strings are UTF-8 in a UTF-8 database; other bytes are replaced as printing them would.
pub(crate) fn utf8(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.into(), // the common case, checked faster than from_utf8_lossy does
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// A `numeric` as jsonb stores it: sign, the weight (power of 10000) of the first base-10000
/// digit, the count of decimal places it was written with, and the digits (native `u16`s).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Numeric<'a> {
    pub(crate) negative: bool,
    pub(crate) weight: i32,
    pub(crate) dscale: u32,
    digits: &'a [u8],
}

impl<'a> Numeric<'a> {
    /// Reads a `numeric` varlena (header included), checking every digit.
    pub(crate) fn parse(varlena: &'a [u8]) -> Result<Numeric<'a>, FormatError> {
        let numeric = Numeric::read(varlena)?;
        if numeric.groups().any(|group| group > 9999) {
            return Err(FormatError("numeric digit above 9999"));
        }
        Ok(numeric)
    }

    /// Reads a `numeric` varlena's header; its digits are taken as they are.
    pub(crate) fn read(varlena: &'a [u8]) -> Result<Numeric<'a>, FormatError> {
        let body = varlena_body(varlena)?;
        let header = u16::from_ne_bytes(pair(body, 0)?);
        let numeric = match header & NUMERIC_SIGN_MASK {
            NUMERIC_SPECIAL => return Err(FormatError("NaN or infinite numeric")),
            NUMERIC_SHORT => {
                let magnitude = i32::from(header & NUMERIC_SHORT_WEIGHT_MASK);
                Numeric {
                    negative: header & NUMERIC_SHORT_SIGN_MASK != 0,
                    weight: if header & NUMERIC_SHORT_WEIGHT_SIGN_MASK != 0 {
                        magnitude - 64
                    } else {
                        magnitude
                    },
                    dscale: u32::from((header & NUMERIC_SHORT_DSCALE_MASK) >> 7),
                    digits: &body[2..],
                }
            }
            sign => Numeric {
                negative: sign == NUMERIC_NEG,
                weight: i32::from(i16::from_ne_bytes(pair(body, 2)?)),
                dscale: u32::from(header & NUMERIC_DSCALE_MASK),
                digits: &body[4..],
            },
        };
        if numeric.digits.len() % 2 != 0 {
            return Err(FormatError("odd numeric digit bytes"));
        }
        Ok(numeric)
    }

    /// The base-10000 digits, most significant first (leading and trailing zero groups are
    /// not stored, so zero has none).
    pub(crate) fn groups(&self) -> impl Iterator<Item = u16> + 'a {
        self.digits
            .chunks_exact(2)
            .map(|group| u16::from_ne_bytes([group[0], group[1]]))
    }

    /// The group at `index` (0 = the one of weight `weight`); zero past the stored ones.
    pub(crate) fn group(&self, index: i32) -> u16 {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.digits.get(2 * i..2 * i + 2))
            .map_or(0, |group| u16::from_ne_bytes([group[0], group[1]]))
    }

    pub(crate) fn group_count(&self) -> usize {
        self.digits.len() / 2
    }
}

/// Writes a `numeric` varlena as its canonical number: the exact value from its digits.
/// (Its exponent is bounded by the 16-bit weight, so the layout's size is too.)
fn write_numeric(varlena: &[u8], out: &mut String) -> Result<(), FormatError> {
    let numeric = Numeric::parse(varlena)?;
    // value = Σ group_i × 10000^(weight − i); as decimal digits from the first non-zero group
    // four digits per group; on the stack for the usual small numbers
    let needed = numeric.digits.len() * 2;
    let mut small = [0u8; 64];
    let mut large = Vec::new();
    let buffer: &mut [u8] = if needed <= small.len() {
        &mut small[..needed]
    } else {
        large.resize(needed, 0);
        &mut large
    };
    let mut len = 0;
    let mut n = 0i64;
    for (i, group) in numeric.groups().enumerate() {
        let four =
            [group / 1000, group / 100 % 10, group / 10 % 10, group % 10].map(|d| b'0' + d as u8);
        let digits = if len == 0 {
            let significant = &four[four.iter().take_while(|&&d| d == b'0').count()..];
            if significant.is_empty() {
                continue;
            }
            // the first digit's place: 10^(4 × (weight − i) + its count − 1)
            n = 4 * (i64::from(numeric.weight) - i as i64) + significant.len() as i64;
            significant
        } else {
            &four[..]
        };
        buffer[len..len + digits.len()].copy_from_slice(digits);
        len += digits.len();
    }
    if len == 0 {
        out.push('0');
    } else {
        Decimal::from_digits(numeric.negative, &buffer[..len], n).write(out);
    }
    Ok(())
}

/// The varlena's data after its 1-byte or 4-byte header (little-endian layout).
fn varlena_body(bytes: &[u8]) -> Result<&[u8], FormatError> {
    if cfg!(target_endian = "big") {
        return Err(FormatError("big-endian varlena"));
    }
    let first = *bytes.first().ok_or(FormatError("empty numeric"))?;
    let (header, total) = match first & 0x03 {
        _ if first == 0x01 => return Err(FormatError("TOAST pointer inside jsonb")),
        0x01 | 0x03 => (1, usize::from(first >> 1)),
        0x00 => (4, (word(bytes, 0)? >> 2) as usize),
        _ => return Err(FormatError("compressed numeric inside jsonb")),
    };
    if total < header || total > bytes.len() {
        return Err(FormatError("numeric varlena length"));
    }
    Ok(&bytes[header..total])
}

pub(crate) fn word(bytes: &[u8], at: usize) -> Result<u32, FormatError> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(FormatError("truncated"))
}

fn pair(bytes: &[u8], at: usize) -> Result<[u8; 2], FormatError> {
    bytes
        .get(at..at + 2)
        .map(|b| [b[0], b[1]])
        .ok_or(FormatError("truncated numeric"))
}
