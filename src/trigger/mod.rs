//! The row triggers `versioning.enable` attaches. Raw C-convention functions: the INSERT path
//! runs once per inserted row and must not pay for conversions it does not need.
use crate::errors::{error, Code, Error};
use crate::pg;
use pgrx::pg_sys::{self, Datum};

pub(crate) mod guard;
pub(crate) mod insert;

/// The names versioning.enable gives the triggers. BEFORE triggers fire in name order:
/// "zz_" makes ours fire after the application's own, so the hash covers the stored content.
pub const INSERT_TRIGGER: &str = "zz_versioning_insert";
pub const CHANGE_TRIGGER: &str = "zz_versioning_guard";
pub const CARRY_TRIGGER: &str = "zz_versioning_carry_forward";

/// The trigger call as PostgreSQL hands it over, checked.
pub struct Call {
    pub data: *mut pg_sys::TriggerData,
    pub event: u32,
}

impl Call {
    /// Refuses anything but a `timing` (BEFORE or AFTER) … FOR EACH ROW call of one of `ops`.
    unsafe fn check(
        fcinfo: pg_sys::FunctionCallInfo,
        name: &str,
        timing: u32,
        ops: &[u32],
    ) -> Call {
        let ctx = (*fcinfo).context;
        if ctx.is_null() || (*ctx).type_ != pg_sys::NodeTag::T_TriggerData {
            error(
                Code::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                format!("{name} was not called as a trigger"),
            )
            .raise();
        }
        let data = ctx as *mut pg_sys::TriggerData;
        let event = (*data).tg_event;
        let timed = event & pg_sys::TRIGGER_EVENT_TIMINGMASK == timing;
        let row = event & pg_sys::TRIGGER_EVENT_ROW != 0;
        if !timed || !row || !ops.contains(&(event & pg_sys::TRIGGER_EVENT_OPMASK)) {
            let when = if timing == pg_sys::TRIGGER_EVENT_BEFORE {
                "BEFORE"
            } else {
                "AFTER"
            };
            error(
                Code::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                format!("{name} must be fired {when} … FOR EACH ROW"),
            )
            .hint("Attach it with versioning.enable(), not CREATE TRIGGER.")
            .raise();
        }
        Call { data, event }
    }

    pub fn relation(&self) -> pg_sys::Relation {
        unsafe { (*self.data).tg_relation }
    }

    pub fn op(&self) -> u32 {
        self.event & pg_sys::TRIGGER_EVENT_OPMASK
    }
}

/// Deformed tuple: one value and null flag per attribute.
pub struct Row {
    pub values: Vec<Datum>,
    pub nulls: Vec<bool>,
}

impl Row {
    pub unsafe fn deform(tuple: pg_sys::HeapTuple, desc: pg_sys::TupleDesc) -> Row {
        let n = (*desc).natts as usize;
        let mut row = Row {
            values: vec![Datum::from(0); n],
            nulls: vec![false; n],
        };
        pg_sys::heap_deform_tuple(tuple, desc, row.values.as_mut_ptr(), row.nulls.as_mut_ptr());
        row
    }

    pub fn get(&self, index: usize) -> Option<Datum> {
        (!self.nulls[index]).then(|| self.values[index])
    }
}

/// The new tuple with `replace` applied (or as it is).
pub(crate) unsafe fn modified_tuple(
    tuple: pg_sys::HeapTuple,
    desc: pg_sys::TupleDesc,
    natts: usize,
    replace: &[(usize, Option<Datum>)],
) -> Datum {
    if replace.is_empty() {
        return Datum::from(tuple);
    }
    let mut values = vec![Datum::from(0); natts];
    let mut nulls = vec![false; natts];
    let mut repl = vec![false; natts];
    for &(i, v) in replace {
        values[i] = v.unwrap_or(Datum::from(0));
        nulls[i] = v.is_none();
        repl[i] = true;
    }
    Datum::from(pg_sys::heap_modify_tuple(
        tuple,
        desc,
        values.as_mut_ptr(),
        nulls.as_mut_ptr(),
        repl.as_mut_ptr(),
    ))
}

/// Runs a trigger's work under pgrx's guard (a panic or PostgreSQL error inside becomes a
/// PostgreSQL error, as with `#[pg_guard]`). A refusal the work returns is raised here, once
/// its frames are gone: raising it from inside would unwind every frame (about 5 µs).
#[inline(always)]
#[track_caller]
unsafe fn refusable(work: impl FnOnce() -> Result<Datum, Error>) -> Datum {
    match pg_sys::submodules::panic::pgrx_extern_c_guard(work) {
        Ok(tuple) => tuple,
        Err(refusal) => refusal.raise_here(),
    }
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_pgv_on_insert() -> &'static pg_sys::Pg_finfo_record {
    &pg::FINFO_V1
}

/// `versioning._on_insert()`: BEFORE INSERT FOR EACH ROW.
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_on_insert(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    refusable(move || {
        let call = Call::check(
            fcinfo,
            "versioning._on_insert()",
            pg_sys::TRIGGER_EVENT_BEFORE,
            &[pg_sys::TRIGGER_EVENT_INSERT],
        );
        insert::on_insert(&call)
    })
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_pgv_on_change() -> &'static pg_sys::Pg_finfo_record {
    &pg::FINFO_V1
}

/// `versioning._on_change()`: BEFORE UPDATE OR DELETE FOR EACH ROW.
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_on_change(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    refusable(move || {
        let call = Call::check(
            fcinfo,
            "versioning._on_change()",
            pg_sys::TRIGGER_EVENT_BEFORE,
            &[pg_sys::TRIGGER_EVENT_UPDATE, pg_sys::TRIGGER_EVENT_DELETE],
        );
        guard::on_change(&call)
    })
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_pgv_after_insert() -> &'static pg_sys::Pg_finfo_record {
    &pg::FINFO_V1
}

/// `versioning._after_insert()`: AFTER INSERT FOR EACH ROW on a parent with carry-forward rules.
#[pgrx::pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_after_insert(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    let call = Call::check(
        fcinfo,
        "versioning._after_insert()",
        pg_sys::TRIGGER_EVENT_AFTER,
        &[pg_sys::TRIGGER_EVENT_INSERT],
    );
    crate::carry_forward::after_insert(&call);
    Datum::from(0)
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_pgv_schemas_changed() -> &'static pg_sys::Pg_finfo_record {
    &pg::FINFO_V1
}

/// `versioning._schemas_changed()`: AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW on
/// `versioning.schemas`, enabled ALWAYS: at commit every session drops its compiled schemas
/// (`kinds::forget`) — also when the row was written by logical replication's apply worker.
#[pgrx::pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn pgv_schemas_changed(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
    let call = Call::check(
        fcinfo,
        "versioning._schemas_changed()",
        pg_sys::TRIGGER_EVENT_AFTER,
        &[
            pg_sys::TRIGGER_EVENT_INSERT,
            pg_sys::TRIGGER_EVENT_UPDATE,
            pg_sys::TRIGGER_EVENT_DELETE,
        ],
    );
    pg_sys::CacheInvalidateRelcacheByRelid((*call.relation()).rd_id);
    Datum::from(0)
}
