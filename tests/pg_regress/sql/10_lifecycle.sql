-- Lifecycles (docs/versioning.md, "Lifecycles") and the lifecycle functions (docs/reference.md):
-- presets, JSON lifecycles, preset extension, boolean status columns, configuration errors, stamps,
-- editable drafts, transitions, soft and hard delete, transition(), revert(), purge(), labels and
-- the audit log.
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- The log rows of one table, without timestamps, actors' sessions or txids.
CREATE FUNCTION regress_util.lc_log(tbl text)
RETURNS TABLE (key jsonb, version bigint, action text, from_state text, to_state text, detail jsonb)
LANGUAGE sql AS $$
  SELECT l.key, l.version, l.action, l.from_state, l.to_state, l.detail
    FROM versioning.log l
   WHERE l.table_name = tbl
   ORDER BY l.txid, l.at, l.version, l.action, l.from_state NULLS FIRST
$$;

------------------------------------------------------------------------------------------
-- Configuration errors are found at enable, naming the column or value.
CREATE TABLE lc_bad (
  id         int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  doc        text NOT NULL,
  version    int NOT NULL,
  content_hash text NOT NULL,
  body       jsonb NOT NULL,
  status     text,
  state_int  int,
  flag       boolean,
  note       text,
  done_at    timestamptz,
  done_at_plain timestamp,
  deleted_text text
);
-- an unknown status column: 42703
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"preset":"publish","column":"nope"}') $$);
-- the 'publish' preset needs a column named "status" (this table has one), 'review' too;
-- a status column that is neither text nor boolean: 42804
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"preset":"publish","column":"state_int"}') $$);
-- an `at` stamp that is not a timestamp: 42804; an unknown stamp column: 42703
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"preset":"publish","stamps":{"published":{"at":"note"}}}') $$);
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"preset":"publish","stamps":{"published":{"at":"done_at","by":"nobody_col"}}}') $$);
-- a timestamp without time zone is a valid `at` column
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"preset":"publish","stamps":{"published":{"at":"done_at_plain"}}}') $$);
SELECT versioning.disable('lc_bad');
-- deleted_column must be a timestamp column that exists
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], deleted_column => 'deleted_text') $$);
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], deleted_column => 'gone_at') $$);
-- an unknown preset, an unknown field, a lifecycle that is neither a preset nor JSON: 22023
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => 'approve') $$);
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"preset":"approve"}') $$);
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"preset":"publish","colour":"red"}') $$);
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"column":"status","initial":"draft","editable":["draft"],"transitions":{"draft":["final"]},"colour":"red"}') $$);
-- a transition to a state the lifecycle does not declare: 22023
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"preset":"publish","transitions":{"published":["retracted"]}}') $$);
-- a boolean status column only has the states "true" and "false": 22023
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"column":"flag","initial":"false","editable":["false"],"transitions":{"false":["maybe"]}}') $$);
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"preset":"publish","column":"flag"}') $$);
-- a column in two roles: 22023
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"preset":"publish","column":"note"}', mutable => ARRAY['note']) $$);
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body', 'status'], lifecycle => 'publish') $$);
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => 'publish', deleted_column => 'done_at', mutable => ARRAY['done_at']) $$);
SELECT regress_util.try($$ SELECT versioning.enable('lc_bad', key => ARRAY['doc'], content => ARRAY['body'], lifecycle => '{"preset":"publish","stamps":{"published":{"at":"done_at"}}}', deleted_column => 'done_at') $$);
-- none of the failed calls left a configuration behind
SELECT count(*) AS configured FROM versioning.tables WHERE table_name = 'public.lc_bad';
DROP TABLE lc_bad;

------------------------------------------------------------------------------------------
-- The 'publish' preset: draft → published → archived, only drafts are editable.
CREATE TABLE lc_pub (
  id           int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  doc          text NOT NULL,
  version      int NOT NULL,
  content_hash text NOT NULL,
  body         jsonb NOT NULL,
  status       text,
  views        int NOT NULL DEFAULT 0
);
SELECT versioning.enable('lc_pub', key => ARRAY['doc'], content => ARRAY['body'],
                         lifecycle => 'publish', mutable => ARRAY['views']);
SELECT versioning.config('lc_pub') -> 'lifecycle' AS lifecycle;

