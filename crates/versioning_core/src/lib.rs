//! Content hashing of versioned rows for `pg_versioning`.
//!
//! The hash of a row is `SHA-256(canonical JSON)`, written as lowercase hex.
//! The canonical JSON is RFC 8785 (JCS) with one refinement for numbers: they
//! are laid out from their exact decimal value instead of being rounded
//! through an IEEE double, so that two PostgreSQL `jsonb` values are equal
//! exactly when their canonical texts are equal (see [`canonical_number`]).
//!
//! ```
//! use versioning_core::{canonicalize, sha256_hex};
//!
//! let text = canonicalize(r#"{ "b": 1.50, "a": [1e21, "\u00e9"] }"#).unwrap();
//! assert_eq!(text, r#"{"a":[1e+21,"é"],"b":1.5}"#);
//! assert_eq!(sha256_hex(text.as_bytes()).len(), 64);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod canonical;
pub mod hash;
pub mod json;
pub mod jsonb;
pub mod jsonb_instance;
pub mod lifecycle;
mod number;
pub mod patch;
pub mod schema;
pub mod semver;

pub use canonical::{canonical_number, canonicalize};
pub use hash::{sha256, sha256_hex};
