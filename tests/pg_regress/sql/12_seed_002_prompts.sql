-- Seed 002 as its application would use it: prompt_versions holds the immutable versions
-- of a prompt ("Created → Immutable"), numbered 1, 2, 3, … per prompt; deleting a version
-- marks it deleted and preserves it for audit ("Deleted → Soft delete"); hard delete is
-- only for GDPR (versioning.purge).
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- A tiny stand-in for the application's profiles table, so the seed's foreign keys stay.
CREATE TABLE profiles (id uuid PRIMARY KEY, name text NOT NULL);
INSERT INTO profiles VALUES ('e0000000-0000-0000-0000-000000000001', 'ada'),
                            ('e0000000-0000-0000-0000-000000000002', 'bob');

-- The seed's SQLAlchemy models as SQL.
CREATE TABLE prompts (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title       varchar(255) NOT NULL,
    description text,
    content     text NOT NULL,
    author_id   uuid NOT NULL REFERENCES profiles (id),
    is_active   boolean DEFAULT true,
    created_at  timestamptz DEFAULT now(),
    updated_at  timestamptz
);
CREATE TABLE prompt_versions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    prompt_id      uuid NOT NULL REFERENCES prompts (id),
    version_number integer NOT NULL,
    content        text NOT NULL,
    change_summary varchar(500),
    author_id      uuid NOT NULL REFERENCES profiles (id),
    created_at     timestamptz DEFAULT now(),
    metadata       jsonb,
    CONSTRAINT uq_prompt_version_number UNIQUE (prompt_id, version_number)
);
CREATE INDEX ix_prompt_versions_prompt_id_version ON prompt_versions (prompt_id, version_number);
CREATE INDEX ix_prompt_versions_created_at ON prompt_versions (created_at);
CREATE INDEX ix_prompt_versions_author_id ON prompt_versions (author_id);
CREATE INDEX ix_prompts_author_active ON prompts (author_id, is_active) WHERE is_active = true;
CREATE TABLE version_comments (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    version_id uuid NOT NULL REFERENCES prompt_versions (id) ON DELETE CASCADE,
    author_id  uuid NOT NULL REFERENCES profiles (id),
    content    text NOT NULL,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz
);

-- The migration: the seed's soft delete of versions needs a column to mark it; then one call.
-- No lifecycle: every version is frozen when inserted. The seed keeps no hash, and saving
-- the same text twice is still a new version in its UI, so no hash and no dedup.
ALTER TABLE prompt_versions ADD COLUMN deleted_at timestamptz;
SELECT versioning.enable('prompt_versions',
  key            => ARRAY['prompt_id'],
  version_column => 'version_number',
  hash_column    => NULL,
  dedup          => 'off',
  deleted_column => 'deleted_at');
-- the content is every column the author wrote: not the key, the number, the primary key,
-- created_at (volatile default) or the soft-delete mark
SELECT versioning.config('prompt_versions') -> 'content' AS content;

------------------------------------------------------------------------------------------
-- Creating a prompt and its versions. The application used to send max(version)+1; any
-- number it sends is replaced by the next one.
INSERT INTO prompts (id, title, content, author_id)
VALUES ('d0000000-0000-0000-0000-000000000001', 'Summarizer', 'Summarize: {text}', 'e0000000-0000-0000-0000-000000000001'),
       ('d0000000-0000-0000-0000-000000000002', 'Translator', 'Translate: {text}', 'e0000000-0000-0000-0000-000000000002');
INSERT INTO prompt_versions (prompt_id, version_number, content, change_summary, author_id, metadata)
VALUES ('d0000000-0000-0000-0000-000000000001', 1, 'Summarize: {text}', 'initial', 'e0000000-0000-0000-0000-000000000001', '{"words": 2}'),
       ('d0000000-0000-0000-0000-000000000002', 1, 'Translate: {text}', 'initial', 'e0000000-0000-0000-0000-000000000002', '{"words": 2}');
INSERT INTO prompt_versions (prompt_id, version_number, content, change_summary, author_id, metadata)
VALUES ('d0000000-0000-0000-0000-000000000001', 1, 'Summarize briefly: {text}', 'shorter', 'e0000000-0000-0000-0000-000000000001', '{"words": 3}')
RETURNING version_number;
INSERT INTO prompt_versions (prompt_id, version_number, content, change_summary, author_id, metadata)
VALUES ('d0000000-0000-0000-0000-000000000001', 99, 'Summarize in 3 bullets: {text}', 'bullets', 'e0000000-0000-0000-0000-000000000002', '{"words": 5, "tags": ["bullets"]}')
RETURNING version_number;
-- the denormalized current content of the prompt is the application's to keep
UPDATE prompts SET content = 'Summarize in 3 bullets: {text}', updated_at = now() WHERE title = 'Summarizer';

