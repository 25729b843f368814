-- Scheduled transitions (docs/versioning.md, "Scheduled transitions"): schedule checks at once,
-- run_due applies what is due in time order as the role that scheduled it, marks what is no
-- longer allowed failed, and never applies one twice.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_versioning;
RESET client_min_messages;

CREATE TABLE st (ref text, version int, content_hash text, body text, status text,
                 published_at timestamptz, published_by text);
SELECT versioning.enable('st', key => ARRAY['ref'], content => ARRAY['body'],
  lifecycle => '{"preset": "publish", "stamps": {"published": {"at": "published_at", "by": "published_by"}}}');
INSERT INTO st (ref, body) VALUES ('p', 'one'), ('p', 'two'), ('q', 'one');
CREATE ROLE st_editor;
GRANT SELECT, UPDATE ON st TO st_editor;
GRANT st_editor TO CURRENT_USER;

-- checked at once
SELECT regress_util.try($$SELECT versioning.schedule('st', '{"ref": "p"}', 1, 'live', now())$$);
SELECT regress_util.try($$SELECT versioning.schedule('st', '{"ref": "p"}', 9, 'published', now())$$);
SELECT regress_util.try($$SELECT versioning.schedule('st', '{"ref": "p"}', 1, 'draft', now())$$);
SELECT regress_util.try($$SELECT versioning.schedule('st', '{"ref": "p"}', 1, 'published', NULL)$$);
CREATE TABLE st_plain (ref text, version int, content_hash text, body text);
SELECT versioning.enable('st_plain', key => ARRAY['ref'], content => ARRAY['body']);
SELECT regress_util.try($$SELECT versioning.schedule('st_plain', '{"ref": "p"}', 1, 'published', now())$$);
CREATE ROLE st_reader;
GRANT SELECT ON st TO st_reader;
SET ROLE st_reader;
SELECT regress_util.try($$SELECT versioning.schedule('st', '{"ref": "p"}', 1, 'published', now())$$);
RESET ROLE;

-- scheduled by st_editor: p v1 published then archived, p v2 published, q v1 published (later)
SET ROLE st_editor;
SELECT versioning.schedule('st', '{"ref": "p"}', 1, 'published', now() - interval '3 minutes') AS s1 \gset
SELECT versioning.schedule('st', '{"ref": "p"}', 1, 'archived', now() - interval '2 minutes') AS s2 \gset
SELECT versioning.schedule('st', '{"ref": "p"}', 2, 'archived', now() - interval '1 minute') AS s3 \gset
-- (s3: draft → archived is not allowed directly)
SELECT versioning.schedule('st', '{"ref": "q"}', 1, 'published', now() + interval '1 hour') AS s4 \gset
RESET ROLE;
-- s1 and s2 apply in time order; s3 fails when due (draft cannot go straight to archived)
SELECT id - :s1 + 1 AS n, table_name, key, version, to_state, scheduled_by, state FROM versioning.scheduled ORDER BY id;
SELECT versioning.run_due() AS applied;
SELECT id - :s1 + 1 AS n, to_state, state, outcome FROM versioning.scheduled ORDER BY id;
SELECT ref, version, status, published_by FROM st ORDER BY ref, version;
SELECT actor, key, version, from_state, to_state FROM versioning.log
 WHERE table_name = 'public.st' AND action = 'transition' ORDER BY at, version;
-- nothing is applied twice; the future one waits
SELECT versioning.run_due() AS applied_again;
-- unschedule: pending only, by the scheduler or the table's owner
SELECT regress_util.try(format('SELECT versioning.unschedule(%s)', :s1)) ~ '^ERROR 55000: scheduled transition [0-9]+ is done already$' AS refused_done;
SELECT versioning.unschedule(:s4);
SELECT count(*) AS left_pending FROM versioning.scheduled WHERE state = 'pending';
SELECT regress_util.try(format('SELECT versioning.unschedule(%s)', :s4)) ~ 'no scheduled transition' AS unscheduled_is_gone;
SELECT regress_util.try($$SELECT versioning.unschedule(NULL)$$);

-- the transition runs with the scheduler's privileges: revoked meanwhile, it fails
SET ROLE st_editor;
SELECT versioning.schedule('st', '{"ref": "p"}', 2, 'published', now() - interval '1 second') AS s5 \gset
RESET ROLE;
REVOKE UPDATE ON st FROM st_editor;
SELECT versioning.run_due() AS applied;
SELECT state, outcome FROM versioning.scheduled WHERE id = :s5;
-- a role that is not the scheduler's member leaves its transitions alone
GRANT UPDATE ON st TO st_editor;
SET ROLE st_editor;
SELECT versioning.schedule('st', '{"ref": "q"}', 1, 'published', now() - interval '1 second') AS s6 \gset
RESET ROLE;
SET ROLE st_reader;
SELECT versioning.run_due() AS applied_by_reader;
SELECT count(*) AS visible_to_reader FROM versioning.scheduled;
RESET ROLE;
SELECT versioning.run_due() AS applied;
SELECT ref, version, status, published_by FROM st WHERE ref = 'q';
DROP TABLE st, st_plain;
SELECT versioning.run_due() AS nothing_left;
REVOKE st_editor FROM CURRENT_USER;
DROP ROLE st_editor, st_reader;
DELETE FROM versioning.scheduled;
