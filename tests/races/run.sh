#!/usr/bin/env bash
# Races under load that an isolation spec cannot time (docs/concurrency.md, "Versions in
# flight"): pgbench runs inserts of new versions of one key against UPDATEs of that key's
# latest draft, at READ COMMITTED. Each UPDATE writes a second index entry for the same
# (key, version); an insert whose probe checked the two entries on either side of the
# UPDATE's commit used to see neither, number the version again and fail with a bare 23505
# (3–7 of 8 clients within 15 s). Now no client may fail, and the key's versions must be
# exactly 1..N afterwards. Run by `make races` against the throwaway cluster of scripts/pg.sh
# (which must be running).
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/pg.sh env)"
export PGHOST PGPORT PGUSER
unset PGOPTIONS
db=pgv_races
seconds=${PGV_RACE_SECONDS:-10}
work=target/races
rm -rf "$work"; mkdir -p "$work"
psql=("$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$db")

"$BINDIR/dropdb" --if-exists "$db"
"$BINDIR/createdb" "$db"
trap '"$BINDIR/dropdb" --if-exists "$db" >/dev/null 2>&1 || true' EXIT
"${psql[@]}" <<'SQL'
CREATE EXTENSION pg_versioning;
CREATE TABLE t (id bigserial PRIMARY KEY, ref text NOT NULL, version int, content_hash text,
                content jsonb NOT NULL, status text);
SELECT versioning.enable('t', key => ARRAY['ref'], content => ARRAY['content'], lifecycle => 'publish');
INSERT INTO t (ref, content) VALUES ('a', '{"n": 0}');
SQL
cat >"$work/ins.sql" <<'SQL'
\set n random(1, 1000000000000000)
INSERT INTO t (ref, content) VALUES ('a', jsonb_build_object('n', :n));
SQL
cat >"$work/edit.sql" <<'SQL'
\set n random(1, 1000000000000000)
UPDATE t SET content = jsonb_build_object('e', :n)
 WHERE ref = 'a' AND version = (SELECT max(version) FROM t WHERE ref = 'a');
SQL

passed=0 failed=0
check() { # check NAME COMMAND…
  local name=$1; shift
  if "$@"; then echo "PASS  $name"; passed=$((passed + 1)); else echo "FAIL  $name"; failed=$((failed + 1)); fi
}
bench_ok() {
  "$BINDIR/pgbench" -n -c 8 -j 2 -T "$seconds" -f "$work/ins.sql" -f "$work/edit.sql" "$db" \
    >"$work/pgbench.log" 2>&1 \
    && ! grep -q "aborted" "$work/pgbench.log" \
    || { grep -m 5 -i "error\|aborted" "$work/pgbench.log"; return 1; }
}
check "inserts racing edits of the latest draft: no client fails ($seconds s, 8 clients)" bench_ok
versions_dense() {
  [ "$("${psql[@]}" -At -c "SELECT count(*) = max(version) AND count(DISTINCT version) = count(*)
                             AND min(version) = 1 FROM t WHERE ref = 'a'")" = t ]
}
check "versions of the key are exactly 1..N" versions_dense
logged() {
  [ "$("${psql[@]}" -At -c "SELECT (SELECT count(*) FROM t) = (SELECT count(*) FROM versioning.log
                             WHERE table_name = 'public.t' AND action = 'create')")" = t ]
}
check "one creation record per stored version" logged
# --- bulk loads beside an open writer -------------------------------------------------------------
"${psql[@]}" <<'SQL'
CREATE TABLE bulk (id bigserial PRIMARY KEY, ref text NOT NULL, version int, content_hash text, content jsonb NOT NULL);
SELECT versioning.enable('bulk', key => ARRAY['ref']);
SQL
cat >"$work/others.sql" <<'SQL'
\set k random(1, 200)
INSERT INTO bulk (ref, content) VALUES ('other-' || :k, jsonb_build_object('n', random()));
SQL
fifo=$work/open-writer
mkfifo "$fifo"
# the open writer: inserts one row, then waits for a line on the FIFO before it commits
{ echo "BEGIN; INSERT INTO bulk (ref, content) VALUES ('open', '{\"n\": 1}');"; read -r _ <"$fifo"; echo "COMMIT;"; } |
  "${psql[@]}" -e >"$work/open-writer.log" 2>&1 &
