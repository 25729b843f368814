-- Partitioned versioned tables (docs/operations.md, "Partitioned tables"): hash, list and
-- range partitioning (list then hash, two levels deep), every feature as on a plain table, new
-- and attached partitions versioned at once, and the partition keys that are refused.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- Hash-partitioned, with history before versioning was enabled (adopted), a lifecycle and soft
-- delete. Each key's versions live in one partition.
CREATE TABLE hdefs (
    ref          text NOT NULL,
    body         jsonb NOT NULL,
    version      int,
    content_hash text,
    status       text,
    deleted_at   timestamptz,
    made_at      timestamptz NOT NULL DEFAULT now()
) PARTITION BY HASH (ref);
CREATE TABLE hdefs_0 PARTITION OF hdefs FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE hdefs_1 PARTITION OF hdefs FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE hdefs_2 PARTITION OF hdefs FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE hdefs_3 PARTITION OF hdefs FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO hdefs (ref, body, made_at)
SELECT 'k' || k, jsonb_build_object('n', n), timestamptz '2026-01-01' + n * interval '1 day'
  FROM generate_series(1, 6) k, generate_series(1, 3) n;
SELECT versioning.enable('hdefs', key => ARRAY['ref'], content => ARRAY['body'],
                         lifecycle => 'publish', deleted_column => 'deleted_at',
                         order_by => ARRAY['made_at']);
SELECT ref, array_agg(version ORDER BY version) AS versions,
       count(DISTINCT tableoid) AS partitions, bool_and(content_hash IS NOT NULL) AS hashed
  FROM hdefs GROUP BY ref ORDER BY ref;
SELECT * FROM versioning.verify('hdefs');
-- numbering and dedup through the partitioned table, and straight into a partition
INSERT INTO hdefs (ref, body) VALUES ('k1', '{"n": 4}'), ('k1', '{"n": 4}'), ('k1', '{"n": 2}');
SELECT tableoid::regclass AS partition FROM hdefs WHERE ref = 'k1' LIMIT 1 \gset
INSERT INTO :partition (ref, body) VALUES ('k1', '{"n": 5}');
SELECT version, body, status FROM hdefs WHERE ref = 'k1' ORDER BY version;
-- an insert reads only the partition that holds its key: no index of another partition is
-- scanned. Index scans are counted by the statistics system, which flushes a session's counts
-- when it goes idle (forced here: first what is pending, then the INSERT's; psql's \; sends
-- the reset, the flag and the INSERT as one query).
SELECT pg_stat_force_next_flush();
SELECT count(*) > 0 AS reset FROM (SELECT pg_stat_reset_single_table_counters(i.indexrelid)
  FROM pg_index i JOIN pg_partition_tree('hdefs') t ON t.relid = i.indrelid WHERE t.isleaf) r \;
SELECT pg_stat_force_next_flush() \;
INSERT INTO hdefs (ref, body) VALUES ('k1', '{"n": 6}'), ('k1', '{"n": 1}');
SET stats_fetch_consistency = none;
SELECT s.relid = :'partition'::regclass AS keys_partition, sum(s.idx_scan) > 0 AS indexes_scanned
  FROM pg_stat_user_indexes s JOIN pg_partition_tree('hdefs') t ON t.relid = s.relid AND t.isleaf
 GROUP BY 1 ORDER BY 1;
RESET stats_fetch_consistency;
SELECT versioning.put('hdefs', '{"ref": "k1", "body": {"n": 5}}') ->> 'version' AS put_duplicate_of;
-- lifecycle and immutability: a draft is edited in place, a published version is frozen
UPDATE hdefs SET body = '{"n": 55}' WHERE ref = 'k1' AND version = 5;
SELECT versioning.transition('hdefs', '{"ref": "k1"}', 5, 'published') ->> 'status' AS status;
SELECT regress_util.try($$ UPDATE hdefs SET body = '{"n": 56}' WHERE ref = 'k1' AND version = 5 $$);
-- an UPDATE that would move a version to another partition is a key change: refused
SELECT regress_util.try($$ UPDATE hdefs SET ref = 'k2' WHERE ref = 'k1' AND version = 1 $$);
-- soft delete, then purge
DELETE FROM hdefs WHERE ref = 'k2' AND version = 3;
SELECT version, deleted_at IS NOT NULL AS deleted FROM hdefs WHERE ref = 'k2' ORDER BY version;
SET versioning.allow_purge = on;
SELECT versioning.purge('hdefs', '{"ref": "k3"}', 1, 'regress: erasure request') AS purged;
RESET versioning.allow_purge;
SELECT array_agg(version ORDER BY version) FROM hdefs WHERE ref = 'k3';
-- labels and the read API
SELECT versioning.set_label('hdefs', '{"ref": "k1"}', 'prod', 5);
SELECT versioning.label('hdefs', '{"ref": "k1"}', 'prod') AS prod;
SELECT (versioning.latest('hdefs', '{"ref": "k1"}')) ->> 'version' AS latest;
SELECT (versioning.get('hdefs', '{"ref": "k1"}', 2)) -> 'body' AS v2;
SELECT h ->> 'version' AS version FROM versioning.history('hdefs', '{"ref": "k4"}') h;
SELECT versioning.diff('hdefs', '{"ref": "k4"}', 1, 3) AS diff;
SELECT (versioning.as_of('hdefs', '{"ref": "k1"}', now())) ->> 'version' AS as_of_now;
SELECT * FROM versioning.verify('hdefs');
-- restore mode keeps supplied versions, and still refuses an existing (key, version)
SET versioning.restore = on;
INSERT INTO hdefs (ref, body, version, status)
VALUES ('k9', '{"n": 1}', 7, 'draft');
SELECT regress_util.try($$ INSERT INTO hdefs (ref, body, version, status) VALUES ('k9', '{"n": 2}', 7, 'draft') $$);
RESET versioning.restore;
INSERT INTO hdefs (ref, body) VALUES ('k9', '{"n": 2}');
SELECT version FROM hdefs WHERE ref = 'k9' ORDER BY version;

