-- Example 002: prompt version history. A prompt has versions numbered 1, 2, 3, … that are
-- immutable once created ("Created → Immutable"); deleting a version marks it deleted and
-- keeps it for the audit ("Deleted → Soft delete"); hard delete only for GDPR. Numbering,
-- soft delete and versioning.purge: docs/versioning.md; purge's setting and who may call it:
-- docs/reference.md and docs/security.md.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;
CREATE SCHEMA example_002;
SET search_path = example_002, public;

-- The application references profiles(id), which is not part of this design: a minimal
-- stand-in.
CREATE TABLE profiles (id uuid PRIMARY KEY, name text NOT NULL);
INSERT INTO profiles VALUES ('e0000000-0000-0000-0000-00000000000a', 'ada'),
                            ('e0000000-0000-0000-0000-00000000000b', 'bob');

-- The application's SQLAlchemy models (Prompt, PromptVersion, VersionComment) as SQL.
CREATE TABLE prompts (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title       varchar(255) NOT NULL,
    description text,
    content     text NOT NULL,            -- current version content (denormalized)
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
    metadata       jsonb
);
-- ON DELETE CASCADE: the ORM's cascade="all, delete-orphan" (delete version → delete its
-- comments), done by the database.
CREATE TABLE version_comments (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    version_id uuid NOT NULL REFERENCES prompt_versions (id) ON DELETE CASCADE,
    author_id  uuid NOT NULL REFERENCES profiles (id),
    content    text NOT NULL,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz
);

-- The application's indexes and unique constraint, as written.
CREATE INDEX ix_prompt_versions_prompt_id_version ON prompt_versions(prompt_id, version_number);
CREATE INDEX ix_prompt_versions_created_at ON prompt_versions(created_at);
CREATE INDEX ix_prompt_versions_author_id ON prompt_versions(author_id);
CREATE INDEX ix_prompts_author_active ON prompts(author_id, is_active) WHERE is_active = true;
ALTER TABLE prompt_versions ADD CONSTRAINT uq_prompt_version_number
UNIQUE (prompt_id, version_number);

-- The migration. A soft delete needs a column to mark it (the models have none); then one
-- call. No lifecycle: every version is frozen once inserted. The application keeps no hash
-- and saving the same text again is still a new version, so no hash and no dedup.
ALTER TABLE prompt_versions ADD COLUMN deleted_at timestamptz;
SELECT versioning.enable('prompt_versions',
  key            => ARRAY['prompt_id'],
  version_column => 'version_number',
  hash_column    => NULL,
  dedup          => 'off',
  deleted_column => 'deleted_at');
-- The content of a version: every column its author wrote.
SELECT versioning.config('prompt_versions') -> 'content' AS content;
-- prompts.content is the current version's content, denormalized: the database keeps it so
-- (the latest version not deleted), in the statement that saves or deletes a version. A
-- prompt whose versions are all gone (the GDPR purge below) has no content: NULL.
ALTER TABLE prompts ALTER COLUMN content DROP NOT NULL;
SELECT versioning.enable_current('prompt_versions', 'prompts',
  match => '{"prompt_id": "id"}', set => '{"content": "content"}');

\set prompt_id 'd0000000-0000-0000-0000-000000000001'
\set key '{"prompt_id": "d0000000-0000-0000-0000-000000000001"}'
\set translator 'd0000000-0000-0000-0000-000000000002'
\set ada 'e0000000-0000-0000-0000-00000000000a'
\set bob 'e0000000-0000-0000-0000-00000000000b'
SELECT now() AS started \gset

-- Ada creates a prompt and its first version. The application no longer computes
-- version_number: it is left out.
BEGIN;
INSERT INTO prompts (id, title, content, author_id) VALUES (:'prompt_id', 'Summarizer', 'Summarize: {text}', :'ada');
INSERT INTO prompt_versions (prompt_id, content, change_summary, author_id, metadata)
VALUES (:'prompt_id', 'Summarize: {text}', 'initial', :'ada', '{"words": 2}')
RETURNING version_number;
COMMIT;
-- Bob's Translator prompt numbers its versions on its own.
BEGIN;
INSERT INTO prompts (id, title, content, author_id) VALUES (:'translator', 'Translator', 'Translate: {text}', :'bob');
INSERT INTO prompt_versions (prompt_id, content, change_summary, author_id)
VALUES (:'translator', 'Translate: {text}', 'initial', :'bob')
RETURNING version_number;
COMMIT;

-- Each save is a new version; prompts.content follows it.
INSERT INTO prompt_versions (prompt_id, content, change_summary, author_id, metadata)
VALUES (:'prompt_id', 'Summarize briefly: {text}', 'shorter', :'bob', '{"words": 3}')
RETURNING version_number;
SELECT content FROM prompts WHERE id = :'prompt_id';
-- Code that still sends max(version_number) + 1 itself, from a stale read (here 2), gets the
-- next number anyway: the database assigns it.
INSERT INTO prompt_versions (prompt_id, version_number, content, change_summary, author_id, metadata)
VALUES (:'prompt_id', 2, 'Summarize in 3 bullets: {text}', 'bullets', :'ada', '{"words": 5, "tags": ["bullets"]}')
RETURNING version_number;
SELECT content FROM prompts WHERE id = :'prompt_id';

