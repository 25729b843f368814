-- Nothing the extension runs may depend on the caller's search_path (docs/security.md): every
-- SQL text it runs must name pg_catalog's operators, functions, aggregates and types exactly.
-- Schema sp_trap shadows them, with search_path = sp_trap, pg_catalog: operators, functions
-- and aggregates of the same signatures, and domains named like the base types (they catch an
-- unqualified `::text`, `CAST(… AS jsonb)`, `NULL::uuid`). Each trap records its call (with
-- the SQL context it came from) in sp_trap.trap_calls, warns, and returns what pg_catalog's
-- original returns, so behaviour is unchanged. Then every versioning.* function and every
-- trigger path runs, as a superuser and as a plain table owner; at the end trap_calls must be
-- empty. This file's own SQL names pg_catalog's objects itself (OPERATOR(pg_catalog.=),
-- pg_catalog.count(*), …), so only the extension's SQL can reach a trap.
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
DROP SCHEMA IF EXISTS sp_trap CASCADE;
DROP SCHEMA IF EXISTS sp_util CASCADE;
DROP SCHEMA IF EXISTS sp_app CASCADE;
DROP SCHEMA IF EXISTS sp_own CASCADE;
DROP ROLE IF EXISTS regress_pgv_sp_owner;
DROP ROLE IF EXISTS regress_pgv_sp_writer;
DROP ROLE IF EXISTS regress_pgv_sp_releaser;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE regress_pgv_sp_owner;      -- owns sp_own's tables; not a superuser
CREATE ROLE regress_pgv_sp_writer;     -- INSERT and UPDATE on some tables
CREATE ROLE regress_pgv_sp_releaser;   -- may move a protected label

