//! The canonical JSON text: RFC 8785 (JCS), with numbers laid out from their
//! exact decimal value (see [`canonical_number`]).

use crate::json::{self, ParseError, Value};
use crate::number;
use std::cmp::Ordering;

/// Parses `json_text` and returns its canonical text.
///
/// The canonical text has no whitespace, object keys sorted by UTF-16 code
/// units with only the last of duplicate keys kept (as `jsonb` does),
/// strings escaped as JCS prescribes, and numbers as [`canonical_number`].
/// Two `jsonb` values are equal exactly when their canonical texts are.
///
/// ```
/// assert_eq!(
///     versioning_core::canonicalize(r#"{"b": [1.0, 2e-3], "a": "\u00e9", "b": 10e-1}"#).unwrap(),
///     r#"{"a":"é","b":1}"#
/// );
/// ```
pub fn canonicalize(json_text: &str) -> Result<String, ParseError> {
    let value = json::parse(json_text)?;
    let mut out = String::with_capacity(json_text.len());
    write_canonical(&value, &mut out)?;
    Ok(out)
}

/// Returns the canonical text of one JSON number (RFC 8259 syntax, nothing
/// around it), e.g. `"1.50"` → `"1.5"`, `"1E21"` → `"1e+21"`, `"-0"` → `"0"`.
///
/// # Layout
///
/// The number is read as an exact decimal, never through `f64`, and
/// normalized to a sign, a digit string `s` without leading or trailing
/// zeros (`k` digits) and an integer `n` such that the value is
/// `0.s × 10^n`; zero is `0`, without sign. The ECMAScript
/// `Number::toString` rules are then applied to these exact digits:
///
/// 1. `k ≤ n ≤ 21`: `s` followed by `n − k` zeros;
/// 2. `0 < n ≤ 21`: the first `n` digits, `.`, the remaining `k − n` digits;
/// 3. `−6 < n ≤ 0`: `0.`, `−n` zeros, then `s`;
/// 4. otherwise, if `k = 1`: the digit, `e`, `+` or `-`, then `|n − 1|`;
/// 5. otherwise: the first digit, `.`, the other digits, `e`, `+` or `-`,
///    then `|n − 1|`;
///
/// with a leading `-` for negative numbers.
///
/// # Why this is right
///
/// ECMAScript applies the same rules to the *shortest* digits that round-trip
/// to a double. When the input is already that shortest decimal of a double
/// (what every JSON writer emits for a double), its exact digits *are* the
/// shortest digits, so the output is exactly what JCS computes:
/// `1e21` → `1e+21`, `1e-7` → `1e-7`, `0.1` → `0.1`, `1e23` → `1e+23`.
///
/// Any other decimal — `0.1000000000000000000001`, `1e400`,
/// `123456789012345678901234567890` — keeps all of its significant digits.
/// So the output always denotes the exact input value, and since the
/// normalized form is unique, two numbers get the same text exactly when
/// they are numerically equal (`1.0`, `1`, `1.00` and `10e-1` all give `1`),
/// which is how `jsonb` compares numbers.
///
/// The tempting alternative, "use the ECMAScript text only when the decimal
/// is exactly a double, else keep the digits", would collide: the exact
/// double nearest 0.1,
/// `0.1000000000000000055511151231257827021181583404541015625`, would print
/// as `0.1`, the same text as the different decimal `0.1`.
///
/// The exponent is handled as an `i64` and the output length is bounded by
/// the digit count plus 21, so `1e1000000000` costs no more than `1e10`.
/// An exponent that does not fit in an `i64` is an error.
pub fn canonical_number(number: &str) -> Result<String, ParseError> {
    let mut out = String::new();
    write_number(number, &mut out)?;
    Ok(out)
}

