-- pg_versioning benchmark: the tables (run once per benchmark run, in a fresh database).
-- Every target table has the same columns and the same two indexes the extension needs:
-- unique (key, version) NULLS NOT DISTINCT and (key, hash), named as versioning.enable() names
-- them (<table>_versions, <table>_content_hashes), so enable() adds no index of its own
-- (run.sh checks that every table ends up with exactly these two).
SET client_min_messages = warning;
CREATE EXTENSION pg_versioning;

-- CPU time of the calling backend in ns (Linux /proc/self/schedstat; superuser only), NULL if
-- unavailable (run.sh then falls back to wall-clock time).
CREATE FUNCTION bench_cpu_ns() RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
  RETURN split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::numeric;
EXCEPTION WHEN OTHERS THEN
  RETURN NULL;
END $$;

-- The source of the bulk runs: 100,000 rows over 1,000 keys (100 versions each), ~300 bytes
-- of jsonb content, every content distinct (so no variant skips a row). Version and hash are
-- precomputed so that the plain variant does no work the others do not have to do.
-- Physical order interleaves the keys (every key's version 1, then every key's version 2, …).
CREATE TABLE src AS
SELECT 'ref-' || lpad(k::text, 4, '0') AS reference,
       v AS version,
       c AS content,
       versioning.content_hash(c) AS content_hash
  FROM generate_series(1, 100) v, generate_series(0, 999) k,
       LATERAL (SELECT jsonb_build_object(
                  'name', 'Definition ' || k,
                  'kind', (ARRAY['task', 'action', 'persona', 'prompt_spec'])[1 + k % 4],
                  'revision', v,
                  'description', 'Revision ' || v || ' of definition ' || k || ': ' || repeat('lorem ipsum ', 8),
                  'tags', jsonb_build_array('tag-' || (k % 7), 'tag-' || (v % 5)),
                  'settings', jsonb_build_object('temperature', round((v % 10) / 10.0, 1), 'max_tokens', 256 + v,
                                                 'enabled', v % 2 = 0)) AS c) content
 ORDER BY v, k;
VACUUM ANALYZE src;

