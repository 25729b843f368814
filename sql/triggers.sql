-- The row triggers versioning.enable() attaches. Written in Rust (src/trigger/); declared here
-- because they are raw C-convention trigger functions.
CREATE FUNCTION versioning._on_insert() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_on_insert';
CREATE FUNCTION versioning._on_change() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_on_change';
CREATE FUNCTION versioning._after_insert() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_after_insert';
-- A change of a kind's schemas (register_schema, or a row that logical replication applies)
-- makes every session drop its compiled schemas at commit. ALWAYS: it fires in the apply
-- worker too, which runs with session_replication_role = replica.
CREATE FUNCTION versioning._schemas_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_schemas_changed';
CREATE TRIGGER schemas_changed AFTER INSERT OR UPDATE OR DELETE ON versioning.schemas
    FOR EACH ROW EXECUTE FUNCTION versioning._schemas_changed();
ALTER TABLE versioning.schemas ENABLE ALWAYS TRIGGER schemas_changed;
-- Schema changes follow a versioned table (src/trigger/schema_changes.rs; docs/operations.md,
-- "Schema changes"): the table as it was at the start of an ALTER TABLE, compared with it at
-- the end; a table ATTACH PARTITION adds to a versioned table, and one CREATE TABLE … PARTITION
-- OF makes, are checked (src/trigger/partitions.rs).
CREATE FUNCTION versioning._ddl_start() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_ddl_start';
CREATE FUNCTION versioning._ddl_end() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_ddl_end';
CREATE EVENT TRIGGER versioning_schema_change_start ON ddl_command_start
    WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION versioning._ddl_start();
CREATE EVENT TRIGGER versioning_schema_change_end ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE') EXECUTE FUNCTION versioning._ddl_end();
-- ALWAYS: also with session_replication_role = replica (a subscriber's own migrations).
ALTER EVENT TRIGGER versioning_schema_change_start ENABLE ALWAYS;
ALTER EVENT TRIGGER versioning_schema_change_end ENABLE ALWAYS;
-- Current-version pointers: the AFTER row trigger versioning.enable_current attaches.
CREATE FUNCTION versioning._current_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_current_changed';
