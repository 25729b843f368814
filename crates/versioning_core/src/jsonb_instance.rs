//! A stored jsonb value as a JSON Schema instance: what the `jsonschema` validator reads when a
//! kind's document is checked where PostgreSQL keeps it, without printing and parsing it.
//!
//! The layout is the one [`crate::jsonb`] describes. Validation mostly walks an object's
//! members and looks names up, so this reader is built for those: a member walk carries each
//! child's offset to the next one and lends names as `&str`; a lookup scans a short object (keys
//! are sorted by length, so the scan stops early) and binary-searches a long one. Bytes that do
//! not hold a valid layout never make it panic: a child whose data lies outside its container
//! reads as `null`, a number it cannot read as zero (hashing the same bytes afterwards reports
//! them).
//!
//! ```
//! use versioning_core::schema::KindSchema;
//! use serde_json::json;
//!
//! // jsonb of `{"a": true}`: header (object, 1 pair), the key's JEntry (string, length 1),
//! // the value's JEntry (true), then the key's byte
//! let mut bytes = [0x2000_0001u32, 0x0000_0001, 0x3000_0000]
//!     .iter().flat_map(|w| w.to_ne_bytes()).collect::<Vec<u8>>();
//! bytes.push(b'a');
//! let schema = KindSchema::compile(&json!({"properties": {"a": {"type": "boolean"}}})).unwrap();
//! assert!(schema.failures_jsonb(&bytes).unwrap().is_empty());
//! let schema = KindSchema::compile(&json!({"properties": {"a": {"type": "string"}}})).unwrap();
//! assert_eq!(schema.failures_jsonb(&bytes).unwrap()[0].pointer, "/a");
//! ```
use crate::jsonb::{
    data_start, utf8, word, write_child, Numeric, JB_CMASK, JB_FOBJECT, JB_FSCALAR, JENTRY_HAS_OFF,
    JENTRY_ISBOOL_FALSE, JENTRY_ISBOOL_TRUE, JENTRY_ISCONTAINER, JENTRY_ISNULL, JENTRY_ISNUMERIC,
    JENTRY_ISSTRING, JENTRY_OFFLENMASK, JENTRY_TYPEMASK,
};
use jsonschema_value::{
    cmp, types::JsonType, unique, Array, Json, JsonNumber, LazyInstance, Node, NodeIdentity, Object,
};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The representation: stored jsonb bytes (a `JsonbContainer`, without the varlena header).
pub struct StoredJsonb;

/// Objects up to this many members are scanned for a name; longer ones binary-searched.
const SCANNED_OBJECT: usize = 16;

impl StoredJsonb {
    /// The value held by `container` (a top-level scalar is stored as a one-element array
    /// flagged as scalar: the instance is that element).
    pub fn root(container: &[u8]) -> Instance<'_> {
        match word(container, 0) {
            Ok(header) if header & JB_FSCALAR != 0 => {
                Container::new(container, header).child(0, 0).0
            }
            Ok(_) => Instance {
                data: container,
                kind: JENTRY_ISCONTAINER,
            },
            Err(_) => NULL,
        }
    }

    /// Whether the value nests arrays and objects more than `limit` deep (the root container
    /// is level 1). An explicit stack: any depth is walked without recursion. Each level costs
    /// at least 8 bytes (a header and the JEntry pointing at it), so a container too small to
    /// reach the limit is not entered.
    pub fn nests_deeper_than(container: &[u8], limit: usize) -> bool {
        let could_exceed = |c: &Container, depth: usize| depth + c.bytes.len() / 8 > limit;
        let Some(root) = Self::root(container).container() else {
            return false;
        };
        if !could_exceed(&root, 1) {
            return false;
        }
        // each open container and the child to look at next
        let mut stack = vec![(root, 0)];
        while let Some((open, next)) = stack.last_mut() {
            let Some(index) = (*next..open.entries())
                .find(|&i| open.entry(i) & JENTRY_TYPEMASK == JENTRY_ISCONTAINER)
            else {
                stack.pop();
                continue;
            };
            *next = index + 1;
            let open = *open;
            let depth = stack.len() + 1;
            if let Some(nested) = open.child(index, open.start_of(index)).0.container() {
                if depth > limit {
                    return true;
                }
                if could_exceed(&nested, depth) {
                    stack.push((nested, 0));
                }
            }
        }
        false
    }
}

