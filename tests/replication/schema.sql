-- The schema of the logical-replication test (tests/replication/run.sh), run on the publisher
-- AND on the subscriber: the same tables and the same versioning.* configuration calls
-- (enable, enable_carry_forward, protect_label). versioning.tables, versioning.carry_forward and
-- versioning.label_protections are written by these calls on each side; they are not published.
-- Kinds' schemas are registered on the publisher only (versioning.schemas is published).
CREATE EXTENSION pg_versioning;

-- A 'publish' lifecycle (draft → published → archived) with stamps, a parent pointer and
-- soft delete.
CREATE TABLE public.workflows (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id    text NOT NULL,
    version_number integer,
    state          text,
    definition     jsonb NOT NULL,
    content_hash   text,
    parent_id      uuid,
    published_at   timestamptz,
    published_by   text,
    archived_at    timestamptz,
    deleted_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
SELECT versioning.enable('public.workflows', key => ARRAY['workflow_id'],
    version_column => 'version_number', content => ARRAY['definition'], parent_column => 'parent_id',
    lifecycle => '{"preset": "publish", "column": "state",
                   "stamps": {"published": {"at": "published_at", "by": "published_by"},
                              "archived": {"at": "archived_at"}}}',
    deleted_column => 'deleted_at');

-- A 'review' lifecycle (draft → submitted → approved | rejected; submitted → draft) with stamps,
-- a protected label and a bigserial id (sequences are not replicated: see the failover step).
CREATE TABLE public.reviews (
    id           bigserial PRIMARY KEY,
    ref          text NOT NULL,
    status       text,
    body         text,
    version      integer,
    content_hash text,
    submitted_at timestamptz,
    submitted_by text,
    reviewed_at  timestamptz,
    reviewed_by  text
);
SELECT versioning.enable('public.reviews', key => ARRAY['ref'], content => ARRAY['body'],
    lifecycle => '{"preset": "review",
                   "stamps": {"submitted": {"at": "submitted_at", "by": "submitted_by"},
                              "approved": {"at": "reviewed_at", "by": "reviewed_by"}}}');
SELECT versioning.protect_label('public.reviews', 'approved', 'postgres');

-- A kind column checked against versioning.schemas (schemas registered on the publisher only).
CREATE TABLE public.notes (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind         text NOT NULL,
    ref          text NOT NULL,
    body         jsonb NOT NULL,
    version      integer,
    content_hash text
);
SELECT versioning.enable('public.notes', key => ARRAY['ref'], content => ARRAY['body'],
    kind_column => 'kind', require_schema => true);

-- Carry-forward: approved decisions follow each new version of a selection.
CREATE TABLE public.selections (
    id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cycle   text NOT NULL,
    version integer,
    notes   text
);
SELECT versioning.enable('public.selections', key => ARRAY['cycle'], content => ARRAY['notes'],
    hash_column => NULL, dedup => 'off');
CREATE TABLE public.decisions (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    selection_id             uuid NOT NULL REFERENCES public.selections (id),
    sample                   text NOT NULL,
    status                   text NOT NULL,
    carried_from_version_id  uuid,
    carried_from_decision_id uuid
);
SELECT versioning.enable_carry_forward('public.decisions', parent => 'public.selections',
    parent_column => 'selection_id', when_column => 'status', when_values => ARRAY['approved'],
    from_parent_column => 'carried_from_version_id', from_row_column => 'carried_from_decision_id');