writer=$!
sleep 1
"$BINDIR/pgbench" -n -c 4 -j 2 -T 15 -f "$work/others.sql" "$db" >"$work/others.log" 2>&1 &
others=$!
insert_load() {
  "${psql[@]}" -c "INSERT INTO bulk (ref, content) SELECT 'k-' || (g % 50000), jsonb_build_object('g', g)
                     FROM generate_series(1, 100000) g" >"$work/insert.log" 2>&1 || { head -n 5 "$work/insert.log"; return 1; }
}
copy_load() {
  seq 1 100000 | awk '{ printf "c-%d\t{\"g\": %d}\n", $1 % 50000, $1 }' |
    "${psql[@]}" -c "COPY bulk (ref, content) FROM STDIN" >"$work/copy.log" 2>&1 || { head -n 5 "$work/copy.log"; return 1; }
}
check "INSERT … SELECT of 100,000 rows over 50,000 keys beside an open writer commits" insert_load
check "COPY of 100,000 rows over 50,000 new keys beside an open writer commits" copy_load
echo >"$fifo"
wait "$writer" || true
wait "$others" || true
check "the open writer committed" grep -q "^COMMIT" "$work/open-writer.log"
check "the clients inserting other keys never failed" bash -c "! grep -qi 'aborted\|error' '$work/others.log'"
bulk_dense() {
  [ "$("${psql[@]}" -At -c "SELECT bool_and(n = mx AND mn = 1 AND n = d) FROM (SELECT count(*) n, max(version) mx,
                               min(version) mn, count(DISTINCT version) d FROM bulk GROUP BY ref) s")" = t ] &&
  [ "$("${psql[@]}" -At -c "SELECT count(*) FROM bulk WHERE ref LIKE 'k-%' OR ref LIKE 'c-%'")" = 200000 ]
}
check "every key's versions are 1..N; all 200,000 loaded rows are there" bulk_dense

# --- a transaction's memory past the key cache's bounds ---------------------------------------
# docs/operations.md, "What writing versions costs": what a transaction remembers about its keys
# (at most 65,536 keys, room for 1,048,576 content hashes) is bounded, so a load of any size
# reaches a plateau. One transaction inserts 1,300,000 versions over 10,000 keys (past the hash
# bound), then 600,000 more; its private memory (RssAnon) may grow by at most 6 MB over the
# second part. Unbounded, the knowledge grew by 21–52 bytes a version: 12–31 MB here.
memory_flat() {
  local out memory_kb
  out=$("${psql[@]}" -At <<'SQL'
SET client_min_messages = warning;
CREATE TABLE mem (ref text NOT NULL, version int, content_hash text, content jsonb NOT NULL);
SELECT versioning.enable('mem', key => ARRAY['ref']) IS NOT NULL AS enabled \gset
CREATE FUNCTION pg_temp.rss_kb() RETURNS bigint LANGUAGE sql
  AS $$ SELECT (regexp_match(pg_catalog.pg_read_file('/proc/self/status'), 'RssAnon:\s+(\d+)'))[1]::bigint $$;
BEGIN;
INSERT INTO mem (ref, content) SELECT 'k' || i % 10000, jsonb_build_object('n', i) FROM generate_series(1, 1300000) i;
SELECT pg_temp.rss_kb() AS plateau \gset
INSERT INTO mem (ref, content) SELECT 'k' || i % 10000, jsonb_build_object('n', i) FROM generate_series(1300001, 1900000) i;
SELECT :plateau || ' ' || pg_temp.rss_kb() || ' ' || (SELECT count(*) FROM mem);
COMMIT;
DROP TABLE mem;
SQL
  )
  read -r -a memory_kb <<<"$out"
  echo "  private memory after 1,300,000 versions: ${memory_kb[0]:-?} kB, after 1,900,000: ${memory_kb[1]:-?} kB"
  [ "${#memory_kb[@]}" = 3 ] && [ "${memory_kb[2]}" = 1900000 ] && [ $((memory_kb[1] - memory_kb[0])) -le 6144 ]
}
check "a transaction's memory stays flat past the key cache's bounds (1,900,000 versions)" memory_flat

echo "races: $passed passed, $failed failed"
[ "$failed" = 0 ]
