-- A migration history as a schema-migration tool (Alembic, Flyway, Rails) replays it, with
-- inserts, dedup, labels and lifecycle transitions working between every step and no call to
-- versioning.enable after the first (docs/operations.md, "Schema changes").
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- 0001_create_prompts: the table, with some history already written by the application.
CREATE TABLE prompts (
    id          bigserial PRIMARY KEY,
    name        varchar(40) NOT NULL,
    version     int,
    template    text NOT NULL,
    model       varchar(20) NOT NULL,
    content_hash text,
    status      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO prompts (name, template, model, created_at) VALUES
    ('greet', 'Hello {user}', 'small', '2024-01-01'), ('greet', 'Hi {user}', 'small', '2024-02-01');

-- 0002_versioning: enable on the populated table (adopted in created_at order).
SELECT versioning.enable('prompts', key => ARRAY['name'], content => ARRAY['template', 'model'],
                         lifecycle => 'publish', order_by => ARRAY['created_at', 'id']);
UPDATE prompts SET status = 'published' WHERE version = 2;
SELECT versioning.set_label('prompts', '{"name": "greet"}', 'prod', 2);
INSERT INTO prompts (name, template, model) VALUES ('greet', 'Hello {user}', 'small') RETURNING version; -- dedup: v1
INSERT INTO prompts (name, template, model) VALUES ('greet', 'Hey {user}', 'small') RETURNING version;

-- 0003_add_temperature: a new column, not content (content was chosen at enable).
ALTER TABLE prompts ADD COLUMN temperature numeric DEFAULT 0.7;
INSERT INTO prompts (name, template, model, temperature) VALUES ('greet', 'Hey {user}', 'small', 0.2) RETURNING version; -- dedup: v3
INSERT INTO prompts (name, template, model) VALUES ('greet', 'Yo {user}', 'small') RETURNING version;

-- 0004_rename_template: a content column renamed.
ALTER TABLE prompts RENAME COLUMN template TO body;
INSERT INTO prompts (name, body, model) VALUES ('greet', 'Hi {user}', 'small') RETURNING version; -- dedup: v2
UPDATE prompts SET body = 'Yo, {user}' WHERE version = 4 RETURNING version, status;          -- a draft: editable
UPDATE prompts SET status = 'published' WHERE version = 4;

-- 0005_rename_table: prompts becomes prompt_versions.
ALTER TABLE prompts RENAME TO prompt_versions;
INSERT INTO prompt_versions (name, body, model) VALUES ('greet', 'Hello {user}', 'small') RETURNING version; -- dedup: v1
INSERT INTO prompt_versions (name, body, model) VALUES ('greet', 'Welcome {user}', 'large') RETURNING version;
SELECT versioning.set_label('prompt_versions', '{"name": "greet"}', 'prod', 4);
SELECT versioning.label('prompt_versions', '{"name": "greet"}', 'prod');

-- 0006_widen_columns: longer varchar, and varchar to text.
ALTER TABLE prompt_versions ALTER COLUMN name TYPE varchar(200), ALTER COLUMN model TYPE text;
INSERT INTO prompt_versions (name, body, model) VALUES ('greet', 'Welcome {user}', 'large') RETURNING version; -- dedup: v5
INSERT INTO prompt_versions (name, body, model) VALUES ('farewell', 'Bye {user}', 'small') RETURNING version;
SELECT * FROM regress_util.try($$UPDATE prompt_versions SET body = 'changed' WHERE name = 'greet' AND version = 4$$);

-- 0007_version_bigint: the version column widened.
ALTER TABLE prompt_versions ALTER COLUMN version TYPE bigint;
INSERT INTO prompt_versions (name, body, model) VALUES ('greet', 'Greetings {user}', 'large') RETURNING version;

-- A mistaken migration is refused and leaves the table as it was.
SELECT * FROM regress_util.try($$ALTER TABLE prompt_versions DROP COLUMN body$$);
SELECT * FROM regress_util.try($$ALTER TABLE prompt_versions ALTER COLUMN model TYPE int USING 0$$);

-- The history as the application reads it.
SELECT name, version, body, model, status FROM prompt_versions ORDER BY name, version;
SELECT versioning.history('prompt_versions', '{"name": "greet"}', lim => 2) ->> 'version' AS newest;
SELECT version, action FROM versioning.log WHERE table_name = 'public.prompt_versions'
   AND action IN ('create', 'transition', 'label', 'adopt') ORDER BY at, version NULLS FIRST, action;
SELECT versioning.config('prompt_versions') -> 'hashed_as' AS hashed_as;
DROP TABLE prompt_versions;
