//! The configuration of a versioned table: the options of `versioning.enable`, validated
//! against the table, and stored as jsonb in `versioning.tables` under the table's
//! schema-qualified name.
use crate::catalog::named as column;
use crate::catalog::{self, Column};
use crate::errors::{error, Code};
use serde::{Deserialize, Serialize};
use versioning_core::lifecycle::{self, Lifecycle};

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Dedup {
    Any,
    Latest,
    Off,
}

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum OnDuplicate {
    Skip,
    Error,
}

/// The effective configuration (what `versioning.config(tbl)` returns).
#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
pub struct TableConfig {
    pub key: Vec<String>,
    pub content: Vec<String>,
    /// true when `content` was chosen by the default rule rather than named
    pub content_is_default: bool,
    pub version_column: String,
    pub hash_column: Option<String>,
    pub parent_column: Option<String>,
    /// the table's primary key (what parent_column points at)
    pub primary_key: Vec<String>,
    pub dedup: Dedup,
    pub on_duplicate: OnDuplicate,
    /// the resolved lifecycle (presets expanded); None: every version frozen at insert
    pub lifecycle: Option<Lifecycle>,
    pub mutable: Vec<String>,
    pub deleted_column: Option<String>,
    pub kind_column: Option<String>,
    /// with kind_column: a kind without a registered schema is refused
    #[serde(default)]
    pub require_schema: bool,
    pub semver: Option<Semver>,
    pub check_version: bool,
    pub audit: bool,
    /// content columns renamed since their rows were hashed: current name → the name the
    /// content hash uses ({name: value} objects of multi-column content)
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub hashed_as: std::collections::BTreeMap<String, String>,
}

impl TableConfig {
    /// The name under which a content column is hashed.
    pub fn hashed_name<'a>(&'a self, column: &'a str) -> &'a str {
        self.hashed_as.get(column).map_or(column, String::as_str)
    }

    /// Every column the configuration names, with its role (docs/operations.md, "Schema
    /// changes").
    fn named_columns_mut(&mut self) -> Vec<(&mut String, &'static str)> {
        let mut out: Vec<(&mut String, &'static str)> = Vec::new();
        out.extend(self.key.iter_mut().map(|c| (c, "a key column")));
        out.extend(self.content.iter_mut().map(|c| (c, "content")));
        out.push((&mut self.version_column, "the version column"));
        out.extend(self.hash_column.as_mut().map(|c| (c, "the hash column")));
        out.extend(
            self.parent_column
                .as_mut()
                .map(|c| (c, "the parent column")),
        );
        out.extend(
            self.primary_key
                .iter_mut()
                .map(|c| (c, "the primary key parent_column points at")),
        );
        out.extend(self.mutable.iter_mut().map(|c| (c, "mutable")));
        if let Some(l) = &mut self.lifecycle {
            out.push((&mut l.column, "the lifecycle's status column"));
            for stamp in l.stamps.values_mut() {
                out.extend(stamp.at.as_mut().map(|c| (c, "a lifecycle stamp column")));
                out.extend(stamp.by.as_mut().map(|c| (c, "a lifecycle stamp column")));
            }
        }
        out.extend(
            self.deleted_column
                .as_mut()
                .map(|c| (c, "the deleted column")),
        );
        out.extend(self.kind_column.as_mut().map(|c| (c, "the kind column")));
        if let Some(v) = &mut self.semver {
            out.extend(
                [&mut v.change_type, &mut v.major, &mut v.minor, &mut v.patch]
                    .map(|c| (c, "a semver column")),
            );
            out.extend(v.prerelease.as_mut().map(|c| (c, "a semver column")));
        }
        out
    }

    /// The role of a column in the configuration (the first, for one with several), if any.
    pub fn role_of(&mut self, column: &str) -> Option<&'static str> {
        self.named_columns_mut()
            .into_iter()
            .find(|(c, _)| c.as_str() == column)
            .map(|(_, role)| role)
    }

