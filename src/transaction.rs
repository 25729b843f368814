//! End-of-transaction bookkeeping: what the extension remembers per transaction (key locks
//! taken, what is known about locked keys) is forgotten when the transaction ends, and when a
//! subtransaction rolls back (its rows and the locks it took are gone); the log's indexes kept
//! open by the transaction are closed.
use pgrx::pg_sys;

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_transaction_end(
    event: pg_sys::XactEvent::Type,
    _arg: *mut std::ffi::c_void,
) {
    use pg_sys::XactEvent::*;
    match event {
        XACT_EVENT_PRE_COMMIT | XACT_EVENT_PRE_PREPARE => crate::audit::transaction_ending(true),
        XACT_EVENT_ABORT | XACT_EVENT_PARALLEL_ABORT => crate::audit::transaction_ending(false),
        _ => {}
    }
    if matches!(
        event,
        XACT_EVENT_COMMIT
            | XACT_EVENT_ABORT
            | XACT_EVENT_PREPARE
            | XACT_EVENT_PARALLEL_COMMIT
            | XACT_EVENT_PARALLEL_ABORT
    ) {
        crate::locks::forget();
        crate::key_cache::transaction_ended();
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_subtransaction_end(
    event: pg_sys::SubXactEvent::Type,
    _my: pg_sys::SubTransactionId,
    _parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    if event == pg_sys::SubXactEvent::SUBXACT_EVENT_COMMIT_SUB {
        crate::locks::subtransaction_ended(pg_sys::GetCurrentTransactionNestLevel(), true);
    }
    if event == pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB {
        crate::locks::subtransaction_ended(pg_sys::GetCurrentTransactionNestLevel(), false);
        crate::key_cache::forget_all();
    }
}

pub fn register_callbacks() {
    unsafe {
        pg_sys::RegisterXactCallback(Some(on_transaction_end), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(on_subtransaction_end), std::ptr::null_mut());
    }
}
