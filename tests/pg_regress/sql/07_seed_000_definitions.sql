-- Seed 000 as its application would use it: one "definitions" table versions every entity
-- kind (workflow_def, task, action, …); identity is reference + scope (project_id,
-- library_id); the content is a JSON blob; equal content is deduplicated.
-- The application's repository no longer computes version or hash: plain INSERTs do.
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- The application's schema, as Drizzle generates it from the seed's pgTable('definitions').
CREATE TABLE projects  (id text PRIMARY KEY, name text NOT NULL);
CREATE TABLE libraries (id text PRIMARY KEY, name text NOT NULL);
CREATE TABLE definitions (
  id           text PRIMARY KEY,
  kind         text NOT NULL,
  reference    text NOT NULL,
  version      integer NOT NULL,
  content_hash text NOT NULL,
  content      jsonb NOT NULL,
  project_id   text REFERENCES projects (id),
  library_id   text REFERENCES libraries (id),
  created_at   timestamp NOT NULL DEFAULT now(),
  CONSTRAINT definitions_reference_version_project_id_library_id_unique
    UNIQUE (reference, version, project_id, library_id),
  CONSTRAINT definitions_reference_content_hash_project_id_library_id_unique
    UNIQUE (reference, content_hash, project_id, library_id)
);
CREATE INDEX definitions_kind_idx ON definitions (kind);
CREATE INDEX definitions_reference_idx ON definitions (reference);
CREATE INDEX definitions_scope_idx ON definitions (project_id, library_id);

-- The migration: one call.
SELECT versioning.enable('public.definitions',
                         key     => ARRAY['reference', 'project_id', 'library_id'],
                         content => ARRAY['content']);
SELECT jsonb_pretty(versioning.config('definitions') - 'lifecycle' - 'semver' - 'kind_column' - 'deleted_column');

-- The seed's own unique constraints put version before the scope columns and treat NULL
-- scopes as distinct, so enable adds its two indexes beside them.
SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'definitions' ORDER BY indexname;

INSERT INTO projects VALUES ('proj-1', 'Project One');
INSERT INTO libraries VALUES ('lib-core', 'Core Library');

------------------------------------------------------------------------------------------
-- create(kind, reference, content, scope): a plain INSERT. Version and hash are assigned.
INSERT INTO definitions (id, kind, reference, content)
VALUES ('def-01', 'workflow_def', 'wf.onboarding', '{"name": "Onboarding", "steps": ["collect", "verify"]}')
RETURNING reference, project_id, library_id, version, content_hash = versioning.content_hash(content) AS hash_ok;

-- Changing the name is a content change: a new version.
INSERT INTO definitions (id, kind, reference, content)
VALUES ('def-02', 'workflow_def', 'wf.onboarding', '{"name": "Customer onboarding", "steps": ["collect", "verify"]}')
RETURNING reference, version;

-- Creating the same content again is deduplicated: no new row. The repository then finds
-- the existing version by its hash (getByReferenceAndHash).
INSERT INTO definitions (id, kind, reference, content)
VALUES ('def-03', 'workflow_def', 'wf.onboarding', '{"steps": ["collect", "verify"], "name": "Onboarding"}')
RETURNING reference, version;
SELECT id, version FROM definitions
 WHERE reference = 'wf.onboarding' AND project_id IS NULL AND library_id IS NULL
   AND content_hash = versioning.content_hash('{"steps": ["collect", "verify"], "name": "Onboarding"}');

-- The same reference in another scope is another entity with its own versions.
INSERT INTO definitions (id, kind, reference, content, project_id) VALUES
  ('def-04', 'workflow_def', 'wf.onboarding', '{"name": "Onboarding", "steps": ["collect"]}', 'proj-1'),
  ('def-05', 'workflow_def', 'wf.onboarding', '{"name": "Onboarding", "steps": ["collect", "sign"]}', 'proj-1');
