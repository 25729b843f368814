-- Label history (docs/versioning.md, "Labels"): which version a label pointed at, at a time,
-- and every move of it, from the log's records of label moves.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;
SET TimeZone = 'UTC';

CREATE TABLE lh (ref text, version int, content_hash text, body text);
SELECT versioning.enable('lh', key => ARRAY['ref'], content => ARRAY['body']);
INSERT INTO lh (ref, body) VALUES ('m', 'one'), ('m', 'two'), ('m', 'three');
SELECT versioning.set_label('lh', '{"ref": "m"}', 'Production', 1);
SELECT versioning.set_label('lh', '{"ref": "m"}', 'Production', 2);
SELECT versioning.set_label('lh', '{"ref": "m"}', 'Staging', 3);
SELECT versioning.set_label('lh', '{"ref": "m"}', 'Production', 3);
-- each move happened in its own transaction; spread them out as if a day apart: Production
-- → 1 on Jan 1, → 2 on Jan 2, Staging → 3 on Jan 3, Production → 3 on Jan 4
UPDATE versioning.log l SET at = timestamptz '2026-01-01 00:00+00' + ((n.k - 1) || ' days')::interval
  FROM (SELECT ctid, row_number() OVER (ORDER BY ctid) AS k FROM versioning.log
         WHERE table_name = 'public.lh' AND action = 'label') n
 WHERE l.ctid = n.ctid;
SELECT h ->> 'at' AS at, h ->> 'by' AS by, h -> 'from_version' AS from_version, h -> 'to_version' AS to_version
  FROM versioning.label_history('lh', '{"ref": "m"}', 'Production') AS h;
SELECT t AS at, versioning.label('lh', '{"ref": "m"}', 'Production', t) AS production
  FROM unnest(ARRAY['2025-12-31 00:00+00', '2026-01-02 12:00+00', '2026-01-03 00:00+00',
                    '2026-01-04 12:00+00', '2026-02-01 00:00+00']::timestamptz[]) AS t;
SELECT versioning.label('lh', '{"ref": "m"}', 'Staging', '2026-01-03 12:00+00') AS staging_then,
       versioning.label('lh', '{"ref": "m"}', 'Nope', now()) AS unknown_label,
       versioning.label('lh', '{"ref": "x"}', 'Production', now()) AS unknown_key,
       versioning.label('lh', '{"ref": "m"}', 'latest', now()) AS latest_now;
SELECT count(*) AS moves FROM versioning.label_history('lh', '{"ref": "m"}', 'Staging');
-- the log is visible to the table's owners; history to anyone who may read the table
CREATE ROLE lh_reader;
SET ROLE lh_reader;
SELECT regress_util.try($$SELECT versioning.label_history('lh', '{"ref": "m"}', 'Production')$$);
RESET ROLE;
GRANT SELECT ON lh TO lh_reader;
SET ROLE lh_reader;
SELECT count(*) AS moves_seen_by_reader FROM versioning.label_history('lh', '{"ref": "m"}', 'Production');
RESET ROLE;
SELECT regress_util.try($$SELECT versioning.label('lh', '{"nope": "m"}', 'Production', now())$$);
SELECT regress_util.try($$SELECT versioning.label('lh', '{"ref": "m"}', 'Production', NULL)$$);
DROP TABLE lh;
DROP ROLE lh_reader;
RESET TimeZone;
