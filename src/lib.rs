//! pg_versioning: a plain INSERT into a versioned table gets a race-free version number,
//! a content hash and duplicate suppression. This file only wires the modules together.
//! The layers, top to bottom (a module imports only from layers below it; docs/architecture.md
//! draws them and walks one INSERT through them):
//!
//! 1. Entry points: `trigger` (the row triggers: INSERT path, UPDATE/DELETE guard,
//!    carry-forward), `api` (the SQL functions), `invalidation` and `transaction` (callbacks
//!    PostgreSQL calls when catalogs change and transactions end).
//! 2. Per-row work on a table's state: `lookup` (a key's latest version and duplicates: index
//!    probes, or SQL), `semantic_version` (major.minor.patch from change types).
//! 3. `table_state`: the per-backend cache of a versioned table's resolved configuration.
//! 4. Per-table pieces: `lifecycle` (states, stamps, versions that left an editable state),
//!    `kinds` (JSON Schema checks), `carry_forward` (copying child rows), `current`
//!    (current-version pointers), `content` (the
//!    content hash), `key` (a row's key as bytes, lock hash, JSON), `probe` (btree index
//!    probes), `locks` (per-key insert locks), `key_cache` (what a transaction knows about keys
//!    it holds locked), `audit` (versioning.log), `flags` (what SQL functions tell triggers),
//!    `partitions` (a partitioned table's tree and the partition keys it may have).
//! 5. `config`: the options of `versioning.enable`, validated and stored.
//! 6. PostgreSQL glue: `pg`, `spi`, `catalog`, `errors`, `guc`, `extension` (the extension's
//!    own objects), `row` (a trigger call and its tuple), `pgrx_internals` (all that relies on
//!    pgrx beyond its documented API).
use pgrx::prelude::*;

mod api;
mod audit;
mod carry_forward;
mod catalog;
mod config;
mod content;
mod current;
mod errors;
mod extension;
mod flags;
mod guc;
mod invalidation;
mod key;
mod key_cache;
mod kinds;
mod lifecycle;
mod locks;
mod lookup;
mod partitions;
mod pg;
mod pgrx_internals;
mod probe;
mod row;
mod semantic_version;
mod spi;
mod table_state;
mod transaction;
mod trigger;

::pgrx::pg_module_magic!(name, version);

pgrx::extension_sql_file!("../sql/bootstrap.sql", name = "bootstrap", bootstrap);
pgrx::extension_sql_file!(
    "../sql/triggers.sql",
    name = "triggers",
    requires = ["bootstrap"]
);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    guc::init();
    invalidation::register();
    transaction::register_callbacks();
    key_cache::register_executor_hook();
}