impl Json for StoredJsonb {
    type Node<'a> = Instance<'a>;
    type PreparedKey = Box<str>;
    type StringBuffer = String;

    // `required` checks an object of up to 2 members per required name with one walk over its
    // members instead of a lookup per name (measured faster on the bench's document).
    const KEYS_PER_LOOKUP: usize = 2;

    fn prepare_key(key: &str) -> Box<str> {
        key.into()
    }

    fn with_string_node<T>(
        buffer: &mut String,
        string: &str,
        f: impl FnOnce(Instance<'_>) -> T,
    ) -> T {
        buffer.clear();
        buffer.push_str(string);
        f(Instance {
            data: buffer.as_bytes(),
            kind: JENTRY_ISSTRING,
        })
    }
}

/// One value in a stored jsonb: a container's bytes from its header, or a scalar's data, and
/// its JEntry type.
#[derive(Clone, Copy)]
pub struct Instance<'a> {
    data: &'a [u8],
    kind: u32,
}

const NULL: Instance<'static> = Instance {
    data: &[],
    kind: JENTRY_ISNULL,
};

/// An array's or object's children; an object has `count` keys, then `count` values.
#[derive(Clone, Copy)]
pub struct Container<'a> {
    bytes: &'a [u8],
    count: usize,
    /// where the children's data starts: after the header and the JEntries
    data_start: usize,
}

impl<'a> Container<'a> {
    fn new(bytes: &'a [u8], header: u32) -> Container<'a> {
        let per_child = if header & JB_FOBJECT != 0 { 2 } else { 1 };
        // no more children than JEntries fit in the bytes (a damaged count is not walked)
        let fit = bytes.len().saturating_sub(4) / 4 / per_child;
        let count = ((header & JB_CMASK) as usize).min(fit);
        let entries = per_child * count;
        Container {
            bytes,
            count,
            data_start: 4 + 4 * entries,
        }
    }

    /// How many JEntries (children; an object's keys and values) the container has.
    fn entries(&self) -> usize {
        (self.data_start - 4) / 4
    }

    fn entry(&self, index: usize) -> u32 {
        word(self.bytes, 4 + 4 * index).unwrap_or(JENTRY_ISNULL)
    }

    /// Where child `index`'s data starts (relative to the data): the lengths back to the nearest
    /// child that stores its end offset (every 32nd does), or to the first.
    fn start_of(&self, index: usize) -> usize {
        let mut start = 0;
        for previous in (0..index).rev() {
            let entry = self.entry(previous);
            start += (entry & JENTRY_OFFLENMASK) as usize;
            if entry & JENTRY_HAS_OFF != 0 {
                break;
            }
        }
        start
    }

    /// Where child `index`'s data ends (and the next one's starts), given where it starts.
    fn end_of(&self, index: usize, start: usize) -> usize {
        let entry = self.entry(index);
        let field = (entry & JENTRY_OFFLENMASK) as usize;
        if entry & JENTRY_HAS_OFF != 0 {
            field
        } else {
            start + field
        }
    }

    /// Child `index`, whose data starts at `start`, and where the next child's data starts.
    fn child(&self, index: usize, start: usize) -> (Instance<'a>, usize) {
        let entry = self.entry(index);
        let end = self.end_of(index, start);
        let kind = entry & JENTRY_TYPEMASK;
        let first = data_start(kind, start);
        let data = if first == end {
            // nothing stored (null, a boolean, ""): borrow the JEntry's place, which no other
            // child's data shares, so each instance keeps an address of its own
            let at = 4 + 4 * index;
            self.bytes.get(at..at)
        } else {
            self.bytes
                .get(self.data_start + first..self.data_start + end)
        };
        let instance = match data {
            Some(data)
                if kind < JENTRY_ISCONTAINER || (kind == JENTRY_ISCONTAINER && data.len() >= 4) =>
            {
                Instance { data, kind }
            }
            _ => NULL,
        };
        (instance, end)
    }

    /// The key of member `index` of an object, whose bytes start at `start`.
    fn key(&self, index: usize, start: usize) -> (&'a [u8], usize) {
        let (key, end) = self.child(index, start);
        (key.data, end)
    }
}

impl<'a> Node<'a, StoredJsonb> for Instance<'a> {
    type Object = Container<'a>;
    type Array = Container<'a>;
    type Number = Number<'a>;