------------------------------------------------------------------------------------------
-- Helpers for this file's own output, immune to the search_path (pinned, or fully qualified).
CREATE SCHEMA sp_util;
GRANT USAGE ON SCHEMA sp_util TO PUBLIC;
-- try(sql): "ok" or the error's SQLSTATE and message (and DETAIL). Not pinned: the statement
-- runs with the caller's search_path; the function's own SQL is qualified.
CREATE FUNCTION sp_util.try(sql pg_catalog.text) RETURNS SETOF pg_catalog.text LANGUAGE plpgsql AS $f$
DECLARE st pg_catalog.text; msg pg_catalog.text; det pg_catalog.text;
BEGIN
  EXECUTE sql;
  RETURN NEXT 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN NEXT pg_catalog.concat('ERROR ', st, ': ', msg);
  -- (a not-null violation's DETAIL shows the whole row, ids included: left out)
  IF det OPERATOR(pg_catalog.<>) '' AND det OPERATOR(pg_catalog.!~~) 'Failing row contains%' THEN
    RETURN NEXT pg_catalog.concat('DETAIL: ', det);
  END IF;
END $f$;
-- show(row): a row as jsonb, with uuids and times (which differ between runs) masked.
CREATE FUNCTION sp_util.show(j jsonb) RETURNS jsonb LANGUAGE sql
    SET search_path = pg_catalog, pg_temp AS $f$
  SELECT jsonb_object_agg(key, CASE
           WHEN jsonb_typeof(value) = 'string' AND value #>> '{}' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-' THEN '"<uuid>"'
           WHEN jsonb_typeof(value) = 'string' AND value #>> '{}' ~ '^\d{4}-\d\d-\d\d[T ]\d' THEN '"<time>"'
           ELSE value END)
    FROM jsonb_each(j)
$f$;
-- pick(row, keys…): only those fields of a row.
CREATE FUNCTION sp_util.pick(j jsonb, VARIADIC keys text[]) RETURNS jsonb LANGUAGE sql
    SET search_path = pg_catalog, pg_temp AS $f$
  SELECT jsonb_object_agg(k, j -> k) FROM unnest(keys) k WHERE j ? k
$f$;
-- log(table): the table's log rows written by this file's run (the log outlives a dropped
-- table), without times, actors' sessions or txids.
CREATE TABLE sp_util.run AS SELECT pg_catalog.txid_current() AS first_txid;
GRANT SELECT ON sp_util.run TO PUBLIC;
CREATE FUNCTION sp_util.log(tbl text)
RETURNS TABLE (key jsonb, version bigint, action text, from_state text, to_state text, actor text, detail jsonb)
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $f$
  SELECT l.key, l.version, l.action, l.from_state, l.to_state, l.actor, l.detail - 'child'
    FROM versioning.log l WHERE l.table_name = tbl AND l.txid >= (SELECT first_txid FROM sp_util.run)
   ORDER BY l.txid, l.at, l.key::text, l.version, l.action, l.from_state NULLS FIRST, l.to_state
$f$;

------------------------------------------------------------------------------------------
-- The traps.
CREATE SCHEMA sp_trap;
GRANT USAGE ON SCHEMA sp_trap TO PUBLIC;
CREATE TABLE sp_trap.trap_calls (what pg_catalog.text, ctx pg_catalog.text);
GRANT INSERT ON sp_trap.trap_calls TO PUBLIC;
-- trap(what): records the call and where it came from (the SQL context without the traps'
-- own frames), warns, and returns true (for domain CHECKs).
CREATE FUNCTION sp_trap.trap(what pg_catalog.text) RETURNS pg_catalog.bool
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$
DECLARE ctx text;
BEGIN
  GET DIAGNOSTICS ctx = PG_CONTEXT;
  SELECT string_agg(l, E'\n' ORDER BY n) INTO ctx FROM regexp_split_to_table(ctx, E'\n') WITH ORDINALITY AS t(l, n)
   WHERE l !~ '^PL/pgSQL function sp_trap\.' AND l !~ '^SQL statement "SELECT sp_trap\.trap\(';
  INSERT INTO sp_trap.trap_calls VALUES (what, ctx);
  RAISE WARNING 'search_path trap: %', what;
  RETURN true;
END $f$;
GRANT EXECUTE ON FUNCTION sp_trap.trap(pg_catalog.text) TO PUBLIC;

-- Operators: every pg_catalog operator of these names between these types, delegating to
-- pg_catalog's (infix and prefix).
DO $do$
DECLARE r record; n int := 0; types regtype[];
BEGIN
  SELECT pg_catalog.array_agg(pg_catalog.to_regtype(t)) INTO types FROM pg_catalog.unnest(ARRAY[
    'text', 'name', '"char"', 'int2', 'int4', 'int8', 'oid', 'json', 'jsonb', 'timestamptz', 'timestamp',
    'bool', 'tid', 'bytea', 'uuid', 'numeric', 'xid8', 'regclass', 'text[]', 'anyarray', 'anyelement',
    'anynonarray', 'anycompatible', 'anycompatiblearray']) t;
  FOR r IN
    SELECT o.oprname, o.oprkind, o.oprleft, o.oprright, o.oprresult,
           pg_catalog.format_type(o.oprleft, NULL) AS l, pg_catalog.format_type(o.oprright, NULL) AS rt,
           pg_catalog.format_type(o.oprresult, NULL) AS res
      FROM pg_catalog.pg_operator o
     WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace
       AND o.oprname OPERATOR(pg_catalog.=) ANY (ARRAY['=', '<>', '<', '>', '<=', '>=', '->', '->>', '#>', '#>>',
                         '-', '+', '*', '||', '@>', '<@', '?', '?|', '?&', '&&', '~~', '!~~', '~'])
       AND (o.oprkind OPERATOR(pg_catalog.=) 'l' OR o.oprleft::pg_catalog.regtype OPERATOR(pg_catalog.=) ANY (types))
       AND o.oprright::pg_catalog.regtype OPERATOR(pg_catalog.=) ANY (types)
     ORDER BY o.oid
  LOOP
    n := n OPERATOR(pg_catalog.+) 1;
    IF r.oprkind OPERATOR(pg_catalog.=) 'b' THEN
      EXECUTE pg_catalog.format(
        'CREATE FUNCTION sp_trap.trap_op_%s(%s, %s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %L',
        n, r.l, r.rt, r.res,
        pg_catalog.format('BEGIN PERFORM sp_trap.trap(%L); RETURN $1 OPERATOR(pg_catalog.%s) $2; END',
                          pg_catalog.format('operator %s %s %s', r.l, r.oprname, r.rt), r.oprname));
      EXECUTE pg_catalog.format('CREATE OPERATOR sp_trap.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = sp_trap.trap_op_%s)',
                                r.oprname, r.l, r.rt, n);
    ELSE
      EXECUTE pg_catalog.format(
        'CREATE FUNCTION sp_trap.trap_op_%s(%s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %L',
        n, r.rt, r.res,
        pg_catalog.format('BEGIN PERFORM sp_trap.trap(%L); RETURN OPERATOR(pg_catalog.%s) $1; END',
                          pg_catalog.format('operator %s %s', r.oprname, r.rt), r.oprname));
      EXECUTE pg_catalog.format('CREATE OPERATOR sp_trap.%s (RIGHTARG = %s, FUNCTION = sp_trap.trap_op_%s)',
                                r.oprname, r.rt, n);
    END IF;
  END LOOP;
  IF n OPERATOR(pg_catalog.<) 200 THEN RAISE EXCEPTION 'only % trap operators', n; END IF;
END $do$;

-- Functions the extension might call: the same signature (and defaults), delegating to
-- pg_catalog's. (Functions of VARIADIC "any" cannot be written in PL/pgSQL; see below.)
-- jsonb_strip_nulls gained a second argument in PostgreSQL 18: one of its two signatures exists.
DO $do$
DECLARE p record; n int := 0; call text; body text; i int;
BEGIN
  FOR p IN
    SELECT f.oid, f.proname, f.pronargs, f.provariadic, f.proretset, f.prorettype,
           pg_catalog.pg_get_function_arguments(f.oid) AS args, pg_catalog.pg_get_function_result(f.oid) AS result,
           f.oid::pg_catalog.regprocedure::pg_catalog.text AS sig
      FROM pg_catalog.unnest(ARRAY[
        'now()', 'transaction_timestamp()', 'statement_timestamp()', 'clock_timestamp()',
        'current_setting(text)', 'current_setting(text,boolean)', 'set_config(text,text,boolean)',
        'current_database()', 'pg_backend_pid()', 'pg_trigger_depth()',
        'to_jsonb(anyelement)', 'to_json(anyelement)', 'row_to_json(record)', 'row_to_json(record,boolean)',
        'array_to_json(anyarray)', 'jsonb_typeof(jsonb)', 'jsonb_object_keys(jsonb)', 'jsonb_each(jsonb)',
        'jsonb_each_text(jsonb)', 'jsonb_array_elements(jsonb)', 'jsonb_array_elements_text(jsonb)',
        'jsonb_array_length(jsonb)', 'jsonb_extract_path(jsonb,text[])', 'jsonb_extract_path_text(jsonb,text[])',
        'jsonb_strip_nulls(jsonb)', 'jsonb_strip_nulls(jsonb,boolean)', 'jsonb_set(jsonb,text[],jsonb,boolean)', 'jsonb_insert(jsonb,text[],jsonb,boolean)',
        'jsonb_populate_record(anyelement,jsonb)', 'jsonb_populate_recordset(anyelement,jsonb)',
        'jsonb_build_object()', 'jsonb_build_array()', 'jsonb_object(text[])', 'jsonb_object(text[],text[])',
        'jsonb_pretty(jsonb)', 'json_typeof(json)',
        'to_regclass(text)', 'to_regtype(text)', 'to_regrole(text)', 'to_regnamespace(text)',
        'to_regproc(text)', 'to_regprocedure(text)',
        'quote_ident(text)', 'quote_literal(text)', 'quote_literal(anyelement)', 'quote_nullable(text)',
        'quote_nullable(anyelement)', 'format(text)',
        'pg_has_role(oid,text)', 'pg_has_role(name,text)', 'pg_has_role(name,name,text)', 'pg_has_role(name,oid,text)',
        'pg_has_role(oid,name,text)', 'pg_has_role(oid,oid,text)',
        'has_table_privilege(oid,text)', 'has_table_privilege(text,text)', 'has_table_privilege(name,oid,text)',
        'has_table_privilege(name,text,text)', 'has_table_privilege(oid,oid,text)', 'has_table_privilege(oid,text,text)',
        'has_column_privilege(oid,text,text)', 'has_schema_privilege(oid,text)', 'has_schema_privilege(text,text)',
        'has_function_privilege(oid,text)',
        'txid_current()', 'txid_current_if_assigned()', 'pg_current_xact_id()', 'pg_current_xact_id_if_assigned()',
        'string_to_array(text,text)', 'string_to_array(text,text,text)', 'array_to_string(anyarray,text)',
        'array_to_string(anyarray,text,text)', 'array_length(anyarray,integer)', 'cardinality(anyarray)',
        'array_append(anycompatiblearray,anycompatible)', 'array_cat(anycompatiblearray,anycompatiblearray)',
        'array_position(anycompatiblearray,anycompatible)', 'unnest(anyarray)',
        'generate_series(integer,integer)', 'generate_series(bigint,bigint)', 'generate_subscripts(anyarray,integer)',
        'lower(text)', 'upper(text)', 'length(text)', 'octet_length(text)', 'btrim(text)', 'md5(text)',
        'substr(text,integer)', 'substr(text,integer,integer)', 'left(text,integer)', 'right(text,integer)',
        'replace(text,text,text)', 'split_part(text,text,integer)', 'strpos(text,text)', 'starts_with(text,text)',
        'regexp_replace(text,text,text)', 'repeat(text,integer)',
        'sha256(bytea)', 'encode(bytea,text)', 'decode(text,text)', 'convert_to(text,name)', 'convert_from(bytea,name)',
        'hashtext(text)', 'hashtextextended(text,bigint)', 'hashint8(bigint)',
        'pg_advisory_xact_lock(bigint)', 'pg_advisory_xact_lock(integer,integer)',
        'pg_try_advisory_xact_lock(bigint)', 'pg_try_advisory_xact_lock(integer,integer)',
        'pg_advisory_lock(bigint)', 'pg_advisory_unlock(bigint)',
        'timezone(text,timestamp with time zone)', 'timezone(text,timestamp without time zone)',
        'isfinite(timestamp with time zone)', 'date_part(text,timestamp with time zone)',
        'nextval(regclass)', 'currval(regclass)', 'gen_random_uuid()',
        'format_type(oid,integer)', 'pg_get_indexdef(oid)', 'pg_get_expr(pg_node_tree,oid)',
        'pg_table_is_visible(oid)', 'pg_get_userbyid(oid)', 'obj_description(oid,name)',
        'pg_event_trigger_dropped_objects()', 'pg_relation_is_updatable(regclass,boolean)'
      ]) AS s(s)
      JOIN pg_catalog.pg_proc f ON f.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure(pg_catalog.concat('pg_catalog.', s.s))
     ORDER BY f.oid
  LOOP
    n := n OPERATOR(pg_catalog.+) 1;
    call := '';
    FOR i IN 1 .. p.pronargs LOOP
      call := pg_catalog.concat(call, CASE WHEN i OPERATOR(pg_catalog.>) 1 THEN ', ' END,
                 CASE WHEN i OPERATOR(pg_catalog.=) p.pronargs AND p.provariadic OPERATOR(pg_catalog.<>) 0 THEN 'VARIADIC ' END,
                 '$', i);
    END LOOP;
    call := pg_catalog.format('pg_catalog.%I(%s)', p.proname, call);
    body := CASE
      WHEN p.proretset THEN pg_catalog.format('RETURN QUERY SELECT * FROM %s;', call)
      WHEN p.prorettype OPERATOR(pg_catalog.=) 'pg_catalog.void'::pg_catalog.regtype THEN pg_catalog.format('PERFORM %s;', call)
      ELSE pg_catalog.format('RETURN %s;', call) END;
    EXECUTE pg_catalog.format(
      'CREATE FUNCTION sp_trap.%I(%s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %L',
      p.proname, p.args, p.result,
      pg_catalog.format('BEGIN PERFORM sp_trap.trap(%L); %s END', pg_catalog.concat('function ', p.sig), body));
  END LOOP;
  IF n OPERATOR(pg_catalog.<>) 125 THEN RAISE EXCEPTION 'only % trap functions', n; END IF;
END $do$;

-- Aggregates: pg_catalog's transition functions, and a final function that records the call.
DO $do$
DECLARE a record; fin text;
BEGIN
  FOR a IN SELECT * FROM (VALUES
      ('count', '*', 'int8', 'int8inc', '0'),
      ('max', 'int2', 'int2', 'int2larger', NULL), ('min', 'int2', 'int2', 'int2smaller', NULL),
      ('max', 'int4', 'int4', 'int4larger', NULL), ('min', 'int4', 'int4', 'int4smaller', NULL),
      ('max', 'int8', 'int8', 'int8larger', NULL), ('min', 'int8', 'int8', 'int8smaller', NULL),
      ('max', 'text', 'text', 'text_larger', NULL), ('min', 'text', 'text', 'text_smaller', NULL),
      ('max', 'timestamptz', 'timestamptz', 'timestamptz_larger', NULL),
      ('min', 'timestamptz', 'timestamptz', 'timestamptz_smaller', NULL),
      ('sum', 'int4', 'int8', 'int4_sum', NULL),
      ('bool_and', 'bool', 'bool', 'booland_statefunc', NULL), ('bool_or', 'bool', 'bool', 'boolor_statefunc', NULL),
      ('every', 'bool', 'bool', 'booland_statefunc', NULL)) v(name, arg, stype, sfunc, initcond)
  LOOP
    fin := pg_catalog.concat('trap_agg_', a.name, '_', pg_catalog.replace(a.arg, '*', 'star'));
    EXECUTE pg_catalog.format(
      'CREATE FUNCTION sp_trap.%I(s pg_catalog.%s) RETURNS pg_catalog.%s LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %L',
      fin, a.stype, a.stype,
      pg_catalog.format('BEGIN PERFORM sp_trap.trap(%L); RETURN s; END', pg_catalog.format('aggregate %s(%s)', a.name, a.arg)));
    EXECUTE pg_catalog.format(
      'CREATE AGGREGATE sp_trap.%I(%s) (SFUNC = pg_catalog.%I, STYPE = pg_catalog.%s, FINALFUNC = sp_trap.%I%s)',
      a.name, CASE WHEN a.arg OPERATOR(pg_catalog.=) '*' THEN '*' ELSE pg_catalog.concat('pg_catalog.', a.arg) END,
      a.sfunc, a.stype, fin,
      CASE WHEN a.initcond IS NULL THEN '' ELSE pg_catalog.format(', INITCOND = %L', a.initcond) END);
  END LOOP;
END $do$;
CREATE FUNCTION sp_trap.trap_array_agg_step(s anyarray, v anynonarray) RETURNS anyarray LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $f$ BEGIN RETURN array_append(s, v); END $f$;
CREATE FUNCTION sp_trap.trap_array_agg_final(s anyarray) RETURNS anyarray LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $f$ BEGIN PERFORM sp_trap.trap('aggregate array_agg(anynonarray)'); RETURN s; END $f$;
CREATE AGGREGATE sp_trap.array_agg(anynonarray) (SFUNC = sp_trap.trap_array_agg_step, STYPE = anyarray,
    FINALFUNC = sp_trap.trap_array_agg_final);
CREATE FUNCTION sp_trap.trap_string_agg_step(s text, v text, d text) RETURNS text LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $f$
BEGIN RETURN CASE WHEN v IS NULL THEN s WHEN s IS NULL THEN v ELSE s || coalesce(d, '') || v END; END $f$;
CREATE FUNCTION sp_trap.trap_string_agg_final(s text) RETURNS text LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $f$ BEGIN PERFORM sp_trap.trap('aggregate string_agg(text,text)'); RETURN s; END $f$;
CREATE AGGREGATE sp_trap.string_agg(text, text) (SFUNC = sp_trap.trap_string_agg_step, STYPE = text,
    FINALFUNC = sp_trap.trap_string_agg_final);
CREATE FUNCTION sp_trap.trap_jsonb_agg_step(s jsonb, v anyelement) RETURNS jsonb LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $f$ BEGIN RETURN coalesce(s, '[]') || jsonb_build_array(to_jsonb(v)); END $f$;
CREATE FUNCTION sp_trap.trap_jsonb_agg_final(s jsonb) RETURNS jsonb LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $f$ BEGIN PERFORM sp_trap.trap('aggregate jsonb_agg(anyelement)'); RETURN s; END $f$;
CREATE AGGREGATE sp_trap.jsonb_agg(anyelement) (SFUNC = sp_trap.trap_jsonb_agg_step, STYPE = jsonb,
    FINALFUNC = sp_trap.trap_jsonb_agg_final);

-- Functions of VARIADIC "any" (format, concat, jsonb_build_object, jsonb_build_array): a
-- VARIADIC text[] overload is chosen over pg_catalog's whenever every argument is text, so it
-- catches those calls (even with pg_catalog first on the path).
CREATE FUNCTION sp_trap.format(fmt pg_catalog.text, VARIADIC args pg_catalog.text[]) RETURNS pg_catalog.text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$
BEGIN PERFORM sp_trap.trap('function format(text,VARIADIC "any") with text arguments'); RETURN format(fmt, VARIADIC args); END $f$;
CREATE FUNCTION sp_trap.concat(VARIADIC args pg_catalog.text[]) RETURNS pg_catalog.text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$
BEGIN PERFORM sp_trap.trap('function concat(VARIADIC "any") with text arguments'); RETURN concat(VARIADIC args); END $f$;
CREATE FUNCTION sp_trap.jsonb_build_object(VARIADIC args pg_catalog.text[]) RETURNS pg_catalog.jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$
BEGIN PERFORM sp_trap.trap('function jsonb_build_object(VARIADIC "any") with text arguments'); RETURN jsonb_build_object(VARIADIC args); END $f$;
CREATE FUNCTION sp_trap.jsonb_build_array(VARIADIC args pg_catalog.text[]) RETURNS pg_catalog.jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$
BEGIN PERFORM sp_trap.trap('function jsonb_build_array(VARIADIC "any") with text arguments'); RETURN jsonb_build_array(VARIADIC args); END $f$;

-- Domains named like base types: an unqualified type name resolves to them. (integer, bigint,
-- smallint, boolean, numeric, varchar, timestamp with time zone … are keywords that always
-- mean pg_catalog's types; format_type_be's text, jsonb, uuid … are not.)
DO $do$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['text', 'name', 'char', 'json', 'jsonb', 'bytea', 'uuid', 'oid', 'int2', 'int4', 'int8',
                           'bool', 'float8', 'timestamptz', 'timestamp', 'date', 'regclass', 'regtype', 'regrole',
                           'tid', 'xid8']
  LOOP
    EXECUTE pg_catalog.format('CREATE DOMAIN sp_trap.%I AS pg_catalog.%I CHECK (sp_trap.trap(%L))',
                              t, t, pg_catalog.concat('type ', t));
  END LOOP;
END $do$;
SELECT pg_catalog.count(*) AS trap_objects FROM (
  SELECT oid FROM pg_catalog.pg_proc WHERE pronamespace OPERATOR(pg_catalog.=) 'sp_trap'::pg_catalog.regnamespace
  UNION ALL SELECT oid FROM pg_catalog.pg_operator WHERE oprnamespace OPERATOR(pg_catalog.=) 'sp_trap'::pg_catalog.regnamespace
  UNION ALL SELECT oid FROM pg_catalog.pg_type WHERE typnamespace OPERATOR(pg_catalog.=) 'sp_trap'::pg_catalog.regnamespace
                                               AND typtype OPERATOR(pg_catalog.=) 'd') o;

-- The traps work: each of these resolves to one, records it and returns pg_catalog's answer.
SET search_path = sp_trap, pg_catalog;
SELECT 'a'::pg_catalog.text = 'a' AS eq, 1::pg_catalog.int8 < 2 AS lt, '{"a": 1}'::pg_catalog.jsonb ->> 'a' AS field,
       NULL::text IS NULL AS cast_null, pg_catalog.length(quote_ident('A')) AS quoted, count(*) AS counted
  FROM pg_catalog.generate_series(1, 2);
RESET search_path;
SELECT what FROM sp_trap.trap_calls ORDER BY what;
TRUNCATE sp_trap.trap_calls;

------------------------------------------------------------------------------------------
-- The application's tables, created the ordinary way.
-- sp_app: owned by the superuser. docs: every option of enable on one table.
CREATE SCHEMA sp_app;
GRANT USAGE ON SCHEMA sp_app TO regress_pgv_sp_writer, regress_pgv_sp_releaser;
CREATE TABLE sp_app.docs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ref          text NOT NULL,
  scope        text,                            -- a key column that is often NULL
  version      int NOT NULL DEFAULT 1,
  content_hash text,
  kind         text,
  content      jsonb,
  status       text,
  published_at timestamptz,
  published_by text,
  deleted_at   timestamptz,
  parent_id    bigint,
  views        int NOT NULL DEFAULT 0,
  change_type  text,
  major        int,
  minor        int,
  patch        int,
  pre          text
);
GRANT SELECT, INSERT, UPDATE ON sp_app.docs TO regress_pgv_sp_writer, regress_pgv_sp_releaser;
-- reviews: integer keys, multi-column content (text, json, bytea), a bytea hash, the review
-- lifecycle, check_version, dedup of the latest only with errors, no audit.
CREATE TABLE sp_app.reviews (
  id           serial PRIMARY KEY,
  tenant       smallint NOT NULL,
  ref          bigint NOT NULL,
  version      bigint,
  content_hash bytea,
  title        text,
  body         json,
  blob         bytea,
  status       text,
  parent_id    int
);
-- notes: one text content column, the publish preset, hard deletes.
CREATE TABLE sp_app.notes (
  id           int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  ref          uuid NOT NULL,
  version      int,
  content_hash text,
  body         text,
  status       text
);
-- jdocs: a json content column with kinds, a boolean status column, key columns of an enum
-- and of a domain (types named by schema).
CREATE TYPE sp_app.mood AS ENUM ('calm', 'busy');
CREATE DOMAIN sp_app.code AS text CHECK (VALUE ~ '^[a-z]+$');
CREATE TABLE sp_app.jdocs (
  id           bigserial PRIMARY KEY,
  code         sp_app.code NOT NULL,
  mood         sp_app.mood,
  version      int,
  content_hash text,
  kind         text,
  body         json,
  live         boolean,
  live_at      timestamp
);
-- bulk: no hash and no dedup, an application BEFORE INSERT trigger that fires after ours;
-- strict: kinds with require_schema.
CREATE TABLE sp_app.bulk (id int PRIMARY KEY, ref int NOT NULL, version int, body text, touched int DEFAULT 0);
CREATE FUNCTION sp_app.touch() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
  AS $f$ BEGIN NEW.touched := NEW.touched + 1; RETURN NEW; END $f$;
