-- versioning.enable on a table that already holds rows: adoption (docs/versioning.md,
-- "Adopting a table that has history"). Versions are kept or numbered per key, hashes filled
-- and checked, states completed, one 'adopt' log record; errors leave the table as it was.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- 1. Rows that carry versions keep them; NULL hashes are filled with what an INSERT computes,
--    so inserting a content version 1 already has is deduplicated. Gaps are kept and reported.
CREATE TABLE ad_kept (
    id           serial PRIMARY KEY,
    project      text NOT NULL,
    version      int,
    body         jsonb NOT NULL,
    content_hash text
);
INSERT INTO ad_kept (project, version, body) VALUES
    ('a', 1, '{"n": 1}'), ('a', 2, '{"n": 2}'),
    ('b', 1, '{"n": 1}'), ('b', 4, '{"n": 4}');
SELECT versioning.enable('ad_kept', key => ARRAY['project'], content => ARRAY['body']);
SELECT project, version, content_hash = versioning.content_hash(body) AS hash_ok
  FROM ad_kept ORDER BY project, version;
INSERT INTO ad_kept (project, body) VALUES ('a', '{"n": 1}');   -- version 1's content: skipped
INSERT INTO ad_kept (project, body) VALUES ('b', '{"n": 5}');   -- numbering continues at max + 1
SELECT project, version FROM ad_kept ORDER BY project, version;
SELECT action, key, version, detail FROM versioning.log
 WHERE table_name = 'public.ad_kept' AND action = 'adopt';
-- adopted rows are frozen like any version
SELECT * FROM regress_util.try($$UPDATE ad_kept SET body = '{"n": 0}' WHERE project = 'a' AND version = 1$$);

-- 2. Keys whose rows all have NULL versions are numbered 1..N in order_by order; order_by is
--    required for them (22023 with a HINT naming it), and checked like any column option.
CREATE TABLE ad_numbered (
    id           serial PRIMARY KEY,
    ref          text,
    version      bigint,
    title        text,
    content_hash bytea,
    created_at   timestamptz NOT NULL
);
INSERT INTO ad_numbered (ref, title, created_at) VALUES
    ('x', 'third',  '2024-03-01'), ('x', 'first', '2024-01-01'), ('x', 'second', '2024-02-01'),
    (NULL, 'only',  '2024-01-01'),            -- a NULL key is a key like any other
    ('y', 'same',   '2024-01-01'), ('y', 'same', '2024-01-01'); -- a tie: id decides
SELECT * FROM regress_util.try($$SELECT versioning.enable('ad_numbered', key => ARRAY['ref'], content => ARRAY['title'])$$);
SELECT * FROM regress_util.try($$SELECT versioning.enable('ad_numbered', key => ARRAY['ref'], content => ARRAY['title'], order_by => ARRAY['created', 'id'])$$);
SELECT * FROM regress_util.try($$SELECT versioning.enable('ad_numbered', key => ARRAY['ref'], content => ARRAY['title'], order_by => ARRAY[NULL]::text[])$$);
-- the failed calls left nothing behind
SELECT count(*) AS configured FROM versioning.tables WHERE table_name = 'public.ad_numbered';
SELECT count(*) AS numbered FROM ad_numbered WHERE version IS NOT NULL OR content_hash IS NOT NULL;
SELECT versioning.enable('ad_numbered', key => ARRAY['ref'], content => ARRAY['title'],
                         order_by => ARRAY['created_at', 'id']);
SELECT ref, version, title, length(content_hash) AS hash_bytes FROM ad_numbered ORDER BY ref, version;
SELECT detail->'versions_assigned' AS assigned, detail->'duplicate_contents' AS duplicates,
       detail->'irregular' AS irregular
  FROM versioning.log WHERE table_name = 'public.ad_numbered' AND action = 'adopt';
