-- versioning.canonical(jsonb) and versioning.content_hash(jsonb) (docs/versioning.md, "The content
-- hash"): RFC 8785 (JCS) canonical JSON, exact for numbers no double holds, and a = b (jsonb
-- equality) if and only if content_hash(a) = content_hash(b).
SET client_min_messages = warning;  -- quiet whether or not an earlier file created it
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

-- Objects: keys sorted, no whitespace.
SELECT versioning.canonical('{ "b": 1,  "a": {"d": [1, 2, {"z": null, "y": true}], "c": "x"} }');
-- content_hash is SHA-256 of the canonical text, lowercase hex.
SELECT versioning.content_hash('{"b": 1, "a": 2}') AS hash,
       versioning.content_hash('{"b": 1, "a": 2}') = encode(sha256(convert_to('{"a":2,"b":1}', 'UTF8')), 'hex') AS is_sha256,
       versioning.content_hash('{"a":2,"b":1}') = versioning.content_hash(E'{\n  "b" : 1 ,\n  "a" : 2\n}') AS whitespace_and_order_ignored;
-- Scalars at the top level are content too.
SELECT v AS input, versioning.canonical(v) AS canonical
  FROM (VALUES ('null'::jsonb, 1), ('true', 2), ('false', 3), ('"text"', 4), ('[]', 5), ('{}', 6), ('[ [ ], { } ]', 7)) AS t(v, o)
 ORDER BY o;

-- Numbers: one spelling per value. 1.0, 1, 1e0 and 10e-1 are all 1; ECMAScript form for
-- doubles (1e+21, 1e-7, …); exact decimals, never rounded, for numbers no double holds.
SELECT n AS input, versioning.canonical(n::jsonb) AS canonical
  FROM (VALUES (1, '1'), (2, '1.0'), (3, '1.000'), (4, '1e0'), (5, '10e-1'), (6, '0.1e1'), (7, '-0'), (8, '-0.0'),
               (9, '100'), (10, '1e2'), (11, '-1.50'), (12, '123e-2'), (13, '0.000001'), (14, '1e-7'),
               (15, '1e20'), (16, '1e21'), (17, '1.5e300'), (18, '1.7976931348623157e308'), (19, '5e-324'),
               (20, '0.30000000000000004'), (21, '9007199254740992'), (22, '9007199254740993'),
               (23, '0.1'), (24, '0.1000000000000000000001'),
               (25, '0.1000000000000000055511151231257827021181583404541015625'),
               (26, '333333333.33333329'), (27, '333333333.3333333'),
               (28, '1e400'), (29, '-1e400'), (30, '1e-400'), (31, '123456789012345678901234567890.5')
       ) AS t(o, n)
 ORDER BY o;
-- Numbers that are not doubles keep every digit, so they never share a hash with a
-- nearby double.
SELECT versioning.content_hash('0.1') = versioning.content_hash('0.1000000000000000000001') AS "0.1 ~ 0.1000000000000000000001",
       versioning.content_hash('1e400') = versioning.content_hash('1e401') AS "1e400 ~ 1e401",
       versioning.content_hash('1e400') = versioning.content_hash(('1' || repeat('0', 399) || '1')::jsonb) AS "1e400 ~ 1e400+1",
       versioning.content_hash('9007199254740992') = versioning.content_hash('9007199254740993') AS "2^53 ~ 2^53+1";
-- The double nearest 0.1 is exactly 0.1000000000000000055511151231257827021181583404541015625.
-- Written out in full it is a different jsonb number from 0.1, so it keeps its digits too
-- (printing it as "0.1" would give two different values one hash).
SELECT versioning.canonical('0.1000000000000000055511151231257827021181583404541015625') AS canonical,
       versioning.content_hash('0.1') = versioning.content_hash('0.1000000000000000055511151231257827021181583404541015625') AS "0.1 ~ exact double";

