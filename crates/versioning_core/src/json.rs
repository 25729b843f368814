//! A JSON value type and a strict RFC 8259 parser that keeps numbers as
//! their exact decimal text.

use crate::number;
use std::fmt;

/// Maximum nesting depth of arrays and objects accepted by [`parse`].
///
/// Parsing and canonical writing are iterative, so the limit only bounds
/// work on hostile input; it is not needed to protect the stack.
pub const MAX_DEPTH: usize = 10_000;

/// A parsed JSON value.
///
/// The derived `PartialEq` is structural: numbers compare by their text and
/// object members by their order, so `1.0` differs from `1` there. Compare
/// canonical texts to get value equality.
///
/// Dropping a value is iterative (see the `Drop` impl), so values nested up
/// to [`MAX_DEPTH`] levels are safe to parse, write and drop on a small
/// stack; the derived `Clone`, `Debug` and `PartialEq` do recurse. Because of
/// the `Drop` impl, move contents out with `std::mem::take` rather than by
/// destructuring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number exactly as written in the input, e.g. `"1.50E+3"`; it is
    /// never converted to floating point.
    Number(String),
    /// A string, with escapes decoded.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object's members in input order. Duplicate keys are kept here; the
    /// canonical writer keeps only the last one, as PostgreSQL `jsonb` does.
    Object(Vec<(String, Value)>),
}

impl Drop for Value {
    /// Drops nested containers from an explicit list instead of recursively,
    /// which in a debug build overflows a 2 MiB stack at about 10 000 levels.
    fn drop(&mut self) {
        let mut pending: Vec<Value> = Vec::new();
        move_nested_out(self, &mut pending);
        while let Some(mut value) = pending.pop() {
            move_nested_out(&mut value, &mut pending);
            // `value` now has no nested containers, so dropping it is shallow.
        }
    }
}

/// Moves the non-empty containers directly inside `value` to `pending`.
fn move_nested_out(value: &mut Value, pending: &mut Vec<Value>) {
    let is_nested = |v: &Value| match v {
        Value::Array(items) => !items.is_empty(),
        Value::Object(members) => !members.is_empty(),
        _ => false,
    };
    match value {
        Value::Array(items) if items.iter().any(is_nested) => {
            pending.extend(items.drain(..).filter(is_nested));
        }
        Value::Object(members) if members.iter().any(|(_, v)| is_nested(v)) => {
            pending.extend(members.drain(..).map(|(_, v)| v).filter(is_nested));
        }
        _ => {}
    }
}

/// Why a text is not acceptable JSON (or not an acceptable number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    message: &'static str,
    offset: usize,
}

impl ParseError {
    pub(crate) fn new(message: &'static str, offset: usize) -> Self {
        ParseError { message, offset }
    }

    /// What is wrong, e.g. `"unpaired surrogate in \\u escape"`.
    pub fn message(&self) -> &str {
        self.message
    }

    /// Byte offset in the parsed text where the problem was found.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The text is JSON (as far as it was read) but nests deeper than [`MAX_DEPTH`]: a limit
    /// of this parser, not an error of the text.
    pub fn is_too_deep(&self) -> bool {
        self.message == TOO_DEEP
    }
}

const TOO_DEEP: &str = "nesting too deep";

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Parses one JSON text (RFC 8259): a single value of any kind, surrounded
/// only by JSON whitespace.
///
/// Rejects trailing data, invalid escapes, unpaired surrogates, raw control
/// characters in strings, numbers outside the RFC 8259 grammar (`01`, `.5`,
/// `+1`, `NaN`, ...), exponents that do not fit in an `i64`, and nesting
/// deeper than [`MAX_DEPTH`].
pub fn parse(text: &str) -> Result<Value, ParseError> {
    Parser { text, pos: 0 }.document()
}