CREATE TRIGGER zzz_touch BEFORE INSERT ON sp_app.bulk FOR EACH ROW EXECUTE FUNCTION sp_app.touch();
CREATE TABLE sp_app.strict (id serial PRIMARY KEY, ref text NOT NULL, version int, content_hash text, kind text, content jsonb);
-- sp_own: owned by a plain role. items: a timestamptz key, a smallint version, a JSON
-- lifecycle of its own with an integer `by` stamp; cycles/decisions: carry-forward.
CREATE SCHEMA sp_own AUTHORIZATION regress_pgv_sp_owner;
GRANT USAGE ON SCHEMA sp_own TO regress_pgv_sp_writer;
SET ROLE regress_pgv_sp_owner;
CREATE TABLE sp_own.items (
  id        int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  code      text NOT NULL,
  day       timestamptz,
  ver       smallint,
  hash      text,
  body      text,
  phase     text,
  closed_at timestamptz,
  closed_by int
);
CREATE TABLE sp_own.cycles (
  cycle_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  report    int NOT NULL,
  version   int,
  content_hash text,
  notes     jsonb,
  status    text
);
CREATE TABLE sp_own.decisions (
  decision_id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  cycle_id      uuid NOT NULL REFERENCES sp_own.cycles,
  sample        int NOT NULL,
  verdict       varchar(20),
  from_cycle    uuid,
  from_decision uuid
);
GRANT SELECT, INSERT ON sp_own.items TO regress_pgv_sp_writer;
RESET ROLE;

