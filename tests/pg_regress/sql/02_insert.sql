-- What a plain INSERT into a versioned table does (docs/versioning.md, "What an INSERT does", "The
-- content hash"): hash, dedup, version numbering, parent, check_version, audit log.
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- One jsonb content column; the entity is (reference, project_id).
CREATE TABLE ins_docs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference    text NOT NULL,
  project_id   text,
  version      int NOT NULL DEFAULT 1,     -- as in the examples: harmless, the trigger assigns it
  content_hash text NOT NULL,
  content      jsonb NOT NULL
);
SELECT versioning.enable('ins_docs', key => ARRAY['reference', 'project_id']);
SELECT versioning.config('ins_docs')->'content' AS content;

------------------------------------------------------------------------------------------
-- Versions count 1, 2, 3 per key; a supplied version is replaced.
INSERT INTO ins_docs (reference, content) VALUES ('wf', '{"name": "first"}') RETURNING reference, project_id, version;
INSERT INTO ins_docs (reference, content) VALUES ('wf', '{"name": "second"}') RETURNING reference, project_id, version;
INSERT INTO ins_docs (reference, version, content) VALUES ('wf', 42, '{"name": "third"}') RETURNING reference, project_id, version;
INSERT INTO ins_docs (reference, version, content) VALUES ('wf', 1, '{"name": "fourth"}') RETURNING reference, project_id, version;

-- Key columns compare with NULLs equal: ('wf', NULL) above is one entity, ('wf', 'p1')
-- another, numbered separately.
INSERT INTO ins_docs (reference, project_id, content) VALUES ('wf', 'p1', '{"name": "first"}') RETURNING reference, project_id, version;
INSERT INTO ins_docs (reference, project_id, content) VALUES ('wf', 'p1', '{"name": "second"}') RETURNING reference, project_id, version;
INSERT INTO ins_docs (reference, project_id, content) VALUES ('wf', NULL, '{"name": "fifth"}') RETURNING reference, project_id, version;

-- The hash of one jsonb content column is SHA-256 of its canonical JSON.
SELECT reference, project_id, version, content,
       content_hash = encode(sha256(convert_to(versioning.canonical(content), 'UTF8')), 'hex') AS hash_is_sha256_of_canonical,
       content_hash = versioning.content_hash(content) AS hash_is_content_hash
  FROM ins_docs ORDER BY reference, project_id NULLS FIRST, version;

------------------------------------------------------------------------------------------
-- dedup 'any' + on_duplicate 'skip' (the defaults): content equal to any earlier version
-- of the same key is dropped silently, like ON CONFLICT DO NOTHING: RETURNING gives no row.
INSERT INTO ins_docs (reference, content) VALUES ('wf', '{"name": "first"}') RETURNING version;
-- jsonb equality decides, so key order, whitespace and 1.0 vs 1 do not make new content.
INSERT INTO ins_docs (reference, content) VALUES ('dup', '{"a": 1, "b": [1, 2]}') RETURNING version;
INSERT INTO ins_docs (reference, content) VALUES ('dup', '{ "b" : [1.0, 2e0], "a" : 1.00 }') RETURNING version;
-- The same content under another key is not a duplicate.
INSERT INTO ins_docs (reference, project_id, content) VALUES ('dup', 'p1', '{"a": 1, "b": [1, 2]}') RETURNING version;
SELECT reference, project_id, count(*) AS versions, max(version) AS latest
  FROM ins_docs GROUP BY reference, project_id ORDER BY reference, project_id NULLS FIRST;

-- dedup 'latest': only the latest version counts, so going back to older content is a new version.
CREATE TABLE ins_latest (id serial PRIMARY KEY, ref text, version int, content_hash text, body text);
SELECT versioning.enable('ins_latest', key => ARRAY['ref'], dedup => 'latest');
INSERT INTO ins_latest (ref, body) VALUES ('k', 'A') RETURNING version, body;
INSERT INTO ins_latest (ref, body) VALUES ('k', 'B') RETURNING version, body;
INSERT INTO ins_latest (ref, body) VALUES ('k', 'A') RETURNING version, body;
INSERT INTO ins_latest (ref, body) VALUES ('k', 'A') RETURNING version, body;   -- same as latest: skipped

