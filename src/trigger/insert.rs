//! The INSERT path (docs/versioning.md, "What an INSERT does"), per row:
//! hash the content → lock the key → read the key's latest version (and a duplicate) →
//! skip or refuse a duplicate → assign version and parent → log the creation.
use crate::audit;
use crate::config::{Dedup, OnDuplicate};
use crate::content;
use crate::errors::{error, Code, Error};
use crate::flags;
use crate::guc;
use crate::key_cache::{self, Known};
use crate::lookup::{self, KeyState, Latest};
use crate::pg;
use crate::row::{Call, Row};
use crate::table_state::{self, TableState};
use pgrx::pg_sys::{self, Datum};

/// Refusals come back as `Err`, raised by the trigger's entry point (see `guard::on_change`).
///
/// # Safety
/// `call` is a checked BEFORE INSERT FOR EACH ROW call.
pub unsafe fn on_insert(call: &Call) -> Result<Datum, Error> {
    let rel = call.relation();
    let restore = guc::RESTORE.get();
    if restore {
        restore_allowed(rel)?;
    }
    let state = if restore {
        // pg_restore --data-only may load a table before versioning.tables: until its
        // configuration arrives, restored rows are kept exactly as supplied (the unique
        // (key, version) index still refuses a repeated version).
        match table_state::try_get(rel) {
            Some(s) => s,
            None => return Ok(Datum::from((*call.data).tg_trigtuple)),
        }
    } else {
        table_state::get(rel)
    };
    let mut row = Row::deform((*call.data).tg_trigtuple, (*rel).rd_att);
    let supplied_version = row
        .get(state.version.index)
        .map(|d| pg::int_from_datum(d, state.version.typid));
    let hash = checked_hash(&state, &mut row, restore)?;

    // Everyone inserting this key waits here until the holder's transaction ends, so the
    // lookup below sees every version that will ever precede ours.
    let key_hash = state.key.lock_hash(&row.values, &row.nulls);
    crate::locks::lock_key(state.storage, key_hash);

    // versioning.restore: keep the supplied version (verified hash, no dedup), never twice.
    if let (true, Some(v)) = (restore, supplied_version) {
        return restore_version(&state, call, &row, v);
    }
    if restore {
        key_cache::forget_table(state.storage);
    }
    let mut knowledge = Knowledge::of(&state, rel, &row, hash.as_ref(), key_hash);
    let found = &knowledge.found;
    if let Some(latest) = found.latest.as_ref().filter(|l| !l.visible_to_transaction) {
        // REPEATABLE READ / SERIALIZABLE: another transaction gave the key a version this
        // transaction's snapshot cannot see. Numbering against it would act on a state the
        // transaction never read; PostgreSQL answers a concurrently updated row the same way.
        return Err(error(
            Code::ERRCODE_T_R_SERIALIZATION_FAILURE,
            format!("could not serialize access: key {} of table {} got version {} in a concurrent transaction", state.key.json(&row.values, &row.nulls), state.name, latest.version),
        )
        .detail("The version was committed after this transaction's snapshot was taken.")
        .hint("Retry the transaction."));
    }
    let next = match found.latest.as_ref() {
        None => 1,
        Some(l) => next_version(&state, &row, l.version)?,
    };
    if !restore && flags::reverted_version().is_none() {
        if let Some(existing) = duplicate_of(&state, found, hash.as_ref()) {
            return skip_duplicate(&state, &row, existing, hash.as_ref(), knowledge);
        }
        check_supplied_version(&state, &row, supplied_version, next)?;
    }
    let parent = (!restore).then(|| found.latest.as_ref().and_then(|l| l.primary_key));
    let tuple = finish(
        &state,
        call,
        &row,
        next,
        parent,
        knowledge.known.as_mut(),
        restore,
    )?;
    lookup::hint_version(state.storage, key_hash, next);
    knowledge.remember_new(&state, &row, next, hash);
    Ok(tuple)
}

/// Restore mode keeps supplied versions and hashes, which only the owner may write — checked
/// first, also for a table whose configuration cannot be found.
unsafe fn restore_allowed(rel: pg_sys::Relation) -> Result<(), Error> {
    if pg::current_user_owns((*rel).rd_id) {
        return Ok(());
    }
    Err(error(
        Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
        format!(
            "versioning.restore is on, but only the owner of table {} may restore versions",
            pg::qualified_name((*rel).rd_id)
        ),
    )
    .hint("SET versioning.restore = off, or run the load as the table's owner."))
}

