//! Per-backend cache of what the trigger needs for one versioned table: the configuration
//! resolved to columns, prepared plans, and function handles. Built on first use, dropped when
//! the table's relcache entry is invalidated (enable/disable/ALTER TABLE in any session).
use crate::catalog::{self, Column};
use crate::config::{self, Dedup, TableConfig};
use crate::content::Content;
use crate::errors::{error, Code};
use crate::key::Key;
use crate::pg;
use crate::spi::KeptPlan;
use pgrx::pg_sys::{self, Oid};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The statements kept with a table's state, by what they are for. A key's SQL differs per
/// pattern of NULL key columns (`col = $n` vs `col IS NULL`, for the index to be used).
#[derive(PartialEq, Eq, Hash)]
pub enum PlanKey {
    /// the latest version of a key and a duplicate (the SPI lookup strategy), per NULL pattern
    Lookup(u64),
    /// does (key, version = $v) exist (restore mode, SPI strategy), per NULL pattern
    Exists(u64),
    /// a soft delete's UPDATE
    SoftDelete,
    /// a read API statement, by its text (which differs per NULL pattern and filters, never
    /// per value)
    Read(String),
}

pub struct TableState {
    /// the versioned table (of a partition: the partitioned table at the top of its tree)
    pub relid: Oid,
    pub owner: Oid,
    pub name: String,
    /// the relation whose rows this state reads: the table itself, or the partition a trigger
    /// fired on (all versions of a key live in one partition: src/partitions.rs). Key locks,
    /// the key cache and index probes are per storage relation.
    pub storage: Oid,
    /// its qualified name
    pub storage_name: String,
    pub config: TableConfig,
    pub key: Key,
    pub version: Column,
    pub hash: Option<Column>,
    pub parent: Option<Column>,
    pub primary_key: Option<Column>,
    pub content: Content,
    /// columns a frozen version may still change
    pub mutable: Vec<bool>,
    /// the lifecycle; None: every version is frozen once inserted
    pub lifecycle: Option<crate::lifecycle::Rules>,
    /// soft-delete column: DELETE sets it instead of removing the row
    pub deleted: Option<Column>,
    /// semantic version columns: change type, major, minor, patch
    pub semver: Option<[Column; 4]>,
    /// content checked against its kind's JSON Schema (kind_column)
    pub kinds: Option<crate::kinds::KindCheck>,
    /// carry-forward rules whose parent is this table
    pub carry: Vec<crate::carry_forward::Carry>,
    /// current-version pointers of this table's keys
    pub current: Vec<crate::current::Pointer>,
    pub natts: usize,
    /// direct index probes; None when the indexes enable() creates are missing (SPI is used)
    pub probes: Option<crate::probe::Probes>,
    /// no BEFORE INSERT trigger fires after ours (it could drop a row we numbered), so the
    /// per-transaction key cache may be used (src/key_cache.rs)
    no_later_insert_trigger: bool,
    plans: RefCell<HashMap<PlanKey, Rc<KeptPlan>>>,
    mcx: pg_sys::MemoryContext,
}

impl Drop for TableState {
    fn drop(&mut self) {
        self.plans.borrow_mut().clear();
        unsafe { pg_sys::MemoryContextDelete(self.mcx) };
    }
}

thread_local! {
    static CACHE: RefCell<HashMap<Oid, Rc<TableState>>> = RefCell::new(HashMap::new());
}

/// Forgets the state of `relid` (InvalidOid: of every table; of a partitioned table: of its
/// partitions too), and of the tables whose carry-forward or current-pointer statements name
/// its columns. A state someone still holds stays alive (Rc).
pub fn forget(relid: Oid) {
    let dropped: Vec<Rc<TableState>> = CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if relid == Oid::INVALID {
            c.drain().map(|(_, v)| v).collect()
        } else {
            let stale: Vec<Oid> = c
                .iter()
                .filter(|(k, s)| {
                    **k == relid
                        || s.relid == relid
                        || s.carry.iter().any(|r| r.depends_on(relid))
                        || s.current.iter().any(|p| p.depends_on(relid))
                })
                .map(|(k, _)| *k)
                .collect();
            stale.iter().filter_map(|k| c.remove(k)).collect()
        }
    });
    drop(dropped);
}

