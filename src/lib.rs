//! pg_versioning: a plain INSERT into a versioned table gets a race-free version number,
//! a content hash and duplicate suppression. This file only wires the modules together.
//!
//! - `config`      the options of `versioning.enable`, validated, stored in `versioning.tables`
//! - `catalog`     relation and column lookups used at enable time and when building caches
//! - `table_state` per-backend cache of everything the trigger needs per table (plans, fmgr)
//! - `content`     content hash of a row (canonical JSON from `versioning_core`, SHA-256)
//! - `locks`       per-key insert locks, escalating to a table lock for bulk loads
//! - `key_cache`   what a transaction already knows about keys it holds locked
//! - `lifecycle`   a row's state, stamps, versions that left an editable state
//! - `lookup`      reading a key's latest version and duplicates (index probes, or SPI)
//! - `transaction` forgetting per-transaction state at commit, abort and savepoint rollback
//! - `trigger`     the row triggers: the INSERT path and the UPDATE/DELETE guard
//! - `audit`       writing versioning.log
//! - `semantic_version` major.minor.patch from change types (the `semver` option)
//! - `carry_forward` copying approved child rows to a parent's new version
//! - `kinds`       checking content against its kind's JSON Schema (cached per backend)
//! - `api`         the SQL functions DBAs and applications call
//! - `spi`, `pg`   thin unsafe helpers around PostgreSQL's C API
//! - `errors`, `guc`
use pgrx::prelude::*;

mod api;
mod audit;
mod carry_forward;
mod catalog;
mod config;
mod content;
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

#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}
    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