INSERT INTO definitions (id, kind, reference, content, library_id) VALUES
  ('def-06', 'task', 'task.verify', '{"name": "Verify", "timeoutSeconds": 30}', 'lib-core'),
  ('def-07', 'task', 'task.verify', '{"name": "Verify", "timeoutSeconds": 30.0}', 'lib-core'),   -- same content (30 = 30.0)
  ('def-08', 'task', 'task.verify', '{"name": "Verify", "timeoutSeconds": 60}', 'lib-core');
-- Seeding many kinds at once (INSERT … SELECT), as the repopulating migration does.
INSERT INTO definitions (id, kind, reference, content)
SELECT 'def-' || k || '-' || v, k, k || '.default', jsonb_build_object('name', initcap(k), 'revision', v)
  FROM unnest(ARRAY['action', 'persona', 'prompt_spec', 'artifact_type', 'model_profile']) AS k,
       generate_series(1, 2) AS v
 ORDER BY k, v;

SELECT reference, project_id, library_id, version, kind, content
  FROM definitions ORDER BY reference, project_id NULLS FIRST, library_id NULLS FIRST, version;

------------------------------------------------------------------------------------------
-- The repository's reads stay plain SQL.
-- getLatest(kind, reference, scope)
SELECT version, content->>'name' AS name FROM definitions
 WHERE kind = 'workflow_def' AND reference = 'wf.onboarding'
   AND project_id IS NOT DISTINCT FROM 'proj-1' AND library_id IS NOT DISTINCT FROM NULL
 ORDER BY version DESC LIMIT 1;
-- getVersion(kind, reference, version, scope)
SELECT id, content FROM definitions
 WHERE kind = 'workflow_def' AND reference = 'wf.onboarding' AND project_id IS NULL AND library_id IS NULL AND version = 1;
-- getMaxVersionByReference(kind, reference, scope)
SELECT max(version) FROM definitions
 WHERE kind = 'task' AND reference = 'task.verify' AND project_id IS NULL AND library_id = 'lib-core';
-- Entity-specific queries use JSON operators on content: latest version of every definition.
SELECT DISTINCT ON (reference, project_id, library_id)
       kind, reference, project_id, library_id, version, content->>'name' AS name
  FROM definitions
 ORDER BY reference, project_id NULLS FIRST, library_id NULLS FIRST, version DESC;

------------------------------------------------------------------------------------------
-- What the table now refuses: versions are immutable.
SELECT regress_util.try($$ UPDATE definitions SET content = content || '{"name": "Renamed"}' WHERE id = 'def-01' $$);
-- The repository's delete(id, version?) is refused: a frozen version cannot be removed
-- (SPEC 4: versioning.purge will be the one way; soft delete needs deleted_column).
SELECT regress_util.try($$ DELETE FROM definitions WHERE id = 'def-02' $$);
-- The hash column is the extension's: a client-computed hash must be the right one.
SELECT regress_util.try($$ INSERT INTO definitions (id, kind, reference, content, content_hash)
                      VALUES ('def-99', 'task', 'task.x', '{"name": "X"}', 'abc') $$);
INSERT INTO definitions (id, kind, reference, content, content_hash)
VALUES ('def-98', 'task', 'task.x', '{"name": "X"}', versioning.content_hash('{"name": "X"}'))
RETURNING reference, version;
-- A version the application still computes itself (max + 1, as the seed did) is replaced:
-- the trigger owns numbering, so a stale or racing client cannot store a duplicate version.
INSERT INTO definitions (id, kind, reference, content, version)
VALUES ('def-97', 'task', 'task.x', '{"name": "X2"}', 1)
RETURNING reference, version;

-- Every entity's versions are exactly 1..N.
SELECT reference, project_id, library_id, array_agg(version ORDER BY version) AS versions
  FROM definitions GROUP BY reference, project_id, library_id
 ORDER BY reference, project_id NULLS FIRST, library_id NULLS FIRST;
-- and one audit row per version.
SELECT count(*) AS versions, (SELECT count(*) FROM versioning.log WHERE table_name = 'public.definitions') AS log_rows
  FROM definitions;

DROP TABLE definitions, projects, libraries;
