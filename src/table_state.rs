//! Per-backend cache of what the trigger needs for one versioned table: the configuration
//! resolved to columns, prepared plans, and function handles. Built on first use, dropped when
//! the table's relcache entry is invalidated (enable/disable/ALTER TABLE in any session).
use crate::catalog::{self, Column};
use crate::config::{self, Dedup, TableConfig};
use crate::content::{Content, ToJsonb};
use crate::errors::{error, Code};
use crate::pg;
use crate::spi::KeptPlan;
use pgrx::pg_sys::{self, Datum, Oid};
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

pub struct KeyColumn {
    pub column: Column,
    /// the type's hash support function (typcache-owned), None when the type has none
    hash_proc: Option<*mut pg_sys::FmgrInfo>,
    pub to_jsonb: ToJsonb,
}

/// Plans for one pattern of NULL key columns (`col = $n` vs `col IS NULL` must differ in
/// the SQL text for the index to be used).
pub struct KeyPlans {
    /// latest version of the key: (version, its hash, primary key, version with hash $h)
    pub lookup: KeptPlan,
    /// does (key, version = $v) exist — restore mode only
    pub exists: OnceCell<KeptPlan>,
}

pub struct TableState {
    pub relid: Oid,
    pub owner: Oid,
    pub name: String,
    pub config: TableConfig,
    pub key: Vec<KeyColumn>,
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
    pub natts: usize,
    /// direct index probes; None when the indexes enable() creates are missing (SPI is used)
    pub probes: Option<crate::lookup::Probes>,
    /// no BEFORE INSERT trigger fires after ours (it could drop a row we numbered), so the
    /// per-transaction key cache may be used (src/key_cache.rs)
    no_later_insert_trigger: bool,
    plans: RefCell<HashMap<u64, Rc<KeyPlans>>>,
    /// the soft delete's UPDATE, prepared on first use
    soft_delete: OnceCell<KeptPlan>,
    /// the read API's statements (latest, get, history), kept by their SQL text
    read_plans: RefCell<HashMap<String, Rc<KeptPlan>>>,
    mcx: pg_sys::MemoryContext,
}

impl Drop for TableState {
    fn drop(&mut self) {
        self.plans.borrow_mut().clear();
        self.read_plans.borrow_mut().clear();
        unsafe { pg_sys::MemoryContextDelete(self.mcx) };
    }
}

thread_local! {
    static CACHE: RefCell<HashMap<Oid, Rc<TableState>>> = RefCell::new(HashMap::new());
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_relcache_invalidation(_arg: Datum, relid: Oid) {
    // Never drop a state inside the callback while someone holds it: Rc keeps it alive.
    crate::audit::forget_log_relid(relid);
    crate::kinds::forget(relid);
    if relid == Oid::INVALID {
        crate::key_cache::forget_all();
    } else {
        crate::key_cache::forget_table(relid);
    }
    let dropped: Vec<Rc<TableState>> = CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if relid == Oid::INVALID {
            c.drain().map(|(_, v)| v).collect()
        } else {
            // the table itself, and parents whose carry-forward statements name its columns
            let stale: Vec<Oid> = c
                .iter()
                .filter(|(k, s)| **k == relid || s.carry.iter().any(|r| r.depends_on(relid)))
                .map(|(k, _)| *k)
                .collect();
            stale.iter().filter_map(|k| c.remove(k)).collect()
        }
    });
    drop(dropped);
}

pub fn register_invalidation_callback() {
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(on_relcache_invalidation), Datum::from(0))
    };
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
    let state = Rc::new(unsafe { build(rel)? });
    CACHE.with(|c| c.borrow_mut().insert(relid, state.clone()));
    Some(state)
}

