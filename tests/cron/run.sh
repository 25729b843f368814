#!/usr/bin/env bash
# Retention and scheduled transitions run by the real pg_cron (docs/operations.md, "Scheduled
# jobs"). Needs the installed extension and pg_cron for the major in use (Debian's
# postgresql-<major>-cron, which scripts/deps.sh installs for the Debian majors; the wheel majors
# have no pg_cron build: skipped there, saying so).
#
# A throwaway cluster of its own (port 55481, unix socket only: pg_cron's cron.host names the
# socket directory) with shared_preload_libraries = 'pg_cron'. A
# table with a retention policy (keep_last => 1) holds prunable versions, and a transition to
# 'published' is due. cron.schedule runs `SELECT versioning.prune()` and
# `SELECT versioning.run_due()` every minute, as the README shows; the test waits (at most two
# and a half minutes) until pg_cron has run both, then checks what they did.
#
# Checks print "PASS  …" / "FAIL  …"; the last line is "cron: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
major=$("$root/scripts/toolchain.sh" pg-major)
pg_config=$("$root/scripts/toolchain.sh" pg-config "$major")
bindir=$("$pg_config" --bindir)
if [ ! -f "$("$pg_config" --pkglibdir)/pg_cron.so" ]; then
  echo "cron: no pg_cron build for PostgreSQL $major (only Debian's majors have one); skipped"
  exit 0
fi
unset RUST_BACKTRACE RUST_LIB_BACKTRACE PGOPTIONS PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGTZ

base=/tmp/pgv-cron-$(id -u)-$(printf '%s' "$root" | md5sum | cut -c1-8)
port=55481
. ../checks.sh
as_server_user() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
q() { "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$base" -p "$port" -U postgres -d postgres "$@"; }
cleanup() {
  local status=$?
  [ -s "$base/data/PG_VERSION" ] && as_server_user "$bindir/pg_ctl" -D "$base/data" -m immediate -w -s stop >/dev/null 2>&1 || true
  if [ "$status" != 0 ] || [ "$failed" != 0 ]; then [ -f "$base/server.log" ] && tail -n 20 "$base/server.log"; fi
  rm -rf "$base"
  exit "$status"
}
trap cleanup EXIT

rm -rf "$base"; mkdir -p "$base"; [ "$(id -u)" = 0 ] && chown postgres "$base"
as_server_user "$bindir/initdb" -D "$base/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 \
  || { cat "$base/initdb.log"; exit 1; }
as_server_user "$bindir/pg_ctl" -D "$base/data" -l "$base/server.log" -w -s \
  -o "-p $port -k $base -c listen_addresses='' -c fsync=off -c shared_preload_libraries=pg_cron -c cron.database_name=postgres -c cron.host=$base" start

q >/dev/null <<'SQL'
CREATE EXTENSION pg_versioning;
CREATE EXTENSION pg_cron;
CREATE TABLE docs (ref text, version int, content_hash text, body text, status text);
SELECT versioning.enable('docs', key => ARRAY['ref'], content => ARRAY['body'], lifecycle => 'publish');
INSERT INTO docs (ref, body) SELECT 'a', 'v' || g FROM generate_series(1, 5) g;
UPDATE docs SET status = 'published';
INSERT INTO docs (ref, body) VALUES ('b', 'draft one');
SELECT versioning.set_retention('docs', keep_last => 1);
SELECT versioning.schedule('docs', '{"ref": "b"}', 1, 'published', now());
-- what the README shows
SELECT cron.schedule('versioning-prune', '* * * * *', 'SELECT versioning.prune()');
SELECT cron.schedule('versioning-run-due', '* * * * *', 'SELECT versioning.run_due()');
SQL
pass "pg_cron jobs scheduled: versioning.prune() and versioning.run_due() every minute"

ran=""
for _ in $(seq 150); do
  ran=$(q -c "SELECT count(DISTINCT j.jobname) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
               WHERE d.status IN ('succeeded', 'failed')")
  [ "$ran" = 2 ] && break
  sleep 1
done
check "pg_cron ran both jobs within two and a half minutes" "2" "$ran"
check "both runs succeeded" "succeeded succeeded" \
  "$(q -c "SELECT string_agg(d.status, ' ' ORDER BY j.jobname) FROM cron.job_run_details d JOIN cron.job j USING (jobid)")"
check "prune kept the latest version of 'a' only" "5" "$(q -c "SELECT string_agg(version::text, ',') FROM docs WHERE ref = 'a'")"
check "prune logged one record for key 'a' listing versions 1-4" '{"versions": [1, 2, 3, 4]}' \
  "$(q -c "SELECT detail FROM versioning.log WHERE table_name = 'public.docs' AND action = 'prune'")"
check "run_due published the due version" "published" "$(q -c "SELECT status FROM docs WHERE ref = 'b'")"
check "the scheduled transition is marked done" "done" "$(q -c "SELECT state FROM versioning.scheduled")"

printf 'cron: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