-- A NULL status becomes the initial state; only insertable states may be inserted.
INSERT INTO lc_pub (doc, body) VALUES ('a', '{"n": 1}') RETURNING doc, version, status;
INSERT INTO lc_pub (doc, body, status) VALUES ('a', '{"n": 2}', 'draft') RETURNING doc, version, status;
SELECT regress_util.try($$ INSERT INTO lc_pub (doc, body, status) VALUES ('a', '{"n": 3}', 'published') $$);
SELECT regress_util.try($$ INSERT INTO lc_pub (doc, body, status) VALUES ('b', '{"n": 3}', 'bogus') $$);

-- A draft is editable: any column may change and the hash follows the content.
UPDATE lc_pub SET body = '{"n": 1, "edited": true}' WHERE doc = 'a' AND version = 1;
SELECT doc, version, body, status, content_hash = versioning.content_hash(body) AS hash_ok
  FROM lc_pub ORDER BY doc, version;
-- ... dedup does not apply to edits: a draft may be edited to the content of another version.
UPDATE lc_pub SET body = '{"n": 2}' WHERE doc = 'a' AND version = 1;
UPDATE lc_pub SET body = '{"n": 1}' WHERE doc = 'a' AND version = 1;
-- ... but key and version columns never change, drafts included.
SELECT regress_util.try($$ UPDATE lc_pub SET doc = 'z' WHERE doc = 'a' AND version = 1 $$);
SELECT regress_util.try($$ UPDATE lc_pub SET version = 7 WHERE doc = 'a' AND version = 1 $$);

-- A status change must be a declared transition; the error names both states and lists
-- the allowed targets.
SELECT regress_util.try($$ UPDATE lc_pub SET status = 'archived' WHERE doc = 'a' AND version = 1 $$);
SELECT regress_util.try($$ UPDATE lc_pub SET status = 'bogus' WHERE doc = 'a' AND version = 1 $$);
UPDATE lc_pub SET status = 'published' WHERE doc = 'a' AND version = 1;
SELECT regress_util.try($$ UPDATE lc_pub SET status = 'draft' WHERE doc = 'a' AND version = 1 $$);

-- A published version is frozen: content (and its hash) cannot change, not even together
-- with an allowed transition; mutable columns can.
SELECT regress_util.try($$ UPDATE lc_pub SET body = '{"n": 9}' WHERE doc = 'a' AND version = 1 $$);
SELECT regress_util.try($$ UPDATE lc_pub SET content_hash = repeat('0', 64) WHERE doc = 'a' AND version = 1 $$);
SELECT regress_util.try($$ UPDATE lc_pub SET body = '{"n": 9}', status = 'archived' WHERE doc = 'a' AND version = 1 $$);
UPDATE lc_pub SET views = views + 1 WHERE doc = 'a';
UPDATE lc_pub SET status = 'archived', views = 10 WHERE doc = 'a' AND version = 1;
SELECT regress_util.try($$ UPDATE lc_pub SET status = 'published' WHERE doc = 'a' AND version = 1 $$);
SELECT doc, version, body, status, views FROM lc_pub ORDER BY doc, version;

-- DELETE without deleted_column: a frozen version cannot be deleted; a draft can only if it
-- is the latest version; its number is then reused by the next insert.
INSERT INTO lc_pub (doc, body) VALUES ('a', '{"n": 3}') RETURNING version, status;
SELECT regress_util.try($$ DELETE FROM lc_pub WHERE doc = 'a' AND version = 1 $$);
SELECT regress_util.try($$ DELETE FROM lc_pub WHERE doc = 'a' AND version = 2 $$);
SELECT regress_util.try($$ DELETE FROM lc_pub WHERE doc = 'a' $$);
DELETE FROM lc_pub WHERE doc = 'a' AND version = 3;
INSERT INTO lc_pub (doc, body) VALUES ('a', '{"n": 4}') RETURNING version, status;
SELECT doc, version, body, status FROM lc_pub ORDER BY doc, version;

-- Every create, transition and delete is logged.
SELECT * FROM regress_util.lc_log('public.lc_pub');

