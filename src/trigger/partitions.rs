//! Partitions created or attached under a versioned partitioned table (docs/operations.md,
//! "Partitioned tables"). PostgreSQL clones the versioning triggers and indexes onto every new
//! or attached partition, so its rows are versioned at once; what it cannot know is checked
//! here: a partition that is partitioned itself must be partitioned by key columns only, an
//! attached table must not be versioned by itself, and the rows an attached table brings are
//! adopted — numbered, hashed and checked as `versioning.enable` adopts a populated table —
//! before ATTACH PARTITION builds the unique (key…, version) index over them. An error undoes
//! the statement.
use crate::config;
use crate::partitions;
use crate::pg;
use pgrx::pg_sys::{self, Oid};

/// At ddl_command_start of ALTER TABLE: the tables ATTACH PARTITION is about to attach.
///
/// # Safety
/// `tree` is the statement's parse tree.
pub unsafe fn before_alter(tree: *mut pg_sys::Node) {
    if (*tree).type_ != pg_sys::NodeTag::T_AlterTableStmt {
        return;
    }
    let stmt = tree as *mut pg_sys::AlterTableStmt;
    let cmds = (*stmt).cmds;
    let n = if cmds.is_null() { 0 } else { (*cmds).length };
    for i in 0..n as usize {
        let cmd = (*(*cmds).elements.add(i)).ptr_value as *mut pg_sys::AlterTableCmd;
        if (*cmd).subtype != pg_sys::AlterTableType::AT_AttachPartition {
            continue;
        }
        let parent = pg::range_var_oid((*stmt).relation);
        let table = pg::range_var_oid((*((*cmd).def as *mut pg_sys::PartitionCmd)).name);
        if parent == Oid::INVALID || table == Oid::INVALID {
            continue; // ATTACH reports it
        }
        let root = partitions::root_of(parent);
        let root_name = pg::qualified_name(root);
        let Some(config) = config::load(&root_name) else {
            continue;
        };
        let members = partitions::tree(table);
        if members.iter().any(|&m| partitions::is_foreign(m)) {
            continue; // ATTACH refuses it: the versioned table has unique indexes
        }
        partitions::require_key_partitioning(&root_name, table, &config.key);
        partitions::require_no_own_configuration(&root_name, &members);
        crate::api::adopt_attaching(root, &root_name, table, &config);
    }
}

/// At ddl_command_end of CREATE TABLE: a new partition of a versioned table.
///
/// # Safety
/// `tree` is the statement's parse tree.
pub unsafe fn after_create(tree: *mut pg_sys::Node) {
    if (*tree).type_ != pg_sys::NodeTag::T_CreateStmt {
        return;
    }
    let stmt = tree as *mut pg_sys::CreateStmt;
    if (*stmt).partbound.is_null() {
        return;
    }
    let relid = pg::range_var_oid((*stmt).relation);
    if relid == Oid::INVALID {
        return;
    }
    let root = partitions::root_of(relid);
    let root_name = pg::qualified_name(root);
    if let Some(config) = config::load(&root_name) {
        partitions::require_key_partitioning(&root_name, relid, &config.key);
    }
}
