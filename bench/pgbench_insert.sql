-- pgbench (-M prepared): one single-row INSERT per transaction into @TABLE@ (run.sh substitutes
-- the name), a random one of 1,000 keys, ~300 bytes of jsonb content, practically never a duplicate.
\set k random(0, 999)
\set rev random(1, 1000000000)
INSERT INTO @TABLE@ (reference, content)
VALUES ('ref-' || lpad((:k)::int::text, 4, '0'),
        jsonb_build_object('name', 'Definition ' || (:k)::int, 'kind', 'task', 'revision', (:rev)::int,
                           'description', 'Revision ' || (:rev)::int || ' of definition ' || (:k)::int || ': ' || repeat('lorem ipsum ', 8),
                           'tags', jsonb_build_array('tag-' || (:k)::int % 7, 'tag-' || (:rev)::int % 5),
                           'settings', jsonb_build_object('temperature', random(), 'max_tokens', 256, 'enabled', true)));