------------------------------------------------------------------------------------------
-- A preset can be extended: another status column, extra transitions (merged per state)
-- and stamps. Here 'review' with an integer-id reviewer, and rejected → draft added.
CREATE TABLE lc_rev (
  id            int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  doc           text NOT NULL,
  version       int NOT NULL,
  content_hash  text NOT NULL,
  body          jsonb NOT NULL,
  state         varchar(20),
  created_at_s  timestamptz,
  created_by    text,
  submitted_at  timestamptz,
  submitted_by  int,
  reviewed_at   timestamp,
  reviewed_by   bigint
);
SELECT versioning.enable('lc_rev', key => ARRAY['doc'], content => ARRAY['body'],
  lifecycle => '{"preset": "review", "column": "state",
                 "transitions": {"rejected": ["draft"]},
                 "stamps": {"draft":     {"at": "created_at_s", "by": "created_by"},
                            "submitted": {"at": "submitted_at", "by": "submitted_by"},
                            "approved":  {"at": "reviewed_at",  "by": "reviewed_by"},
                            "rejected":  {"at": "reviewed_at",  "by": "reviewed_by"}}}');
SELECT versioning.config('lc_rev') -> 'lifecycle' -> 'transitions' AS transitions;

-- Stamps of the initial state are filled at INSERT; the actor is versioning.actor, cast to
-- the column's type.
BEGIN;
SET LOCAL versioning.actor = 'writer-1';
INSERT INTO lc_rev (doc, body) VALUES ('r', '{"text": "first"}');
COMMIT;
SELECT version, state, created_at_s IS NOT NULL AS created_stamped, created_by,
       submitted_at IS NULL AS not_submitted FROM lc_rev ORDER BY version;

-- An integer `by` column needs an integer actor: 22P02 otherwise, and nothing changes.
BEGIN;
SET LOCAL versioning.actor = 'alice';
SELECT regress_util.try($$ UPDATE lc_rev SET state = 'submitted' WHERE doc = 'r' AND version = 1 $$);
COMMIT;
SELECT version, state, submitted_by FROM lc_rev ORDER BY version;
BEGIN;
SET LOCAL versioning.actor = '42';
UPDATE lc_rev SET state = 'submitted' WHERE doc = 'r' AND version = 1;
SELECT version, state, submitted_at IS NOT NULL AS submitted_stamped, submitted_by,
       submitted_at = now() AS at_transaction_time FROM lc_rev ORDER BY version;
COMMIT;

-- Submitted is not editable; sending it back to draft does not make it editable again:
-- a version that has left an editable state stays frozen.
SELECT regress_util.try($$ UPDATE lc_rev SET body = '{"text": "changed"}' WHERE doc = 'r' AND version = 1 $$);
UPDATE lc_rev SET state = 'draft' WHERE doc = 'r' AND version = 1;
SELECT regress_util.try($$ UPDATE lc_rev SET body = '{"text": "changed"}' WHERE doc = 'r' AND version = 1 $$);
SELECT regress_util.try($$ DELETE FROM lc_rev WHERE doc = 'r' AND version = 1 $$);
-- ... but its state may still move along allowed transitions.
BEGIN;
SET LOCAL versioning.actor = '7';
UPDATE lc_rev SET state = 'submitted' WHERE doc = 'r' AND version = 1;
UPDATE lc_rev SET state = 'rejected' WHERE doc = 'r' AND version = 1;
COMMIT;
-- the extension's own transition: rejected → draft; and still frozen afterwards
UPDATE lc_rev SET state = 'draft' WHERE doc = 'r' AND version = 1;
SELECT regress_util.try($$ UPDATE lc_rev SET body = '{"text": "changed"}' WHERE doc = 'r' AND version = 1 $$);
SELECT regress_util.try($$ UPDATE lc_rev SET state = 'approved' WHERE doc = 'r' AND version = 1 $$);
SELECT version, state, body, submitted_by, reviewed_at IS NOT NULL AS reviewed_stamped, reviewed_by
  FROM lc_rev ORDER BY version;
-- A second version, never submitted, is still an editable draft.
INSERT INTO lc_rev (doc, body) VALUES ('r', '{"text": "second"}');
UPDATE lc_rev SET body = '{"text": "second, edited"}' WHERE doc = 'r' AND version = 2;
SELECT version, state, body, content_hash = versioning.content_hash(body) AS hash_ok
  FROM lc_rev ORDER BY version;
