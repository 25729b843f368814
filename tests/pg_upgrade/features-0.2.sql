-- What 0.2.0 adds, on top of tests/upgrade/fixture.sql (created before pg_upgrade): a
-- current-version pointer, a retention policy, a pending scheduled transition and a partitioned table.
CREATE TABLE public.workflow_heads (workflow_id text PRIMARY KEY, published int);
INSERT INTO public.workflow_heads VALUES ('wf-a'), ('wf-b');
SELECT versioning.enable_current('public.workflows', 'public.workflow_heads',
    match => '{"workflow_id": "workflow_id"}', set => '{"published": "version_number"}', state => 'published');
SELECT versioning.set_retention('public.workflows', keep_last => 100);
SELECT versioning.schedule('public.workflows', '{"workflow_id": "wf-b"}', 1, 'published', now());
-- a partitioned versioned table (list by tenant, a tenant hashed by ref)
CREATE TABLE public.parted (tenant text NOT NULL, ref text NOT NULL, body jsonb NOT NULL, version int,
                            content_hash text) PARTITION BY LIST (tenant);
CREATE TABLE public.parted_acme PARTITION OF public.parted FOR VALUES IN ('acme') PARTITION BY HASH (ref);
CREATE TABLE public.parted_acme_0 PARTITION OF public.parted_acme FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE public.parted_acme_1 PARTITION OF public.parted_acme FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE public.parted_other PARTITION OF public.parted DEFAULT;
SELECT versioning.enable('public.parted', key => ARRAY['tenant', 'ref']);
INSERT INTO public.parted (tenant, ref, body)
SELECT t, 'r' || k, jsonb_build_object('v', v) FROM unnest(ARRAY['acme', 'zeta']) t, generate_series(1, 4) k, generate_series(1, 3) v;
