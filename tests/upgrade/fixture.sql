-- The installation the upgrade test (tests/upgrade/run.sh) builds with the previous release:
-- every feature (lifecycles with stamps, parent pointer, soft delete, labels and a protection,
-- carry-forward, kinds with a registered schema, log rows, left_editable). Only calls the
-- previous release has. The tables are those of tests/replication/schema.sql.
\set ON_ERROR_STOP 1
\ir ../replication/schema.sql
SELECT versioning.register_schema('up_note', '{"type": "object", "required": ["text"]}');
SET versioning.actor = 'alice';
INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{"steps": 1}'), ('wf-b', '{"steps": ["x"]}');
UPDATE public.workflows SET definition = '{"steps": 2}' WHERE workflow_id = 'wf-a' AND version_number = 1;
SELECT versioning.transition('public.workflows', '{"workflow_id": "wf-a"}', 1, 'published');
INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{"steps": 3}'), ('wf-a', '{"steps": 2.0}');
INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{"steps": 4}');
DELETE FROM public.workflows WHERE workflow_id = 'wf-a' AND version_number = 3;
SELECT versioning.set_label('public.workflows', '{"workflow_id": "wf-a"}', 'prod', 1);
SELECT versioning.transition('public.workflows', '{"workflow_id": "wf-a"}', 2, 'published');
SELECT versioning.set_label('public.workflows', '{"workflow_id": "wf-a"}', 'prod', 2);
INSERT INTO public.notes (kind, ref, body) VALUES ('up_note', 'n1', '{"text": "first"}'), ('up_note', 'n1', '{"text": "second"}');
INSERT INTO public.reviews (ref, body) VALUES ('r', 'one'), ('r', 'two');
SET versioning.actor = 'reviewer';
UPDATE public.reviews SET status = 'submitted' WHERE ref = 'r';
UPDATE public.reviews SET status = 'approved' WHERE ref = 'r' AND version = 1;
UPDATE public.reviews SET status = 'draft' WHERE ref = 'r' AND version = 2;
SELECT versioning.set_label('public.reviews', '{"ref": "r"}', 'approved', 1);
WITH s AS (INSERT INTO public.selections (cycle, notes) VALUES ('c1', 'first round') RETURNING id)
INSERT INTO public.decisions (selection_id, sample, status)
SELECT s.id, d.sample, d.status FROM s, (VALUES ('s1', 'approved'), ('s2', 'rejected')) d (sample, status);
INSERT INTO public.selections (cycle, notes) VALUES ('c1', 'second round');
