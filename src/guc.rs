//! Settings (GUCs) the extension reads.
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::CString;

/// `versioning.restore`: keep supplied versions and hashes (data-only restores, bulk loads
/// of existing history). Honoured for the table's owner only.
pub static RESTORE: GucSetting<bool> = GucSetting::<bool>::new(false);

/// `versioning.actor`: who is acting, for the audit log; falls back to session_user.
pub static ACTOR: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

pub fn init() {
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