    fn as_object(&self) -> Option<Container<'a>> {
        let header = self.header()?;
        (header & JB_FOBJECT != 0).then(|| Container::new(self.data, header))
    }

    fn as_array(&self) -> Option<Container<'a>> {
        let header = self.header()?;
        (header & JB_FOBJECT == 0).then(|| Container::new(self.data, header))
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        (self.kind == JENTRY_ISSTRING).then(|| utf8(self.data))
    }

    fn as_number(&self) -> Option<Number<'a>> {
        (self.kind == JENTRY_ISNUMERIC).then(|| Number(Numeric::read(self.data).ok()))
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.kind {
            JENTRY_ISBOOL_TRUE => Some(true),
            JENTRY_ISBOOL_FALSE => Some(false),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        self.kind == JENTRY_ISNULL
    }

    fn is_number(&self) -> bool {
        self.kind == JENTRY_ISNUMERIC
    }

    fn is_string(&self) -> bool {
        self.kind == JENTRY_ISSTRING
    }

    fn json_type(&self) -> JsonType {
        match self.kind {
            JENTRY_ISSTRING => JsonType::String,
            JENTRY_ISNUMERIC => JsonType::Number,
            JENTRY_ISBOOL_FALSE | JENTRY_ISBOOL_TRUE => JsonType::Boolean,
            JENTRY_ISCONTAINER => match self.header() {
                Some(header) if header & JB_FOBJECT != 0 => JsonType::Object,
                _ => JsonType::Array,
            },
            _ => JsonType::Null,
        }
    }

    // `const` and `enum` with containers or numbers; walks the two side by side.
    fn equals_value(&self, expected: &Value) -> bool {
        let mut pending = vec![(*self, expected)];
        while let Some((instance, expected)) = pending.pop() {
            let equal = match expected {
                Value::Null => instance.is_null(),
                Value::Bool(b) => instance.as_boolean() == Some(*b),
                Value::String(s) => instance.as_string().is_some_and(|got| got == s.as_str()),
                Value::Number(n) => instance
                    .as_number()
                    .is_some_and(|got| cmp::equal_numbers(&got, n)),
                Value::Array(items) => instance.as_array().is_some_and(|array| {
                    array.count == items.len() && {
                        pending.extend(array.elements().zip(items));
                        true
                    }
                }),
                Value::Object(members) => instance.as_object().is_some_and(|object| {
                    object.count == members.len()
                        && object.members().all(|(name, value)| {
                            members.get(name.as_ref()).is_some_and(|expected| {
                                pending.push((value, expected));
                                true
                            })
                        })
                }),
            };
            if !equal {
                return false;
            }
        }
        true
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(materialize(self.data, self.kind))
    }

    // Most failures never show their instance: it is built when a message asks for it.
    fn lazy_value(&self) -> LazyInstance<'a> {
        LazyInstance::Deferred {
            bytes: self.data,
            tag: self.kind,
            make: materialize,
            cell: OnceLock::new(),
        }
    }

    // Children's data are disjoint slices of one document (an empty one borrows its JEntry's
    // place), and a container's starts with its own header: address, type and length tell
    // every live instance apart.
    fn identity(&self) -> Option<NodeIdentity> {
        let tag = self.kind | (self.data.len() as u32 & JENTRY_OFFLENMASK);
        Some(NodeIdentity::tagged(self.data.as_ptr() as usize, tag))
    }
}

impl<'a> Instance<'a> {
    /// The children of an array or object; `None` for scalars.
    fn container(&self) -> Option<Container<'a>> {
        self.header()
            .map(|header| Container::new(self.data, header))
    }

    /// A container's header word; `None` for scalars.
    fn header(&self) -> Option<u32> {
        if self.kind == JENTRY_ISCONTAINER {
            word(self.data, 0).ok()
        } else {
            None
        }
    }
}

