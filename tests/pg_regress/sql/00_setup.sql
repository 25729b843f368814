-- Runs first (the files run in name order, in one database): the extension and the helper
-- every later file uses.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- regress_util.try(sql) runs a statement and prints "ok", or the error's SQLSTATE, message,
-- DETAIL and HINT.
CREATE SCHEMA regress_util;
GRANT USAGE ON SCHEMA regress_util TO PUBLIC;
CREATE FUNCTION regress_util.try(sql text) RETURNS SETOF text LANGUAGE plpgsql AS $f$
DECLARE st text; msg text; det text; hnt text;
BEGIN
  EXECUTE sql;
  RETURN NEXT 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                          det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  RETURN NEXT 'ERROR ' || st || ': ' || msg;
  IF det <> '' THEN RETURN NEXT 'DETAIL: ' || det; END IF;
  IF hnt <> '' THEN RETURN NEXT 'HINT: ' || hnt; END IF;
END $f$;
