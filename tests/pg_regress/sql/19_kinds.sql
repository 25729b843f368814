-- Kinds (docs/versioning.md, "Kinds: JSON Schemas for content"; errors: docs/reference.md):
-- versioning.register_schema keeps a versioned registry of JSON Schemas (draft 2020-12) per kind; a
-- table enabled with kind_column checks each new version's (and each draft edit's) jsonb content
-- against the latest schema of its row's kind, before hashing and dedup. Failure: 23514 with one
-- DETAIL line per failing JSON Pointer. Restore mode does not check.
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- Roles are cluster-wide: start clean even if an earlier run stopped half-way.
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_kind_owner;
DROP ROLE IF EXISTS regress_kind_other;
RESET client_min_messages;
CREATE ROLE regress_kind_owner;   -- registers a kind first: owns it
CREATE ROLE regress_kind_other;   -- another role: not a member of the owner until granted

------------------------------------------------------------------------------------------
-- register_schema: the first schema of a kind is version 1.
SELECT versioning.register_schema('regress_workflow', '{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["name", "steps"],
  "properties": {
    "name":  {"type": "string", "minLength": 3},
    "steps": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    "owner": {"type": "string", "format": "email"}
  },
  "additionalProperties": false}') AS version;
-- The same schema again (other key order and spacing; jsonb-equal) is a no-op.
SELECT versioning.register_schema('regress_workflow', '{"additionalProperties": false, "type": "object",
  "properties": {"steps": {"minItems": 1, "type": "array", "items": {"type": "string"}},
                 "owner": {"format": "email", "type": "string"},
                 "name": {"minLength": 3, "type": "string"}},
  "required": ["name", "steps"], "$schema": "https://json-schema.org/draft/2020-12/schema"}') AS version;
-- jsonb equality decides: 1.0 = 1, so {"maximum": 1.0} is the same schema as {"maximum": 1};
-- a different schema is the next version, and going back to an earlier one is a new version too.
SELECT versioning.register_schema('regress_limit', '{"maximum": 1}') AS a;
SELECT versioning.register_schema('regress_limit', '{"maximum": 1.0}') AS a_again;
SELECT versioning.register_schema('regress_limit', '{"maximum": 2}') AS b;
SELECT versioning.register_schema('regress_limit', '{"maximum": 1}') AS a_once_more;
SELECT versioning.register_schema('regress_limit', '{"maximum": 1}') AS a_no_op;
-- A $ref inside the document and the boolean schema true are valid schemas.
SELECT versioning.register_schema('regress_ref', '{"$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n"}') AS version;
SELECT versioning.register_schema('regress_anything', 'true') AS version;

-- Invalid schemas: 22023, DETAIL the JSON Pointer into the schema and the reason.
SELECT regress_util.try($$ SELECT versioning.register_schema('regress_workflow', '{"type": "strnig"}') $$);
SELECT regress_util.try($$ SELECT versioning.register_schema('regress_workflow', '{"properties": {"n": {"minLength": -1}}}') $$);
SELECT regress_util.try($$ SELECT versioning.register_schema('regress_workflow', '{"pattern": "("}') $$);
SELECT regress_util.try($$ SELECT versioning.register_schema('regress_workflow', '5') $$);
-- a $ref that does not resolve inside the document, or points at another document: refused
SELECT regress_util.try($$ SELECT versioning.register_schema('regress_workflow', '{"$ref": "#/$defs/missing"}') $$);
SELECT regress_util.try($$ SELECT versioning.register_schema('regress_workflow', '{"$ref": "file:///etc/passwd"}') $$);
SELECT regress_util.try($$ SELECT versioning.register_schema('regress_workflow', '{"$ref": "https://example.com/workflow.json"}') $$);
-- NULL or empty arguments: 22023
SELECT regress_util.try($$ SELECT versioning.register_schema(NULL, '{}') $$);
SELECT regress_util.try($$ SELECT versioning.register_schema('regress_workflow', NULL) $$);
SELECT regress_util.try($$ SELECT versioning.register_schema('', '{}') $$);
-- A schema that cannot be read as JSON Schema numbers (beyond a double) or nests too deep is
-- refused with an error a caller can act on, never an internal error (XX000).
CREATE FUNCTION regress_util.kind_refused(schema jsonb) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
  PERFORM versioning.register_schema('regress_unreadable', schema);
  RETURN 'registered';