-- dedup 'off': every insert is a new version.
CREATE TABLE ins_off (id serial PRIMARY KEY, ref text, version int, content_hash text, body text);
SELECT versioning.enable('ins_off', key => ARRAY['ref'], dedup => 'off');
INSERT INTO ins_off (ref, body) VALUES ('k', 'A'), ('k', 'A'), ('k', 'A') RETURNING version, body;

-- on_duplicate 'error': a duplicate raises 23505 and the DETAIL names the existing version.
CREATE TABLE ins_strict (id serial PRIMARY KEY, ref text, version int, content_hash text, body text);
SELECT versioning.enable('ins_strict', key => ARRAY['ref'], on_duplicate => 'error');
INSERT INTO ins_strict (ref, body) VALUES ('k', 'A'), ('k', 'B');
SELECT regress_util.try($$ INSERT INTO ins_strict (ref, body) VALUES ('k', 'A') $$);
-- with dedup 'latest', only a repeat of the latest content is an error
SELECT versioning.enable('ins_strict', key => ARRAY['ref'], on_duplicate => 'error', dedup => 'latest');
SELECT regress_util.try($$ INSERT INTO ins_strict (ref, body) VALUES ('k', 'B') $$);
SELECT regress_util.try($$ INSERT INTO ins_strict (ref, body) VALUES ('k', 'A') $$);
SELECT ref, version, body FROM ins_strict ORDER BY ref, version;

------------------------------------------------------------------------------------------
-- One statement, many rows: rows sharing a key get consecutive versions in input order,
-- and dedup sees the earlier rows of the same statement.
INSERT INTO ins_docs (reference, content) VALUES
  ('multi', '{"step": 1}'),
  ('multi', '{"step": 2}'),
  ('other', '{"step": 1}'),
  ('multi', '{"step": 1}'),     -- duplicate of the first row: skipped
  ('multi', '{"step": 3}'),
  ('other', '{"step": 1}')      -- duplicate: skipped
RETURNING reference, version, content;

-- INSERT … SELECT: 10 rows, content cycling through 4 values, so 4 versions.
INSERT INTO ins_docs (reference, content)
SELECT 'bulk', jsonb_build_object('n', g % 4) FROM generate_series(0, 9) AS g ORDER BY g;
SELECT version, content FROM ins_docs WHERE reference = 'bulk' ORDER BY version;

-- COPY goes through the same trigger.
COPY ins_docs (reference, project_id, content) FROM STDIN;
copied	\N	{"line": 1}
copied	\N	{"line": 2}
copied	p9	{"line": 1}
copied	\N	{"line": 1}
copied	\N	{"line": 3}
\.
SELECT reference, project_id, version, content FROM ins_docs WHERE reference = 'copied'
 ORDER BY project_id NULLS FIRST, version;

-- Whatever the path, every key's versions are exactly 1..N.
SELECT reference, project_id, array_agg(version ORDER BY version) AS versions
  FROM ins_docs GROUP BY reference, project_id ORDER BY reference, project_id NULLS FIRST;

------------------------------------------------------------------------------------------
-- check_version => true: optimistic concurrency. A supplied version must be the next one
-- (40001 otherwise); a NULL version is assigned as usual.
CREATE TABLE ins_occ (id serial PRIMARY KEY, ref text, version int, content_hash text, body text);
SELECT versioning.enable('ins_occ', key => ARRAY['ref'], check_version => true);
INSERT INTO ins_occ (ref, version, body) VALUES ('k', 1, 'A') RETURNING version;
INSERT INTO ins_occ (ref, body) VALUES ('k', 'B') RETURNING version;
INSERT INTO ins_occ (ref, version, body) VALUES ('k', 3, 'C') RETURNING version;
-- two writers both read version 3 and both try to write version 4: the second one loses
INSERT INTO ins_occ (ref, version, body) VALUES ('k', 4, 'D') RETURNING version;
SELECT regress_util.try($$ INSERT INTO ins_occ (ref, version, body) VALUES ('k', 4, 'E') $$);
SELECT regress_util.try($$ INSERT INTO ins_occ (ref, version, body) VALUES ('k', 9, 'E') $$);
SELECT regress_util.try($$ INSERT INTO ins_occ (ref, version, body) VALUES ('new', 2, 'E') $$);
SELECT ref, version, body FROM ins_occ ORDER BY ref, version;

