-- SET versioning.restore = on: data-only restores and bulk loads of existing history
-- (docs/operations.md, "Restore mode"). Supplied versions and hashes are kept (hashes verified),
-- dedup is skipped, an existing (key, version) is still refused, and only the owner may do it.
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

SHOW versioning.restore;

CREATE TABLE rs_docs (
  id           int PRIMARY KEY,
  reference    text NOT NULL,
  project_id   text,
  version      int NOT NULL,
  content_hash text NOT NULL,
  content      jsonb NOT NULL,
  parent_id    int
);
SELECT versioning.enable('rs_docs', key => ARRAY['reference', 'project_id'], parent_column => 'parent_id');

-- A data-only restore: COPY of rows with their versions, hashes and parents as dumped.
-- The history has a gap (version 3 was purged) and version 4 repeats version 1's content;
-- both are kept as they are.
SET versioning.restore = on;
COPY rs_docs (id, reference, project_id, version, content_hash, content, parent_id) FROM STDIN;
10	wf	\N	1	8565a568653654ae5b4d4444245fa76e8bdea8c7d0db4a75bcffbb60bd6a0452	{"step": 1}	\N
11	wf	\N	2	aebcca5f2da4999140b08302faef160fb1ee0efe9badb8415b4cb57c1b9ce0df	{"step": 2}	10
13	wf	\N	4	8565a568653654ae5b4d4444245fa76e8bdea8c7d0db4a75bcffbb60bd6a0452	{"step": 1}	11
20	wf	p1	1	8565a568653654ae5b4d4444245fa76e8bdea8c7d0db4a75bcffbb60bd6a0452	{"step": 1}	\N
\.
SELECT id, reference, project_id, version, content, parent_id,
       content_hash = versioning.content_hash(content) AS hash_ok
  FROM rs_docs ORDER BY reference, project_id NULLS FIRST, version;
-- Restoring is not creating: no audit rows (the log is restored from its own dump).
SELECT count(*) AS log_rows FROM versioning.log WHERE table_name = 'public.rs_docs';

-- Plain INSERTs in restore mode behave the same way.
INSERT INTO rs_docs (id, reference, version, content_hash, content, parent_id)
VALUES (30, 'other', 7, versioning.content_hash('{"step": 5}'), '{"step": 5}', NULL)
RETURNING reference, version, parent_id;

-- A supplied hash is verified: 22000 when it does not match the content.
SELECT regress_util.try($$ INSERT INTO rs_docs (id, reference, version, content_hash, content)
                      VALUES (31, 'other', 8, versioning.content_hash('{"step": 5}'), '{"step": 6}') $$);

-- An existing (key, version) is refused with 23505, whatever the content.
SELECT regress_util.try($$ INSERT INTO rs_docs (id, reference, version, content_hash, content)
                      VALUES (32, 'wf', 2, versioning.content_hash('{"step": 6}'), '{"step": 6}') $$);
SELECT regress_util.try($$ INSERT INTO rs_docs (id, reference, project_id, version, content_hash, content)
                      VALUES (33, 'wf', 'p1', 1, versioning.content_hash('{"step": 1}'), '{"step": 1}') $$);
-- The same version number under another key (NULL project vs 'p2') is fine.
SELECT regress_util.try($$ INSERT INTO rs_docs (id, reference, project_id, version, content_hash, content)
                      VALUES (34, 'wf', 'p2', 2, versioning.content_hash('{"step": 2}'), '{"step": 2}') $$);

-- What is missing is computed: a NULL hash from the content, a NULL version as the next one.
INSERT INTO rs_docs (id, reference, version, content) VALUES (35, 'other', 8, '{"step": 6}')
RETURNING reference, version, content_hash = versioning.content_hash(content) AS hash_ok;
INSERT INTO rs_docs (id, reference, content_hash, content)
VALUES (36, 'other', versioning.content_hash('{"step": 4}'), '{"step": 4}')
RETURNING reference, version;

-- Frozen stays frozen in restore mode.
SELECT regress_util.try($$ UPDATE rs_docs SET content = '{}' WHERE id = 10 $$);
SELECT regress_util.try($$ DELETE FROM rs_docs WHERE id = 10 $$);

RESET versioning.restore;
SHOW versioning.restore;

-- Back to normal: numbering continues after the highest restored version, dedup sees the
-- restored history, and the parent is the restored latest version.
INSERT INTO rs_docs (id, reference, content) VALUES (40, 'wf', '{"step": 2}') RETURNING version;  -- duplicate of v2: skipped
INSERT INTO rs_docs (id, reference, content) VALUES (41, 'wf', '{"step": 9}') RETURNING version, parent_id;
SELECT reference, project_id, array_agg(version ORDER BY version) AS versions
  FROM rs_docs GROUP BY reference, project_id ORDER BY reference, project_id NULLS FIRST;

------------------------------------------------------------------------------------------
-- Only the table's owner may restore: a role with INSERT privilege gets 42501 with restore
-- on, and inserts normally with it off.
BEGIN;
CREATE ROLE regress_pgv_restore_writer;
GRANT INSERT, SELECT ON rs_docs TO regress_pgv_restore_writer;
SET ROLE regress_pgv_restore_writer;
SET LOCAL versioning.restore = on;
SELECT regress_util.try($$ INSERT INTO rs_docs (id, reference, version, content_hash, content)
                      VALUES (50, 'wf', 99, versioning.content_hash('{"step": 50}'), '{"step": 50}') $$);
-- even without a supplied version or hash
SELECT regress_util.try($$ INSERT INTO rs_docs (id, reference, content) VALUES (51, 'wf', '{"step": 51}') $$);
SET LOCAL versioning.restore = off;
INSERT INTO rs_docs (id, reference, version, content) VALUES (52, 'wf', 99, '{"step": 52}') RETURNING version;
RESET ROLE;
ROLLBACK;

-- The same on a table whose configuration cannot be found (renamed after enable): restore
-- mode is the owner's whatever the configuration, so a writer cannot store a forged version.
BEGIN;
CREATE ROLE regress_pgv_restore_writer;
CREATE TABLE rs_renamed (id serial PRIMARY KEY, reference text, version int, content_hash text, content jsonb);
SELECT versioning.enable('rs_renamed', key => ARRAY['reference'], content => ARRAY['content']);
INSERT INTO rs_renamed (reference, content) VALUES ('wf', '{"step": 1}');
ALTER TABLE rs_renamed RENAME TO rs_renamed_now;
GRANT INSERT, SELECT ON rs_renamed_now TO regress_pgv_restore_writer;
GRANT USAGE ON SEQUENCE rs_renamed_id_seq TO regress_pgv_restore_writer;
SET ROLE regress_pgv_restore_writer;
SET LOCAL versioning.restore = on;
SELECT regress_util.try($$ INSERT INTO rs_renamed_now (reference, version, content_hash, content)
                      VALUES ('wf', 7, 'forged', '{"step": 7}') $$);
RESET ROLE;
SELECT reference, version, content FROM rs_renamed_now ORDER BY version;
ROLLBACK;

DROP TABLE rs_docs;
