-- versioning.enable / disable / config and the versioning.tables catalog (docs/reference.md,
-- "Options", "Tables", "Errors").
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- Everything the extension owns lives in schema "versioning".
SELECT extname, extnamespace::regnamespace AS schema, extrelocatable
  FROM pg_extension WHERE extname = 'pg_versioning';

------------------------------------------------------------------------------------------
-- A table shaped like the "definitions" of examples/000_definitions.sql, plus columns that show the
-- default rule.
CREATE TABLE en_definitions (
  id           text PRIMARY KEY,                          -- primary key: never content
  kind         text NOT NULL,
  reference    text NOT NULL,
  version      integer NOT NULL DEFAULT 1,
  content_hash text NOT NULL,
  content      jsonb NOT NULL,
  project_id   text,
  library_id   text,
  label        text DEFAULT 'none',                       -- immutable default: content
  created_at   timestamptz NOT NULL DEFAULT now(),        -- volatile default: not content
  request_id   uuid DEFAULT gen_random_uuid(),            -- volatile default: not content
  seq          bigint GENERATED ALWAYS AS IDENTITY,       -- identity: not content
  ref_length   int GENERATED ALWAYS AS (length(reference)) STORED  -- generated: not content
);

SELECT versioning.enable('en_definitions', key => ARRAY['reference', 'project_id', 'library_id']);

-- The effective configuration: content was chosen by the default rule (kind, content, label).
SELECT jsonb_pretty(versioning.config('en_definitions'));

-- versioning.tables lists it under its schema-qualified name.
SELECT table_name, enabled_by, config->'key' AS key, config->'content' AS content
  FROM versioning.tables WHERE table_name LIKE 'public.en\_%' ORDER BY table_name;

-- enable created the two indexes the guarantees need: unique (key…, version) with
-- NULLS NOT DISTINCT, and (key…, hash) for dedup.
SELECT indexname, indexdef FROM pg_indexes
 WHERE schemaname = 'public' AND tablename = 'en_definitions' ORDER BY indexname;

-- ... and the two row triggers.
SELECT tgname, pg_get_triggerdef(oid) AS definition FROM pg_trigger
 WHERE tgrelid = 'en_definitions'::regclass AND NOT tgisinternal ORDER BY tgname;

------------------------------------------------------------------------------------------
-- Idempotence: the same call again (a later transaction) is a no-op: configuration,
-- enabled_at, indexes and triggers stay as they were.
CREATE TEMP TABLE en_before AS
  SELECT config, enabled_at,
         (SELECT count(*) FROM pg_indexes WHERE tablename = 'en_definitions') AS indexes,
         (SELECT array_agg(oid ORDER BY oid) FROM pg_trigger
           WHERE tgrelid = 'en_definitions'::regclass AND NOT tgisinternal) AS triggers
    FROM versioning.tables WHERE table_name = 'public.en_definitions';
SELECT versioning.enable('en_definitions', key => ARRAY['reference', 'project_id', 'library_id']);
SELECT t.config = b.config AS same_config,
       t.enabled_at = b.enabled_at AS same_enabled_at,
       (SELECT count(*) FROM pg_indexes WHERE tablename = 'en_definitions') = b.indexes AS same_indexes,
       (SELECT array_agg(oid ORDER BY oid) FROM pg_trigger
         WHERE tgrelid = 'en_definitions'::regclass AND NOT tgisinternal) = b.triggers AS same_triggers
  FROM versioning.tables t, en_before b
 WHERE t.table_name = 'public.en_definitions';

-- Spelling the defaults out is the same configuration, so also a no-op.
SELECT versioning.enable('en_definitions', key => ARRAY['reference', 'project_id', 'library_id'],
                         version_column => 'version', hash_column => 'content_hash',
                         dedup => 'any', on_duplicate => 'skip', audit => true);
SELECT t.enabled_at = b.enabled_at AS same_enabled_at
  FROM versioning.tables t, en_before b WHERE t.table_name = 'public.en_definitions';

-- A call with other options replaces the configuration.
SELECT versioning.enable('en_definitions', key => ARRAY['reference', 'project_id', 'library_id'],
                         content => ARRAY['content'], dedup => 'latest', on_duplicate => 'error',
                         mutable => ARRAY['label'], check_version => true, audit => false);
SELECT config->'content' AS content, config->>'content_is_default' AS content_is_default,
       config->>'dedup' AS dedup, config->>'on_duplicate' AS on_duplicate,
       config->'mutable' AS mutable, config->>'check_version' AS check_version,
       config->>'audit' AS audit
  FROM versioning.tables WHERE table_name = 'public.en_definitions';
-- Still one row per table, and no extra indexes or triggers.
SELECT count(*) AS rows FROM versioning.tables WHERE table_name = 'public.en_definitions';
SELECT count(*) AS indexes FROM pg_indexes WHERE tablename = 'en_definitions';
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'en_definitions'::regclass AND NOT tgisinternal;

