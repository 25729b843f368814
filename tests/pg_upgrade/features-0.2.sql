-- What 0.2.0 adds, on top of tests/upgrade/fixture.sql (created before pg_upgrade): a
-- current-version pointer, a retention policy and a pending scheduled transition.
CREATE TABLE public.workflow_heads (workflow_id text PRIMARY KEY, published int);
INSERT INTO public.workflow_heads VALUES ('wf-a'), ('wf-b');
SELECT versioning.enable_current('public.workflows', 'public.workflow_heads',
    match => '{"workflow_id": "workflow_id"}', set => '{"published": "version_number"}', state => 'published');
SELECT versioning.set_retention('public.workflows', keep_last => 100);
SELECT versioning.schedule('public.workflows', '{"workflow_id": "wf-b"}', 1, 'published', now());
