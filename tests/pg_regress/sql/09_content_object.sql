-- Multi-column content hashes as the canonical JSON of {column: to_jsonb(value), …}, and the
-- audit log's key is the key as JSON. Text, integers and booleans are written without the
-- detour through jsonb: these rows check that the result is the same to the byte.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

CREATE TABLE co (
    id      bigserial PRIMARY KEY,
    k_text  text,
    k_int   bigint,
    "Ωmega" text,            -- names are sorted by UTF-16 code units in canonical JSON
    zeta    integer,
    "alpha" boolean,
    small   smallint,
    v       varchar(40),
    version integer,
    content_hash text
);
SELECT count(*) AS enabled FROM versioning.enable('co', key => ARRAY['k_text', 'k_int'],
    content => ARRAY['Ωmega', 'zeta', 'alpha', 'small', 'v']);

INSERT INTO co (k_text, k_int, "Ωmega", zeta, "alpha", small, v) VALUES
  ('plain', 1, 'hello', 1, true, 1, 'x'),
  (E'quote " backslash \\ slash /', -9223372036854775808, E'tab\there\nnewline\u0001ctl\u001f', -2147483648, false, -32768, E'\u007f del'),
  ('unicode é ü 中文', 9223372036854775807, E'emoji 😀 \u2028 sep', 2147483647, NULL, 32767, 'ünï'),
  ('nulls', NULL, NULL, NULL, NULL, NULL, NULL);

SELECT k_text, version,
       content_hash = encode(sha256(convert_to(versioning.canonical(jsonb_build_object(
           'Ωmega', "Ωmega", 'zeta', zeta, 'alpha', "alpha", 'small', small, 'v', v)), 'UTF8')), 'hex') AS hash_as_specified
  FROM co ORDER BY id;

SELECT l.key = jsonb_build_object('k_text', c.k_text, 'k_int', c.k_int) AS logged_key_matches
  FROM co c JOIN versioning.log l ON l.table_name = 'public.co' AND l.version = c.version
   AND l.key->>'k_text' = c.k_text
 ORDER BY c.id;

-- The same content again is a duplicate, whatever order the columns come in.
INSERT INTO co (v, small, "alpha", zeta, "Ωmega", k_int, k_text)
VALUES ('x', 1, true, 1, 'hello', 1, 'plain') RETURNING version;

DROP TABLE co;
