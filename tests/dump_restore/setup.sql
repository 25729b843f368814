-- Source database for the dump/restore round trip (tests/dump_restore/run.sh).
-- Two versioned tables in two schemas — one that sorts before "versioning" (public) and one
-- that sorts after it (workspace) — because pg_dump orders TABLE DATA by schema name, and a
-- data-only restore loads them in that order relative to versioning.tables / versioning.log.
CREATE EXTENSION pg_versioning;

-- As examples/000_definitions.sql: one definitions table for every kind; identity = reference + scope.
CREATE TABLE public.definitions (
    id           text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    kind         text NOT NULL,
    reference    text NOT NULL,
    version      integer NOT NULL DEFAULT 1,
    content_hash text NOT NULL,
    content      jsonb NOT NULL,
    project_id   text,
    library_id   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT definitions_unique_version UNIQUE (reference, version, project_id, library_id),
    CONSTRAINT definitions_unique_content UNIQUE (reference, content_hash, project_id, library_id)
);
CREATE INDEX definitions_kind_idx ON public.definitions (kind);
CREATE INDEX definitions_scope_idx ON public.definitions (project_id, library_id);
SELECT versioning.enable('public.definitions',
                         key     => ARRAY['reference', 'project_id', 'library_id'],
                         content => ARRAY['content']);

