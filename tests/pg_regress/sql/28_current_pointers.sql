-- Current-version pointers (docs/versioning.md, "Current-version pointers"): a target table's
-- columns always hold values of a key's current version — its highest version not
-- soft-deleted, in the pointer's state if it names one — through every kind of change.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- The draft → publish design: workflows.current_version_id is the published version.
CREATE TABLE cp_workflows (id text PRIMARY KEY, name text, current_version_id uuid, current_version int);
CREATE TABLE cp_versions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id text NOT NULL REFERENCES cp_workflows (id),
    version     int,
    content_hash text,
    definition  jsonb NOT NULL,
    status      text,
    deleted_at  timestamptz
);
SELECT versioning.enable('cp_versions', key => ARRAY['workflow_id'], content => ARRAY['definition'],
                         lifecycle => 'publish', deleted_column => 'deleted_at');
INSERT INTO cp_workflows (id, name) VALUES ('wf-1', 'one'), ('wf-2', 'two');
INSERT INTO cp_versions (workflow_id, definition) VALUES ('wf-1', '{"steps": 1}');
UPDATE cp_versions SET status = 'published' WHERE workflow_id = 'wf-1' AND version = 1;
-- enabling brings existing target rows up to date at once
SELECT versioning.enable_current('cp_versions', 'cp_workflows', match => '{"workflow_id": "id"}',
                                 set => '{"current_version_id": "id", "current_version": "version"}', state => 'published');
CREATE VIEW cp_pointer AS
  SELECT w.id, w.current_version,
         w.current_version_id IS NOT DISTINCT FROM (SELECT v.id FROM cp_versions v WHERE v.workflow_id = w.id AND v.version = w.current_version) AS id_matches
    FROM cp_workflows w ORDER BY w.id;
SELECT * FROM cp_pointer;

-- a new draft is not published: the pointer stays
INSERT INTO cp_versions (workflow_id, definition) VALUES ('wf-1', '{"steps": 2}');
SELECT * FROM cp_pointer;
-- publishing it moves the pointer, in the same statement
UPDATE cp_versions SET status = 'published' WHERE workflow_id = 'wf-1' AND version = 2;
SELECT * FROM cp_pointer;
-- versioning.transition, archive: the newest published one is version 1 again
SELECT versioning.transition('cp_versions', '{"workflow_id": "wf-1"}', 2, 'archived') ->> 'status' AS status;
SELECT * FROM cp_pointer;
-- soft delete of the current version: none left published
DELETE FROM cp_versions WHERE workflow_id = 'wf-1' AND version = 1;
SELECT * FROM cp_pointer;
-- a key with no target row: nothing happens
INSERT INTO cp_versions (workflow_id, definition) VALUES ('wf-2', '{"steps": 1}');
SELECT * FROM cp_pointer;
-- purge removes the published version: the pointer follows
INSERT INTO cp_versions (workflow_id, definition, status) VALUES ('wf-1', '{"steps": 3}', 'draft');
UPDATE cp_versions SET status = 'published' WHERE workflow_id = 'wf-1' AND version = 3;
SELECT * FROM cp_pointer;
BEGIN;
SET LOCAL versioning.allow_purge = on;
SELECT versioning.purge('cp_versions', '{"workflow_id": "wf-1"}', 3, 'test');
SELECT * FROM cp_pointer;
ROLLBACK;
-- a rolled-back transaction leaves the pointer as it was
BEGIN;
INSERT INTO cp_versions (workflow_id, definition) VALUES ('wf-1', '{"steps": 4}');
UPDATE cp_versions SET status = 'published' WHERE workflow_id = 'wf-1' AND version = 4;
SELECT * FROM cp_pointer;
ROLLBACK;
SELECT * FROM cp_pointer;

-- The prompt-history design: prompts.content is the latest version's content (no state).
CREATE TABLE cp_prompts (name text PRIMARY KEY, content varchar(200), version int);
CREATE TABLE cp_prompt_versions (name text NOT NULL, version int, content_hash text, content text NOT NULL,
                                 PRIMARY KEY (name, version));
SELECT versioning.enable('cp_prompt_versions', key => ARRAY['name'], content => ARRAY['content']);
INSERT INTO cp_prompts (name) VALUES ('greet');
SELECT versioning.enable_current('cp_prompt_versions', 'cp_prompts', match => '{"name": "name"}',
                                 set => '{"content": "content", "version": "version"}');
SELECT versioning.config('cp_prompt_versions') -> 'current' AS pointers;
INSERT INTO cp_prompt_versions (name, content) VALUES ('greet', 'Hello'), ('greet', 'Hi there'), ('greet', 'Hello');
SELECT * FROM cp_prompts;
-- a revert is a new version: the pointer follows it
SELECT versioning.revert('cp_prompt_versions', '{"name": "greet"}', 1) ->> 'version' AS reverted;
SELECT * FROM cp_prompts;