------------------------------------------------------------------------------------------
-- parent_column: each version points at the primary key of the previous one.
CREATE TABLE ins_tree (id int GENERATED ALWAYS AS IDENTITY (START WITH 100) PRIMARY KEY,
                       ref text, version int, content_hash text, body text, parent_id int);
SELECT versioning.enable('ins_tree', key => ARRAY['ref'], parent_column => 'parent_id');
INSERT INTO ins_tree (ref, body) VALUES ('a', 'one'), ('b', 'one'), ('a', 'two');
INSERT INTO ins_tree (ref, body, parent_id) VALUES ('a', 'three', 999);  -- supplied parent replaced
INSERT INTO ins_tree (ref, body) VALUES ('a', 'two');                    -- duplicate: skipped
SELECT t.ref, t.version, t.id, t.parent_id,
       t.parent_id IS NOT DISTINCT FROM
         (SELECT p.id FROM ins_tree p WHERE p.ref = t.ref AND p.version = t.version - 1) AS parent_is_previous
  FROM ins_tree t ORDER BY t.ref, t.version;

------------------------------------------------------------------------------------------
-- A supplied hash is checked: the right one is accepted, a wrong one is 22000.
INSERT INTO ins_docs (reference, content, content_hash)
VALUES ('hashed', '{"x": 1}', versioning.content_hash('{"x": 1}')) RETURNING version, content_hash;
SELECT regress_util.try($$ INSERT INTO ins_docs (reference, content, content_hash)
                      VALUES ('hashed', '{"x": 2}', versioning.content_hash('{"x": 1}')) $$);
SELECT regress_util.try($$ INSERT INTO ins_docs (reference, content, content_hash)
                      VALUES ('hashed', '{"x": 2}', 'not a hash') $$);

-- One text content column hashes its UTF-8 bytes; a bytea hash column stores the 32 raw bytes.
CREATE TABLE ins_text (id serial PRIMARY KEY, ref text, version int, content_hash text, body text);
SELECT versioning.enable('ins_text', key => ARRAY['ref']);
CREATE TABLE ins_bytea (id serial PRIMARY KEY, ref text, version int, content_hash bytea, body text);
SELECT versioning.enable('ins_bytea', key => ARRAY['ref']);
INSERT INTO ins_text (ref, body) VALUES ('k', 'héllo wörld'), ('k', ''), ('k', '{"a":1}');
INSERT INTO ins_bytea (ref, body) VALUES ('k', 'héllo wörld'), ('k', ''), ('k', '{"a":1}');
SELECT t.version, t.body,
       t.content_hash = encode(sha256(convert_to(t.body, 'UTF8')), 'hex') AS text_hash_ok,
       b.content_hash = sha256(convert_to(b.body, 'UTF8')) AS bytea_hash_ok,
       length(b.content_hash) AS bytea_length,
       encode(b.content_hash, 'hex') = t.content_hash AS same_hash
  FROM ins_text t JOIN ins_bytea b USING (ref, version) ORDER BY t.version;
-- supplied hashes on a bytea column: right accepted, wrong 22000
INSERT INTO ins_bytea (ref, body, content_hash) VALUES ('k', 'next', sha256('next'::bytea)) RETURNING version;
SELECT regress_util.try($$ INSERT INTO ins_bytea (ref, body, content_hash) VALUES ('k', 'other', sha256('next'::bytea)) $$);
-- a NULL text content and the four letters 'null' are different content
INSERT INTO ins_text (ref, body) VALUES ('n', NULL) RETURNING version, body IS NULL AS body_is_null;
INSERT INTO ins_text (ref, body) VALUES ('n', 'null') RETURNING version, body IS NULL AS body_is_null;

-- Several content columns hash the canonical JSON of {column: to_jsonb(value), …}.
CREATE TABLE ins_multi (
  id serial PRIMARY KEY, ref text, version int, content_hash text,
  title text, amount numeric, tags text[], payload jsonb, done boolean, due date
);
SELECT versioning.enable('ins_multi', key => ARRAY['ref']);
SELECT versioning.config('ins_multi')->'content' AS content;
INSERT INTO ins_multi (ref, title, amount, tags, payload, done, due) VALUES
  ('k', 'Ünïcode "quoted"', 1.50, ARRAY['b', 'a'], '{"z": 1, "a": [true, null]}', true, '2024-02-29'),
  ('k', NULL, 10, '{}', NULL, false, NULL);
