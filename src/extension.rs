//! The extension's own objects as the code names them: its tables in schema `versioning`, the
//! role that owns them, and the triggers `versioning.enable` attaches to a versioned table.
use crate::pg;
use pgrx::pg_sys::{self, Oid};
use std::cell::OnceCell;

/// The names versioning.enable gives the triggers. BEFORE triggers fire in name order:
/// "zz_" makes ours fire after the application's own, so the hash covers the stored content.
pub const INSERT_TRIGGER: &str = "zz_versioning_insert";
pub const CHANGE_TRIGGER: &str = "zz_versioning_guard";
pub const CARRY_TRIGGER: &str = "zz_versioning_carry_forward";
pub const CURRENT_TRIGGER: &str = "zz_versioning_current";

/// The OID of the extension's table `versioning.<name>` (InvalidOid if there is none).
pub fn table(name: &std::ffi::CStr) -> Oid {
    unsafe {
        let nsp = pg_sys::get_namespace_oid(c"versioning".as_ptr(), false);
        pg_sys::get_relname_relid(name.as_ptr(), nsp)
    }
}

/// The owner of the extension's own tables, whom writes to them run as.
pub fn owner() -> Oid {
    thread_local!(static OWNER: OnceCell<Oid> = const { OnceCell::new() });
    OWNER.with(|o| *o.get_or_init(|| pg::relation_owner(table(c"log"))))
}