unsafe fn build(rel: pg_sys::Relation) -> Option<TableState> {
    let relid = (*rel).rd_id;
    let name = pg::qualified_name(relid);
    let config = config::load(&name)?;
    let columns = catalog::columns(rel);
    let col = |n: &str| {
        catalog::find(&columns, n).cloned().unwrap_or_else(|| {
            error(
                Code::ERRCODE_UNDEFINED_COLUMN,
                format!(
                    "column \"{n}\" configured for versioning no longer exists in table {name}"
                ),
            )
            .hint(format!(
                "Call versioning.enable('{name}', …) again with the table's current columns."
            ))
            .raise()
        })
    };
    let mcx = pg_sys::AllocSetContextCreateExtended(
        pg_sys::CacheMemoryContext,
        c"pg_versioning table state".as_ptr(),
        pg_sys::ALLOCSET_SMALL_MINSIZE as usize,
        pg_sys::ALLOCSET_SMALL_INITSIZE as usize,
        pg_sys::ALLOCSET_SMALL_MAXSIZE as usize,
    );
    let key = config
        .key
        .iter()
        .map(|k| {
            let column = col(k);
            let tce =
                pg_sys::lookup_type_cache(column.typid, pg_sys::TYPECACHE_HASH_PROC_FINFO as i32);
            let hash_proc =
                ((*tce).hash_proc != Oid::INVALID).then(|| &mut (*tce).hash_proc_finfo as *mut _);
            let to_jsonb = ToJsonb::new(&column, mcx);
            KeyColumn {
                column,
                hash_proc,
                to_jsonb,
            }
        })
        .collect();
    let natts = (*(*rel).rd_att).natts as usize;
    let mut mutable = vec![false; natts];
    for m in &config.mutable {
        mutable[col(m).index] = true;
    }
    let version = col(&config.version_column);
    let hash = config.hash_column.as_deref().map(col);
    let key_indexes: Vec<usize> = config.key.iter().map(|k| col(k).index).collect();
    let probes = crate::lookup::IndexProbe::find(rel, &key_indexes, version.index).map(|v| {
        crate::lookup::Probes {
            version: v,
            hash: hash
                .as_ref()
                .and_then(|h| crate::lookup::IndexProbe::find(rel, &key_indexes, h.index)),
        }
    });
    let probes = probes.filter(|p| p.hash.is_some() || config.dedup != Dedup::Any);
    let lifecycle = config
        .lifecycle
        .clone()
        .map(|l| crate::lifecycle::Rules::new(l, |c| col(c)));
    let deleted = config.deleted_column.as_deref().map(col);
    let semver = config.semver.as_ref().map(|v| {
        [
            col(&v.change_type),
            col(&v.major),
            col(&v.minor),
            col(&v.patch),
        ]
    });
    let kinds = config
        .kind_column
        .as_deref()
        .map(|k| crate::kinds::KindCheck {
            kind: col(k),
            document: col(&config.content[0]),
            require: config.require_schema,
        });
    Some(TableState {
        kinds,
        lifecycle,
        deleted,
        semver,
        carry: crate::carry_forward::rules_of(&name),
        relid,
        probes,
        no_later_insert_trigger: !has_later_insert_trigger(rel),
        owner: pg::relation_owner(relid),
        version,
        hash,
        parent: config.parent_column.as_deref().map(col),
        primary_key: (config.primary_key.len() == 1).then(|| col(&config.primary_key[0])),
        content: Content::new(config.content.iter().map(|c| col(c)).collect(), mcx),
        key,
        mutable,
        natts,
        name,
        config,
        plans: RefCell::new(HashMap::new()),
        soft_delete: OnceCell::new(),
        read_plans: RefCell::new(HashMap::new()),
        mcx,
    })
}

