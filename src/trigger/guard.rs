//! UPDATE and DELETE of versions (SPEC section 4).
//!
//! - Key and version columns never change.
//! - Without a lifecycle every version is frozen once inserted; with one, a version is
//!   editable while its state is editable and it has never left an editable state.
//! - A frozen version changes only its `mutable` columns and its status, along an allowed
//!   transition (whose stamps the extension writes).
//! - Editing a draft recomputes its hash. DELETE is a soft delete when `deleted_column` is set;
//!   otherwise only the latest version may be removed, and only while editable.
//!   `versioning.purge` is the way out for frozen versions.
use crate::flags;
use crate::row::{Call, Row};
use crate::audit;
use crate::content;
use crate::errors::{error, Code, Error};
use crate::lifecycle;
use crate::pg;
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
pub unsafe fn on_change(call: &Call) -> Result<Datum, Error> {
    let rel = call.relation();
    let state = table_state::get(rel);
    let desc = (*rel).rd_att;
    let old = Row::deform((*call.data).tg_trigtuple, desc);
    let version = old
        .get(state.version.index)
        .map_or(0, |d| pg::int_from_datum(d, state.version.typid));
    let key = LazyKey {
        state: &state,
        row: &old,
        json: std::cell::OnceCell::new(),
    };
    let old_state = state.lifecycle.as_ref().and_then(|l| l.state_of(&old));
    let editable = is_editable(&state, old_state.as_deref(), &key, version);
    // what this transaction cached about the table's keys may no longer hold
    crate::key_cache::forget_table(state.relid);

    if call.op() == pg_sys::TRIGGER_EVENT_DELETE {
        return on_delete(
            call,
            &state,
            &old,
            &key,
            version,
            editable,
            old_state.as_deref(),
        );
    }

    let new = Row::deform((*call.data).tg_newtuple, desc);
    let changed = |i: usize| match (old.get(i), new.get(i)) {
        (None, None) => false,
        (Some(a), Some(b)) => {
            let att = &*(*desc).attrs.as_ptr().add(i);
            !pg::same_value(a, b, att.attlen, att.attbyval)
        }
        _ => true,
    };
    let identity = state
        .key
        .iter()
        .map(|k| &k.column)
        .chain(std::iter::once(&state.version));
    for c in identity {
        if changed(c.index) {
            return Err(error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "cannot change column \"{}\" of version {version} of key {key} in table {}",
                    c.name, state.name
                ),
            )
            .detail("Key and version columns never change.")
            .hint("Insert a row with the new key instead."));
        }
    }

    let mut replace: Vec<(usize, Option<Datum>)> = Vec::new();
    let mut transition = None;
    if let Some(l) = &state.lifecycle {
        let new_state = l.state_of(&new);
        if new_state != old_state {
            let from = old_state.clone().unwrap_or_default();
            let to = new_state.clone().unwrap_or_default();
            if !l.rules.allows(&from, &to) {
                let allowed = l
                    .rules
                    .transitions
                    .get(&from)
                    .map(|t| t.join(", "))
                    .filter(|t| !t.is_empty());
                return Err(error(
                    Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                    format!("cannot move version {version} of key {key} in table {} from \"{from}\" to \"{to}\"", state.name),
                )
                .detail(match allowed {
                    Some(a) => format!("From \"{from}\" a version may move to: {a}."),
                    None => format!("No transition leaves \"{from}\"."),
                })
                .hint("Move versions only along the lifecycle's transitions; to change content, create a new version."));
            }
            replace.extend(l.stamp_values(&to, &state.name));
            transition = Some((from, to));
        }
    }

    if editable {
        // A draft: anything but key and version may change; its hash follows its content, its
        // semantic version its change type.
        replace.extend(crate::semantic_version::replacements(
            &state, rel, &new, version,
        ));
        if let Some(kinds) = &state.kinds {
            if changed(kinds.document.index) || changed(kinds.kind.index) {
                let checked = crate::kinds::Checked {
                    table: &state.name,
                    key: &state.key,
                    values: &new.values,
                    nulls: &new.nulls,
                    version: Some(version),
                };
                crate::kinds::check(kinds, &checked);
            }
        }
        if let Some(h) = &state.hash {
            let hash = state.content.hash(&new.values, &new.nulls).map_err(|e| {
                e.error(&format!(
                    "version {version} of key {key} in table {}",
                    state.name
                ))
            })?;
            replace.push((
                h.index,
                hash.map(|x| match h.typid {
                    pg_sys::BYTEAOID => pg::bytea_datum(&x),
                    _ => pg::text_datum(&content::hex(&x)),
                }),
            ));
        }
    } else {
        let soft_deleting = flags::is_soft_deleting();
        let may_change = |i: usize| {
            state.mutable[i]
                || (transition.is_some()
                    && state
                        .lifecycle
                        .as_ref()
                        .is_some_and(|l| l.status.index == i))
                || replace.iter().any(|(r, _)| *r == i)
                || (soft_deleting && state.deleted.as_ref().is_some_and(|d| d.index == i))
        };
        for i in 0..state.natts {
            let att = &*(*desc).attrs.as_ptr().add(i);
            if !att.attisdropped && !may_change(i) && changed(i) {
                let name = std::ffi::CStr::from_ptr(att.attname.data.as_ptr()).to_string_lossy();
                let in_state = old_state
                    .as_deref()
                    .map(|s| format!(" (state \"{s}\")"))
                    .unwrap_or_default();
                return Err(error(
                    Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                    format!("version {version} of key {key} in table {} is frozen{in_state}", state.name),
                )
                .detail(if state.lifecycle.is_some() {
                    format!("Column \"{name}\" cannot change; only the mutable columns and the status of a frozen version may.")
                } else {
                    format!("Column \"{name}\" cannot change; only the mutable columns of a version may.")
                })
                .hint("create a new version instead"));
            }
        }
    }

    if let (Some((from, to)), Some(l)) = (&transition, &state.lifecycle) {
        if l.rules.can_reenter_editable() && l.rules.is_editable(from) && !l.rules.is_editable(to) {
            lifecycle::record_left_editable(&state.name, key.get(), version);
        }
        audit::write(&audit::Entry {
            table: &state.name,
            key_json: key.get(),
            version: Some(version),
            action: "transition",
            from_state: Some(from),
            to_state: Some(to),
            ..Default::default()
        });
    }
    Ok(crate::row::modified_tuple(
        (*call.data).tg_newtuple,
        desc,
        state.natts,
        &replace,
    ))
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