SELECT version,
       versioning.canonical(jsonb_build_object('title', title, 'amount', amount, 'tags', tags,
                                               'payload', payload, 'done', done, 'due', due)) AS canonical,
       content_hash = encode(sha256(convert_to(versioning.canonical(
           jsonb_build_object('title', title, 'amount', amount, 'tags', tags,
                              'payload', payload, 'done', done, 'due', due)), 'UTF8')), 'hex') AS hash_ok
  FROM ins_multi ORDER BY version;
-- 1.5 is the same content as 1.50 (jsonb equality): a duplicate.
INSERT INTO ins_multi (ref, title, amount, tags, payload, done, due) VALUES
  ('k', 'Ünïcode "quoted"', 1.5, ARRAY['b', 'a'], '{"a": [true, null], "z": 1.0}', true, '2024-02-29')
RETURNING version;

-- A timestamptz is the same value whatever the session's TimeZone, so the same instant
-- inserted from sessions in different time zones is a duplicate.
CREATE TABLE ins_when (id serial PRIMARY KEY, ref text, version int, content_hash text,
                       what text, at timestamptz);
SELECT versioning.enable('ins_when', key => ARRAY['ref']);
BEGIN;
SET LOCAL TimeZone = 'UTC';
INSERT INTO ins_when (ref, what, at) VALUES ('k', 'launch', '2024-01-01 12:00:00+00') RETURNING version;
SET LOCAL TimeZone = 'Asia/Tokyo';
INSERT INTO ins_when (ref, what, at) VALUES ('k', 'launch', '2024-01-01 12:00:00+00') RETURNING version;
COMMIT;

-- The application's own BEFORE triggers run first ("zz_" sorts last), so the hash covers
-- the content as stored.
CREATE TABLE ins_normalized (id serial PRIMARY KEY, ref text, version int, content_hash text, title text);
CREATE FUNCTION ins_trim() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN NEW.title := lower(btrim(NEW.title)); RETURN NEW; END $f$;
CREATE TRIGGER normalize BEFORE INSERT ON ins_normalized FOR EACH ROW EXECUTE FUNCTION ins_trim();
SELECT versioning.enable('ins_normalized', key => ARRAY['ref']);
INSERT INTO ins_normalized (ref, title) VALUES ('k', '  Hello ') RETURNING version, title,
       content_hash = encode(sha256(convert_to('hello', 'UTF8')), 'hex') AS hash_of_stored_title;
INSERT INTO ins_normalized (ref, title) VALUES ('k', 'HELLO') RETURNING version;   -- same once normalized: skipped

-- A stored generated column is computed after BEFORE triggers. Named as content, enable
-- may refuse it or the hash must cover the stored value; either way no stored hash may
-- differ from the hash of the stored content. (The outcome of each step is not shown.)
CREATE TABLE ins_generated (id serial PRIMARY KEY, ref text, version int, content_hash text,
                            body text, shout text GENERATED ALWAYS AS (upper(body)) STORED);
SELECT count(*) > 0 AS attempted
  FROM regress_util.try($$ SELECT versioning.enable('ins_generated', key => ARRAY['ref'], content => ARRAY['body', 'shout']) $$);
SELECT count(*) > 0 AS attempted
  FROM regress_util.try($$ INSERT INTO ins_generated (ref, body) VALUES ('k', 'a'), ('k', 'b') $$);
SELECT count(*) AS wrong_hashes FROM ins_generated
 WHERE content_hash IS NOT NULL
   AND content_hash <> versioning.content_hash(jsonb_build_object('body', body, 'shout', shout));