-- (a) plain, (b) hand-written PL/pgSQL trigger, (c) pg_versioning, (c') pg_versioning without audit
CREATE TABLE t_plain (
    reference    text NOT NULL,
    version      integer NOT NULL,
    content_hash text,
    content      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE t_plpgsql      (LIKE t_plain INCLUDING DEFAULTS);
CREATE TABLE t_pgv          (LIKE t_plain INCLUDING DEFAULTS);
CREATE TABLE t_pgv_noaudit  (LIKE t_plain INCLUDING DEFAULTS);
-- (d) plain and (e) pg_versioning into the same table hash-partitioned 8 ways by the key
CREATE TABLE t_plain_parted (LIKE t_plain INCLUDING DEFAULTS) PARTITION BY HASH (reference);
CREATE TABLE t_pgv_parted   (LIKE t_plain INCLUDING DEFAULTS) PARTITION BY HASH (reference);
DO $$
BEGIN
  FOR i IN 0..7 LOOP
    EXECUTE format('CREATE TABLE t_plain_parted_%s PARTITION OF t_plain_parted FOR VALUES WITH (MODULUS 8, REMAINDER %s) WITH (autovacuum_enabled = off)', i, i);
    EXECUTE format('CREATE TABLE t_pgv_parted_%s PARTITION OF t_pgv_parted FOR VALUES WITH (MODULUS 8, REMAINDER %s) WITH (autovacuum_enabled = off)', i, i);
  END LOOP;
END $$;
-- (f) The floor of an audited insert: the same log records written by plain INSERTs into a
-- table shaped and indexed like versioning.log (its hash index on the key), the keys
-- precomputed in src_log (src's rows, in src's order). What one indexed log record per version
-- costs PostgreSQL itself, whoever writes it (run.sh and copy.sh time it beside the plain
-- insert, in the same statement or transaction).
CREATE TABLE log_plain (LIKE versioning.log INCLUDING ALL);
CREATE TABLE src_log AS SELECT jsonb_build_object('reference', reference) AS key, version FROM src;
-- Single-row inserts: plain vs pg_versioning. The plain table cannot compute a version, so its
-- version comes from a sequence (unique per row, so the unique index holds); its statements
-- carry a random hash (run.sh), so both tables' (key, hash) indexes get the same kind of entries.
CREATE SEQUENCE pb_plain_version;
CREATE TABLE pb_plain       (LIKE t_plain INCLUDING DEFAULTS);
ALTER TABLE pb_plain ALTER version SET DEFAULT nextval('pb_plain_version');
CREATE TABLE pb_pgv         (LIKE t_plain INCLUDING DEFAULTS);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['t_plain', 't_plpgsql', 't_pgv', 't_pgv_noaudit', 't_plain_parted', 't_pgv_parted', 'pb_plain', 'pb_pgv'] LOOP
    EXECUTE format('CREATE UNIQUE INDEX %I ON %I (reference, version) NULLS NOT DISTINCT', t || '_versions', t);
    EXECUTE format('CREATE INDEX %I ON %I (reference, content_hash)', t || '_content_hashes', t);
  END LOOP;
END $$;

-- (b) What applications write today: lock the key, dedup by (key, hash), max(version) + 1,
-- SHA-256 of the content's text. Both lookups are index scans on the two indexes above
-- (max(version) for one key is a backward index-only scan of (reference, version)).
CREATE FUNCTION t_plpgsql_versioning() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  latest integer;
BEGIN
  NEW.content_hash := encode(sha256(convert_to(NEW.content::text, 'UTF8')), 'hex');
  PERFORM pg_advisory_xact_lock(hashtextextended(NEW.reference, 0));
  IF EXISTS (SELECT FROM t_plpgsql WHERE reference = NEW.reference AND content_hash = NEW.content_hash) THEN
    RETURN NULL;                      -- duplicate content: skip the row
  END IF;
  SELECT max(version) INTO latest FROM t_plpgsql WHERE reference = NEW.reference;
  NEW.version := coalesce(latest, 0) + 1;
  RETURN NEW;
END $$;
CREATE TRIGGER t_plpgsql_versioning BEFORE INSERT ON t_plpgsql
    FOR EACH ROW EXECUTE FUNCTION t_plpgsql_versioning();

-- (c) and (c'): default options, except audit => false for (c')
SELECT versioning.enable('t_pgv', key => ARRAY['reference'], content => ARRAY['content']);
SELECT versioning.enable('t_pgv_noaudit', key => ARRAY['reference'], content => ARRAY['content'], audit => false);
SELECT versioning.enable('t_pgv_parted', key => ARRAY['reference'], content => ARRAY['content']);
SELECT versioning.enable('pb_pgv', key => ARRAY['reference'], content => ARRAY['content']);

-- History depth: a definitions-style key (reference + scope, scope NULL; see
-- examples/000_definitions.sql) with :hist_versions (run.sh: 1,000,000) versions vs one
-- with 10, beside 1,000 ordinary keys. Loaded with versioning.restore = on (supplied versions
-- kept, hashes computed and verified, nothing logged), then analyzed. t_hist_plain holds the
-- same rows with the same indexes and no trigger: what a deep key costs any table (inserts
-- land on random leaf pages of the key's long (key, hash) range), versioned or not.
CREATE TABLE t_hist (
    reference    text NOT NULL,
    project_id   text,
    library_id   text,
    version      integer NOT NULL,
    content_hash text,
    content      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE SEQUENCE t_hist_plain_version START 1000000000;
CREATE TABLE t_hist_plain (LIKE t_hist INCLUDING DEFAULTS);
ALTER TABLE t_hist_plain ALTER version SET DEFAULT nextval('t_hist_plain_version');
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['t_hist', 't_hist_plain'] LOOP
    EXECUTE format('CREATE UNIQUE INDEX %I ON %I (reference, project_id, library_id, version) NULLS NOT DISTINCT', t || '_versions', t);
    EXECUTE format('CREATE INDEX %I ON %I (reference, project_id, library_id, content_hash)', t || '_content_hashes', t);
  END LOOP;
END $$;
SELECT versioning.enable('t_hist', key => ARRAY['reference', 'project_id', 'library_id'], content => ARRAY['content']);
SET versioning.restore = on;
INSERT INTO t_hist (reference, version, content)
SELECT 'deep', v, jsonb_build_object('name', 'deep', 'revision', v, 'description', repeat('lorem ipsum ', 16))
  FROM generate_series(1, :hist_versions) v;
INSERT INTO t_hist (reference, version, content)
SELECT 'shallow', v, jsonb_build_object('name', 'shallow', 'revision', v, 'description', repeat('lorem ipsum ', 16))
  FROM generate_series(1, 10) v;
INSERT INTO t_hist (reference, project_id, version, content)
SELECT 'other-' || k, 'p' || (k % 10), v, jsonb_build_object('name', 'other', 'k', k, 'revision', v)
  FROM generate_series(1, 1000) k, generate_series(1, 10) v;
RESET versioning.restore;
INSERT INTO t_hist_plain SELECT * FROM t_hist;
VACUUM ANALYZE t_hist;
VACUUM ANALYZE t_hist_plain;

-- Kinds: ~10 KB workflow documents checked against a JSON Schema (kind 'bench_workflow') or
-- not (kind 'bench_unchecked', no schema registered); the same table, the same rows otherwise.
CREATE TABLE k_src AS
SELECT i, jsonb_build_object(
         'name', 'Workflow ' || i, 'revision', i, 'owner', 'team-' || (i % 7) || '@example.com',
         'steps', (SELECT jsonb_agg(jsonb_build_object(
                     'id', j, 'name', 'Step ' || j || ' of workflow ' || i,
                     'action', (ARRAY['http', 'script', 'approval', 'wait'])[1 + j % 4],
                     'params', jsonb_build_object('url', 'https://example.com/api/v1/items/' || j,
                                                  'retries', j % 5, 'timeout_ms', 1000 + j,
                                                  'trace', md5(i::text || '/' || j::text))))
                     FROM generate_series(1, 50) j)) AS doc
  FROM generate_series(1, 2000) i;
CREATE TABLE t_kind (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL,
    reference    text NOT NULL,
    version      integer,
    content_hash text,
    content      jsonb NOT NULL
);
SELECT versioning.enable('t_kind', key => ARRAY['reference'], content => ARRAY['content'], kind_column => 'kind', audit => false);
SELECT versioning.register_schema('bench_workflow', '{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["name", "revision", "steps"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "revision": {"type": "integer", "minimum": 1},
    "owner": {"type": "string", "format": "email"},
    "steps": {
      "type": "array", "minItems": 1,
      "items": {
        "type": "object",
        "required": ["id", "name", "action", "params"],
        "additionalProperties": false,
        "properties": {
          "id": {"type": "integer", "minimum": 1},
          "name": {"type": "string", "minLength": 1},
          "action": {"enum": ["http", "script", "approval", "wait"]},
          "params": {
            "type": "object",
            "properties": {
              "url": {"type": "string", "pattern": "^https://"},
              "retries": {"type": "integer", "minimum": 0, "maximum": 10},
              "timeout_ms": {"type": "integer", "minimum": 1},
              "trace": {"type": "string", "pattern": "^[0-9a-f]{32}$"}
            }
          }
        }
      }
    }
  }
}');