/// The state of a versioned table, from the cache or built now.
pub fn get(rel: pg_sys::Relation) -> Rc<TableState> {
    try_get(rel).unwrap_or_else(|| {
        let name = pg::qualified_name(unsafe { (*rel).rd_id });
        error(Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, format!("table {name} has versioning triggers but no configuration"))
            .detail("versioning.tables has no row for this name; the table may have been renamed or moved to another schema.")
            .hint(format!("Call versioning.enable('{name}', …) again, or versioning.disable('{name}')."))
            .raise()
    })
}

/// Like `get`, but None when the table has no configuration (yet).
pub fn try_get(rel: pg_sys::Relation) -> Option<Rc<TableState>> {
    let relid = unsafe { (*rel).rd_id };
    if let Some(s) = CACHE.with(|c| c.borrow().get(&relid).cloned()) {
        return Some(s);
    }
    let state = Rc::new(unsafe { build(rel, crate::partitions::root_of(relid))? });
    CACHE.with(|c| c.borrow_mut().insert(relid, state.clone()));
    Some(state)
}

/// The state of `rel` as a partition of the versioned table `root`, which it is about to
/// become (ATTACH PARTITION adopts its rows first); not cached.
pub fn as_partition_of(rel: pg_sys::Relation, root: Oid) -> Option<Rc<TableState>> {
    unsafe { build(rel, root) }.map(Rc::new)
}

/// # Safety
/// `rel` is an open relation.
unsafe fn build(rel: pg_sys::Relation, relid: Oid) -> Option<TableState> {
    let storage = (*rel).rd_id;
    let name = pg::qualified_name(relid);
    let config = config::load(&name)?;
    let columns = catalog::columns(rel);
    let col = |n: &str| configured_column(&name, &columns, n);
    let mcx = pg_sys::AllocSetContextCreateExtended(
        pg_sys::CacheMemoryContext,
        c"pg_versioning table state".as_ptr(),
        pg_sys::ALLOCSET_SMALL_MINSIZE as usize,
        pg_sys::ALLOCSET_SMALL_INITSIZE as usize,
        pg_sys::ALLOCSET_SMALL_MAXSIZE as usize,
    );
    let natts = (*(*rel).rd_att).natts as usize;
    let mut mutable = vec![false; natts];
    for m in &config.mutable {
        mutable[col(m).index] = true;
    }
    let version = col(&config.version_column);
    let hash = config.hash_column.as_deref().map(col);
    Some(TableState {
        probes: probes(rel, &config, &col, &version, hash.as_ref()),
        kinds: config
            .kind_column
            .as_deref()
            .map(|k| crate::kinds::KindCheck {
                kind: col(k),
                document: col(&config.content[0]),
                require: config.require_schema,
            }),
        lifecycle: config
            .lifecycle
            .clone()
            .map(|l| crate::lifecycle::Rules::new(l, col)),
        deleted: config.deleted_column.as_deref().map(col),
        semver: config
            .semver
            .as_ref()
            .map(|v| [&v.change_type, &v.major, &v.minor, &v.patch].map(|c| col(c))),
        carry: crate::carry_forward::rules_of(&name),
        current: crate::current::rules_of(&name),
        relid,
        no_later_insert_trigger: !has_later_insert_trigger(rel),
        owner: pg::relation_owner(relid),
        storage,
        storage_name: pg::qualified_name(storage),
        version,
        hash,
        parent: config.parent_column.as_deref().map(col),
        primary_key: (config.primary_key.len() == 1).then(|| col(&config.primary_key[0])),
        content: Content::new(
            config
                .content
                .iter()
                .map(|c| Column {
                    name: config.hashed_name(c).to_string(),
                    ..col(c)
                })
                .collect(),
            mcx,
        ),
        key: Key::new(storage, config.key.iter().map(|k| col(k)).collect(), mcx),
        mutable,
        natts,
        name,
        config,
        plans: RefCell::new(HashMap::new()),
        mcx,
    })
}