SELECT * FROM regress_util.lc_log('public.lc_rev');

------------------------------------------------------------------------------------------
-- A full JSON lifecycle: own states, several insertable states, stamps.
CREATE TABLE lc_ticket (
  id           int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ticket       text NOT NULL,
  version      int NOT NULL,
  content_hash text NOT NULL,
  body         text NOT NULL,
  phase        text,
  closed_at    timestamptz,
  closed_by    text
);
SELECT versioning.enable('lc_ticket', key => ARRAY['ticket'], content => ARRAY['body'],
  lifecycle => '{"column": "phase", "initial": "open", "insertable": ["open", "imported"],
                 "editable": ["open"],
                 "transitions": {"open": ["closed"], "imported": ["closed"], "closed": []},
                 "stamps": {"closed": {"at": "closed_at", "by": "closed_by"}}}');
INSERT INTO lc_ticket (ticket, body) VALUES ('t1', 'printer jam');
INSERT INTO lc_ticket (ticket, body, phase) VALUES ('t2', 'old ticket', 'imported');
SELECT regress_util.try($$ INSERT INTO lc_ticket (ticket, body, phase) VALUES ('t3', 'x', 'closed') $$);
-- 'imported' is not editable: frozen from the start.
SELECT regress_util.try($$ UPDATE lc_ticket SET body = 'new text' WHERE ticket = 't2' $$);
UPDATE lc_ticket SET body = 'printer jam on floor 2' WHERE ticket = 't1';
BEGIN;
SET LOCAL versioning.actor = 'helpdesk';
UPDATE lc_ticket SET phase = 'closed' WHERE ticket IN ('t1', 't2');
COMMIT;
SELECT regress_util.try($$ UPDATE lc_ticket SET phase = 'open' WHERE ticket = 't1' $$);
SELECT ticket, version, body, phase, closed_at IS NOT NULL AS closed_stamped, closed_by,
       content_hash = encode(sha256(convert_to(body, 'UTF8')), 'hex') AS hash_ok
  FROM lc_ticket ORDER BY ticket, version;

------------------------------------------------------------------------------------------
-- A boolean status column: states "false" and "true". Unpublishing (true → false) is an
-- allowed transition, but the version stays frozen.
CREATE TABLE lc_flag (
  id           int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  doc          text NOT NULL,
  version      int NOT NULL,
  content_hash text NOT NULL,
  body         jsonb NOT NULL,
  is_live      boolean DEFAULT false,
  live_at      timestamptz,
  live_by      text
);
SELECT versioning.enable('lc_flag', key => ARRAY['doc'], content => ARRAY['body'],
  lifecycle => '{"column": "is_live", "initial": "false", "editable": ["false"],
                 "transitions": {"false": ["true"], "true": ["false"]},
                 "stamps": {"true": {"at": "live_at", "by": "live_by"}}}');
INSERT INTO lc_flag (doc, body) VALUES ('f', '{"v": 1}');
INSERT INTO lc_flag (doc, body, is_live) VALUES ('g', '{"v": 1}', NULL) RETURNING is_live;
SELECT regress_util.try($$ INSERT INTO lc_flag (doc, body, is_live) VALUES ('h', '{"v": 1}', true) $$);
UPDATE lc_flag SET body = '{"v": 1, "draft": true}' WHERE doc = 'f';
SET versioning.actor = 'publisher';
UPDATE lc_flag SET is_live = true WHERE doc = 'f';
UPDATE lc_flag SET is_live = false WHERE doc = 'f';
RESET versioning.actor;
SELECT regress_util.try($$ UPDATE lc_flag SET body = '{"v": 2}' WHERE doc = 'f' $$);
SELECT doc, version, body, is_live, live_at IS NOT NULL AS live_stamped, live_by
  FROM lc_flag ORDER BY doc, version;
SELECT key, version, action, from_state, to_state FROM regress_util.lc_log('public.lc_flag');

