-- Objects pg_versioning owns besides its functions. Runs first in CREATE EXTENSION.
-- Tables are named by schema-qualified text, never oid/regclass: OIDs change on restore
-- and pg_upgrade rejects reg* columns in user data.

-- One row per versioned table: its effective configuration (see versioning.config()).
CREATE TABLE versioning.tables (
    table_name text PRIMARY KEY,              -- quoted, schema-qualified: public.definitions
    config     jsonb NOT NULL,
    enabled_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    enabled_by text NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE versioning.tables IS
  'Every versioned table and its configuration; written only by versioning.enable/disable.';

-- The audit log: one row per version created (unless audit => false for that table).
CREATE TABLE versioning.log (
    at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    actor      text NOT NULL,
    txid       bigint NOT NULL DEFAULT pg_catalog.txid_current(),
    table_name text NOT NULL,
    key        jsonb NOT NULL,
    version    bigint,
    action     text NOT NULL,
    from_state text,
    to_state   text,
    detail     jsonb
);
COMMENT ON TABLE versioning.log IS
  'Audit log of versioned tables: who created which version when. Written by the extension''s triggers only.';
-- versioning.as_of finds a key's creation records. A hash index: one cheap entry per log row
-- (a btree on jsonb costs every insert several jsonb comparisons).
CREATE INDEX log_key ON versioning.log USING hash (key);

-- pg_dump keeps the rows of both tables (configuration and history are user state).
SELECT pg_catalog.pg_extension_config_dump('versioning.tables', '');
SELECT pg_catalog.pg_extension_config_dump('versioning.log', '');

-- Everyone may read; only the extension writes (its code switches to the owner of these
-- tables for that, after checking the caller's right to the versioned table).
GRANT USAGE ON SCHEMA versioning TO PUBLIC;
GRANT SELECT ON versioning.tables TO PUBLIC;
GRANT SELECT ON versioning.log TO PUBLIC;
-- A log row is visible to the members of the versioned table's owner role
-- (and to superusers, who bypass row security).
ALTER TABLE versioning.log ENABLE ROW LEVEL SECURITY;
CREATE POLICY log_visible_to_table_owner ON versioning.log FOR SELECT USING (
    EXISTS (SELECT FROM pg_catalog.pg_class c
             WHERE c.oid = pg_catalog.to_regclass(table_name)
               AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));

-- DROP TABLE forgets the table's configuration (it would otherwise stay listed, and a new
-- table of the same name would find it).

-- Versions that have once left an editable state (only for lifecycles in which a version can
-- come back to an editable state, e.g. review's submitted → draft): they stay frozen.
CREATE TABLE versioning.left_editable (
    table_name text NOT NULL,
    key        text NOT NULL,              -- the key as canonical JSON
    version    bigint NOT NULL,
    PRIMARY KEY (table_name, key, version)
);
SELECT pg_catalog.pg_extension_config_dump('versioning.left_editable', '');
GRANT SELECT ON versioning.left_editable TO PUBLIC;

-- Labels: a name pointing at one frozen version of a key ("latest" is implicit).
CREATE TABLE versioning.labels (
    table_name text NOT NULL,
    key        jsonb NOT NULL,
    label      text NOT NULL,
    version    bigint NOT NULL,
    set_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    set_by     text NOT NULL,
    PRIMARY KEY (table_name, key, label)
);
-- Labels only members of a role may move (versioning.protect_label).
CREATE TABLE versioning.label_protections (
    table_name text NOT NULL,
    label      text NOT NULL,
    role       name NOT NULL,
    PRIMARY KEY (table_name, label)
);
SELECT pg_catalog.pg_extension_config_dump('versioning.labels', '');
SELECT pg_catalog.pg_extension_config_dump('versioning.label_protections', '');
GRANT SELECT ON versioning.labels, versioning.label_protections TO PUBLIC;

-- Carry-forward rules (versioning.enable_carry_forward): when a new version of a parent key is
-- inserted, the previous version's matching child rows are copied to it.
CREATE TABLE versioning.carry_forward (
    parent_table text NOT NULL,
    child_table  text NOT NULL,
    config       jsonb NOT NULL,
    PRIMARY KEY (parent_table, child_table)
);
SELECT pg_catalog.pg_extension_config_dump('versioning.carry_forward', '');
GRANT SELECT ON versioning.carry_forward TO PUBLIC;

-- Kinds' JSON Schemas (versioning.register_schema), versioned per kind: a new schema for a
-- kind is its next version, the same schema again is a no-op. A kind belongs to the role that
-- registered it first (owner); only its members register new versions.
CREATE TABLE versioning.schemas (
    kind          text NOT NULL,
    version       integer NOT NULL,
    schema        jsonb NOT NULL,
    owner         name NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    registered_by text NOT NULL,
    PRIMARY KEY (kind, version)
);
SELECT pg_catalog.pg_extension_config_dump('versioning.schemas', '');
GRANT SELECT ON versioning.schemas TO PUBLIC;

-- Current-version pointers (versioning.enable_current): columns of a target table that always
-- hold values of a key's current version.
CREATE TABLE versioning.current_pointers (
    table_name   text NOT NULL,
    target_table text NOT NULL,
    config       jsonb NOT NULL,
    PRIMARY KEY (table_name, target_table)
);
SELECT pg_catalog.pg_extension_config_dump('versioning.current_pointers', '');
GRANT SELECT ON versioning.current_pointers TO PUBLIC;

-- Retention policies (versioning.set_retention), applied by versioning.prune().
CREATE TABLE versioning.retention (
    table_name  text PRIMARY KEY,
    keep_last   integer,
    keep_for    interval,
    keep_states text[] NOT NULL DEFAULT '{}',
    set_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    set_by      text NOT NULL
);
SELECT pg_catalog.pg_extension_config_dump('versioning.retention', '');
GRANT SELECT ON versioning.retention TO PUBLIC;

-- Transitions to make at a set time (versioning.schedule), applied by versioning.run_due().
CREATE TABLE versioning.scheduled (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    table_name   text NOT NULL,
    key          jsonb NOT NULL,
    version      bigint NOT NULL,
    to_state     text NOT NULL,
    at           timestamptz NOT NULL,
    scheduled_by name NOT NULL,                -- the role it runs as
    scheduled_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    outcome      text,                         -- what happened, or why it failed
    finished_at  timestamptz
);
CREATE INDEX scheduled_due ON versioning.scheduled (at, id) WHERE state = 'pending';
SELECT pg_catalog.pg_extension_config_dump('versioning.scheduled', '');
SELECT pg_catalog.pg_extension_config_dump('versioning.scheduled_id_seq', '');
GRANT SELECT ON versioning.scheduled TO PUBLIC;
-- Visible to the role that scheduled it and to the versioned table's owners.
ALTER TABLE versioning.scheduled ENABLE ROW LEVEL SECURITY;
CREATE POLICY scheduled_visible ON versioning.scheduled FOR SELECT USING (
    pg_catalog.pg_has_role(scheduled_by, 'MEMBER')
    OR EXISTS (SELECT FROM pg_catalog.pg_class c
                WHERE c.oid = pg_catalog.to_regclass(table_name)
                  AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));

-- DROP TABLE forgets everything stored about the table (a new table of the same name starts
-- clean). Defined last: it needs every table above.
CREATE FUNCTION versioning._forget_dropped_tables() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    dropped text[];
BEGIN
    -- search_path is pinned to pg_catalog, so these operators are pg_catalog's
    SELECT array_agg(quote_ident(d.schema_name) || '.' || quote_ident(d.object_name))
      INTO dropped
      FROM pg_event_trigger_dropped_objects() d
     WHERE d.object_type = 'table';
    IF dropped IS NULL THEN
        RETURN;
    END IF;
    DELETE FROM versioning.tables WHERE table_name = ANY (dropped);
    DELETE FROM versioning.labels WHERE table_name = ANY (dropped);
    DELETE FROM versioning.label_protections WHERE table_name = ANY (dropped);
    DELETE FROM versioning.left_editable WHERE table_name = ANY (dropped);
    DELETE FROM versioning.carry_forward WHERE parent_table = ANY (dropped) OR child_table = ANY (dropped);
    DELETE FROM versioning.current_pointers WHERE table_name = ANY (dropped) OR target_table = ANY (dropped);
    DELETE FROM versioning.retention WHERE table_name = ANY (dropped);
END $$;
CREATE EVENT TRIGGER versioning_forget_dropped_tables ON sql_drop
    EXECUTE FUNCTION versioning._forget_dropped_tables();