-- dedup sees every adopted hash (dedup 'any': also an older version's)
INSERT INTO ad_numbered (ref, title, created_at) VALUES ('x', 'first', now());
SELECT count(*) AS x_versions FROM ad_numbered WHERE ref = 'x';

-- 3. A key mixing numbered and unnumbered rows, or repeating a version, is refused naming the
--    key and the versions; the table is left as it was.
CREATE TABLE ad_bad (
    id serial PRIMARY KEY, k int, version int, body text, content_hash text
);
INSERT INTO ad_bad (k, version, body) VALUES (1, 1, 'a'), (1, 2, 'b'), (1, NULL, 'c'), (2, 1, 'd');
SELECT * FROM regress_util.try($$SELECT versioning.enable('ad_bad', key => ARRAY['k'], content => ARRAY['body'], order_by => ARRAY['id'])$$);
UPDATE ad_bad SET version = 2 WHERE version IS NULL;
SELECT * FROM regress_util.try($$SELECT versioning.enable('ad_bad', key => ARRAY['k'], content => ARRAY['body'])$$);
SELECT count(*) AS configured FROM versioning.tables WHERE table_name = 'public.ad_bad';
SELECT count(*) AS hashed FROM ad_bad WHERE content_hash IS NOT NULL;
SELECT count(*) AS indexes FROM pg_index WHERE indrelid = 'ad_bad'::regclass;
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'ad_bad'::regclass;

-- 4. A stored hash that differs from the computed one is refused (22000, naming key and
--    version), unless rehash => true replaces it. A stored hash in upper case is the same hash.
CREATE TABLE ad_hash (
    id serial PRIMARY KEY, k text, version int, body text, content_hash text
);
INSERT INTO ad_hash (k, version, body, content_hash) VALUES
    ('p', 1, 'one', upper(encode(sha256('one'), 'hex'))),
    ('p', 2, 'two', 'md5:' || md5('two'));          -- the application's old hashing
SELECT * FROM regress_util.try($$SELECT versioning.enable('ad_hash', key => ARRAY['k'], content => ARRAY['body'])$$);
SELECT content_hash FROM ad_hash ORDER BY version;
SELECT versioning.enable('ad_hash', key => ARRAY['k'], content => ARRAY['body'], rehash => true);
SELECT version, content_hash = encode(sha256(body::bytea), 'hex') AS hash_ok FROM ad_hash ORDER BY version;
SELECT detail->'hashes_replaced' AS replaced FROM versioning.log
 WHERE table_name = 'public.ad_hash' AND action = 'adopt';
-- enabling again with the same options changes nothing and writes no record
SELECT versioning.enable('ad_hash', key => ARRAY['k'], content => ARRAY['body']);
SELECT count(*) AS adopt_records FROM versioning.log WHERE table_name = 'public.ad_hash' AND action = 'adopt';
-- a new content definition re-reads the history: its stored hashes no longer match
SELECT * FROM regress_util.try($$SELECT versioning.enable('ad_hash', key => ARRAY['k'], content => ARRAY['body', 'id'])$$);

-- 5. Lifecycle: NULL states get the initial state; rows in non-editable states are frozen, also
--    where a lifecycle lets a version return to an editable state (review: submitted → draft);
--    a state the lifecycle does not have is refused.
CREATE TABLE ad_review (
    id serial PRIMARY KEY, doc text, version int, body text, content_hash text,
    status text, submitted_at timestamptz, reviewed_at timestamptz, reviewed_by text
);
INSERT INTO ad_review (doc, version, body, status) VALUES
    ('d', 1, 'v1', 'approved'), ('d', 2, 'v2', 'submitted'), ('d', 3, 'v3', NULL), ('e', 1, 'e1', 'lost');
SELECT * FROM regress_util.try($$SELECT versioning.enable('ad_review', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => 'review')$$);
UPDATE ad_review SET status = 'draft' WHERE status = 'lost';
SELECT versioning.enable('ad_review', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => 'review');
SELECT doc, version, status FROM ad_review ORDER BY doc, version;
-- submitted → draft is a transition of the lifecycle, but the adopted version stays frozen
UPDATE ad_review SET status = 'draft' WHERE doc = 'd' AND version = 2;
SELECT * FROM regress_util.try($$UPDATE ad_review SET body = 'changed' WHERE doc = 'd' AND version = 2$$);
-- an adopted draft (NULL state, now the initial one) is editable
UPDATE ad_review SET body = 'v3 edited' WHERE doc = 'd' AND version = 3;
SELECT detail->'states_set' AS states_set FROM versioning.log
 WHERE table_name = 'public.ad_review' AND action = 'adopt';

-- 6. parent_column: NULL parents are filled with the previous version's primary key.
CREATE TABLE ad_parent (
    id int PRIMARY KEY, k text, version int, body text, content_hash text, parent_id int
);
INSERT INTO ad_parent (id, k, version, body) VALUES (10, 'a', 1, 'x'), (11, 'a', 2, 'y'), (12, 'a', 3, 'z');
SELECT versioning.enable('ad_parent', key => ARRAY['k'], content => ARRAY['body'], parent_column => 'parent_id');
SELECT id, version, parent_id FROM ad_parent ORDER BY version;

-- 7. Multi-column content, audit => false (the adopt record is still written), an empty table
--    (nothing to adopt, no record), and a content that cannot be hashed.
CREATE TABLE ad_multi (id serial PRIMARY KEY, k int, version int, a text, b int, content_hash text);
INSERT INTO ad_multi (k, a, b) VALUES (1, 'x', 1), (1, 'x', 1), (1, 'y', 2);
SELECT versioning.enable('ad_multi', key => ARRAY['k'], content => ARRAY['a', 'b'],
                         order_by => ARRAY['id'], audit => false);
SELECT version, a, b FROM ad_multi ORDER BY version;
SELECT detail->'duplicate_contents' AS duplicates, detail->'irregular' AS irregular
  FROM versioning.log WHERE table_name = 'public.ad_multi' AND action = 'adopt';
INSERT INTO ad_multi (k, a, b) VALUES (1, 'y', 2);      -- deduplicated against version 3
SELECT count(*) FROM ad_multi;
CREATE TABLE ad_empty (id serial PRIMARY KEY, k int, version int, body text, content_hash text);
SELECT versioning.enable('ad_empty', key => ARRAY['k'], content => ARRAY['body'], order_by => ARRAY['id']);
SELECT count(*) AS adopt_records FROM versioning.log WHERE table_name = 'public.ad_empty';
CREATE TABLE ad_deep (id serial PRIMARY KEY, k int, version int, body json, content_hash text);
INSERT INTO ad_deep (k, version, body) VALUES (1, 1, '{"a": 1}'), (1, 2, '"\ud83d"');
SELECT * FROM regress_util.try($$SELECT versioning.enable('ad_deep', key => ARRAY['k'], content => ARRAY['body'])$$);

SELECT count(*) AS hashed FROM ad_deep WHERE content_hash IS NOT NULL;

-- 8. A large adoption reports its progress every 10 %.
CREATE TABLE ad_large (id int PRIMARY KEY, k int, version int, body text, content_hash text);
INSERT INTO ad_large SELECT i, i % 1000, NULL, 'body ' || i FROM generate_series(1, 120000) i;
SELECT versioning.enable('ad_large', key => ARRAY['k'], content => ARRAY['body'], order_by => ARRAY['id']);
SELECT count(*) AS rows, count(DISTINCT k) AS keys, max(version) AS max_version,
       count(content_hash) AS hashed FROM ad_large;
SELECT bool_and(version = (id + 999) / 1000) AS numbered_in_id_order FROM ad_large;
DROP TABLE ad_large;

-- 9. The table's own triggers do not fire for the adoption, and come back as they were.
CREATE TABLE ad_trig (id serial PRIMARY KEY, k int, version int, body text, content_hash text,
                      touched int NOT NULL DEFAULT 0);
CREATE FUNCTION ad_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.touched := NEW.touched + 1; RETURN NEW; END $$;
CREATE TRIGGER a_touch BEFORE UPDATE ON ad_trig FOR EACH ROW EXECUTE FUNCTION ad_touch();
CREATE TRIGGER b_touch_always BEFORE UPDATE ON ad_trig FOR EACH ROW EXECUTE FUNCTION ad_touch();
ALTER TABLE ad_trig ENABLE ALWAYS TRIGGER b_touch_always;
CREATE TRIGGER c_touch_off BEFORE UPDATE ON ad_trig FOR EACH ROW EXECUTE FUNCTION ad_touch();
ALTER TABLE ad_trig DISABLE TRIGGER c_touch_off;
INSERT INTO ad_trig (k, body) VALUES (1, 'a'), (1, 'b');
SELECT versioning.enable('ad_trig', key => ARRAY['k'], content => ARRAY['body'],
                         order_by => ARRAY['id'], mutable => ARRAY['touched']);
SELECT version, touched FROM ad_trig ORDER BY version;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'ad_trig'::regclass ORDER BY tgname;
UPDATE ad_trig SET touched = 0 WHERE version = 1 RETURNING version, touched;  -- a_touch and b_touch_always: 2

-- 10. Only the table's owner adopts it (as for any enable).
CREATE ROLE ad_writer;
GRANT ALL ON ad_empty TO ad_writer;
SET ROLE ad_writer;
SELECT * FROM regress_util.try($$SELECT versioning.enable('ad_empty', key => ARRAY['k'], content => ARRAY['body'], rehash => true)$$);
RESET ROLE;
REVOKE ALL ON ad_empty FROM ad_writer;
DROP ROLE ad_writer;