EXCEPTION WHEN OTHERS THEN
  RETURN CASE WHEN SQLSTATE = 'XX000' THEN 'internal error: ' || SQLERRM ELSE 'refused' END;
END $f$;
SELECT regress_util.kind_refused('{"maximum": 1e400}') AS huge_number;
SELECT regress_util.kind_refused((repeat('{"not": ', 200) || '{}' || repeat('}', 200))::jsonb) AS deep;
-- None of the failed calls registered anything.
SELECT kind, version, schema FROM versioning.schemas
 WHERE kind IN ('regress_workflow', 'regress_limit', 'regress_ref', 'regress_anything', '', 'regress_unreadable')
 ORDER BY kind, version;

------------------------------------------------------------------------------------------
-- Ownership: a kind belongs to the role that registered it first; members of that role may
-- register new versions, other roles get 42501 (also for the schema it already has).
SET ROLE regress_kind_owner;
SELECT versioning.register_schema('regress_owned', '{"type": "object"}') AS version;
RESET ROLE;
SET ROLE regress_kind_other;
SELECT regress_util.try($$ SELECT versioning.register_schema('regress_owned', '{"type": "array"}') $$);
SELECT regress_util.try($$ SELECT versioning.register_schema('regress_owned', '{"type": "object"}') $$);
-- its own kind
SELECT versioning.register_schema('regress_others', '{"type": "string"}') AS version;
RESET ROLE;
GRANT regress_kind_owner TO regress_kind_other;
SET ROLE regress_kind_other;
SET versioning.actor = 'regress-kind-actor';
SELECT versioning.register_schema('regress_owned', '{"type": "array"}') AS version;
RESET versioning.actor;
RESET ROLE;
-- a superuser may register any kind's schema; the kind keeps its owner
SELECT versioning.register_schema('regress_owned', '{"type": ["array", "object"]}') AS version;
SELECT kind, version, schema, owner, registered_by FROM versioning.schemas
 WHERE kind IN ('regress_owned', 'regress_others') ORDER BY kind, version;

------------------------------------------------------------------------------------------
-- enable: the kind column exists and is text; the content is exactly one jsonb/json column;
-- the kind column is not content itself.
CREATE TABLE kind_bad (
  id           serial PRIMARY KEY,
  ref          text NOT NULL,
  kind         text,
  kind_int     int,
  doc          jsonb,
  extra        jsonb,
  body         text,
  version      int,
  content_hash text
);
SELECT regress_util.try($$ SELECT versioning.enable('kind_bad', key => ARRAY['ref'], content => ARRAY['doc'], kind_column => 'nope') $$);
SELECT regress_util.try($$ SELECT versioning.enable('kind_bad', key => ARRAY['ref'], content => ARRAY['doc'], kind_column => 'kind_int') $$);
SELECT regress_util.try($$ SELECT versioning.enable('kind_bad', key => ARRAY['ref'], content => ARRAY['body'], kind_column => 'kind') $$);
SELECT regress_util.try($$ SELECT versioning.enable('kind_bad', key => ARRAY['ref'], content => ARRAY['doc', 'extra'], kind_column => 'kind') $$);
-- the default content here is kind_int, doc, extra and body: not one document
SELECT regress_util.try($$ SELECT versioning.enable('kind_bad', key => ARRAY['ref'], kind_column => 'kind') $$);
SELECT regress_util.try($$ SELECT versioning.enable('kind_bad', key => ARRAY['ref'], content => ARRAY['doc', 'kind'], kind_column => 'kind') $$);
SELECT regress_util.try($$ SELECT versioning.enable('kind_bad', key => ARRAY['ref'], content => ARRAY['kind'], kind_column => 'kind') $$);
SELECT regress_util.try($$ SELECT versioning.enable('kind_bad', key => ARRAY['ref'], content => ARRAY['doc'], require_schema => true) $$);
SELECT count(*) AS stored FROM versioning.tables WHERE table_name = 'public.kind_bad';
DROP TABLE kind_bad;

