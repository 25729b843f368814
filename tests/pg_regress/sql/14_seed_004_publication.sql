-- Seed 004 as its application would use it: the consolidated project_versions table. Each
-- build of a project is a version; the build worker fills in build results and version
-- metadata afterwards; a user publishes (is_published = true, published_at,
-- published_by_user_id) and unpublishes versions; deleted versions are soft-deleted
-- (soft_deleted_at) and hidden from the version history query of the seed.
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- The seed's consolidated schema.
CREATE TABLE public.project_versions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    version_id text NOT NULL PRIMARY KEY,  -- ULID
    user_id text NOT NULL,
    project_id text NOT NULL,
    prompt text NOT NULL,
    framework text,
    status text NOT NULL,                   -- 'building', 'deployed', 'failed'
    needs_rebuild boolean DEFAULT false,
    parent_version_id text,
    preview_url text,
    artifact_url text,
    cf_deployment_id text,
    build_duration_ms integer,
    install_duration_ms integer,
    deploy_duration_ms integer,
    output_size_bytes integer,
    artifact_size bigint,
    artifact_checksum character varying(64),
    node_version text,
    pnpm_version text,
    ai_json jsonb,
    ai_session_id text,
    ai_session_created_at timestamp without time zone,
    ai_session_last_used_at timestamp without time zone,
    enhanced_prompt text,
    base_snapshot_id text,
    version_metadata_id character(26),
    version_name character varying(100),
    version_description text,
    change_type character varying(10),
    major_version integer,
    minor_version integer,
    patch_version integer,
    prerelease text,
    breaking_risk text,
    auto_classified boolean,
    classification_confidence numeric(3,2),
    classification_reasoning text,
    is_published boolean DEFAULT false,
    published_at timestamp with time zone,
    published_by_user_id text,
    user_comment text,
    prompt_metadata jsonb,
    created_at timestamp with time zone DEFAULT now(),
    updated_at timestamp with time zone DEFAULT now(),
    CONSTRAINT project_versions_status_check
        CHECK (status = ANY (ARRAY['building'::text, 'deployed'::text, 'failed'::text])),
    CONSTRAINT chk_artifact_size_limit
        CHECK ((artifact_size IS NULL) OR ((artifact_size >= 0) AND (artifact_size <= '2147483648'::bigint))),
    CONSTRAINT chk_artifact_checksum_format
        CHECK ((artifact_checksum IS NULL) OR ((artifact_checksum)::text ~ '^[a-fA-F0-9]{64}$'::text))
);
-- "Set up triggers for updated_at" (the seed's migration, phase 1). Its name sorts before
-- the extension's zz_ triggers, so it runs first.
CREATE FUNCTION project_versions_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER project_versions_updated_at BEFORE UPDATE ON project_versions
  FOR EACH ROW EXECUTE FUNCTION project_versions_touch();

-- The migration. The seed needs two columns it does not have yet: a per-project version
-- number (its version_id is a ULID) and soft_deleted_at ("Will need to add this column").
ALTER TABLE project_versions ADD COLUMN version_number integer,
                             ADD COLUMN soft_deleted_at timestamptz;
-- is_published is the lifecycle: false → true (publish) → false (unpublish). An
-- unpublished, never published version is editable (the build worker fills it in); once
-- published it stays frozen, also after unpublishing. A user's comment and updated_at stay
-- writable. Every build is a version: no hash, no dedup.
SELECT versioning.enable('project_versions',
  key            => ARRAY['project_id'],
  version_column => 'version_number',
  hash_column    => NULL,
  dedup          => 'off',
  parent_column  => 'parent_version_id',
  mutable        => ARRAY['user_comment', 'updated_at'],
  deleted_column => 'soft_deleted_at',
  lifecycle      => '{"column": "is_published", "initial": "false", "editable": ["false"],
                      "transitions": {"false": ["true"], "true": ["false"]},
                      "stamps": {"true": {"at": "published_at", "by": "published_by_user_id"}}}');
SELECT versioning.config('project_versions') -> 'lifecycle' AS lifecycle;

------------------------------------------------------------------------------------------
-- Build start: the worker creates the version (status 'building'); the parent is the
-- previous build of the project.
INSERT INTO project_versions (version_id, user_id, project_id, prompt, status)
VALUES ('01HV0000000000000000000001', 'user-1', 'proj-a', 'a todo app', 'building');
-- handleMetadataGeneration: build results and version metadata, filled in immediately.
UPDATE project_versions
   SET status = 'deployed', framework = 'vite', build_duration_ms = 1200,
       artifact_checksum = repeat('a', 64), version_name = '1.0.0', version_description = 'First build',
       change_type = 'major', major_version = 1, minor_version = 0, patch_version = 0
 WHERE version_id = '01HV0000000000000000000001';
-- Two more builds: a patch (a checkpoint) and a minor feature; a failed build.
INSERT INTO project_versions (version_id, user_id, project_id, prompt, status, change_type, version_name,
                              major_version, minor_version, patch_version)
VALUES ('01HV0000000000000000000002', 'user-1', 'proj-a', 'fix the button colour', 'deployed', 'patch', '1.0.1', 1, 0, 1),
       ('01HV0000000000000000000003', 'user-1', 'proj-a', 'add search', 'deployed', 'minor', '1.1.0', 1, 1, 0),
       ('01HV0000000000000000000004', 'user-1', 'proj-a', 'add dark mode', 'building', 'minor', '1.2.0', 1, 2, 0);
UPDATE project_versions SET status = 'failed' WHERE version_id = '01HV0000000000000000000004';
-- Another project numbers its versions on its own.
INSERT INTO project_versions (version_id, user_id, project_id, prompt, status, change_type)
VALUES ('01HV0000000000000000000009', 'user-2', 'proj-b', 'a blog', 'deployed', 'major')
RETURNING project_id, version_number, is_published;

SELECT p.version_id, p.project_id, p.version_number, q.version_number AS parent_number, p.status, p.is_published
  FROM project_versions p LEFT JOIN project_versions q ON q.version_id = p.parent_version_id
 ORDER BY p.project_id, p.version_number;

-- Publish (canPublish: deployed and not published), by user-1: stamps published_at and
-- published_by_user_id; a version cannot be inserted as published.
SELECT regress_util.try($$ INSERT INTO project_versions (version_id, user_id, project_id, prompt, status, is_published) VALUES ('01HV0000000000000000000005', 'user-1', 'proj-a', 'x', 'deployed', true) $$);
BEGIN;
SET LOCAL versioning.actor = 'user-1';
UPDATE project_versions SET is_published = true, user_comment = 'first public release'
 WHERE version_id = '01HV0000000000000000000001';
SELECT versioning.transition('project_versions', '{"project_id": "proj-a"}', 3, 'true') ->> 'is_published' AS is_published;
COMMIT;
SELECT version_number, is_published, published_at IS NOT NULL AS published_at_set, published_by_user_id, user_comment
  FROM project_versions WHERE project_id = 'proj-a' ORDER BY version_number;

-- A published version is frozen: no more build or metadata changes; the comment may change.
SELECT regress_util.try($$ UPDATE project_versions SET version_description = 'renamed' WHERE version_id = '01HV0000000000000000000001' $$);
SELECT regress_util.try($$ UPDATE project_versions SET published_by_user_id = 'user-9' WHERE version_id = '01HV0000000000000000000001' $$);
UPDATE project_versions SET user_comment = 'first public release (stable)' WHERE version_id = '01HV0000000000000000000001';

-- Unpublish (canUnpublish: is_published), by user-2: allowed (true → false), but the
-- version stays frozen; the publication stamps stay as they were (false has no stamps).
BEGIN;
SET LOCAL versioning.actor = 'user-2';
UPDATE project_versions SET is_published = false WHERE version_id = '01HV0000000000000000000001';
COMMIT;
SELECT regress_util.try($$ UPDATE project_versions SET prompt = 'a better todo app' WHERE version_id = '01HV0000000000000000000001' $$);
SELECT regress_util.try($$ UPDATE project_versions SET needs_rebuild = true WHERE version_id = '01HV0000000000000000000001' $$);
-- ... and may be published again.
BEGIN;
SET LOCAL versioning.actor = 'user-2';
UPDATE project_versions SET is_published = true WHERE version_id = '01HV0000000000000000000001';
UPDATE project_versions SET is_published = false WHERE version_id = '01HV0000000000000000000001';
COMMIT;
-- A never-published version is still editable.
UPDATE project_versions SET needs_rebuild = true WHERE version_id = '01HV0000000000000000000002';

-- Deleting a version is a soft delete: nothing is removed (DELETE 0), soft_deleted_at is set.
DELETE FROM project_versions WHERE version_id IN ('01HV0000000000000000000002', '01HV0000000000000000000004');
SELECT version_number, status, is_published, published_by_user_id,
       published_at IS NOT NULL AS published_at_set, needs_rebuild,
       soft_deleted_at IS NOT NULL AS deleted, updated_at >= created_at AS touched
  FROM project_versions WHERE project_id = 'proj-a' ORDER BY version_number;

-- The seed's getProjectVersionHistoryWithPublication query (with a tie-breaker for
-- deterministic output), for a few of its option combinations.
CREATE FUNCTION version_history(p_project text, p_limit int, p_offset int, include_checkpoints bool,
                                state text, show_deleted bool)