------------------------------------------------------------------------------------------
-- From here on the traps come first.
SET search_path = sp_trap, pg_catalog;
SHOW search_path;

-- enable with every option, twice (the second call changes nothing), and config
SELECT versioning.enable('sp_app.docs', key => ARRAY['ref', 'scope'], content => ARRAY['content'],
    kind_column => 'kind', parent_column => 'parent_id', mutable => ARRAY['views'],
    deleted_column => 'deleted_at',
    lifecycle => '{"preset": "publish", "column": "status",
                   "stamps": {"published": {"at": "published_at", "by": "published_by"}}}',
    semver => '{"change_type": "change_type", "major": "major", "minor": "minor", "patch": "patch", "prerelease": "pre"}',
    audit => true);
SELECT versioning.enable('sp_app.docs', key => ARRAY['ref', 'scope'], content => ARRAY['content'],
    kind_column => 'kind', parent_column => 'parent_id', mutable => ARRAY['views'],
    deleted_column => 'deleted_at',
    lifecycle => '{"preset": "publish", "column": "status",
                   "stamps": {"published": {"at": "published_at", "by": "published_by"}}}',
    semver => '{"change_type": "change_type", "major": "major", "minor": "minor", "patch": "patch", "prerelease": "pre"}',
    audit => true);
SELECT versioning.config('sp_app.docs') OPERATOR(pg_catalog.-) 'lifecycle' AS config;
SELECT versioning.config('sp_app.docs') OPERATOR(pg_catalog.->) 'lifecycle' AS lifecycle;
SELECT versioning.enable('sp_app.reviews', key => ARRAY['tenant', 'ref'], content => ARRAY['title', 'body', 'blob'],
    lifecycle => 'review', check_version => true, dedup => 'latest', on_duplicate => 'error', audit => false,
    parent_column => 'parent_id');
SELECT versioning.enable('sp_app.notes', key => ARRAY['ref'], lifecycle => 'publish');
SELECT versioning.config('sp_app.notes') OPERATOR(pg_catalog.->) 'content' AS notes_content;
SELECT versioning.enable('sp_app.jdocs', key => ARRAY['code', 'mood'], content => ARRAY['body'], kind_column => 'kind',
    lifecycle => '{"column": "live", "initial": "false", "editable": ["false"],
                   "transitions": {"false": ["true"], "true": ["false"]}, "stamps": {"true": {"at": "live_at"}}}');
-- configuration errors
SELECT sp_util.try($$ SELECT versioning.enable('sp_app.notes', key => ARRAY['nope']) $$);
SELECT sp_util.try($$ SELECT versioning.enable('sp_app.notes', key => ARRAY['ref'], dedup => 'sometimes') $$);
SELECT sp_util.try($$ SELECT versioning.enable('sp_app.notes', key => ARRAY['ref'], deleted_column => 'body') $$);
SELECT sp_util.try($$ SELECT versioning.enable('pg_catalog.pg_class', key => ARRAY['relname']) $$);
SELECT sp_util.try($$ SELECT versioning.config('sp_trap.trap_calls') $$);

-- kinds
SELECT versioning.register_schema('sp_note', '{"type": "object", "required": ["title"],
    "properties": {"title": {"type": "string", "minLength": 2}}}') AS schema_version;
SELECT versioning.register_schema('sp_note', '{"required": ["title"], "type": "object",
    "properties": {"title": {"minLength": 2, "type": "string"}}}') AS same_again;
SELECT sp_util.try($$ SELECT versioning.register_schema('sp_note', '{"type": "strnig"}') $$);

-- canonical JSON and hashes
SELECT versioning.canonical('{"b": [1.0, "x"], "a": {"z": null, "y": 1e2}}') AS canonical,
       versioning.content_hash('{"b": [1.0, "x"], "a": {"z": null, "y": 1e2}}') AS hash;
SELECT versioning._canonical_text('{"b": [1.0, "x"], "a": {"z": null, "y": 1e2}}') AS canonical_text,
       versioning._content_hash_text('{"b": [1.0, "x"], "a": {"z": null, "y": 1e2}}') AS hash_text;

------------------------------------------------------------------------------------------
-- INSERT: one row, several rows (one a duplicate), INSERT … SELECT, COPY; NULL key columns.
INSERT INTO sp_app.docs (ref, kind, content) VALUES ('a', 'sp_note', '{"title": "one"}')
  RETURNING ref, scope, version, status, major, minor, patch, parent_id;
INSERT INTO sp_app.docs (ref, scope, kind, content, change_type) VALUES
  ('a', NULL, 'sp_note', '{"title": "two"}', 'minor'),
  ('a', NULL, 'sp_note', '{"title": "one"}', NULL),
  ('a', 's1', 'sp_note', '{"title": "one"}', NULL),
  ('b', NULL, NULL, '{"anything": true}', 'major')
  RETURNING ref, scope, version, major, minor, patch, parent_id;
INSERT INTO sp_app.docs (ref, kind, content, change_type)
  SELECT 'c', 'sp_note', pg_catalog.jsonb_build_object('title', pg_catalog.concat('title ', i)), 'patch'
    FROM pg_catalog.generate_series(1, 3) i
  RETURNING ref, version, parent_id;
COPY sp_app.docs (ref, scope, kind, content, change_type) FROM STDIN;
a	\N	sp_note	{"title": "three"}	patch
a	\N	sp_note	{"title": "two"}	\N
d	s2	\N	{"n": 1}	\N
d	s2	\N	{"n": 2}	major
\.
-- a kind's schema refuses content (23514, DETAIL per failing pointer), at INSERT and at COPY
SELECT sp_util.try($$ INSERT INTO sp_app.docs (ref, kind, content) VALUES ('a', 'sp_note', '{"title": 1}') $$);
SELECT sp_util.try($$ INSERT INTO sp_app.docs (ref, kind, content) VALUES ('e', 'sp_note', '{}'), ('e', 'sp_note', '{"title": "x"}') $$);
SELECT ref, scope, version, content, status, change_type, major, minor, patch, parent_id,
       content_hash OPERATOR(pg_catalog.=) versioning.content_hash(content) AS hash_ok
  FROM sp_app.docs ORDER BY ref, scope NULLS FIRST, version;

-- the same as an INSERT-only writer, and with lookup_method = spi
SET ROLE regress_pgv_sp_writer;
INSERT INTO sp_app.docs (ref, kind, content) VALUES ('a', 'sp_note', '{"title": "four"}'), ('a', 'sp_note', '{"title": "one"}')
  RETURNING ref, version;
RESET ROLE;
SET versioning.lookup_method = spi;
INSERT INTO sp_app.docs (ref, kind, content) VALUES ('a', 'sp_note', '{"title": "five"}'), ('a', 'sp_note', '{"title": "two"}')
  RETURNING ref, version;
INSERT INTO sp_app.docs (ref, scope, content) VALUES ('a', 's1', '{"title": "two"}'), ('f', NULL, '{"x": 1}')
  RETURNING ref, scope, version;
COPY sp_app.docs (ref, scope, content) FROM STDIN;
f	\N	{"x": 2}
f	\N	{"x": 1}
\.
RESET versioning.lookup_method;
SELECT ref, scope, pg_catalog.array_agg(version ORDER BY version) AS versions
  FROM sp_app.docs GROUP BY ref, scope ORDER BY ref, scope NULLS FIRST;

------------------------------------------------------------------------------------------
-- UPDATE: drafts edit (the hash, kind check and semver follow), transitions by UPDATE and by
-- versioning.transition (stamps), mutable columns of frozen versions, refusals.
UPDATE sp_app.docs SET content = '{"title": "one, edited"}'
 WHERE ref OPERATOR(pg_catalog.=) 'a' AND scope IS NULL AND version OPERATOR(pg_catalog.=) 1;
UPDATE sp_app.docs SET change_type = 'major'
 WHERE ref OPERATOR(pg_catalog.=) 'a' AND scope IS NULL AND version OPERATOR(pg_catalog.=) 2;
SELECT sp_util.try($$ UPDATE sp_app.docs SET content = '{"title": ""}'
 WHERE ref OPERATOR(pg_catalog.=) 'a' AND scope IS NULL AND version OPERATOR(pg_catalog.=) 1 $$);
BEGIN;
SET LOCAL versioning.actor = 'alice';
UPDATE sp_app.docs SET status = 'published'
 WHERE ref OPERATOR(pg_catalog.=) 'a' AND scope IS NULL AND version OPERATOR(pg_catalog.=) 1;
SELECT sp_util.show(versioning.transition('sp_app.docs', '{"ref": "a"}', 2, 'published')) AS transitioned;
SELECT sp_util.pick(versioning.transition('sp_app.docs', '{"ref": "a", "scope": "s1"}', 1, 'published'), 'version', 'status', 'published_by') AS transitioned;
COMMIT;
UPDATE sp_app.docs SET views = 10
 WHERE ref OPERATOR(pg_catalog.=) 'a' AND scope IS NULL AND version OPERATOR(pg_catalog.=) 1;
SELECT sp_util.try($$ UPDATE sp_app.docs SET content = '{"title": "changed"}'
 WHERE ref OPERATOR(pg_catalog.=) 'a' AND scope IS NULL AND version OPERATOR(pg_catalog.=) 1 $$);
SELECT sp_util.try($$ UPDATE sp_app.docs SET status = 'draft'
 WHERE ref OPERATOR(pg_catalog.=) 'a' AND scope IS NULL AND version OPERATOR(pg_catalog.=) 1 $$);
