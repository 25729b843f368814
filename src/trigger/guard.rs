//! UPDATE and DELETE of versions (docs/versioning.md, "Lifecycles").
//!
//! - Key and version columns never change.
//! - Without a lifecycle every version is frozen once inserted; with one, a version is
//!   editable while its state is editable and it has never left an editable state.
//! - A frozen version changes only its `mutable` columns and its status, along an allowed
//!   transition (whose stamps the extension writes).
//! - Editing a draft recomputes its hash. DELETE is a soft delete when `deleted_column` is set;
//!   otherwise only the latest version may be removed, and only while editable.
//!   `versioning.purge` is the way out for frozen versions.
use crate::audit;
use crate::content;
use crate::errors::{error, Code, Error};
use crate::flags;
use crate::lifecycle;
use crate::pg;
use crate::row::{Call, Row};
use crate::table_state::{self, PlanKey, TableState};
use pgrx::pg_sys::{self, Datum};

/// The row's key as JSON, built on first use (only errors, logs and re-entry lookups need it).
struct LazyKey<'a> {
    state: &'a TableState,
    row: &'a Row,
    json: std::cell::OnceCell<String>,
}

impl LazyKey<'_> {
    fn get(&self) -> &str {
        self.json
            .get_or_init(|| self.state.key.json(&self.row.values, &self.row.nulls))
    }
}

impl std::fmt::Display for LazyKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.get())
    }
}

/// A refusal comes back as `Err`: the trigger's entry point raises it once nothing is left to
/// unwind (see [`crate::errors::Error::raise_here`]).
///
/// # Safety
/// `call` is a checked BEFORE UPDATE OR DELETE FOR EACH ROW call.
pub unsafe fn on_change(call: &Call) -> Result<Datum, Error> {
    let rel = call.relation();
    let state = table_state::get(rel);
    let old = Row::deform((*call.data).tg_trigtuple, (*rel).rd_att);
    let version = old
        .get(state.version.index)
        .map_or(0, |d| pg::int_from_datum(d, state.version.typid));
    let key = LazyKey {
        state: &state,
        row: &old,
        json: std::cell::OnceCell::new(),
    };
    let old_state = state.lifecycle.as_ref().and_then(|l| l.state_of(&old));
    let change = Change {
        call,
        state: &state,
        editable: is_editable(&state, old_state.as_deref(), &key, version),
        old: &old,
        key,
        version,
        old_state,
    };
    // what this transaction cached about the table's keys may no longer hold
    crate::key_cache::forget_table(state.storage);
    if call.op() == pg_sys::TRIGGER_EVENT_DELETE {
        change.delete()
    } else {
        change.update(&Row::deform((*call.data).tg_newtuple, (*rel).rd_att))
    }
}

/// An UPDATE or DELETE of one version, as the guard sees it.
struct Change<'a> {
    call: &'a Call,
    state: &'a TableState,
    old: &'a Row,
    key: LazyKey<'a>,
    version: i64,
    /// the version's state before the change (None without a lifecycle, or NULL)
    old_state: Option<String>,
    editable: bool,
}

