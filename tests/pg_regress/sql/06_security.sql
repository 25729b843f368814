-- Security (docs/security.md): a non-superuser owner, a writer with INSERT privilege
-- only, row-level security on the versioned table, the table's schema off the search_path,
-- and a hostile search_path. None of it may change numbering, dedup or hashes.
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- Roles are cluster-wide: start clean even if an earlier run stopped half-way.
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_pgv_owner;
DROP ROLE IF EXISTS regress_pgv_writer;
DROP ROLE IF EXISTS regress_pgv_writer2;
RESET client_min_messages;
CREATE ROLE regress_pgv_owner;     -- owns the application's tables; not a superuser
CREATE ROLE regress_pgv_writer;    -- may only INSERT
CREATE ROLE regress_pgv_writer2;   -- another writer, for row-level security
CREATE SCHEMA sec_app AUTHORIZATION regress_pgv_owner;
GRANT USAGE ON SCHEMA sec_app TO regress_pgv_writer, regress_pgv_writer2;

------------------------------------------------------------------------------------------
-- A non-superuser owner creates, enables and uses a versioned table.
SET ROLE regress_pgv_owner;
SELECT rolsuper FROM pg_roles WHERE rolname = current_user;
CREATE TABLE sec_app.docs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference    text NOT NULL,
  version      int NOT NULL DEFAULT 1,
  content_hash text NOT NULL,
  content      jsonb NOT NULL,
  author       text NOT NULL DEFAULT current_user   -- not immutable: not content
);
SELECT versioning.enable('sec_app.docs', key => ARRAY['reference']);
SELECT table_name, enabled_by, config->'content' AS content FROM versioning.tables
 WHERE table_name = 'sec_app.docs';
INSERT INTO sec_app.docs (reference, content) VALUES ('a', '{"n": 1}'), ('a', '{"n": 2}') RETURNING reference, version, author;
-- The owner reads the log of its own table.
SELECT key, version, action FROM versioning.log WHERE table_name = 'sec_app.docs' ORDER BY version;
-- It cannot write the extension's tables directly.
SELECT regress_util.try($$ INSERT INTO versioning.log (actor, table_name, key, action) VALUES ('me', 'sec_app.docs', '{}', 'create') $$);
SELECT regress_util.try($$ UPDATE versioning.tables SET config = '{}' $$);
SELECT regress_util.try($$ DELETE FROM versioning.log $$);
GRANT INSERT ON sec_app.docs TO regress_pgv_writer;
RESET ROLE;

------------------------------------------------------------------------------------------
-- A writer with INSERT privilege only (no SELECT): it cannot see a single version, yet its
-- rows are numbered after the existing ones, and dedup still works.
SET ROLE regress_pgv_writer;
INSERT INTO sec_app.docs (reference, content) VALUES ('a', '{"n": 3}');
INSERT INTO sec_app.docs (reference, content) VALUES ('a', '{"n": 1}');        -- duplicate of version 1: skipped
INSERT INTO sec_app.docs (reference, content) VALUES ('b', '{"n": 1}'), ('a', '{"n": 4}');
SELECT regress_util.try($$ SELECT count(*) FROM sec_app.docs $$);
-- The log of a table it does not own is not visible to it.
SELECT count(*) AS visible_log_rows FROM versioning.log WHERE table_name = 'sec_app.docs';
-- It cannot turn on restore mode to pick its own versions, nor change the configuration.
SET versioning.restore = on;
SELECT regress_util.try($$ INSERT INTO sec_app.docs (reference, version, content) VALUES ('a', 100, '{"n": 100}') $$);
RESET versioning.restore;
SELECT regress_util.try($$ SELECT versioning.enable('sec_app.docs', key => ARRAY['reference'], dedup => 'off') $$);
SELECT regress_util.try($$ SELECT versioning.disable('sec_app.docs') $$);
RESET ROLE;
SELECT reference, version, content, author, content_hash = versioning.content_hash(content) AS hash_ok
  FROM sec_app.docs ORDER BY reference, version;
