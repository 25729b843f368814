-- Example 003: version management for workflows (Draft → Publish). Users create and edit
-- draft versions, publish a draft as an immutable version, list the history of published
-- versions, and revert a draft to a previously published version. Lifecycles and revert:
-- docs/versioning.md; the functions and errors: docs/reference.md.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;
CREATE SCHEMA example_003;
SET search_path = example_003, public;

-- The application's data model: a workflow_versions table with id, workflow_id,
-- version_number, state, created_at and published_at, and workflows.current_version_id. The
-- design does not show the workflows table (a minimal one here) nor where the definition is
-- stored: the definition column is added, since it is what a version versions, and a
-- content_hash column, so the application can tell whether a draft differs from what is
-- published.
CREATE TABLE workflows (
    id   uuid PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE workflow_versions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id    uuid NOT NULL REFERENCES workflows (id),
    version_number integer NOT NULL,
    state          text,
    definition     jsonb NOT NULL,
    content_hash   text,
    created_at     timestamptz DEFAULT now(),
    published_at   timestamptz
);
ALTER TABLE workflows ADD COLUMN current_version_id uuid REFERENCES workflow_versions (id);

-- The migration: the publish lifecycle (draft → published → archived; only drafts are
-- editable) on "state", stamping published_at. A new draft usually starts as a copy of the
-- published definition, so equal content must not be skipped: dedup is off (the hash is
-- still kept in content_hash, and follows every edit of a draft).
SELECT versioning.enable('workflow_versions',
  key            => ARRAY['workflow_id'],
  content        => ARRAY['definition'],
  version_column => 'version_number',
  dedup          => 'off',
  lifecycle      => '{"preset": "publish", "column": "state",
                      "stamps": {"published": {"at": "published_at"}}}');
-- The preset, spelled out: states, the editable one, transitions and the stamp.
SELECT jsonb_pretty(versioning.config('workflow_versions') -> 'lifecycle') AS lifecycle;
-- workflows.current_version_id is the published version: the database keeps it so, in the
-- statement that publishes, archives or deletes (no UPDATE of workflows in the application).
SELECT versioning.enable_current('workflow_versions', 'workflows',
  match => '{"workflow_id": "id"}', set => '{"current_version_id": "id"}', state => 'published');

\set wf 'f0000000-0000-0000-0000-000000000001'
\set key '{"workflow_id": "f0000000-0000-0000-0000-000000000001"}'
SELECT now() AS started \gset
INSERT INTO workflows (id, name) VALUES (:'wf', 'Order webhook');

-- POST /workflows/{id}/versions: a new draft (state and number are filled in; published_at
-- is not).
INSERT INTO workflow_versions (workflow_id, definition)
VALUES (:'wf', '{"trigger": "webhook", "steps": [{"http": "POST /orders"}]}')
RETURNING version_number, state, published_at IS NULL AS unpublished;
-- Users edit the draft in place; the hash follows the definition.
UPDATE workflow_versions SET definition = '{"trigger": "webhook", "steps": [{"http": "POST /orders"}, {"log": true}]}'
 WHERE workflow_id = :'wf' AND version_number = 1;
SELECT version_number, state, content_hash = versioning.content_hash(definition) AS hash_ok
  FROM workflow_versions WHERE workflow_id = :'wf';

-- POST /workflows/{id}/versions/publish: the draft becomes an immutable published version,
-- and with that the workflow's current version.
SELECT v ->> 'version_number' AS version, v ->> 'state' AS state, v ->> 'published_at' IS NOT NULL AS published_at_set
  FROM versioning.transition('workflow_versions', :'key', 1, 'published') v;
SELECT v.version_number AS current_version FROM workflows w JOIN workflow_versions v ON v.id = w.current_version_id;

-- A published version cannot be edited (its publication stamp included), unpublished or
-- deleted, and nothing can be inserted as published without being a draft first.
UPDATE workflow_versions SET definition = '{}' WHERE workflow_id = :'wf' AND version_number = 1;
UPDATE workflow_versions SET published_at = NULL WHERE workflow_id = :'wf' AND version_number = 1;
UPDATE workflow_versions SET state = 'draft' WHERE workflow_id = :'wf' AND version_number = 1;
DELETE FROM workflow_versions WHERE workflow_id = :'wf' AND version_number = 1;
INSERT INTO workflow_versions (workflow_id, definition, state) VALUES (:'wf', '{"trigger": "cron"}', 'published');