/// A column the configuration names, or 42703 when a migration dropped it.
fn configured_column(table: &str, columns: &[Column], name: &str) -> Column {
    catalog::find(columns, name).cloned().unwrap_or_else(|| {
        error(
            Code::ERRCODE_UNDEFINED_COLUMN,
            format!(
                "column \"{name}\" configured for versioning no longer exists in table {table}"
            ),
        )
        .hint(format!(
            "Call versioning.enable('{table}', …) again with the table's current columns."
        ))
        .raise()
    })
}

/// The direct index probes, when the indexes `enable` creates are there (else the lookups use
/// SQL): (key…, version), and (key…, hash) where dedup 'any' needs it. A partitioned table has
/// none of its own (its partitions' states have them).
unsafe fn probes(
    rel: pg_sys::Relation,
    config: &TableConfig,
    col: &dyn Fn(&str) -> Column,
    version: &Column,
    hash: Option<&Column>,
) -> Option<crate::probe::Probes> {
    if crate::partitions::is_partitioned((*rel).rd_id) {
        return None;
    }
    let key: Vec<usize> = config.key.iter().map(|k| col(k).index).collect();
    let probes =
        crate::probe::IndexProbe::find(rel, &key, version.index).map(|v| crate::probe::Probes {
            version: v,
            hash: hash.and_then(|h| crate::probe::IndexProbe::find(rel, &key, h.index)),
        });
    probes.filter(|p| p.hash.is_some() || config.dedup != Dedup::Any)
}

/// Whether an enabled BEFORE INSERT row trigger fires after ours (triggers fire in name order).
unsafe fn has_later_insert_trigger(rel: pg_sys::Relation) -> bool {
    let desc = (*rel).trigdesc;
    if desc.is_null() {
        return false;
    }
    let ours = crate::extension::INSERT_TRIGGER.as_bytes();
    let wanted = (pg_sys::TRIGGER_TYPE_ROW
        | pg_sys::TRIGGER_TYPE_BEFORE
        | pg_sys::TRIGGER_TYPE_INSERT) as i16;
    (0..(*desc).numtriggers as usize).any(|i| {
        let t = &*(*desc).triggers.add(i);
        let name = std::ffi::CStr::from_ptr(t.tgname).to_bytes();
        t.tgtype & wanted == wanted
            && t.tgenabled != pg_sys::TRIGGER_DISABLED as std::os::raw::c_char
            && name > ours
    })
}

impl TableState {
    /// The table as a current-version pointer's statement reads it.
    pub fn versioned(&self) -> crate::current::Versioned<'_> {
        crate::current::Versioned {
            name: &self.name,
            key: self.key.iter().map(|k| &k.column).collect(),
            version: &self.version,
            deleted: self.deleted.as_ref(),
            status: self.lifecycle.as_ref().map(|l| &l.status),
        }
    }

    /// Whether inserts may use the per-transaction key cache.
    pub fn cacheable(&self) -> bool {
        self.no_later_insert_trigger && self.index_probes().is_some() && crate::key_cache::usable()
    }

    /// The direct index probes, unless they are missing or `versioning.lookup_method = spi`.
    pub fn index_probes(&self) -> Option<&crate::probe::Probes> {
        use crate::guc::{LookupMethod, LOOKUP_METHOD};
        self.probes
            .as_ref()
            .filter(|_| LOOKUP_METHOD.get() == LookupMethod::Index)
    }

    /// The statement `key` names, prepared on first use from `sql()` (its text and parameter
    /// types) and kept with the table's state; requires an open SPI session.
    pub fn plan(&self, key: PlanKey, sql: impl FnOnce() -> (String, Vec<Oid>)) -> Rc<KeptPlan> {
        if let Some(p) = self.plans.borrow().get(&key) {
            return p.clone();
        }
        let (text, types) = sql();
        let plan = Rc::new(KeptPlan::prepare(&text, &types));
        self.plans.borrow_mut().insert(key, plan.clone());
        plan
    }
}