------------------------------------------------------------------------------------------
-- An existing equivalent index is reused: application-style unique constraints on exactly
-- (key…, version) NULLS NOT DISTINCT and an index on (key…, hash) mean nothing is created.
CREATE TABLE en_reuse (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference text NOT NULL,
  scope text,
  version int NOT NULL,
  content_hash text NOT NULL,
  body text NOT NULL,
  CONSTRAINT en_reuse_unique_version UNIQUE NULLS NOT DISTINCT (reference, scope, version)
);
CREATE INDEX en_reuse_by_hash ON en_reuse (reference, scope, content_hash);
SELECT versioning.enable('en_reuse', key => ARRAY['reference', 'scope']);
SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'en_reuse' ORDER BY indexname;

-- A unique index without NULLS NOT DISTINCT is not equivalent (NULL keys would not collide),
-- so enable adds its own beside it.
CREATE TABLE en_nulls_distinct (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference text NOT NULL,
  scope text,
  version int NOT NULL,
  content_hash text,
  body text,
  UNIQUE (reference, scope, version)
);
SELECT versioning.enable('en_nulls_distinct', key => ARRAY['reference', 'scope']);
SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'en_nulls_distinct' ORDER BY indexname;

------------------------------------------------------------------------------------------
-- Quoted names: the table is stored under its quoted, schema-qualified name.
CREATE SCHEMA "En Schema";
CREATE TABLE "En Schema"."Odd Table" ("Ref" text, "Ver" int, "Hash" bytea, "Body" jsonb);
SELECT versioning.enable('"En Schema"."Odd Table"', key => ARRAY['Ref'],
                         version_column => 'Ver', hash_column => 'Hash');
SELECT table_name, config->'content' AS content FROM versioning.tables
 WHERE table_name LIKE '%Odd%' ORDER BY table_name;
SELECT indexname FROM pg_indexes WHERE schemaname = 'En Schema' ORDER BY indexname;

------------------------------------------------------------------------------------------
-- Validation. Every error names the column and the table; nothing is stored on failure.
CREATE TABLE en_check (
  id int PRIMARY KEY,
  ref text,
  version int,
  content_hash text,
  body jsonb,
  note text,
  prev int,
  prev_text text,
  version_text text,
  hash_int int
);

-- Unknown columns: 42703, whichever option names them.
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['nope']) $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], content => ARRAY['body', 'nope']) $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], version_column => 'nope') $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], hash_column => 'nope') $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], parent_column => 'nope') $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], mutable => ARRAY['nope']) $$);
-- Column names are case-sensitive identifiers, not folded.
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['REF']) $$);

-- Wrong types: 42804.
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], version_column => 'version_text') $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], hash_column => 'hash_int') $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], parent_column => 'prev_text') $$);

-- Bad option values: 22023.
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], dedup => 'sometimes') $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], on_duplicate => 'ignore') $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], hash_column => NULL) $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], hash_column => NULL, dedup => 'latest') $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], mutable => ARRAY['ref']) $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], content => ARRAY['body', 'version']) $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], hash_column => 'ref') $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], parent_column => 'version') $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY[]::text[]) $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref', NULL]) $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], content => ARRAY[]::text[]) $$);

-- A NULL where an option needs a value is a bad option value too (22023), never an
-- internal error: the message names the option.
SELECT o.option, e.sqlstate, e.message ~* o.pattern AS names_the_option
  FROM (VALUES ('tbl', 'tbl|table', $$ SELECT versioning.enable(NULL, key => ARRAY['ref']) $$),
               ('key', 'key', $$ SELECT versioning.enable('en_check', key => NULL) $$),
               ('version_column', 'version_column', $$ SELECT versioning.enable('en_check', key => ARRAY['ref'], version_column => NULL) $$),
               ('dedup', 'dedup', $$ SELECT versioning.enable('en_check', key => ARRAY['ref'], dedup => NULL) $$),
               ('on_duplicate', 'on_duplicate', $$ SELECT versioning.enable('en_check', key => ARRAY['ref'], on_duplicate => NULL) $$),
               ('mutable', 'mutable', $$ SELECT versioning.enable('en_check', key => ARRAY['ref'], mutable => NULL) $$),
               ('check_version', 'check_version', $$ SELECT versioning.enable('en_check', key => ARRAY['ref'], check_version => NULL) $$),
               ('audit', 'audit', $$ SELECT versioning.enable('en_check', key => ARRAY['ref'], audit => NULL) $$)
       ) AS o(option, pattern, sql),
       LATERAL (SELECT substr(r, 7, 5) AS sqlstate, substr(r, 14) AS message
                  FROM regress_util.try(o.sql) AS r LIMIT 1) AS e
 ORDER BY o.option;

