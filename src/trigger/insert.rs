//! The INSERT path (SPEC section 3), per row:
//! hash the content → lock the key → read the key's latest version (and a duplicate) →
//! skip or refuse a duplicate → assign version and parent → log the creation.
use super::{Call, Row};
use crate::config::{Dedup, OnDuplicate};
use crate::content;
use crate::errors::{error, Code};
use crate::guc;
use crate::pg;
use crate::spi::{self, Snapshot};
use crate::table_state::{self, KeyPlans, TableState};
use pgrx::pg_sys::{self, Datum};

/// What the lookup found about the key's latest version.
struct Latest {
    version: i64,
    /// the latest version's hash equals the new row's (dedup 'latest')
    same_hash: bool,
    /// primary key of the latest version (parent_column)
    primary_key: Option<Datum>,
    /// a version with the same hash (dedup 'any')
    duplicate: Option<i64>,
}

pub unsafe fn on_insert(call: &Call) -> Datum {
    let rel = call.relation();
    let state = table_state::get(rel);
    let tuple = (*call.data).tg_trigtuple;
    let row = Row::deform(tuple, (*rel).rd_att);
    let hash = state.content.hash(&row.values, &row.nulls);
    let hash_datum = state.hash.as_ref().map(|h| match h.typid {
        pg_sys::BYTEAOID => pg::bytea_datum(&hash),
        _ => pg::text_datum(&content::hex(&hash)),
    });
    if let Some(h) = &state.hash {
        if let Some(supplied) = row.get(h.index) {
            check_supplied_hash(&state, &row, h.typid, supplied, &hash);
        }
    }
    let restore = guc::RESTORE.get();
    if restore && !pg::current_user_owns(state.relid) {
        error(Code::ERRCODE_INSUFFICIENT_PRIVILEGE, format!("versioning.restore is on, but only the owner of table {} may restore versions", state.name))
            .hint("SET versioning.restore = off, or run the load as the table's owner.")
            .raise();
    }

    // Everyone inserting this key waits here until the holder's transaction ends, so the
    // lookup below sees every version that will ever precede ours.
    pg::lock_key(state.relid, state.key_hash(&row.values, &row.nulls));

    let null_mask = state.null_mask(&row.nulls);
    let mut args = state.key_args(&row.values, &row.nulls);
    let _spi = spi::Session::connect();
    let plans = state.plans(null_mask);
    let supplied_version = row.get(state.version.index).map(|d| pg::int_from_datum(d, state.version.typid));

    let version = if restore && supplied_version.is_some() {
        let v = supplied_version.unwrap_or_default();
        refuse_existing_version(&state, &plans, null_mask, &args, &row, v);
        v
    } else {
        args.push(hash_datum);
        let latest = pg::as_user(state.owner, || lookup(&state, &plans, &args, Snapshot::Latest));
        if pg::uses_transaction_snapshot() {
            refuse_concurrent_version(&state, &plans, &args, &row, latest.as_ref().map(|l| l.version));
        }
        let next = latest.as_ref().map_or(1, |l| l.version + 1);
        if !restore {
            if let Some(existing) = duplicate_of(&state, latest.as_ref()) {
                match state.config.on_duplicate {
                    OnDuplicate::Skip => return Datum::from(0), // like ON CONFLICT DO NOTHING
                    OnDuplicate::Error => refuse_duplicate(&state, &row, existing, &hash),
                }
            }
        }
        if state.config.check_version && !restore {
            if let Some(v) = supplied_version.filter(|&v| v != next) {
                error(
                    Code::ERRCODE_T_R_SERIALIZATION_FAILURE,
                    format!("version {v} of key {} in table {} is not the next version", state.key_json(&row.values, &row.nulls), state.name),
                )
                .detail(format!("expected version {v}, next is {next}"))
                .hint("Another writer created a version first: re-read the latest version and retry.")
                .raise();
            }
        }
        if let (Some(parent), false) = (&state.parent, restore) {
            return finish(&state, call, &row, next, hash_datum, Some((parent.index, latest.and_then(|l| l.primary_key))));
        }
        next
    };
    finish(&state, call, &row, version, hash_datum, None)
}

/// Writes version, hash and parent into the row, logs the creation, returns the new tuple.
unsafe fn finish(
    state: &TableState,
    call: &Call,
    row: &Row,
    version: i64,
    hash: Option<Datum>,
    parent: Option<(usize, Option<Datum>)>,
) -> Datum {
    let rel = call.relation();
    let n = state.natts;
    let mut values = vec![Datum::from(0); n];
    let mut nulls = vec![false; n];
    let mut replace = vec![false; n];
    values[state.version.index] = pg::int_datum(version, state.version.typid);
    replace[state.version.index] = true;
    if let (Some(h), Some(d)) = (&state.hash, hash) {
        values[h.index] = d;
        replace[h.index] = true;
    }
    if let Some((index, pk)) = parent {
        values[index] = pk.unwrap_or(Datum::from(0));
        nulls[index] = pk.is_none();
        replace[index] = true;
    }
    let tuple = pg_sys::heap_modify_tuple(
        (*call.data).tg_trigtuple,
        (*rel).rd_att,
        values.as_mut_ptr(),
        nulls.as_mut_ptr(),
        replace.as_mut_ptr(),
    );
    if state.config.audit && !guc::RESTORE.get() {
        let key = state.key_json(&row.values, &row.nulls);
        pg::as_user(table_state::extension_owner(), || {
            state.log_plan().execute(
                &[Some(pg::text_datum(&state.name)), Some(pg::text_datum(&key)), Some(Datum::from(version)), Some(pg::text_datum("create"))],
                Snapshot::Transaction,
                0,
            )
        });
    }
    Datum::from(tuple)
}

