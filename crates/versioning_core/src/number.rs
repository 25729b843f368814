//! JSON numbers as exact decimals: syntax check, normalization, and layout
//! in ECMAScript `Number::toString` form. The reasoning behind the layout is
//! documented on [`crate::canonical::canonical_number`].

use crate::json::ParseError;
use std::fmt::Write as _;

/// A JSON number normalized to `±0.s × 10^n`, where `s` is its significant
/// digits (no leading or trailing zeros), kept as slices of the input text.
pub(crate) struct Decimal<'a> {
    negative: bool,
    /// Digits before the decimal point, as written.
    int: &'a [u8],
    /// Digits after the decimal point, as written (possibly empty).
    frac: &'a [u8],
    /// Leading zeros of `int ++ frac` before the first significant digit.
    skip: usize,
    /// Number of significant digits; 0 means the value is zero.
    k: usize,
    /// Position of the decimal point relative to the first significant digit.
    n: i64,
}

/// Scans the RFC 8259 number that starts at `text[start]` and returns it
/// with the offset just past it. Never goes through floating point.
pub(crate) fn scan(text: &[u8], start: usize) -> Result<(Decimal<'_>, usize), ParseError> {
    let is_digit = |i: usize| text.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = start;
    let negative = text.get(i) == Some(&b'-');
    if negative {
        i += 1;
    }

    let int_start = i;
    match text.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while is_digit(i) {
                i += 1;
            }
        }
        _ => return Err(ParseError::new("expected a digit", i)),
    }
    let int = &text[int_start..i];

    let mut frac: &[u8] = &[];
    if text.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while is_digit(i) {
            i += 1;
        }
        if i == frac_start {
            return Err(ParseError::new(
                "expected a digit after the decimal point",
                i,
            ));
        }
        frac = &text[frac_start..i];
    }

    let mut exp: i64 = 0;
    let mut exp_start = i;
    if matches!(text.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = text.get(i) == Some(&b'-');
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        exp_start = i;
        while let Some(&d @ b'0'..=b'9') = text.get(i) {
            exp = exp
                .checked_mul(10)
                .and_then(|e| e.checked_add(i64::from(d - b'0')))
                .ok_or_else(|| ParseError::new("exponent out of range", exp_start))?;
            i += 1;
        }
        if i == exp_start {
            return Err(ParseError::new("expected a digit in the exponent", i));
        }
        if exp_negative {
            exp = -exp;
        }
    }

    let digits = || int.iter().chain(frac);
    let Some(skip) = digits().position(|&d| d != b'0') else {
        let zero = Decimal {
            negative,
            int,
            frac,
            skip: 0,
            k: 0,
            n: 0,
        };
        return Ok((zero, i));
    };
    let trailing_zeros = digits().rev().take_while(|&&d| d == b'0').count();
    let k = int.len() + frac.len() - skip - trailing_zeros;
    // n = (digits before the point) − (leading zeros) + exponent. Checked so
    // that absurd exponents are rejected instead of wrapping, and kept above
    // i64::MIN so that the layout can compute n − 1.
    let n = i64::try_from(int.len())
        .ok()
        .zip(i64::try_from(skip).ok())
        .and_then(|(len, skip)| (len - skip).checked_add(exp))
        .filter(|&n| n > i64::MIN)
        .ok_or_else(|| ParseError::new("exponent out of range", exp_start))?;
    Ok((
        Decimal {
            negative,
            int,
            frac,
            skip,
            k,
            n,
        },
        i,
    ))
}

impl<'a> Decimal<'a> {
    /// The decimal `±0.digits × 10^n`: `digits` are ASCII digits, the first one not zero.
    pub(crate) fn from_digits(negative: bool, digits: &'a [u8], n: i64) -> Decimal<'a> {
        let k = digits.len() - digits.iter().rev().take_while(|&&d| d == b'0').count();
        Decimal {
            negative,
            int: digits,
            frac: &[],
            skip: 0,
            k,
            n,
        }
    }

    /// Appends the ECMAScript `Number::toString` layout of these exact digits.
    /// The output is at most the digits, 21 padding zeros or an exponent of
    /// at most 19 digits, and a few signs: never proportional to the exponent.
    pub(crate) fn write(&self, out: &mut String) {
        if self.k == 0 {
            out.push('0'); // also for "-0", like ECMAScript
            return;
        }
        if self.negative {
            out.push('-');
        }
        let mut digits = self
            .int
            .iter()
            .chain(self.frac)
            .skip(self.skip)
            .take(self.k)
            .map(|&d| char::from(d));
        // k is at most the input length, so it fits in i64.
        let (k, n) = (self.k as i64, self.n);
        if k <= n && n <= 21 {
            out.extend(digits);
            out.extend(std::iter::repeat_n('0', (n - k) as usize));
        } else if 0 < n && n <= 21 {
            out.extend(digits.by_ref().take(n as usize));
            out.push('.');
            out.extend(digits);
        } else if -6 < n && n <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', n.unsigned_abs() as usize));
            out.extend(digits);
        } else {
            out.extend(digits.next());
            if k > 1 {
                out.push('.');
                out.extend(digits);
            }
            out.push('e');
            out.push(if n > 0 { '+' } else { '-' });
            // Writing to a String cannot fail.
            let _ = write!(out, "{}", (n - 1).unsigned_abs());
        }
    }
}