-- A lifecycle and a soft-delete column are checked against the table (a missing status
-- column, a soft-delete column that is not a timestamp).
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], lifecycle => 'publish') $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], deleted_column => 'note') $$);
-- kind_column needs the content to be one jsonb (or json) document: 42804.
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], kind_column => 'note') $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], semver => '{"change_type": "note"}') $$);

-- None of the failed calls stored anything or attached a trigger.
SELECT count(*) AS stored FROM versioning.tables WHERE table_name = 'public.en_check';
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'en_check'::regclass;

-- A valid parent_column (same type as the primary key) is accepted.
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], content => ARRAY['body'], parent_column => 'prev') $$);
SELECT config->>'parent_column' AS parent_column, config->'primary_key' AS primary_key
  FROM versioning.tables WHERE table_name = 'public.en_check';
-- hash_column => NULL is fine with dedup => 'off': no hash stored, no hash index.
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref'], content => ARRAY['body'], hash_column => NULL, dedup => 'off') $$);
SELECT config->>'hash_column' AS hash_column, config->>'dedup' AS dedup
  FROM versioning.tables WHERE table_name = 'public.en_check';

------------------------------------------------------------------------------------------
-- Only the table's owner may turn versioning on or off: 42501.
BEGIN;
CREATE ROLE regress_pgv_enable_other;
GRANT ALL ON en_check, en_definitions TO regress_pgv_enable_other;
SET ROLE regress_pgv_enable_other;
SELECT regress_util.try($$ SELECT versioning.enable('en_check', key => ARRAY['ref']) $$);
SELECT regress_util.try($$ SELECT versioning.disable('en_definitions') $$);
-- Anyone may read the configuration.
SELECT versioning.config('en_definitions')->'key' AS key;
RESET ROLE;
ROLLBACK;

-- Only tables can be versioned: a view is refused; a partitioned table is versioned
-- (32_partitioned has the rest).
CREATE VIEW en_view AS SELECT * FROM en_check;
SELECT regress_util.try($$ SELECT versioning.enable('en_view', key => ARRAY['ref']) $$);
CREATE TABLE en_parted (ref text, version int, content_hash text, body text) PARTITION BY LIST (ref);
SELECT regress_util.try($$ SELECT versioning.enable('en_parted', key => ARRAY['ref']) $$);
SELECT regress_util.try($$ SELECT versioning.enable('en_missing', key => ARRAY['ref']) $$);

------------------------------------------------------------------------------------------
-- disable removes the triggers and the configuration and keeps every row and index.
CREATE TABLE en_off (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ref text,
                     version int NOT NULL DEFAULT 0, content_hash text, body text);
SELECT versioning.enable('en_off', key => ARRAY['ref']);
INSERT INTO en_off (ref, body) VALUES ('a', 'one'), ('a', 'two');
SELECT versioning.disable('en_off');
SELECT count(*) AS stored FROM versioning.tables WHERE table_name = 'public.en_off';
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'en_off'::regclass AND NOT tgisinternal;
SELECT indexname FROM pg_indexes WHERE tablename = 'en_off' ORDER BY indexname;
-- Rows are now plain rows: no version assigned, no hash, and updates are allowed.
INSERT INTO en_off (ref, body) VALUES ('a', 'three');
UPDATE en_off SET body = 'ONE' WHERE body = 'one';
SELECT ref, version, content_hash IS NOT NULL AS hashed, body FROM en_off ORDER BY id;
-- A table that is not versioned can be renamed and enabled under its new name; a versioned
-- table's configuration follows a rename (tests/pg_regress/sql/24_schema_changes.sql).
ALTER TABLE en_off RENAME TO en_off_renamed;
-- (The rows changed while versioning was off: their stored hashes no longer match the content,
-- so enable replaces them only when asked to, with rehash => true.)
SELECT versioning.enable('en_off_renamed', key => ARRAY['ref'], rehash => true);
ALTER TABLE en_off_renamed RENAME TO en_moved;
SELECT regress_util.try($$ INSERT INTO en_moved (ref, body) VALUES ('a', 'four') $$);
SELECT versioning.enable('en_moved', key => ARRAY['ref']);
INSERT INTO en_moved (ref, body) VALUES ('b', 'one') RETURNING ref, version;
SELECT versioning.disable('en_moved');
ALTER TABLE en_moved RENAME TO en_off;

-- config() and disable() of a table that is not versioned: 55000 with a hint.
SELECT regress_util.try($$ SELECT versioning.config('en_off') $$);
SELECT regress_util.try($$ SELECT versioning.disable('en_off') $$);

-- Clean up.
SET client_min_messages = warning;
DROP TABLE en_definitions, en_reuse, en_nulls_distinct, en_check, en_off, en_parted CASCADE;
DROP SCHEMA "En Schema" CASCADE;
RESET client_min_messages;