SELECT sp_util.try($$ UPDATE sp_app.docs SET version = 9
 WHERE ref OPERATOR(pg_catalog.=) 'a' AND scope IS NULL AND version OPERATOR(pg_catalog.=) 1 $$);
SELECT sp_util.try($$ SELECT versioning.transition('sp_app.docs', '{"ref": "a"}', 1, 'draft') $$);
SELECT sp_util.try($$ SELECT versioning.transition('sp_app.docs', '{"ref": "a"}', 99, 'published') $$);
SELECT sp_util.try($$ SELECT versioning.transition('sp_app.docs', '{"nope": "a"}', 1, 'published') $$);
SELECT sp_util.try($$ SELECT versioning.transition('sp_app.docs', '["a"]', 1, 'published') $$);
SELECT version, status, published_by, published_at IS NOT NULL AS stamped, views, major, minor, patch
  FROM sp_app.docs WHERE ref OPERATOR(pg_catalog.=) 'a' AND scope IS NULL ORDER BY version;

------------------------------------------------------------------------------------------
-- Reading: put, latest, get, history (every argument), as_of, diff, semver.
SELECT sp_util.show(versioning.put('sp_app.docs', '{"ref": "g", "kind": "sp_note", "content": {"title": "put"}}')) AS put;
SELECT sp_util.pick(versioning.put('sp_app.docs', '{"ref": "g", "kind": "sp_note", "content": {"title": "put"}}'), 'version') AS put_duplicate;
SELECT sp_util.pick(versioning.put('sp_app.docs', '{"ref": "g", "scope": "s", "content": {"n": 1.0}}'), 'ref', 'scope', 'version') AS put_scope;
SELECT sp_util.try($$ SELECT versioning.put('sp_app.docs', '{"ref": "g", "nope": 1}') $$);
SELECT sp_util.try($$ SELECT versioning.put('sp_app.docs', '{}') $$);
SELECT sp_util.try($$ SELECT versioning.put('sp_app.docs', '{"ref": "g", "kind": "sp_note", "content": {"title": 5}}') $$);
SELECT sp_util.show(versioning.latest('sp_app.docs', '{"ref": "a"}')) AS latest;
SELECT sp_util.pick(versioning.latest('sp_app.docs', '{"ref": "a"}', 'published'), 'version', 'status') AS latest_published,
       sp_util.pick(versioning.latest('sp_app.docs', '{"ref": "a", "scope": "s1"}'), 'version', 'scope') AS latest_s1,
       versioning.latest('sp_app.docs', '{"ref": "zzz"}') IS NULL AS unknown_is_null,
       versioning.latest('sp_app.docs', '{"ref": "a"}', 'archived') IS NULL AS none_archived;
SELECT sp_util.show(versioning.get('sp_app.docs', '{"ref": "a", "scope": null}', 2)) AS get_v2,
       versioning.get('sp_app.docs', '{"ref": "a"}', 99) IS NULL AS missing_is_null;
SELECT sp_util.try($$ SELECT versioning.latest('sp_app.docs', '{"ref": "a"}', 'nonsense') $$);
SELECT sp_util.pick(h, 'version', 'status') AS history FROM versioning.history('sp_app.docs', '{"ref": "a"}') h;
SELECT sp_util.pick(h, 'version') AS published FROM versioning.history('sp_app.docs', '{"ref": "a"}', 'published') h;
SELECT sp_util.pick(h, 'version') AS page
  FROM versioning.history('sp_app.docs', '{"ref": "a"}', state => NULL, include_deleted => true, lim => 2, "off" => 1) h;
SELECT sp_util.pick(h, 'version') AS drafts
  FROM versioning.history('sp_app.docs', '{"ref": "a"}', 'draft', false, 10, 0) h;
SELECT sp_util.try($$ SELECT versioning.history('sp_app.docs', '{"ref": "a"}', lim => -1) $$);
SELECT versioning.diff('sp_app.docs', '{"ref": "a"}', 1, 3) AS diff_1_3,
       versioning.diff('sp_app.docs', '{"ref": "d", "scope": "s2"}', 2, 1) AS diff_d;
SELECT sp_util.try($$ SELECT versioning.diff('sp_app.docs', '{"ref": "a"}', 1, 77) $$);
SELECT versioning.semver('sp_app.docs', '{"ref": "a"}', 1) AS v1, versioning.semver('sp_app.docs', '{"ref": "a"}', 2) AS v2,
       versioning.semver('sp_app.docs', '{"ref": "a"}', 3) AS v3, versioning.semver('sp_app.docs', '{"ref": "a"}', 99) AS v99;
SELECT sp_util.try($$ SELECT versioning.semver('sp_app.notes', '{"ref": "a"}', 1) $$);
SELECT sp_util.pick(versioning.as_of('sp_app.docs', '{"ref": "a"}', pg_catalog.clock_timestamp()), 'version') AS as_of_now,
       versioning.as_of('sp_app.docs', '{"ref": "a"}', '-infinity') IS NULL AS as_of_never,
       sp_util.pick(versioning.as_of('sp_app.docs', '{"ref": "d", "scope": "s2"}', 'infinity'), 'version') AS as_of_d;
SELECT sp_util.try($$ SELECT versioning.as_of('sp_app.reviews', '{"tenant": 1, "ref": 1}', pg_catalog.now()) $$);

------------------------------------------------------------------------------------------
-- Labels: set_label, label, protect_label.
SELECT versioning.set_label('sp_app.docs', '{"ref": "a"}', 'stable', 1);
SELECT versioning.set_label('sp_app.docs', '{"ref": "a"}', 'stable', 2);
SELECT versioning.label('sp_app.docs', '{"ref": "a"}', 'stable') AS stable,
       versioning.label('sp_app.docs', '{"ref": "a"}', 'latest') AS latest,
       versioning.label('sp_app.docs', '{"ref": "a"}', 'unknown') AS unknown,
       versioning.label('sp_app.docs', '{"ref": "a", "scope": "s1"}', 'latest') AS latest_s1;
SELECT sp_util.try($$ SELECT versioning.set_label('sp_app.docs', '{"ref": "a"}', 'stable', 3) $$);
SELECT sp_util.try($$ SELECT versioning.set_label('sp_app.docs', '{"ref": "a"}', 'latest', 1) $$);
SELECT versioning.protect_label('sp_app.docs', 'stable', 'regress_pgv_sp_releaser');
SET ROLE regress_pgv_sp_writer;
SELECT sp_util.try($$ SELECT versioning.set_label('sp_app.docs', '{"ref": "a"}', 'stable', 1) $$);
SELECT sp_util.try($$ SELECT versioning.protect_label('sp_app.docs', 'stable', 'regress_pgv_sp_writer') $$);
SELECT versioning.set_label('sp_app.docs', '{"ref": "a"}', 'beta', 1);
RESET ROLE;
SET ROLE regress_pgv_sp_releaser;
SELECT versioning.set_label('sp_app.docs', '{"ref": "a"}', 'stable', 1);
RESET ROLE;
SELECT table_name, key, label, version, set_by FROM versioning.labels
 WHERE table_name OPERATOR(pg_catalog.=) 'sp_app.docs' ORDER BY label;

------------------------------------------------------------------------------------------
-- revert, soft DELETE, purge.
SELECT sp_util.show(versioning.revert('sp_app.docs', '{"ref": "a"}', 1)) AS reverted;
SELECT sp_util.try($$ SELECT versioning.revert('sp_app.docs', '{"ref": "a"}', 99) $$);
DELETE FROM sp_app.docs WHERE ref OPERATOR(pg_catalog.=) 'a' AND scope IS NULL AND version OPERATOR(pg_catalog.=) 3;
DELETE FROM sp_app.docs WHERE ref OPERATOR(pg_catalog.=) 'c';
SELECT ref, version, deleted_at IS NOT NULL AS deleted FROM sp_app.docs
 WHERE ref OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'c']) AND scope IS NULL ORDER BY ref, version;
SELECT sp_util.pick(h, 'version') AS without_deleted FROM versioning.history('sp_app.docs', '{"ref": "a"}') h;
SELECT sp_util.pick(h, 'version') AS with_deleted FROM versioning.history('sp_app.docs', '{"ref": "a"}', include_deleted => true) h;
SELECT versioning.label('sp_app.docs', '{"ref": "c"}', 'latest') AS c_latest_after_delete;
SELECT sp_util.try($$ SELECT versioning.purge('sp_app.docs', '{"ref": "c"}', 1, reason => 'test') $$);
BEGIN;
SET LOCAL versioning.allow_purge = on;
SELECT sp_util.try($$ SELECT versioning.purge('sp_app.docs', '{"ref": "c"}', 1) $$);
SELECT versioning.purge('sp_app.docs', '{"ref": "c"}', 1, reason => 'erasure 1') AS purged_one;
SELECT versioning.purge('sp_app.docs', '{"ref": "c"}', reason => 'erasure 2') AS purged_all;
SELECT versioning.purge('sp_app.docs', '{"ref": "a", "scope": "s1"}', 2, 'erasure 3') AS purged_scoped;
COMMIT;
SELECT ref, scope, pg_catalog.array_agg(version ORDER BY version) AS versions
  FROM sp_app.docs WHERE ref OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'c']) GROUP BY ref, scope ORDER BY ref, scope NULLS FIRST;

