#!/usr/bin/env bash
# The pg_versioning benchmark (`make bench`, with the scripts/pg.sh cluster running).
# One run, one server, one fresh database (pgv_bench, bench/schema.sql); prints ratios:
#   bulk        100,000-row INSERT … SELECT over 1,000 keys, ~300-byte jsonb content, into
#               (a) a plain table (version and hash precomputed in the source: no extra work),
#               (b) the same table with a hand-written PL/pgSQL BEFORE INSERT trigger
#                   (advisory lock per key, EXISTS on (key, hash), max(version) + 1, sha256),
#               (c) pg_versioning with default options (audit on), (c') with audit => false;
#               and into the same table hash-partitioned 8 ways by the key: (d) plain,
#               (e) pg_versioning (audit on), whose ratio (e)/(d) is compared with (c)/(a);
#               and (f) the floor of an audited insert: (a) plus the same log records inserted
#               in the same statement by a plain INSERT into a table shaped and indexed like
#               versioning.log (what one indexed log record per version costs PostgreSQL).
#               Every table has the same columns and the same two indexes. Each run: TRUNCATE
#               (target and versioning.log), CHECKPOINT, then the statement in a new session,
#               after a rolled-back warm-up of 10 rows (library loaded, plans prepared: the
#               steady state of a pooled connection; the same for every variant).
#   single-row  pgbench (bench/pgbench_insert.sql), plain vs pg_versioning: same clients, same
#               duration, alternating; the ratio is of transactions per second (and the
#               floor (f): the plain insert and its log record in one statement). Also 2,000
#               single-row INSERT statements from one session (one transaction each).
#               (Each series also starts with 10 rolled-back warm-up statements.)
#   history     2,000 single-row INSERTs (one transaction each) into a definitions-style key
#               (reference, NULL, NULL) with 1,000,000 versions vs one with 10 (a fresh key per
#               round), through pg_versioning and, for reference, into a plain table with the
#               same rows and indexes: a long key range costs index maintenance in any table.
#   read/carry  versioning.history of that deep key vs the hand-written query; carry-forward
#               of 10,000 approved rows vs the hand-written INSERT … SELECT.
#   kinds       2,000 ~10 KB jsonb documents inserted in one statement with a kind whose JSON
#               Schema checks them vs a kind without a schema (same table): the difference per
#               row is the cost of validation (reading the document, checking it).
#   updates     a draft UPDATE of 20,000 rows through the triggers vs a plain UPDATE (hash
#               supplied); 2,000 refused UPDATEs of published versions vs 2,000 accepted ones,
#               and the same refused by a PL/pgSQL trigger's RAISE (what any refusal costs).
#   adoption    versioning.enable on a table of 1,000,000 rows over 10,000 keys without versions
#               or hashes vs the hand-written UPDATE … row_number() migration (see below); then
#               versioning.verify over them vs a query recomputing every row's hash (reported).
# Timing: the session that runs the work reads, right before and right after it, the server
# clock (clock_timestamp()) and its own backend's CPU time (bench_cpu_ns(): /proc/self/schedstat
# through pg_read_file, superuser only: this is the throwaway cluster). Wall time is what users see;
# backend CPU time is what the code costs, and stays meaningful when other work shares the
# machine (builds on a 2-core box). Variants alternate, the starting one rotating per round;
# medians over the rounds. Verdicts: bulk and history on backend CPU time, single-row on the
# pgbench tps ratio; wall-clock ratios are printed beside them.
# A benchmark, not a test: a MISS does not fail it; it exits non-zero only if something errors
# or a variant stores wrong rows.
#   copy        bench/copy.sh, run last: COPY of 1,000,000 rows over 10,000 keys in one
#               transaction, plain vs pg_versioning: time and the backend's peak memory.
# Knobs (environment): BENCH_ROUNDS (5), BENCH_PGBENCH_ROUNDS (5), BENCH_PGBENCH_SECONDS (5),
# BENCH_PGBENCH_CLIENTS (2), BENCH_SINGLE_INSERTS (2000), BENCH_HISTORY_VERSIONS (1000000),
# BENCH_KIND_ROUNDS (9), BENCH_ADOPT_ROWS (1000000), BENCH_ADOPT_ROUNDS (3), BENCH_COPY_ROWS
# (1000000), BENCH_COPY_KEYS (rows / 100), BENCH_COPY_ROUNDS (3); BENCH_KEEP=1 keeps the
# database.
set -euo pipefail
cd "$(dirname "$0")"
eval "$(../scripts/pg.sh env)"
# PGV_HOST (with PGV_PORT, which scripts/pg.sh honours) points the script at another server
# built from the same PostgreSQL, e.g. a private cluster while others use the shared one.
PGHOST=${PGV_HOST:-$PGHOST}
export PGHOST PGPORT PGUSER
unset PGOPTIONS PGDATABASE
export PATH="$BINDIR:$PATH"

db=pgv_bench
rounds=${BENCH_ROUNDS:-5}
pgb_rounds=${BENCH_PGBENCH_ROUNDS:-5}
pgb_seconds=${BENCH_PGBENCH_SECONDS:-5}
pgb_clients=${BENCH_PGBENCH_CLIENTS:-2}
single_n=${BENCH_SINGLE_INSERTS:-2000}
kind_rounds=${BENCH_KIND_ROUNDS:-9}
rows=100000
hist_versions=${BENCH_HISTORY_VERSIONS:-1000000}
work=$(mktemp -d /tmp/pgv_bench.XXXXXX)
errors=0

cleanup() {
  local status=$?
  [ "${BENCH_KEEP:-0}" = 1 ] || dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

. ./lib.sh

# what brackets the timed work: a psql line setting t0/c0 before, an expression "wall_ms|cpu_ms" after
# (CPU falls back to wall-clock time where bench_cpu_ns() cannot read the backend's CPU time)
timer_start="SELECT pg_catalog.clock_timestamp() AS t0, coalesce(public.bench_cpu_ns(), -1) AS c0 \\gset"
timer_stop="round(extract(epoch FROM pg_catalog.clock_timestamp() - :'t0'::timestamptz) * 1000, 1) || '|'
       || CASE WHEN :'c0'::numeric < 0 THEN round(extract(epoch FROM pg_catalog.clock_timestamp() - :'t0'::timestamptz) * 1000, 1)
               ELSE round((public.bench_cpu_ns() - :'c0'::numeric) / 1e6, 1) END"

# --- setup -----------------------------------------------------------------------------------
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
dropdb --if-exists --force "$db" >/dev/null 2>&1
createdb "$db"
psql_ -v hist_versions="$hist_versions" -f schema.sql >/dev/null
# no autovacuum worker competing with the timed statements
psql_ -c "DO \$\$ DECLARE t text; BEGIN
            FOREACH t IN ARRAY ARRAY['t_plain', 't_plpgsql', 't_pgv', 't_pgv_noaudit', 'pb_plain', 'pb_pgv', 't_hist', 't_hist_plain', 't_kind', 'versioning.log', 'log_plain'] LOOP
              EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = off)', t);
            END LOOP; END \$\$"
