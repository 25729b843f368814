#!/usr/bin/env bash
# Crash safety (docs/concurrency.md): versions, hashes, dedup and the log survive a crash of the
# server exactly as their transactions committed. Needs the installed extension but not the
# cluster of scripts/pg.sh: it creates a throwaway cluster of its own under /tmp (so that it also
# works when the checkout is in a directory the postgres user cannot enter) on port 55451, with
# unix sockets only, fsync=on and synchronous_commit=on (a crash test without them proves
# nothing), and removes it at the end.
#
# Two versioned tables: doc (dedup 'any', no lifecycle) and pub (lifecycle 'publish', a
# parent column). Three crash cycles, each:
#   1. 4 pgbench clients insert versions of ~50 keys of doc (random content from a small range,
#      so that dedup skips happen) and of 20 keys of pub (publishing some drafts in the same
#      transaction); meanwhile one psql session bulk-loads 200,000 rows of new keys
#      'bulk-<cycle>-<n>' into doc in a transaction it leaves open (pg_sleep). In cycles 1 and 2
#      they are 1000 versions each of 200 keys (fewer than versioning.key_lock_limit); in cycle 3
#      one version each of 200,000 keys: far past the limit, beside 4 busy clients, so the load
#      keeps at most the limit's key locks, releasing the oldest (docs/concurrency.md, "Bulk
#      loads"). doc's clients go on committing next to it in every cycle;
#   2. what is committed is copied out, then the server is killed: pg_ctl stop -m immediate;
#   3. after the restart (crash recovery): every version copied out before the crash is still
#      there; each key's versions are 1..N; versioning.verify finds nothing (and every stored
#      hash is recomputed); no key repeats a content; the bulk load left no row and no log
#      record; the creation records of versioning.log are exactly the (key, version) of the
#      rows, the transition records exactly the published versions; the btree indexes agree
#      with the heap (amcheck, when installed); numbering and dedup continue (max+1, then the
#      same content skipped; a bulk key starts at 1).
# The tables carry over from cycle to cycle, so the invariants accumulate.
#
# Checks print "PASS  …" / "FAIL  …"; the last line is "crash: N passed, M failed"; the exit
# status is non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
major=$("$root/scripts/toolchain.sh" pg-major)
bindir=$("$("$root/scripts/toolchain.sh" pg-config "$major")" --bindir)
unset RUST_BACKTRACE RUST_LIB_BACKTRACE PGOPTIONS PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGTZ

base=/tmp/pgv-crash-$(id -u)-$(printf '%s' "$root" | md5sum | cut -c1-8)
sock=$base/sock
data=$base/data
log=$base/server.log
port=55451
timeout=40
cycles=3
clients=4
bulk_rows=200000
bg_pids=()