/// Checks the row's document against its kind's schema (not for restored rows: they were
/// checked when first written, and today's schema may no longer accept them), computes the
/// content hash, refuses a supplied hash that differs, and writes the hash into the row (the
/// dedup probe uses it). The check and the hash read the document from one detoasted copy;
/// the row keeps the value as it came, compressed or not.
unsafe fn checked_hash(
    state: &TableState,
    row: &mut Row,
    restore: bool,
) -> Result<Option<[u8; 32]>, Error> {
    let mut detoasted = None;
    if let Some(kinds) = state.kinds.as_ref().filter(|_| !restore) {
        let mut values = row.values.clone();
        if !row.nulls[kinds.document.index] {
            let d = &mut values[kinds.document.index];
            *d = Datum::from(pg_sys::pg_detoast_datum_packed(d.cast_mut_ptr()));
        }
        let checked = crate::kinds::Checked {
            table: &state.name,
            key: &state.key,
            values: &values,
            nulls: &row.nulls,
            version: None,
        };
        crate::kinds::check(kinds, &checked);
        detoasted = Some(values);
    }
    let key = |row: &Row| state.key.json(&row.values, &row.nulls);
    let hash = state
        .content
        .hash(detoasted.as_deref().unwrap_or(&row.values), &row.nulls)
        .map_err(|e| {
            e.error(&format!(
                "a new version of key {} in table {}",
                key(row),
                state.name
            ))
        })?;
    if let Some(h) = &state.hash {
        if let Some(supplied) = row.get(h.index) {
            check_supplied_hash(state, &key(row), h.typid, supplied, hash.as_ref())?;
        }
        row.nulls[h.index] = hash.is_none();
        row.values[h.index] = hash.map_or(Datum::from(0), |x| content::hash_datum(&x, h.typid));
    }
    Ok(hash)
}

/// Restore mode with a supplied version: kept as it is, unless the key already has it.
unsafe fn restore_version(
    state: &TableState,
    call: &Call,
    row: &Row,
    v: i64,
) -> Result<Datum, Error> {
    key_cache::forget_table(state.storage);
    if lookup::version_exists(state, call.relation(), &row.values, &row.nulls, v) {
        return Err(error(
            Code::ERRCODE_UNIQUE_VIOLATION,
            format!(
                "version {v} of key {} already exists in table {}",
                state.key.json(&row.values, &row.nulls),
                state.name
            ),
        )
        .detail(
            "versioning.restore keeps supplied versions but never stores a (key, version) twice.",
        ));
    }
    finish(state, call, row, v, None, None, true)
}

/// What is known about the row's key: from this transaction's cache (`known`), or read from
/// the indexes — and then, where the cache may be used, remembered for the next row.
struct Knowledge {
    found: KeyState,
    known: Option<Known>,
    /// the key as the cache stores it; empty when the cache is not used
    key_bytes: Vec<u8>,
    key_hash: u32,
}

impl Knowledge {
    fn of(
        state: &TableState,
        rel: pg_sys::Relation,
        row: &Row,
        hash: Option<&[u8; 32]>,
        key_hash: u32,
    ) -> Knowledge {
        let cached = state.cacheable();
        let key_bytes = if cached {
            state.key.bytes(&row.values, &row.nulls)
        } else {
            Vec::new()
        };
        let mut known = if cached {
            key_cache::take(state.storage, key_hash, &key_bytes)
        } else {
            None
        };
        let found = match known.as_mut() {
            Some(k) => known_state(state, rel, row, hash, k),
            None => {
                let found = lookup::read(state, rel, &row.values, &row.nulls, hash, key_hash);
                if cached {
                    known = Some(Known::from_read(state, &found));
                }
                found
            }
        };
        Knowledge {
            found,
            known,
            key_bytes,
            key_hash,
        }
    }

    /// The key's new latest version is `version` (the row just numbered): into the cache.
    fn remember_new(self, state: &TableState, row: &Row, version: i64, hash: Option<[u8; 32]>) {
        let Some(mut k) = self.known else { return };
        let pk = state.primary_key.as_ref().and_then(|p| {
            row.get(p.index)
                .map(|d| key_cache::keep(d, p.typbyval, p.typlen))
        });
        k.latest = Some((version, hash, pk));
        if let (Some(set), Some(h)) = (k.hashes.as_mut(), hash) {
            set.insert(key_cache::prefix(&h));
        }
        key_cache::put(state.storage, self.key_hash, self.key_bytes, k);
    }

    /// Nothing new about the key (the row was skipped): what was learned stays cached.
    fn remember(self, state: &TableState) {
        if let Some(k) = self.known {
            key_cache::put(state.storage, self.key_hash, self.key_bytes, k);
        }
    }
}