------------------------------------------------------------------------------------------
-- A table of kinds: drafts ('publish' lifecycle), so edits can be checked too.
CREATE TABLE kind_docs (
  id           bigserial PRIMARY KEY,
  reference    text NOT NULL,
  kind         text,
  content      jsonb,
  note         text,
  status       text,
  version      int,
  content_hash text
);
SELECT versioning.enable('kind_docs', key => ARRAY['reference'], content => ARRAY['content'],
                         kind_column => 'kind', lifecycle => 'publish');
SELECT c->'content' AS content, c->'kind_column' AS kind_column, c->'require_schema' AS require_schema
  FROM versioning.config('kind_docs') c;

-- Valid content: a new version; the same content again is still a duplicate (skipped).
INSERT INTO kind_docs (reference, kind, content)
VALUES ('a', 'regress_workflow', '{"name": "Onboarding", "steps": ["sign", "train"], "owner": "ann@example.com"}')
RETURNING reference, version, status, content_hash = versioning.content_hash(content) AS hash_ok;
INSERT INTO kind_docs (reference, kind, content)
VALUES ('a', 'regress_workflow', '{"steps": ["sign", "train"], "owner": "ann@example.com", "name": "Onboarding"}')
RETURNING reference, version;
-- Invalid content: 23514 naming table, key, "a new version", kind and schema version; DETAIL
-- one line per failing JSON Pointer, "(document root)" for the document itself.
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content)
  VALUES ('a', 'regress_workflow', '{"name": "ab", "steps": ["sign", 7], "owner": "nobody", "extra": true}') $$);
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content) VALUES ('a', 'regress_workflow', '{}') $$);
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content) VALUES ('a', 'regress_workflow', '["sign"]') $$);
-- SQL NULL content is checked as JSON null
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content) VALUES ('a', 'regress_workflow', NULL) $$);
-- a jsonb number beyond a double is checked in place like any other (refused here only because
-- the schema allows no "size" member)
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content) VALUES ('a', 'regress_workflow', '{"name": "Big", "steps": ["x"], "size": 1e400}') $$);
-- A kind without a schema, and a NULL kind, are accepted (require_schema is off).
INSERT INTO kind_docs (reference, kind, content) VALUES ('free', 'regress_unregistered', '[1, 2, 3]'), ('free', NULL, 'null')
RETURNING reference, kind, version, content;

-- A multi-row INSERT with one invalid row stores none of its rows, and the error names the
-- failing row's key. The same for INSERT … SELECT and COPY.
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content) VALUES
  ('m1', 'regress_workflow', '{"name": "First", "steps": ["x"]}'),
  ('m2', 'regress_workflow', '{"name": "No", "steps": []}'),
  ('m3', 'regress_workflow', '{"name": "Third", "steps": ["y"]}') $$);
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content)
  SELECT 's' || n, 'regress_workflow', jsonb_build_object('name', repeat('n', n), 'steps', jsonb_build_array('x'))
    FROM generate_series(5, 1, -1) n $$);
COPY kind_docs (reference, kind, content) FROM STDIN;
c1	regress_workflow	{"name": "Copied", "steps": ["x"]}
c2	regress_workflow	{"name": "Copied", "steps": "x"}
\.
SELECT count(*) AS stored FROM kind_docs WHERE reference IN ('m1', 'm2', 'm3', 's1', 's2', 's3', 's4', 's5', 'c1', 'c2');
COPY kind_docs (reference, kind, content) FROM STDIN;
c1	regress_workflow	{"name": "Copied", "steps": ["x"]}
c1	regress_workflow	{"name": "Copied again", "steps": ["x", "y"]}
\.
INSERT INTO kind_docs (reference, kind, content)
  SELECT 's', 'regress_workflow', jsonb_build_object('name', 'Selected ' || n, 'steps', jsonb_build_array('x'))
    FROM generate_series(1, 2) n;
SELECT reference, version, content FROM kind_docs WHERE reference IN ('c1', 's') ORDER BY reference, version;

