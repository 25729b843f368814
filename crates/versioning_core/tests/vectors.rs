//! Known-answer tests: RFC 8785 vectors, exact-decimal cases, parse errors.

use versioning_core::canonical::{write_canonical, write_string};
use versioning_core::json::{self, Value, MAX_DEPTH};
use versioning_core::{canonical_number, canonicalize, sha256_hex};

/// RFC 8785 Appendix B: IEEE 754 bit patterns and their JCS text.
///
/// Every "JSON representation" in this table is the shortest round-trip
/// decimal of its double, so our exact-decimal layout must reproduce it.
/// Deliberately excluded:
/// - `7fffffffffffffff` (NaN) and `7ff0000000000000` (Infinity): not JSON;
/// - the §3.2.2 example's `333333333.33333329`, which is not the shortest form
///   of any double; JCS rounds it through a double to `333333333.3333333`,
///   we keep its digits (see `rfc_example_object_*` below);
/// - for `43143ff3c1cb0959` only Rust's spelling `...206.3`, a tie that Rust
///   breaks differently from ECMAScript (see [`ROUND_HALF_EVEN_TIE`]).
const APPENDIX_B: &[(u64, &str)] = &[
    (0x0000000000000000, "0"),
    (0x8000000000000000, "0"),
    (0x0000000000000001, "5e-324"),
    (0x8000000000000001, "-5e-324"),
    (0x7fefffffffffffff, "1.7976931348623157e+308"),
    (0xffefffffffffffff, "-1.7976931348623157e+308"),
    (0x4340000000000000, "9007199254740992"),
    (0xc340000000000000, "-9007199254740992"),
    (0x4430000000000000, "295147905179352830000"),
    (0x44b52d02c7e14af5, "9.999999999999997e+22"),
    (0x44b52d02c7e14af6, "1e+23"),
    (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
    (0x444b1ae4d6e2ef4e, "999999999999999700000"),
    (0x444b1ae4d6e2ef4f, "999999999999999900000"),
    (0x444b1ae4d6e2ef50, "1e+21"),
    (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
    (0x3eb0c6f7a0b5ed8d, "0.000001"),
    (0x41b3de4355555553, "333333333.3333332"),
    (0x41b3de4355555554, "333333333.33333325"),
    (0x41b3de4355555555, "333333333.3333333"),
    (0x41b3de4355555556, "333333333.3333334"),
    (0x41b3de4355555557, "333333333.33333343"),
    (0xbecbf647612f3696, "-0.0000033333333333333333"),
    (0x43143ff3c1cb0959, "1424953923781206.2"),
];

#[test]
fn rfc8785_appendix_b_numbers() {
    for &(bits, expected) in APPENDIX_B {
        assert_eq!(canonical_number(expected).unwrap(), expected);
        // Rust's shortest spellings of the same double give the same digits,
        // except for the tie below, so they must canonicalize the same way.
        let f = f64::from_bits(bits);
        if bits != ROUND_HALF_EVEN_TIE {
            for input in [
                format!("{f:e}"),
                format!("{f:E}"),
                format!("{f}"),
                format!("{f:?}"),
            ] {
                assert_eq!(canonical_number(&input).unwrap(), expected, "input {input}");
            }
        }
    }
}

/// 0x43143ff3c1cb0959 is exactly 1424953923781206.25: both ...206.2 and
/// ...206.3 are shortest round-trip decimals. ECMAScript (and Ryu, used by
/// PostgreSQL's float8out) picks the even one, .2; Rust's formatter picks .3.
/// They are different decimals, so under the exact-value rule they must keep
/// different texts: a client whose formatter breaks such ties differently
/// from ECMAScript gets a text that differs from a JCS library's.
const ROUND_HALF_EVEN_TIE: u64 = 0x43143ff3c1cb0959;

#[test]
fn shortest_digit_ties_keep_their_digits() {
    let f = f64::from_bits(ROUND_HALF_EVEN_TIE);
    assert_eq!("1424953923781206.2".parse::<f64>().unwrap(), f);
    assert_eq!("1424953923781206.3".parse::<f64>().unwrap(), f);
    assert_eq!(
        canonical_number("1424953923781206.2").unwrap(),
        "1424953923781206.2"
    );
    assert_eq!(
        canonical_number("1.4249539237812063e15").unwrap(),
        "1424953923781206.3"
    );
}

#[test]
fn numbers_by_exact_value() {
    let cases = [
        // From the RFC 8785 §3.2.2 example and the ES layout boundaries.
        ("1E30", "1e+30"),
        ("1.0E+30", "1e+30"),
        ("4.50", "4.5"),
        ("2e-3", "0.002"),
        ("0.000000000000000000000000001", "1e-27"),
        ("1e21", "1e+21"),
        ("1e20", "100000000000000000000"),
        ("99e19", "990000000000000000000"),
        ("1e-7", "1e-7"),
        ("-1E-7", "-1e-7"),
        ("1e-6", "0.000001"),
        ("1.5e-6", "0.0000015"),
        ("12345e-10", "0.0000012345"),
        ("0.1", "0.1"),
        ("1e23", "1e+23"),
        ("123e-2", "1.23"),
        ("1e2", "100"),
        ("100", "100"),
        ("1.000", "1"),
        ("10e-1", "1"),
        ("0.0001e4", "1"),
        // Zero in every spelling, including the impossible-in-jsonb "-0".
        ("0", "0"),
        ("-0", "0"),
        ("-0.0", "0"),
        ("0e10", "0"),
        ("0.000E-99", "0"),
        // Decimals that are not shortest forms of doubles keep all digits.
        ("0.1000000000000000000001", "0.1000000000000000000001"),
        (
            "0.1000000000000000055511151231257827021181583404541015625",
            "0.1000000000000000055511151231257827021181583404541015625",
        ),
        (
            "123456789012345678901234567890",
            "1.2345678901234567890123456789e+29",
        ),
        ("333333333.33333329", "333333333.33333329"),
        ("9007199254740993", "9007199254740993"),
        // jsonb prints 1e400 as a 1 followed by 400 zeros.
        ("1e400", "1e+400"),
        (&format!("1{}", "0".repeat(400)), "1e+400"),
        (&format!("-0.{}1", "0".repeat(399)), "-1e-400"),
        // Huge exponents cost nothing; only i64 overflow is refused.
        ("1e1000000000000", "1e+1000000000000"),
        ("1.5e-1000000000000", "1.5e-1000000000000"),
        ("1e-9223372036854775807", "1e-9223372036854775807"),
        ("0.1e-9223372036854775807", "1e-9223372036854775808"),
        ("1e9223372036854775806", "1e+9223372036854775806"),
        ("0e99999999999999999", "0"),
    ];
    for (input, expected) in cases {
        assert_eq!(canonical_number(input).unwrap(), expected, "input {input}");
    }
}

#[test]
fn invalid_numbers() {
    for input in [
        "",
        "-",
        "+1",
        ".5",
        "1.",
        "01",
        "-01",
        "1e",
        "1e+",
        "1E-",
        "0x10",
        "NaN",
        "Infinity",
        "-Infinity",
        "1 ",
        " 1",
        "1.5.2",
        "1e5e5",
        "١",
        "1e9223372036854775808",
        "1e9223372036854775807",
        "0.01e-9223372036854775807",
        "1e99999999999999999999",
    ] {
        assert!(canonical_number(input).is_err(), "accepted {input:?}");
    }
}

#[test]
fn rfc_example_object_with_shortest_number() {
    // RFC 8785 §3.2.2 input, with 333333333.33333329 replaced by the shortest
    // form of the double JCS reads it as; the output is then the RFC's
    // §3.2.3 output byte for byte.
    let input = r#"{
  "numbers": [333333333.3333333, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
    let expected = r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#;
    assert_eq!(canonicalize(input).unwrap(), expected);
}

#[test]
fn rfc_example_object_verbatim_keeps_exact_digits() {
    // The verbatim RFC input: identical output except that the number which is
    // not the shortest form of a double keeps all of its digits.
    let input = r#"{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
    let expected = r#"{"literals":[null,true,false],"numbers":[333333333.33333329,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#;
    assert_eq!(canonicalize(input).unwrap(), expected);
}

#[test]
fn rfc_sorting_example() {
    // RFC 8785 §3.2.3: keys sort by UTF-16 code units, so the emoji (a
    // surrogate pair starting D83D) sorts before U+FB33.
    let input = r#"{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"#;
    let expected = concat!(
        r#"{"\r":"Carriage Return","1":"One","#,
        "\"\u{80}\":\"Control\",",
        "\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",",
        "\"\u{20ac}\":\"Euro Sign\",",
        "\"\u{1f600}\":\"Emoji: Grinning Face\",",
        "\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}",
    );
    assert_eq!(canonicalize(input).unwrap(), expected);
}

#[test]
fn string_escaping() {
    let mut out = String::new();
    write_string(
        "\"\\/\u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f}\u{2028}\u{e9}\u{1f600}",
        &mut out,
    );
    assert_eq!(
        out,
        "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\u{7f}\u{2028}\u{e9}\u{1f600}\""
    );
    assert_eq!(
        canonicalize(r#""\u001F\u00E9\ud83D\uDE00""#).unwrap(),
        "\"\\u001f\u{e9}\u{1f600}\""
    );
}

#[test]
fn structure_whitespace_and_duplicates() {
    let cases = [
        (" \t\r\n null \n", "null"),
        ("[ ]", "[]"),
        ("{ }", "{}"),
        (
            r#"[1.0, {"b": true, "a": [false, null]}, "x"]"#,
            r#"[1,{"a":[false,null],"b":true},"x"]"#,
        ),
        (r#"{"a": 1, "a": 2}"#, r#"{"a":2}"#),
        (
            r#"{"a": {"x": 1}, "b": 0, "a": [1.50]}"#,
            r#"{"a":[1.5],"b":0}"#,
        ),
        // Deep key sorting, and U+E000 after an astral character.
        (
            "{\"z\":{\"\u{e000}\":1,\"\u{10000}\":2},\"a\":{}}",
            "{\"a\":{},\"z\":{\"\u{10000}\":2,\"\u{e000}\":1}}",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(canonicalize(input).unwrap(), expected, "input {input}");
    }
}

#[test]
fn write_canonical_composes_values() {
    let row = Value::Object(vec![
        ("price".into(), Value::Number("10.50".into())),
        ("doc".into(), json::parse(r#"{"y": 2, "x": 1e0}"#).unwrap()),
        ("name".into(), Value::String("é\n".into())),
    ]);
    let mut out = String::from("prefix:");
    write_canonical(&row, &mut out).unwrap();
    assert_eq!(
        out,
        "prefix:{\"doc\":{\"x\":1,\"y\":2},\"name\":\"é\\n\",\"price\":10.5}"
    );

    // A hand-built invalid number is an error and leaves `out` untouched.
    let bad = Value::Array(vec![Value::Null, Value::Number("1.2.3".into())]);
    let err = write_canonical(&bad, &mut out).unwrap_err();
    assert_eq!(err.offset(), 3);
    assert_eq!(
        out,
        "prefix:{\"doc\":{\"x\":1,\"y\":2},\"name\":\"é\\n\",\"price\":10.5}"
    );
}

#[test]
fn parse_keeps_number_text_and_member_order() {
    let value = json::parse(r#"{"b": -1.50E+3, "a": "\u0041", "b": []}"#).unwrap();
    assert_eq!(
        value,
        Value::Object(vec![
            ("b".into(), Value::Number("-1.50E+3".into())),
            ("a".into(), Value::String("A".into())),
            ("b".into(), Value::Array(vec![])),
        ])
    );
}

#[test]
fn parse_errors() {
    let cases: &[(&str, &str)] = &[
        ("", "unexpected end of input"),
        ("   ", "unexpected end of input"),
        ("{} x", "unexpected data after the JSON value"),
        ("1 2", "unexpected data after the JSON value"),
        ("[1] ]", "unexpected data after the JSON value"),
        ("nulll", "unexpected data after the JSON value"),
        ("01", "unexpected data after the JSON value"),
        ("\"abc", "unterminated string"),
        ("[\"abc\\", "unexpected end of input"),
        ("\"\\ud800\"", "unpaired surrogate in \\u escape"),
        ("\"\\udc00\"", "unpaired surrogate in \\u escape"),
        ("\"\\ud800\\u0041\"", "unpaired surrogate in \\u escape"),
        ("\"\\ud800\\n\"", "unpaired surrogate in \\u escape"),
        ("\"\\ud83d\"", "unpaired surrogate in \\u escape"),
        ("\"\\u12G4\"", "expected 4 hex digits in \\u escape"),
        ("\"\\u12", "unexpected end of input"),
        ("\"\\x\"", "invalid escape"),
        ("\"a\u{1}b\"", "control character in string"),
        ("\"a\nb\"", "control character in string"),
        ("[1,]", "expected a JSON value"),
        ("[1 2]", "expected ',' or ']'"),
        ("{\"a\" 1}", "expected ':'"),
        ("{\"a\":1,}", "expected a string key"),
        ("{1:2}", "expected a string key"),
        ("{\"a\":1", "unexpected end of input"),
        ("[", "unexpected end of input"),
        ("tru", "invalid literal"),
        ("True", "expected a JSON value"),
        ("'a'", "expected a JSON value"),
        ("\u{feff}1", "expected a JSON value"),
        ("-", "expected a digit"),
        ("1.e5", "expected a digit after the decimal point"),
        ("[1e]", "expected a digit in the exponent"),
        ("1e99999999999999999999", "exponent out of range"),
    ];
    for &(input, message) in cases {
        let err = canonicalize(input).expect_err(input);
        assert_eq!(err.message(), message, "input {input:?}");
        assert!(err.offset() <= input.len());
        assert!(err.to_string().contains(" at byte "));
    }
    let err = json::parse("[1, 2, x]").unwrap_err();
    assert_eq!((err.message(), err.offset()), ("expected a JSON value", 7));
}

#[test]
fn depth_limit() {
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let deepest = nested(MAX_DEPTH);
    assert_eq!(canonicalize(&deepest).unwrap(), deepest);
    let objects = format!("{}1{}", "{\"a\":".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
    assert_eq!(canonicalize(&objects).unwrap(), objects);

    let err = canonicalize(&nested(MAX_DEPTH + 1)).unwrap_err();
    assert_eq!(
        (err.message(), err.offset()),
        ("nesting too deep", MAX_DEPTH)
    );
    assert!(canonicalize(&"[".repeat(1_000_000)).is_err());
    assert!(canonicalize(&"{\"\":".repeat(1_000_000)).is_err());
}

#[test]
fn hash_of_canonical_text() {
    let a = canonicalize(r#"{"id": 1, "v": [1.0, "x"]}"#).unwrap();
    let b = canonicalize(r#"{"v":[1,"x"],"id":1.00}"#).unwrap();
    assert_eq!(a, b);
    assert_eq!(sha256_hex(a.as_bytes()), sha256_hex(b.as_bytes()));
    assert_eq!(sha256_hex(a.as_bytes()).len(), 64);
}