------------------------------------------------------------------------------------------
-- The audit log gets one 'create' row per version; skipped duplicates are not logged.
-- The actor is versioning.actor when set, else session_user.
CREATE TABLE ins_audited (id serial PRIMARY KEY, ref text, version int, content_hash text, body text);
SELECT versioning.enable('ins_audited', key => ARRAY['ref']);
INSERT INTO ins_audited (ref, body) VALUES ('k', 'A');
BEGIN;
SET LOCAL versioning.actor = 'user-42';
INSERT INTO ins_audited (ref, body) VALUES ('k', 'B'), ('k', 'A'), (NULL, 'A');
COMMIT;
SELECT table_name, key, version, action, actor, from_state, to_state,
       txid IS NOT NULL AS has_txid, at IS NOT NULL AS has_time
  FROM versioning.log WHERE table_name = 'public.ins_audited' ORDER BY version, key::text;
-- Within one transaction every row names its own actor and table: the actor changing between
-- statements, and more tables than the log writer keeps names of (16).
CREATE TABLE ins_actors (ref text, version int, content_hash text, body text);
SELECT versioning.enable('ins_actors', key => ARRAY['ref']);
BEGIN;
SET LOCAL versioning.actor = 'alice';
INSERT INTO ins_actors (ref, body) VALUES ('k', 'one');
SET LOCAL versioning.actor = 'bob';
INSERT INTO ins_actors (ref, body) VALUES ('k', 'two');
SET LOCAL versioning.actor = '';
INSERT INTO ins_actors (ref, body) VALUES ('k', 'three');
SET LOCAL client_min_messages = warning;
DO $$
BEGIN
  FOR i IN 1..20 LOOP
    EXECUTE format('CREATE TABLE ins_many_%s (ref text, version int, content_hash text, body text)', i);
    PERFORM versioning.enable(format('ins_many_%s', i), key => ARRAY['ref']);
    EXECUTE format('INSERT INTO ins_many_%s (ref, body) VALUES (%L, %L)', i, 'k' || i, 'body ' || i);
  END LOOP;
END $$;
INSERT INTO ins_actors (ref, body) VALUES ('k', 'four');
COMMIT;
SELECT version, actor = session_user AS by_session_user, CASE WHEN actor <> session_user THEN actor END AS actor
  FROM versioning.log WHERE table_name = 'public.ins_actors' ORDER BY version;
SELECT count(*) AS tables, count(*) FILTER (WHERE l.table_name = 'public.ins_many_' || (l.key ->> 'ref')::text) AS matching
  FROM (SELECT table_name, jsonb_build_object('ref', substr(key ->> 'ref', 2)) AS key
          FROM versioning.log WHERE table_name LIKE 'public.ins\_many\_%' AND action = 'create') l;
DO $$ BEGIN FOR i IN 1..20 LOOP EXECUTE format('DROP TABLE ins_many_%s', i); END LOOP; END $$;
DROP TABLE ins_actors;
DELETE FROM versioning.log WHERE table_name LIKE 'public.ins\_many\_%' OR table_name = 'public.ins_actors';
-- The whole log of this file: one row per created version of every audited table.
SELECT table_name, count(*) AS log_rows FROM versioning.log
 WHERE table_name LIKE 'public.ins\_%' AND table_name <> 'public.ins_generated'
 GROUP BY table_name ORDER BY table_name;

-- The session user's name is remembered per session; renaming the role is seen at once.
CREATE TABLE ins_actor (id serial PRIMARY KEY, ref text, version int, content_hash text, body text);
SELECT versioning.enable('ins_actor', key => ARRAY['ref']);
CREATE ROLE regress_pgv_actor;
GRANT INSERT, SELECT ON ins_actor TO regress_pgv_actor;
GRANT USAGE ON SEQUENCE ins_actor_id_seq TO regress_pgv_actor;
SET SESSION AUTHORIZATION regress_pgv_actor;
INSERT INTO ins_actor (ref, body) VALUES ('k', 'before the rename');
RESET SESSION AUTHORIZATION;
ALTER ROLE regress_pgv_actor RENAME TO regress_pgv_actor_renamed;
SET SESSION AUTHORIZATION regress_pgv_actor_renamed;
INSERT INTO ins_actor (ref, body) VALUES ('k', 'after the rename');
RESET SESSION AUTHORIZATION;
SELECT version, actor FROM versioning.log WHERE table_name = 'public.ins_actor' ORDER BY version;
DROP TABLE ins_actor;
DROP ROLE regress_pgv_actor_renamed;