impl Change<'_> {
    /// " (state \"draft\")" for messages, or nothing without a state.
    fn in_state(&self) -> String {
        self.old_state
            .as_deref()
            .map(|s| format!(" (state \"{s}\")"))
            .unwrap_or_default()
    }

    /// Whether column `i` differs between the old row and `new`.
    unsafe fn changed(&self, new: &Row, i: usize) -> bool {
        match (self.old.get(i), new.get(i)) {
            (None, None) => false,
            (Some(a), Some(b)) => {
                let att = &*pg::tuple_desc_attr((*self.call.relation()).rd_att, i);
                !pg::same_value(a, b, att.attlen, att.attbyval)
            }
            _ => true,
        }
    }

    /// Key, version, transitions, then either the draft's recomputed columns or the frozen
    /// version's rule (only mutable columns, the status and its stamps may change).
    unsafe fn update(&self, new: &Row) -> Result<Datum, Error> {
        self.refuse_identity_change(new)?;
        let (mut replace, transition) = self.transition(new)?;
        if self.editable {
            replace.extend(self.draft_columns(new)?);
        } else {
            self.refuse_frozen_change(new, &replace, transition.is_some())?;
        }
        if let Some((from, to)) = &transition {
            self.log_transition(from, to);
        }
        Ok(new.formed(
            (*self.call.data).tg_newtuple,
            (*self.call.relation()).rd_att,
            &replace,
        ))
    }

    /// Key and version columns never change.
    unsafe fn refuse_identity_change(&self, new: &Row) -> Result<(), Error> {
        let state = self.state;
        let identity = state
            .key
            .iter()
            .map(|k| &k.column)
            .chain(std::iter::once(&state.version));
        for c in identity {
            if self.changed(new, c.index) {
                return Err(error(
                    Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                    format!(
                        "cannot change column \"{}\" of version {} of key {} in table {}",
                        c.name, self.version, self.key, state.name
                    ),
                )
                .detail("Key and version columns never change.")
                .hint("Insert a row with the new key instead."));
            }
        }
        Ok(())
    }

    /// A change of state must be an allowed transition: its stamps, and (from, to).
    #[allow(clippy::type_complexity)]
    fn transition(
        &self,
        new: &Row,
    ) -> Result<(Vec<(usize, Option<Datum>)>, Option<(String, String)>), Error> {
        let Some(l) = &self.state.lifecycle else {
            return Ok((Vec::new(), None));
        };
        let new_state = l.state_of(new);
        if new_state == self.old_state {
            return Ok((Vec::new(), None));
        }
        let from = self.old_state.clone().unwrap_or_default();
        let to = new_state.unwrap_or_default();
        if !l.rules.allows(&from, &to) {
            let allowed = l
                .rules
                .transitions
                .get(&from)
                .map(|t| t.join(", "))
                .filter(|t| !t.is_empty());
            return Err(error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("cannot move version {} of key {} in table {} from \"{from}\" to \"{to}\"", self.version, self.key, self.state.name),
            )
            .detail(match allowed {
                Some(a) => format!("From \"{from}\" a version may move to: {a}."),
                None => format!("No transition leaves \"{from}\"."),
            })
            .hint("Move versions only along the lifecycle's transitions; to change content, create a new version."));
        }
        Ok((l.stamp_values(&to, &self.state.name), Some((from, to))))
    }

    /// A draft: anything but key and version may change; its hash follows its content (checked
    /// against its kind's schema), its semantic version its change type.
    unsafe fn draft_columns(&self, new: &Row) -> Result<Vec<(usize, Option<Datum>)>, Error> {
        let state = self.state;
        let mut replace =
            crate::semantic_version::replacements(state, self.call.relation(), new, self.version);
        if let Some(kinds) = &state.kinds {
            if self.changed(new, kinds.document.index) || self.changed(new, kinds.kind.index) {
                let checked = crate::kinds::Checked {
                    table: &state.name,
                    key: &state.key,
                    values: &new.values,
                    nulls: &new.nulls,
                    version: Some(self.version),
                };
                crate::kinds::check(kinds, &checked);
            }
        }
        if let Some(h) = &state.hash {
            let hash = state.content.hash(&new.values, &new.nulls).map_err(|e| {
                e.error(&format!(
                    "version {} of key {} in table {}",
                    self.version, self.key, state.name
                ))
            })?;
            replace.push((h.index, hash.map(|x| content::hash_datum(&x, h.typid))));
        }
        Ok(replace)
    }

    /// A frozen version: only mutable columns, the status along a transition (with the stamps
    /// it writes) and a soft delete's column may change.
    unsafe fn refuse_frozen_change(
        &self,
        new: &Row,
        replace: &[(usize, Option<Datum>)],
        transition: bool,
    ) -> Result<(), Error> {
        let state = self.state;
        let soft_deleting = flags::is_soft_deleting();
        let may_change = |i: usize| {
            state.mutable[i]
                || (transition
                    && state
                        .lifecycle
                        .as_ref()
                        .is_some_and(|l| l.status.index == i))
                || replace.iter().any(|(r, _)| *r == i)
                || (soft_deleting && state.deleted.as_ref().is_some_and(|d| d.index == i))
        };
        let desc = (*self.call.relation()).rd_att;
        for i in 0..state.natts {
            let att = &*pg::tuple_desc_attr(desc, i);
            if !att.attisdropped && !may_change(i) && self.changed(new, i) {
                let name = std::ffi::CStr::from_ptr(att.attname.data.as_ptr()).to_string_lossy();
                let in_state = self.in_state();
                return Err(error(
                    Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                    format!("version {} of key {} in table {} is frozen{in_state}", self.version, self.key, state.name),
                )
                .detail(if state.lifecycle.is_some() {
                    format!("Column \"{name}\" cannot change; only the mutable columns and the status of a frozen version may.")
                } else {
                    format!("Column \"{name}\" cannot change; only the mutable columns of a version may.")
                })
                .hint("create a new version instead"));
            }
        }
        Ok(())
    }

    /// Logs the transition; a version leaving an editable state for good is remembered.
    fn log_transition(&self, from: &str, to: &str) {
        let Some(l) = &self.state.lifecycle else {
            return;
        };
        if l.rules.can_reenter_editable() && l.rules.is_editable(from) && !l.rules.is_editable(to) {
            lifecycle::record_left_editable(&self.state.name, self.key.get(), self.version);
        }
        audit::write(&audit::Entry {
            table: &self.state.name,
            key_json: self.key.get(),
            version: Some(self.version),
            action: "transition",
            from_state: Some(from),
            to_state: Some(to),
            ..Default::default()
        });
    }
}

