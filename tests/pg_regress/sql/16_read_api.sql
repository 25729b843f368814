-- put, latest, get, history (docs/versioning.md, "The read API"): rows as jsonb (to_jsonb(row)),
-- keys as JSON objects naming key columns (missing = NULL). Each reads through the (key…, version)
-- index.
CREATE TABLE ra (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ref          text NOT NULL,
    scope        text,
    version      int,
    status       text,
    body         jsonb NOT NULL,
    content_hash text,
    deleted_at   timestamptz
);
SELECT count(*) AS enabled FROM versioning.enable('ra', key => ARRAY['ref', 'scope'], content => ARRAY['body'],
    lifecycle => 'publish', deleted_column => 'deleted_at');

-- put: the stored version (columns missing from the row get their defaults) ...
SELECT versioning.put('ra', '{"ref": "a", "body": {"n": 1}}') - 'id' - 'content_hash' AS stored;
SELECT versioning.put('ra', '{"ref": "a", "body": {"n": 2}}') ->> 'version' AS version;
-- ... or, for a duplicate, the version that already has the content (what an ORM expecting a
-- row back from every INSERT needs)
SELECT versioning.put('ra', '{"ref": "a", "body": {"n": 1.0}}') ->> 'version' AS duplicate_of;
SELECT versioning.put('ra', '{"ref": "a", "scope": "s1", "body": {"n": 1}}') ->> 'version' AS other_scope;
SELECT count(*) AS rows FROM ra;

SELECT versioning.transition('ra', '{"ref": "a"}', 1, 'published') ->> 'status' AS status;

-- latest, optionally in a state; get
SELECT versioning.latest('ra', '{"ref": "a"}') ->> 'version' AS latest,
       versioning.latest('ra', '{"ref": "a"}', 'published') ->> 'version' AS latest_published,
       versioning.latest('ra', '{"ref": "a", "scope": "s1"}') ->> 'version' AS latest_s1,
       versioning.latest('ra', '{"ref": "zzz"}') IS NULL AS unknown_key_is_null;
SELECT versioning.get('ra', '{"ref": "a"}', 2) -> 'body' AS body_v2,
       versioning.get('ra', '{"ref": "a"}', 9) IS NULL AS missing_version_is_null;

-- typed access: jsonb_populate_record turns a result back into the row type
SELECT r.ref, r.version, r.status, r.body
  FROM jsonb_populate_record(NULL::ra, versioning.latest('ra', '{"ref": "a"}')) r;

-- history: newest first; soft-deleted versions hidden unless asked for; limit and offset
INSERT INTO ra (ref, body) SELECT 'a', jsonb_build_object('n', i) FROM generate_series(3, 6) i;
DELETE FROM ra WHERE ref = 'a' AND scope IS NULL AND version = 2;
SELECT array_agg(h ->> 'version' ORDER BY ord) AS history
  FROM versioning.history('ra', '{"ref": "a"}') WITH ORDINALITY AS x(h, ord);
SELECT array_agg(h ->> 'version' ORDER BY ord) AS with_deleted
  FROM versioning.history('ra', '{"ref": "a"}', include_deleted => true) WITH ORDINALITY AS x(h, ord);
SELECT array_agg(h ->> 'version' ORDER BY ord) AS page_2_of_size_2
  FROM versioning.history('ra', '{"ref": "a"}', lim => 2, "off" => 2) WITH ORDINALITY AS x(h, ord);
SELECT array_agg(h ->> 'version' ORDER BY ord) AS published_only
  FROM versioning.history('ra', '{"ref": "a"}', 'published') WITH ORDINALITY AS x(h, ord);

-- diff: RFC 6902 JSON Patch from one version's content to another's (1.0 = 1: no operation)
SELECT versioning.diff('ra', '{"ref": "a"}', 1, 3) AS v1_to_v3;
SELECT versioning.diff('ra', '{"ref": "a"}', 3, 3) AS same_version;
CREATE TABLE rt (id serial PRIMARY KEY, ref text, version int, content_hash text, title text, tags text[], n numeric);
SELECT count(*) AS enabled FROM versioning.enable('rt', key => ARRAY['ref'], content => ARRAY['title', 'tags', 'n']);
INSERT INTO rt (ref, title, tags, n) VALUES ('x', 'One', '{a,b}', 1.0), ('x', 'One / two', '{a}', 2);
SELECT versioning.diff('rt', '{"ref": "x"}', 1, 2) AS multi_column;
CREATE TABLE rs (id serial PRIMARY KEY, ref text, version int, content_hash text, body text);
SELECT count(*) AS enabled FROM versioning.enable('rs', key => ARRAY['ref'], content => ARRAY['body']);
INSERT INTO rs (ref, body) VALUES ('x', 'hello'), ('x', 'hello world');
SELECT versioning.diff('rs', '{"ref": "x"}', 1, 2) AS text_content;
SELECT regress_util.try($$ SELECT versioning.diff('rs', '{"ref": "x"}', 1, 7) $$);
DROP TABLE rt, rs;

-- errors
SELECT regress_util.try($$ SELECT versioning.latest('ra', '{"nope": 1}') $$);
SELECT regress_util.try($$ SELECT versioning.latest('ra', '["a"]') $$);
SELECT regress_util.try($$ SELECT versioning.put('ra', '{"ref": "a", "bad": 1}') $$);
SELECT regress_util.try($$ SELECT versioning.history('ra', '{"ref": "a"}', lim => -1) $$);
SELECT regress_util.try($$ SELECT versioning.latest('pg_class', '{"relname": "x"}') $$);

-- Each lookup is an index scan, never a scan of the table (5,000 versions over 50 keys here;
-- a new session's own statistics count the scans).
INSERT INTO ra (ref, body) SELECT 'k' || (i % 50), jsonb_build_object('i', i) FROM generate_series(1, 5000) i;
ANALYZE ra;
\c
BEGIN;
SELECT versioning.latest('ra', '{"ref": "k7"}') ->> 'version' AS latest_k7,
       versioning.get('ra', '{"ref": "k7"}', 50) ->> 'version' AS get_k7,
       (SELECT count(*) FROM versioning.history('ra', '{"ref": "k7"}', lim => 10)) AS history_k7;
SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'ra';
COMMIT;

DROP TABLE ra;
