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
    WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION versioning._ddl_end();
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