/// Whether a version in `state_now` may be edited: its state is editable and it never left one.
fn is_editable(state: &TableState, state_now: Option<&str>, key: &LazyKey, version: i64) -> bool {
    let Some(l) = &state.lifecycle else {
        return false;
    };
    let Some(s) = state_now else { return false };
    l.rules.is_editable(s)
        && !(l.rules.can_reenter_editable()
            && lifecycle::has_left_editable(&state.name, key.get(), version))
}

impl Change<'_> {
    /// A purge removes anything; with `deleted_column` a DELETE is a soft delete; otherwise
    /// only the latest version may go, and only while editable.
    unsafe fn delete(&self) -> Result<Datum, Error> {
        let tuple = (*self.call.data).tg_trigtuple;
        if flags::is_purging() {
            return Ok(Datum::from(tuple));
        }
        if let Some(d) = &self.state.deleted {
            return self.soft_delete(d);
        }
        if !self.editable {
            let in_state = self.in_state();
            return Err(error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "cannot delete version {} of key {} in table {}: it is frozen{in_state}",
                    self.version, self.key, self.state.name
                ),
            )
            .detail("Versions are kept once frozen; only the latest version may be deleted, and only while editable.")
            .hint(
                "Frozen versions are kept; versioning.purge() removes them where the law requires it.",
            ));
        }
        self.delete_latest_draft()?;
        Ok(Datum::from(tuple))
    }

    /// Sets the soft-delete column (once) and removes nothing.
    unsafe fn soft_delete(&self, d: &crate::catalog::Column) -> Result<Datum, Error> {
        let state = self.state;
        // A DELETE fired from another trigger (a foreign key's ON DELETE CASCADE) must not turn
        // into a soft delete: the parent row would go while this version keeps pointing at it.
        let depth = pgrx::direct_function_call::<i32>(pg_sys::pg_trigger_depth, &[]).unwrap_or(0);
        if depth > 1 {
            return Err(error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("cannot delete version {} of key {} in table {} as part of a cascade", self.version, self.key, state.name),
            )
            .detail("Deleting from this table is a soft delete: the version would stay and point at a removed row.")
            .hint("Delete the versions explicitly first, or use ON DELETE RESTRICT for references to the soft-delete table."));
        }
        if self.old.get(d.index).is_none() {
            let tuple = (*self.call.data).tg_trigtuple;
            let _flag = flags::soft_deleting();
            let _session = crate::spi::Session::connect();
            let soft_delete = state.plan(PlanKey::SoftDelete, || {
                let sql = format!(
                    "UPDATE {} SET {} = pg_catalog.now() WHERE ctid OPERATOR(pg_catalog.=) $1",
                    state.storage_name,
                    pg::quote_ident(&d.name)
                );
                (sql, vec![pg_sys::TIDOID])
            });
            soft_delete.execute(
                &[Some(Datum::from(&mut (*tuple).t_self as *mut _))],
                crate::spi::Snapshot::Transaction,
                0,
            );
            audit::write(&audit::Entry {
                table: &state.name,
                key_json: self.key.get(),
                version: Some(self.version),
                action: "soft_delete",
                from_state: self.old_state.as_deref(),
                ..Default::default()
            });
        }
        Ok(Datum::from(0))
    }

    /// An editable version may go only if it is the latest, so that numbers stay 1..N; the
    /// key's lock keeps a new version from appearing meanwhile.
    unsafe fn delete_latest_draft(&self) -> Result<(), Error> {
        let state = self.state;
        let old = self.old;
        let key_hash = state.key.lock_hash(&old.values, &old.nulls);
        crate::locks::lock_key(state.storage, key_hash);
        let latest = crate::lookup::read(
            state,
            self.call.relation(),
            &old.values,
            &old.nulls,
            None,
            key_hash,
        )
        .latest
        .map(|l| l.version);
        if latest != Some(self.version) {
            return Err(error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "cannot delete version {} of key {} in table {}: version {} is newer",
                    self.version,
                    self.key,
                    state.name,
                    latest.unwrap_or(0)
                ),
            )
            .detail("Only the latest version may be deleted, so versions stay numbered 1..N."));
        }
        audit::write(&audit::Entry {
            table: &state.name,
            key_json: self.key.get(),
            version: Some(self.version),
            action: "delete",
            from_state: self.old_state.as_deref(),
            ..Default::default()
        });
        Ok(())
    }
}