-- Misconfiguration fails at setup.
SELECT regress_util.try($$SELECT versioning.enable_current('cp_prompt_versions', 'cp_prompts', match => '{"nam": "name"}', set => '{"content": "content"}')$$);
SELECT regress_util.try($$SELECT versioning.enable_current('cp_prompt_versions', 'cp_prompts', match => '{"name": "nme"}', set => '{"content": "content"}')$$);
SELECT regress_util.try($$SELECT versioning.enable_current('cp_prompt_versions', 'cp_prompts', match => '{"name": "name"}', set => '{"content": "body"}')$$);
SELECT regress_util.try($$SELECT versioning.enable_current('cp_prompt_versions', 'cp_prompts', match => '{"name": "version"}', set => '{"content": "content"}')$$);
SELECT regress_util.try($$SELECT versioning.enable_current('cp_prompt_versions', 'cp_prompts', match => '{"name": "name"}', set => '{"version": "content"}')$$);
SELECT regress_util.try($$SELECT versioning.enable_current('cp_prompt_versions', 'cp_prompts', match => '{}', set => '{"content": "content"}')$$);
SELECT regress_util.try($$SELECT versioning.enable_current('cp_prompt_versions', 'cp_prompts', match => '{"name": "name"}', set => '{"content": "content"}', state => 'published')$$);
SELECT regress_util.try($$SELECT versioning.enable_current('cp_versions', 'cp_workflows', match => '{"workflow_id": "id"}', set => '{"current_version": "version"}', state => 'live')$$);
SELECT regress_util.try($$SELECT versioning.enable_current('cp_versions', 'cp_workflows', match => NULL, set => '{"current_version": "version"}')$$);
CREATE ROLE cp_other;
GRANT ALL ON cp_versions TO cp_other;     -- nothing on cp_workflows
SET ROLE cp_other;
SELECT regress_util.try($$SELECT versioning.enable_current('cp_versions', 'cp_workflows', match => '{"workflow_id": "id"}', set => '{"current_version": "version"}')$$);
-- a writer without any right on the target still moves the pointer (it is updated as the
-- target's owner)
INSERT INTO cp_versions (workflow_id, definition) VALUES ('wf-1', '{"steps": 6}');
UPDATE cp_versions SET status = 'published' WHERE workflow_id = 'wf-1' AND version = 4 RETURNING version, status;
RESET ROLE;
SELECT * FROM cp_pointer;

-- disable_current forgets the pointer; the columns keep their last values
SELECT versioning.disable_current('cp_prompt_versions', 'cp_prompts');
INSERT INTO cp_prompt_versions (name, content) VALUES ('greet', 'Goodbye');
SELECT * FROM cp_prompts;
SELECT regress_util.try($$SELECT versioning.disable_current('cp_prompt_versions', 'cp_prompts')$$);
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'cp_prompt_versions'::regclass AND tgname = 'zz_versioning_current';
-- dropping the target forgets the pointer; writes go on
DROP TABLE cp_workflows CASCADE;
SELECT count(*) AS pointers FROM versioning.current_pointers WHERE table_name = 'public.cp_versions';
INSERT INTO cp_versions (workflow_id, definition) VALUES ('wf-9', '{"steps": 1}');
DROP TABLE cp_versions, cp_prompts, cp_prompt_versions;

-- Renames follow a pointer: columns of either table (key, content, target columns) and either
-- table's name; a column it names cannot be dropped.
CREATE TABLE cp_docs (ref text NOT NULL, version int, content_hash text, body text NOT NULL, author text);
SELECT versioning.enable('cp_docs', key => ARRAY['ref'], content => ARRAY['body']);
CREATE TABLE cp_heads (ref text PRIMARY KEY, latest int, body text, author text);
INSERT INTO cp_heads (ref) VALUES ('r');
SELECT versioning.enable_current('cp_docs', 'cp_heads', match => '{"ref": "ref"}',
                                 set => '{"latest": "version", "body": "body", "author": "author"}');
INSERT INTO cp_docs (ref, body, author) VALUES ('r', 'one', 'ann');
ALTER TABLE cp_docs RENAME COLUMN ref TO doc_ref;
ALTER TABLE cp_docs RENAME COLUMN body TO text_body;
ALTER TABLE cp_heads RENAME COLUMN ref TO head_ref;
ALTER TABLE cp_heads RENAME COLUMN latest TO latest_version;
ALTER TABLE cp_heads RENAME TO cp_heads2;
ALTER TABLE cp_docs RENAME TO cp_docs2;
SELECT versioning.config('cp_docs2') -> 'current' AS pointers;
INSERT INTO cp_docs2 (doc_ref, text_body) VALUES ('r', 'two');
SELECT * FROM cp_heads2;
SELECT regress_util.try($$ALTER TABLE cp_heads2 DROP COLUMN latest_version$$);
SELECT regress_util.try($$ALTER TABLE cp_docs2 DROP COLUMN author$$);
SELECT versioning.disable_current('cp_docs2', 'cp_heads2');
ALTER TABLE cp_heads2 DROP COLUMN latest_version;
DROP TABLE cp_docs2, cp_heads2;

-- A table enabled again with other key columns: its pointer no longer matches the key, and a
-- write says so (55000) instead of leaving the target stale.
CREATE TABLE cp_items (sku text, region text, version int, content_hash text, price int);
CREATE TABLE cp_item_heads (sku text PRIMARY KEY, price int);
SELECT versioning.enable('cp_items', key => ARRAY['sku'], content => ARRAY['price']);
SELECT versioning.enable_current('cp_items', 'cp_item_heads', match => '{"sku": "sku"}', set => '{"price": "price"}');
SELECT versioning.enable('cp_items', key => ARRAY['sku', 'region'], content => ARRAY['price']);
SELECT regress_util.try($$INSERT INTO cp_items (sku, region, price) VALUES ('s', 'eu', 5)$$);
-- without the pointer: the indexes follow the new key (the unique one on (sku, version) would
-- refuse version 1 of a second region)
SELECT versioning.disable_current('cp_items', 'cp_item_heads');
INSERT INTO cp_items (sku, region, price) VALUES ('s', 'eu', 5), ('s', 'us', 5);
SELECT sku, region, version FROM cp_items ORDER BY region;
SELECT indexdef FROM pg_indexes WHERE tablename = 'cp_items' ORDER BY indexname;
DROP TABLE cp_items, cp_item_heads;
DROP ROLE cp_other;