------------------------------------------------------------------------------------------
-- Restore mode: supplied versions and hashes kept (verified), and what is missing computed.
SET versioning.restore = on;
INSERT INTO sp_app.docs (ref, version, content_hash, kind, content)
  VALUES ('r', 5, versioning.content_hash('{"title": "restored"}'), 'sp_note', '{"title": "restored"}')
  RETURNING ref, version, status;
COPY sp_app.docs (ref, version, content_hash, kind, content, status) FROM STDIN;
r	6	\N	sp_note	{"title": "x"}	published
r	\N	\N	\N	{"title": "restored"}	\N
\.
SELECT sp_util.try($$ INSERT INTO sp_app.docs (ref, version, content_hash, content)
  VALUES ('r', 9, versioning.content_hash('{"n": 1}'), '{"n": 2}') $$);
SELECT sp_util.try($$ INSERT INTO sp_app.docs (ref, version, content) VALUES ('r', 5, '{"n": 3}') $$);
SET versioning.lookup_method = spi;
INSERT INTO sp_app.docs (ref, version, content) VALUES ('r', 8, '{"n": 4}'), ('r', NULL, '{"n": 5}')
  RETURNING ref, version;
RESET versioning.lookup_method;
RESET versioning.restore;
SELECT ref, version, content, status, content_hash OPERATOR(pg_catalog.=) versioning.content_hash(content) AS hash_ok
  FROM sp_app.docs WHERE ref OPERATOR(pg_catalog.=) 'r' ORDER BY version;

------------------------------------------------------------------------------------------
-- reviews: integer keys, multi-column content, the review lifecycle, check_version, dedup of
-- the latest with errors.
INSERT INTO sp_app.reviews (tenant, ref, version, title, body, blob) VALUES
  (1, 10, 1, 'first', '{"a": [1, 2]}', '\x0102'),
  (1, 10, 2, 'second', '{"a": [1]}', NULL),
  (2, 10, NULL, 'first', '{"a": [1, 2]}', '\x0102')
  RETURNING tenant, ref, version, status, parent_id IS NOT NULL AS has_parent;
SELECT sp_util.try($$ INSERT INTO sp_app.reviews (tenant, ref, version, title) VALUES (1, 10, 7, 'x') $$);
SELECT sp_util.try($$ INSERT INTO sp_app.reviews (tenant, ref, title, body, blob) VALUES (1, 10, 'second', '{"a": [1]}', NULL) $$);
INSERT INTO sp_app.reviews (tenant, ref, title, body, blob) VALUES (1, 10, 'first', '{"a": [1, 2]}', '\x0102')
  RETURNING version;
SET versioning.lookup_method = spi;
INSERT INTO sp_app.reviews (tenant, ref, title) VALUES (1, 10, 'spi'), (3, 30, 'spi') RETURNING tenant, ref, version;
SELECT sp_util.try($$ INSERT INTO sp_app.reviews (tenant, ref, title) VALUES (1, 10, 'spi') $$);
RESET versioning.lookup_method;
UPDATE sp_app.reviews SET title = 'first, edited'
 WHERE tenant OPERATOR(pg_catalog.=) 1 AND ref OPERATOR(pg_catalog.=) 10 AND version OPERATOR(pg_catalog.=) 1;
UPDATE sp_app.reviews SET status = 'submitted'
 WHERE tenant OPERATOR(pg_catalog.=) 1 AND ref OPERATOR(pg_catalog.=) 10 AND version OPERATOR(pg_catalog.<=) 2;
UPDATE sp_app.reviews SET status = 'draft'
 WHERE tenant OPERATOR(pg_catalog.=) 1 AND ref OPERATOR(pg_catalog.=) 10 AND version OPERATOR(pg_catalog.=) 2;
SELECT sp_util.try($$ UPDATE sp_app.reviews SET title = 'back in draft'
 WHERE tenant OPERATOR(pg_catalog.=) 1 AND ref OPERATOR(pg_catalog.=) 10 AND version OPERATOR(pg_catalog.=) 2 $$);
SELECT sp_util.pick(versioning.transition('sp_app.reviews', '{"tenant": 1, "ref": 10}', 1, 'approved'), 'version', 'status') AS approved;
SELECT sp_util.try($$ SELECT versioning.transition('sp_app.reviews', '{"tenant": 1, "ref": 10}', 1, 'draft') $$);
SELECT table_name, key, version FROM versioning.left_editable
 WHERE table_name OPERATOR(pg_catalog.=) 'sp_app.reviews' ORDER BY version;
SELECT versioning.diff('sp_app.reviews', '{"tenant": 1, "ref": 10}', 1, 2) AS multi_column_diff;
SELECT sp_util.show(versioning.get('sp_app.reviews', '{"tenant": 1, "ref": 10}', 1)) AS get_review,
       sp_util.pick(versioning.latest('sp_app.reviews', '{"ref": 10, "tenant": 1}', 'approved'), 'version') AS latest_approved;
SELECT sp_util.pick(h, 'version', 'status') AS review_history FROM versioning.history('sp_app.reviews', '{"tenant": 1, "ref": 10}') h;
SELECT versioning.set_label('sp_app.reviews', '{"tenant": 1, "ref": 10}', 'ok', 1);
SELECT versioning.label('sp_app.reviews', '{"tenant": 1, "ref": 10}', 'ok') AS ok_label;
SELECT sp_util.pick(versioning.revert('sp_app.reviews', '{"tenant": 1, "ref": 10}', 1), 'version', 'title', 'status') AS reverted;
DELETE FROM sp_app.reviews WHERE tenant OPERATOR(pg_catalog.=) 3;
SELECT sp_util.try($$ DELETE FROM sp_app.reviews WHERE tenant OPERATOR(pg_catalog.=) 1 AND version OPERATOR(pg_catalog.=) 1 $$);
SELECT tenant, ref, version, title, body::pg_catalog.text, blob, status,
       content_hash OPERATOR(pg_catalog.=) pg_catalog.sha256(pg_catalog.convert_to(versioning.canonical(
         pg_catalog.jsonb_build_object('title', title, 'body', body, 'blob', blob)), 'UTF8')) AS hash_ok
  FROM sp_app.reviews ORDER BY tenant, ref, version;

BEGIN;
SET LOCAL versioning.allow_purge = on;
SELECT versioning.purge('sp_app.reviews', '{"tenant": 1, "ref": 10}', 2, 'purge a version that left draft') AS purged;
COMMIT;
SELECT pg_catalog.count(*) AS left_editable FROM versioning.left_editable
 WHERE table_name OPERATOR(pg_catalog.=) 'sp_app.reviews';

-- jdocs: json content checked against its kind, a boolean lifecycle, enum and domain keys
INSERT INTO sp_app.jdocs (code, mood, kind, body) VALUES
  ('abc', 'calm', 'sp_note', '{"title": "one", "n": 1.0}'), ('abc', 'calm', 'sp_note', '{"n": 1, "title": "one"}'),
  ('abc', NULL, 'sp_note', '{"title": "one"}'), ('abc', 'calm', NULL, '[1, 2]')
  RETURNING code, mood, version, live;
SELECT sp_util.try($$ INSERT INTO sp_app.jdocs (code, kind, body) VALUES ('abc', 'sp_note', '{"title": [1]}') $$);
UPDATE sp_app.jdocs SET live = true WHERE version OPERATOR(pg_catalog.=) 1 AND mood IS NOT NULL;
SELECT sp_util.try($$ UPDATE sp_app.jdocs SET body = '{}' WHERE version OPERATOR(pg_catalog.=) 1 AND mood IS NOT NULL $$);
SELECT sp_util.pick(versioning.transition('sp_app.jdocs', '{"code": "abc", "mood": "calm"}', 1, 'false'), 'version', 'live') AS unpublished,
       sp_util.pick(versioning.latest('sp_app.jdocs', '{"code": "abc", "mood": "calm"}', 'false'), 'version') AS latest_false,
       sp_util.pick(versioning.get('sp_app.jdocs', '{"code": "abc"}', 1), 'version', 'body') AS no_mood;
SELECT versioning.diff('sp_app.jdocs', '{"code": "abc", "mood": "calm"}', 1, 2) AS json_diff;
SELECT sp_util.pick(h, 'version', 'live') AS jdocs_history FROM versioning.history('sp_app.jdocs', '{"code": "abc", "mood": "calm"}', 'false') h;
SELECT versioning.set_label('sp_app.jdocs', '{"code": "abc", "mood": "calm"}', 'seen', 1);
SELECT sp_util.pick(versioning.revert('sp_app.jdocs', '{"code": "abc", "mood": "calm"}', 1), 'version', 'body', 'live') AS reverted;
SELECT sp_util.try($$ SELECT versioning.latest('sp_app.jdocs', '{"code": "ABC"}') $$);
SELECT sp_util.try($$ SELECT versioning.latest('sp_app.jdocs', '{"code": "abc", "mood": "sleepy"}') $$);

-- bulk: more keys in one transaction than versioning.key_lock_limit (the table is locked
-- instead), INSERT … ON CONFLICT, a trigger after ours; strict: require_schema
SELECT versioning.enable('sp_app.bulk', key => ARRAY['ref'], content => ARRAY['body'], hash_column => NULL, dedup => 'off');
INSERT INTO sp_app.bulk (id, ref, body)
  SELECT i, i OPERATOR(pg_catalog.%) 300, 'same' FROM pg_catalog.generate_series(1, 600) i;