/// The instance as a `serde_json` value, for failure messages and annotations: its canonical
/// text, parsed. What that cannot hold (a number beyond a double, nesting deeper than 128)
/// shows as a description instead.
fn materialize(data: &[u8], kind: u32) -> Value {
    let mut text = String::new();
    if write_child(kind, data, &mut text).is_err() {
        return Value::String("(unreadable jsonb)".into());
    }
    serde_json::from_str(&text)
        .unwrap_or_else(|e| Value::String(format!("(a value the checker cannot show: {e})")))
}

/// Walks a container's children in order, carrying each one's end as the next one's start.
pub struct Children<'a> {
    container: Container<'a>,
    next: usize,
    end: usize,
    start: usize,
}

impl<'a> Iterator for Children<'a> {
    type Item = Instance<'a>;

    fn next(&mut self) -> Option<Instance<'a>> {
        if self.next >= self.end {
            return None;
        }
        let (child, end) = self.container.child(self.next, self.start);
        self.next += 1;
        self.start = end;
        Some(child)
    }
}

/// An object's members in stored order: each name with its value.
pub struct Members<'a> {
    keys: Children<'a>,
    values: Children<'a>,
    /// all the keys' bytes (they are stored one after the other, before the values), checked
    /// as UTF-8 once: each name is then a slice of it
    names: Option<&'a str>,
}

impl<'a> Iterator for Members<'a> {
    type Item = (Cow<'a, str>, Instance<'a>);

    fn next(&mut self) -> Option<(Cow<'a, str>, Instance<'a>)> {
        let value = self.values.next()?;
        // a key is a string: no alignment, its data is start..end
        let (index, start) = (self.keys.next, self.keys.start);
        let end = self.keys.container.end_of(index, start);
        self.keys.next += 1;
        self.keys.start = end;
        let name = match self.names.and_then(|names| names.get(start..end)) {
            Some(name) => Cow::Borrowed(name),
            None => utf8(self.keys.container.child(index, start).0.data),
        };
        Some((name, value))
    }
}

impl<'a> Container<'a> {
    fn children(&self, first: usize, end: usize) -> Children<'a> {
        Children {
            container: *self,
            next: first,
            end,
            start: self.start_of(first),
        }
    }

    /// Member `index`'s value.
    fn value(&self, index: usize) -> Instance<'a> {
        let at = self.count + index;
        self.child(at, self.start_of(at)).0
    }
}

impl<'a> Object<'a, StoredJsonb> for Container<'a> {
    type Node = Instance<'a>;
    type MemberName = Cow<'a, str>;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        self.count
    }

    fn get(&self, name: &Box<str>) -> Option<Instance<'a>> {
        let name = name.as_bytes();
        // keys are sorted by length, then bytes
        let order = |key: &[u8]| (key.len(), key).cmp(&(name.len(), name));
        if self.count <= SCANNED_OBJECT {
            let mut start = 0;
            for index in 0..self.count {
                let (key, end) = self.key(index, start);
                match order(key) {
                    std::cmp::Ordering::Less => start = end,
                    std::cmp::Ordering::Equal => return Some(self.value(index)),
                    std::cmp::Ordering::Greater => return None,
                }
            }
            return None;
        }
        let (mut low, mut high) = (0, self.count);
        while low < high {
            let middle = low + (high - low) / 2;
            let (key, _) = self.key(middle, self.start_of(middle));
            match order(key) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Some(self.value(middle)),
            }
        }
        None
    }

    fn members(&self) -> Members<'a> {
        let values = self.children(self.count, 2 * self.count);
        let names = self
            .bytes
            .get(self.data_start..self.data_start + values.start)
            .and_then(|keys| std::str::from_utf8(keys).ok());
        Members {
            keys: self.children(0, self.count),
            values,
            names,
        }
    }
}

impl<'a> Array<'a, StoredJsonb> for Container<'a> {
    type Node = Instance<'a>;
    type ElementsIter = Children<'a>;

    fn len(&self) -> usize {
        self.count
    }

    fn elements(&self) -> Children<'a> {
        self.children(0, self.count)
    }

    // `uniqueItems`: canonical texts are equal exactly when the values are (numbers by value,
    // members in any order).
    fn is_unique(&self) -> bool {
        let mut seen = HashSet::with_capacity(self.count);
        for element in self.elements() {
            let mut text = String::new();
            if write_child(element.kind, element.data, &mut text).is_err() {
                // unreadable bytes: compare what they read as instead
                let values: Vec<Value> =
                    self.elements().map(|e| e.to_value().into_owned()).collect();
                return unique::is_unique(&values);
            }
            if !seen.insert(text) {
                return false;
            }
        }
        true
    }
}

