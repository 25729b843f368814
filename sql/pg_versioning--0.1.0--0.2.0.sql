-- pg_versioning 0.1.0 → 0.2.0. Hand-written; never edited once 0.2.0 is released.
-- (tests/upgrade/run.sh checks that an upgraded installation has exactly the objects of a
-- fresh CREATE EXTENSION pg_versioning of 0.2.0.)
\echo Use "ALTER EXTENSION pg_versioning UPDATE TO '0.2.0'" to load this file. \quit

-- Functions that check their NULL arguments themselves now (22004 naming the argument)
-- instead of being STRICT (a NULL gave NULL, silently).
CREATE OR REPLACE FUNCTION versioning."_as_of"(
	"tbl" regclass,
	"key" TEXT,
	"at" timestamp with time zone
) RETURNS TEXT
LANGUAGE c
AS 'MODULE_PATHNAME', 'as_of_wrapper';
CREATE OR REPLACE FUNCTION versioning."_diff"(
	"tbl" regclass,
	"key" TEXT,
	"from_version" INT,
	"to_version" INT
) RETURNS TEXT
LANGUAGE c
AS 'MODULE_PATHNAME', 'diff_wrapper';
CREATE OR REPLACE FUNCTION versioning."_get"(
	"tbl" regclass,
	"key" TEXT,
	"version" INT
) RETURNS TEXT
LANGUAGE c
AS 'MODULE_PATHNAME', 'get_wrapper';
CREATE OR REPLACE FUNCTION versioning."_label"(
	"tbl" regclass,
	"key" TEXT,
	"label" TEXT
) RETURNS INT
LANGUAGE c
AS 'MODULE_PATHNAME', 'label_wrapper';
CREATE OR REPLACE FUNCTION versioning."_put"(
	"tbl" regclass,
	"row" TEXT
) RETURNS TEXT
LANGUAGE c
AS 'MODULE_PATHNAME', 'put_wrapper';
CREATE OR REPLACE FUNCTION versioning."_revert"(
	"tbl" regclass,
	"key" TEXT,
	"to_version" INT
) RETURNS TEXT
LANGUAGE c
AS 'MODULE_PATHNAME', 'revert_wrapper';
CREATE OR REPLACE FUNCTION versioning."_semver"(
	"tbl" regclass,
	"key" TEXT,
	"version" INT
) RETURNS TEXT
LANGUAGE c
AS 'MODULE_PATHNAME', 'semver_wrapper';
CREATE OR REPLACE FUNCTION versioning."_set_label"(
	"tbl" regclass,
	"key" TEXT,
	"label" TEXT,
	"version" INT
) RETURNS void
LANGUAGE c
AS 'MODULE_PATHNAME', 'set_label_wrapper';
CREATE OR REPLACE FUNCTION versioning."_transition"(
	"tbl" regclass,
	"key" TEXT,
	"version" INT,
	"to_state" TEXT
) RETURNS TEXT
LANGUAGE c
AS 'MODULE_PATHNAME', 'transition_wrapper';
CREATE OR REPLACE FUNCTION versioning."config"(
	"tbl" regclass
) RETURNS jsonb
STABLE
LANGUAGE c
AS 'MODULE_PATHNAME', 'config_wrapper';
CREATE OR REPLACE FUNCTION versioning."protect_label"(
	"tbl" regclass,
	"label" TEXT,
	"role" TEXT
) RETURNS void
LANGUAGE c
AS 'MODULE_PATHNAME', 'protect_label_wrapper';

-- enable: the options order_by and rehash (adopting a populated table). The 0.1.0 C entry
-- point (enable_wrapper, 16 arguments) stays in the library for 0.1.0's declaration.
DROP FUNCTION versioning.enable(regclass, text[], text[], text, text, text, text, text, text, text[], text, text, jsonb, boolean, boolean, boolean);
CREATE FUNCTION versioning."enable"(
	"tbl" regclass,
	"key" TEXT[],
	"content" TEXT[] DEFAULT NULL,
	"version_column" TEXT DEFAULT 'version',
	"hash_column" TEXT DEFAULT 'content_hash',
	"parent_column" TEXT DEFAULT NULL,
	"dedup" TEXT DEFAULT 'any',
	"on_duplicate" TEXT DEFAULT 'skip',
	"lifecycle" TEXT DEFAULT NULL,
	"mutable" TEXT[] DEFAULT ARRAY[]::text[],
	"deleted_column" TEXT DEFAULT NULL,
	"kind_column" TEXT DEFAULT NULL,
	"semver" jsonb DEFAULT NULL,
	"check_version" bool DEFAULT false,
	"audit" bool DEFAULT true,
	"require_schema" bool DEFAULT false,
	"order_by" TEXT[] DEFAULT NULL,
	"rehash" bool DEFAULT false
) RETURNS void
LANGUAGE c
AS 'MODULE_PATHNAME', 'enable_table_wrapper';