INSERT INTO sp_app.bulk (id, ref, body) VALUES (1, 1, 'conflict'), (601, 1, 'new') ON CONFLICT (id) DO NOTHING;
SET versioning.lookup_method = spi;
INSERT INTO sp_app.bulk (id, ref, body) VALUES (602, 1, 'same'), (603, 1, 'same') ON CONFLICT DO NOTHING;
RESET versioning.lookup_method;
SELECT pg_catalog.count(*) AS rows, pg_catalog.max(version) AS max_version, pg_catalog.min(touched) AS touched,
       pg_catalog.count(DISTINCT ref) AS keys FROM sp_app.bulk;
SELECT version, body FROM sp_app.bulk WHERE ref OPERATOR(pg_catalog.=) 1 ORDER BY version;
SELECT versioning.enable('sp_app.strict', key => ARRAY['ref'], content => ARRAY['content'], kind_column => 'kind',
    require_schema => true);
SELECT sp_util.try($$ INSERT INTO sp_app.strict (ref, kind, content) VALUES ('s', 'sp_unregistered', '{}') $$);
SELECT sp_util.try($$ INSERT INTO sp_app.strict (ref, kind, content) VALUES ('s', NULL, '{}') $$);
INSERT INTO sp_app.strict (ref, kind, content) VALUES ('s', 'sp_note', '{"title": "ok"}') RETURNING version;

-- notes: a text content column, a uuid key, hard delete of the latest draft
INSERT INTO sp_app.notes (ref, body) VALUES
  ('00000000-0000-0000-0000-000000000001', 'hello'), ('00000000-0000-0000-0000-000000000001', 'hello world'),
  ('00000000-0000-0000-0000-000000000001', 'hello')
  RETURNING version, status;
SELECT versioning.diff('sp_app.notes', '{"ref": "00000000-0000-0000-0000-000000000001"}', 1, 2) AS text_diff;
SELECT sp_util.try($$ DELETE FROM sp_app.notes WHERE version OPERATOR(pg_catalog.=) 1 $$);
DELETE FROM sp_app.notes WHERE version OPERATOR(pg_catalog.=) 2;
INSERT INTO sp_app.notes (ref, body) VALUES ('00000000-0000-0000-0000-000000000001', 'again') RETURNING version;
SELECT sp_util.pick(versioning.latest('sp_app.notes', '{"ref": "00000000-0000-0000-0000-000000000001"}'), 'version', 'body') AS latest_note;
SELECT versioning.label('sp_app.notes', '{"ref": "00000000-0000-0000-0000-000000000001"}', 'latest') AS latest_note_label;

------------------------------------------------------------------------------------------
-- A plain (non-superuser) owner: enable, a JSON lifecycle with an integer `by` stamp, a
-- timestamptz key column, carry-forward and lineage, put, purge, restore, labels, kinds.
SET ROLE regress_pgv_sp_owner;
SHOW search_path;
SELECT versioning.enable('sp_own.items', key => ARRAY['code', 'day'], version_column => 'ver', hash_column => 'hash',
    content => ARRAY['body'],
    lifecycle => '{"column": "phase", "initial": "open", "insertable": ["open", "imported"], "editable": ["open"],
                   "transitions": {"open": ["closed"], "imported": ["closed"], "closed": ["open"]},
                   "stamps": {"closed": {"at": "closed_at", "by": "closed_by"}}}');
INSERT INTO sp_own.items (code, day, body) VALUES
  ('i', '2024-01-01 00:00+00', 'one'), ('i', '2024-01-01 00:00+00', 'two'), ('i', NULL, 'one'),
  ('i', 'infinity', 'one'), ('i', '2024-01-01 01:00+01', 'three')
  RETURNING code, day OPERATOR(pg_catalog.=) '2024-01-01 00:00+00' AS day_2024, ver, phase;
INSERT INTO sp_own.items (code, body, phase) VALUES ('j', 'imported', 'imported') RETURNING ver, phase;
SELECT sp_util.try($$ INSERT INTO sp_own.items (code, body, phase) VALUES ('j', 'x', 'closed') $$);
BEGIN;
SET LOCAL versioning.actor = '42';
UPDATE sp_own.items SET phase = 'closed' WHERE code OPERATOR(pg_catalog.=) 'i' AND day IS NULL;
SELECT sp_util.pick(versioning.transition('sp_own.items', '{"code": "i", "day": "2024-01-01T00:00:00+00:00"}', 1, 'closed'),
                    'ver', 'phase', 'closed_by') AS closed;
COMMIT;
BEGIN;
SET LOCAL versioning.actor = 'not a number';
SELECT sp_util.try($$ SELECT versioning.transition('sp_own.items', '{"code": "j"}', 1, 'closed') $$);
COMMIT;
UPDATE sp_own.items SET phase = 'open' WHERE code OPERATOR(pg_catalog.=) 'i' AND day IS NULL;
SELECT sp_util.try($$ UPDATE sp_own.items SET body = 'reopened' WHERE code OPERATOR(pg_catalog.=) 'i' AND day IS NULL $$);
UPDATE sp_own.items SET body = 'two, edited' WHERE code OPERATOR(pg_catalog.=) 'i' AND ver OPERATOR(pg_catalog.=) 2
   AND day OPERATOR(pg_catalog.=) '2024-01-01 00:00+00';
SELECT sp_util.try($$ DELETE FROM sp_own.items WHERE code OPERATOR(pg_catalog.=) 'i' AND ver OPERATOR(pg_catalog.=) 1
   AND day OPERATOR(pg_catalog.=) '2024-01-01 00:00+00' $$);
SELECT sp_util.try($$ DELETE FROM sp_own.items WHERE code OPERATOR(pg_catalog.=) 'i' AND ver OPERATOR(pg_catalog.=) 2
   AND day OPERATOR(pg_catalog.=) '2024-01-01 00:00+00' $$);
DELETE FROM sp_own.items WHERE code OPERATOR(pg_catalog.=) 'i' AND ver OPERATOR(pg_catalog.=) 3
   AND day OPERATOR(pg_catalog.=) '2024-01-01 00:00+00';
SELECT sp_util.pick(versioning.put('sp_own.items', '{"code": "i", "day": "2024-01-01T00:00:00Z", "body": "put"}'), 'ver', 'phase') AS put;
SELECT sp_util.pick(versioning.latest('sp_own.items', '{"code": "i", "day": "2024-01-01 02:00:00+02"}'), 'ver', 'body') AS latest,
       sp_util.pick(versioning.get('sp_own.items', '{"code": "i", "day": "infinity"}', 1), 'ver', 'body') AS get_infinity,
       sp_util.pick(versioning.as_of('sp_own.items', '{"code": "i"}', 'infinity'), 'ver', 'body') AS as_of_null_day;
SELECT sp_util.pick(h, 'ver', 'phase') AS history FROM versioning.history('sp_own.items', '{"code": "i", "day": "2024-01-01T00:00:00Z"}', 'open', true, 5, 0) h;
SELECT versioning.diff('sp_own.items', '{"code": "i", "day": "2024-01-01T00:00:00Z"}', 1, 2) AS diff;
SELECT versioning.set_label('sp_own.items', '{"code": "i", "day": "2024-01-01T00:00:00Z"}', 'first', 1);
SELECT versioning.protect_label('sp_own.items', 'first', 'regress_pgv_sp_owner');
SELECT versioning.label('sp_own.items', '{"code": "i", "day": "2024-01-01T00:00:00Z"}', 'first') AS first;
SELECT sp_util.pick(versioning.revert('sp_own.items', '{"code": "i", "day": "2024-01-01T00:00:00Z"}', 1), 'ver', 'body', 'phase') AS reverted;
BEGIN;
SET LOCAL versioning.allow_purge = on;
SELECT versioning.purge('sp_own.items', '{"code": "j"}', reason => 'owner purge') AS purged;
SELECT versioning.purge('sp_own.items', '{"code": "i"}', 1, reason => 'a version that left open') AS purged;
COMMIT;
SET versioning.restore = on;
INSERT INTO sp_own.items (code, ver, body, phase) VALUES ('k', 3, 'restored', 'closed') RETURNING ver, hash IS NOT NULL AS hashed;
RESET versioning.restore;
SELECT versioning.register_schema('sp_owned_kind', '{"type": "object"}') AS owned_kind;
RESET ROLE;
SELECT sp_util.try($$ SELECT versioning.register_schema('sp_owned_kind', '{"type": "array"}') $$);
SET ROLE regress_pgv_sp_writer;
SELECT sp_util.try($$ SELECT versioning.register_schema('sp_owned_kind', '{"type": "array"}') $$);
INSERT INTO sp_own.items (code, day, body) VALUES ('w', NULL, 'by the writer'), ('w', NULL, 'by the writer') RETURNING ver;
SET versioning.restore = on;
SELECT sp_util.try($$ INSERT INTO sp_own.items (code, ver, body) VALUES ('w', 5, 'restore by the writer') $$);
RESET versioning.restore;
SELECT sp_util.try($$ SELECT versioning.disable('sp_own.items') $$);
SELECT sp_util.try($$ SELECT versioning.enable('sp_own.items', key => ARRAY['code']) $$);
SELECT sp_util.try($$ SELECT versioning.enable_carry_forward('sp_own.decisions', parent => 'sp_own.cycles',
    parent_column => 'cycle_id', when_column => 'verdict', when_values => ARRAY['approved']) $$);
RESET ROLE;
SET ROLE regress_pgv_sp_owner;
SELECT code, day OPERATOR(pg_catalog.=) '2024-01-01 00:00+00' AS day_2024, ver, body, phase, closed_by
  FROM sp_own.items ORDER BY code, day NULLS FIRST, ver;