indexes=$(psql_ -At -c "SELECT string_agg(c.relname || ':' || (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid), ' ' ORDER BY c.relname)
                          FROM pg_class c WHERE c.relname IN ('t_plain', 't_plpgsql', 't_pgv', 't_pgv_noaudit', 't_plain_parted', 't_pgv_parted', 'pb_plain', 'pb_pgv')")
[ "$indexes" = "pb_pgv:2 pb_plain:2 t_pgv:2 t_pgv_noaudit:2 t_pgv_parted:2 t_plain:2 t_plain_parted:2 t_plpgsql:2" ] \
  || wrong "the bench tables do not all have exactly the same two indexes: $indexes"
IFS='|' read -r server extversion content_bytes < <(psql_ -At -F'|' -c \
  "SELECT split_part(current_setting('server_version'), ' ', 1), (SELECT extversion FROM pg_extension WHERE extname = 'pg_versioning'),
          round(avg(length(content::text))) FROM src")
commit=$(git -C .. rev-parse --short HEAD 2>/dev/null || echo '?')
cpu_note=""
[ "$(psql_ -At -c "SELECT public.bench_cpu_ns() IS NOT NULL")" = t ] \
  || cpu_note=" (backend CPU time unreadable here: the CPU columns repeat wall-clock time)"

# --- bulk ------------------------------------------------------------------------------------
variants=(plain plain_log plpgsql pgv pgv_noaudit plain_parted pgv_parted)
# their labels, statements and target tables: bench/lib.sh
declare -A wall=() cpu=()
# prints "wall ms|cpu ms|rows|distinct (key, version)|max version|NULL hashes|log rows"
bulk_run() {
  local table=${target_table[$1]} sql=${statement[$1]}
  psql_ -At <<SQL
TRUNCATE $table, versioning.log, log_plain;
CHECKPOINT;
BEGIN;
$(with_sources "$sql" "(TABLE src LIMIT 10) s" "(TABLE src_log LIMIT 10) l");
ROLLBACK;
$timer_start
$(with_sources "$sql" src src_log);
SELECT $timer_stop AS timing \gset
SELECT :'timing' || '|' || count(*) || '|' || count(DISTINCT (reference, version)) || '|' || max(version) || '|'
       || count(*) FILTER (WHERE content_hash IS NULL) || '|'
       || (SELECT count(*) FROM versioning.log) + (SELECT count(*) FROM log_plain)
  FROM $table;
SQL
}
for ((r = 0; r < rounds; r++)); do
  for ((i = 0; i < ${#variants[@]}; i++)); do
    v=${variants[$(((i + r) % ${#variants[@]}))]}
    IFS='|' read -r ms cms n distinct maxv nullhash logrows < <(bulk_run "$v")
    want_log=0; case $v in pgv | pgv_parted | plain_log) want_log=$rows ;; esac
    if [ "$n|$distinct|$maxv|$nullhash|$logrows" != "$rows|$rows|100|0|$want_log" ]; then
      wrong "${label[$v]} stored rows|distinct versions|max version|NULL hashes|log rows = $n|$distinct|$maxv|$nullhash|$logrows, expected $rows|$rows|100|0|$want_log"
    fi
    wall[$v]="${wall[$v]:-} $ms"
    cpu[$v]="${cpu[$v]:-} $cms"
  done
done

# --- single-row: pgbench ---------------------------------------------------------------------
declare -A tps=()
random_hash="lpad(to_hex((:h1)::bigint), 16, '0') || lpad(to_hex((:h2)::bigint), 16, '0') || lpad(to_hex((:h3)::bigint), 16, '0') || lpad(to_hex((:h4)::bigint), 16, '0'),"
sed -e "s/@TABLE@/pb_plain/" -e "s/@HASH_COLUMN@/content_hash, /" -e "s/@HASH_VALUE@/$random_hash/" pgbench_insert.sql >"$work/pb_plain.pgbench"
sed -e "s/@TABLE@/pb_pgv/" -e "s/@HASH_COLUMN@//" -e "s/@HASH_VALUE@//" pgbench_insert.sql >"$work/pb_pgv.pgbench"
# (f) the plain insert and its log record in one statement: the floor of an audited insert
{
  sed -e 's/^INSERT INTO pb_plain/WITH plain AS (INSERT INTO pb_plain/' -e '$ s/;$//' "$work/pb_plain.pgbench"
  echo ") INSERT INTO log_plain (actor, table_name, key, version, action)
  VALUES (current_user, 'public.pb_plain', jsonb_build_object('reference', 'ref-' || lpad((:k)::int::text, 4, '0')), (:rev)::int, 'create');"
} >"$work/pb_plain_log.pgbench"
pgb_variants=(pb_plain pb_pgv pb_plain_log)
for ((r = 0; r < pgb_rounds; r++)); do
  for ((i = 0; i < ${#pgb_variants[@]}; i++)); do
    v=${pgb_variants[$(((i + r) % ${#pgb_variants[@]}))]}
    psql_ -c "TRUNCATE ${v%_log}, versioning.log, log_plain" -c "CHECKPOINT"
    pgbench -n -M prepared -c "$pgb_clients" -j "$pgb_clients" -T "$pgb_seconds" -f "$work/$v.pgbench" "$db" >"$work/pgbench.out" 2>&1 \
      || { cat "$work/pgbench.out"; exit 1; }
    t=$(awk '/^tps = / {print $3}' "$work/pgbench.out")
    [ -n "$t" ] || { cat "$work/pgbench.out"; exit 1; }
    tps[$v]="${tps[$v]:-} $t"
  done
  bad=$(psql_ -At -c "SELECT count(*) FROM (SELECT FROM pb_pgv GROUP BY reference HAVING max(version) <> count(*) OR min(version) <> 1) k")
  [ "$bad" = 0 ] || wrong "pgbench: $bad keys of pb_pgv do not have versions exactly 1..N"
done

# --- single-row statements from one session (one transaction each) -----------------------------
# series FILE [nocheckpoint]: runs FILE's statements in one session; prints "wall ms|cpu ms"
series() {
  head -n 10 "$1" >"$work/warmup.sql"
  psql_ -At <<SQL
$([ "${2:-}" = nocheckpoint ] || echo "CHECKPOINT;")
BEGIN;
\\i $work/warmup.sql
ROLLBACK;
$timer_start
\\i $1
SELECT $timer_stop;
SQL
}
# statements: N inserts of distinct ~300-byte contents into random ones of 1,000 keys; the
# plain table's statements also carry a random 64-hex-digit hash (as with pgbench above)
single_file() { # TABLE WITH_HASH(0|1) FILE
  awk -v n="$single_n" -v table="$1" -v with_hash="$2" 'BEGIN {
    srand(42)
    for (i = 1; i <= n; i++) {
      k = int(rand() * 1000)
      h = ""; for (j = 0; j < 64; j++) h = h substr("0123456789abcdef", 1 + int(rand() * 16), 1)
      printf "INSERT INTO %s (reference, %scontent) VALUES (%cref-%04d%c, %s%c{\"name\": \"Definition %d\", \"kind\": \"task\", \"revision\": %d, \"description\": \"Revision %d of definition %d: %s\", \"tags\": [\"tag-%d\", \"tag-%d\"], \"settings\": {\"temperature\": 0.%d, \"max_tokens\": 256, \"enabled\": true}}%c);\n",
        table, (with_hash ? "content_hash, " : ""), 39, k, 39, (with_hash ? sprintf("%c%s%c, ", 39, h, 39) : ""),
        39, k, i, i, k, "lorem ipsum lorem ipsum lorem ipsum lorem ipsum lorem ipsum lorem ipsum lorem ipsum lorem ipsum", k % 7, i % 5, i % 10, 39
    }
  }' >"$3"
}
single_file pb_plain 1 "$work/pb_plain.sql"
single_file pb_pgv 0 "$work/pb_pgv.sql"
declare -A s_wall=() s_cpu=()
for ((r = 0; r < rounds; r++)); do
  order=(pb_plain pb_pgv); [ $((r % 2)) = 1 ] && order=(pb_pgv pb_plain)
  for table in "${order[@]}"; do
    psql_ -c "TRUNCATE $table" -c "TRUNCATE versioning.log"
    IFS='|' read -r ms cms < <(series "$work/$table.sql")
    s_wall[$table]="${s_wall[$table]:-} $ms"; s_cpu[$table]="${s_cpu[$table]:-} $cms"
  done
  n=$(psql_ -At -c "SELECT count(*) FROM pb_pgv")
  [ "$n" = "$single_n" ] || wrong "single-row: pb_pgv has $n rows after $single_n distinct inserts"
done

# --- history depth ---------------------------------------------------------------------------
# series of single-row INSERTs into t_hist (pg_versioning) and t_hist_plain (same rows, same
# indexes, no trigger; version from a sequence, hash precomputed in the statement).
# hist_file TABLE REF ROUND FILE: $single_n statements with contents unique to (REF, ROUND)
hist_file() {
  local hash_col="" hash_val=""
  if [ "$1" = t_hist_plain ]; then hash_col="content_hash, "; hash_val="%L, "; fi
  psql_ -At -c "SELECT format('INSERT INTO $1 (reference, ${hash_col}content) VALUES (%L, ${hash_val}%L);', '$2', ${hash_val:+versioning.content_hash(c), }c)
                  FROM generate_series(1, $single_n) i,
                       LATERAL (SELECT jsonb_build_object('name', '$2', 'round', $3, 'revision', i,
                                                          'description', repeat('lorem ipsum ', 16)) AS c) x" >"$4"
}
declare -A h_wall=() h_cpu=()
psql_ -c "CHECKPOINT"
# round 0 is a warm-up (not counted): after it, the deep key's pages have been written once
# since the checkpoint, as in a steady state, and sessions have nothing left to load
for ((r = 0; r <= rounds; r++)); do
  shallow=shallow-$r
  psql_ -c "SET versioning.restore = on" -c "INSERT INTO t_hist (reference, version, content)
              SELECT '$shallow', v, jsonb_build_object('name', '$shallow', 'revision', v, 'description', repeat('lorem ipsum ', 16))
                FROM generate_series(1, 10) v" \
        -c "INSERT INTO t_hist_plain SELECT * FROM t_hist WHERE reference = '$shallow'"
  order=("t_hist deep" "t_hist $shallow" "t_hist_plain deep" "t_hist_plain $shallow")
  for ((i = 0; i < 4; i++)); do
    read -r table ref <<<"${order[$(((i + r) % 4))]}"
    hist_file "$table" "$ref" "$r" "$work/hist.sql"
    IFS='|' read -r ms cms < <(series "$work/hist.sql" nocheckpoint)
    [ "$r" = 0 ] && continue
    k="$table ${ref%%-*}"
    h_wall[$k]="${h_wall[$k]:-} $ms"; h_cpu[$k]="${h_cpu[$k]:-} $cms"
  done
done
hist=$(psql_ -At -F' ' -c "SELECT max(version) FILTER (WHERE reference = 'deep'), count(*) FILTER (WHERE reference = 'deep'),
                                  max(version) FILTER (WHERE reference = 'shallow-1'), count(*) FILTER (WHERE reference = 'shallow-1')
                             FROM t_hist WHERE project_id IS NULL AND library_id IS NULL")
want_deep=$((hist_versions + (rounds + 1) * single_n)) want_shallow=$((10 + single_n))
[ "$hist" = "$want_deep $want_deep $want_shallow $want_shallow" ] \
  || wrong "history: deep max version/rows, shallow-1 max version/rows = $hist, expected $want_deep $want_deep $want_shallow $want_shallow"

# --- updates (lifecycle) ---------------------------------------------------------------------
# u_plain and u_pgv (publish lifecycle, drafts editable) hold the same $upd_n one-version keys.
#   draft UPDATE: one statement changing every row's content; the plain table also gets the new
#                 hash (precomputed), as an application that hashes itself would send.
#   refused vs successful: $upd_single single-row UPDATE statements (autocommit), of published
#                 versions (refused, 55000) vs drafts (accepted).
upd_n=${BENCH_UPDATE_ROWS:-20000}
upd_single=${BENCH_UPDATE_SINGLE:-2000}
psql_ >/dev/null <<SQL
CREATE TABLE u_src AS
  SELECT 'ref-' || i AS reference, c, versioning.content_hash(c) AS h, c2, versioning.content_hash(c2) AS h2
    FROM generate_series(1, $upd_n) i,
         LATERAL (SELECT jsonb_build_object('name', 'u' || i, 'body', repeat('lorem ipsum ', 20)) AS c,
                         jsonb_build_object('name', 'u' || i, 'body', repeat('dolor sit ', 24)) AS c2) x;
CREATE TABLE u_plain (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, reference text NOT NULL, version int,
                      status text, content_hash text, content jsonb NOT NULL);
CREATE UNIQUE INDEX u_plain_versions ON u_plain (reference, version) NULLS NOT DISTINCT;
CREATE INDEX u_plain_content_hashes ON u_plain (reference, content_hash);
CREATE TABLE u_pgv (LIKE u_plain INCLUDING ALL);
SELECT versioning.enable('u_pgv', key => ARRAY['reference'], content => ARRAY['content'], lifecycle => 'publish', audit => false);
-- (p) the floor of any refusal by a trigger: a PL/pgSQL BEFORE UPDATE trigger that raises the
-- same kind of error (55000, message, detail, hint) for published rows and does nothing else.
CREATE TABLE u_plpgsql (LIKE u_plain INCLUDING ALL);
CREATE FUNCTION u_plpgsql_refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  IF OLD.status = 'published' THEN
    RAISE EXCEPTION 'version % of key % in table % is frozen (state "%")', OLD.version, OLD.reference, TG_TABLE_NAME, OLD.status
      USING ERRCODE = '55000', DETAIL = 'Column "content" cannot change.', HINT = 'create a new version instead';
  END IF;
  RETURN NEW;
END \$\$;
CREATE TRIGGER u_plpgsql_refuse BEFORE UPDATE ON u_plpgsql FOR EACH ROW EXECUTE FUNCTION u_plpgsql_refuse();
ALTER TABLE u_plpgsql SET (autovacuum_enabled = off);
ALTER TABLE u_plain SET (autovacuum_enabled = off);
ALTER TABLE u_pgv SET (autovacuum_enabled = off);
SQL
# upd_run TABLE KIND(bulk|draft|refused): prints "wall ms|cpu ms|refused statements"
upd_run() {
  local set_hash="" state=draft
  [ "$1" = u_plain ] && set_hash=", content_hash = s.h2"
  [ "$2" = refused ] && state=published
  if [ "$2" != bulk ]; then
    # one autocommit UPDATE per statement; refused ones simply report their error
    seq 1 "$upd_single" | awk -v t="$1" '{printf "UPDATE %s SET content = %c{\"n\": %d}%c WHERE reference = %cref-%d%c;\n", t, 39, $1, 39, 39, $1, 39}' >"$work/upd.sql"
  fi
  local timing
  timing=$(psql -X -q -v ON_ERROR_STOP=0 -d "$db" -At 2>"$work/upd.err" <<SQL
TRUNCATE $1;
INSERT INTO $1 (reference, version, status, content_hash, content) SELECT reference, 1, 'draft', h, c FROM u_src;
UPDATE $1 SET status = '$state' WHERE '$state' <> 'draft';
VACUUM ANALYZE $1;
CHECKPOINT;
$timer_start
$(if [ "$2" = bulk ]; then echo "UPDATE $1 t SET content = s.c2$set_hash FROM u_src s WHERE t.reference = s.reference;"; else echo "\\i $work/upd.sql"; fi)
SELECT $timer_stop;
SQL
)
  printf '%s|%s\n' "$timing" "$(grep -c 'is frozen' "$work/upd.err" || true)"
}
declare -A u_cpu=() u_wall=()
for ((r = 0; r < rounds; r++)); do
  order=("u_plain bulk" "u_pgv bulk" "u_pgv draft" "u_pgv refused" "u_plpgsql refused")
  for ((i = 0; i < 5; i++)); do
    read -r table kind <<<"${order[$(((i + r) % 5))]}"
    IFS='|' read -r ms cms check < <(upd_run "$table" "$kind")
    want=0; [ "$kind" = refused ] && want=$upd_single
    [ "$check" = "$want" ] || wrong "update $table $kind: $check refused UPDATEs, expected $want"
    u_wall["$table $kind"]="${u_wall["$table $kind"]:-} $ms"; u_cpu["$table $kind"]="${u_cpu["$table $kind"]:-} $cms"
  done
done
hashes_ok=$(psql_ -At -c "SELECT bool_and(content_hash = versioning.content_hash(content)) FROM u_pgv")
[ "$hashes_ok" = t ] || wrong "update: u_pgv hashes do not follow the edited content"

# --- read API and carry-forward ----------------------------------------------------------------
# history: $hist_calls statements calling versioning.history(t_hist, the deep key,
#          lim 50) vs $hist_calls statements of the hand-written indexed query (ORDER BY key…, version DESC LIMIT 50: with
#          IS NULL key conditions, ORDER BY version DESC alone would sort every version).
# carry:   a new parent version carrying 10,000 approved child rows (of 20,000) vs the hand-written
#          equivalent: insert the parent row, then INSERT … SELECT the approved children.
hist_calls=${BENCH_HISTORY_CALLS:-300}
carry_n=${BENCH_CARRY_ROWS:-10000}
psql_ >/dev/null <<SQL
CREATE TABLE cf_parent (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), report int NOT NULL, version int, notes text);
SELECT versioning.enable('cf_parent', key => ARRAY['report'], content => ARRAY['notes'], hash_column => NULL, dedup => 'off', audit => false);
CREATE TABLE cf_child (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), parent_id uuid NOT NULL REFERENCES cf_parent,
                       sample int NOT NULL, data jsonb NOT NULL, status text, from_parent uuid, from_row uuid);
CREATE INDEX ON cf_child (parent_id);
SELECT versioning.enable_carry_forward('cf_child', parent => 'cf_parent', parent_column => 'parent_id', when_column => 'status',
                                       when_values => ARRAY['approved'], from_parent_column => 'from_parent', from_row_column => 'from_row');
CREATE TABLE cf_parent_plain (LIKE cf_parent INCLUDING ALL);
CREATE TABLE cf_child_plain (LIKE cf_child INCLUDING ALL);
ALTER TABLE cf_child_plain ADD FOREIGN KEY (parent_id) REFERENCES cf_parent_plain;
SQL
# carry_run KIND(pgv|plain): prints "wall ms|cpu ms|copied rows"
carry_run() {
  local p=cf_parent c=cf_child
  [ "$1" = plain ] && p=cf_parent_plain && c=cf_child_plain
  local work_sql="INSERT INTO $p (report, notes) VALUES (1, 'second');"
  [ "$1" = plain ] && work_sql="INSERT INTO $p (report, version, notes) VALUES (1, 2, 'second');
INSERT INTO $c (parent_id, sample, data, status, from_parent, from_row)
SELECT (SELECT id FROM $p WHERE report = 1 AND version = 2), sample, data, status, parent_id, id
  FROM $c WHERE parent_id = (SELECT id FROM $p WHERE report = 1 AND version = 1) AND status = 'approved';"
  psql_ -At <<SQL
TRUNCATE $c, $p;
INSERT INTO $p (report, version, notes) VALUES (1, 1, 'first');
INSERT INTO $c (parent_id, sample, data, status)
SELECT (SELECT id FROM $p), i, jsonb_build_object('sample', i, 'note', repeat('x', 100)), CASE WHEN i % 2 = 0 THEN 'approved' ELSE 'rejected' END
  FROM generate_series(1, $((carry_n * 2))) i;
VACUUM ANALYZE $p;
VACUUM ANALYZE $c;
CHECKPOINT;
$timer_start
$work_sql
SELECT $timer_stop || '|' || (SELECT count(*) FROM $c WHERE from_row IS NOT NULL);
SQL
}
# read_run KIND(api|sql): $hist_calls separate statements, as an application sends them (each
# parsed and planned); prints "wall ms|cpu ms"
read_run() {
  # count(row) makes both build their 50 jsonb rows (count(*) would let the planner drop them)
  local q="SELECT count(h) FROM versioning.history('t_hist', '{\"reference\": \"deep\"}', lim => 50) h;"
  [ "$1" = sql ] && q="SELECT count(j) FROM (SELECT pg_catalog.to_jsonb(t.*) AS j FROM t_hist t
     WHERE t.reference = 'deep' AND t.project_id IS NULL AND t.library_id IS NULL
     ORDER BY t.reference DESC, t.project_id DESC, t.library_id DESC, t.version DESC LIMIT 50) h;"
  q=$(printf '%s' "$q" | tr '\n' ' ') # one statement per line: the warm-up takes the first 10 lines
  for ((i = 0; i < hist_calls; i++)); do printf '%s\n' "$q"; done >"$work/read.sql"
  series "$work/read.sql" nocheckpoint | tail -n 1
}
declare -A r_cpu=() r_wall=() c_cpu=() c_wall=()
for ((r = 0; r < rounds; r++)); do
  for kind in api sql; do
    IFS='|' read -r ms cms < <(read_run "$kind")
    r_wall[$kind]="${r_wall[$kind]:-} $ms"; r_cpu[$kind]="${r_cpu[$kind]:-} $cms"
  done
  for kind in pgv plain; do
    IFS='|' read -r ms cms n < <(carry_run "$kind" | tail -n 1)
    [ "$n" = "$carry_n" ] || wrong "carry-forward $kind copied $n rows, expected $carry_n"
    c_wall[$kind]="${c_wall[$kind]:-} $ms"; c_cpu[$kind]="${c_cpu[$kind]:-} $cms"
  done
done

# --- kinds: JSON Schema validation of ~10 KB documents ---------------------------------------
kind_n=$(psql_ -At -c "SELECT count(*) FROM k_src")
doc_bytes=$(psql_ -At -c "SELECT round(avg(length(doc::text))) FROM k_src")
# kind_run KIND: prints "wall ms|cpu ms|stored rows"
kind_run() {
  psql_ -At <<SQL
TRUNCATE t_kind;
BEGIN;
INSERT INTO t_kind (kind, reference, content) SELECT '$1', 'warm-' || i, doc FROM k_src LIMIT 10;
ROLLBACK;
$timer_start
INSERT INTO t_kind (kind, reference, content) SELECT '$1', 'ref-' || i, doc FROM k_src;
SELECT $timer_stop || '|' || (SELECT count(*) FROM t_kind);
SQL
}
# (no CHECKPOINT between runs: its I/O made single runs vary more than the validation costs;
# the verdict takes the median of each round's difference, the two variants run back to back)
declare -A k_cpu=() k_wall=()
k_diff=""
for ((r = 0; r < kind_rounds; r++)); do
  order=(bench_workflow bench_unchecked); [ $((r % 2)) = 1 ] && order=(bench_unchecked bench_workflow)
  declare -A this=()
  for kind in "${order[@]}"; do
    IFS='|' read -r ms cms n < <(kind_run "$kind" | tail -n 1)
    [ "$n" = "$kind_n" ] || wrong "kinds: $kind stored $n rows, expected $kind_n"
    k_wall[$kind]="${k_wall[$kind]:-} $ms"; k_cpu[$kind]="${k_cpu[$kind]:-} $cms"
    this[$kind]=$cms
  done
  k_diff="$k_diff $(awk -v a="${this[bench_workflow]}" -v b="${this[bench_unchecked]}" -v n="$kind_n" 'BEGIN {printf "%.1f", (a - b) * 1000 / n}')"
done

# --- adoption: versioning.enable on a populated table ------------------------------------------
# adopt_rows rows over adopt_keys keys, no versions and no hashes, ~100-byte text content:
#   (h) the hand-written migration: UPDATE … FROM (SELECT row_number() OVER (PARTITION BY key
#       ORDER BY created_at, id)) setting the versions and SHA-256 hashes, then the same two
#       indexes enable creates;
#   (e) versioning.enable(…, order_by => ARRAY['created_at', 'id']) (checks, numbers, hashes,
#       indexes, triggers, the adopt record).
# Each run builds its table afresh (not timed), VACUUM ANALYZE, CHECKPOINT; both must end with
# the same versions and hashes.
adopt_rows=${BENCH_ADOPT_ROWS:-1000000}
adopt_keys=$((adopt_rows / 100))
adopt_rounds=${BENCH_ADOPT_ROUNDS:-3}
# adopt_run hand|enable: prints "wall ms|cpu ms|rows|distinct (key, version)|max version|hash check"
adopt_run() {
  local work_sql
  if [ "$1" = hand ]; then
    work_sql="UPDATE t_adopt AS t SET version = s.n, content_hash = encode(sha256(convert_to(t.body, 'UTF8')), 'hex')
  FROM (SELECT id, row_number() OVER (PARTITION BY reference ORDER BY created_at, id) AS n FROM t_adopt) AS s WHERE t.id = s.id;
CREATE UNIQUE INDEX ON t_adopt (reference, version) NULLS NOT DISTINCT;
CREATE INDEX ON t_adopt (reference, content_hash);"
  else
    work_sql="SET client_min_messages = warning;
SELECT versioning.enable('t_adopt', key => ARRAY['reference'], content => ARRAY['body'], order_by => ARRAY['created_at', 'id']);"
  fi
  psql_ -At <<SQL
DROP TABLE IF EXISTS t_adopt;
CREATE TABLE t_adopt (id bigint PRIMARY KEY, reference text NOT NULL, created_at timestamptz NOT NULL,
                      version int, body text NOT NULL, content_hash text) WITH (autovacuum_enabled = off);
INSERT INTO t_adopt SELECT i, 'ref-' || (i % $adopt_keys), timestamptz '2020-01-01' + (i::bigint * 7919 % $adopt_rows) * interval '1 second', NULL,
       'Revision ' || i || ' of a definition: lorem ipsum lorem ipsum lorem ipsum lorem ipsum lorem ipsum'
  FROM generate_series(1, $adopt_rows) i;
VACUUM ANALYZE t_adopt;
CHECKPOINT;
BEGIN;
$timer_start
$work_sql
SELECT $timer_stop AS timing \gset
COMMIT;
SELECT :'timing' || '|' || count(*) || '|' || count(DISTINCT (reference, version)) || '|' || max(version) || '|'
       || pg_catalog.md5(string_agg(reference || ':' || version || ':' || content_hash, ',' ORDER BY id))
  FROM t_adopt;
SQL
}
declare -A a_wall=() a_cpu=()
adopt_check=""
for ((r = 0; r < adopt_rounds; r++)); do
  order=(hand enable); [ $((r % 2)) = 1 ] && order=(enable hand)
  for v in "${order[@]}"; do
    IFS='|' read -r ms cms n distinct maxv check < <(adopt_run "$v" | tail -n 1)
    if [ "$n|$distinct|$maxv" != "$adopt_rows|$adopt_rows|$((adopt_rows / adopt_keys))" ]; then
      wrong "adoption ($v) rows|distinct versions|max version = $n|$distinct|$maxv, expected $adopt_rows|$adopt_rows|$((adopt_rows / adopt_keys))"
    fi
    [ -z "$adopt_check" ] && adopt_check=$check
    [ "$check" = "$adopt_check" ] || wrong "adoption ($v) assigned other versions or hashes than the other variant"
    a_wall[$v]="${a_wall[$v]:-} $ms"; a_cpu[$v]="${a_cpu[$v]:-} $cms"
  done
done
# verify over the adopted rows vs a hand-written query recomputing every row's hash (the same
# SHA-256 of the content's text); both must find no problem. The table is versioned first when
# the last adoption run was the hand-written one (not timed).
psql_ -q -c "SET client_min_messages = warning" \
  -c "SELECT versioning.enable('t_adopt', key => ARRAY['reference'], content => ARRAY['body'], order_by => ARRAY['created_at', 'id'])" >/dev/null
declare -A vf_wall=() vf_cpu=()
for ((r = 0; r < adopt_rounds; r++)); do
  order=(query verify); [ $((r % 2)) = 1 ] && order=(verify query)
  for v in "${order[@]}"; do
    if [ "$v" = verify ]; then work_sql="SELECT count(*) AS problems FROM versioning.verify('t_adopt') \\gset"
    else work_sql="SELECT count(*) AS problems FROM t_adopt WHERE content_hash IS DISTINCT FROM encode(sha256(convert_to(body::text, 'UTF8')), 'hex') \\gset"; fi
    IFS='|' read -r ms cms problems < <(psql_ -At <<SQL
$timer_start
$work_sql
SELECT $timer_stop || '|' || :'problems';
SQL
)
    [ "$problems" = 0 ] || wrong "verify ($v) found $problems problems in the adopted table"
    vf_wall[$v]="${vf_wall[$v]:-} $ms"; vf_cpu[$v]="${vf_cpu[$v]:-} $cms"
  done
done
psql_ -c "DROP TABLE t_adopt"

# --- report ----------------------------------------------------------------------------------
# shellcheck disable=SC2086
{
  declare -A med=() cmed=()
  for v in "${variants[@]}"; do med[$v]=$(median ${wall[$v]}); cmed[$v]=$(median ${cpu[$v]}); done
  tps_plain=$(median ${tps[pb_plain]}); tps_pgv=$(median ${tps[pb_pgv]}); tps_plain_log=$(median ${tps[pb_plain_log]})
  sw_plain=$(median ${s_wall[pb_plain]}); sw_pgv=$(median ${s_wall[pb_pgv]})
  sc_plain=$(median ${s_cpu[pb_plain]}); sc_pgv=$(median ${s_cpu[pb_pgv]})
  declare -A hw=() hc=()
  for k in "t_hist deep" "t_hist shallow" "t_hist_plain deep" "t_hist_plain shallow"; do
    hw[$k]=$(median ${h_wall[$k]}); hc[$k]=$(median ${h_cpu[$k]})
  done
}
printf '\npg_versioning benchmark — PostgreSQL %s, extension %s (commit %s), %s cores, load %s → %s, %d s\n' \
  "$server" "$extversion" "$commit" "$(nproc)" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)" $(($(date +%s) - start))

printf '\nbulk: INSERT … SELECT of %d rows over 1,000 keys (~%s bytes of jsonb content), median of %d rounds%s\n' "$rows" "$content_bytes" "$rounds" "$cpu_note"
printf '%-42s %9s %9s %8s %9s %9s   %s\n' variant "wall ms" "CPU ms" "CPU µs" "CPU" "wall" "runs: CPU ms"
printf '%-42s %9s %9s %8s %9s %9s\n' "" "" "" "per row" "vs plain" "vs plain"
for v in "${variants[@]}"; do
  printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "${label[$v]}" "${med[$v]}" "${cmed[$v]}" "$(per "${cmed[$v]}" "$rows")" \
    "$(ratio "${cmed[$v]}" "${cmed[plain]}")" "$(ratio "${med[$v]}" "${med[plain]}")" "$(ints ${cpu[$v]}) (CPU vs plain per round: $(spread "${cpu[$v]}" "${cpu[plain]}")×)"
done

printf '\nsingle-row INSERT, one per transaction\n'
printf '%-42s %9s %9s %8s %9s   %s\n' "pgbench -M prepared, $pgb_clients clients, ${pgb_seconds} s" "tps" "" "" "vs plain" "runs: tps"
printf '%-42s %9.0f %9s %8s %8s×   %s\n' "(a) plain" "$tps_plain" "" "" "1.00" "$(ints ${tps[pb_plain]})"
printf '%-42s %9.0f %9s %8s %8s×   %s\n' "(c) pg_versioning (audit on)" "$tps_pgv" "" "" "$(ratio "$tps_plain" "$tps_pgv")" \
  "$(ints ${tps[pb_pgv]}) (plain vs pg_versioning per round: $(spread "${tps[pb_plain]}" "${tps[pb_pgv]}")×)"
printf '%-42s %9.0f %9s %8s %8s×   %s\n' "(f) (a) + its log record, plain INSERT" "$tps_plain_log" "" "" "$(ratio "$tps_plain" "$tps_plain_log")" \
  "$(ints ${tps[pb_plain_log]}) (plain vs (f) per round: $(spread "${tps[pb_plain]}" "${tps[pb_plain_log]}")×)"
printf '%-42s %9s %9s %8s %9s %9s   %s\n' "$single_n statements from 1 session" "wall µs" "CPU µs" "" "CPU" "wall" "runs: CPU ms"
printf '%-42s %9s %9s %8s %8s× %8s×   %s\n' "(a) plain" "$(per "$sw_plain" "$single_n")" "$(per "$sc_plain" "$single_n")" "" "1.00" "1.00" "$(ints ${s_cpu[pb_plain]})"
printf '%-42s %9s %9s %8s %8s× %8s×   %s\n' "(c) pg_versioning (audit on)" "$(per "$sw_pgv" "$single_n")" "$(per "$sc_pgv" "$single_n")" "" \
  "$(ratio "$sc_pgv" "$sc_plain")" "$(ratio "$sw_pgv" "$sw_plain")" "$(ints ${s_cpu[pb_pgv]})"

printf '\nhistory depth: %d single-row INSERTs (one transaction each) into key (ref, NULL, NULL), median of %d rounds\n' "$single_n" "$rounds"
printf '%-42s %9s %9s %8s %9s %9s   %s\n' "key" "wall µs" "CPU µs" "" "CPU vs 10" "wall" "runs: CPU ms"
for t in t_hist t_hist_plain; do
  [ $t = t_hist ] && name="(c) pg_versioning" || name="(a) plain, same indexes"
  printf '%-42s %9s %9s %8s %8s× %8s×   %s\n' "$name, 10 versions" "$(per "${hw[$t shallow]}" "$single_n")" "$(per "${hc[$t shallow]}" "$single_n")" "" \
    "1.00" "1.00" "$(ints ${h_cpu[$t shallow]})"
  printf '%-42s %9s %9s %8s %8s× %8s×   %s\n' "$name, $hist_versions+ versions" "$(per "${hw[$t deep]}" "$single_n")" "$(per "${hc[$t deep]}" "$single_n")" "" \
    "$(ratio "${hc[$t deep]}" "${hc[$t shallow]}")" "$(ratio "${hw[$t deep]}" "${hw[$t shallow]}")" "$(ints ${h_cpu[$t deep]})"
done

printf '\nupdates: %d drafts edited in one UPDATE; %d single-row UPDATE statements, median of %d rounds\n' "$upd_n" "$upd_single" "$rounds"
printf '%-42s %9s %9s %8s %9s %9s   %s\n' "variant" "wall ms" "CPU ms" "" "CPU" "wall" "runs: CPU ms"
# shellcheck disable=SC2086
{
  declare -A um=() uc=()
  for k in "u_plain bulk" "u_pgv bulk" "u_pgv draft" "u_pgv refused" "u_plpgsql refused"; do um[$k]=$(median ${u_wall[$k]}); uc[$k]=$(median ${u_cpu[$k]}); done
}
printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "(a) plain UPDATE (hash supplied)" "${um[u_plain bulk]}" "${uc[u_plain bulk]}" "" "1.00" "1.00" "$(ints ${u_cpu[u_plain bulk]})"
printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "(c) pg_versioning, draft UPDATE" "${um[u_pgv bulk]}" "${uc[u_pgv bulk]}" "" \
  "$(ratio "${uc[u_pgv bulk]}" "${uc[u_plain bulk]}")" "$(ratio "${um[u_pgv bulk]}" "${um[u_plain bulk]}")" "$(ints ${u_cpu[u_pgv bulk]})"
printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "(c) single-row draft UPDATEs (accepted)" "${um[u_pgv draft]}" "${uc[u_pgv draft]}" "" "1.00" "1.00" "$(ints ${u_cpu[u_pgv draft]})"
printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "(c) single-row UPDATEs of published (refused)" "${um[u_pgv refused]}" "${uc[u_pgv refused]}" "" \
  "$(ratio "${uc[u_pgv refused]}" "${uc[u_pgv draft]}")" "$(ratio "${um[u_pgv refused]}" "${um[u_pgv draft]}")" "$(ints ${u_cpu[u_pgv refused]})"
printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "(p) the same refused by a PL/pgSQL RAISE" "${um[u_plpgsql refused]}" "${uc[u_plpgsql refused]}" "" \
  "$(ratio "${uc[u_plpgsql refused]}" "${uc[u_pgv draft]}")" "$(ratio "${um[u_plpgsql refused]}" "${um[u_pgv draft]}")" "$(ints ${u_cpu[u_plpgsql refused]})"

printf '\nread API and carry-forward, median of %d rounds\n' "$rounds"
printf '%-42s %9s %9s %8s %9s %9s   %s\n' "variant" "wall ms" "CPU ms" "" "CPU" "wall" "runs: CPU ms"
# shellcheck disable=SC2086
{
  declare -A rm=() rc=() cm=() cc=()
  for k in api sql; do rm[$k]=$(median ${r_wall[$k]}); rc[$k]=$(median ${r_cpu[$k]}); done
  for k in pgv plain; do cm[$k]=$(median ${c_wall[$k]}); cc[$k]=$(median ${c_cpu[$k]}); done
}
printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "hand-written newest-50 query ×$hist_calls" "${rm[sql]}" "${rc[sql]}" "" "1.00" "1.00" "$(ints ${r_cpu[sql]})"
printf '%-42s %9.1f %9.1f %8s %9s %8s×   %s\n' "versioning.history(…, lim => 50) ×$hist_calls" "${rm[api]}" "${rc[api]}" "" \
  "-" "$(ratio "${rm[api]}" "${rm[sql]}")" "$(ints ${r_cpu[api]})"
printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "hand-written carry of $carry_n rows" "${cm[plain]}" "${cc[plain]}" "" "1.00" "1.00" "$(ints ${c_cpu[plain]})"
printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "carry-forward of $carry_n rows" "${cm[pgv]}" "${cc[pgv]}" "" \
  "$(ratio "${cc[pgv]}" "${cc[plain]}")" "$(ratio "${cm[pgv]}" "${cm[plain]}")" "$(ints ${c_cpu[pgv]})"

printf '\nkinds: %d documents of ~%s bytes in one INSERT … SELECT, median of %d rounds\n' "$kind_n" "$doc_bytes" "$kind_rounds"
printf '%-42s %9s %9s %8s   %s\n' "variant" "wall ms" "CPU ms" "CPU µs" "runs: CPU ms"
# shellcheck disable=SC2086
{
  declare -A km=() kc=()
  for k in bench_workflow bench_unchecked; do km[$k]=$(median ${k_wall[$k]}); kc[$k]=$(median ${k_cpu[$k]}); done
}
printf '%-42s %9.1f %9.1f %8s   %s\n' "kind without a schema" "${km[bench_unchecked]}" "${kc[bench_unchecked]}" "$(per "${kc[bench_unchecked]}" "$kind_n")" "$(ints ${k_cpu[bench_unchecked]})"
printf '%-42s %9.1f %9.1f %8s   %s\n' "kind with a JSON Schema" "${km[bench_workflow]}" "${kc[bench_workflow]}" "$(per "${kc[bench_workflow]}" "$kind_n")" "$(ints ${k_cpu[bench_workflow]})"
# shellcheck disable=SC2086
validation_us=$(median $k_diff)
printf '%-42s %9s %9s %8s   %s\n' "difference per document (µs, each round)" "" "" "$validation_us" "$k_diff"

printf '\nadoption: versioning.enable on a table of %d rows over %d keys (no versions, no hashes), median of %d rounds\n' "$adopt_rows" "$adopt_keys" "$adopt_rounds"
printf '%-42s %9s %9s %8s %9s %9s   %s\n' "variant" "wall ms" "CPU ms" "" "CPU" "wall" "runs: wall ms"
# shellcheck disable=SC2086
{
  declare -A am=() ac=()
  for k in hand enable; do am[$k]=$(median ${a_wall[$k]}); ac[$k]=$(median ${a_cpu[$k]}); done
}
printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "(h) hand-written UPDATE … row_number()" "${am[hand]}" "${ac[hand]}" "" "1.00" "1.00" "$(ints ${a_wall[hand]})"
printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "(e) versioning.enable(…, order_by)" "${am[enable]}" "${ac[enable]}" "" \
  "$(ratio "${ac[enable]}" "${ac[hand]}")" "$(ratio "${am[enable]}" "${am[hand]}")" "$(ints ${a_wall[enable]})"
{
  declare -A vm=() vc=()
  for k in query verify; do vm[$k]=$(median ${vf_wall[$k]}); vc[$k]=$(median ${vf_cpu[$k]}); done
}
printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "(q) hand-written hash recomputation" "${vm[query]}" "${vc[query]}" "" "1.00" "1.00" "$(ints ${vf_wall[query]})"
printf '%-42s %9.1f %9.1f %8s %8s× %8s×   %s\n' "(v) versioning.verify over the same rows" "${vm[verify]}" "${vc[verify]}" "" \
  "$(ratio "${vc[verify]}" "${vc[query]}")" "$(ratio "${vm[verify]}" "${vm[query]}")" "$(ints ${vf_wall[verify]})"

printf '\ntargets\n'
target "(c) bulk vs (a) plain (backend CPU)" "$(ratio "${cmed[pgv]}" "${cmed[plain]}")" "<=" 1.3 \
  "rounds: $(spread "${cpu[pgv]}" "${cpu[plain]}")×; wall: $(ratio "${med[pgv]}" "${med[plain]}")×; floor (f): $(ratio "${cmed[plain_log]}" "${cmed[plain]}")× (rounds: $(spread "${cpu[plain_log]}" "${cpu[plain]}")×)"
target "(c') bulk, audit => false, vs (a) plain (backend CPU)" "$(ratio "${cmed[pgv_noaudit]}" "${cmed[plain]}")" "<=" 1.15 \
  "rounds: $(spread "${cpu[pgv_noaudit]}" "${cpu[plain]}")×"
target "(c) single-row vs plain (pgbench tps ratio)" "$(ratio "$tps_plain" "$tps_pgv")" "<=" 1.15 \
  "rounds: $(spread "${tps[pb_plain]}" "${tps[pb_pgv]}")×; 1 session, CPU: $(ratio "$sc_pgv" "$sc_plain")×; floor (f): $(ratio "$tps_plain" "$tps_plain_log")×"
target "(b) PL/pgSQL is slower than (c) in bulk by (backend CPU)" "$(ratio "${cmed[plpgsql]}" "${cmed[pgv]}")" ">=" 3 \
  "wall: $(ratio "${med[plpgsql]}" "${med[pgv]}")×"
target "$(awk -v n="$hist_versions" 'BEGIN {printf "%dk", n / 1000}')-version key vs 10-version key (backend CPU)" "$(ratio "${hc[t_hist deep]}" "${hc[t_hist shallow]}")" "<=" 1.2 \
  "wall: $(ratio "${hw[t_hist deep]}" "${hw[t_hist shallow]}")×; plain table, same indexes: $(ratio "${hc[t_hist_plain deep]}" "${hc[t_hist_plain shallow]}")×"
target "(c) draft UPDATE vs (a) plain UPDATE (backend CPU)" "$(ratio "${uc[u_pgv bulk]}" "${uc[u_plain bulk]}")" "<=" 1.5 \
  "wall: $(ratio "${um[u_pgv bulk]}" "${um[u_plain bulk]}")×"
target "refused UPDATE vs successful UPDATE (backend CPU)" "$(ratio "${uc[u_pgv refused]}" "${uc[u_pgv draft]}")" "<=" 1.0 \
  "wall: $(ratio "${um[u_pgv refused]}" "${um[u_pgv draft]}")×; PL/pgSQL RAISE: $(ratio "${uc[u_plpgsql refused]}" "${uc[u_pgv draft]}")×"
# (wall time: the backend CPU counter barely moves over 300 statements of ~0.1 ms)
target "history newest 50 of the deep key vs hand-written (wall)" "$(ratio "${rm[api]}" "${rm[sql]}")" "<=" 2.0
target "carry-forward of $carry_n rows vs hand-written (CPU)" "$(ratio "${cc[pgv]}" "${cc[plain]}")" "<=" 2.0 \
  "wall: $(ratio "${cm[pgv]}" "${cm[plain]}")×"
printf '%-5s %-58s %6s µs  (target <= 20 µs)\n' "$(awk -v v="$validation_us" 'BEGIN {print (v <= 20) ? "PASS" : "MISS"}')" \
  "JSON Schema validation of a ~${doc_bytes}-byte document (CPU)" "$validation_us"
target "adopting $adopt_rows rows vs hand-written UPDATE (wall)" "$(ratio "${am[enable]}" "${am[hand]}")" "<=" 2.0 \
  "CPU: $(ratio "${ac[enable]}" "${ac[hand]}")×"
# the partitioned ratio within 10% of the unpartitioned one: (e)/(d) over (c)/(a)
target "(e)/(d) partitioned vs (c)/(a) unpartitioned bulk ratio (CPU)" \
  "$(ratio "$(ratio "${cmed[pgv_parted]}" "${cmed[plain_parted]}")" "$(ratio "${cmed[pgv]}" "${cmed[plain]}")")" "<=" 1.10 \
  "(e)/(d) $(ratio "${cmed[pgv_parted]}" "${cmed[plain_parted]}")× (rounds: $(spread "${cpu[pgv_parted]}" "${cpu[plain_parted]}")×), (c)/(a) $(ratio "${cmed[pgv]}" "${cmed[plain]}")×; wall: $(ratio "$(ratio "${med[pgv_parted]}" "${med[plain_parted]}")" "$(ratio "${med[pgv]}" "${med[plain]}")")×"
if [ "$errors" != 0 ]; then
  printf '\n%d error(s) above: the numbers are not valid\n' "$errors"
  exit 1
fi
BENCH_DB=$db ./copy.sh