    /// Follows `ALTER TABLE … RENAME COLUMN old TO new`; a content column keeps the name its
    /// rows were hashed under. Returns whether the configuration names the column.
    pub fn rename_column(&mut self, old: &str, new: &str) -> bool {
        if self.content.iter().any(|c| c == old) {
            let hashed = self
                .hashed_as
                .remove(old)
                .unwrap_or_else(|| old.to_string());
            if hashed != new {
                self.hashed_as.insert(new.to_string(), hashed);
            }
        }
        let mut named = false;
        for (c, _) in self.named_columns_mut() {
            if c == old {
                *c = new.to_string();
                named = true;
            }
        }
        named
    }
    /// The columns that describe one version rather than its content: those the extension
    /// assigns (version, hash, parent, status and stamps, soft-delete marker, semantic version
    /// numbers) and the change type and prerelease each new version states for itself.
    pub fn version_columns(&self) -> Vec<&str> {
        let mut assigned = vec![self.version_column.as_str()];
        assigned.extend(self.hash_column.as_deref());
        assigned.extend(self.parent_column.as_deref());
        if let Some(l) = &self.lifecycle {
            assigned.push(l.column.as_str());
            assigned.extend(l.stamp_columns());
        }
        assigned.extend(self.deleted_column.as_deref());
        if let Some(v) = &self.semver {
            assigned.extend([
                v.change_type.as_str(),
                v.major.as_str(),
                v.minor.as_str(),
                v.patch.as_str(),
            ]);
            assigned.extend(v.prerelease.as_deref());
        }
        assigned
    }
}

/// The columns of semantic version numbers (the `semver` option).
#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
#[serde(deny_unknown_fields)]
pub struct Semver {
    pub change_type: String,
    pub major: String,
    pub minor: String,
    pub patch: String,
    #[serde(default)]
    pub prerelease: Option<String>,
}

/// The options as `versioning.enable` received them.
pub struct Options {
    pub key: Vec<String>,
    pub content: Option<Vec<String>>,
    pub version_column: String,
    pub hash_column: Option<String>,
    pub parent_column: Option<String>,
    pub dedup: String,
    pub on_duplicate: String,
    pub lifecycle: Option<String>,
    pub mutable: Vec<String>,
    pub deleted_column: Option<String>,
    pub kind_column: Option<String>,
    pub require_schema: bool,
    pub semver: Option<serde_json::Value>,
    pub check_version: bool,
    pub audit: bool,
}

const MAX_KEY_COLUMNS: usize = 32;

fn bad_value(option: &str, value: &str, allowed: &str) -> ! {
    error(
        Code::ERRCODE_INVALID_PARAMETER_VALUE,
        format!("invalid value for {option}: \"{value}\""),
    )
    .hint(format!("{option} must be one of {allowed}."))
    .raise()
}

/// A column of a type the option accepts, or 42703 / 42804.
fn typed<'a>(
    table: &str,
    columns: &'a [Column],
    option: &str,
    name: &str,
    accepts: impl Fn(&Column) -> bool,
    hint: &str,
) -> &'a Column {
    let c = column(table, columns, option, name);
    if !accepts(c) {
        error(
            Code::ERRCODE_DATATYPE_MISMATCH,
            format!(
                "{option} \"{name}\" of table {table} has type {}",
                c.type_name()
            ),
        )
        .hint(hint.to_string())
        .raise();
    }
    c
}

/// Validates the options against the table's columns and resolves defaults.
pub fn validate(
    table: &str,
    columns: &[Column],
    primary_key: &[Column],
    o: Options,
) -> TableConfig {
    let dedup = match o.dedup.as_str() {
        "any" => Dedup::Any,
        "latest" => Dedup::Latest,
        "off" => Dedup::Off,
        other => bad_value("dedup", other, "'any', 'latest' or 'off'"),
    };
    let on_duplicate = match o.on_duplicate.as_str() {
        "skip" => OnDuplicate::Skip,
        "error" => OnDuplicate::Error,
        other => bad_value("on_duplicate", other, "'skip' or 'error'"),
    };
    check_columns(table, columns, primary_key, &o, dedup);
    let lifecycle = o
        .lifecycle
        .as_deref()
        .map(|spec| validate_lifecycle(table, columns, spec));
    let semver = o
        .semver
        .clone()
        .map(|spec| validate_semver(table, columns, spec));
    if let Some(d) = &o.deleted_column {
        typed(
            table,
            columns,
            "deleted_column",
            d,
            is_timestamp,
            "The soft-delete column must be timestamptz (or timestamp).",
        );
    }
    let roles = roles(&o, lifecycle.as_ref(), semver.as_ref());
    check_one_role_each(table, &roles);
    let (content, content_is_default) = content(table, columns, primary_key, &o, &roles);
    if let Some(k) = &o.kind_column {
        validate_kind_column(table, columns, k, &content);
    } else if o.require_schema {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("require_schema => true on table {table} needs a kind_column"),
        )
        .hint("Name the column holding each row's kind: kind_column => 'kind'.")
        .raise();
    }
    TableConfig {
        key: o.key,
        content,
        content_is_default,
        version_column: o.version_column,
        hash_column: o.hash_column,
        parent_column: o.parent_column,
        primary_key: primary_key.iter().map(|c| c.name.clone()).collect(),
        dedup,
        on_duplicate,
        lifecycle,
        mutable: o.mutable,
        deleted_column: o.deleted_column,
        kind_column: o.kind_column,
        require_schema: o.require_schema,
        semver,
        check_version: o.check_version,
        audit: o.audit,
        hashed_as: Default::default(),
    }
}