/// Appends the canonical text of `value` to `out`, e.g. to build an object
/// from several column values without re-parsing them.
///
/// Fails only if a [`Value::Number`] does not hold a valid JSON number (never
/// the case for values produced by [`json::parse`]); the error offset is then
/// relative to that number's text, and `out` is left as it was.
pub fn write_canonical(value: &Value, out: &mut String) -> Result<(), ParseError> {
    let start = out.len();
    let result = write_value(value, out);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Appends `s` as a JCS string literal: only `"`, `\` and control characters
/// below U+0020 are escaped (`\b \f \n \r \t`, others as lowercase `\u00xx`);
/// everything else, including U+007F, U+2028 and non-ASCII, is written as is.
pub fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let bytes = s.as_bytes();
    let mut run_start = 0;
    // eight bytes at a time up to the first one that needs an escape (most strings have none)
    let mut i = 0;
    while i + 8 <= bytes.len() && !needs_escape(&bytes[i..i + 8]) {
        i += 8;
    }
    // the last few bytes the same way, padded with a byte that needs no escape
    if bytes.len() - i < 8 {
        let mut tail = [b' '; 8];
        tail[..bytes.len() - i].copy_from_slice(&bytes[i..]);
        if !needs_escape(&tail) {
            out.push_str(s);
            out.push('"');
            return;
        }
    }
    for (i, &byte) in bytes.iter().enumerate().skip(i) {
        let short = match byte {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            0x08 => Some("\\b"),
            0x0c => Some("\\f"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0x00..=0x1f => None,
            _ => continue,
        };
        // Escaped bytes are ASCII, so `i` is on a char boundary.
        out.push_str(&s[run_start..i]);
        match short {
            Some(escape) => out.push_str(escape),
            None => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
        run_start = i + 1;
    }
    out.push_str(&s[run_start..]);
    out.push('"');
}

/// Whether any of 8 bytes is a quote, a backslash or below 0x20 (a word-at-a-time test).
fn needs_escape(eight: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let w = u64::from_le_bytes(eight.try_into().expect("8 bytes"));
    // a byte below n: (w − n·ONES) & !w & HIGHS is non-zero (exact for n ≤ 0x80)
    let below = |w: u64, n: u64| w.wrapping_sub(n * ONES) & !w & HIGHS;
    below(w, 0x20) != 0 || below(w ^ (ONES * 0x22), 1) != 0 || below(w ^ (ONES * 0x5c), 1) != 0
}

fn write_number(text: &str, out: &mut String) -> Result<(), ParseError> {
    let (decimal, end) = number::scan(text.as_bytes(), 0)?;
    if end != text.len() {
        return Err(ParseError::new("unexpected data after the number", end));
    }
    decimal.write(out);
    Ok(())
}

/// An array or object being written, with the index of its next element.
enum Frame<'a> {
    Array(&'a [Value], usize),
    Object(Vec<&'a (String, Value)>, usize),
}

/// Writes with an explicit stack instead of recursion, so that deeply nested
/// values cannot overflow the stack.
fn write_value(root: &Value, out: &mut String) -> Result<(), ParseError> {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut next = Some(root);
    loop {
        match next {
            None => {}
            Some(Value::Null) => out.push_str("null"),
            Some(Value::Bool(true)) => out.push_str("true"),
            Some(Value::Bool(false)) => out.push_str("false"),
            Some(Value::Number(text)) => write_number(text, out)?,
            Some(Value::String(s)) => write_string(s, out),
            Some(Value::Array(items)) => {
                out.push('[');
                stack.push(Frame::Array(items, 0));
            }
            Some(Value::Object(members)) => {
                out.push('{');
                stack.push(Frame::Object(sorted_members(members), 0));
            }
        }

        let Some(frame) = stack.last_mut() else {
            return Ok(());
        };
        next = match frame {
            Frame::Array(items, i) => match items.get(*i) {
                Some(item) => {
                    if *i > 0 {
                        out.push(',');
                    }
                    *i += 1;
                    Some(item)
                }
                None => {
                    out.push(']');
                    stack.pop();
                    None
                }
            },
            Frame::Object(members, i) => match members.get(*i) {
                Some(&(key, value)) => {
                    if *i > 0 {
                        out.push(',');
                    }
                    *i += 1;
                    write_string(key, out);
                    out.push(':');
                    Some(value)
                }
                None => {
                    out.push('}');
                    stack.pop();
                    None
                }
            },
        };
    }
}

/// The members sorted by key in UTF-16 order, keeping only the last member
/// of each duplicated key.
fn sorted_members(members: &[(String, Value)]) -> Vec<&(String, Value)> {
    let mut sorted: Vec<&(String, Value)> = members.iter().collect();
    // Stable, so duplicates stay in input order.
    sorted.sort_by(|a, b| cmp_utf16(&a.0, &b.0));
    // `dedup_by` keeps the first of a run; swapping makes the kept slot hold
    // the later member, so the last one wins.
    sorted.dedup_by(|later, kept| {
        let duplicate = later.0 == kept.0;
        if duplicate {
            std::mem::swap(later, kept);
        }
        duplicate
    });
    sorted
}

/// Compares strings by their UTF-16 code units, as JCS requires.
///
/// Byte order of UTF-8 equals code point order, which equals UTF-16 order
/// except between a character above U+FFFF (a surrogate pair, D800–DBFF
/// first) and one in U+E000–U+FFFF. At the first differing byte both strings
/// are at the same position within a character (their prefixes are equal),
/// so those two cases show as lead bytes F0–F4 against EE–EF.
fn cmp_utf16(a: &str, b: &str) -> Ordering {
    cmp_utf16_bytes(a.as_bytes(), b.as_bytes())
}

/// [`cmp_utf16`] of the UTF-8 bytes of two strings.
pub(crate) fn cmp_utf16_bytes(a: &[u8], b: &[u8]) -> Ordering {
    match a.iter().zip(b).find(|(x, y)| x != y) {
        None => a.len().cmp(&b.len()),
        Some((&x, &y)) => match (x, y) {
            (0xf0..=0xf4, 0xee..=0xef) => Ordering::Less,
            (0xee..=0xef, 0xf0..=0xf4) => Ordering::Greater,
            _ => x.cmp(&y),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn cmp_utf16_matches_encode_utf16(
            a in "[a\u{7f}\u{80}\u{7ff}\u{800}\u{d7ff}\u{e000}\u{ffff}\u{10000}\u{10ffff}😀€]{0,4}",
            b in "[a\u{7f}\u{80}\u{7ff}\u{800}\u{d7ff}\u{e000}\u{ffff}\u{10000}\u{10ffff}😀€]{0,4}",
        ) {
            prop_assert_eq!(cmp_utf16(&a, &b), a.encode_utf16().cmp(b.encode_utf16()));
        }

        #[test]
        fn cmp_utf16_matches_encode_utf16_any(a in any::<String>(), b in any::<String>()) {
            prop_assert_eq!(cmp_utf16(&a, &b), a.encode_utf16().cmp(b.encode_utf16()));
        }
    }

    #[test]
    fn escapes_are_found_at_every_position() {
        // the word-at-a-time scan against the byte-by-byte rule, for each byte value at each
        // place of strings longer than a word
        let reference = |s: &str| {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\u{08}' => out.push_str("\\b"),
                    '\u{0c}' => out.push_str("\\f"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        };
        for byte in 0u8..0x80 {
            for len in [1, 7, 8, 9, 15, 16, 17, 31] {
                for at in 0..len {
                    let mut s = "abcdefghijklmnopqrstuvwxyz01234".as_bytes()[..len].to_vec();
                    s[at] = byte;
                    let s = String::from_utf8(s).unwrap();
                    let mut out = String::new();
                    write_string(&s, &mut out);
                    assert_eq!(out, reference(&s), "{byte:#x} at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn duplicates_keep_the_last_member() {
        let value = json::parse(r#"{"b":1,"a":2,"b":3,"a":4,"b":5}"#).unwrap();
        let Value::Object(members) = &value else {
            panic!("not an object")
        };
        let kept: Vec<_> = sorted_members(members)
            .into_iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        assert_eq!(
            kept,
            [
                ("a", Value::Number("4".into())),
                ("b", Value::Number("5".into()))
            ]
        );
    }
}
