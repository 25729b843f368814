//! Settings (GUCs) the extension reads.
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting, PostgresGucEnum};
use std::ffi::CString;

/// `versioning.restore`: keep supplied versions and hashes (data-only restores, bulk loads
/// of existing history). Honoured for the table's owner only.
pub static RESTORE: GucSetting<bool> = GucSetting::<bool>::new(false);

/// `versioning.actor`: who is acting, for the audit log; falls back to session_user.
pub static ACTOR: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

/// How the INSERT path reads a key's versions (see src/lookup.rs). `spi` is the readable
/// reference implementation the tests compare the default against.
#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum LookupMethod {
    Index,
    Spi,
}

pub static LOOKUP_METHOD: GucSetting<LookupMethod> =
    GucSetting::<LookupMethod>::new(LookupMethod::Index);

/// `versioning.key_lock_limit`: key locks one transaction takes per table before it locks
/// the whole table instead (see src/locks.rs).
pub static KEY_LOCK_LIMIT: GucSetting<i32> = GucSetting::<i32>::new(256);

/// `versioning.allow_purge`: versioning.purge refuses to run unless it is on (SET LOCAL).
pub static ALLOW_PURGE: GucSetting<bool> = GucSetting::<bool>::new(false);

pub fn init() {
    GucRegistry::define_bool_guc(
        c"versioning.allow_purge",
        c"Allows versioning.purge() in this transaction (SET LOCAL versioning.allow_purge = on).",
        c"Purging removes frozen versions for good; the setting makes it a deliberate act.",
        &ALLOW_PURGE,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"versioning.key_lock_limit",
        c"Keys one transaction locks per versioned table before it locks the whole table.",
        c"Bulk loads of many keys then hold one lock instead of exhausting the shared lock table (max_locks_per_transaction).",
        &KEY_LOCK_LIMIT,
        1,
        1_000_000,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_enum_guc(
        c"versioning.lookup_method",
        c"How the INSERT trigger reads a key's versions: index (direct index probes) or spi (SQL).",
        c"Both give the same results; spi is the reference implementation, for diagnosis.",
        &LOOKUP_METHOD,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"versioning.restore",
        c"Keep supplied versions and content hashes on INSERT (restores, bulk loads of history).",
        c"Triggers verify each supplied hash, skip dedup and still refuse a (key, version) that exists. Table owners only.",
        &RESTORE,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"versioning.actor",
        c"Who is acting, recorded in versioning.log (default: session_user).",
        c"Applications set it per transaction: SET LOCAL versioning.actor = 'user-42'.",
        &ACTOR,
        GucContext::Userset,
        GucFlags::default(),
    );
}