-- Strings: JCS escapes only ", \ and control characters (short forms \b \f \n \r \t where
-- they exist, else \u00xx lowercase); everything else, "/" and non-ASCII included, is literal UTF-8.
SELECT versioning.canonical(E'"\\u0001 \\b \\f \\n \\r \\t \\u001F \\u007f \\/ \\\\ \\" \\u00e9 \\u20AC \\ud83d\\ude00"') AS canonical;
SELECT versioning.canonical('"é"') = versioning.canonical('"\u00e9"') AS escape_is_the_same_string,
       versioning.content_hash('"é"') = versioning.content_hash('"e\u0301"') AS "precomposed ~ decomposed (no normalization)";

-- Keys sort by UTF-16 code units (RFC 8785 section 3.2.3): "😀" (U+1F600, surrogate D83D)
-- sorts before "דּ" (U+FB33), unlike code-point order. (psql shows the control character
-- U+0080 as \u0080 and DEL as \x7F; the canonical text holds them as literal UTF-8.)
SELECT versioning.canonical($${"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
                              "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
                              "\u00f6": "Latin Small Letter O With Diaeresis"}$$) AS rfc8785_sort_sample;
SELECT versioning.canonical($${"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
                              "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
                              "\u00f6": "Latin Small Letter O With Diaeresis"}$$)
       = '{"\r":"Carriage Return","1":"One","' || chr(128) || '":"Control","' || chr(246) || '":"Latin Small Letter O With Diaeresis",'
         || '"' || chr(8364) || '":"Euro Sign","' || chr(128512) || '":"Emoji: Grinning Face","' || chr(64307) || '":"Hebrew Letter Dalet With Dagesh"}'
       AS same_as_rfc8785;

