-- versioning.as_of(tbl, key, at): the version that was latest at a time (docs/reference.md,
-- "Functions"). Creation times come from the log (the start time of the creating transaction);
-- versions soft-deleted by then do not count; rows come back as they are now.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

CREATE TABLE ao (
    id           bigserial PRIMARY KEY,
    ref          text NOT NULL,
    scope        int,
    body         jsonb NOT NULL,
    version      int,
    content_hash text,
    status       text,
    deleted_at   timestamptz
);
SELECT versioning.enable('ao', key => ARRAY['ref', 'scope'], content => ARRAY['body'],
                         lifecycle => 'publish', deleted_column => 'deleted_at');

-- Each step is its own transaction; its start time is remembered (psql variables t0 … t5).
SELECT clock_timestamp() AS t0 \gset
INSERT INTO ao (ref, body) VALUES ('a', '{"n": 1}');
UPDATE ao SET status = 'published' WHERE ref = 'a' AND version = 1;
SELECT now() AS t1 \gset
INSERT INTO ao (ref, body) VALUES ('a', '{"n": 2}');
UPDATE ao SET status = 'published' WHERE ref = 'a' AND version = 2;
SELECT now() AS t2 \gset
INSERT INTO ao (ref, scope, body) VALUES ('a', 7, '{"other": "scope"}');
INSERT INTO ao (ref, body) VALUES ('a', '{"n": 3}');
SELECT now() AS t3 \gset
-- the draft version 3 is edited later: as_of returns it as it is now
UPDATE ao SET body = '{"n": 3, "edited": true}' WHERE ref = 'a' AND version = 3;
-- then version 3 is soft-deleted (deleted_at is set, the row stays)
DELETE FROM ao WHERE ref = 'a' AND version = 3;
SELECT now() AS t4 \gset

SELECT step, v ->> 'version' AS version, v -> 'body' AS body
  FROM (VALUES ('before anything', :'t0'::timestamptz),
               ('after v1', :'t1'), ('after v2', :'t2'), ('after v3', :'t3'),
               ('after the soft delete', :'t4')) s(step, at),
       LATERAL (SELECT versioning.as_of('ao', '{"ref": "a"}', at) AS v) x
 ORDER BY at;
-- now, as latest says, version 2 is the latest again
SELECT versioning.as_of('ao', '{"ref": "a"}', now()) ->> 'version' AS as_of_now,
       versioning.latest('ao', '{"ref": "a"}') ->> 'version' AS latest_now;
-- another scope of the same ref numbers (and dates) separately
SELECT versioning.as_of('ao', '{"ref": "a", "scope": 7}', :'t2') AS scope7_at_t2,
       versioning.as_of('ao', '{"ref": "a", "scope": 7}', :'t3') ->> 'version' AS scope7_at_t3;
-- a key without versions, or a time before the first: NULL
SELECT versioning.as_of('ao', '{"ref": "zzz"}', now()) IS NULL AS unknown_key,
       versioning.as_of('ao', '{"ref": "a"}', '2000-01-01') IS NULL AS long_ago;

-- Without deleted_column a draft is deleted for good: it is no longer anyone's as_of, the
-- version before it is. Its number is reused by the next version, which as_of then returns
-- for the times the deleted draft was latest (as_of answers with rows that exist now).
CREATE TABLE ao_hard (id serial PRIMARY KEY, ref text, body jsonb, version int, content_hash text, status text);
SELECT versioning.enable('ao_hard', key => ARRAY['ref'], lifecycle => 'publish');
INSERT INTO ao_hard (ref, body) VALUES ('b', '{"n": 1}');
UPDATE ao_hard SET status = 'published' WHERE ref = 'b';
INSERT INTO ao_hard (ref, body) VALUES ('b', '{"n": 2}');
SELECT now() AS t5 \gset
DELETE FROM ao_hard WHERE ref = 'b' AND version = 2;
SELECT versioning.as_of('ao_hard', '{"ref": "b"}', :'t5') ->> 'version' AS b_at_t5_after_delete;
INSERT INTO ao_hard (ref, body) VALUES ('b', '{"n": "2 again"}');
SELECT versioning.as_of('ao_hard', '{"ref": "b"}', :'t5') -> 'body' AS b_at_t5_after_reuse;

-- Someone who may read the table (not its owner, so not its log) gets the same answer.
CREATE ROLE regress_asof_reader;
GRANT SELECT ON ao TO regress_asof_reader;
SET ROLE regress_asof_reader;
SELECT count(*) AS log_rows_visible FROM versioning.log WHERE table_name = 'public.ao';
SELECT versioning.as_of('ao', '{"ref": "a"}', :'t2') ->> 'version' AS reader_at_t2;
RESET ROLE;
-- and someone who may not read the table gets no rows through as_of either
CREATE ROLE regress_asof_stranger;
SET ROLE regress_asof_stranger;
SELECT regress_util.try($$ SELECT versioning.as_of('ao', '{"ref": "a"}', now()) $$);
RESET ROLE;

-- Errors: unknown key column, not a versioned table, a table without creation records.
SELECT regress_util.try($$ SELECT versioning.as_of('ao', '{"nope": "a"}', now()) $$);
SELECT regress_util.try($$ SELECT versioning.as_of('pg_class', '{"relname": "x"}', now()) $$);
CREATE TABLE ao_quiet (id serial PRIMARY KEY, ref text, body jsonb, version int, content_hash text);
SELECT versioning.enable('ao_quiet', key => ARRAY['ref'], audit => false);
INSERT INTO ao_quiet (ref, body) VALUES ('a', '{}');
SELECT regress_util.try($$ SELECT versioning.as_of('ao_quiet', '{"ref": "a"}', now()) $$);