------------------------------------------------------------------------------------------
-- Soft delete: with deleted_column every DELETE sets it and removes nothing.
CREATE TABLE lc_soft (
  id           int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  doc          text NOT NULL,
  version      int NOT NULL,
  content_hash text NOT NULL,
  body         jsonb NOT NULL,
  status       text,
  deleted_at   timestamptz
);
SELECT versioning.enable('lc_soft', key => ARRAY['doc'], content => ARRAY['body'],
                         lifecycle => 'publish', deleted_column => 'deleted_at');
INSERT INTO lc_soft (doc, body) VALUES ('s', '{"v": 1}'), ('s', '{"v": 2}'), ('s', '{"v": 3}');
UPDATE lc_soft SET status = 'published' WHERE version = 1;
-- DELETE reports 0 rows (nothing was removed), frozen and draft alike
DELETE FROM lc_soft WHERE version IN (1, 3);
SELECT doc, version, status, deleted_at IS NOT NULL AS deleted FROM lc_soft ORDER BY version;
-- 'latest' skips soft-deleted versions; the next version number does not reuse 3
SELECT versioning.label('lc_soft', '{"doc": "s"}', 'latest') AS latest;
INSERT INTO lc_soft (doc, body) VALUES ('s', '{"v": 4}') RETURNING version;
SELECT versioning.label('lc_soft', '{"doc": "s"}', 'latest') AS latest;
-- the deleted column is not writable by hand on a frozen version
SELECT regress_util.try($$ UPDATE lc_soft SET deleted_at = NULL WHERE version = 1 $$);
SELECT key, version, action, from_state, to_state FROM regress_util.lc_log('public.lc_soft');

------------------------------------------------------------------------------------------
-- A cascading delete from a parent table is refused the same way as a direct DELETE.
CREATE TABLE lc_owner (name text PRIMARY KEY);
CREATE TABLE lc_child (
  id           int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_name   text NOT NULL REFERENCES lc_owner ON DELETE CASCADE,
  version      int NOT NULL,
  content_hash text NOT NULL,
  body         jsonb NOT NULL,
  status       text
);
SELECT versioning.enable('lc_child', key => ARRAY['owner_name'], content => ARRAY['body'], lifecycle => 'publish');
INSERT INTO lc_owner VALUES ('o1'), ('o2');
INSERT INTO lc_child (owner_name, body) VALUES ('o1', '{"x": 1}'), ('o2', '{"x": 1}');
UPDATE lc_child SET status = 'published' WHERE owner_name = 'o1';
SELECT regress_util.try($$ DELETE FROM lc_owner WHERE name = 'o1' $$);
-- a single latest draft may go, and takes its version with it
DELETE FROM lc_owner WHERE name = 'o2';
SELECT owner_name, version, status FROM lc_child ORDER BY owner_name, version;
DROP TABLE lc_child, lc_owner;

------------------------------------------------------------------------------------------
-- versioning.transition(tbl, key, version, to_state): the same rules as an UPDATE.
CREATE TABLE lc_wf (
  id            int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workflow_id   text NOT NULL,
  tenant        text,
  version       int NOT NULL,
  content_hash  text NOT NULL,
  definition    jsonb NOT NULL,
  status        text,
  parent_id     int,
  published_at  timestamptz
);
SELECT versioning.enable('lc_wf', key => ARRAY['workflow_id', 'tenant'], content => ARRAY['definition'],
  parent_column => 'parent_id',
  lifecycle => '{"preset": "publish", "stamps": {"published": {"at": "published_at"}}}');
INSERT INTO lc_wf (workflow_id, definition) VALUES ('wf', '{"steps": ["a"]}'), ('wf', '{"steps": ["a", "b"]}');
SELECT r ->> 'workflow_id' AS workflow_id, r ->> 'version' AS version, r ->> 'status' AS status,
       (r ->> 'published_at') IS NOT NULL AS published_stamped
  FROM versioning.transition('lc_wf', '{"workflow_id": "wf"}', 1, 'published') AS r;