-- retention removes exactly the versions it lets go (rows are told apart across partitions),
-- and a current-version pointer follows the partitioned table
SELECT versioning.transition('hdefs', '{"ref": "k4"}', v, 'published') ->> 'status' AS status
  FROM generate_series(1, 2) v;
SELECT versioning.set_retention('hdefs', keep_last => 1);
SELECT versioning.prune('hdefs') AS pruned;
SELECT ref, array_agg(version ORDER BY version) AS versions FROM hdefs GROUP BY ref ORDER BY ref;
CREATE TABLE hdefs_current (ref text PRIMARY KEY, current_version int);
INSERT INTO hdefs_current (ref) VALUES ('k2'), ('k4');
SELECT versioning.enable_current('hdefs', 'hdefs_current', match => '{"ref": "ref"}', set => '{"current_version": "version"}');
INSERT INTO hdefs (ref, body) VALUES ('k2', '{"n": 9}');
SELECT * FROM hdefs_current ORDER BY ref;

-- List-partitioned by tenant, each tenant hash-partitioned by document (two levels deep):
-- the key is (tenant, doc), with kinds and semantic versions.
SELECT versioning.register_schema('regress_part_doc', '{"type": "object", "required": ["title"]}') AS schema_version;
CREATE TABLE tdocs (
    tenant      text NOT NULL,
    doc         int NOT NULL,
    kind        text NOT NULL DEFAULT 'regress_part_doc',
    body        jsonb NOT NULL,
    version     int,
    content_hash text,
    change_type text,
    major int, minor int, patch int
) PARTITION BY LIST (tenant);
CREATE TABLE tdocs_acme PARTITION OF tdocs FOR VALUES IN ('acme') PARTITION BY HASH (doc);
CREATE TABLE tdocs_acme_0 PARTITION OF tdocs_acme FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE tdocs_acme_1 PARTITION OF tdocs_acme FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE tdocs_other PARTITION OF tdocs DEFAULT;
SELECT versioning.enable('tdocs', key => ARRAY['tenant', 'doc'], content => ARRAY['body'],
                         kind_column => 'kind',
                         semver => '{"change_type": "change_type", "major": "major", "minor": "minor", "patch": "patch"}');
INSERT INTO tdocs (tenant, doc, body, change_type) VALUES
    ('acme', 1, '{"title": "a"}', 'major'), ('acme', 1, '{"title": "b"}', 'minor'),
    ('acme', 2, '{"title": "a"}', 'major'), ('zeta', 1, '{"title": "z"}', 'major'),
    ('acme', 1, '{"title": "c"}', 'patch');
SELECT tenant, doc, version, major, minor, patch, tableoid::regclass AS partition
  FROM tdocs ORDER BY tenant, doc, version;
SELECT regress_util.try($$ INSERT INTO tdocs (tenant, doc, body) VALUES ('acme', 1, '{"name": "no title"}') $$);
SELECT versioning.semver('tdocs', '{"tenant": "acme", "doc": 1}', 3) AS semver;
-- a tenant added later, in its own transaction, partitioned by a key column: versioned at once
CREATE TABLE tdocs_beta PARTITION OF tdocs FOR VALUES IN ('beta') PARTITION BY HASH (doc);
CREATE TABLE tdocs_beta_0 PARTITION OF tdocs_beta FOR VALUES WITH (MODULUS 1, REMAINDER 0);
INSERT INTO tdocs (tenant, doc, body) VALUES ('beta', 1, '{"title": "x"}'), ('beta', 1, '{"title": "y"}'),
                                            ('beta', 1, '{"title": "x"}');