-- as_of reads the log and the table through their indexes (5,000 versions over 50 keys;
-- a new session's own statistics count the scans).
INSERT INTO ao (ref, body) SELECT 'k' || (i % 50), jsonb_build_object('i', i) FROM generate_series(1, 5000) i;
ANALYZE ao;
ANALYZE versioning.log;
\c
BEGIN;
SELECT versioning.as_of('ao', '{"ref": "k7"}', now()) ->> 'version' AS k7_now;
SELECT relname, seq_scan, idx_scan > 0 AS used_index FROM pg_stat_xact_user_tables
 WHERE relid IN ('ao'::regclass, 'versioning.log'::regclass) ORDER BY relname;
COMMIT;

DROP TABLE ao, ao_quiet, ao_hard;
DROP ROLE regress_asof_reader, regress_asof_stranger;

-- The log's own writes keep every plain index it has (the creation records above were found
-- through the log's index log_key); an index with an expression or a predicate, added in the middle of a
-- session, switches the writes to SQL, which maintains it too.
CREATE TABLE ao_idx (id serial PRIMARY KEY, ref text, body jsonb, version int, content_hash text);
SELECT versioning.enable('ao_idx', key => ARRAY['ref']);
INSERT INTO ao_idx (ref, body) VALUES ('a', '{"n": 1}');
CREATE INDEX regress_log_by_actor ON versioning.log (pg_catalog.lower(actor)) WHERE action = 'create';
INSERT INTO ao_idx (ref, body) VALUES ('a', '{"n": 2}');
SET enable_seqscan = off;
SELECT version FROM versioning.log
 WHERE lower(actor) = lower(session_user) AND action = 'create' AND table_name = 'public.ao_idx'
 ORDER BY version;
RESET enable_seqscan;
DROP INDEX versioning.regress_log_by_actor;
INSERT INTO ao_idx (ref, body) VALUES ('a', '{"n": 3}');
SELECT versioning.as_of('ao_idx', '{"ref": "a"}', now()) ->> 'version' AS latest_after_drop;
DROP TABLE ao_idx;

-- A transaction keeps the log's indexes open across its writes: also when a savepoint that
-- opened them rolls back, and when an index is added to the log in the middle of it (the new
-- index gets the rows written after it).
CREATE TABLE ao_tx (id serial PRIMARY KEY, ref text, body jsonb, version int, content_hash text);
SELECT versioning.enable('ao_tx', key => ARRAY['ref']);
BEGIN;
SAVEPOINT s;
INSERT INTO ao_tx (ref, body) VALUES ('a', '{"n": 1}');
ROLLBACK TO SAVEPOINT s;
INSERT INTO ao_tx (ref, body) VALUES ('a', '{"n": 2}');
CREATE INDEX regress_log_by_version ON versioning.log (version, table_name);
INSERT INTO ao_tx (ref, body) VALUES ('a', '{"n": 3}');
COMMIT;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT version, action FROM versioning.log WHERE version = 2 AND table_name = 'public.ao_tx';
RESET enable_bitmapscan;
RESET enable_seqscan;
DROP INDEX versioning.regress_log_by_version;
SELECT versioning.as_of('ao_tx', '{"ref": "a"}', now()) -> 'body' AS latest_body;
-- What it keeps open is let go before any utility statement: the log's index can be rebuilt,
-- and the extension dropped, in a transaction that has written versions (PostgreSQL refuses
-- both on a relation the session holds open).
BEGIN;
INSERT INTO ao_tx (ref, body) VALUES ('a', '{"n": 4}');
REINDEX INDEX versioning.log_key;
INSERT INTO ao_tx (ref, body) VALUES ('a', '{"n": 5}');
SELECT string_agg(version::text, ',' ORDER BY version) AS logged FROM versioning.log WHERE table_name = 'public.ao_tx' AND action = 'create';
SET LOCAL client_min_messages = warning;
DROP EXTENSION pg_versioning CASCADE;
SELECT count(*) AS extensions_left FROM pg_extension WHERE extname = 'pg_versioning';
ROLLBACK;
DROP TABLE ao_tx;

-- A timestamptz key column: the log holds it in UTC, so as_of finds the key in any session
-- time zone, and label and purge records name the key exactly as the creation records do.
CREATE TABLE ao_tz (id serial PRIMARY KEY, day timestamptz, body jsonb, version int, content_hash text);
SELECT versioning.enable('ao_tz', key => ARRAY['day']);
SET TimeZone = 'Europe/Berlin';
INSERT INTO ao_tz (day, body) VALUES ('2026-03-01 10:00+01', '{"n": 1}'), ('infinity', '{"n": 1}');
SET TimeZone = 'America/New_York';
SELECT versioning.as_of('ao_tz', '{"day": "2026-03-01 04:00-05"}', now()) -> 'body' AS found_in_new_york,
       versioning.as_of('ao_tz', '{"day": "infinity"}', now()) -> 'body' AS found_infinity;
SELECT versioning.set_label('ao_tz', '{"day": "2026-03-01 09:00Z"}', 'stable', 1);
SELECT count(DISTINCT key) AS distinct_keys, array_agg(DISTINCT action ORDER BY action) AS actions
  FROM versioning.log WHERE table_name = 'public.ao_tz' AND key ->> 'day' LIKE '2026%';
RESET TimeZone;
DROP TABLE ao_tz;