-- Documents: bytea hash, three content columns, parent pointer to a uuid primary key,
-- nullable key part, dedup against the latest version only, no audit log.
CREATE SCHEMA workspace;
CREATE TABLE workspace.documents (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    doc_ref    text NOT NULL,
    locale     text,
    version    integer NOT NULL DEFAULT 0,
    hash       bytea,
    parent_id  uuid REFERENCES workspace.documents (id),
    title      text NOT NULL,
    body       jsonb,
    tags       text[],
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
SELECT versioning.enable('workspace.documents',
                         key           => ARRAY['doc_ref', 'locale'],
                         content       => ARRAY['title', 'body', 'tags'],
                         hash_column   => 'hash',
                         parent_column => 'parent_id',
                         dedup         => 'latest',
                         audit         => false);

-- definitions: ('wf-1', NULL, NULL) gets versions 1..3; the 4th row of the statement repeats
-- version 1's content and is skipped (dedup 'any'); {"n": 1.0} equals {"n": 1} as jsonb.
INSERT INTO public.definitions (kind, reference, content) VALUES
    ('workflow_def', 'wf-1', '{"name": "Onboard", "steps": ["a"], "n": 1}'),
    ('workflow_def', 'wf-1', '{"name": "Onboard", "steps": ["a", "b"], "n": 1}'),
    ('workflow_def', 'wf-1', '{"name": "Onboarding", "steps": ["a", "b"], "n": 1}'),
    ('workflow_def', 'wf-1', '{"steps": ["a"], "name": "Onboard", "n": 1.0}');
-- the same reference in other scopes is another entity
INSERT INTO public.definitions (kind, reference, content, project_id) VALUES
    ('workflow_def', 'wf-1', '{"name": "Onboard", "steps": ["a"], "n": 1}', 'p1'),
    ('workflow_def', 'wf-1', '{"name": "Onboard", "steps": ["x"], "n": 1}', 'p1');
INSERT INTO public.definitions (kind, reference, content, project_id, library_id) VALUES
    ('workflow_def', 'wf-1', '{"name": "Onboard", "steps": ["a"], "n": 1}', 'p1', 'lib1');
-- one version per statement, a client-supplied version (ignored) and a duplicate of v2
INSERT INTO public.definitions (kind, reference, content, library_id) VALUES ('task', 'task-7', '{"prompt": "v1"}', 'lib1');
INSERT INTO public.definitions (kind, reference, content, library_id, version) VALUES ('task', 'task-7', '{"prompt": "v2"}', 'lib1', 42);
INSERT INTO public.definitions (kind, reference, content, library_id) VALUES ('task', 'task-7', '{"prompt": "v3", "tools": [1, 2.50, {"b": null, "a": true}]}', 'lib1');
INSERT INTO public.definitions (kind, reference, content, library_id) VALUES ('task', 'task-7', '{"prompt": "v2"}', 'lib1');
INSERT INTO public.definitions (kind, reference, content, library_id) VALUES ('task', 'task-7', '{"prompt": "v4 ünïcødé \u00e9 \"quoted\""}', 'lib1');
-- bulk: 40 references x 5 versions, with every 5th row a duplicate of its key's previous content
INSERT INTO public.definitions (kind, reference, content, project_id)
SELECT 'persona', 'persona-' || k, jsonb_build_object('name', 'P' || k, 'rev', CASE WHEN v = 5 THEN 4 ELSE v END),
       CASE WHEN k % 3 = 0 THEN NULL ELSE 'p' || (k % 3) END
  FROM generate_series(1, 40) k, generate_series(1, 5) v
 ORDER BY k, v;

-- documents: ('a', NULL): A1, A2, A1 again (not the latest: stored as v3), A1 again (skipped)
INSERT INTO workspace.documents (doc_ref, title, body, tags) VALUES ('a', 'A1', '{"p": 1}', ARRAY['x']);
INSERT INTO workspace.documents (doc_ref, title, body, tags) VALUES ('a', 'A2', '{"p": 1}', ARRAY['x']);
INSERT INTO workspace.documents (doc_ref, title, body, tags) VALUES ('a', 'A1', '{"p": 1}', ARRAY['x']);
INSERT INTO workspace.documents (doc_ref, title, body, tags) VALUES ('a', 'A1', '{"p": 1}', ARRAY['x']);
-- ('a', 'de'): two versions in one statement (consecutive, parent chain inside the statement)
INSERT INTO workspace.documents (doc_ref, locale, title, body, tags) VALUES
    ('a', 'de', 'A1 (de)', '{"p": 1}', ARRAY['x']),
    ('a', 'de', 'A2 (de)', '{"p": 2}', ARRAY['x', 'y']);
-- ('b', NULL): NULL content columns
INSERT INTO workspace.documents (doc_ref, title) VALUES ('b', 'B1');
INSERT INTO workspace.documents (doc_ref, title, tags) VALUES ('b', 'B1', ARRAY[]::text[]);
-- bulk: 30 documents x 4 versions
INSERT INTO workspace.documents (doc_ref, locale, title, body)
SELECT 'doc-' || k, CASE WHEN k % 2 = 0 THEN 'en' END, 'Doc ' || k || ' rev ' || v, jsonb_build_object('v', v, 'k', k)
  FROM generate_series(1, 30) k, generate_series(1, 4) v
 ORDER BY k, v;
-- an ordinary table with no versioning, so the check is not only about extension objects
CREATE TABLE public.plain_notes (id serial PRIMARY KEY, note text);
INSERT INTO public.plain_notes (note) VALUES ('one'), ('two');
-- a review lifecycle: stamps, a version sent back to draft (stays frozen: versioning.left_editable),
-- a label and its protection
CREATE TABLE public.reviews (id bigserial PRIMARY KEY, ref text NOT NULL, status text, body text, version int,
                             content_hash text, submitted_at timestamptz, submitted_by text);
SELECT versioning.enable('public.reviews', key => ARRAY['ref'], content => ARRAY['body'],
    lifecycle => '{"preset": "review", "stamps": {"submitted": {"at": "submitted_at", "by": "submitted_by"}}}');
INSERT INTO public.reviews (ref, body) VALUES ('r', 'one'), ('r', 'two');
SET versioning.actor = 'reviewer';
UPDATE public.reviews SET status = 'submitted' WHERE ref = 'r';
UPDATE public.reviews SET status = 'approved' WHERE ref = 'r' AND version = 1;
UPDATE public.reviews SET status = 'draft' WHERE ref = 'r' AND version = 2;
RESET versioning.actor;
SELECT versioning.set_label('public.reviews', '{"ref": "r"}', 'approved', 1);
SELECT versioning.protect_label('public.reviews', 'approved', 'postgres');
-- kinds: a versioned schema registry (two versions of one kind) and a table checked against it
SELECT versioning.register_schema('dump_note', '{"type": "object", "required": ["text"]}');
SELECT versioning.register_schema('dump_note', '{"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "maxLength": 20}}}');
CREATE TABLE public.notes (id bigserial PRIMARY KEY, kind text NOT NULL, ref text NOT NULL, body jsonb NOT NULL,
                           version int, content_hash text);
SELECT versioning.enable('public.notes', key => ARRAY['ref'], content => ARRAY['body'], kind_column => 'kind',
                         require_schema => true);
INSERT INTO public.notes (kind, ref, body) VALUES ('dump_note', 'n', '{"text": "first"}'), ('dump_note', 'n', '{"text": "second"}');
-- a partitioned table, two levels deep (list by tenant, then hash by ref), with a partition in
-- schema workspace: pg_dump writes each partition's rows, loaded through the partition itself
CREATE TABLE public.parted (tenant text NOT NULL, ref text NOT NULL, body jsonb NOT NULL, version int,
                            content_hash text) PARTITION BY LIST (tenant);
CREATE TABLE public.parted_acme PARTITION OF public.parted FOR VALUES IN ('acme') PARTITION BY HASH (ref);
CREATE TABLE public.parted_acme_0 PARTITION OF public.parted_acme FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE workspace.parted_acme_1 PARTITION OF public.parted_acme FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE public.parted_other PARTITION OF public.parted DEFAULT;
SELECT versioning.enable('public.parted', key => ARRAY['tenant', 'ref'], content => ARRAY['body']);
INSERT INTO public.parted (tenant, ref, body)
SELECT t, 'r' || k, jsonb_build_object('v', v % 3)
  FROM unnest(ARRAY['acme', 'zeta']) t, generate_series(1, 10) k, generate_series(1, 4) v
 ORDER BY t, k, v;
