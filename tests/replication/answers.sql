-- What the extension's read functions answer (tests/replication/run.sh): run on the publisher
-- and on the subscriber, whose outputs must be identical. :t1, :t2, :t3 are times on the
-- publisher's clock after the first, second and last batch of changes.
SELECT 'label workflows wf-a prod', versioning.label('public.workflows', '{"workflow_id": "wf-a"}', 'prod');
SELECT 'label workflows wf-a latest', versioning.label('public.workflows', '{"workflow_id": "wf-a"}', 'latest');
SELECT 'label workflows wf-b latest', versioning.label('public.workflows', '{"workflow_id": "wf-b"}', 'latest');
SELECT 'label reviews r approved', versioning.label('public.reviews', '{"ref": "r"}', 'approved');
SELECT 'label reviews r latest', versioning.label('public.reviews', '{"ref": "r"}', 'latest');
SELECT 'as_of wf-a t1', versioning.as_of('public.workflows', '{"workflow_id": "wf-a"}', :'t1');
SELECT 'as_of wf-a t2', versioning.as_of('public.workflows', '{"workflow_id": "wf-a"}', :'t2');
SELECT 'as_of wf-a t3', versioning.as_of('public.workflows', '{"workflow_id": "wf-a"}', :'t3');
SELECT 'as_of wf-b t2', versioning.as_of('public.workflows', '{"workflow_id": "wf-b"}', :'t2');
SELECT 'as_of wf-b t3', versioning.as_of('public.workflows', '{"workflow_id": "wf-b"}', :'t3');
SELECT 'as_of reviews r t1', versioning.as_of('public.reviews', '{"ref": "r"}', :'t1');
SELECT 'as_of reviews r t3', versioning.as_of('public.reviews', '{"ref": "r"}', :'t3');
SELECT 'as_of notes n1 t1', versioning.as_of('public.notes', '{"ref": "n1"}', :'t1');
SELECT 'as_of notes n1 t3', versioning.as_of('public.notes', '{"ref": "n1"}', :'t3');
SELECT 'latest wf-a', versioning.latest('public.workflows', '{"workflow_id": "wf-a"}');
SELECT 'latest wf-a published', versioning.latest('public.workflows', '{"workflow_id": "wf-a"}', 'published');
SELECT 'history wf-a with deleted', jsonb_agg(h ORDER BY h::text)
  FROM versioning.history('public.workflows', '{"workflow_id": "wf-a"}', NULL, true) h;
SELECT 'history reviews r', jsonb_agg(h ORDER BY h::text) FROM versioning.history('public.reviews', '{"ref": "r"}') h;
SELECT 'get reviews r 2', versioning.get('public.reviews', '{"ref": "r"}', 2);
SELECT 'diff wf-a 1 2', versioning.diff('public.workflows', '{"workflow_id": "wf-a"}', 1, 2);
SELECT 'lineage of carried decisions', jsonb_agg(l ORDER BY d.id, l::text)
  FROM public.decisions d, versioning.lineage('public.decisions', d.id) l
 WHERE d.carried_from_decision_id IS NOT NULL;
SELECT 'config ' || t, versioning.config(t::regclass)
  FROM unnest(ARRAY['public.workflows', 'public.reviews', 'public.notes', 'public.selections']) t ORDER BY t;