/// The key, version, hash, parent and mutable columns exist with usable types.
fn check_columns(
    table: &str,
    columns: &[Column],
    primary_key: &[Column],
    o: &Options,
    dedup: Dedup,
) {
    if o.key.is_empty() || o.key.len() > MAX_KEY_COLUMNS {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("key of table {table} must name 1 to {MAX_KEY_COLUMNS} columns"),
        )
        .hint("key names the columns that identify an entity, e.g. key => ARRAY['reference'].")
        .raise();
    }
    for k in &o.key {
        column(table, columns, "key", k);
    }
    typed(
        table,
        columns,
        "version_column",
        &o.version_column,
        Column::is_integer,
        "The version column must be smallint, integer or bigint.",
    );
    match &o.hash_column {
        Some(h) => {
            typed(
                table,
                columns,
                "hash_column",
                h,
                |c| c.is_text() || c.typid == pgrx::pg_sys::BYTEAOID,
                "The hash column must be text (64 hex digits) or bytea (32 bytes).",
            );
        }
        None if dedup != Dedup::Off => error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!(
                "dedup => '{}' on table {table} needs a hash_column",
                o.dedup
            ),
        )
        .hint("Name a text or bytea hash_column, or pass dedup => 'off'.")
        .raise(),
        None => {}
    }
    if let Some(p) = &o.parent_column {
        check_parent_column(table, columns, primary_key, p);
    }
    for m in &o.mutable {
        column(table, columns, "mutable", m);
    }
}

/// parent_column points at the previous version's primary key: one column, the same type.
fn check_parent_column(table: &str, columns: &[Column], primary_key: &[Column], p: &str) {
    let parent = column(table, columns, "parent_column", p);
    if primary_key.len() != 1 {
        error(
            Code::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("parent_column of table {table} needs a single-column primary key"),
        )
        .detail(format!(
            "The table's primary key has {} columns.",
            primary_key.len()
        ))
        .raise();
    }
    if parent.typid != primary_key[0].typid {
        error(
            Code::ERRCODE_DATATYPE_MISMATCH,
            format!(
                "parent_column \"{p}\" of table {table} has type {}, but the primary key \"{}\" has type {}",
                parent.type_name(),
                primary_key[0].name,
                primary_key[0].type_name()
            ),
        )
        .raise();
    }
}

/// Every column the options give a role, with that role (stamp columns may repeat).
fn roles<'o>(
    o: &'o Options,
    lifecycle: Option<&'o Lifecycle>,
    semver: Option<&'o Semver>,
) -> Vec<(&'o str, &'static str)> {
    let mut roles: Vec<(&str, &str)> = o.key.iter().map(|k| (k.as_str(), "key")).collect();
    roles.push((o.version_column.as_str(), "version_column"));
    roles.extend(o.hash_column.as_deref().map(|h| (h, "hash_column")));
    roles.extend(o.parent_column.as_deref().map(|p| (p, "parent_column")));
    roles.extend(o.mutable.iter().map(|m| (m.as_str(), "mutable")));
    if let Some(l) = lifecycle {
        roles.push((l.column.as_str(), "the lifecycle's status column"));
        // one stamp column may serve several states (reviewed_at for approved and rejected)
        roles.extend(
            l.stamp_columns()
                .into_iter()
                .map(|c| (c, "the lifecycle's stamps")),
        );
    }
    roles.extend(o.deleted_column.as_deref().map(|d| (d, "deleted_column")));
    // The kind names what the content is, so it is not content itself (it may be part of the key).
    if let Some(k) = o
        .kind_column
        .as_deref()
        .filter(|k| !o.key.iter().any(|c| c == k))
    {
        roles.push((k, "kind_column"));
    }
    if let Some(v) = semver {
        roles.extend(
            [
                v.change_type.as_str(),
                v.major.as_str(),
                v.minor.as_str(),
                v.patch.as_str(),
            ]
            .map(|c| (c, "semver")),
        );
        roles.extend(v.prerelease.as_deref().map(|c| (c, "semver")));
    }
    roles
}