/// A jsonb number (`None`: bytes that are no `numeric`, read as zero).
pub struct Number<'a>(Option<Numeric<'a>>);

/// Powers of ten a double holds exactly.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

impl Number<'_> {
    /// The magnitude of an integer that fits; `None` for fractions and larger integers.
    fn integer(&self) -> Option<u128> {
        let Some(n) = &self.0 else { return Some(0) };
        if !self.is_integer() {
            return None;
        }
        (0..=n.weight).try_fold(0u128, |value, index| {
            value
                .checked_mul(10_000)?
                .checked_add(u128::from(n.group(index)))
        })
    }

    fn negative(&self) -> bool {
        self.0.is_some_and(|n| n.negative)
    }

    fn signed(&self, magnitude: f64) -> f64 {
        if self.negative() {
            -magnitude
        } else {
            magnitude
        }
    }
}

impl JsonNumber for Number<'_> {
    fn as_u64(&self) -> Option<u64> {
        if self.negative() {
            return None;
        }
        u64::try_from(self.integer()?).ok()
    }

    fn as_i64(&self) -> Option<i64> {
        let magnitude = i128::try_from(self.integer()?).ok()?;
        i64::try_from(if self.negative() {
            -magnitude
        } else {
            magnitude
        })
        .ok()
    }

    fn as_f64(&self) -> Option<f64> {
        if let Some(magnitude) = self.integer() {
            return Some(self.signed(magnitude as f64)); // rounds to nearest
        }
        let n = self.0.as_ref()?;
        // a fraction of up to 4 groups: an exact mantissa over an exact power of ten divides
        // with one correct rounding
        let exponent = 4 * (n.weight - n.group_count() as i32 + 1);
        if n.group_count() <= 4 && exponent < 0 {
            let mantissa = n.groups().fold(0u64, |m, g| m * 10_000 + u64::from(g));
            let power = EXACT_POWERS_OF_TEN.get(exponent.unsigned_abs() as usize);
            if let (true, Some(power)) = (mantissa <= 1 << 53, power) {
                return Some(self.signed(mantissa as f64 / power));
            }
        }
        let mut text = String::new();
        if n.negative {
            text.push('-');
        }
        n.groups().for_each(|g| text.push_str(&format!("{g:04}")));
        text.push_str(&format!("e{exponent}"));
        text.parse().ok().filter(|v: &f64| v.is_finite())
    }

    // As PostgreSQL prints it: every digit, with the decimal places it was written with.
    fn as_str(&self) -> Cow<'_, str> {
        let Some(n) = &self.0 else {
            return "0".into();
        };
        let mut out = String::new();
        if n.negative && n.group_count() > 0 {
            out.push('-');
        }
        if n.weight < 0 {
            out.push('0');
        } else {
            out.push_str(&n.group(0).to_string());
            (1..=n.weight).for_each(|i| out.push_str(&format!("{:04}", n.group(i))));
        }
        if n.dscale > 0 {
            out.push('.');
            let end = out.len() + n.dscale as usize;
            let mut index = n.weight + 1;
            while out.len() < end {
                out.push_str(&format!("{:04}", n.group(index)));
                index += 1;
            }
            out.truncate(end);
        }
        out.into()
    }

    fn to_number(&self) -> Cow<'_, serde_json::Number> {
        let number = serde_json::from_str(&self.as_str()).ok().or_else(|| {
            // beyond a double: the nearest one, for messages
            serde_json::Number::from_f64(self.signed(f64::MAX))
        });
        Cow::Owned(number.expect("f64::MAX is finite"))
    }

    fn is_integer(&self) -> bool {
        // trailing zero groups are not stored: an integer has no group after the units
        self.0
            .as_ref()
            .is_none_or(|n| n.group_count() as i64 <= i64::from(n.weight) + 1)
    }

    fn is_written_as_integer(&self) -> bool {
        self.0.as_ref().is_none_or(|n| n.dscale == 0)
    }
}
