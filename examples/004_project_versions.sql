-- Example 004: the consolidated project_versions table. Every build of a project is a
-- version; the metadata worker fills in build results, change type and semantic version
-- right away; users publish and unpublish versions; deleted versions are soft-deleted and
-- hidden from the version history query. Lifecycles, semantic versions and soft delete:
-- docs/versioning.md; the options and errors: docs/reference.md.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;
CREATE SCHEMA example_004;
SET search_path = example_004, public;

-- The application's consolidated schema ("Enhanced project_versions table with essential
-- metadata").
CREATE TABLE project_versions (
    -- Existing Core Identity & Build Data (preserved as-is)
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    version_id text NOT NULL PRIMARY KEY,  -- ULID
    user_id text NOT NULL,
    project_id text NOT NULL,
    prompt text NOT NULL,
    framework text,
    status text NOT NULL,                   -- 'building', 'deployed', 'failed'
    needs_rebuild boolean DEFAULT false,
    parent_version_id text,

    -- Existing URLs and Deployment Info
    preview_url text,
    artifact_url text,
    cf_deployment_id text,

    -- Existing Performance Metrics
    build_duration_ms integer,
    install_duration_ms integer,
    deploy_duration_ms integer,
    output_size_bytes integer,
    artifact_size bigint,
    artifact_checksum character varying(64),

    -- Existing Environment & AI Session Info
    node_version text,
    pnpm_version text,
    ai_json jsonb,
    ai_session_id text,
    ai_session_created_at timestamp without time zone,
    ai_session_last_used_at timestamp without time zone,
    enhanced_prompt text,
    base_snapshot_id text,
    version_metadata_id character(26),

    -- ADDED: Essential Version Metadata (populated during metadata generation)
    version_name character varying(100),    -- "1.0.0"
    version_description text,               -- "Added search feature"
    change_type character varying(10),      -- "patch", "minor", "major"

    -- ADDED: Semantic Version Components
    major_version integer,
    minor_version integer,
    patch_version integer,
    prerelease text,

    -- ADDED: AI Classification Fields
    breaking_risk text,                     -- "none", "low", "medium", "high"
    auto_classified boolean,
    classification_confidence numeric(3,2), -- 0.00 to 1.00
    classification_reasoning text,

    -- ADDED: Publication System Fields
    is_published boolean DEFAULT false,
    published_at timestamp with time zone,
    published_by_user_id text,
    user_comment text,

    -- ADDED: Essential Metadata
    prompt_metadata jsonb,                  -- User-requested field

    -- Existing Timestamps (preserved)
    created_at timestamp with time zone DEFAULT now(),
    updated_at timestamp with time zone DEFAULT now(),

    -- Existing Constraints (preserved)
    CONSTRAINT project_versions_status_check
        CHECK (status = ANY (ARRAY['building'::text, 'deployed'::text, 'failed'::text])),
    CONSTRAINT chk_artifact_size_limit
        CHECK ((artifact_size IS NULL) OR ((artifact_size >= 0) AND (artifact_size <= '2147483648'::bigint))),
    CONSTRAINT chk_artifact_checksum_format
        CHECK ((artifact_checksum IS NULL) OR ((artifact_checksum)::text ~ '^[a-fA-F0-9]{64}$'::text))
);
-- "Set up triggers for updated_at" (the application's migration plan). Its name sorts before the
-- extension's zz_ triggers, so it runs first.
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER project_versions_updated_at BEFORE UPDATE ON project_versions
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The table already holds the builds made before this migration (two of an older project).
INSERT INTO project_versions (version_id, user_id, project_id, prompt, status, created_at, updated_at)
VALUES ('01H00000000000000000000002', 'user-9', 'proj-legacy', 'add a footer', 'deployed',
        '2024-05-02 10:00+00', '2024-05-02 10:05+00'),
       ('01H00000000000000000000001', 'user-9', 'proj-legacy', 'a landing page', 'deployed',
        '2024-05-01 09:00+00', '2024-05-01 09:03+00');

-- The migration. Two columns the schema does not have yet: a per-project version number (its
-- version_id is a ULID) and soft_deleted_at, which its history query filters on ("Will need
-- to add this column").
ALTER TABLE project_versions ADD COLUMN version_number integer,
                             ADD COLUMN soft_deleted_at timestamp with time zone;
-- is_published is the lifecycle: a never-published version is editable (the worker fills it
-- in); publishing stamps published_at / published_by_user_id and freezes it, also after an
-- unpublish. The comment (and updated_at) stay writable. major/minor/patch follow from
-- change_type. Every build is a version: no hash, no dedup. The builds made before the
-- migration are adopted: numbered per project in the order they were created.
SELECT versioning.enable('project_versions',
  order_by       => ARRAY['created_at', 'version_id'],
  key            => ARRAY['project_id'],
  version_column => 'version_number',
  hash_column    => NULL,
  dedup          => 'off',
  parent_column  => 'parent_version_id',
  mutable        => ARRAY['user_comment', 'updated_at'],
  deleted_column => 'soft_deleted_at',
  semver         => '{"change_type": "change_type", "major": "major_version", "minor": "minor_version",
                      "patch": "patch_version", "prerelease": "prerelease"}',
  lifecycle      => '{"column": "is_published", "initial": "false", "editable": ["false"],
                      "transitions": {"false": ["true"], "true": ["false"]},
                      "stamps": {"true": {"at": "published_at", "by": "published_by_user_id"}}}');
-- The adopted builds: versions 1 and 2 in creation order, each pointing at the one before,
-- unpublished; their updated_at is as it was (adopting is not an edit).
SELECT version_id, version_number, parent_version_id, is_published, updated_at
  FROM project_versions WHERE project_id = 'proj-legacy' ORDER BY version_number;
-- The lifecycle as stored: a boolean column's states are "false" and "true"; a version may
-- only be inserted in the initial one.
SELECT l -> 'insertable' AS insertable, l -> 'editable' AS editable, l -> 'transitions' AS transitions
  FROM (SELECT versioning.config('project_versions') -> 'lifecycle' AS l) AS c;
SELECT now() AS started \gset

-- Build start: the build worker creates the version; handleMetadataGeneration then fills in
-- the results and the AI's version metadata. It no longer parses major/minor/patch: they
-- follow from change_type (the first version is 1.0.0).
INSERT INTO project_versions (version_id, user_id, project_id, prompt, status)
VALUES ('01J00000000000000000000001', 'user-1', 'proj-a', 'a todo app', 'building');
UPDATE project_versions
   SET status = 'deployed', framework = 'vite', build_duration_ms = 41000, change_type = 'major',
       artifact_url = 'https://artifacts.example/01J00000000000000000000001.tar.gz',
       version_name = 'Todo app', version_description = 'First build', breaking_risk = 'none'
 WHERE version_id = '01J00000000000000000000001';
INSERT INTO project_versions (version_id, user_id, project_id, prompt, status, change_type, version_name)
VALUES ('01J00000000000000000000002', 'user-1', 'proj-a', 'fix the button colour', 'deployed', 'patch', 'Button fix');
INSERT INTO project_versions (version_id, user_id, project_id, prompt, status, change_type, version_name, artifact_url)
VALUES ('01J00000000000000000000003', 'user-1', 'proj-a', 'add search', 'deployed', 'minor', 'Search',
        'https://artifacts.example/01J00000000000000000000003.tar.gz');
INSERT INTO project_versions (version_id, user_id, project_id, prompt, status, change_type, version_name)
VALUES ('01J00000000000000000000004', 'user-1', 'proj-a', 'add dark mode', 'building', 'minor', 'Dark mode');
UPDATE project_versions SET status = 'failed' WHERE version_id = '01J00000000000000000000004';
-- Another project numbers its versions on its own.
INSERT INTO project_versions (version_id, user_id, project_id, prompt, status)
VALUES ('01J00000000000000000000009', 'user-2', 'proj-b', 'a blog', 'deployed');

SELECT p.project_id, p.version_number, q.version_number AS parent, p.status, p.change_type,
       versioning.semver('project_versions', jsonb_build_object('project_id', p.project_id), p.version_number) AS semver
  FROM project_versions p LEFT JOIN project_versions q ON q.version_id = p.parent_version_id
 ORDER BY p.project_id, p.version_number;

-- A version cannot be created as published: it is published afterwards.
INSERT INTO project_versions (version_id, user_id, project_id, prompt, status, is_published)
VALUES ('01J00000000000000000000005', 'user-1', 'proj-a', 'a copy', 'deployed', true);

-- Publish (canPublish: deployed and not yet published), as user-1.
BEGIN;
SET LOCAL versioning.actor = 'user-1';
UPDATE project_versions SET is_published = true, user_comment = 'first public release'
 WHERE version_id = '01J00000000000000000000001' AND status = 'deployed' AND NOT is_published;
SELECT versioning.transition('project_versions', '{"project_id": "proj-a"}', 3, 'true') ->> 'published_by_user_id' AS published_by;
COMMIT;

-- A published version is frozen: build data, metadata, its semantic version and who
-- published it stay as published; the user's comment may still change.
UPDATE project_versions SET version_description = 'Renamed' WHERE version_id = '01J00000000000000000000001';
UPDATE project_versions SET change_type = 'major' WHERE version_id = '01J00000000000000000000003';
UPDATE project_versions SET published_by_user_id = 'user-9' WHERE version_id = '01J00000000000000000000001';
UPDATE project_versions SET user_comment = 'first public release (stable)' WHERE version_id = '01J00000000000000000000001';

-- Unpublish (canUnpublish), as user-2: allowed, but the version stays frozen.
BEGIN;
SET LOCAL versioning.actor = 'user-2';
UPDATE project_versions SET is_published = false WHERE version_id = '01J00000000000000000000001';
COMMIT;
UPDATE project_versions SET needs_rebuild = true WHERE version_id = '01J00000000000000000000001';
-- A version that was never published is still editable.
UPDATE project_versions SET needs_rebuild = true WHERE version_id = '01J00000000000000000000002';
-- user-2 publishes v1 again: the publication stamps are set anew.
BEGIN;
SET LOCAL versioning.actor = 'user-2';
UPDATE project_versions SET is_published = true WHERE version_id = '01J00000000000000000000001';
COMMIT;

-- Deleting a version is a soft delete: DELETE removes nothing and sets soft_deleted_at.
BEGIN;
SET LOCAL versioning.actor = 'user-1';
DELETE FROM project_versions WHERE version_id = '01J00000000000000000000004';
COMMIT;

-- The application's updated_at trigger ran on every change, the lifecycle's included.
SELECT version_number, status, is_published, published_at IS NOT NULL AS published_at_set, published_by_user_id,
       user_comment, needs_rebuild, soft_deleted_at IS NOT NULL AS deleted, updated_at > created_at AS touched
  FROM project_versions WHERE project_id = 'proj-a' ORDER BY version_number;

-- The application's getProjectVersionHistoryWithPublication: it builds its WHERE clause
-- from the options (includeCheckpoints, state, showDeleted), then reads one page and counts
-- the total. As a function: SELECT * narrowed to stable columns, version_number DESC
-- breaking ties in created_at.
CREATE FUNCTION version_history(p_project text, p_limit int, p_offset int,
                                include_checkpoints bool, state text, show_deleted bool)
RETURNS TABLE (version_number int, version_name varchar, change_type varchar, is_published bool,
               deleted bool, total bigint)
LANGUAGE plpgsql AS $$
DECLARE conditions text[] := ARRAY['project_id = $1']; where_clause text;
BEGIN
  IF NOT include_checkpoints THEN conditions := conditions || $c$change_type IN ('minor', 'major')$c$::text; END IF;
  IF state = 'published' THEN conditions := conditions || 'is_published = true'::text;
  ELSIF state = 'unpublished' THEN conditions := conditions || 'is_published = false'::text; END IF;
  IF NOT show_deleted THEN conditions := conditions || 'soft_deleted_at IS NULL'::text; END IF;
  where_clause := array_to_string(conditions, ' AND ');
  RETURN QUERY EXECUTE format(
    'SELECT version_number, version_name, change_type, is_published, soft_deleted_at IS NOT NULL,
            (SELECT count(*) FROM project_versions WHERE %s)
       FROM project_versions WHERE %s
      ORDER BY created_at DESC, version_number DESC LIMIT $2 OFFSET $3', where_clause, where_clause)
    USING p_project, p_limit, p_offset;
END $$;
-- The default options (includeCheckpoints = false, state = 'all', showDeleted = false) ...
SELECT * FROM version_history('proj-a', 20, 0, false, 'all', false);
-- ... with checkpoints and deleted versions; published only; unpublished only; and page 2 of
-- a one-version page size.
SELECT * FROM version_history('proj-a', 20, 0, true, 'all', true);
SELECT * FROM version_history('proj-a', 20, 0, true, 'published', false);
SELECT * FROM version_history('proj-a', 20, 0, true, 'unpublished', false);
SELECT * FROM version_history('proj-a', 1, 1, true, 'all', true);
-- The same options through versioning.history: state = 'published', and showDeleted; the
-- latest version skips soft-deleted ones.
SELECT array_agg(h ->> 'version_number' ORDER BY n) AS published
  FROM versioning.history('project_versions', '{"project_id": "proj-a"}', 'true') WITH ORDINALITY AS x(h, n);
SELECT array_agg(h ->> 'version_number' ORDER BY n) AS all_with_deleted
  FROM versioning.history('project_versions', '{"project_id": "proj-a"}', include_deleted => true)
       WITH ORDINALITY AS x(h, n);
SELECT versioning.label('project_versions', '{"project_id": "proj-a"}', 'latest') AS latest;

-- The API's response mapping (src/routes/versionHistory.ts), in SQL.
SELECT version_id AS id,
       coalesce(major_version, 1) || '.' || coalesce(minor_version, 0) || '.' || coalesce(patch_version, 0)
         || coalesce('-' || prerelease, '') AS semver,
       version_name AS name, change_type AS type,
       coalesce(is_published, false) AS "isPublished",
       artifact_url IS NOT NULL AND status = 'deployed' AS "canPreview",
       NOT is_published AND status = 'deployed' AS "canPublish",
       is_published AS "canUnpublish"
  FROM project_versions
 WHERE project_id = 'proj-a' AND soft_deleted_at IS NULL
 ORDER BY version_number DESC;

-- The audit log (besides one 'create' per build): publish / unpublish with their actors,
-- the soft delete.
SELECT key ->> 'project_id' AS project, version, action, from_state, to_state, actor
  FROM versioning.log
 WHERE table_name = 'example_004.project_versions' AND at >= :'started' AND action <> 'create'
 ORDER BY at, version, action;

SET client_min_messages = warning;
DROP SCHEMA example_004 CASCADE;
RESET client_min_messages;