-- lineage: a NULL argument is 22004, a dropped table 42P01 (was an internal error).
CREATE OR REPLACE FUNCTION versioning.lineage(child regclass, id anyelement) RETURNS SETOF jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    child_name text := (SELECT format('%I.%I', n.nspname, c.relname)
                          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = child);
    from_row text := (SELECT config ->> 'from_row_column' FROM versioning.carry_forward WHERE child_table = child_name LIMIT 1);
    pk text := (SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                 WHERE i.indrelid = child AND i.indisprimary AND i.indnkeyatts = 1);
BEGIN
    IF child IS NULL OR id IS NULL THEN
        RAISE EXCEPTION 'versioning.lineage: % must not be NULL', CASE WHEN child IS NULL THEN 'child' ELSE 'id' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF child_name IS NULL THEN
        RAISE EXCEPTION 'versioning.lineage: there is no table with OID %', child::oid
            USING ERRCODE = 'undefined_table', HINT = 'The table may have been dropped; name it as ''schema.table''.';
    END IF;
    IF from_row IS NULL OR pk IS NULL THEN
        RAISE EXCEPTION 'table % has no carry-forward rule with a from_row_column', child_name
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'versioning.enable_carry_forward(…, from_row_column => …) records where each copy came from.';
    END IF;
    RETURN QUERY EXECUTE format(
        'WITH RECURSIVE chain AS (
             SELECT c AS r, 0 AS depth FROM %1$s c WHERE c.%2$I = $1
             UNION ALL
             SELECT p, chain.depth + 1 FROM chain JOIN %1$s p ON p.%2$I = (chain.r).%3$I)
         SELECT to_jsonb(r) FROM chain ORDER BY depth', child_name, pk, from_row) USING id;
END $$;

-- Adopting a populated table: the per-row step of enable (src/api/adopt.rs).
CREATE FUNCTION versioning._adopt_row(whole_row record, n bigint) RETURNS bytea
    LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'pgv_adopt_row';

-- A change of a kind's schemas makes every session drop its compiled schemas (also when
-- logical replication applies it: ALWAYS).
CREATE FUNCTION versioning._schemas_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_schemas_changed';
CREATE TRIGGER schemas_changed AFTER INSERT OR UPDATE OR DELETE ON versioning.schemas
    FOR EACH ROW EXECUTE FUNCTION versioning._schemas_changed();
ALTER TABLE versioning.schemas ENABLE ALWAYS TRIGGER schemas_changed;

-- Schema changes follow a versioned table (src/trigger/schema_changes.rs).
CREATE FUNCTION versioning._ddl_start() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_ddl_start';
CREATE FUNCTION versioning._ddl_end() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_ddl_end';
CREATE EVENT TRIGGER versioning_schema_change_start ON ddl_command_start
    WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION versioning._ddl_start();
CREATE EVENT TRIGGER versioning_schema_change_end ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE') EXECUTE FUNCTION versioning._ddl_end();
ALTER EVENT TRIGGER versioning_schema_change_start ENABLE ALWAYS;
ALTER EVENT TRIGGER versioning_schema_change_end ENABLE ALWAYS;

-- versioning.verify (src/api/verify.rs).
CREATE FUNCTION versioning."_verify_sql"(
	"tbl" regclass
) RETURNS TEXT
LANGUAGE c
AS 'MODULE_PATHNAME', 'verify_sql_wrapper';
CREATE FUNCTION versioning._verify_row(whole_row record, n bigint, parent_ok boolean) RETURNS jsonb
    LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'pgv_verify_row';
CREATE FUNCTION versioning.verify(tbl regclass) RETURNS SETOF jsonb LANGUAGE plpgsql AS $$
BEGIN
RETURN QUERY EXECUTE versioning._verify_sql(tbl);
END $$;
COMMENT ON FUNCTION versioning.verify(regclass) IS
  'Integrity check of a versioned table: one jsonb {key, version, problem, detail} per problem; no rows = healthy.';

-- ---- Current-version pointers, retention, label history, scheduled transitions ----

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

-- DROP TABLE also forgets pointers and retention policies.
CREATE OR REPLACE FUNCTION versioning._forget_dropped_tables() RETURNS event_trigger
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

