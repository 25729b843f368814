//! What each backend forgets when PostgreSQL tells it that catalogs changed: one relcache
//! callback for every per-backend cache of the extension (table states, the log's OID and
//! indexes, compiled kind schemas, the transaction's key cache) and one for roles (the session
//! user's name in log rows).
use crate::{audit, key_cache, kinds, table_state};
use pgrx::pg_sys::{self, Datum, Oid};

/// Registers the callbacks (once per backend, from `_PG_init`).
pub fn register() {
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(on_relcache_invalidation), Datum::from(0));
        pg_sys::CacheRegisterSyscacheCallback(
            pg_sys::SysCacheIdentifier::AUTHOID as i32,
            Some(on_role_invalidation),
            Datum::from(0),
        );
    }
}

/// `relid` changed (enable/disable/ALTER TABLE in any session); InvalidOid: everything.
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_relcache_invalidation(_arg: Datum, relid: Oid) {
    audit::forget_log_relid(relid);
    kinds::forget(relid);
    if relid == Oid::INVALID {
        key_cache::forget_all();
    } else {
        key_cache::forget_table(relid);
    }
    table_state::forget(relid);
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_role_invalidation(_arg: Datum, _cache: i32, _hash: u32) {
    audit::forget_session_user();
}