/// Each column plays at most one role.
fn check_one_role_each(table: &str, roles: &[(&str, &str)]) {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (name, role) in roles {
        if let Some((_, other)) = seen.iter().find(|(n, _)| n == name) {
            error(
                Code::ERRCODE_INVALID_PARAMETER_VALUE,
                format!(
                    "column \"{name}\" of table {table} is named both in {other} and in {role}"
                ),
            )
            .raise();
        }
        seen.push((name, role));
    }
}

/// The content columns as named (checked), or by default every column without a role, a
/// volatile default or a place in the primary key; and whether it was the default.
fn content(
    table: &str,
    columns: &[Column],
    primary_key: &[Column],
    o: &Options,
    roles: &[(&str, &str)],
) -> (Vec<String>, bool) {
    let Some(named) = &o.content else {
        let chosen: Vec<String> = columns
            .iter()
            .filter(|c| !c.volatile_default)
            .filter(|c| !primary_key.iter().any(|p| p.name == c.name))
            .filter(|c| !roles.iter().any(|(n, _)| *n == c.name))
            .map(|c| c.name.clone())
            .collect();
        if chosen.is_empty() {
            error(
                Code::ERRCODE_INVALID_PARAMETER_VALUE,
                format!("table {table} has no column left to be content"),
            )
            .hint("Name the content columns: content => ARRAY['…'].")
            .raise();
        }
        return (chosen, true);
    };
    if named.is_empty() {
        error(Code::ERRCODE_INVALID_PARAMETER_VALUE, format!("content of table {table} names no column"))
            .hint("Omit content to use every column that is not key, version, hash, parent, mutable or generated.")
            .raise();
    }
    for c in named {
        if column(table, columns, "content", c).generated {
            error(
                Code::ERRCODE_INVALID_PARAMETER_VALUE,
                format!(
                    "column \"{c}\" of table {table} is a generated column and cannot be content"
                ),
            )
            .detail(
                "Generated columns are computed after the versioning trigger has hashed the row.",
            )
            .hint("Name the columns it is generated from instead.")
            .raise();
        }
        if let Some((_, role)) = roles.iter().find(|(n, _)| n == c) {
            error(
                Code::ERRCODE_INVALID_PARAMETER_VALUE,
                format!("column \"{c}\" of table {table} is named both in content and in {role}"),
            )
            .raise();
        }
    }
    (named.clone(), false)
}

/// Checks the `semver` option: an object naming the change-type, major, minor, patch (and
/// optionally prerelease) columns of the table.
fn validate_semver(table: &str, columns: &[Column], spec: serde_json::Value) -> Semver {
    let semver: Semver = serde_json::from_value(spec).unwrap_or_else(|e| {
        error(Code::ERRCODE_INVALID_PARAMETER_VALUE, format!("invalid semver option for table {table}: {e}"))
            .hint("semver names columns: {\"change_type\": …, \"major\": …, \"minor\": …, \"patch\": …, \"prerelease\": …}.")
            .raise()
    });
    for (role, name) in [
        ("major", &semver.major),
        ("minor", &semver.minor),
        ("patch", &semver.patch),
    ] {
        let c = column(table, columns, &format!("semver ({role})"), name);
        if !c.is_integer() {
            error(
                Code::ERRCODE_DATATYPE_MISMATCH,
                format!(
                    "semver column \"{name}\" ({role}) of table {table} has type {}",
                    c.type_name()
                ),
            )
            .hint("The major, minor and patch columns must be smallint, integer or bigint.")
            .raise();
        }
    }
    for (role, name) in [
        ("change_type", Some(&semver.change_type)),
        ("prerelease", semver.prerelease.as_ref()),
    ] {
        if let Some(name) = name {
            let c = column(table, columns, &format!("semver ({role})"), name);
            if !c.is_text() {
                error(
                    Code::ERRCODE_DATATYPE_MISMATCH,
                    format!(
                        "semver column \"{name}\" ({role}) of table {table} has type {}",
                        c.type_name()
                    ),
                )
                .hint("The change-type and prerelease columns must be text or varchar.")
                .raise();
            }
        }
    }
    semver
}