-- put() inserts through the same rules.
SELECT r->>'reference' AS reference, r->>'version' AS version, r->'content' AS content
  FROM versioning.put('kind_docs', '{"reference": "p", "kind": "regress_workflow", "content": {"name": "Put", "steps": ["x"]}}') r;
SELECT regress_util.try($$ SELECT versioning.put('kind_docs', '{"reference": "p", "kind": "regress_workflow", "content": {"name": "Put"}}') $$);
-- a duplicate returns the existing version
SELECT r->>'reference' AS reference, r->>'version' AS version
  FROM versioning.put('kind_docs', '{"reference": "p", "kind": "regress_workflow", "content": {"steps": ["x"], "name": "Put"}}') r;

------------------------------------------------------------------------------------------
-- A new schema version applies from this session's next statement: version 2 of
-- regress_workflow wants names of at least 5 characters.
SELECT versioning.register_schema('regress_workflow', '{"type": "object", "required": ["name", "steps"],
  "properties": {"name": {"type": "string", "minLength": 5}, "steps": {"type": "array", "items": {"type": "string"}}}}') AS version;
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content) VALUES ('b', 'regress_workflow', '{"name": "Four", "steps": ["x"]}') $$);
INSERT INTO kind_docs (reference, kind, content) VALUES ('b', 'regress_workflow', '{"name": "Fivey", "steps": []}')
RETURNING reference, version;
-- The check comes before dedup: content that duplicates version 1 of key 'p' but no longer
-- matches the kind's latest schema is refused, not skipped.
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content) VALUES ('p', 'regress_workflow', '{"name": "Put", "steps": ["x"]}') $$);

-- Inside a transaction the next statement sees the registration too.
BEGIN;
INSERT INTO kind_docs (reference, kind, content) VALUES ('t', 'regress_workflow', '{"name": "Seven!!", "steps": ["x"]}');
SELECT versioning.register_schema('regress_workflow', '{"type": "object", "required": ["name", "steps"],
  "properties": {"name": {"type": "string", "minLength": 7}, "steps": {"type": "array", "items": {"type": "string"}}}}') AS version;
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content) VALUES ('t', 'regress_workflow', '{"name": "Sixsix", "steps": ["x"]}') $$);
INSERT INTO kind_docs (reference, kind, content) VALUES ('t', 'regress_workflow', '{"name": "Sevenxx", "steps": ["x"]}')
RETURNING reference, version;
COMMIT;

------------------------------------------------------------------------------------------
-- Draft edits: changing the content or the kind of an editable version checks the new content
-- ("version N"); other changes are not checked; frozen versions stay frozen.
INSERT INTO kind_docs (reference, kind, content) VALUES ('d', 'regress_workflow', '{"name": "Drafted", "steps": ["x"]}')
RETURNING reference, version, status;
SELECT regress_util.try($$ UPDATE kind_docs SET content = '{"name": "Short", "steps": ["x"]}' WHERE reference = 'd' AND version = 1 $$);
UPDATE kind_docs SET content = '{"name": "Redrafted", "steps": ["x", "y"]}' WHERE reference = 'd' AND version = 1
RETURNING version, content, content_hash = versioning.content_hash(content) AS hash_ok;
-- a kind whose schema the content does not match: checked against that kind
SELECT versioning.register_schema('regress_rating', '{"type": "object", "required": ["stars"],
  "properties": {"stars": {"type": "integer", "minimum": 1, "maximum": 5}}}') AS version;
SELECT regress_util.try($$ UPDATE kind_docs SET kind = 'regress_rating' WHERE reference = 'd' AND version = 1 $$);
SELECT regress_util.try($$ UPDATE kind_docs SET kind = 'regress_rating', content = '{"stars": 6}' WHERE reference = 'd' AND version = 1 $$);
UPDATE kind_docs SET kind = 'regress_rating', content = '{"stars": 4}' WHERE reference = 'd' AND version = 1
RETURNING kind, content;
-- a kind without a schema: accepted
UPDATE kind_docs SET kind = 'regress_unregistered', content = '"anything"' WHERE reference = 'd' AND version = 1
RETURNING kind, content;
UPDATE kind_docs SET kind = 'regress_rating', content = '{"stars": 3}' WHERE reference = 'd' AND version = 1
RETURNING kind, content;
-- Version 2 of regress_rating no longer accepts the draft's content. Updates that change
-- neither the content nor the kind are not checked: a note, the same content, publishing.
SELECT versioning.register_schema('regress_rating', '{"type": "object", "required": ["stars", "comment"],
  "properties": {"stars": {"type": "integer", "minimum": 4}, "comment": {"type": "string"}}}') AS version;