-- Comments on a version are a plain table.
INSERT INTO version_comments (version_id, author_id, content)
SELECT v.id, 'e0000000-0000-0000-0000-000000000002', 'too long' FROM prompt_versions v
 WHERE v.prompt_id = 'd0000000-0000-0000-0000-000000000001' AND v.version_number = 1;

-- Versions are immutable: content, summary, metadata, author, number and prompt are frozen.
SELECT regress_util.try($$ UPDATE prompt_versions SET content = 'hacked' WHERE version_number = 1 AND prompt_id = 'd0000000-0000-0000-0000-000000000001' $$);
SELECT regress_util.try($$ UPDATE prompt_versions SET metadata = '{}' WHERE version_number = 2 $$);
SELECT regress_util.try($$ UPDATE prompt_versions SET version_number = 4 WHERE version_number = 3 $$);
SELECT regress_util.try($$ UPDATE prompt_versions SET prompt_id = 'd0000000-0000-0000-0000-000000000002' WHERE version_number = 3 $$);

-- Deleting a version is a soft delete: DELETE removes nothing (0 rows), marks it, keeps
-- its comments, and the version stays readable for the audit.
DELETE FROM prompt_versions WHERE prompt_id = 'd0000000-0000-0000-0000-000000000001' AND version_number = 2;
SELECT p.title, v.version_number, v.content, v.change_summary, a.name AS author,
       v.metadata, v.deleted_at IS NOT NULL AS deleted
  FROM prompt_versions v JOIN prompts p ON p.id = v.prompt_id JOIN profiles a ON a.id = v.author_id
 ORDER BY p.title, v.version_number;
SELECT count(*) AS comments FROM version_comments;
-- a deleted version cannot be undeleted by hand either
SELECT regress_util.try($$ UPDATE prompt_versions SET deleted_at = NULL WHERE version_number = 2 $$);

-- The version history the UI shows: live versions, newest first; 'latest' skips deleted ones.
SELECT v.version_number, v.change_summary
  FROM prompt_versions v
 WHERE v.prompt_id = 'd0000000-0000-0000-0000-000000000001' AND v.deleted_at IS NULL
 ORDER BY v.version_number DESC;
DELETE FROM prompt_versions WHERE prompt_id = 'd0000000-0000-0000-0000-000000000001' AND version_number = 3;
SELECT versioning.label('prompt_versions', '{"prompt_id": "d0000000-0000-0000-0000-000000000001"}', 'latest') AS latest;
-- A new version after deleted ones continues the numbering: numbers are never reused.
INSERT INTO prompt_versions (prompt_id, version_number, content, author_id)
VALUES ('d0000000-0000-0000-0000-000000000001', 1, 'Summarize: {text}', 'e0000000-0000-0000-0000-000000000001')
RETURNING version_number;

-- Soft delete of prompts is the application's is_active flag (prompts is not versioned).
UPDATE prompts SET is_active = false WHERE title = 'Translator';
SELECT title, is_active FROM prompts ORDER BY title;

-- GDPR: hard delete of the Translator's versions is versioning.purge, by the table owner,
-- with allow_purge set and a reason; without it nothing is removed.
SELECT regress_util.try($$ SELECT versioning.purge('prompt_versions', '{"prompt_id": "d0000000-0000-0000-0000-000000000002"}', reason => 'GDPR erasure, ticket 9') $$);
BEGIN;
SET LOCAL versioning.allow_purge = on;
SELECT versioning.purge('prompt_versions', '{"prompt_id": "d0000000-0000-0000-0000-000000000002"}', reason => 'GDPR erasure, ticket 9') AS purged;
COMMIT;
-- now the prompt itself can go
DELETE FROM prompts WHERE title = 'Translator';
SELECT p.title, v.version_number, v.deleted_at IS NOT NULL AS deleted
  FROM prompt_versions v JOIN prompts p ON p.id = v.prompt_id ORDER BY p.title, v.version_number;

-- The audit trail: creations, soft deletes and the purge with its reason.
SELECT CASE right(l.key ->> 'prompt_id', 1) WHEN '1' THEN 'Summarizer' ELSE 'Translator' END AS prompt,
       l.version, l.action, l.detail
  FROM versioning.log l
 WHERE l.table_name = 'public.prompt_versions'
 ORDER BY l.txid, l.key ->> 'prompt_id', l.version, l.action;

DROP TABLE version_comments, prompt_versions, prompts, profiles;