-- The actor is session_user (SET ROLE does not change it) unless versioning.actor is set.
SELECT key, version, actor FROM versioning.log WHERE table_name = 'sec_app.docs' ORDER BY key::text, version;

------------------------------------------------------------------------------------------
-- Row-level security: each writer sees only its own rows. Numbering and dedup must still
-- see every version (no 23505 from the unique index, no repeated version numbers).
SET ROLE regress_pgv_owner;
CREATE TABLE sec_app.notes (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference    text NOT NULL,
  version      int NOT NULL,
  content_hash text NOT NULL,
  body         text NOT NULL,
  author       text NOT NULL DEFAULT current_user
);
SELECT versioning.enable('sec_app.notes', key => ARRAY['reference']);
ALTER TABLE sec_app.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON sec_app.notes FOR SELECT USING (author = current_user);
CREATE POLICY insert_any ON sec_app.notes FOR INSERT WITH CHECK (author = current_user);
GRANT SELECT, INSERT ON sec_app.notes TO regress_pgv_writer, regress_pgv_writer2;
RESET ROLE;

SET ROLE regress_pgv_writer;
INSERT INTO sec_app.notes (reference, body) VALUES ('n', 'from writer 1') RETURNING version;
RESET ROLE;
SET ROLE regress_pgv_writer2;
SELECT count(*) AS visible FROM sec_app.notes;     -- writer 2 sees nothing
INSERT INTO sec_app.notes (reference, body) VALUES ('n', 'from writer 2') RETURNING version;
INSERT INTO sec_app.notes (reference, body) VALUES ('n', 'from writer 1') RETURNING version;   -- duplicate of version 1: skipped
RESET ROLE;
SET ROLE regress_pgv_writer;
INSERT INTO sec_app.notes (reference, body) VALUES ('n', 'writer 1 again') RETURNING version;
RESET ROLE;

-- FORCE ROW LEVEL SECURITY subjects the owner to the policies too.
SET ROLE regress_pgv_owner;
ALTER TABLE sec_app.notes FORCE ROW LEVEL SECURITY;
SELECT count(*) AS visible_to_owner FROM sec_app.notes;
INSERT INTO sec_app.notes (reference, body) VALUES ('n', 'from the owner') RETURNING version;
RESET ROLE;
SET ROLE regress_pgv_writer2;
INSERT INTO sec_app.notes (reference, body) VALUES ('n', 'writer 2 again') RETURNING version;
RESET ROLE;
SELECT reference, version, author, body FROM sec_app.notes ORDER BY reference, version;