-- The RFC 8785 section 3.2.2 sample. Its first number, 333333333.33333329, is not a double:
-- JCS would print the nearest double (333333333.3333333) and pg_versioning keeps the exact digits,
-- so two different jsonb numbers never share a hash. Written as a client's JSON library
-- writes that double, the sample canonicalizes exactly as in the RFC.
SELECT versioning.canonical($${
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}$$) AS rfc8785_sample_exact;
SELECT versioning.canonical($${
  "numbers": [333333333.3333333, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}$$) = $${"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}$$
  AS rfc8785_sample_as_a_client_writes_it;
SELECT versioning.content_hash($${"numbers": [333333333.3333333, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}$$) AS rfc8785_sample_hash;

-- STRICT: NULL in, NULL out.
SELECT versioning.canonical(NULL) IS NULL AS canonical_null, versioning.content_hash(NULL) IS NULL AS hash_null;

------------------------------------------------------------------------------------------
-- The invariant, checked over generated pairs.
-- pg_temp.gen(depth): a random jsonb value drawn from small pools (so that equal values
-- come up often) of tricky numbers, strings and keys.
CREATE FUNCTION pg_temp.pick(a text[]) RETURNS text LANGUAGE sql VOLATILE
  RETURN a[1 + floor(random() * array_length(a, 1))::int];
CREATE FUNCTION pg_temp.gen(depth int) RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $f$
DECLARE
  r float8 := random();
  n int;
  result jsonb;
  nums text[] := ARRAY['0', '-0', '1', '1.0', '2', '-1', '0.1', '0.1000000000000000000001',
                       '0.1000000000000000055511151231257827021181583404541015625', '0.2', '0.30000000000000004',
                       '1e21', '1e-7', '5e-324', '1e400', '1' || repeat('0', 399) || '1', '1e-400',
                       '333333333.33333329', '333333333.3333333', '9007199254740992', '9007199254740993',
                       '1.7976931348623157e308', '123.456', '-0.5'];
  strs text[] := ARRAY['', 'a', 'A', 'é', E'e\u0301', '😀', 'ﬁ', E'\n', '"', '\', '/', 'a b', '1', 'null', E'\u0080', E'\u2028'];
  keys text[] := ARRAY['a', 'b', 'A', 'é', '😀', 'ﬁ', E'\r', '1', ''];
BEGIN
  IF depth <= 0 OR r < 0.4 THEN
    r := random();
    IF r < 0.45 THEN RETURN pg_temp.pick(nums)::jsonb;
    ELSIF r < 0.85 THEN RETURN to_jsonb(pg_temp.pick(strs));
    ELSE RETURN pg_temp.pick(ARRAY['true', 'false', 'null'])::jsonb;
    END IF;
  END IF;
  n := floor(random() * 4)::int;
  IF r < 0.7 THEN
    result := '[]';
    FOR i IN 1 .. n LOOP result := result || jsonb_build_array(pg_temp.gen(depth - 1)); END LOOP;
  ELSE
    result := '{}';
    FOR i IN 1 .. n LOOP result := result || jsonb_build_object(pg_temp.pick(keys), pg_temp.gen(depth - 1)); END LOOP;
  END IF;
  RETURN result;
END $f$;

-- pg_temp.respell(v): another JSON text of the same value: keys shuffled, random whitespace,
-- numbers with trailing zeros or exponents, string characters written as \u escapes.
CREATE FUNCTION pg_temp.ws() RETURNS text LANGUAGE sql VOLATILE
  RETURN pg_temp.pick(ARRAY['', '', ' ', E'\n  ', E'\t', '   ']);
CREATE FUNCTION pg_temp.spell_number(n numeric) RETURNS text LANGUAGE plpgsql VOLATILE AS $f$
DECLARE r float8 := random(); k int := 1 + floor(random() * 4)::int; t text;
BEGIN
  IF r < 0.25 THEN RETURN n::text;
  ELSIF r < 0.5 THEN
    t := n::text;
    IF position('.' IN t) = 0 THEN t := t || '.'; END IF;
    RETURN t || repeat('0', k);                                              -- 1.5 -> 1.500
  ELSIF r < 0.75 THEN
    RETURN (n * ('1e' || k)::numeric)::text || pg_temp.pick(ARRAY['e-', 'E-']) || k;   -- 1.5 -> 150e-2
  ELSE
    RETURN (n * ('1e-' || k)::numeric)::text || pg_temp.pick(ARRAY['e', 'E+', 'e+']) || k;  -- 1.5 -> 0.015e2
  END IF;
END $f$;
CREATE FUNCTION pg_temp.spell_string(s text) RETURNS text LANGUAGE plpgsql VOLATILE AS $f$
DECLARE out text := '"'; c text; cp int; hex text;
BEGIN
  FOR i IN 1 .. length(s) LOOP
    c := substr(s, i, 1);
    cp := ascii(c);
    IF cp < 32 OR c IN ('"', '\') OR random() < 0.3 THEN
      IF cp > 65535 THEN
        hex := '\u' || lpad(to_hex(55296 + ((cp - 65536) >> 10)), 4, '0')
            || '\u' || lpad(to_hex(56320 + ((cp - 65536) & 1023)), 4, '0');
      ELSE
        hex := '\u' || lpad(to_hex(cp), 4, '0');
      END IF;
      out := out || CASE WHEN random() < 0.5 THEN upper(hex) ELSE hex END;
      out := replace(out, '\U', '\u');
    ELSIF c = '/' AND random() < 0.5 THEN
      out := out || '\/';
    ELSE
      out := out || c;
    END IF;
  END LOOP;
  RETURN out || '"';
END $f$;
CREATE FUNCTION pg_temp.respell(v jsonb) RETURNS text LANGUAGE plpgsql VOLATILE AS $f$
DECLARE out text;
BEGIN
  CASE jsonb_typeof(v)
    WHEN 'object' THEN
      SELECT string_agg(pg_temp.ws() || pg_temp.spell_string(key) || pg_temp.ws() || ':' || pg_temp.ws()
                        || pg_temp.respell(value) || pg_temp.ws(), ',' ORDER BY random())
        INTO out FROM jsonb_each(v);
      RETURN '{' || coalesce(out, pg_temp.ws()) || '}';
    WHEN 'array' THEN
      SELECT string_agg(pg_temp.ws() || pg_temp.respell(e) || pg_temp.ws(), ',' ORDER BY o)
        INTO out FROM jsonb_array_elements(v) WITH ORDINALITY AS t(e, o);
      RETURN '[' || coalesce(out, pg_temp.ws()) || ']';
    WHEN 'string' THEN RETURN pg_temp.spell_string(v #>> '{}');
    WHEN 'number' THEN RETURN pg_temp.spell_number((v #>> '{}')::numeric);
    ELSE RETURN v::text;
  END CASE;
END $f$;

-- 1500 deterministic values (fixed seed), each with a re-spelled twin.
SELECT setseed(0.2024);
CREATE TEMP TABLE gen AS SELECT i, pg_temp.gen(3) AS v FROM generate_series(1, 1500) AS i;
CREATE TEMP TABLE spelled AS
  SELECT i, v, t, t::jsonb AS w, versioning.content_hash(v) AS hv, versioning.content_hash(t::jsonb) AS hw
    FROM (SELECT i, v, pg_temp.respell(v) AS t FROM gen ORDER BY i) AS s;
-- Three of them, to see what the generator makes.
SELECT i, t AS respelled, versioning.canonical(w) AS canonical FROM spelled WHERE i IN (3, 7, 12) ORDER BY i;

-- Sanity of the generator: every twin parses back equal to its value, most are spelled
-- differently, and the canonical text is JSON that reads back as the same value.
SELECT count(*) AS values,
       count(*) FILTER (WHERE w = v) AS twins_equal,
       count(*) FILTER (WHERE t <> v::text) AS twins_spelled_differently,
       count(*) FILTER (WHERE versioning.canonical(v)::jsonb = v) AS canonical_reads_back,
       count(*) FILTER (WHERE hw = hv) AS twins_same_hash,
       count(DISTINCT v) AS distinct_values
  FROM spelled;

-- Every value against its own twin and the twins of the next 20 values: the number of
-- pairs where (a = b) and (content_hash(a) = content_hash(b)) disagree must be 0.
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE x.v = y.w) AS equal_pairs,
       count(*) FILTER (WHERE x.v <> y.w) AS unequal_pairs,
       count(*) FILTER (WHERE (x.v = y.w) IS DISTINCT FROM (x.hv = y.hw)) AS violations
  FROM spelled x JOIN spelled y ON y.i BETWEEN x.i AND x.i + 20;

-- And across all values: distinct jsonb values and distinct hashes are the same partition.
SELECT count(DISTINCT v) AS distinct_values, count(DISTINCT hv) AS distinct_hashes,
       count(DISTINCT (v, hv)) AS distinct_pairs
  FROM spelled;

------------------------------------------------------------------------------------------
-- The INSERT path and versioning.content_hash(jsonb) read a jsonb value's binary layout
-- directly (no printing and re-parsing); the text path (versioning._content_hash_text of the
-- value's text: parse, then canonicalize) is the reference. They must agree on every value:
-- the generated ones and their twins, and layouts the generator does not reach — containers
-- of more than 32 children (their JEntries switch between lengths and offsets), long and deep
-- values, numbers of every size and scale, scalars at the top.
CREATE TABLE layout (id int GENERATED ALWAYS AS IDENTITY, k int, version int, content_hash text, content jsonb);
SELECT versioning.enable('layout', key => ARRAY['k'], content => ARRAY['content'], dedup => 'off', audit => false);
INSERT INTO layout (k, content) SELECT i, v FROM spelled;
INSERT INTO layout (k, content) SELECT -i, w FROM spelled;
INSERT INTO layout (k, content) VALUES
  (0, (SELECT jsonb_agg(i) FROM generate_series(1, 100) i)),
  (0, (SELECT jsonb_agg(repeat('x', i)) FROM generate_series(1, 70) i)),
  (0, (SELECT jsonb_object_agg('k' || i, CASE i % 4 WHEN 0 THEN to_jsonb(i * 1.5) WHEN 1 THEN to_jsonb(repeat('é', i))
                                                  WHEN 2 THEN jsonb_build_array(i, jsonb_build_object('n', -i)) ELSE 'null' END)
         FROM generate_series(1, 150) i)),
  (0, (SELECT jsonb_object_agg(repeat('k', 70 - i), i) FROM generate_series(1, 69) i)),
  (0, (SELECT string_agg('[', '') || '1' || string_agg(']', '') FROM generate_series(1, 200))::jsonb),
  (0, (SELECT jsonb_agg(n) FROM (VALUES (0::numeric), (-0.000), (1e-30), (123456789012345678901234567890.000001),
                                        (-99999999.99999999), (10000), (0.0001), (1e131071), (-1e-16383), (7.10),
                                        (2::numeric ^ 200), (pi()::numeric), (1.000000000000000000000000000001)) AS t(n))),
  (0, '12.500'), (0, '"top"'), (0, 'true'), (0, 'null'), (0, '[]'), (0, '{}'),
  (0, to_jsonb(repeat('long string ', 100000))),
  (0, (SELECT jsonb_agg(jsonb_build_object('sample', i, 'note', repeat(chr(i + 64), i), 'score', i / 7.0)) FROM generate_series(1, 40) i));
-- values read from a table, where they are stored compressed
CREATE TEMP TABLE toasted AS
  SELECT i, jsonb_build_object('big', repeat('abc', 100000 + i), 'n', i) AS c FROM generate_series(1, 3) i;
SELECT bool_and(pg_column_size(c) < octet_length(c::text) / 10) AS stored_compressed FROM toasted;
INSERT INTO layout (k, content) SELECT 1000 + i, c FROM toasted;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE content_hash = versioning._content_hash_text(content::text)) AS same_hash_as_text_form,
       count(*) FILTER (WHERE content_hash = versioning.content_hash(content)) AS same_as_content_hash
  FROM layout;

-- Nesting beyond what the text path reads (10,000 levels): jsonb is hashed from its stored
-- form at any depth (INSERT and the SQL functions alike); what goes through the text (the
-- reference, a json content column, diff) refuses with 54000, never an internal error.
INSERT INTO layout (k, content) VALUES (2000, (repeat('[', 10001) || '1' || repeat(']', 10001))::jsonb)
RETURNING k, content_hash = versioning.content_hash(content) AS same_as_content_hash,
       length(versioning.canonical(content)) AS canonical_length;
SELECT regress_util.try($$ SELECT versioning._canonical_text(repeat('[', 10001) || '1' || repeat(']', 10001)) $$);
CREATE TABLE deep_json (id int GENERATED ALWAYS AS IDENTITY, k int, version int, content_hash text, content json);
SELECT versioning.enable('deep_json', key => ARRAY['k'], content => ARRAY['content']);
INSERT INTO deep_json (k, content) VALUES (1, (repeat('[', 10000) || '1' || repeat(']', 10000))::json)
RETURNING k, version;
SELECT regress_util.try($$ INSERT INTO deep_json (k, content) VALUES (1, (repeat('[', 10001) || '1' || repeat(']', 10001))::json) $$);
-- the same for a draft edited to such content
ALTER TABLE deep_json ADD COLUMN status text;
SELECT versioning.enable('deep_json', key => ARRAY['k'], content => ARRAY['content'], lifecycle => 'publish');
INSERT INTO deep_json (k, content) VALUES (2, '[]') RETURNING k, version, status;
SELECT regress_util.try($$ UPDATE deep_json SET content = (repeat('[', 10001) || '1' || repeat(']', 10001))::json WHERE k = 2 $$);
-- versioning.diff reads content through the text path too
INSERT INTO layout (k, content) VALUES (2000, (repeat('[', 10001) || '2' || repeat(']', 10001))::jsonb);
SELECT regress_util.try($$ SELECT versioning.diff('layout', '{"k": 2000}', 1, 2) $$);
DROP TABLE deep_json;

------------------------------------------------------------------------------------------
-- PostgreSQL's json type accepts a lone surrogate escape that canonical JSON (I-JSON) has no
-- form for: such content is refused with 22P02 naming table and key, and nothing is stored.
CREATE TABLE lone_surrogate (id serial PRIMARY KEY, k text, version int, content_hash text, c json);
SELECT versioning.enable('lone_surrogate', key => ARRAY['k'], content => ARRAY['c']);
SELECT regress_util.try($$ INSERT INTO lone_surrogate (k, c) VALUES ('a', '"\ud800"') $$);
SELECT regress_util.try($$ INSERT INTO lone_surrogate (k, c) VALUES ('a', '{"x": ["\udc00 low"]}') $$);
-- a proper pair is hashed as the character it encodes
INSERT INTO lone_surrogate (k, c) VALUES ('a', '"\ud83d\ude00"') RETURNING version, content_hash = versioning.content_hash('"😀"') AS same_hash;
SELECT count(*) FROM lone_surrogate;
DROP TABLE lone_surrogate;