SELECT version, content_hash IS NOT NULL AS hashed FROM tdocs_beta_0 ORDER BY version;
-- ... but not one partitioned by a column outside the key (its versions could be split)
SELECT regress_util.try($$ CREATE TABLE tdocs_gamma PARTITION OF tdocs FOR VALUES IN ('gamma') PARTITION BY RANGE (version) $$);

-- Range-partitioned by a key column: carry-forward between a partitioned parent and a
-- partitioned child. The parent's primary key includes the partition key; its other column
-- identifies a version.
CREATE TABLE rsets (
    id        uuid NOT NULL DEFAULT gen_random_uuid(),
    project   int NOT NULL,
    version   int,
    note      text NOT NULL,
    PRIMARY KEY (project, id)
) PARTITION BY RANGE (project);
CREATE TABLE rsets_low PARTITION OF rsets FOR VALUES FROM (0) TO (100);
CREATE TABLE rsets_high PARTITION OF rsets FOR VALUES FROM (100) TO (MAXVALUE);
CREATE TABLE ritems (
    item_id   uuid NOT NULL DEFAULT gen_random_uuid(),
    set_id    uuid NOT NULL,
    decision  text NOT NULL,
    label     text NOT NULL,
    PRIMARY KEY (set_id, item_id)
) PARTITION BY HASH (set_id);
CREATE TABLE ritems_0 PARTITION OF ritems FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE ritems_1 PARTITION OF ritems FOR VALUES WITH (MODULUS 2, REMAINDER 1);
SELECT versioning.enable('rsets', key => ARRAY['project'], content => ARRAY['note'],
                         hash_column => NULL, dedup => 'off');
SELECT versioning.enable_carry_forward('ritems', parent => 'rsets', parent_column => 'set_id',
                                       when_column => 'decision', when_values => ARRAY['approved']);
INSERT INTO rsets (project, note) VALUES (150, 'first');
INSERT INTO ritems (set_id, decision, label)
SELECT id, d, l FROM rsets, (VALUES ('approved', 'keep'), ('rejected', 'drop')) AS v(d, l) WHERE project = 150;
INSERT INTO rsets (project, note) VALUES (150, 'second');
SELECT s.version, i.label, i.decision FROM rsets s JOIN ritems i ON i.set_id = s.id
 WHERE s.project = 150 ORDER BY s.version, i.label;