/// The kind column holds text; the content it describes is one jsonb (or json) column,
/// the document its kind's JSON Schema checks.
fn validate_kind_column(table: &str, columns: &[Column], kind: &str, content: &[String]) {
    let k = column(table, columns, "kind_column", kind);
    if !k.is_text() {
        error(
            Code::ERRCODE_DATATYPE_MISMATCH,
            format!(
                "kind_column \"{kind}\" of table {table} has type {}",
                k.type_name()
            ),
        )
        .hint("The kind column must be text or varchar.")
        .raise();
    }
    let document = match content {
        [one] => catalog::find(columns, one),
        _ => None,
    };
    if !document.is_some_and(|c| matches!(c.typid, pgrx::pg_sys::JSONBOID | pgrx::pg_sys::JSONOID))
    {
        error(
            Code::ERRCODE_DATATYPE_MISMATCH,
            format!("kind_column of table {table} needs a single jsonb content column, but the content is {}", content.join(", ")),
        )
        .detail("A kind's JSON Schema checks one JSON document per row.")
        .hint("Name the jsonb column holding the document: content => ARRAY['content'].")
        .raise();
    }
}

fn is_timestamp(c: &Column) -> bool {
    matches!(
        c.typid,
        pgrx::pg_sys::TIMESTAMPTZOID | pgrx::pg_sys::TIMESTAMPOID
    )
}

/// Resolves the lifecycle option and checks it against the table: the status column (text
/// or boolean, whose states are "false"/"true") and the stamp columns must exist.
fn validate_lifecycle(table: &str, columns: &[Column], spec: &str) -> Lifecycle {
    let l = lifecycle::parse(spec).unwrap_or_else(|e| {
        error(Code::ERRCODE_INVALID_PARAMETER_VALUE, format!("invalid lifecycle for table {table}: {e}"))
            .hint("lifecycle is 'publish', 'review', or a JSON object such as {\"preset\": \"publish\", \"column\": \"state\"}.")
            .raise()
    });
    let status = column(table, columns, "lifecycle (status column)", &l.column);
    let boolean = status.typid == pgrx::pg_sys::BOOLOID;
    if !(status.is_text() || boolean) {
        error(
            Code::ERRCODE_DATATYPE_MISMATCH,
            format!(
                "status column \"{}\" of table {table} has type {}",
                l.column,
                status.type_name()
            ),
        )
        .hint("The status column must be text, varchar or boolean.")
        .raise();
    }
    if boolean {
        if let Some(s) = l
            .states()
            .into_iter()
            .find(|s| *s != "true" && *s != "false")
        {
            error(Code::ERRCODE_INVALID_PARAMETER_VALUE, format!("status column \"{}\" of table {table} is boolean, but the lifecycle names state \"{s}\"", l.column))
                .hint("A boolean status column has the states \"false\" and \"true\"; write the lifecycle as a JSON object with those.")
                .raise();
        }
    }
    for (state, stamp) in &l.stamps {
        if let Some(at) = &stamp.at {
            let c = column(table, columns, &format!("the stamps of \"{state}\""), at);
            if !is_timestamp(c) {
                error(
                    Code::ERRCODE_DATATYPE_MISMATCH,
                    format!(
                        "stamp column \"{at}\" of table {table} has type {}",
                        c.type_name()
                    ),
                )
                .hint("An \"at\" stamp column must be timestamptz (or timestamp).")
                .raise();
            }
        }
        if let Some(by) = &stamp.by {
            column(table, columns, &format!("the stamps of \"{state}\""), by);
        }
    }
    l
}

/// The stored configuration of a table, if it is versioned.
pub fn load(table: &str) -> Option<TableConfig> {
    let text = crate::spi::query_text(
        "SELECT config::pg_catalog.text FROM versioning.tables WHERE table_name OPERATOR(pg_catalog.=) $1",
        &[table],
    )?;
    match serde_json::from_str(&text) {
        Ok(c) => Some(c),
        Err(e) => error(
            Code::ERRCODE_DATA_CORRUPTED,
            format!("configuration of table {table} in versioning.tables is unreadable: {e}"),
        )
        .hint("Call versioning.enable for the table again to rewrite it.")
        .raise(),
    }
}