RETURNS TABLE (version_name varchar, change_type varchar, is_published bool, deleted bool, total bigint)
LANGUAGE plpgsql AS $$
DECLARE conditions text[] := ARRAY['project_id = $1']; where_clause text;
BEGIN
  IF NOT include_checkpoints THEN conditions := conditions || $c$change_type IN ('minor', 'major')$c$::text; END IF;
  IF state = 'published' THEN conditions := conditions || 'is_published = true'::text;
  ELSIF state = 'unpublished' THEN conditions := conditions || 'is_published = false'::text; END IF;
  IF NOT show_deleted THEN conditions := conditions || 'soft_deleted_at IS NULL'::text; END IF;
  where_clause := array_to_string(conditions, ' AND ');
  RETURN QUERY EXECUTE format(
    'SELECT version_name, change_type, is_published, soft_deleted_at IS NOT NULL,
            (SELECT count(*) FROM project_versions WHERE %s)
       FROM project_versions WHERE %s
      ORDER BY created_at DESC, version_number DESC LIMIT $2 OFFSET $3', where_clause, where_clause)
    USING p_project, p_limit, p_offset;
END $$;
SELECT * FROM version_history('proj-a', 20, 0, false, 'all', false);
SELECT * FROM version_history('proj-a', 20, 0, true, 'all', true);
SELECT * FROM version_history('proj-a', 20, 0, true, 'published', false);
SELECT * FROM version_history('proj-a', 20, 0, true, 'unpublished', false);
SELECT * FROM version_history('proj-a', 1, 1, true, 'all', true);
-- versioning's own view of the latest version skips soft-deleted ones
SELECT versioning.label('project_versions', '{"project_id": "proj-a"}', 'latest') AS latest;

-- The audit log: creations, publish/unpublish transitions, soft deletes.
SELECT key ->> 'project_id' AS project, version, action, from_state, to_state, actor
  FROM versioning.log
 WHERE table_name = 'public.project_versions'
 ORDER BY txid, key ->> 'project_id', version, action, from_state NULLS FIRST;

DROP FUNCTION version_history(text, int, int, bool, text, bool);
DROP TABLE project_versions;
DROP FUNCTION project_versions_touch();
-- (DROP TABLE should forget the lifecycle history; clean up in case it does not)
DO $$ BEGIN DELETE FROM versioning.left_editable WHERE table_name = 'public.project_versions'; END $$;
