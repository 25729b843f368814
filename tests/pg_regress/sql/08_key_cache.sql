-- A transaction that inserts several versions of one key reuses what it learned about the key
-- (src/key_cache.rs). Every way a numbered row can end up not stored must make it forget.
-- Expected numbers are what the SQL reference lookup (no cache) gives; the last block checks
-- that directly.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

CREATE TABLE kc (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference    text NOT NULL,
    content      jsonb NOT NULL,
    version      integer,
    content_hash text,
    parent_id    bigint,
    slug         text UNIQUE          -- a second unique constraint, for ON CONFLICT
);
SELECT count(*) AS enabled FROM versioning.enable('kc', key => ARRAY['reference'], content => ARRAY['content'],
                         parent_column => 'parent_id', mutable => ARRAY['slug'], audit => false);

-- Versions, parents and dedup across statements of one transaction.
BEGIN;
INSERT INTO kc (reference, content) VALUES ('a', '{"n": 1}');
INSERT INTO kc (reference, content) VALUES ('a', '{"n": 2}');
INSERT INTO kc (reference, content) VALUES ('a', '{"n": 1}');              -- duplicate of v1: skipped
INSERT INTO kc (reference, content) VALUES ('a', '{"n": 3}'), ('a', '{"n": 2}'), ('a', '{"n": 4}');
COMMIT;
SELECT reference, version, content, (SELECT p.version FROM kc p WHERE p.id = kc.parent_id) AS parent_version
  FROM kc WHERE reference = 'a' ORDER BY version;

-- INSERT … ON CONFLICT on another constraint drops a numbered row without an error:
-- the next insert of the key in the same transaction must not leave a gap.
BEGIN;
INSERT INTO kc (reference, content, slug) VALUES ('b', '{"n": 1}', 'taken');
INSERT INTO kc (reference, content) VALUES ('b', '{"n": 2}');
INSERT INTO kc (reference, content, slug) VALUES ('b', '{"n": 3}', 'taken') ON CONFLICT (slug) DO NOTHING;
INSERT INTO kc (reference, content) VALUES ('b', '{"n": 4}');
INSERT INTO kc (reference, content) VALUES ('b', '{"n": 5}');
COMMIT;
SELECT reference, version, content FROM kc WHERE reference = 'b' ORDER BY version;

-- The same inside a CTE.
BEGIN;
INSERT INTO kc (reference, content) VALUES ('c', '{"n": 1}');
WITH ins AS (INSERT INTO kc (reference, content, slug) VALUES ('c', '{"n": 2}', 'taken') ON CONFLICT DO NOTHING RETURNING 1)
SELECT count(*) AS inserted FROM ins;
INSERT INTO kc (reference, content) VALUES ('c', '{"n": 3}');
COMMIT;
SELECT reference, version, content FROM kc WHERE reference = 'c' ORDER BY version;

-- A savepoint rolled back forgets what its inserts taught.
BEGIN;
INSERT INTO kc (reference, content) VALUES ('d', '{"n": 1}');
SAVEPOINT s;
INSERT INTO kc (reference, content) VALUES ('d', '{"n": 2}');
INSERT INTO kc (reference, content) VALUES ('d', '{"n": 3}');
ROLLBACK TO SAVEPOINT s;
INSERT INTO kc (reference, content) VALUES ('d', '{"n": 2}');   -- not a duplicate any more: v2
INSERT INTO kc (reference, content) VALUES ('d', '{"n": 4}');
COMMIT;
SELECT reference, version, content FROM kc WHERE reference = 'd' ORDER BY version;

-- An error caught by a PL/pgSQL exception block (an implicit savepoint).
DO $$
BEGIN
    INSERT INTO kc (reference, content) VALUES ('e', '{"n": 1}');
    BEGIN
        INSERT INTO kc (reference, content) VALUES ('e', '{"n": 2}');
        INSERT INTO kc (reference, content, slug) VALUES ('e', '{"n": 3}', 'taken');   -- unique violation
    EXCEPTION WHEN unique_violation THEN NULL;
    END;
    INSERT INTO kc (reference, content) VALUES ('e', '{"n": 5}');
END $$;
SELECT reference, version, content FROM kc WHERE reference = 'e' ORDER BY version;

-- TRUNCATE in the same transaction: numbering starts again at 1.
CREATE TABLE kt (id bigserial PRIMARY KEY, reference text, content jsonb, version int, content_hash text);
SELECT count(*) AS enabled FROM versioning.enable('kt', key => ARRAY['reference'], content => ARRAY['content']);
BEGIN;
INSERT INTO kt (reference, content) VALUES ('a', '1'), ('a', '2');
TRUNCATE kt;
INSERT INTO kt (reference, content) VALUES ('a', '1'), ('a', '3');
COMMIT;
SELECT reference, version, content FROM kt ORDER BY version;

