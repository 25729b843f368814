-- make demo: a short tour of pg_versioning on a throwaway server.
\set QUIET on
\pset footer off
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pgv_demo;
CREATE DATABASE pgv_demo;
\c pgv_demo
SET client_min_messages = warning;
\echo
\echo '== 1. An application table, as the application defines it (one "definitions" table, examples/000)'
CREATE EXTENSION pg_versioning;
CREATE TABLE definitions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind         text NOT NULL,
    reference    text NOT NULL,
    version      integer NOT NULL DEFAULT 1,
    content_hash text NOT NULL,
    content      jsonb NOT NULL,
    project_id   text,
    library_id   text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
\echo
\echo '== 2. One call in a migration turns versioning on'
\echo 'SELECT versioning.enable(''definitions'', key => ARRAY[''reference'',''project_id'',''library_id''], content => ARRAY[''content'']);'
\o /dev/null
SELECT versioning.enable('definitions',
    key     => ARRAY['reference', 'project_id', 'library_id'],
    content => ARRAY['content']);
\o
SELECT versioning.config('definitions') -> 'content' AS content_columns, versioning.config('definitions') ->> 'dedup' AS dedup;

-- Prints what a statement does, or the error it raises (SQLSTATE, message, hint).
CREATE FUNCTION pg_temp.attempt(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE state text; msg text; hint text;
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN format('ERROR %s: %s%s', state, msg, CASE WHEN hint <> '' THEN E'\n  HINT: ' || hint ELSE '' END);
END $$;

\echo
\echo '== 3. Plain INSERTs: the database assigns version and content hash'
INSERT INTO definitions (kind, reference, content) VALUES
    ('workflow_def', 'onboarding', '{"name": "Onboarding", "steps": ["welcome"]}');
INSERT INTO definitions (kind, reference, content) VALUES
    ('workflow_def', 'onboarding', '{"name": "Onboarding", "steps": ["welcome", "profile"]}');
INSERT INTO definitions (kind, reference, content) VALUES
    ('workflow_def', 'onboarding', '{"name": "Onboarding", "steps": ["welcome", "profile", "done"]}');
SELECT reference, version, content FROM definitions ORDER BY version;

\echo
\echo '== 4. The same JSON again, keys in another order: a duplicate, silently skipped'
\echo '   INSERT … VALUES (''onboarding'', ''{"steps": ["welcome", "profile"], "name": "Onboarding"}'') RETURNING version'
INSERT INTO definitions (kind, reference, content) VALUES
    ('workflow_def', 'onboarding', '{"steps": ["welcome", "profile"], "name": "Onboarding"}')
RETURNING version;
SELECT count(*) AS versions_of_onboarding FROM definitions WHERE reference = 'onboarding';

\echo
\echo '== 5. Another scope (project_id = ''acme'') is another entity: it numbers from 1'
INSERT INTO definitions (kind, reference, project_id, content) VALUES
    ('workflow_def', 'onboarding', 'acme', '{"name": "Onboarding", "steps": ["sso"]}'),
    ('workflow_def', 'onboarding', 'acme', '{"name": "Onboarding", "steps": ["sso", "done"]}');
SELECT reference, project_id, version, content FROM definitions ORDER BY project_id NULLS FIRST, version;

\echo
\echo '== 6. The stored hash is SHA-256 of the canonical JSON (RFC 8785): any client can recompute it'
SELECT version,
       versioning.canonical(content) AS canonical_text,
       content_hash = encode(sha256(convert_to(versioning.canonical(content), 'UTF8')), 'hex') AS hash_matches
FROM definitions WHERE project_id IS NULL ORDER BY version;

\echo
\echo '== 7. Versions are frozen: an edit is refused, whoever tries'
\echo '   UPDATE definitions SET content = ''{"name": "Hacked"}'' WHERE reference = ''onboarding'' AND project_id IS NULL AND version = 1'
SELECT pg_temp.attempt($$UPDATE definitions SET content = '{"name": "Hacked"}' WHERE reference = 'onboarding' AND project_id IS NULL AND version = 1$$) AS result;

\echo
\echo '== 8. Concurrent-safe numbering needs no application code: 1,000 rows over 10 keys in one statement'
INSERT INTO definitions (kind, reference, content)
SELECT 'task', 'task-' || (i % 10), jsonb_build_object('step', i) FROM generate_series(1, 1000) i;
SELECT reference, count(*) AS versions, min(version), max(version)
FROM definitions WHERE kind = 'task' GROUP BY reference ORDER BY reference LIMIT 3;

\echo
\echo '== 9. Every version created is in the audit log'
SELECT action, key, version FROM versioning.log
WHERE key->>'reference' = 'onboarding' ORDER BY at, version LIMIT 5;

\echo
\echo '== 10. Drafts and publishing (examples/003): a lifecycle on another table'
CREATE TABLE workflow_versions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id    text NOT NULL,
    version_number integer,
    state          text,
    definition     jsonb NOT NULL,
    content_hash   text,
    published_at   timestamptz,
    published_by   text
);
\o /dev/null
SELECT versioning.enable('workflow_versions', key => ARRAY['workflow_id'],
    version_column => 'version_number', content => ARRAY['definition'],
    lifecycle => '{"preset": "publish", "column": "state",
                   "stamps": {"published": {"at": "published_at", "by": "published_by"}}}');