-- Partitions attached later (also in a later transaction, as pg_partman makes them). The rows
-- an attached table brings are adopted: numbered (a key's single unnumbered row is version 1),
-- hashed and checked; the adoption is logged and verify() accepts it.
CREATE TABLE tdocs_old (LIKE tdocs INCLUDING DEFAULTS);
INSERT INTO tdocs_old (tenant, doc, body) VALUES ('old', 1, '{"title": "o1"}'), ('old', 2, '{"title": "o2"}');
INSERT INTO tdocs_old (tenant, doc, body, version) VALUES ('old', 3, '{"title": "v1"}', 1), ('old', 3, '{"title": "v2"}', 2);
ALTER TABLE tdocs ATTACH PARTITION tdocs_old FOR VALUES IN ('old');
SELECT doc, version, content_hash IS NOT NULL AS hashed FROM tdocs_old ORDER BY doc, version;
INSERT INTO tdocs (tenant, doc, body) VALUES ('old', 3, '{"title": "v3"}'), ('old', 3, '{"title": "v2"}');
SELECT doc, version FROM tdocs WHERE tenant = 'old' AND doc = 3 ORDER BY version;
SELECT detail ->> 'partition' AS partition, detail ->> 'rows' AS rows, detail ->> 'versions_assigned' AS numbered
  FROM versioning.log WHERE table_name = 'public.tdocs' AND action = 'adopt';
SELECT * FROM versioning.verify('tdocs');
-- a detached partition keeps its rows and is no longer versioned
ALTER TABLE tdocs DETACH PARTITION tdocs_old;
INSERT INTO tdocs_old (tenant, doc, body) VALUES ('old', 3, '{"title": "after detach"}');
SELECT doc, version FROM tdocs_old WHERE doc = 3 ORDER BY version NULLS LAST;
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'tdocs_old'::regclass;
-- an attached table whose key has several unnumbered rows: no order to number them in
CREATE TABLE tdocs_unordered (LIKE tdocs INCLUDING DEFAULTS);
INSERT INTO tdocs_unordered (tenant, doc, body) VALUES ('new', 1, '{"title": "a"}'), ('new', 1, '{"title": "b"}');
SELECT regress_util.try($$ ALTER TABLE tdocs ATTACH PARTITION tdocs_unordered FOR VALUES IN ('new') $$);
SELECT count(version) AS numbered FROM tdocs_unordered;
-- a table versioned by itself cannot become a partition
CREATE TABLE tdocs_own (LIKE tdocs INCLUDING DEFAULTS);
SELECT versioning.enable('tdocs_own', key => ARRAY['tenant', 'doc'], content => ARRAY['body']);
SELECT regress_util.try($$ ALTER TABLE tdocs ATTACH PARTITION tdocs_own FOR VALUES IN ('new') $$);
-- an empty table attached: versioned at once
CREATE TABLE tdocs_new (LIKE tdocs INCLUDING DEFAULTS);
ALTER TABLE tdocs ATTACH PARTITION tdocs_new FOR VALUES IN ('new');
INSERT INTO tdocs (tenant, doc, body) VALUES ('new', 1, '{"title": "a"}'), ('new', 1, '{"title": "b"}'), ('new', 1, '{"title": "a"}');
SELECT version FROM tdocs_new ORDER BY version;

-- Refused: a partition key outside the versioning key, an expression, a partition by itself.
CREATE TABLE bad_list (ref text, region text, body jsonb, version int, content_hash text) PARTITION BY LIST (region);
SELECT regress_util.try($$ SELECT versioning.enable('bad_list', key => ARRAY['ref']) $$);
CREATE TABLE bad_expr (ref text, body jsonb, version int, content_hash text) PARTITION BY LIST (lower(ref));
SELECT regress_util.try($$ SELECT versioning.enable('bad_expr', key => ARRAY['ref']) $$);
CREATE TABLE bad_deep (ref text, region text, body jsonb, version int, content_hash text) PARTITION BY LIST (ref);
CREATE TABLE bad_deep_a PARTITION OF bad_deep FOR VALUES IN ('a') PARTITION BY LIST (region);
SELECT regress_util.try($$ SELECT versioning.enable('bad_deep', key => ARRAY['ref']) $$);
SELECT regress_util.try($$ SELECT versioning.enable('hdefs_0', key => ARRAY['ref']) $$);
SELECT table_name FROM versioning.tables WHERE table_name LIKE 'public.bad%' OR table_name LIKE 'public.hdefs_%';
-- A foreign table cannot be a partition of a versioned table (it cannot hold the unique
-- index): enable names it before touching a row, and ATTACH is left to PostgreSQL's refusal.
-- A wrapper without a handler: a foreign table that no query can read.
CREATE FOREIGN DATA WRAPPER regress_nohandler_fdw;
CREATE SERVER regress_nohandler FOREIGN DATA WRAPPER regress_nohandler_fdw;
CREATE TABLE bad_foreign (ref text, body jsonb, version int, content_hash text) PARTITION BY LIST (ref);
CREATE TABLE bad_foreign_a PARTITION OF bad_foreign FOR VALUES IN ('a');
INSERT INTO bad_foreign (ref, body) VALUES ('a', '{"n": 1}');
CREATE FOREIGN TABLE bad_foreign_b PARTITION OF bad_foreign FOR VALUES IN ('b') SERVER regress_nohandler;
SELECT regress_util.try($$ SELECT versioning.enable('bad_foreign', key => ARRAY['ref']) $$);
SELECT count(*) AS configured, (SELECT count(version) FROM bad_foreign_a) AS numbered
  FROM versioning.tables WHERE table_name = 'public.bad_foreign';
ALTER TABLE bad_foreign DETACH PARTITION bad_foreign_b;
SELECT versioning.enable('bad_foreign', key => ARRAY['ref']);
SELECT regress_util.try($$ ALTER TABLE bad_foreign ATTACH PARTITION bad_foreign_b FOR VALUES IN ('b') $$);
SELECT regress_util.try($$ CREATE FOREIGN TABLE bad_foreign_c PARTITION OF bad_foreign FOR VALUES IN ('c') SERVER regress_nohandler $$);
DROP TABLE bad_foreign;
DROP SERVER regress_nohandler CASCADE;
DROP FOREIGN DATA WRAPPER regress_nohandler_fdw;

-- Schema changes follow the partitioned table; disable removes the triggers from every partition.
ALTER TABLE tdocs RENAME COLUMN body TO document;
INSERT INTO tdocs (tenant, doc, document) VALUES ('acme', 2, '{"title": "renamed"}');
SELECT versioning.config('tdocs') -> 'content' AS content;
SELECT version FROM tdocs WHERE tenant = 'acme' AND doc = 2 ORDER BY version;
SELECT versioning.disable('tdocs');
SELECT count(*) AS triggers_left FROM pg_trigger
 WHERE tgrelid IN (SELECT relid FROM pg_partition_tree('tdocs')) AND tgname LIKE 'zz_versioning%';