UPDATE kind_docs SET note = 'reviewed' WHERE reference = 'd' AND version = 1 RETURNING note;
UPDATE kind_docs SET content = content WHERE reference = 'd' AND version = 1 RETURNING content;
UPDATE kind_docs SET content = '{"stars": 3}'::jsonb WHERE reference = 'd' AND version = 1 RETURNING content;
SELECT regress_util.try($$ UPDATE kind_docs SET content = '{"stars": 2}' WHERE reference = 'd' AND version = 1 $$);
UPDATE kind_docs SET status = 'published' WHERE reference = 'd' AND version = 1 RETURNING status;
-- published: frozen, whatever the schema says
SELECT regress_util.try($$ UPDATE kind_docs SET content = '{"stars": 5, "comment": "fine"}' WHERE reference = 'd' AND version = 1 $$);
SELECT regress_util.try($$ UPDATE kind_docs SET kind = 'regress_unregistered' WHERE reference = 'd' AND version = 1 $$);

------------------------------------------------------------------------------------------
-- Restore mode keeps rows as they come: no check (today's schema may not accept history).
SET versioning.restore = on;
INSERT INTO kind_docs (reference, kind, content, version, content_hash, status)
VALUES ('restored', 'regress_rating', '{"stars": 0}', 1, versioning.content_hash('{"stars": 0}'), 'published'),
       ('restored', 'regress_workflow', '{"name": "x"}', 2, NULL, 'published')
RETURNING reference, kind, version, content, status;
RESET versioning.restore;
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content) VALUES ('restored', 'regress_rating', '{"stars": 0}') $$);

SELECT reference, kind, version, content, status FROM kind_docs ORDER BY reference, version;

------------------------------------------------------------------------------------------
-- require_schema => true: a kind without a registered schema, or a NULL kind, is refused. The
-- kind column may be part of the key (then it is still not content); a json content column
-- and a varchar kind column work too.
CREATE TABLE kind_strict (
  id           bigserial PRIMARY KEY,
  reference    text NOT NULL,
  kind         varchar(40),
  doc          json,
  version      int,
  content_hash text
);
SELECT versioning.enable('kind_strict', key => ARRAY['reference', 'kind'], kind_column => 'kind', require_schema => true);
SELECT c->'key' AS key, c->'content' AS content, c->'kind_column' AS kind_column, c->'require_schema' AS require_schema
  FROM versioning.config('kind_strict') c;
SELECT regress_util.try($$ INSERT INTO kind_strict (reference, kind, doc) VALUES ('a', 'regress_unregistered', '{}') $$);
SELECT regress_util.try($$ INSERT INTO kind_strict (reference, kind, doc) VALUES ('a', NULL, '{}') $$);
SELECT regress_util.try($$ INSERT INTO kind_strict (reference, kind, doc) VALUES ('a', 'regress_rating', '{"stars": 5}') $$);
-- json keeps its text; a repeated key counts with its last value, as in PostgreSQL's operators
SELECT regress_util.try($$ INSERT INTO kind_strict (reference, kind, doc) VALUES ('a', 'regress_rating', '{"stars": 5, "comment": "ok", "stars": 1}') $$);
INSERT INTO kind_strict (reference, kind, doc) VALUES ('a', 'regress_rating', '{"stars": 1, "comment":  "ok", "stars": 5}')
RETURNING reference, kind, version, doc;
SELECT regress_util.try($$ INSERT INTO kind_strict (reference, kind, doc) VALUES ('b', 'regress_ref', '1.5') $$);
INSERT INTO kind_strict (reference, kind, doc) VALUES ('b', 'regress_ref', '15'), ('b', 'regress_anything', '[{"any": "thing"}]')
RETURNING reference, kind, version, doc;
SELECT regress_util.try($$ INSERT INTO kind_strict (reference, kind, doc) VALUES ('c', 'regress_limit', '1.5') $$);
INSERT INTO kind_strict (reference, kind, doc) VALUES ('c', 'regress_limit', '1.0') RETURNING reference, kind, version, doc;