impl Known {
    /// What a read of the key tells the cache.
    fn from_read(state: &TableState, found: &KeyState) -> Known {
        let keep = |pk: Datum| {
            state
                .primary_key
                .as_ref()
                .map(|p| key_cache::keep(pk, p.typbyval, p.typlen))
        };
        Known {
            latest: found
                .latest
                .as_ref()
                .map(|l| (l.version, l.hash, l.primary_key.and_then(keep))),
            // a key without versions has no hashes; otherwise read them when needed
            hashes: found.latest.is_none().then(Default::default),
            logged_key: None,
        }
    }
}

/// A duplicate of version `existing`: dropped like `ON CONFLICT DO NOTHING`, or 23505.
fn skip_duplicate(
    state: &TableState,
    row: &Row,
    existing: i64,
    hash: Option<&[u8; 32]>,
    knowledge: Knowledge,
) -> Result<Datum, Error> {
    match state.config.on_duplicate {
        OnDuplicate::Skip => {
            flags::skipped(state.relid, existing);
            knowledge.remember(state);
            Ok(Datum::from(0))
        }
        OnDuplicate::Error => Err(error(Code::ERRCODE_UNIQUE_VIOLATION, format!("duplicate content for key {} in table {}", state.key.json(&row.values, &row.nulls), state.name))
            .detail(format!("Version {existing} already has this content (hash {}).", hash.map(|h| content::hex(h)).unwrap_or_default()))
            .hint("Change the content, or enable the table with on_duplicate => 'skip' to ignore duplicates.")),
    }
}

/// `check_version`: a supplied version must be the next one (optimistic concurrency).
fn check_supplied_version(
    state: &TableState,
    row: &Row,
    supplied: Option<i64>,
    next: i64,
) -> Result<(), Error> {
    let Some(v) = supplied.filter(|&v| state.config.check_version && v != next) else {
        return Ok(());
    };
    Err(error(
        Code::ERRCODE_T_R_SERIALIZATION_FAILURE,
        format!(
            "version {v} of key {} in table {} is not the next version",
            state.key.json(&row.values, &row.nulls),
            state.name
        ),
    )
    .detail(format!("expected version {v}, next is {next}"))
    .hint("Another writer created a version first: re-read the latest version and retry."))
}

/// The version after `latest`, or 22003 when the version column's type cannot hold it (never a
/// wrapped number, which the unique index would then refuse with a bare 23505).
fn next_version(state: &TableState, row: &Row, latest: i64) -> Result<i64, Error> {
    let max = pg::int_max(state.version.typid);
    latest.checked_add(1).filter(|&n| n <= max).ok_or_else(|| {
        // the key's JSON only for the message: every row would pay for it otherwise
        let key = state.key.json(&row.values, &row.nulls);
        error(
            Code::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
            format!(
                "key {key} of table {} has version {latest}, the highest its version column \"{}\" ({}) can hold",
                state.name,
                state.version.name,
                state.version.type_name()
            ),
        )
        .hint(format!(
            "Widen the column: ALTER TABLE {} ALTER COLUMN {} TYPE bigint.",
            state.name,
            pg::quote_ident(&state.version.name)
        ))
    })
}

/// Histories up to this many versions are read whole into the cache when a transaction
/// inserts a second version of the key; longer ones are probed per row.
const CACHED_HISTORY: usize = 64;

/// The key's state from the cache: the latest version is known; a duplicate is ruled out by
/// the cached hash prefixes (read once for short histories) or probed.
fn known_state(
    state: &TableState,
    heap: pg_sys::Relation,
    row: &Row,
    hash: Option<&[u8; 32]>,
    k: &mut Known,
) -> KeyState {
    let latest = k.latest.map(|(version, hash, primary_key)| Latest {
        version,
        hash,
        primary_key,
        visible_to_transaction: true,
    });
    let mut duplicate = None;
    if let (Some(l), Some(h), Dedup::Any) = (&latest, hash, state.config.dedup) {
        if k.hashes.is_none() && l.version as usize <= CACHED_HISTORY {
            k.hashes = lookup::hashes(state, heap, &row.values, &row.nulls, CACHED_HISTORY);
        }
        duplicate = match &k.hashes {
            // a prefix the key has never had: no version has this content
            Some(set) if !set.contains(&key_cache::prefix(h)) => None,
            _ => lookup::duplicate(state, heap, &row.values, &row.nulls),
        };
    }
    KeyState { latest, duplicate }
}

fn duplicate_of(state: &TableState, found: &KeyState, hash: Option<&[u8; 32]>) -> Option<i64> {
    let latest = found.latest.as_ref()?;
    match state.config.dedup {
        Dedup::Any => found.duplicate,
        Dedup::Latest => (hash.is_some() && latest.hash.as_ref() == hash).then_some(latest.version),
        Dedup::Off => None,
    }
}