------------------------------------------------------------------------------------------
-- The table's schema off the search_path, and a hostile schema first on it: objects named
-- like pg_catalog's that would fail loudly if the extension ever resolved a name through
-- the caller's search_path.
CREATE SCHEMA sec_evil;
GRANT USAGE ON SCHEMA sec_evil TO PUBLIC;
CREATE FUNCTION sec_evil.trap(what text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN RAISE EXCEPTION 'hostile search_path: sec_evil.% was called', what; END $f$;
CREATE FUNCTION sec_evil.now() RETURNS timestamptz LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('now()'); RETURN NULL; END $f$;
CREATE FUNCTION sec_evil.txid_current() RETURNS bigint LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('txid_current()'); RETURN NULL; END $f$;
CREATE FUNCTION sec_evil.current_setting(text, boolean) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('current_setting()'); RETURN NULL; END $f$;
CREATE FUNCTION sec_evil.to_jsonb(anyelement) RETURNS jsonb LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('to_jsonb()'); RETURN NULL; END $f$;
CREATE FUNCTION sec_evil.sha256(bytea) RETURNS bytea LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('sha256()'); RETURN NULL; END $f$;
CREATE FUNCTION sec_evil.pg_advisory_xact_lock(bigint) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('pg_advisory_xact_lock()'); END $f$;
CREATE FUNCTION sec_evil.hashtext(text) RETURNS int LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('hashtext()'); RETURN NULL; END $f$;
CREATE FUNCTION sec_evil.quote_ident(text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('quote_ident()'); RETURN NULL; END $f$;
CREATE FUNCTION sec_evil.to_regclass(text) RETURNS regclass LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('to_regclass()'); RETURN NULL; END $f$;
CREATE FUNCTION sec_evil.text_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('= (text, text)'); RETURN NULL; END $f$;
CREATE OPERATOR sec_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = sec_evil.text_eq);
CREATE FUNCTION sec_evil.int_eq(int, int) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('= (int, int)'); RETURN NULL; END $f$;
CREATE OPERATOR sec_evil.= (LEFTARG = int, RIGHTARG = int, FUNCTION = sec_evil.int_eq);
CREATE FUNCTION sec_evil.int_plus(int, int) RETURNS int LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('+ (int, int)'); RETURN NULL; END $f$;
CREATE OPERATOR sec_evil.+ (LEFTARG = int, RIGHTARG = int, FUNCTION = sec_evil.int_plus);
CREATE FUNCTION sec_evil.int_max(int, int) RETURNS int LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('max(int)'); RETURN NULL; END $f$;
CREATE AGGREGATE sec_evil.max(int) (SFUNC = sec_evil.int_max, STYPE = int);
CREATE FUNCTION sec_evil.jsonb_eq(jsonb, jsonb) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_evil.trap('= (jsonb, jsonb)'); RETURN NULL; END $f$;
CREATE OPERATOR sec_evil.= (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = sec_evil.jsonb_eq);
-- ... and tables named like the extension's and the application's.
CREATE TABLE sec_evil.tables (table_name text, config jsonb);
CREATE TABLE sec_evil.log (LIKE versioning.log);
CREATE TABLE sec_evil.docs (LIKE sec_app.docs);
GRANT ALL ON sec_evil.tables, sec_evil.log, sec_evil.docs TO PUBLIC;
-- (a temporary table shadows any unqualified table name first of all)
CREATE TEMP TABLE docs (LIKE sec_app.docs);

-- The owner creates and enables a table the usual way.
SET ROLE regress_pgv_owner;
CREATE TABLE sec_app.hidden (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference    text NOT NULL,
  scope        int,
  version      int NOT NULL,
  content_hash text NOT NULL,
  title        text,
  body         jsonb,
  parent_id    bigint
);
GRANT INSERT ON sec_app.hidden TO regress_pgv_writer;
SELECT versioning.enable('sec_app.hidden', key => ARRAY['reference', 'scope'], parent_column => 'parent_id');

-- Then, with only the hostile schema on the search_path (pg_catalog after it, the table's
-- schema not at all), the owner inserts and calls the extension's functions.
SET search_path = sec_evil, pg_catalog;
SHOW search_path;
SELECT regress_util.try($$ INSERT INTO sec_app.hidden (reference, scope, title, body) VALUES
                        ('h', NULL, 't1', '{"a": 1}'), ('h', NULL, 't2', '{"a": 1}'),
                        ('h', 1, 't1', '{"a": 1}'), ('h', NULL, 't1', '{"a": 1}') $$);
SELECT regress_util.try($$ INSERT INTO sec_app.docs (reference, content) VALUES ('a', '{"n": 5}') $$);
BEGIN;
SET LOCAL versioning.actor = 'hostile-path-user';
SELECT regress_util.try($$ INSERT INTO sec_app.hidden (reference, title, body) VALUES ('h', 't3', '{"a": 1}') $$);
COMMIT;
SELECT regress_util.try($$ SELECT versioning.content_hash('{"x": [1, 2]}') $$);
SELECT regress_util.try($$ SELECT versioning.canonical('{"x": [1, 2]}') $$);
SELECT regress_util.try($$ SELECT versioning.config('sec_app.hidden') $$);
-- the same enable again (a no-op), and enabling a new table
SELECT regress_util.try($$ SELECT versioning.enable('sec_app.hidden', key => ARRAY['reference', 'scope'], parent_column => 'parent_id') $$);
CREATE TABLE sec_app.later (id int PRIMARY KEY, ref text, version int, content_hash text, body text);
SELECT regress_util.try($$ SELECT versioning.enable('sec_app.later', key => ARRAY['ref']) $$);
SELECT regress_util.try($$ INSERT INTO sec_app.later VALUES (1, 'x', NULL, NULL, 'one'), (2, 'x', NULL, NULL, 'two') $$);
SELECT regress_util.try($$ SELECT versioning.disable('sec_app.later') $$);
RESET search_path;
RESET ROLE;

-- The INSERT-only writer does the same.
SET ROLE regress_pgv_writer;
SET search_path = sec_evil, pg_catalog;
SELECT regress_util.try($$ INSERT INTO sec_app.hidden (reference, title, body) VALUES ('h', 't4', '{"b": 2}'), ('h', 't1', '{"a": 1}') $$);
SELECT regress_util.try($$ INSERT INTO sec_app.docs (reference, content) VALUES ('a', '{"n": 6}') $$);
RESET search_path;
RESET ROLE;

-- Everything landed where it belongs, numbered and hashed as usual.
SELECT reference, scope, version, title, body, parent_id IS NOT NULL AS has_parent,
       content_hash = encode(sha256(convert_to(versioning.canonical(jsonb_build_object('title', title, 'body', body)), 'UTF8')), 'hex') AS hash_ok
  FROM sec_app.hidden ORDER BY reference, scope NULLS FIRST, version;
SELECT reference, array_agg(version ORDER BY version) AS versions FROM sec_app.docs GROUP BY reference ORDER BY reference;
SELECT (SELECT count(*) FROM sec_evil.tables) AS evil_tables_rows, (SELECT count(*) FROM sec_evil.log) AS evil_log_rows,
       (SELECT count(*) FROM sec_evil.docs) AS evil_docs_rows, (SELECT count(*) FROM pg_temp.docs) AS temp_docs_rows;
SELECT key, version, actor FROM versioning.log WHERE table_name = 'sec_app.hidden' ORDER BY key::text, version;
SELECT ref, version, body FROM sec_app.later ORDER BY id;

------------------------------------------------------------------------------------------
-- The extension's trigger functions cannot be misused on a table that is not versioned.
SET ROLE regress_pgv_owner;
CREATE TABLE sec_app.plain (id int, version int, body text);
CREATE TRIGGER sneaky BEFORE INSERT ON sec_app.plain FOR EACH ROW EXECUTE FUNCTION versioning._on_insert();
SELECT regress_util.try($$ INSERT INTO sec_app.plain VALUES (1, 1, 'x') $$);
DROP TRIGGER sneaky ON sec_app.plain;
CREATE TRIGGER sneaky AFTER INSERT ON sec_app.plain FOR EACH ROW EXECUTE FUNCTION versioning._on_insert();
SELECT regress_util.try($$ INSERT INTO sec_app.plain VALUES (1, 1, 'x') $$);
DROP TRIGGER sneaky ON sec_app.plain;
CREATE TRIGGER sneaky BEFORE UPDATE ON sec_app.plain FOR EACH STATEMENT EXECUTE FUNCTION versioning._on_change();
SELECT regress_util.try($$ UPDATE sec_app.plain SET body = 'y' $$);
RESET ROLE;

------------------------------------------------------------------------------------------
-- No code of a table owner runs with the extension owner's rights. A plain role's domain
-- CHECK on a key column, which tries to make its owner a superuser whenever it runs as one:
-- versioning.as_of casts the key to the column's type as the caller, and reads the log as
-- its owner with the key already cast, so the check never runs as the superuser.
SET ROLE regress_pgv_owner;
CREATE FUNCTION sec_app.escalate(text) RETURNS bool LANGUAGE plpgsql AS $f$
BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'ALTER ROLE regress_pgv_owner SUPERUSER';
  END IF;
  RETURN true;
END $f$;
CREATE DOMAIN sec_app.ekey AS text CHECK (sec_app.escalate(VALUE));
CREATE TABLE sec_app.et (id serial PRIMARY KEY, k sec_app.ekey, version int, content_hash text, content jsonb);
SELECT versioning.enable('sec_app.et', key => ARRAY['k'], content => ARRAY['content']);
INSERT INTO sec_app.et (k, content) VALUES ('x', '{}');
SELECT versioning.as_of('sec_app.et', '{"k": "x"}', now()) ->> 'version' AS as_of_version;
SELECT versioning.set_label('sec_app.et', '{"k": "x"}', 'prod', 1);
SELECT versioning.label('sec_app.et', '{"k": "x"}', 'prod') AS labelled;
SELECT versioning.latest('sec_app.et', '{"k": "x"}') ->> 'version' AS latest;
RESET ROLE;
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'regress_pgv_owner';

------------------------------------------------------------------------------------------
-- The caller's search_path does not choose the operators of what runs as a table's owner:
-- a writer's own text = operator in public, first on its search_path, is not called when its
-- insert carries approved child rows forward (that statement runs as the child's owner).
SET ROLE regress_pgv_owner;
CREATE TABLE sec_app.cf_parent (id serial PRIMARY KEY, ref text, version int, content_hash text, content jsonb);
SELECT versioning.enable('sec_app.cf_parent', key => ARRAY['ref'], content => ARRAY['content']);
CREATE TABLE sec_app.cf_child (id serial PRIMARY KEY, parent_id int REFERENCES sec_app.cf_parent, decision text);
SELECT versioning.enable_carry_forward('sec_app.cf_child', parent => 'sec_app.cf_parent',
  parent_column => 'parent_id', when_column => 'decision', when_values => ARRAY['approved']);
INSERT INTO sec_app.cf_parent (ref, content) VALUES ('r', '{"v": 1}');
INSERT INTO sec_app.cf_child (parent_id, decision) VALUES (1, 'approved'), (1, 'rejected');
GRANT INSERT ON sec_app.cf_parent TO regress_pgv_writer;
GRANT USAGE ON SEQUENCE sec_app.cf_parent_id_seq TO regress_pgv_writer;
RESET ROLE;
CREATE TABLE public.sec_trap_calls (who text);
GRANT INSERT ON public.sec_trap_calls TO PUBLIC;
CREATE FUNCTION public.sec_trap_eq(a text, b text) RETURNS bool LANGUAGE plpgsql AS $f$
BEGIN
  INSERT INTO public.sec_trap_calls VALUES (current_user);
  RETURN a OPERATOR(pg_catalog.=) b;
END $f$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.sec_trap_eq);
SET ROLE regress_pgv_writer;
SET search_path = public, pg_catalog;
INSERT INTO sec_app.cf_parent (ref, content) VALUES ('r', '{"v": 2}');
RESET search_path;
RESET ROLE;
SELECT count(*) AS trap_calls FROM public.sec_trap_calls;
SELECT parent_id, decision FROM sec_app.cf_child ORDER BY id;
DROP OPERATOR public.= (text, text);
DROP FUNCTION public.sec_trap_eq(text, text);
DROP TABLE public.sec_trap_calls;

-- Clean up: the roles are cluster-wide.
SET client_min_messages = warning;
DROP SCHEMA sec_app CASCADE;
DROP SCHEMA sec_evil CASCADE;
DROP TABLE pg_temp.docs;
DROP ROLE regress_pgv_owner, regress_pgv_writer, regress_pgv_writer2;
RESET client_min_messages;