-- a missing key column means NULL; the same call again is not a transition
SELECT regress_util.try($$ SELECT versioning.transition('lc_wf', '{"workflow_id": "wf"}', 1, 'published') $$);
SELECT regress_util.try($$ SELECT versioning.transition('lc_wf', '{"workflow_id": "wf"}', 1, 'draft') $$);
SELECT regress_util.try($$ SELECT versioning.transition('lc_wf', '{"workflow_id": "wf"}', 9, 'published') $$);
SELECT regress_util.try($$ SELECT versioning.transition('lc_wf', '{"workflow_id": "nope"}', 1, 'published') $$);
SELECT regress_util.try($$ SELECT versioning.transition('lc_wf', '{"workflow": "wf"}', 1, 'published') $$);
SELECT regress_util.try($$ SELECT versioning.transition('lc_wf', '{"workflow_id": "wf"}', 2, 'bogus') $$);
-- a table without a lifecycle has no transitions
CREATE TABLE lc_plain (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k text, version int, content_hash text, body jsonb);
SELECT versioning.enable('lc_plain', key => ARRAY['k'], content => ARRAY['body']);
INSERT INTO lc_plain (k, body) VALUES ('p', '{}');
SELECT regress_util.try($$ SELECT versioning.transition('lc_plain', '{"k": "p"}', 1, 'published') $$);

-- versioning.revert(tbl, key, to_version): a new version with the old content, in the
-- initial state, even though that content exists (dedup is bypassed), parent = latest.
SELECT r ->> 'version' AS version, r -> 'definition' AS definition, r ->> 'status' AS status,
       (r ->> 'parent_id')::int = (SELECT id FROM lc_wf WHERE version = 2) AS parent_is_latest,
       r ->> 'content_hash' = versioning.content_hash('{"steps": ["a"]}') AS hash_ok
  FROM versioning.revert('lc_wf', '{"workflow_id": "wf"}', 1) AS r;
SELECT regress_util.try($$ SELECT versioning.revert('lc_wf', '{"workflow_id": "wf"}', 42) $$);
SELECT workflow_id, version, definition, status, published_at IS NOT NULL AS published_stamped,
       parent_id = lag(id) OVER (ORDER BY version) AS parent_ok
  FROM lc_wf ORDER BY workflow_id, version;
SELECT key, version, action, from_state, to_state, detail FROM regress_util.lc_log('public.lc_wf');
-- What a revert copies besides key and content: the kind, and every column pg_versioning does
-- not assign that has no default (title; the mutable note). Columns with a default get it, as
-- in any new row (a fresh id, created_at, origin); status, stamps and semantic version numbers
-- are assigned (change_type is NULL: a patch).
SELECT versioning.register_schema('lc_back_kind', '{"type": "object", "required": ["steps"]}') AS schema_version;
CREATE TABLE lc_back (
  id           bigserial PRIMARY KEY,
  ref          text NOT NULL,
  kind         text NOT NULL,
  title        text NOT NULL,
  note         text,
  body         jsonb NOT NULL,
  change_type  text,
  major        int,
  minor        int,
  patch        int,
  origin       text NOT NULL DEFAULT 'app',
  created_at   timestamptz NOT NULL DEFAULT now(),
  version      int,
  content_hash text,
  status       text
);
SELECT versioning.enable('lc_back', key => ARRAY['ref'], content => ARRAY['body'], kind_column => 'kind',
  lifecycle => 'publish', mutable => ARRAY['note'],
  semver => '{"change_type": "change_type", "major": "major", "minor": "minor", "patch": "patch"}');
INSERT INTO lc_back (ref, kind, title, note, body, origin, created_at)
VALUES ('r', 'lc_back_kind', 'First', 'n1', '{"steps": [1]}', 'import', '2020-01-01');
UPDATE lc_back SET status = 'published' WHERE ref = 'r' AND version = 1;
INSERT INTO lc_back (ref, kind, title, body, change_type) VALUES ('r', 'lc_back_kind', 'Second', '{"steps": [2]}', 'major');
SELECT r ->> 'version' AS version, r ->> 'kind' AS kind, r ->> 'title' AS title, r ->> 'note' AS note,
       r -> 'body' AS body, r ->> 'status' AS status, r ->> 'origin' AS origin,
       (r ->> 'created_at')::timestamptz > '2020-01-02' AS fresh_created_at,
       (r ->> 'id')::int NOT IN (SELECT id FROM lc_back WHERE version < 3) AS fresh_id,
       r ->> 'change_type' AS change_type, versioning.semver('lc_back', '{"ref": "r"}', 3) AS semver
  FROM versioning.revert('lc_back', '{"ref": "r"}', 1) AS r;
