//! What a SQL function tells the triggers about the statement it runs on a versioned table
//! (and what an insert tells back): per-backend flags, set by guards that reset them when
//! dropped, also when an error unwinds.
use pgrx::pg_sys::Oid;
use std::cell::Cell;

thread_local! {
    /// set while versioning.purge deletes versions: DELETE removes them whatever their state
    static PURGING: Cell<bool> = const { Cell::new(false) };
    /// set while a soft delete writes the deleted column
    static SOFT_DELETING: Cell<bool> = const { Cell::new(false) };
    /// the version versioning.revert is copying, while it inserts the copy
    static REVERTING_TO: Cell<Option<i64>> = const { Cell::new(None) };
    /// the version an insert was skipped as a duplicate of (read by versioning.put)
    static SKIPPED: Cell<Option<(Oid, i64)>> = const { Cell::new(None) };
}

/// Sets `flag` to `value` until the returned guard is dropped.
fn set<T: Copy + Default + 'static>(
    flag: &'static std::thread::LocalKey<Cell<T>>,
    value: T,
) -> impl Drop {
    struct Reset<T: Copy + Default + 'static>(&'static std::thread::LocalKey<Cell<T>>);
    impl<T: Copy + Default + 'static> Drop for Reset<T> {
        fn drop(&mut self) {
            self.0.with(|f| f.set(T::default()));
        }
    }
    flag.with(|f| f.set(value));
    Reset(flag)
}

/// While the returned guard lives, DELETE removes versions whatever their state.
pub fn purging() -> impl Drop {
    set(&PURGING, true)
}

pub fn is_purging() -> bool {
    PURGING.with(|f| f.get())
}

/// While the returned guard lives, the UPDATE running is a soft delete's.
pub fn soft_deleting() -> impl Drop {
    set(&SOFT_DELETING, true)
}

pub fn is_soft_deleting() -> bool {
    SOFT_DELETING.with(|f| f.get())
}

/// While the returned guard lives, inserts are reverts to `version`: they skip dedup (an old
/// content is inserted again on purpose) and their log record says which version they copy.
pub fn reverting_to(version: i64) -> impl Drop {
    set(&REVERTING_TO, Some(version))
}

pub fn reverted_version() -> Option<i64> {
    REVERTING_TO.with(|r| r.get())
}

/// Records that an insert into `relid` was skipped as a duplicate of `version`.
pub fn skipped(relid: Oid, version: i64) {
    SKIPPED.with(|c| c.set(Some((relid, version))));
}

/// Takes the version the last skipped insert into `relid` duplicated, if any.
pub fn take_skipped(relid: Oid) -> Option<i64> {
    SKIPPED
        .with(|c| c.take())
        .filter(|(r, _)| *r == relid)
        .map(|(_, v)| v)
}
