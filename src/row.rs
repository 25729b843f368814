//! A row trigger's call and its tuple, as the trigger path works with them: the checked
//! `TriggerData`, a deformed row, and a tuple with some columns replaced.
use crate::errors::{error, Code};
use pgrx::pg_sys::{self, Datum};

/// The trigger call as PostgreSQL hands it over, checked.
pub struct Call {
    pub data: *mut pg_sys::TriggerData,
    pub event: u32,
}

impl Call {
    /// Refuses anything but a `timing` (BEFORE or AFTER) … FOR EACH ROW call of one of `ops`.
    ///
    /// # Safety
    /// `fcinfo` is the call PostgreSQL made to a trigger function.
    pub unsafe fn check(
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
    /// # Safety
    /// `tuple` and `desc` are a valid heap tuple and its descriptor.
    pub unsafe fn deform(tuple: pg_sys::HeapTuple, desc: pg_sys::TupleDesc) -> Row {
        let n = (*desc).natts as usize;
        let mut row = Row {
            values: vec![Datum::from(0); n],
            nulls: vec![false; n],
        };
        pg_sys::heap_deform_tuple(tuple, desc, row.values.as_mut_ptr(), row.nulls.as_mut_ptr());
        row
    }

    /// A composite value of the table's row type (a whole-row reference in SQL), deformed.
    ///
    /// # Safety
    /// `datum` is a non-NULL composite whose row type is described by `desc`.
    pub unsafe fn from_composite(datum: Datum, desc: pg_sys::TupleDesc) -> Row {
        let header = pg_sys::pg_detoast_datum(datum.cast_mut_ptr()) as pg_sys::HeapTupleHeader;
        let mut tuple: pg_sys::HeapTupleData = std::mem::zeroed();
        tuple.t_len = pgrx::varsize_any(header as *const pg_sys::varlena) as u32;
        tuple.t_data = header;
        Row::deform(&mut tuple, desc)
    }

    pub fn get(&self, index: usize) -> Option<Datum> {
        (!self.nulls[index]).then(|| self.values[index])
    }

    /// The tuple this row was deformed from, `tuple`, with `replace` applied: a new tuple
    /// formed from the values already deformed (heap_modify_tuple would deform `tuple` again),
    /// or `tuple` itself when nothing is replaced.
    ///
    /// # Safety
    /// `tuple` is the valid heap tuple of `desc` this row was deformed from; the replaced
    /// values are of the columns' types.
    pub unsafe fn formed(
        &self,
        tuple: pg_sys::HeapTuple,
        desc: pg_sys::TupleDesc,
        replace: &[(usize, Option<Datum>)],
    ) -> Datum {
        if replace.is_empty() {
            return Datum::from(tuple);
        }
        let mut values = self.values.clone();
        let mut nulls = self.nulls.clone();
        for &(i, v) in replace {
            values[i] = v.unwrap_or(Datum::from(0));
            nulls[i] = v.is_none();
        }
        Datum::from(pg_sys::heap_form_tuple(
            desc,
            values.as_mut_ptr(),
            nulls.as_mut_ptr(),
        ))
    }
}
