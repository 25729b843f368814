-- Without a lifecycle every version is frozen as soon as it is inserted (docs/versioning.md,
-- "Frozen versions"): key, version and content never change, only `mutable` columns may, DELETE is
-- refused.
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

CREATE TABLE fz_docs (
  id           int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference    text NOT NULL,
  project_id   text,
  version      int NOT NULL,
  content_hash text NOT NULL,
  content      jsonb NOT NULL,
  title        text,
  views        int NOT NULL DEFAULT 0,        -- mutable: a counter the application bumps
  tags         text[] NOT NULL DEFAULT '{}'   -- mutable
);
SELECT versioning.enable('fz_docs', key => ARRAY['reference', 'project_id'],
                         content => ARRAY['content', 'title'], mutable => ARRAY['views', 'tags']);
INSERT INTO fz_docs (reference, content, title) VALUES
  ('doc', '{"body": "v1"}', 'One'), ('doc', '{"body": "v2"}', 'Two');
INSERT INTO fz_docs (reference, project_id, content, title) VALUES ('doc', 'p1', '{"body": "v1"}', 'One');

-- Changing content is refused (55000) with a hint to create a new version.
SELECT regress_util.try($$ UPDATE fz_docs SET content = '{"body": "edited"}' WHERE reference = 'doc' AND project_id IS NULL AND version = 1 $$);
SELECT regress_util.try($$ UPDATE fz_docs SET title = 'Renamed' WHERE project_id = 'p1' $$);
-- So is changing the hash, or any other non-mutable column.
SELECT regress_util.try($$ UPDATE fz_docs SET content_hash = repeat('0', 64) WHERE version = 2 $$);
-- Key and version columns never change.
SELECT regress_util.try($$ UPDATE fz_docs SET reference = 'other' WHERE version = 2 $$);
SELECT regress_util.try($$ UPDATE fz_docs SET project_id = 'p2' WHERE project_id IS NULL AND version = 1 $$);
SELECT regress_util.try($$ UPDATE fz_docs SET version = 3 WHERE version = 2 $$);
SELECT regress_util.try($$ UPDATE fz_docs SET version = version + 10 $$);

-- An UPDATE that writes the same values is not a change.
SELECT regress_util.try($$ UPDATE fz_docs SET content = content, title = title, version = version, reference = reference $$);

-- Mutable columns stay writable on every version.
UPDATE fz_docs SET views = views + 1, tags = ARRAY['reviewed'] WHERE reference = 'doc';
UPDATE fz_docs SET views = views + 1 WHERE project_id IS NULL AND version = 2;
-- ... but not together with a frozen column.
SELECT regress_util.try($$ UPDATE fz_docs SET views = 100, title = 'x' WHERE version = 2 AND project_id IS NULL $$);

-- DELETE is refused: versions are frozen.
SELECT regress_util.try($$ DELETE FROM fz_docs WHERE version = 1 AND project_id = 'p1' $$);
SELECT regress_util.try($$ DELETE FROM fz_docs $$);

-- Nothing above changed any version, except the mutable columns.
SELECT reference, project_id, version, content, title, views, tags,
       content_hash = versioning.content_hash(jsonb_build_object('content', content, 'title', title)) AS hash_ok
  FROM fz_docs ORDER BY reference, project_id NULLS FIRST, version;

-- The rules hold for every role, the owner and superusers included (this file runs as a
-- superuser); and inside a transaction that rolls back or a savepoint nothing slips through.
BEGIN;
SAVEPOINT s;
SELECT regress_util.try($$ UPDATE fz_docs SET title = 'inside' WHERE version = 1 AND project_id = 'p1' $$);
ROLLBACK TO SAVEPOINT s;
SELECT title FROM fz_docs WHERE version = 1 AND project_id = 'p1';
ROLLBACK;

-- A new version is the way to change content.
INSERT INTO fz_docs (reference, content, title) VALUES ('doc', '{"body": "edited"}', 'One') RETURNING version;

-- After disable the rules are gone (the rows stay): the escape hatch for the owner.
BEGIN;
SELECT versioning.disable('fz_docs');
UPDATE fz_docs SET title = 'fixed by hand' WHERE version = 1 AND project_id = 'p1';
DELETE FROM fz_docs WHERE version = 3;
SELECT count(*) AS rows FROM fz_docs;
ROLLBACK;
-- (rolled back: still versioned)
SELECT regress_util.try($$ DELETE FROM fz_docs WHERE version = 3 $$);

DROP TABLE fz_docs;