------------------------------------------------------------------------------------------
-- A registration rolled back is forgotten by this session too: the latest schema of
-- regress_workflow is version 3 again.
BEGIN;
SELECT versioning.register_schema('regress_workflow', '{"type": "object", "properties": {"name": {"maxLength": 2}}}') AS version;
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content) VALUES ('r', 'regress_workflow', '{"name": "Rolled back", "steps": ["x"]}') $$);
ROLLBACK;
SELECT max(version) AS latest FROM versioning.schemas WHERE kind = 'regress_workflow';
INSERT INTO kind_docs (reference, kind, content) VALUES ('r', 'regress_workflow', '{"name": "Rolled back", "steps": ["x"]}')
RETURNING reference, version;
-- The same for a registration in a subtransaction rolled back to its savepoint.
BEGIN;
SAVEPOINT before_register;
SELECT versioning.register_schema('regress_workflow', '{"type": "object", "properties": {"name": {"maxLength": 2}}}') AS version;
SELECT regress_util.try($$ INSERT INTO kind_docs (reference, kind, content) VALUES ('r', 'regress_workflow', '{"name": "Savepoint", "steps": ["x"]}') $$);
ROLLBACK TO SAVEPOINT before_register;
INSERT INTO kind_docs (reference, kind, content) VALUES ('r', 'regress_workflow', '{"name": "Savepoint", "steps": ["x"]}')
RETURNING reference, version;
COMMIT;
SELECT max(version) AS latest FROM versioning.schemas WHERE kind = 'regress_workflow';
SELECT reference, version, content FROM kind_docs WHERE reference = 'r' ORDER BY version;

------------------------------------------------------------------------------------------
-- jsonb content is checked where PostgreSQL stores it (read in place, not printed and parsed):
-- an object of 40 members (names found by binary search; every 32nd member stores its end
-- offset instead of its length), a document large enough to be compressed, names and strings
-- beyond ASCII (lengths in code points), uniqueItems and enum comparing values (1.0 = 1,
-- members in any order).
SELECT versioning.register_schema('regress_layout', '{"type": "object", "required": ["m39", "m07"],
  "properties": {"m39": {"type": "integer", "maximum": 100}, "m07": {"type": "string", "minLength": 3},
                 "tags": {"type": "array", "uniqueItems": true},
                 "mode": {"enum": [{"a": 1, "bb": [true, null]}, "plain"]},
                 "label": {"type": "string", "maxLength": 3},
                 "big": {"type": "array", "items": {"type": "string"}}},
  "propertyNames": {"pattern": "^[a-zé0-9]+$"},
  "additionalProperties": {"type": ["integer", "array"]}}') AS version;
CREATE TABLE kind_layout (
  id           bigserial PRIMARY KEY,
  reference    text NOT NULL,
  kind         text,
  content      jsonb,
  version      int,
  content_hash text
);
SELECT versioning.enable('kind_layout', key => ARRAY['reference'], content => ARRAY['content'], kind_column => 'kind');
CREATE FUNCTION regress_util.layout_doc(extra jsonb) RETURNS jsonb LANGUAGE sql AS $f$
  SELECT jsonb_object_agg('m' || lpad(i::text, 2, '0'), i) || '{"m07": "abc", "big": []}' || extra
    FROM generate_series(0, 39) i $f$;