-- carry-forward: approved (and kept) decisions follow each new cycle version
SELECT versioning.enable('sp_own.cycles', key => ARRAY['report'], content => ARRAY['notes'], lifecycle => 'review');
SELECT versioning.enable_carry_forward('sp_own.decisions', parent => 'sp_own.cycles', parent_column => 'cycle_id',
    when_column => 'verdict', when_values => ARRAY['approved', 'kept'],
    from_parent_column => 'from_cycle', from_row_column => 'from_decision');
SELECT versioning.enable_carry_forward('sp_own.decisions', parent => 'sp_own.cycles', parent_column => 'cycle_id',
    when_column => 'verdict', when_values => ARRAY['approved', 'kept'],
    from_parent_column => 'from_cycle', from_row_column => 'from_decision');
SELECT sp_util.try($$ SELECT versioning.enable_carry_forward('sp_own.decisions', parent => 'sp_own.cycles',
    parent_column => 'nope', when_column => 'verdict', when_values => ARRAY['approved']) $$);
SELECT sp_util.try($$ SELECT versioning.enable_carry_forward('sp_own.decisions', parent => 'sp_own.items',
    parent_column => 'cycle_id', when_column => 'verdict', when_values => ARRAY['approved']) $$);
INSERT INTO sp_own.cycles (report, notes) VALUES (1, '{"round": 1}'), (2, '{"round": 1}');
INSERT INTO sp_own.decisions (cycle_id, sample, verdict)
  SELECT c.cycle_id, s, (ARRAY['approved', 'rejected', 'kept'])[s]
    FROM sp_own.cycles c, pg_catalog.generate_series(1, 3) s;
INSERT INTO sp_own.cycles (report, notes) VALUES (1, '{"round": 2}'), (2, '{"round": 2}');
SET versioning.lookup_method = spi;
INSERT INTO sp_own.cycles (report, notes) VALUES (1, '{"round": 3}');
RESET versioning.lookup_method;
SELECT c.report, c.version, d.sample, d.verdict,
       d.from_cycle OPERATOR(pg_catalog.=) (SELECT p.cycle_id FROM sp_own.cycles p
          WHERE p.report OPERATOR(pg_catalog.=) c.report AND p.version OPERATOR(pg_catalog.=) (c.version OPERATOR(pg_catalog.-) 1)) AS from_previous
  FROM sp_own.decisions d JOIN sp_own.cycles c ON c.cycle_id OPERATOR(pg_catalog.=) d.cycle_id
 ORDER BY c.report, c.version, d.sample;
SELECT pg_catalog.count(*) OPERATOR(pg_catalog.-) 1 AS depth, pg_catalog.array_agg(c.version ORDER BY x.ord) AS cycle_versions
  FROM versioning.lineage('sp_own.decisions',
         (SELECT d.decision_id FROM sp_own.decisions d JOIN sp_own.cycles c ON c.cycle_id OPERATOR(pg_catalog.=) d.cycle_id
           WHERE c.report OPERATOR(pg_catalog.=) 1 AND c.version OPERATOR(pg_catalog.=) 3 AND d.sample OPERATOR(pg_catalog.=) 1)) WITH ORDINALITY AS x(l, ord)
  JOIN sp_own.cycles c ON c.cycle_id OPERATOR(pg_catalog.=) (x.l OPERATOR(pg_catalog.->>) 'cycle_id')::pg_catalog.uuid;
SELECT sp_util.try($$ SELECT * FROM versioning.lineage('sp_own.cycles', 1) $$);
SELECT key, version, action, from_state, to_state, detail FROM sp_util.log('sp_own.cycles') ORDER BY key OPERATOR(pg_catalog.->>) 'report', version, action;
RESET ROLE;

------------------------------------------------------------------------------------------
-- The log of sp_app.docs as the extension wrote it (no trap may have changed a value).
SELECT key, version, action, from_state, to_state, actor OPERATOR(pg_catalog.=) session_user AS session_actor,
       CASE WHEN actor OPERATOR(pg_catalog.=) session_user THEN NULL ELSE actor END AS other_actor, detail
  FROM sp_util.log('sp_app.docs');

------------------------------------------------------------------------------------------
-- Current-version pointers, label history, retention, scheduled transitions.
CREATE TABLE sp_app.heads (ref pg_catalog.text NOT NULL, scope pg_catalog.text, published pg_catalog.int4, content pg_catalog.jsonb);
INSERT INTO sp_app.heads (ref, scope) VALUES ('a', NULL), ('a', 's1'), ('zz', NULL);
SELECT versioning.enable_current('sp_app.docs', 'sp_app.heads', match => '{"ref": "ref", "scope": "scope"}',
                                 set => '{"published": "version", "content": "content"}', state => 'published');
INSERT INTO sp_app.docs (ref, kind, content) VALUES ('a', 'sp_doc', '{"title": "pointer"}') RETURNING version;
SELECT ref, scope, published FROM sp_app.heads ORDER BY ref, scope;
SELECT sp_util.try($$ SELECT versioning.enable_current('sp_app.docs', 'sp_app.heads', match => '{"ref": "published"}', set => '{"content": "content"}') $$);
SELECT h OPERATOR(pg_catalog.-) 'at' AS move FROM versioning.label_history('sp_app.docs', '{"ref": "a"}', 'stable') AS h;
SELECT versioning.label('sp_app.docs', '{"ref": "a"}', 'stable', pg_catalog.now()) AS stable_now,
       versioning.label('sp_app.docs', '{"ref": "a"}', 'latest', pg_catalog.now()) IS NOT NULL AS latest_now;
SELECT versioning.set_retention('sp_app.docs', keep_last => 1, keep_for => '1 second', keep_states => ARRAY['archived']);
SELECT versioning.prune('sp_app.docs') OPERATOR(pg_catalog.>=) 0 AS pruned;
SELECT versioning.prune() OPERATOR(pg_catalog.>=) 0 AS pruned_all;
SELECT versioning.prune_log('100 years') AS log_records_removed;
SELECT versioning.set_retention('sp_app.docs');
SELECT versioning.schedule('sp_app.docs', '{"ref": "a"}', v, 'archived', pg_catalog.now()) OPERATOR(pg_catalog.>) 0 AS scheduled
  FROM (SELECT pg_catalog.max(version) AS v FROM sp_app.docs WHERE ref OPERATOR(pg_catalog.=) 'a' AND scope IS NULL
           AND status OPERATOR(pg_catalog.=) 'published') m;
SELECT versioning.run_due() AS applied;
SELECT state, outcome FROM versioning.scheduled WHERE table_name OPERATOR(pg_catalog.=) 'sp_app.docs';
SELECT versioning.unschedule(versioning.schedule('sp_app.docs', '{"ref": "a", "scope": "s1"}', 1, 'archived', 'infinity'));
SELECT versioning.disable_current('sp_app.docs', 'sp_app.heads');
DELETE FROM versioning.scheduled WHERE table_name OPERATOR(pg_catalog.=) 'sp_app.docs';

------------------------------------------------------------------------------------------
-- disable, and DROP TABLE (the event trigger forgets the tables).
SELECT versioning.disable('sp_app.notes');
SELECT sp_util.try($$ SELECT versioning.disable('sp_app.notes') $$);
SELECT sp_util.try($$ SELECT versioning.config('sp_app.notes') $$);
INSERT INTO sp_app.notes (ref, body) VALUES ('00000000-0000-0000-0000-000000000001', 'hello') RETURNING version;
SET ROLE regress_pgv_sp_owner;
SELECT versioning.disable('sp_own.cycles');
DROP TABLE sp_own.decisions;
DROP TABLE sp_own.items;
RESET ROLE;
DROP TABLE sp_app.reviews;
DROP TABLE sp_app.jdocs, sp_app.bulk, sp_app.strict;
SELECT pg_catalog.count(*) AS configured FROM versioning.tables
 WHERE table_name OPERATOR(pg_catalog.=) ANY (ARRAY['sp_own.items', 'sp_own.cycles', 'sp_app.reviews', 'sp_app.notes', 'sp_app.jdocs',
                                            'sp_app.bulk', 'sp_app.strict']);
SELECT (SELECT pg_catalog.count(*) FROM versioning.carry_forward WHERE child_table OPERATOR(pg_catalog.=) 'sp_own.decisions') AS rules,
       (SELECT pg_catalog.count(*) FROM versioning.labels WHERE table_name OPERATOR(pg_catalog.<>) 'sp_app.docs'
                                                            AND table_name OPERATOR(pg_catalog.~~) 'sp\_%') AS labels,
       (SELECT pg_catalog.count(*) FROM versioning.label_protections WHERE table_name OPERATOR(pg_catalog.<>) 'sp_app.docs'
                                                            AND table_name OPERATOR(pg_catalog.~~) 'sp\_%') AS protections,
       (SELECT pg_catalog.count(*) FROM versioning.left_editable WHERE table_name OPERATOR(pg_catalog.~~) 'sp\_%') AS left_editable;

------------------------------------------------------------------------------------------
-- No trap was reached.
SELECT what, ctx FROM sp_trap.trap_calls;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA sp_app CASCADE;
DROP SCHEMA sp_own CASCADE;
DROP SCHEMA sp_util CASCADE;
DROP SCHEMA sp_trap CASCADE;
DELETE FROM versioning.schemas WHERE kind LIKE 'sp\_%';
DROP ROLE regress_pgv_sp_owner, regress_pgv_sp_writer, regress_pgv_sp_releaser;
RESET client_min_messages;
\set VERBOSITY default