-- audit => false: nothing logged.
CREATE TABLE ins_quiet (id serial PRIMARY KEY, ref text, version int, content_hash text, body text);
SELECT versioning.enable('ins_quiet', key => ARRAY['ref'], audit => false);
INSERT INTO ins_quiet (ref, body) VALUES ('k', 'A'), ('k', 'B');
SELECT count(*) AS versions, (SELECT count(*) FROM versioning.log WHERE table_name = 'public.ins_quiet') AS log_rows
  FROM ins_quiet;

-- A failed insert leaves no version and no log row behind.
SELECT regress_util.try($$ INSERT INTO ins_audited (ref, body, content_hash) VALUES ('k', 'C', repeat('0', 64)) $$);
SELECT max(version) AS latest, (SELECT count(*) FROM versioning.log WHERE table_name = 'public.ins_audited') AS log_rows
  FROM ins_audited WHERE ref = 'k';

-- The session remembers each key's last version as a starting point for the next lookup
-- (src/lookup.rs). When the versions from there on are gone — rolled back, the latest draft
-- deleted, purged — the lookup starts over: numbering stays 1..N without gaps.
CREATE TABLE ins_hint (id serial PRIMARY KEY, ref text, version int, content_hash text, body text, status text);
SELECT versioning.enable('ins_hint', key => ARRAY['ref'], lifecycle => 'publish');
INSERT INTO ins_hint (ref, body) VALUES ('k', 'v1');
UPDATE ins_hint SET status = 'published' WHERE ref = 'k' AND version = 1;
INSERT INTO ins_hint (ref, body) VALUES ('k', 'v2');
BEGIN;
INSERT INTO ins_hint (ref, body) VALUES ('k', 'rolled back 3');
INSERT INTO ins_hint (ref, body) VALUES ('k', 'rolled back 4');
ROLLBACK;
INSERT INTO ins_hint (ref, body) VALUES ('k', 'v3 after a rollback');
DELETE FROM ins_hint WHERE ref = 'k' AND version = 3;
INSERT INTO ins_hint (ref, body) VALUES ('k', 'v3 after deleting the draft v3');
SELECT version, body FROM ins_hint ORDER BY version;

DROP TABLE ins_docs, ins_latest, ins_off, ins_strict, ins_occ, ins_tree, ins_text, ins_bytea,
           ins_multi, ins_when, ins_normalized, ins_generated, ins_audited, ins_quiet, ins_hint;
DROP FUNCTION ins_trim();

------------------------------------------------------------------------------------------
-- Version numbers never wrap: past the version column's range the insert is refused with
-- 22003 naming table, key and version (not a negative number, not a bare 23505).
CREATE TABLE wrap_small (id serial PRIMARY KEY, k text, version smallint, content_hash text, content jsonb);
SELECT versioning.enable('wrap_small', key => ARRAY['k'], content => ARRAY['content']);
SET versioning.restore = on;
INSERT INTO wrap_small (k, version, content) VALUES ('a', 32766, '{"n": 32766}');
RESET versioning.restore;
INSERT INTO wrap_small (k, content) VALUES ('a', '{"n": 32767}') RETURNING version;
SELECT regress_util.try($$ INSERT INTO wrap_small (k, content) VALUES ('a', '{"n": 32768}') $$);
-- the other keys go on
INSERT INTO wrap_small (k, content) VALUES ('b', '{"n": 1}') RETURNING version;
SELECT k, version FROM wrap_small ORDER BY k, version;

CREATE TABLE wrap_int (id serial PRIMARY KEY, k text, version integer, content_hash text, content jsonb);
SELECT versioning.enable('wrap_int', key => ARRAY['k'], content => ARRAY['content']);
SET versioning.restore = on;
INSERT INTO wrap_int (k, version, content) VALUES ('a', 2147483647, '{"n": 0}');
RESET versioning.restore;
SELECT regress_util.try($$ INSERT INTO wrap_int (k, content) VALUES ('a', '{"n": 1}') $$);
SELECT regress_util.try($$ INSERT INTO wrap_int (k, content) VALUES ('a', '{"n": 2}') $$);
-- widening the column, as the hint says, lets the key go on
ALTER TABLE wrap_int ALTER COLUMN version TYPE bigint;
INSERT INTO wrap_int (k, content) VALUES ('a', '{"n": 1}') RETURNING version;
DROP TABLE wrap_small, wrap_int;