/// Whether an enabled BEFORE INSERT row trigger fires after ours (triggers fire in name order).
unsafe fn has_later_insert_trigger(rel: pg_sys::Relation) -> bool {
    let desc = (*rel).trigdesc;
    if desc.is_null() {
        return false;
    }
    let ours = crate::trigger::INSERT_TRIGGER.as_bytes();
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
    /// Whether inserts may use the per-transaction key cache.
    pub fn cacheable(&self) -> bool {
        self.no_later_insert_trigger
            && self.probes.is_some()
            && crate::guc::LOOKUP_METHOD.get() == crate::guc::LookupMethod::Index
            && crate::key_cache::usable()
    }

    /// The key's values as bytes (NULL flags included): equal bytes, equal key.
    pub fn key_bytes(&self, values: &[Datum], nulls: &[bool]) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        for k in &self.key {
            let i = k.column.index;
            if nulls[i] {
                out.push(0);
                continue;
            }
            out.push(1);
            let c = &k.column;
            unsafe {
                if c.typbyval {
                    out.extend_from_slice(&values[i].value().to_le_bytes());
                } else if c.typlen == -1 {
                    let b = pg::varlena_bytes(values[i]);
                    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
                    out.extend_from_slice(b);
                } else if c.typlen == -2 {
                    let b = std::ffi::CStr::from_ptr(values[i].cast_mut_ptr()).to_bytes_with_nul();
                    out.extend_from_slice(b);
                } else {
                    out.extend_from_slice(std::slice::from_raw_parts(
                        values[i].cast_mut_ptr::<u8>(),
                        c.typlen as usize,
                    ));
                }
            }
        }
        out
    }

    /// Bit i set: key column i is NULL in this row.
    pub fn null_mask(&self, nulls: &[bool]) -> u64 {
        self.key.iter().enumerate().fold(0, |m, (i, k)| {
            if nulls[k.column.index] {
                m | (1 << i)
            } else {
                m
            }
        })
    }

    /// The non-NULL key values, in key order (the parameters of the key plans).
    pub fn key_args(&self, values: &[Datum], nulls: &[bool]) -> Vec<Option<Datum>> {
        self.key
            .iter()
            .filter(|k| !nulls[k.column.index])
            .map(|k| Some(values[k.column.index]))
            .collect()
    }

    /// A 32-bit hash of the key for the advisory lock; equal keys (by the types' own equality,
    /// NULLs equal) hash equal. A collision only makes two keys wait for each other.
    pub fn key_hash(&self, values: &[Datum], nulls: &[bool]) -> u32 {
        let mut h: u32 = self.relid.to_u32();
        for k in &self.key {
            let i = k.column.index;
            let v = if nulls[i] {
                0x9e37_79b9
            } else {
                match k.hash_proc {
                    Some(f) => unsafe {
                        pg_sys::FunctionCall1Coll(f, k.column.collation, values[i]).value() as u32
                    },
                    None => {
                        let text = k.to_jsonb.text(Some(values[i]));
                        let d = versioning_core::sha256(text.as_bytes());
                        u32::from_le_bytes([d[0], d[1], d[2], d[3]])
                    }
                }
            };
            h = h.rotate_left(5) ^ v.wrapping_mul(0x2710_0001);
        }
        h
    }

    /// The key as a JSON object in key order, e.g. {"reference":"wf-1","project_id":null}:
    /// for messages and the audit log.
    pub fn key_json(&self, values: &[Datum], nulls: &[bool]) -> String {
        let mut out = String::from("{");
        for (i, k) in self.key.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            versioning_core::canonical::write_string(&k.column.name, &mut out);
            out.push(':');
            let value = (!nulls[k.column.index]).then(|| values[k.column.index]);
            if k.to_jsonb.write_canonical(value, &mut out).is_err() {
                out.push_str("\"(nested too deep to show)\"");
            }
        }
        out.push('}');
        out
    }

    /// WHERE conditions on the key for a NULL pattern; parameters start at $1.
    fn key_conditions(&self, null_mask: u64, alias: &str) -> (String, Vec<Oid>) {
        let mut conds = Vec::new();
        let mut types = Vec::new();
        for (i, k) in self.key.iter().enumerate() {
            let c = format!("{alias}.{}", pg::quote_ident(&k.column.name));
            if null_mask & (1 << i) != 0 {
                conds.push(format!("{c} IS NULL"));
            } else {
                types.push(k.column.typid);
                conds.push(format!("{c} {} ${}", k.column.equality(), types.len()));
            }
        }
        (conds.join(" AND "), types)
    }

    /// The plans for a NULL pattern, prepared on first use (needs an open SPI session).
    pub fn plans(&self, null_mask: u64) -> Rc<KeyPlans> {
        if let Some(p) = self.plans.borrow().get(&null_mask) {
            return p.clone();
        }
        let (sql, types) = self.lookup_sql(null_mask);
        let plans = Rc::new(KeyPlans {
            lookup: KeptPlan::prepare(&sql, &types),
            exists: OnceCell::new(),
        });
        self.plans.borrow_mut().insert(null_mask, plans.clone());
        plans
    }

    /// One query per row: the latest version of the key (with an index backward scan on
    /// (key…, version)), whether its hash equals $h, its primary key, and for dedup 'any'
    /// a version with the same hash (index on (key…, hash)).
    fn lookup_sql(&self, null_mask: u64) -> (String, Vec<Oid>) {
        let q = pg::quote_ident;
        let (conds, mut types) = self.key_conditions(null_mask, "t");
        let version = q(&self.version.name);
        let order: Vec<String> = self
            .key
            .iter()
            .map(|k| format!("t.{} DESC", q(&k.column.name)))
            .collect();
        let hash_param = format!("${}", types.len() + 1);
        let (latest_hash, duplicate) = match &self.hash {
            Some(h) => {
                let same = format!("l.{}", q(&h.name));
                let dup = if self.config.dedup == Dedup::Any {
                    let (dconds, _) = self.key_conditions(null_mask, "d");
                    format!("(SELECT d.{version} FROM {} d WHERE {dconds} AND d.{} OPERATOR(pg_catalog.=) {hash_param} LIMIT 1)", self.name, q(&h.name))
                } else {
                    "NULL".into()
                };
                types.push(h.typid);
                (same, dup)
            }
            None => ("NULL".into(), "NULL".into()),
        };
        let pk = self
            .primary_key
            .as_ref()
            .map(|p| format!("l.{}", q(&p.name)))
            .unwrap_or_else(|| "NULL".into());
        let select_pk = self
            .primary_key
            .as_ref()
            .map(|p| format!(", t.{}", q(&p.name)))
            .unwrap_or_default();
        let hash_col = self
            .hash
            .as_ref()
            .map(|h| format!(", t.{}", q(&h.name)))
            .unwrap_or_default();
        let sql = format!(
            "SELECT l.{version}, {latest_hash}, {pk}, {duplicate} FROM \
             (SELECT t.{version}{hash_col}{select_pk} FROM {} t WHERE {conds} ORDER BY {}, t.{version} DESC LIMIT 1) l",
            self.name,
            order.join(", ")
        );
        (sql, types)
    }

    /// A read API statement, planned once per table and SQL text (which differs per pattern of
    /// NULL key columns and filters, never per value); requires an open SPI session.
    pub fn read_plan(&self, sql: &str, types: &[Oid]) -> Rc<KeptPlan> {
        if let Some(p) = self.read_plans.borrow().get(sql) {
            return p.clone();
        }
        let plan = Rc::new(KeptPlan::prepare(sql, types));
        self.read_plans
            .borrow_mut()
            .insert(sql.to_string(), plan.clone());
        plan
    }

    /// `UPDATE … SET deleted_column = now() WHERE ctid = $1`; requires an open SPI session and
    /// a deleted_column.
    pub fn soft_delete_plan(&self) -> &KeptPlan {
        self.soft_delete.get_or_init(|| {
            let deleted = self
                .deleted
                .as_ref()
                .expect("soft delete needs deleted_column");
            KeptPlan::prepare(
                &format!(
                    "UPDATE {} SET {} = pg_catalog.now() WHERE ctid OPERATOR(pg_catalog.=) $1",
                    self.name,
                    pg::quote_ident(&deleted.name)
                ),
                &[pg_sys::TIDOID],
            )
        })
    }

    pub fn exists_plan<'a>(&self, plans: &'a KeyPlans, null_mask: u64) -> &'a KeptPlan {
        plans.exists.get_or_init(|| {
            let (conds, mut types) = self.key_conditions(null_mask, "t");
            types.push(self.version.typid);
            let sql = format!(
                "SELECT 1 FROM {} t WHERE {conds} AND t.{} OPERATOR(pg_catalog.=) ${} LIMIT 1",
                self.name,
                pg::quote_ident(&self.version.name),
                types.len()
            );
            KeptPlan::prepare(&sql, &types)
        })
    }
}

/// The owner of the extension's own tables, whom log writes run as.
pub fn extension_owner() -> Oid {
    thread_local!(static OWNER: OnceCell<Oid> = const { OnceCell::new() });
    OWNER.with(|o| *o.get_or_init(|| pg::relation_owner(pg::extension_table(c"log"))))
}