CREATE FUNCTION versioning."_apply_scheduled"(
	"id" bigint
) RETURNS bool
LANGUAGE c
AS 'MODULE_PATHNAME', 'apply_scheduled_wrapper';

CREATE FUNCTION versioning."_label_at"(
	"tbl" regclass,
	"key" TEXT,
	"label" TEXT,
	"at" timestamp with time zone
) RETURNS INT
LANGUAGE c
AS 'MODULE_PATHNAME', 'label_at_wrapper';

CREATE FUNCTION versioning."_label_history"(
	"tbl" regclass,
	"key" TEXT,
	"label" TEXT
) RETURNS SETOF jsonb
LANGUAGE c
AS 'MODULE_PATHNAME', 'label_history_wrapper';

CREATE FUNCTION versioning."_schedule"(
	"tbl" regclass,
	"key" TEXT,
	"version" INT,
	"to_state" TEXT,
	"at" timestamp with time zone
) RETURNS bigint
LANGUAGE c
AS 'MODULE_PATHNAME', 'schedule_wrapper';

CREATE FUNCTION versioning."_scheduled_failed"(
	"id" bigint,
	"sqlstate" TEXT,
	"message" TEXT
) RETURNS void
LANGUAGE c
AS 'MODULE_PATHNAME', 'scheduled_failed_wrapper';

CREATE FUNCTION versioning."disable_current"(
	"tbl" regclass,
	"target" regclass
) RETURNS void
LANGUAGE c
AS 'MODULE_PATHNAME', 'disable_current_wrapper';

CREATE FUNCTION versioning."prune"(
	"tbl" regclass DEFAULT NULL
) RETURNS bigint
LANGUAGE c
AS 'MODULE_PATHNAME', 'prune_wrapper';

CREATE FUNCTION versioning."prune_log"(
	"older_than" interval
) RETURNS bigint
LANGUAGE c
AS 'MODULE_PATHNAME', 'prune_log_wrapper';

CREATE FUNCTION versioning."set_retention"(
	"tbl" regclass,
	"keep_last" INT DEFAULT NULL,
	"keep_for" interval DEFAULT NULL,
	"keep_states" TEXT[] DEFAULT ARRAY[]::text[]
) RETURNS void
LANGUAGE c
AS 'MODULE_PATHNAME', 'set_retention_wrapper';

CREATE FUNCTION versioning."unschedule"(
	"id" bigint
) RETURNS void
LANGUAGE c
AS 'MODULE_PATHNAME', 'unschedule_wrapper';

-- Current-version pointers: the AFTER row trigger versioning.enable_current attaches.
CREATE FUNCTION versioning._current_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pgv_current_changed';
-- Current-version pointers (src/api/current.rs).
CREATE FUNCTION versioning.enable_current(tbl regclass, target regclass, "match" jsonb, set jsonb, state text DEFAULT NULL)
    RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'enable_current_wrapper';
-- Label history, read from the log's records of label moves.
CREATE FUNCTION versioning.label(tbl regclass, key jsonb, label text, at timestamptz) RETURNS int
    LANGUAGE sql STABLE RETURN versioning._label_at(tbl, key::pg_catalog.text, label, at);
CREATE FUNCTION versioning.label_history(tbl regclass, key jsonb, label text) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
    BEGIN ATOMIC SELECT versioning._label_history(tbl, key::pg_catalog.text, label); END;
-- Scheduled transitions.
CREATE FUNCTION versioning.schedule(tbl regclass, key jsonb, version int, to_state text, at timestamptz) RETURNS bigint
    LANGUAGE sql RETURN versioning._schedule(tbl, key::pg_catalog.text, version, to_state, at);
-- Applies every due transition the caller may act for (the roles it is a member of; all for a
-- superuser), in time order, each in a subtransaction of its own: one that is no longer allowed
-- is marked failed with the reason and does not stop the others. Returns how many it applied.
CREATE FUNCTION versioning.run_due() RETURNS int
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    due bigint;
    applied int := 0;
BEGIN
    FOR due IN SELECT id FROM versioning.scheduled
                WHERE state = 'pending' AND at <= pg_catalog.now() ORDER BY at, id LOOP
        BEGIN
            IF versioning._apply_scheduled(due) THEN
                applied := applied + 1;
            END IF;
        EXCEPTION
            -- the caller's transaction is what failed: let it retry as a whole
            WHEN serialization_failure OR deadlock_detected OR lock_not_available OR query_canceled THEN
                RAISE;
            WHEN OTHERS THEN
                PERFORM versioning._scheduled_failed(due, SQLSTATE, SQLERRM);
        END;
    END LOOP;
    RETURN applied;
END $$;