fn lookup(state: &TableState, plans: &KeyPlans, args: &[Option<Datum>], snapshot: Snapshot) -> Option<Latest> {
    if plans.lookup.execute(args, snapshot, 1) == 0 {
        return None;
    }
    let int = |d: Datum| pg::int_from_datum(d, state.version.typid);
    Some(Latest {
        version: int(spi::value(0, 1)?),
        same_hash: spi::value(0, 2).is_some_and(|d| d.value() != 0),
        primary_key: state
            .primary_key
            .as_ref()
            .and_then(|p| spi::value(0, 3).map(|d| spi::transfer(d, p.typbyval, p.typlen))),
        duplicate: spi::value(0, 4).map(int),
    })
}

fn duplicate_of(state: &TableState, latest: Option<&Latest>) -> Option<i64> {
    let latest = latest?;
    match state.config.dedup {
        Dedup::Any => latest.duplicate,
        Dedup::Latest => latest.same_hash.then_some(latest.version),
        Dedup::Off => None,
    }
}

/// Under REPEATABLE READ / SERIALIZABLE the transaction's snapshot must agree with what is
/// committed now: if another transaction gave the key a version this one cannot see, the
/// insert would be numbered against a state the transaction never read. PostgreSQL answers a
/// concurrently updated row the same way: 40001, retry the transaction.
fn refuse_concurrent_version(state: &TableState, plans: &KeyPlans, args: &[Option<Datum>], row: &Row, latest: Option<i64>) {
    let seen = pg::as_user(state.owner, || lookup(state, plans, args, Snapshot::Transaction)).map(|l| l.version);
    if seen != latest {
        let seen = seen.map_or("no version".to_string(), |v| format!("version {v}"));
        error(
            Code::ERRCODE_T_R_SERIALIZATION_FAILURE,
            format!(
                "could not serialize access: key {} of table {} got version {} in a concurrent transaction",
                state.key_json(&row.values, &row.nulls),
                state.name,
                latest.unwrap_or(0)
            ),
        )
        .detail(format!("This transaction's snapshot sees {seen} of the key."))
        .hint("Retry the transaction.")
        .raise();
    }
}

fn refuse_duplicate(state: &TableState, row: &Row, existing: i64, hash: &[u8; 32]) -> ! {
    error(
        Code::ERRCODE_UNIQUE_VIOLATION,
        format!("duplicate content for key {} in table {}", state.key_json(&row.values, &row.nulls), state.name),
    )
    .detail(format!("Version {existing} already has this content (hash {}).", content::hex(hash)))
    .hint("Change the content, or enable the table with on_duplicate => 'skip' to ignore duplicates.")
    .raise()
}

fn refuse_existing_version(state: &TableState, plans: &KeyPlans, null_mask: u64, args: &[Option<Datum>], row: &Row, version: i64) {
    let mut args = args.to_vec();
    args.push(Some(pg::int_datum(version, state.version.typid)));
    let exists = pg::as_user(state.owner, || state.exists_plan(plans, null_mask).execute(&args, Snapshot::Latest, 1) > 0);
    if exists {
        error(
            Code::ERRCODE_UNIQUE_VIOLATION,
            format!("version {version} of key {} already exists in table {}", state.key_json(&row.values, &row.nulls), state.name),
        )
        .detail("versioning.restore keeps supplied versions but never stores a (key, version) twice.")
        .raise();
    }
}

unsafe fn check_supplied_hash(state: &TableState, row: &Row, typid: pg_sys::Oid, supplied: Datum, computed: &[u8; 32]) {
    let bytes = pg::varlena_bytes(supplied);
    let hex = content::hex(computed);
    let matches = match typid {
        pg_sys::BYTEAOID => bytes == computed,
        _ => bytes.eq_ignore_ascii_case(hex.as_bytes()),
    };
    if !matches {
        let shown = match typid {
            pg_sys::BYTEAOID => bytes.iter().map(|b| format!("{b:02x}")).collect(),
            _ => String::from_utf8_lossy(bytes).into_owned(),
        };
        error(
            Code::ERRCODE_DATA_EXCEPTION,
            format!("supplied content hash does not match the content for key {} in table {}", state.key_json(&row.values, &row.nulls), state.name),
        )
        .detail(format!("Supplied {shown}, computed {hex}."))
        .hint("Leave the hash column NULL: the extension computes it.")
        .raise();
    }
}