-- reverting to version 2 (a 'major' change) is a patch again: the change type is not copied
SELECT r ->> 'version' AS version, r ->> 'title' AS title, r ->> 'change_type' AS change_type,
       versioning.semver('lc_back', '{"ref": "r"}', 4) AS semver
  FROM versioning.revert('lc_back', '{"ref": "r"}', 2) AS r;
-- A primary key without a default cannot be copied (it would collide with the version it
-- comes from): 23502 naming the table, key, version and column, before anything is inserted.
CREATE TABLE lc_back_pk (id text PRIMARY KEY, ref text, version int, content_hash text, body jsonb);
SELECT versioning.enable('lc_back_pk', key => ARRAY['ref'], content => ARRAY['body']);
INSERT INTO lc_back_pk (id, ref, body) VALUES ('a1', 'r', '{"v": 1}'), ('a2', 'r', '{"v": 2}');
SELECT regress_util.try($$ SELECT versioning.revert('lc_back_pk', '{"ref": "r"}', 1) $$);
SELECT count(*) AS versions FROM lc_back_pk;
DROP TABLE lc_back, lc_back_pk;

------------------------------------------------------------------------------------------
-- Labels: a name for one frozen version of a key; 'latest' is implicit.
CREATE ROLE regress_lc_editor;
CREATE ROLE regress_lc_reader;
CREATE ROLE regress_lc_releaser;
GRANT SELECT, INSERT, UPDATE ON lc_wf TO regress_lc_editor;
GRANT SELECT ON lc_wf TO regress_lc_reader;
SELECT versioning.set_label('lc_wf', '{"workflow_id": "wf"}', 'stable', 1);
SELECT versioning.label('lc_wf', '{"workflow_id": "wf"}', 'stable') AS stable,
       versioning.label('lc_wf', '{"workflow_id": "wf"}', 'latest') AS latest,
       versioning.label('lc_wf', '{"workflow_id": "wf"}', 'unknown') AS unknown,
       versioning.label('lc_wf', '{"workflow_id": "other"}', 'latest') AS other_latest;
SELECT regress_util.try($$ SELECT versioning.set_label('lc_wf', '{"workflow_id": "wf"}', 'latest', 1) $$);
-- a label points at a frozen version: not at a draft, nor at a version that does not exist
SELECT regress_util.try($$ SELECT versioning.set_label('lc_wf', '{"workflow_id": "wf"}', 'stable', 3) $$);
SELECT regress_util.try($$ SELECT versioning.set_label('lc_wf', '{"workflow_id": "wf"}', 'stable', 99) $$);
-- moving a label needs UPDATE on the table
SET ROLE regress_lc_reader;
SELECT regress_util.try($$ SELECT versioning.set_label('lc_wf', '{"workflow_id": "wf"}', 'stable', 2) $$);
RESET ROLE;
SELECT versioning.transition('lc_wf', '{"workflow_id": "wf"}', 2, 'published') ->> 'status' AS status;
SET ROLE regress_lc_editor;
SELECT regress_util.try($$ SELECT versioning.set_label('lc_wf', '{"workflow_id": "wf"}', 'stable', 2) $$);
-- protecting a label is for the table owner
SELECT regress_util.try($$ SELECT versioning.protect_label('lc_wf', 'stable', 'regress_lc_releaser') $$);
RESET ROLE;
SELECT versioning.protect_label('lc_wf', 'stable', 'regress_lc_releaser');
SELECT table_name, label, role FROM versioning.label_protections ORDER BY table_name, label;
-- now only members of regress_lc_releaser may move it
SET ROLE regress_lc_editor;
SELECT regress_util.try($$ SELECT versioning.set_label('lc_wf', '{"workflow_id": "wf"}', 'stable', 1) $$);
RESET ROLE;
GRANT regress_lc_releaser TO regress_lc_editor;
SET ROLE regress_lc_editor;
SELECT regress_util.try($$ SELECT versioning.set_label('lc_wf', '{"workflow_id": "wf"}', 'stable', 1) $$);
RESET ROLE;
SELECT table_name, key, label, version FROM versioning.labels ORDER BY table_name, key::text, label;
SELECT key, version, action, detail FROM regress_util.lc_log('public.lc_wf') WHERE action = 'label';