/// A container whose closing bracket has not been reached yet.
enum Open {
    Array(Vec<Value>),
    /// Members so far and the key of the member whose value is being parsed.
    Object(Vec<(String, Value)>, String),
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    /// Parses with an explicit stack of open containers instead of recursion,
    /// so deep nesting cannot overflow the (database backend's) stack.
    fn document(&mut self) -> Result<Value, ParseError> {
        let mut stack: Vec<Open> = Vec::new();
        'value: loop {
            self.skip_whitespace();
            let mut value = match self.peek() {
                Some(b'[') => {
                    self.check_depth(stack.len())?;
                    self.pos += 1;
                    self.skip_whitespace();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        Value::Array(Vec::new())
                    } else {
                        stack.push(Open::Array(Vec::new()));
                        continue 'value;
                    }
                }
                Some(b'{') => {
                    self.check_depth(stack.len())?;
                    self.pos += 1;
                    self.skip_whitespace();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        Value::Object(Vec::new())
                    } else {
                        let key = self.member_key()?;
                        stack.push(Open::Object(Vec::new(), key));
                        continue 'value;
                    }
                }
                Some(b'"') => Value::String(self.string()?),
                Some(b'-' | b'0'..=b'9') => {
                    let (_, end) = number::scan(self.text.as_bytes(), self.pos)?;
                    let number = self.text[self.pos..end].to_owned();
                    self.pos = end;
                    Value::Number(number)
                }
                Some(b't') => self.literal("true", Value::Bool(true))?,
                Some(b'f') => self.literal("false", Value::Bool(false))?,
                Some(b'n') => self.literal("null", Value::Null)?,
                _ => return Err(self.unexpected("expected a JSON value")),
            };

            // `value` is complete: add it to the innermost open container,
            // and keep going outwards while containers close right after it.
            loop {
                self.skip_whitespace();
                let Some(open) = stack.pop() else {
                    if self.pos == self.text.len() {
                        return Ok(value);
                    }
                    return Err(self.unexpected("unexpected data after the JSON value"));
                };
                value = match open {
                    Open::Array(mut items) => {
                        items.push(value);
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                stack.push(Open::Array(items));
                                continue 'value;
                            }
                            Some(b']') => {
                                self.pos += 1;
                                Value::Array(items)
                            }
                            _ => return Err(self.unexpected("expected ',' or ']'")),
                        }
                    }
                    Open::Object(mut members, key) => {
                        members.push((key, value));
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_whitespace();
                                let key = self.member_key()?;
                                stack.push(Open::Object(members, key));
                                continue 'value;
                            }
                            Some(b'}') => {
                                self.pos += 1;
                                Value::Object(members)
                            }
                            _ => return Err(self.unexpected("expected ',' or '}'")),
                        }
                    }
                };
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// An error at the current position, reporting end of input as such.
    fn unexpected(&self, message: &'static str) -> ParseError {
        let message = if self.pos >= self.text.len() {
            "unexpected end of input"
        } else {
            message
        };
        ParseError::new(message, self.pos)
    }

    fn check_depth(&self, open_containers: usize) -> Result<(), ParseError> {
        if open_containers >= MAX_DEPTH {
            return Err(ParseError::new(TOO_DEEP, self.pos));
        }
        Ok(())
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &'static str, value: Value) -> Result<Value, ParseError> {
        if !self.text.as_bytes()[self.pos..].starts_with(word.as_bytes()) {
            return Err(ParseError::new("invalid literal", self.pos));
        }
        self.pos += word.len();
        Ok(value)
    }

    /// Parses `"key" :` and leaves the position after the colon.
    fn member_key(&mut self) -> Result<String, ParseError> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected("expected a string key"));
        }
        let key = self.string()?;
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            return Err(self.unexpected("expected ':'"));
        }
        self.pos += 1;
        Ok(key)
    }

    /// Parses a string starting at its opening quote. Unescaped runs are
    /// copied as whole slices; they start and end at ASCII delimiters, so
    /// they are always on `char` boundaries.
    fn string(&mut self) -> Result<String, ParseError> {
        let open_quote = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut run_start = self.pos;
        loop {
            match self.peek() {
                Some(b'"') => {
                    out.push_str(&self.text[run_start..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(&self.text[run_start..self.pos]);
                    out.push(self.escape()?);
                    run_start = self.pos;
                }
                Some(0x00..=0x1f) => {
                    return Err(ParseError::new("control character in string", self.pos))
                }
                Some(_) => self.pos += 1,
                None => return Err(ParseError::new("unterminated string", open_quote)),
            }
        }
    }

    /// Decodes the escape sequence at the current backslash.
    fn escape(&mut self) -> Result<char, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let Some(kind) = self.peek() else {
            return Err(self.unexpected("unterminated string"));
        };
        self.pos += 1;
        let decoded = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{08}',
            b'f' => '\u{0c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unpaired = || ParseError::new("unpaired surrogate in \\u escape", start);
                let unit = self.hex4()?;
                let code = match unit {
                    0xd800..=0xdbff => {
                        if !self.text.as_bytes()[self.pos..].starts_with(b"\\u") {
                            return Err(unpaired());
                        }
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return Err(unpaired());
                        }
                        0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                    }
                    0xdc00..=0xdfff => return Err(unpaired()),
                    _ => unit,
                };
                // Surrogates were excluded above, so this always succeeds.
                char::from_u32(code).ok_or_else(unpaired)?
            }
            _ => return Err(ParseError::new("invalid escape", start)),
        };
        Ok(decoded)
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut unit = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.unexpected("expected 4 hex digits in \\u escape"))?;
            unit = unit * 16 + digit;
            self.pos += 1;
        }
        Ok(unit)
    }
}
