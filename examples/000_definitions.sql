-- Example 000: one unified "definitions" table versions every entity kind (workflow_def,
-- task, action, persona, prompt_spec, artifact_type, model_profile). Identity is reference +
-- scope (project_id, library_id); "name" lives in the JSON content, so renaming is a new
-- version; equal content is deduplicated through the content hash.
-- How versions, hashes and duplicates behave: docs/versioning.md; every function, option
-- and error: docs/reference.md.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;
CREATE SCHEMA example_000;
SET search_path = example_000, public;

-- The application references projects and libraries without defining them here: minimal
-- stand-ins so its foreign keys can stay.
CREATE TABLE projects  (id text PRIMARY KEY, name text NOT NULL);
CREATE TABLE libraries (id text PRIMARY KEY, name text NOT NULL);

-- The application's pgTable('definitions'), as Drizzle creates it.
CREATE TABLE definitions (
  id           text PRIMARY KEY,
  kind         text NOT NULL,  -- 'workflow_def' | 'task' | 'action' | 'persona' | 'prompt_spec' | 'artifact_type' | 'model_profile'
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

-- Each kind's Zod schema becomes a JSON Schema in the database's registry (kinds without one,
-- such as 'action' here, are not checked). Registering the same schema again changes nothing.
SELECT versioning.register_schema('workflow_def', '{
  "type": "object", "required": ["name", "steps"], "additionalProperties": false,
  "properties": {"name":  {"type": "string", "minLength": 1},
                 "steps": {"type": "array", "items": {"type": "string"}, "minItems": 1}}}') AS workflow_def_schema;
SELECT versioning.register_schema('task', '{
  "type": "object", "required": ["name"],
  "properties": {"name": {"type": "string", "minLength": 1},
                 "timeoutSeconds": {"type": "integer", "minimum": 1}}}') AS task_schema;

-- The migration: one call. The content hash covers the JSON content only; the kind column
-- says which schema checks it.
SELECT versioning.enable('definitions',
         key         => ARRAY['reference', 'project_id', 'library_id'],
         content     => ARRAY['content'],
         kind_column => 'kind');
-- What enable derived: every option with its value (docs/reference.md explains each).
SELECT jsonb_pretty(versioning.config('definitions')) AS config;
-- The application's own unique constraints put version before the scope columns and treat
-- NULL scopes as distinct (two unscoped rows with the same reference and version would not
-- collide), so enable adds its two indexes beside them: definitions_versions, unique per
-- (key, version) with NULL scopes equal, and definitions_content_hashes for finding
-- duplicates.
SELECT indexname, indexdef FROM pg_indexes
 WHERE schemaname = 'example_000' AND tablename = 'definitions' ORDER BY indexname;

-- :started marks when this run began (to count its own entries in the audit log).
SELECT now() AS started \gset
INSERT INTO projects  VALUES ('proj-1', 'Project One');
INSERT INTO libraries VALUES ('lib-core', 'Core Library');

-- create(kind, reference, content, scope): a plain INSERT. The repository no longer computes
-- version or content_hash, nor validates content.
INSERT INTO definitions (id, kind, reference, content)
VALUES ('def-01', 'workflow_def', 'wf.onboarding', '{"name": "Onboarding", "steps": ["collect", "verify"]}')
RETURNING reference, version, content_hash = versioning.content_hash(content) AS hash_ok;

-- Changing the name changes the content: version 2.
INSERT INTO definitions (id, kind, reference, content)
VALUES ('def-02', 'workflow_def', 'wf.onboarding', '{"name": "Customer onboarding", "steps": ["collect", "verify"]}')
RETURNING reference, version;

-- The same content again (keys in another order) is a duplicate: no row is stored ...
INSERT INTO definitions (id, kind, reference, content)
VALUES ('def-03', 'workflow_def', 'wf.onboarding', '{"steps": ["collect", "verify"], "name": "Onboarding"}')
RETURNING reference, version;
-- ... and getByReferenceAndHash finds the version that has it.
SELECT id, version FROM definitions
 WHERE reference = 'wf.onboarding' AND project_id IS NULL AND library_id IS NULL
   AND content_hash = versioning.content_hash('{"steps": ["collect", "verify"], "name": "Onboarding"}');

-- versioning.put is create() for clients that want a row back every time: the new version,
-- or the existing one when the content is a duplicate (here: def-01, version 1).
SELECT v ->> 'id' AS id, v ->> 'version' AS version
  FROM versioning.put('definitions', '{"id": "def-04", "kind": "workflow_def", "reference": "wf.onboarding",
                                       "content": {"name": "Onboarding", "steps": ["collect", "verify"]}}') AS v;
SELECT v ->> 'id' AS id, v ->> 'version' AS version
  FROM versioning.put('definitions', '{"id": "def-05", "kind": "workflow_def", "reference": "wf.onboarding",
                                       "content": {"name": "Onboarding", "steps": ["collect", "verify", "welcome"]}}') AS v;

-- Scope is part of the identity: the same reference in a project or a library is another
-- entity, numbered from 1. (30 and 30.0 are the same JSON number: a duplicate.)
INSERT INTO definitions (id, kind, reference, content, project_id) VALUES
  ('def-06', 'workflow_def', 'wf.onboarding', '{"name": "Onboarding", "steps": ["collect"]}', 'proj-1'),
  ('def-14', 'workflow_def', 'wf.onboarding', '{"name": "Onboarding", "steps": ["collect", "sign"]}', 'proj-1');
INSERT INTO definitions (id, kind, reference, content, library_id) VALUES
  ('def-07', 'task', 'task.verify', '{"name": "Verify", "timeoutSeconds": 30}',   'lib-core'),
  ('def-08', 'task', 'task.verify', '{"name": "Verify", "timeoutSeconds": 30.0}', 'lib-core'),
  ('def-09', 'task', 'task.verify', '{"name": "Verify", "timeoutSeconds": 60}',   'lib-core');

-- "Wipe existing data and repopulate": a bulk INSERT … SELECT of other kinds.
INSERT INTO definitions (id, kind, reference, content)
SELECT 'def-' || k || '-' || n, k, k || '.default', jsonb_build_object('name', initcap(k), 'revision', n)
  FROM unnest(ARRAY['action', 'persona', 'prompt_spec', 'artifact_type', 'model_profile']) AS k,
       generate_series(1, 2) AS n
 ORDER BY k, n;

SELECT kind, reference, project_id, library_id, version, content
  FROM definitions
 ORDER BY reference, project_id NULLS FIRST, library_id NULLS FIRST, version;

-- The repository's reads.
-- getLatest(kind, reference, scope) and getVersion(kind, reference, version, scope); a scope
-- column left out of the key is NULL:
SELECT versioning.latest('definitions', '{"reference": "wf.onboarding"}') -> 'content' AS latest;
SELECT versioning.latest('definitions', '{"reference": "wf.onboarding", "project_id": "proj-1"}') -> 'content' AS latest_in_proj_1;
SELECT versioning.get('definitions', '{"reference": "task.verify", "library_id": "lib-core"}', 1) -> 'content' AS task_v1;
-- The same getLatest as the plain SQL the repository had (IS NOT DISTINCT FROM matches a
-- NULL scope too):
SELECT version, content ->> 'name' AS name, content -> 'steps' AS steps FROM definitions
 WHERE kind = 'workflow_def' AND reference = 'wf.onboarding'
   AND project_id IS NOT DISTINCT FROM 'proj-1' AND library_id IS NOT DISTINCT FROM NULL
 ORDER BY version DESC LIMIT 1;
-- getMaxVersionByReference(kind, reference, scope), as plain SQL:
SELECT max(version) AS max_version FROM definitions
 WHERE kind = 'task' AND reference = 'task.verify' AND project_id IS NULL AND library_id = 'lib-core';
-- What changed between two versions (a JSON Patch of the content):
SELECT versioning.diff('definitions', '{"reference": "wf.onboarding"}', 1, 3) AS v1_to_v3;
-- Every version of a definition, newest first:
SELECT h ->> 'version' AS version, h -> 'content' ->> 'name' AS name
  FROM versioning.history('definitions', '{"reference": "wf.onboarding"}') h
 ORDER BY (h ->> 'version')::int DESC;
-- An entity-specific query (listActionsByKind) with JSON operators on content: the latest
-- version of every definition of a kind.
SELECT DISTINCT ON (reference, project_id, library_id) reference, version, content ->> 'name' AS name
  FROM definitions
 WHERE kind = 'action'
 ORDER BY reference, project_id, library_id, version DESC;

-- Content its kind's schema rejects is refused, with every failing place listed.
INSERT INTO definitions (id, kind, reference, content)
VALUES ('def-12', 'workflow_def', 'wf.broken', '{"name": "", "steps": ["collect", 2], "owner": "me"}');
INSERT INTO definitions (id, kind, reference, content)
VALUES ('def-13', 'task', 'task.broken', '{"name": "Broken", "timeoutSeconds": 0}');

-- Versions are immutable: editing one is refused ...
UPDATE definitions SET content = content || '{"name": "Renamed"}' WHERE id = 'def-01';
-- ... and so is the repository's delete(id, version?): a stored version stays.
DELETE FROM definitions WHERE id = 'def-02';
-- A client that still computes version or hash itself: a wrong hash is refused, the right
-- one is accepted, and a stale version number is replaced by the right one (the trigger owns
-- numbering, so a stale or racing client cannot store a duplicate version).
INSERT INTO definitions (id, kind, reference, content, content_hash)
VALUES ('def-10', 'task', 'task.notify', '{"name": "Notify"}', 'abc');
INSERT INTO definitions (id, kind, reference, content, content_hash)
VALUES ('def-10', 'task', 'task.notify', '{"name": "Notify"}', versioning.content_hash('{"name": "Notify"}'))
RETURNING reference, version;
INSERT INTO definitions (id, kind, reference, content, version)
VALUES ('def-11', 'task', 'task.notify', '{"name": "Notify", "timeoutSeconds": 5}', 1)
RETURNING reference, version;

-- In the end every entity's versions are exactly 1..N, and the audit log has one entry per
-- stored version (none for duplicates or refused rows).
SELECT reference, project_id, library_id, array_agg(version ORDER BY version) AS versions
  FROM definitions GROUP BY reference, project_id, library_id
 ORDER BY reference, project_id NULLS FIRST, library_id NULLS FIRST;
SELECT count(*) AS versions,
       (SELECT count(*) FROM versioning.log
         WHERE table_name = 'example_000.definitions' AND at >= :'started') AS log_entries
  FROM definitions;

SET client_min_messages = warning;
DROP SCHEMA example_000 CASCADE;
RESET client_min_messages;
