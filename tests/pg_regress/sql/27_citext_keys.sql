-- citext keys (its own file: the wheel of PostgreSQL 16 ships no citext, and there the
-- alternative output 27_citext_keys_1.out applies).
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION IF NOT EXISTS pg_versioning;
------------------------------------------------------------------------------------------
-- A key column compares as its type's default btree operator class says, in the read API as
-- in the insert path and its index: citext keys are case-insensitive everywhere (also with
-- the SQL reference lookups).
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TABLE ci_docs (id serial PRIMARY KEY, k citext, version int, content_hash text, content jsonb);
SELECT versioning.enable('ci_docs', key => ARRAY['k'], content => ARRAY['content']);
INSERT INTO ci_docs (k, content) VALUES ('DOC', '{"n": 1}');
INSERT INTO ci_docs (k, content) VALUES ('doc', '{"n": 2}') RETURNING k, version;
SELECT versioning.latest('ci_docs', '{"k": "Doc"}') ->> 'version' AS latest;
SELECT versioning.get('ci_docs', '{"k": "dOC"}', 1) ->> 'k' AS stored_as;
SELECT versioning.label('ci_docs', '{"k": "doc"}', 'latest') AS label_latest;
SELECT count(*) FROM versioning.history('ci_docs', '{"k": "DoC"}');
SET versioning.lookup_method = spi;
INSERT INTO ci_docs (k, content) VALUES ('Doc', '{"n": 3}') RETURNING k, version;
INSERT INTO ci_docs (k, content) VALUES ('dOc', '{"n": 1}') RETURNING k, version;  -- duplicate of version 1
RESET versioning.lookup_method;
DROP TABLE ci_docs;