-- A BEFORE trigger that fires after ours (name sorts after "zz_versioning_insert") and drops
-- rows: the table is never cached, so no gap.
CREATE FUNCTION pg_temp.drop_odd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RETURN CASE WHEN (NEW.content->>'n')::int % 2 = 1 THEN NULL ELSE NEW END; END $$;
CREATE TRIGGER zzz_drop_odd BEFORE INSERT ON kt FOR EACH ROW EXECUTE FUNCTION pg_temp.drop_odd();
BEGIN;
INSERT INTO kt (reference, content) VALUES ('b', '{"n": 2}');
INSERT INTO kt (reference, content) VALUES ('b', '{"n": 3}');
INSERT INTO kt (reference, content) VALUES ('b', '{"n": 4}');
COMMIT;
SELECT reference, version, content FROM kt WHERE reference = 'b' ORDER BY version;
DROP TRIGGER zzz_drop_odd ON kt;

-- Two spellings of one key (numeric 1.0 and 1): one entity, cached under whichever came last.
CREATE TABLE kn (id bigserial PRIMARY KEY, ref numeric, content text, version int, content_hash text);
SELECT count(*) AS enabled FROM versioning.enable('kn', key => ARRAY['ref'], content => ARRAY['content']);
BEGIN;
INSERT INTO kn (ref, content) VALUES (1.0, 'a');
INSERT INTO kn (ref, content) VALUES (1, 'b');
INSERT INTO kn (ref, content) VALUES (1.00, 'a');      -- duplicate of v1
INSERT INTO kn (ref, content) VALUES (1.0, 'c');
COMMIT;
SELECT ref, version, content FROM kn ORDER BY version;

-- More versions than the cached history holds (64): duplicates found by probing.
CREATE TABLE kl (id bigserial PRIMARY KEY, reference text, content jsonb, version int, content_hash text);
SELECT count(*) AS enabled FROM versioning.enable('kl', key => ARRAY['reference'], content => ARRAY['content']);
INSERT INTO kl (reference, content) SELECT 'x', jsonb_build_object('n', i) FROM generate_series(1, 100) i;
BEGIN;
INSERT INTO kl (reference, content) VALUES ('x', '{"n": 7}');    -- duplicate of v7
INSERT INTO kl (reference, content) VALUES ('x', '{"n": 101}');
INSERT INTO kl (reference, content) VALUES ('x', '{"n": 50}');   -- duplicate of v50
INSERT INTO kl (reference, content) VALUES ('x', '{"n": 101}');  -- duplicate of v101
COMMIT;
SELECT count(*) AS versions, max(version) AS latest FROM kl;
-- A short history is read into the cache on the second insert: duplicates still found.
INSERT INTO kl (reference, content) SELECT 'y', jsonb_build_object('n', i) FROM generate_series(1, 10) i;
BEGIN;
INSERT INTO kl (reference, content) VALUES ('y', '{"n": 11}');
INSERT INTO kl (reference, content) VALUES ('y', '{"n": 3}');    -- duplicate of v3
INSERT INTO kl (reference, content) VALUES ('y', '{"n": 12}');
INSERT INTO kl (reference, content) VALUES ('y', '{"n": 11}');   -- duplicate of v11
COMMIT;
SELECT reference, version, content FROM kl WHERE reference = 'y' AND version > 9 ORDER BY version;

-- The same schedule with the SQL reference lookup (no cache) gives the same numbers.
CREATE TABLE kc_ref (LIKE kc INCLUDING ALL);
SELECT count(*) AS enabled FROM versioning.enable('kc_ref', key => ARRAY['reference'], content => ARRAY['content'],
                         parent_column => 'parent_id', mutable => ARRAY['slug'], audit => false);
INSERT INTO kc_ref (reference, content, slug) VALUES ('z', '{}', 'taken');
SET versioning.lookup_method = spi;
BEGIN;
INSERT INTO kc_ref (reference, content) VALUES ('b', '{"n": 1}');
INSERT INTO kc_ref (reference, content) VALUES ('b', '{"n": 2}');
INSERT INTO kc_ref (reference, content, slug) VALUES ('b', '{"n": 3}', 'taken') ON CONFLICT (slug) DO NOTHING;
INSERT INTO kc_ref (reference, content) VALUES ('b', '{"n": 4}');
INSERT INTO kc_ref (reference, content) VALUES ('b', '{"n": 5}');
COMMIT;
RESET versioning.lookup_method;
SELECT (SELECT array_agg(version ORDER BY version) FROM kc WHERE reference = 'b') AS cached,
       (SELECT array_agg(version ORDER BY version) FROM kc_ref WHERE reference = 'b') AS reference_lookup;

DROP TABLE kc, kc_ref, kt, kn, kl;
