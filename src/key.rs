//! The key of a versioned table's rows (`versioning.enable(…, key => …)`): its columns, and a
//! row's key as the trigger path needs it — bytes for the per-transaction cache, a hash for the
//! key's lock, JSON for messages and the log, the parameters of the SQL lookups.
use crate::catalog::Column;
use crate::content::ToJsonb;
use crate::pg;
use pgrx::pg_sys::{self, Datum, Oid};

pub struct KeyColumn {
    pub column: Column,
    /// the type's hash support function (typcache-owned), None when the type has none
    hash_proc: Option<*mut pg_sys::FmgrInfo>,
    pub to_jsonb: ToJsonb,
}

/// The key columns of table `relid`, in key order.
pub struct Key {
    columns: Vec<KeyColumn>,
    relid: Oid,
}

impl std::ops::Deref for Key {
    type Target = [KeyColumn];
    fn deref(&self) -> &[KeyColumn] {
        &self.columns
    }
}

impl Key {
    /// # Safety
    /// `mcx` outlives the key (it holds the columns' to_jsonb calls).
    pub unsafe fn new(relid: Oid, columns: Vec<Column>, mcx: pg_sys::MemoryContext) -> Key {
        let columns = columns
            .into_iter()
            .map(|column| {
                let tce = pg_sys::lookup_type_cache(
                    column.typid,
                    pg_sys::TYPECACHE_HASH_PROC_FINFO as i32,
                );
                let hash_proc = ((*tce).hash_proc != Oid::INVALID)
                    .then(|| &mut (*tce).hash_proc_finfo as *mut _);
                let to_jsonb = ToJsonb::new(&column, mcx);
                KeyColumn {
                    column,
                    hash_proc,
                    to_jsonb,
                }
            })
            .collect();
        Key { columns, relid }
    }

    /// The key's values as bytes (NULL flags included): equal bytes, equal key.
    pub fn bytes(&self, values: &[Datum], nulls: &[bool]) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        for k in &self.columns {
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
        self.columns.iter().enumerate().fold(0, |m, (i, k)| {
            if nulls[k.column.index] {
                m | (1 << i)
            } else {
                m
            }
        })
    }

    /// The non-NULL key values, in key order (the parameters of the key plans).
    pub fn args(&self, values: &[Datum], nulls: &[bool]) -> Vec<Option<Datum>> {
        self.columns
            .iter()
            .filter(|k| !nulls[k.column.index])
            .map(|k| Some(values[k.column.index]))
            .collect()
    }

    /// A 32-bit hash of the key for the advisory lock; equal keys (by the types' own equality,
    /// NULLs equal) hash equal. A collision only makes two keys wait for each other.
    pub fn lock_hash(&self, values: &[Datum], nulls: &[bool]) -> u32 {
        let mut h: u32 = self.relid.to_u32();
        for k in &self.columns {
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
    pub fn json(&self, values: &[Datum], nulls: &[bool]) -> String {
        let mut out = String::from("{");
        for (i, k) in self.columns.iter().enumerate() {
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
}