as_server_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop_server() { # MODE
  if [ -s "$data/PG_VERSION" ]; then
    as_server_user "$bindir/pg_ctl" -D "$data" -m "$1" -w -s stop >/dev/null 2>&1 || true
  fi
}
start_server() {
  as_server_user "$bindir/pg_ctl" -D "$data" -l "$log" -w -s -t "$timeout" \
    -o "-p $port -k $sock -c listen_addresses='' -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c timezone=UTC -c max_connections=30" start
}

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS  %s\n' "$1"; }
fail() {
  failed=$((failed + 1)); printf 'FAIL  %s\n' "$1"; shift
  if [ $# -gt 0 ]; then printf '%s\n' "$@" | head -n 16 | sed 's/^/        /'; fi
}
# check NAME EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi; }
summarized=0
summary() {
  summarized=1
  printf 'crash: %d passed, %d failed\n' "$passed" "$failed"
}
abort() { fail "$@"; echo "aborting: the remaining checks need this step"; exit 1; }

cleanup() {
  local status=$? pid
  if [ "$status" != 0 ] && [ "$summarized" = 0 ]; then
    # stopped by abort or by an unexpected error (set -e): show the server's last words
    [ "$failed" = 0 ] && { echo "FAIL  stopped by an error (exit status $status), see above"; failed=1; }
    if [ -f "$log" ]; then
      echo "--- last lines of the server log ---"; tail -n 15 "$log"
    fi
    summary
  fi
  stop_server immediate
  for pid in "${bg_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  cd /
  rm -rf "$base"
  exit "$status"
}

# --- 0. a fresh cluster -------------------------------------------------------------------------
stop_server immediate   # left over from an interrupted run
rm -rf "$base"
mkdir -m 700 "$base"
[ "$(id -u)" = 0 ] && chown postgres "$base"
trap cleanup EXIT
cd "$base"
as_server_user mkdir "$sock"
as_server_user "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 \
  --locale=C.UTF-8 >"$base/initdb.log" 2>&1 || { cat "$base/initdb.log"; exit 1; }
as_server_user touch "$log"
start_server

# psql_ ARGS…: psql as the server user; SQL is fed on stdin or with -c
psql_() { as_server_user "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres -d postgres "$@"; }
# q SQL: one statement (or several in one transaction), unaligned tuples-only output;
# failures return non-zero with stderr
q() { psql_ -At -c "$1" 2>&1; }
# copy_out SQL FILE: the exact text of a query's rows (COPY format)
copy_out() { psql_ -c "COPY ($1) TO STDOUT" >"$2" 2>&1; }
# wait_for NAME SQL: polls until SQL returns t, at most $timeout seconds; aborts otherwise
wait_for() {
  local deadline=$((SECONDS + timeout)) out=""
  while :; do
    out=$(q "$2") || true
    if [ "$out" = t ]; then return 0; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      abort "$1 (timed out after $timeout s)" "last answer: $out" \
        "sessions: $(q "SELECT string_agg(concat_ws(' ', application_name, state, wait_event_type, wait_event, left(query, 60)), '; ')
                          FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()" || true)"
    fi
    sleep 0.2
  done
}

# --- 1. the schema ---------------------------------------------------------------------------------
psql_ >/dev/null <<'SQL'
CREATE EXTENSION pg_versioning;
CREATE TABLE doc (id bigserial PRIMARY KEY, ref text NOT NULL, version int, content_hash text,
                  content jsonb NOT NULL);
SELECT versioning.enable('doc', key => ARRAY['ref'], content => ARRAY['content'], dedup => 'any');
CREATE TABLE pub (id bigserial PRIMARY KEY, ref text NOT NULL, version int, content_hash text,
                  content jsonb NOT NULL, status text, parent_id bigint);
SELECT versioning.enable('pub', key => ARRAY['ref'], content => ARRAY['content'], dedup => 'any',
                         lifecycle => 'publish', parent_column => 'parent_id');
SQL
amcheck=$(q "SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'amcheck')")
[ "$amcheck" = t ] && q "CREATE EXTENSION amcheck" >/dev/null

# pgbench's scripts, in $base (the checkout may not be readable by the server's user)
cat >"$base/doc.sql" <<'SQL'
\set k random(1, 50)
\set c random(1, 200)
INSERT INTO doc (ref, content) VALUES ('k-' || :k, jsonb_build_object('n', :c, 'cycle', :cycle));
SQL
cat >"$base/pub.sql" <<'SQL'
\set k random(1, 20)
\set c random(1, 100)
BEGIN;
INSERT INTO pub (ref, content) VALUES ('p-' || :k, jsonb_build_object('n', :c, 'cycle', :cycle));
UPDATE pub SET status = 'published' WHERE ref = 'p-' || :k AND status = 'draft' AND :c % 3 = 0;
COMMIT;
SQL
chmod 644 "$base/doc.sql" "$base/pub.sql"

# invariants SQL for TABLE (doc or pub): each query answers 0 (or nothing) when healthy
gaps_sql() {
  echo "SELECT count(*) FROM (SELECT ref FROM $1 GROUP BY ref
           HAVING min(version) <> 1 OR max(version) <> count(*) OR count(DISTINCT version) <> count(*)
               OR count(version) <> count(*)) s"
}
dup_sql() { echo "SELECT count(*) FROM (SELECT FROM $1 GROUP BY ref, content_hash HAVING count(*) > 1) s"; }
rehash_sql() { echo "SELECT count(*) FROM $1 WHERE content_hash IS DISTINCT FROM versioning.content_hash(content)"; }
verify_sql() { echo "SELECT count(*) || coalesce(' ' || string_agg(p::text, ' ' ORDER BY p::text), '') FROM (SELECT p FROM versioning.verify('$1') p LIMIT 5) s"; }
# rows whose creation record is missing | creation records without their row
log_sql() {
  echo "WITH t AS (SELECT ref, version::bigint AS version FROM $1),
             l AS (SELECT key->>'ref' AS ref, version FROM versioning.log
                    WHERE table_name = 'public.$1' AND action = 'create')
        SELECT (SELECT count(*) FROM (TABLE t EXCEPT ALL TABLE l) a) || '|' ||
               (SELECT count(*) FROM (TABLE l EXCEPT ALL TABLE t) b) || '|' ||
               (SELECT count(*) FROM (SELECT FROM l GROUP BY ref, version HAVING count(*) > 1) r)"
}

total_rows() { q "SELECT (SELECT count(*) FROM doc) || ' ' || (SELECT count(*) FROM pub)"; }

# --- 2. the crash cycles ------------------------------------------------------------------------------
for cycle in $(seq 1 "$cycles"); do
  echo "--- cycle $cycle (at ${SECONDS}s)"
  read -r doc_before pub_before <<<"$(total_rows)"

  # writers: pgbench (runs until the crash ends it), then the bulk load
  as_server_user "$bindir/pgbench" -n -h "$sock" -p "$port" -U postgres -c "$clients" -j 2 -T 60 \
    -D cycle="$cycle" -f "$base/doc.sql@3" -f "$base/pub.sql@1" postgres \
    >"$base/pgbench-$cycle.log" 2>&1 &
  bench_pid=$!; bg_pids+=("$bench_pid")
  wait_for "cycle $cycle: pgbench committed versions of doc and pub" \
    "SELECT (SELECT count(*) FROM doc) > $doc_before + 100 AND (SELECT count(*) FROM pub) > $pub_before + 20"
  if [ "$cycle" -lt "$cycles" ]; then
    # 1000 versions each of 200 keys: fewer keys than versioning.key_lock_limit, so doc's
    bulk_ref="'bulk-$cycle-' || (g % 200 + 1)"
  else
    # one key per row: more keys than the shared lock table could hold as key locks
    bulk_ref="'bulk-$cycle-' || g"
  fi
  as_server_user env PGAPPNAME=pgv_bulk "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres -d postgres \
    >"$base/bulk-$cycle.log" 2>&1 <<SQL &
BEGIN;
INSERT INTO doc (ref, content)
SELECT $bulk_ref, jsonb_build_object('bulk', g) FROM generate_series(1, $bulk_rows) g;
SELECT pg_sleep(300);
COMMIT;
SQL
  bulk_pid=$!; bg_pids+=("$bulk_pid")
  doc_at_bulk=$(q "SELECT count(*) FROM doc")
  wait_for "cycle $cycle: the bulk load inserted its $bulk_rows rows and sleeps in its open transaction" \
    "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'pgv_bulk' AND state = 'active'
                      AND query LIKE '%pg_sleep%')"
  echo "    the bulk load sleeps (at ${SECONDS}s)"
  sleep 0.5
  bench_alive=$(kill -0 "$bench_pid" 2>/dev/null && echo yes || echo no)

  # what is committed now must survive; then the crash
  copy_out "SELECT 'doc', ref, version, content_hash FROM doc UNION ALL
            SELECT 'pub', ref, version, content_hash FROM pub UNION ALL
            SELECT 'pub published', ref, version, NULL FROM pub WHERE status = 'published' ORDER BY 1, 2, 3" "$base/before-$cycle"
  before_rows=$(wc -l <"$base/before-$cycle")
  doc_at_crash=$(grep -c '^doc	' "$base/before-$cycle" || true)
  log_lines=$(wc -l <"$log")
  as_server_user "$bindir/pg_ctl" -D "$data" -m immediate -w -s stop
  wait "$bench_pid" || true
  wait "$bulk_pid" || true
  bg_pids=()
  check "cycle $cycle: pgbench was still running at the crash" "yes" "$bench_alive"
  errors=$(grep -E 'ERROR|aborted in command' "$base/pgbench-$cycle.log" \
             | grep -v -E 'perhaps the backend died|terminating connection|server closed the connection|connection to server|no connection to the server|could not send data|unexpected EOF' || true)
  check "cycle $cycle: no pgbench client failed before the crash" "" "$errors"
  if [ "$doc_at_crash" -gt "$doc_at_bulk" ]; then
    pass "cycle $cycle: doc's clients committed versions next to the open bulk load ($doc_at_bulk → $doc_at_crash rows)"
  else
    fail "cycle $cycle: doc's clients committed versions next to the open bulk load" "$doc_at_bulk → $doc_at_crash rows"
  fi

  # crash recovery
  start_server
  echo "    recovered (at ${SECONDS}s)"
  recovery=$(tail -n +"$((log_lines + 1))" "$log" | grep -c -E 'automatic recovery in progress|redo done|redo starts' || true)
  if [ "$recovery" -ge 2 ]; then pass "cycle $cycle: the server restarted through crash recovery"
  else fail "cycle $cycle: the server restarted through crash recovery" "$(tail -n +"$((log_lines + 1))" "$log")"; fi

  read -r doc_after pub_after <<<"$(total_rows)"
  if [ "$doc_after" -gt "$doc_before" ] && [ "$pub_after" -gt "$pub_before" ]; then
    pass "cycle $cycle: versions were committed (doc $doc_before → $doc_after rows, pub $pub_before → $pub_after)"
  else
    fail "cycle $cycle: versions were committed" "doc $doc_before → $doc_after rows, pub $pub_before → $pub_after"
  fi
  copy_out "SELECT 'doc', ref, version, content_hash FROM doc UNION ALL
            SELECT 'pub', ref, version, content_hash FROM pub UNION ALL
            SELECT 'pub published', ref, version, NULL FROM pub WHERE status = 'published' ORDER BY 1, 2, 3" "$base/after-$cycle"
  lost=$(LC_ALL=C comm -23 <(LC_ALL=C sort "$base/before-$cycle") <(LC_ALL=C sort "$base/after-$cycle"))
  check "cycle $cycle: every version committed before the crash survived it ($before_rows rows)" "" "$lost"

  for t in doc pub; do
    check "cycle $cycle: $t: the versions of every key are exactly 1..N" "0" "$(q "$(gaps_sql $t)")"
    check "cycle $cycle: $t: versioning.verify finds no problem" "0" "$(q "$(verify_sql $t)")"
    check "cycle $cycle: $t: every stored hash is the hash of its content" "0" "$(q "$(rehash_sql $t)")"
    check "cycle $cycle: $t: no key repeats a content (dedup 'any')" "0" "$(q "$(dup_sql $t)")"
    check "cycle $cycle: $t: the log's creation records are the table's (key, version) (missing|extra|repeated)" "0|0|0" \
      "$(q "$(log_sql $t)")"
  done
  check "cycle $cycle: pub: the log's transitions to published are the published versions (missing|extra)" "0|0" \
    "$(q "WITH t AS (SELECT ref, version::bigint AS version FROM pub WHERE status = 'published'),
               l AS (SELECT key->>'ref' AS ref, version FROM versioning.log
                      WHERE table_name = 'public.pub' AND action = 'transition' AND to_state = 'published')
          SELECT (SELECT count(*) FROM (TABLE t EXCEPT ALL TABLE l) a) || '|' || (SELECT count(*) FROM (TABLE l EXCEPT ALL TABLE t) b)")"
  check "cycle $cycle: pub: every version is a draft or published, its parent the previous version" "0" \
    "$(q "SELECT count(*) FROM pub x WHERE status NOT IN ('draft', 'published')
             OR parent_id IS DISTINCT FROM (SELECT id FROM pub y WHERE y.ref = x.ref AND y.version = x.version - 1)")"
  check "cycle $cycle: the uncommitted bulk load left no row and no log record" "0|0" \
    "$(q "SELECT (SELECT count(*) FROM doc WHERE ref LIKE 'bulk-$cycle-%') || '|' ||
                 (SELECT count(*) FROM versioning.log WHERE key->>'ref' LIKE 'bulk-$cycle-%')")"
  if [ "$amcheck" = t ]; then
    check "cycle $cycle: amcheck: every btree index of doc, pub and versioning.log agrees with its heap" "" \
      "$(q "SELECT string_agg(c.relname::text, ' ') FILTER (WHERE NOT ok) FROM (
              SELECT i.indexrelid::regclass AS relname,
                     (SELECT true FROM bt_index_check(i.indexrelid, true)) AS ok
                FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
               WHERE a.amname = 'btree' AND i.indrelid IN ('doc'::regclass, 'pub'::regclass, 'versioning.log'::regclass)) c")"
  fi

  # numbering and dedup continue
  read -r key max <<<"$(q "SELECT ref, max(version) FROM doc WHERE ref LIKE 'k-%' GROUP BY ref ORDER BY count(*) DESC, ref LIMIT 1" | tr '|' ' ')"
  check "cycle $cycle: a new content of $key is version max+1" "$((max + 1))" \
    "$(q "INSERT INTO doc (ref, content) VALUES ('$key', '{\"after_crash\": $cycle}') RETURNING version")"
  rows=$(q "SELECT count(*) FROM doc")
  check "cycle $cycle: the same content again is skipped (no row returned, row count unchanged)" "|$rows" \
    "$(q "INSERT INTO doc (ref, content) VALUES ('$key', '{\"after_crash\": $cycle.0}') RETURNING version")|$(q "SELECT count(*) FROM doc")"
  check "cycle $cycle: an older content of $key is skipped too" "" \
    "$(q "INSERT INTO doc (ref, content) SELECT ref, content FROM doc WHERE ref = '$key' AND version = 1 RETURNING version")"
  check "cycle $cycle: a key of the rolled-back bulk load starts at version 1, logged" "1|1" \
    "$(q "INSERT INTO doc (ref, content) VALUES ('bulk-$cycle-1', '{\"bulk\": 1}') RETURNING version")|$(
       q "SELECT count(*) FROM versioning.log WHERE table_name = 'public.doc' AND key = '{\"ref\": \"bulk-$cycle-1\"}' AND action = 'create'")"
  read -r pkey pmax <<<"$(q "SELECT ref, max(version) FROM pub GROUP BY ref ORDER BY ref LIMIT 1" | tr '|' ' ')"
  check "cycle $cycle: pub: a new content of $pkey is draft version max+1, its parent the previous version" "$((pmax + 1)) draft true" \
    "$(q "INSERT INTO pub (ref, content) VALUES ('$pkey', '{\"after_crash\": $cycle}')
          RETURNING version || ' ' || status || ' ' || (parent_id = (SELECT id FROM pub WHERE ref = '$pkey' AND version = $pmax))")"
  check "cycle $cycle: pub: the same content again is skipped" "" \
    "$(q "INSERT INTO pub (ref, content) VALUES ('$pkey', '{\"after_crash\": $cycle}') RETURNING version")"
done

# --- 3. after all cycles ----------------------------------------------------------------------------
for t in doc pub; do
  check "end: $t: versioning.verify finds no problem" "0" "$(q "$(verify_sql $t)")"
  check "end: $t: the log's creation records are the table's (key, version) (missing|extra|repeated)" "0|0|0" "$(q "$(log_sql $t)")"
done
check "end: doc: of the bulk loads only the one row per cycle inserted after its crash remains" "$cycles" \
  "$(q "SELECT count(*) FROM doc WHERE ref LIKE 'bulk-%'")"

summary
[ "$failed" = 0 ]
