//! End-of-transaction bookkeeping: what the extension remembers per transaction (key locks
//! taken, what is known about locked keys) is forgotten when the transaction ends, and when a
//! subtransaction rolls back (its rows and the locks it took are gone); the log and its indexes,
//! kept open by the transaction, are closed — and let go before every utility statement.
use pgrx::pg_sys;

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_transaction_end(
    event: pg_sys::XactEvent::Type,
    _arg: *mut std::ffi::c_void,
) {
    use pg_sys::XactEvent::*;
    if matches!(event, XACT_EVENT_PRE_COMMIT | XACT_EVENT_PRE_PREPARE) {
        crate::audit::let_go();
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
        crate::audit::transaction_ended();
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

static mut PREVIOUS_PROCESS_UTILITY: pg_sys::ProcessUtility_hook_type = None;

unsafe extern "C-unwind" {
    /// PostgreSQL's own, called directly rather than through pgrx's wrapper: an error of the
    /// statement passes through the hook as through any C hook, with its CONTEXT (pgrx's
    /// wrapper would catch and raise it again, after the statement's context is gone).
    #[link_name = "standard_ProcessUtility"]
    fn standard_process_utility(
        pstmt: *mut pg_sys::PlannedStmt,
        query_string: *const std::ffi::c_char,
        read_only_tree: bool,
        context: pg_sys::ProcessUtilityContext::Type,
        params: pg_sys::ParamListInfo,
        query_env: *mut pg_sys::QueryEnvironment,
        dest: *mut pg_sys::DestReceiver,
        qc: *mut pg_sys::QueryCompletion,
    );
}

/// Any utility statement (DROP EXTENSION, REINDEX, TRUNCATE of the log) runs with the log let go
/// (`audit::let_go`). Not `pg_guard`ed (see `standard_process_utility`): it holds nothing an
/// error could leak, and what of ours can fail runs in `let_go_of_log`, which is.
#[allow(clippy::too_many_arguments)]
unsafe extern "C-unwind" fn process_utility(
    pstmt: *mut pg_sys::PlannedStmt,
    query_string: *const std::ffi::c_char,
    read_only_tree: bool,
    context: pg_sys::ProcessUtilityContext::Type,
    params: pg_sys::ParamListInfo,
    query_env: *mut pg_sys::QueryEnvironment,
    dest: *mut pg_sys::DestReceiver,
    qc: *mut pg_sys::QueryCompletion,
) {
    let_go_of_log();
    let run = PREVIOUS_PROCESS_UTILITY.unwrap_or(standard_process_utility);
    run(
        pstmt,
        query_string,
        read_only_tree,
        context,
        params,
        query_env,
        dest,
        qc,
    );
}

#[pgrx::pg_guard]
extern "C-unwind" fn let_go_of_log() {
    crate::audit::let_go();
}

pub fn register_callbacks() {
    unsafe {
        pg_sys::RegisterXactCallback(Some(on_transaction_end), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(on_subtransaction_end), std::ptr::null_mut());
        PREVIOUS_PROCESS_UTILITY = pg_sys::ProcessUtility_hook;
        pg_sys::ProcessUtility_hook = Some(process_utility);
    }
}