/// Writes version, hash, parent (when given), lifecycle state and stamps and semantic version
/// into the row, logs the creation, and returns the new tuple. Restore mode keeps the row's
/// own state, stamps and semantic version, and logs nothing.
unsafe fn finish(
    state: &TableState,
    call: &Call,
    row: &Row,
    version: i64,
    parent: Option<Option<Datum>>,
    known: Option<&mut Known>,
    restore: bool,
) -> Result<Datum, Error> {
    let rel = call.relation();
    // version, hash, parent, state and its stamps: room for the usual ones without growing
    let mut replace = Vec::with_capacity(8);
    replace.push((
        state.version.index,
        Some(pg::int_datum(version, state.version.typid)),
    ));
    if let Some(h) = &state.hash {
        replace.push((h.index, row.get(h.index)));
    }
    if let (Some(p), Some(pk)) = (&state.parent, parent) {
        replace.push((p.index, pk));
    }
    let entered = match (&state.lifecycle, restore) {
        (Some(l), false) => Some(initial_state(state, l, row, version, &mut replace)?),
        _ => None,
    };
    if !restore {
        replace.extend(crate::semantic_version::replacements(
            state, rel, row, version,
        ));
    }
    let tuple = row.formed((*call.data).tg_trigtuple, (*rel).rd_att, &replace);
    if state.config.audit && !restore {
        log_creation(state, row, version, known, entered.as_deref());
    }
    Ok(tuple)
}

/// The lifecycle at insert: a NULL status becomes the initial state, the state must be
/// insertable, and entering it fills its stamps (into `replace`). Returns the state.
fn initial_state(
    state: &TableState,
    l: &crate::lifecycle::Rules,
    row: &Row,
    version: i64,
    replace: &mut Vec<(usize, Option<Datum>)>,
) -> Result<String, Error> {
    let s = match l.state_of(row) {
        Some(s) if l.rules.is_insertable(&s) => s,
        Some(s) => {
            return Err(error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "cannot insert version {version} of key {} in table {} in state \"{s}\"",
                    state.key.json(&row.values, &row.nulls),
                    state.name
                ),
            )
            .detail(format!(
                "Versions may be inserted in: {}.",
                l.rules.insertable.join(", ")
            ))
            .hint(format!(
                "Insert it as \"{}\" and change its state afterwards.",
                l.rules.initial
            )))
        }
        None => {
            replace.push((l.status.index, Some(l.state_datum(&l.rules.initial))));
            l.rules.initial.clone()
        }
    };
    replace.extend(l.stamp_values(&s, &state.name));
    Ok(s)
}

/// The creation record in versioning.log (the key as logged kept in the transaction's cache,
/// where it is used, for the key's next rows).
fn log_creation(
    state: &TableState,
    row: &Row,
    version: i64,
    known: Option<&mut Known>,
    entered: Option<&str>,
) {
    // A key in the transaction's cache keeps its parsed jsonb for its next versions; a key of
    // a table the cache does not serve is parsed by the log write itself.
    let computed;
    let (key_json, key_jsonb) = match known {
        Some(k) => {
            let key = k.logged_key.get_or_insert_with(|| {
                audit::LoggedKey::new(state.key.json(&row.values, &row.nulls))
            });
            (key.json.as_str(), Some(key.jsonb.as_slice()))
        }
        None => {
            computed = state.key.json(&row.values, &row.nulls);
            (computed.as_str(), None)
        }
    };
    audit::write(&audit::Entry {
        table: &state.name,
        key_json,
        key_jsonb,
        version: Some(version),
        action: "create",
        to_state: entered,
        detail: flags::reverted_version().map(|v| format!("{{\"reverted_to\": {v}}}")),
        ..Default::default()
    });
}

unsafe fn check_supplied_hash(
    state: &TableState,
    key: &str,
    typid: pg_sys::Oid,
    supplied: Datum,
    computed: Option<&[u8; 32]>,
) -> Result<(), Error> {
    let bytes = pg::varlena_bytes(supplied);
    let hex = computed
        .map(|c| content::hex(c))
        .unwrap_or_else(|| "no hash (the content is NULL)".into());
    let matches = match (computed, typid) {
        (None, _) => false,
        (Some(c), pg_sys::BYTEAOID) => bytes == c,
        (Some(_), _) => bytes.eq_ignore_ascii_case(hex.as_bytes()),
    };
    if !matches {
        let shown = match typid {
            pg_sys::BYTEAOID => content::hex(bytes),
            _ => String::from_utf8_lossy(bytes).into_owned(),
        };
        return Err(error(
            Code::ERRCODE_DATA_EXCEPTION,
            format!(
                "supplied content hash does not match the content for key {key} in table {}",
                state.name
            ),
        )
        .detail(format!("Supplied {shown}, computed {hex}."))
        .hint("Leave the hash column NULL: the extension computes it."));
    }
    Ok(())
}