unsafe fn on_delete(
    call: &Call,
    state: &TableState,
    old: &Row,
    key: &LazyKey,
    version: i64,
    editable: bool,
    old_state: Option<&str>,
) -> Result<Datum, Error> {
    let tuple = (*call.data).tg_trigtuple;
    if flags::is_purging() {
        return Ok(Datum::from(tuple));
    }
    if let Some(d) = &state.deleted {
        // A DELETE fired from another trigger (a foreign key's ON DELETE CASCADE) must not turn
        // into a soft delete: the parent row would go while this version keeps pointing at it.
        let depth = pgrx::direct_function_call::<i32>(pg_sys::pg_trigger_depth, &[]).unwrap_or(0);
        if depth > 1 {
            return Err(error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("cannot delete version {version} of key {key} in table {} as part of a cascade", state.name),
            )
            .detail("Deleting from this table is a soft delete: the version would stay and point at a removed row.")
            .hint("Delete the versions explicitly first, or use ON DELETE RESTRICT for references to the soft-delete table."));
        }
        // Soft delete: set the column (once), remove nothing.
        if old.get(d.index).is_none() {
            let _flag = flags::soft_deleting();
            let _session = crate::spi::Session::connect();
            let soft_delete = state.plan(PlanKey::SoftDelete, || {
                let sql = format!(
                    "UPDATE {} SET {} = pg_catalog.now() WHERE ctid OPERATOR(pg_catalog.=) $1",
                    state.name,
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
                key_json: key.get(),
                version: Some(version),
                action: "soft_delete",
                from_state: old_state,
                ..Default::default()
            });
        }
        return Ok(Datum::from(0));
    }
    if !editable {
        let in_state = old_state
            .map(|s| format!(" (state \"{s}\")"))
            .unwrap_or_default();
        return Err(error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "cannot delete version {version} of key {key} in table {}: it is frozen{in_state}",
                state.name
            ),
        )
        .detail("Versions are kept once frozen; only the latest version may be deleted, and only while editable.")
        .hint(
            "Frozen versions are kept; versioning.purge() removes them where the law requires it.",
        ));
    }
    // An editable version may go only if it is the latest: numbers stay 1..N. Lock the key
    // so no new version appears meanwhile.
    let key_hash = state.key.lock_hash(&old.values, &old.nulls);
    crate::locks::lock_key(state.relid, key_hash);
    let latest = crate::lookup::read(
        state,
        call.relation(),
        &old.values,
        &old.nulls,
        None,
        key_hash,
    )
    .latest
    .map(|l| l.version);
    if latest != Some(version) {
        return Err(error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "cannot delete version {version} of key {key} in table {}: version {} is newer",
                state.name,
                latest.unwrap_or(0)
            ),
        )
        .detail("Only the latest version may be deleted, so versions stay numbered 1..N."));
    }
    audit::write(&audit::Entry {
        table: &state.name,
        key_json: key.get(),
        version: Some(version),
        action: "delete",
        from_state: old_state,
        ..Default::default()
    });
    Ok(Datum::from(tuple))
}