------------------------------------------------------------------------------------------
-- versioning.purge: the one way to remove frozen versions. Owner only, needs
-- versioning.allow_purge, and a reason that goes to the log.
INSERT INTO lc_soft (doc, body) VALUES ('t', '{"v": 1}');
SELECT regress_util.try($$ SELECT versioning.purge('lc_soft', '{"doc": "s"}', 1, reason => 'GDPR request 17') $$);
BEGIN;
SET LOCAL versioning.allow_purge = on;
SELECT regress_util.try($$ SELECT versioning.purge('lc_soft', '{"doc": "s"}', 1) $$);
SELECT regress_util.try($$ SELECT versioning.purge('lc_soft', '{"doc": "s"}', 1, reason => '') $$);
GRANT SELECT, UPDATE, DELETE ON lc_soft TO regress_lc_editor;
SET LOCAL ROLE regress_lc_editor;
SELECT regress_util.try($$ SELECT versioning.purge('lc_soft', '{"doc": "s"}', 1, reason => 'GDPR request 17') $$);
RESET ROLE;
-- one version (a frozen, published one), then every version of a key
SELECT versioning.purge('lc_soft', '{"doc": "s"}', 1, reason => 'GDPR request 17') AS purged;
SELECT versioning.purge('lc_soft', '{"doc": "s"}', reason => 'GDPR request 18') AS purged;
COMMIT;
SELECT doc, version FROM lc_soft ORDER BY doc, version;
SELECT key, version, action, detail FROM regress_util.lc_log('public.lc_soft') WHERE action = 'purge';

-- A purged number is reused by the next insert, and the new version is a fresh draft: it
-- does not inherit the purged version's history (lc_rev's version 1 had left draft).
BEGIN;
SET LOCAL versioning.allow_purge = on;
SELECT versioning.purge('lc_rev', '{"doc": "r"}', reason => 'start over') AS purged;
COMMIT;
INSERT INTO lc_rev (doc, body) VALUES ('r', '{"text": "again"}') RETURNING version, state;
SELECT regress_util.try($$ UPDATE lc_rev SET body = '{"text": "again, edited"}' WHERE doc = 'r' AND version = 1 $$);

------------------------------------------------------------------------------------------
-- DROP TABLE forgets everything the extension kept about the table: its configuration,
-- labels, label protections and lifecycle history. A new table of the same name starts
-- afresh.
DROP TABLE lc_pub, lc_rev, lc_ticket, lc_flag, lc_soft, lc_wf, lc_plain;
SELECT (SELECT count(*) FROM versioning.tables WHERE table_name LIKE 'public.lc\_%') AS tables,
       (SELECT count(*) FROM versioning.labels WHERE table_name LIKE 'public.lc\_%') AS labels,
       (SELECT count(*) FROM versioning.label_protections WHERE table_name LIKE 'public.lc\_%') AS protections,
       (SELECT count(*) FROM versioning.left_editable WHERE table_name LIKE 'public.lc\_%') AS left_editable;
CREATE TABLE lc_flag (
  id           int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  doc          text NOT NULL,
  version      int NOT NULL,
  content_hash text NOT NULL,
  body         jsonb NOT NULL,
  is_live      boolean DEFAULT false
);
SELECT versioning.enable('lc_flag', key => ARRAY['doc'], content => ARRAY['body'],
  lifecycle => '{"column": "is_live", "initial": "false", "editable": ["false"],
                 "transitions": {"false": ["true"], "true": ["false"]}}');
INSERT INTO lc_flag (doc, body) VALUES ('f', '{"v": 1}');
SELECT regress_util.try($$ UPDATE lc_flag SET body = '{"v": 1, "fresh": true}' WHERE doc = 'f' $$);
DROP TABLE lc_flag;

-- (cleanup in case the rows above were left behind)
DO $$ BEGIN
  DELETE FROM versioning.labels WHERE table_name LIKE 'public.lc\_%';
  DELETE FROM versioning.label_protections WHERE table_name LIKE 'public.lc\_%';
  DELETE FROM versioning.left_editable WHERE table_name LIKE 'public.lc\_%';
END $$;
DROP ROLE regress_lc_editor, regress_lc_reader, regress_lc_releaser;
DROP FUNCTION regress_util.lc_log(text);
