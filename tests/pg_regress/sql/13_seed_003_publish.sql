-- Seed 003 as its application would use it: workflow definitions are edited as drafts and
-- published as immutable versions (Draft → Publish); the application lists the history of
-- published versions and can revert a draft to a previously published version.
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- The seed's data model: workflow_versions (id, workflow_id, version_number, state,
-- created_at, published_at) holding the workflow definition, and workflows with a
-- current_version_id.
CREATE TABLE workflows (
    id                 text PRIMARY KEY,
    name               text NOT NULL,
    current_version_id uuid
);
CREATE TABLE workflow_versions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id    text NOT NULL REFERENCES workflows (id),
    version_number integer NOT NULL,
    state          text,
    definition     jsonb NOT NULL,
    content_hash   text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz
);
ALTER TABLE workflows ADD FOREIGN KEY (current_version_id) REFERENCES workflow_versions (id);

-- The migration: the publish preset on the "state" column, published_at stamped on publish.
SELECT versioning.enable('workflow_versions',
  key            => ARRAY['workflow_id'],
  content        => ARRAY['definition'],
  version_column => 'version_number',
  lifecycle      => '{"preset": "publish", "column": "state",
                      "stamps": {"published": {"at": "published_at"}}}');
SELECT versioning.config('workflow_versions') -> 'lifecycle' AS lifecycle;

INSERT INTO workflows (id, name) VALUES ('wf-orders', 'Order webhook');

------------------------------------------------------------------------------------------
-- POST /workflows/{id}/versions: a new draft.
INSERT INTO workflow_versions (workflow_id, definition)
VALUES ('wf-orders', '{"trigger": "webhook", "steps": [{"http": "POST /orders"}]}')
RETURNING version_number, state, published_at IS NULL AS unpublished;
-- Users edit the draft in place; the hash follows the definition.
UPDATE workflow_versions SET definition = '{"trigger": "webhook", "steps": [{"http": "POST /orders"}, {"log": true}]}'
 WHERE workflow_id = 'wf-orders' AND version_number = 1;
SELECT version_number, state, content_hash = versioning.content_hash(definition) AS hash_ok
  FROM workflow_versions ORDER BY version_number;

-- POST /workflows/{id}/versions/publish: the draft becomes an immutable published version.
SELECT v ->> 'version_number' AS version, v ->> 'state' AS state, (v ->> 'published_at') IS NOT NULL AS published
  FROM versioning.transition('workflow_versions', '{"workflow_id": "wf-orders"}', 1, 'published') AS v;
UPDATE workflows SET current_version_id = (SELECT id FROM workflow_versions WHERE workflow_id = 'wf-orders' AND version_number = 1);
-- Published versions are immutable, and cannot go back to draft or be deleted.
SELECT regress_util.try($$ UPDATE workflow_versions SET definition = '{}' WHERE version_number = 1 $$);
SELECT regress_util.try($$ UPDATE workflow_versions SET published_at = NULL WHERE version_number = 1 $$);
SELECT regress_util.try($$ UPDATE workflow_versions SET state = 'draft' WHERE version_number = 1 $$);
SELECT regress_util.try($$ DELETE FROM workflow_versions WHERE version_number = 1 $$);
-- A version cannot be created directly as published.
SELECT regress_util.try($$ INSERT INTO workflow_versions (workflow_id, definition, state) VALUES ('wf-orders', '{"x": 1}', 'published') $$);

-- Version 2: a draft, published; the previous published version is archived.
INSERT INTO workflow_versions (workflow_id, definition)
VALUES ('wf-orders', '{"trigger": "webhook", "steps": [{"http": "POST /orders/v2"}]}')
RETURNING version_number, state;
BEGIN;
SELECT versioning.transition('workflow_versions', '{"workflow_id": "wf-orders"}', 2, 'published') ->> 'state' AS state;
UPDATE workflow_versions SET state = 'archived' WHERE workflow_id = 'wf-orders' AND version_number = 1;
UPDATE workflows SET current_version_id = (SELECT id FROM workflow_versions WHERE workflow_id = 'wf-orders' AND version_number = 2);
COMMIT;

-- Version 3: a new draft being edited.
INSERT INTO workflow_versions (workflow_id, definition)
VALUES ('wf-orders', '{"trigger": "webhook", "steps": [{"http": "POST /orders/v3"}, {"broken": true}]}')
RETURNING version_number, state;

-- Revert the draft to a previously published version (v1): the user's unfinished draft is
-- discarded (the latest version, still a draft: it may be deleted) ...
SELECT regress_util.try($$ DELETE FROM workflow_versions WHERE workflow_id = 'wf-orders' AND version_number = 2 $$);
DELETE FROM workflow_versions WHERE workflow_id = 'wf-orders' AND version_number = 3;
-- ... and versioning.revert makes a new draft with v1's definition (although that content
-- exists already); the number 3 is reused because the discarded draft is gone.
SELECT v ->> 'version_number' AS version, v ->> 'state' AS state, v -> 'definition' AS definition
  FROM versioning.revert('workflow_versions', '{"workflow_id": "wf-orders"}', 1) AS v;
-- The reverted draft is a normal draft: editable, then publishable.
UPDATE workflow_versions SET definition = definition || '{"note": "restored from v1"}'
 WHERE workflow_id = 'wf-orders' AND version_number = 3;
-- A plain INSERT of content a version already has is a duplicate: skipped.
INSERT INTO workflow_versions (workflow_id, definition)
VALUES ('wf-orders', '{"trigger": "webhook", "steps": [{"http": "POST /orders/v2"}]}')
RETURNING version_number;
BEGIN;
SELECT versioning.transition('workflow_versions', '{"workflow_id": "wf-orders"}', 3, 'published') ->> 'state' AS state;
UPDATE workflow_versions SET state = 'archived' WHERE workflow_id = 'wf-orders' AND version_number = 2;
UPDATE workflows SET current_version_id = (SELECT id FROM workflow_versions WHERE workflow_id = 'wf-orders' AND version_number = 3);
COMMIT;

-- GET /workflows/{id}/versions: every version, and the history of published versions
-- (published or archived since), newest first.
SELECT version_number, state, definition, published_at IS NOT NULL AS published,
       content_hash = versioning.content_hash(definition) AS hash_ok
  FROM workflow_versions WHERE workflow_id = 'wf-orders' ORDER BY version_number;
SELECT version_number, state
  FROM workflow_versions
 WHERE workflow_id = 'wf-orders' AND published_at IS NOT NULL
 ORDER BY version_number DESC;
-- the current version of the workflow
SELECT w.name, v.version_number, v.state
  FROM workflows w JOIN workflow_versions v ON v.id = w.current_version_id ORDER BY w.id;

-- "Log key actions": the audit log has every draft, publish, archive, discard and revert.
SELECT version, action, from_state, to_state
  FROM versioning.log
 WHERE table_name = 'public.workflow_versions'
 ORDER BY txid, version, action, from_state NULLS FIRST;

UPDATE workflows SET current_version_id = NULL;
DROP TABLE workflows, workflow_versions;