-- Bob comments on version 2 (comments are a plain table).
INSERT INTO version_comments (version_id, author_id, content)
SELECT id, :'bob', 'too terse?' FROM prompt_versions WHERE prompt_id = :'prompt_id' AND version_number = 2;

-- The version history, newest first, and what changed from version 1 to version 3.
SELECT h ->> 'version_number' AS version, h ->> 'change_summary' AS change_summary, p.name AS author
  FROM versioning.history('prompt_versions', :'key') h
  JOIN profiles p ON p.id = (h ->> 'author_id')::uuid
 ORDER BY (h ->> 'version_number')::int DESC;
SELECT op ->> 'op' AS op, op ->> 'path' AS path, op -> 'value' AS value
  FROM jsonb_array_elements(versioning.diff('prompt_versions', :'key', 1, 3)) op
 ORDER BY path;

-- Versions are immutable: neither the content, the metadata, the number nor the prompt a
-- version belongs to can change.
UPDATE prompt_versions SET content = 'hacked' WHERE prompt_id = :'prompt_id' AND version_number = 1;
UPDATE prompt_versions SET metadata = '{}' WHERE prompt_id = :'prompt_id' AND version_number = 2;
UPDATE prompt_versions SET version_number = 7 WHERE prompt_id = :'prompt_id' AND version_number = 3;
UPDATE prompt_versions SET prompt_id = :'translator' WHERE prompt_id = :'prompt_id' AND version_number = 3;

-- Deleting a version is a soft delete: nothing is removed (DELETE 0), deleted_at is set, the
-- comments stay, and the history hides it unless asked.
DELETE FROM prompt_versions WHERE prompt_id = :'prompt_id' AND version_number = 2;
SELECT version_number, content, change_summary, deleted_at IS NOT NULL AS deleted,
       (SELECT count(*) FROM version_comments c WHERE c.version_id = v.id) AS comments
  FROM prompt_versions v WHERE prompt_id = :'prompt_id' ORDER BY version_number;
SELECT array_agg(h ->> 'version_number' ORDER BY n) AS history
  FROM versioning.history('prompt_versions', :'key') WITH ORDINALITY AS x(h, n);
SELECT array_agg(h ->> 'version_number' ORDER BY n) AS with_deleted
  FROM versioning.history('prompt_versions', :'key', include_deleted => true) WITH ORDINALITY AS x(h, n);
-- A deleted version cannot be brought back by hand.
UPDATE prompt_versions SET deleted_at = NULL WHERE prompt_id = :'prompt_id' AND version_number = 2;

-- Deleting the latest version: 'latest' is now the newest version that is not deleted.
DELETE FROM prompt_versions WHERE prompt_id = :'prompt_id' AND version_number = 3;
SELECT versioning.label('prompt_versions', :'key', 'latest') AS latest_version,
       versioning.latest('prompt_versions', :'key') ->> 'content' AS latest,
       (SELECT content FROM prompts WHERE id = :'prompt_id') AS prompts_content;

-- Numbers are never reused, not even the deleted latest one: the next save is version 4.
INSERT INTO prompt_versions (prompt_id, content, change_summary, author_id)
VALUES (:'prompt_id', 'Summarize in 3 short bullets: {text}', 'shorter bullets', :'bob')
RETURNING version_number;
SELECT versioning.latest('prompt_versions', :'key') ->> 'content' AS latest;

-- Soft delete of a prompt is the application's is_active flag (prompts is not versioned).
UPDATE prompts SET is_active = false WHERE id = :'prompt_id';

-- GDPR erasure: the one hard delete, versioning.purge, by the table owner, with
-- versioning.allow_purge set and a reason. Without the setting it is refused. Only the
-- Summarizer's versions go; the Translator keeps its own.
SELECT versioning.purge('prompt_versions', :'key', reason => 'GDPR erasure, ticket 42');
BEGIN;
SET LOCAL versioning.allow_purge = on;
SELECT versioning.purge('prompt_versions', :'key', reason => 'GDPR erasure, ticket 42') AS purged;
COMMIT;
DELETE FROM prompts WHERE id = :'prompt_id';
SELECT p.title, v.version_number, v.content
  FROM prompt_versions v JOIN prompts p ON p.id = v.prompt_id ORDER BY p.title, v.version_number;
SELECT count(*) AS comments FROM version_comments;

-- The audit trail keeps what happened, including the purge and its reason.
SELECT CASE key ->> 'prompt_id' WHEN :'prompt_id' THEN 'Summarizer' ELSE 'Translator' END AS prompt,
       version, action, detail
  FROM versioning.log
 WHERE table_name = 'example_002.prompt_versions' AND at >= :'started'
 ORDER BY at, prompt, version, action;

SET client_min_messages = warning;
DROP SCHEMA example_002 CASCADE;
RESET client_min_messages;