-- Version 2: a draft copied from the current version (a new version although its
-- definition is the same: dedup is off). Its hash says there is nothing to publish yet ...
INSERT INTO workflow_versions (workflow_id, definition)
SELECT w.id, v.definition FROM workflows w JOIN workflow_versions v ON v.id = w.current_version_id WHERE w.id = :'wf'
RETURNING version_number, state;
SELECT d.content_hash = p.content_hash AS unchanged
  FROM workflows w JOIN workflow_versions p ON p.id = w.current_version_id
  JOIN workflow_versions d ON d.workflow_id = w.id AND d.version_number = 2
 WHERE w.id = :'wf';
-- ... until it is edited. Publishing it archives the version published before.
UPDATE workflow_versions SET definition = jsonb_set(definition, '{steps,0,http}', '"POST /v2/orders"')
 WHERE workflow_id = :'wf' AND version_number = 2;
BEGIN;
SELECT versioning.transition('workflow_versions', :'key', 2, 'published') ->> 'state' AS state;
UPDATE workflow_versions SET state = 'archived' WHERE workflow_id = :'wf' AND version_number = 1;
COMMIT;
SELECT v.version_number AS current_version FROM workflows w JOIN workflow_versions v ON v.id = w.current_version_id;

-- Version 3: another draft, which goes wrong.
INSERT INTO workflow_versions (workflow_id, definition)
VALUES (:'wf', '{"trigger": "webhook", "steps": [{"broken": true}]}')
RETURNING version_number, state;

-- Revert the draft to a previously published version (v1): discard the unfinished draft
-- (the latest version may be deleted while it is a draft; its number is free again) ...
DELETE FROM workflow_versions WHERE workflow_id = :'wf' AND version_number = 3;
-- ... and versioning.revert makes a new draft with v1's definition (v1 is archived: a
-- revert can go back to any version).
SELECT v ->> 'version_number' AS version, v ->> 'state' AS state, v -> 'definition' AS definition
  FROM versioning.revert('workflow_versions', :'key', 1) v;
-- The reverted draft is a normal draft: editable, then publishable.
UPDATE workflow_versions SET definition = definition || '{"note": "restored from v1"}'
 WHERE workflow_id = :'wf' AND version_number = 3;
-- What publishing it would change, compared with the current version 2:
SELECT versioning.diff('workflow_versions', :'key', 2, 3) AS v2_to_v3;
BEGIN;
SELECT versioning.transition('workflow_versions', :'key', 3, 'published') ->> 'state' AS state;
UPDATE workflow_versions SET state = 'archived' WHERE workflow_id = :'wf' AND version_number = 2;
COMMIT;

-- GET /workflows/{id}/versions: every version, newest first (the hash of each matches its
-- definition as published) ...
SELECT h ->> 'version_number' AS version, h ->> 'state' AS state, h ->> 'published_at' IS NOT NULL AS published,
       h ->> 'content_hash' = versioning.content_hash(h -> 'definition') AS hash_ok
  FROM versioning.history('workflow_versions', :'key') h
 ORDER BY (h ->> 'version_number')::int DESC;
-- ... the history of published versions (published, or archived since: published_at stays
-- set), the versions in one state, and the one published now.
SELECT version_number, state FROM workflow_versions
 WHERE workflow_id = :'wf' AND published_at IS NOT NULL
 ORDER BY version_number DESC;
SELECT array_agg(h ->> 'version_number' ORDER BY n) AS archived_versions
  FROM versioning.history('workflow_versions', :'key', 'archived') WITH ORDINALITY AS x(h, n);
SELECT versioning.latest('workflow_versions', :'key', 'published') -> 'definition' AS latest_published;
-- The workflow's current version, through workflows.current_version_id (kept by the
-- database since the migration).
SELECT w.name, v.version_number, v.state, v.definition
  FROM workflows w JOIN workflow_versions v ON v.id = w.current_version_id
 ORDER BY w.name;

-- "Log key actions": drafts, publishes, archives, the discarded draft and the revert.
SELECT version, action, from_state, to_state, detail
  FROM versioning.log
 WHERE table_name = 'example_003.workflow_versions' AND at >= :'started'
 ORDER BY at, version, action;

SET client_min_messages = warning;
DROP SCHEMA example_003 CASCADE;
RESET client_min_messages;
