-- pgbench (-M prepared): one single-row INSERT per transaction, a random one of 1,000 keys,
-- ~300 bytes of jsonb content that is practically never a duplicate. run.sh substitutes
-- @TABLE@, and for the plain table @HASH_COLUMN@/@HASH_VALUE@ with a random 64-hex-digit hash
-- (what an application that hashes client-side would send; it costs the server nothing and
-- lands on random pages of the (key, hash) index, as computed hashes do). For pg_versioning
-- both are empty: the extension computes version and hash.
\set k random(0, 999)
\set rev random(1, 1000000000)
\set h1 random(0, 4611686018427387903)
\set h2 random(0, 4611686018427387903)
\set h3 random(0, 4611686018427387903)
\set h4 random(0, 4611686018427387903)
INSERT INTO @TABLE@ (reference, @HASH_COLUMN@content)
VALUES ('ref-' || lpad((:k)::int::text, 4, '0'), @HASH_VALUE@
        jsonb_build_object('name', 'Definition ' || (:k)::int, 'kind', 'task', 'revision', (:rev)::int,
                           'description', 'Revision ' || (:rev)::int || ' of definition ' || (:k)::int || ': ' || repeat('lorem ipsum ', 8),
                           'tags', jsonb_build_array('tag-' || (:k)::int % 7, 'tag-' || (:rev)::int % 5),
                           'settings', jsonb_build_object('temperature', random(), 'max_tokens', 256, 'enabled', true)));
