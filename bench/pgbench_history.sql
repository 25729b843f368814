-- pgbench (-M prepared): one single-row INSERT per transaction into t_hist for the key
-- (:ref, NULL, NULL); run.sh passes -D ref=deep (100,000 versions) or -D ref=shallow-N (10).
\set rev random(1, 1000000000)
INSERT INTO t_hist (reference, content)
VALUES ((:ref)::text, jsonb_build_object('name', (:ref)::text, 'revision', (:rev)::int, 'noise', random(),
                                         'description', repeat('lorem ipsum ', 16)));