INSERT INTO kind_layout (reference, kind, content)
VALUES ('ok', 'regress_layout', regress_util.layout_doc('{"tags": [1, 1.5, {"x": 1, "y": 2}, {"x": 2, "y": 1}],
          "mode": {"bb": [true, null], "a": 1.0}, "label": "ééé", "é9": 0}')),
       ('big', 'regress_layout', regress_util.layout_doc(jsonb_build_object('big',
          (SELECT jsonb_agg(repeat('x', 20) || i) FROM generate_series(1, 2000) i))))
RETURNING reference, version, jsonb_typeof(content->'big') AS big, content_hash = versioning.content_hash(content) AS hash_ok;
SELECT pg_column_size(content) < octet_length(content::text) AS compressed FROM kind_layout WHERE reference = 'big';
SELECT regress_util.try($$ INSERT INTO kind_layout (reference, kind, content)
  VALUES ('bad', 'regress_layout', regress_util.layout_doc('{"m39": 101, "m20": "twenty", "tags": [1, 1.0],
            "mode": {"a": 1, "bb": [true]}, "label": "éééé", "Bad": 1}')) $$);
SELECT regress_util.try($$ INSERT INTO kind_layout (reference, kind, content)
  VALUES ('bad', 'regress_layout', regress_util.layout_doc('{}') - 'm07' - 'm39') $$);
SELECT regress_util.try($$ INSERT INTO kind_layout (reference, kind, content)
  VALUES ('bad', 'regress_layout', regress_util.layout_doc(jsonb_build_object('big',
            (SELECT jsonb_agg(CASE WHEN i = 1500 THEN to_jsonb(i) ELSE to_jsonb(repeat('x', 20) || i) END) FROM generate_series(1, 2000) i)))) $$);
DROP FUNCTION regress_util.layout_doc(jsonb);

------------------------------------------------------------------------------------------
-- A document nested more than 127 levels deep (as deep as a json column's parser reads) is not
-- checked: 54000 for jsonb as for json. The checker recurses per level; with a raised
-- max_stack_depth, PostgreSQL accepts jsonb deep enough to exhaust the server's stack there.
SELECT versioning.register_schema('regress_nested', '{"$defs": {"t": {"type": ["array", "integer"],
  "items": {"$ref": "#/$defs/t"}}}, "$ref": "#/$defs/t"}') AS version;
INSERT INTO kind_layout (reference, kind, content)
VALUES ('n', 'regress_nested', (repeat('[', 127) || '1' || repeat(']', 127))::jsonb) RETURNING reference, version;
SELECT regress_util.try($$ INSERT INTO kind_layout (reference, kind, content)
  VALUES ('n', 'regress_nested', (repeat('[', 127) || '"x"' || repeat(']', 127))::jsonb) $$) LIMIT 1;
SELECT regress_util.try($$ INSERT INTO kind_layout (reference, kind, content)
  VALUES ('n', 'regress_nested', (repeat('[', 128) || '1' || repeat(']', 128))::jsonb) $$);
SELECT regress_util.try($$ INSERT INTO kind_strict (reference, kind, doc)
  VALUES ('n', 'regress_nested', (repeat('[', 128) || '1' || repeat(']', 128))::json) $$);
SET max_stack_depth = '7MB';
SELECT regress_util.try($$ INSERT INTO kind_layout (reference, kind, content)
  VALUES ('n', 'regress_nested', (repeat('[', 40000) || '1' || repeat(']', 40000))::jsonb) $$);
RESET max_stack_depth;
DROP TABLE kind_layout;

------------------------------------------------------------------------------------------
-- The registry and its log for this file's kinds (no timestamps; the last two are shown above).
SELECT kind, version, schema, owner, registered_by FROM versioning.schemas
 WHERE kind LIKE 'regress\_%' AND kind NOT IN ('regress_layout', 'regress_nested') ORDER BY kind, version;
SELECT key, version, action, actor, from_state, to_state, detail FROM versioning.log
 WHERE table_name = 'versioning.schemas' AND key->>'kind' LIKE 'regress\_%' AND key->>'kind' NOT IN ('regress_layout', 'regress_nested')
 ORDER BY key->>'kind', version;

DROP TABLE kind_docs, kind_strict;
DROP FUNCTION regress_util.kind_refused(jsonb);
REVOKE regress_kind_owner FROM regress_kind_other;
DROP ROLE regress_kind_owner;
DROP ROLE regress_kind_other;