\o
INSERT INTO workflow_versions (workflow_id, definition) VALUES ('signup', '{"steps": ["email"]}');
\echo '   a draft is edited in place (its hash follows):'
UPDATE workflow_versions SET definition = '{"steps": ["email", "verify"]}' WHERE workflow_id = 'signup';
SELECT version_number, state, definition,
       content_hash = versioning.content_hash(definition) AS hash_follows FROM workflow_versions;
\echo '   alice publishes it (SET LOCAL versioning.actor = ''alice''):'
BEGIN;
SET LOCAL versioning.actor = 'alice';
SELECT versioning.transition('workflow_versions', '{"workflow_id": "signup"}', 1, 'published') ->> 'state' AS state;
COMMIT;
SELECT version_number, state, published_by, published_at IS NOT NULL AS stamped FROM workflow_versions;
\echo '   the published version refuses an edit, from any client and role:'
SELECT pg_temp.attempt($$UPDATE workflow_versions SET definition = '{"steps": []}' WHERE version_number = 1$$) AS result;
SELECT pg_temp.attempt($$UPDATE workflow_versions SET state = 'draft' WHERE version_number = 1$$) AS result;
\echo '   a new draft, then a revert to what version 1 said, and a label on the published version:'
INSERT INTO workflow_versions (workflow_id, definition) VALUES ('signup', '{"steps": ["sso"]}');
SELECT (versioning.revert('workflow_versions', '{"workflow_id": "signup"}', 1)) ->> 'version_number' AS reverted_as_version;
\o /dev/null
SELECT versioning.set_label('workflow_versions', '{"workflow_id": "signup"}', 'production', 1);
\o
SELECT version_number, state, definition FROM workflow_versions ORDER BY version_number;
SELECT versioning.label('workflow_versions', '{"workflow_id": "signup"}', 'production') AS production,
       versioning.label('workflow_versions', '{"workflow_id": "signup"}', 'latest') AS latest;

\echo '== 11. Approved rows carried forward (examples/001): a review with its decisions'
CREATE TABLE selection_versions (
    version_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    report_id      int NOT NULL,
    version_number int,
    version_status text,
    version_notes  text
);
CREATE TABLE sample_decisions (
    decision_id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    version_id               uuid NOT NULL REFERENCES selection_versions,
    sample                   text NOT NULL,
    decision_status          text,
    carried_from_decision_id uuid
);
\o /dev/null
SELECT versioning.enable('selection_versions', key => ARRAY['report_id'], version_column => 'version_number',
    content => ARRAY['version_notes'], hash_column => NULL, dedup => 'off',
    lifecycle => '{"preset": "review", "column": "version_status"}');
SELECT versioning.enable_carry_forward('sample_decisions', parent => 'selection_versions',
    parent_column => 'version_id', when_column => 'decision_status', when_values => ARRAY['approved'],
    from_row_column => 'carried_from_decision_id');
\o
INSERT INTO selection_versions (report_id, version_notes) VALUES (7, 'first selection');
INSERT INTO sample_decisions (version_id, sample, decision_status)
SELECT version_id, s, CASE WHEN s IN ('loan-1', 'loan-3') THEN 'approved' ELSE 'rejected' END
  FROM selection_versions, unnest(ARRAY['loan-1', 'loan-2', 'loan-3']) s;
\echo '   version 2 of the selection: the approved decisions come along by themselves'
INSERT INTO selection_versions (report_id, version_notes) VALUES (7, 'after review feedback');
SELECT v.version_number, d.sample, d.decision_status, d.carried_from_decision_id IS NOT NULL AS carried
  FROM sample_decisions d JOIN selection_versions v USING (version_id) ORDER BY 1, 2;
\echo
