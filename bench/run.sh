#!/usr/bin/env bash
# The pg_versioning benchmark (`make bench`, with the scripts/pg.sh cluster running).
# One run, one server, one fresh database (pgv_bench); prints ratios against plain INSERTs:
#   bulk     100,000-row INSERT … SELECT over 1,000 keys, ~300-byte jsonb content, into
#            (a) a plain table (version and hash precomputed in the source: no extra work),
#            (b) the same table with a hand-written PL/pgSQL BEFORE INSERT trigger
#                (advisory lock per key, EXISTS on (key, hash), max(version) + 1, sha256),
#            (c) pg_versioning with default options (audit on), (c') with audit => false;
#            every table has the same columns and the same two indexes (bench/schema.sql).
#            Each run: TRUNCATE (target and versioning.log), CHECKPOINT, then the timed
#            statement in a new session; variants alternate, the starting one rotating per round.
#            Time = clock_timestamp() difference taken by the same session right before and
#            right after the INSERT (server clock; one local round trip included).
#   pgbench  single-row INSERTs (bench/pgbench_insert.sql), plain vs pg_versioning, same
#            clients and duration, alternating; the ratio is of transactions per second.
#   history  single-row INSERTs (one transaction each, pgbench -c 1) for a seed-000 key with
#            100,000 versions vs a key with 10 (a fresh one every round).
# Medians over the rounds. A benchmark, not a test: MISS lines do not fail it; it exits non-zero
# only if something errors or a variant stores wrong rows.
# Knobs (environment): BENCH_ROUNDS (5), BENCH_PGBENCH_ROUNDS (3), BENCH_PGBENCH_SECONDS (8),
# BENCH_PGBENCH_CLIENTS (2), BENCH_HISTORY_INSERTS (2000), BENCH_KEEP=1 keeps the database.
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
pgb_rounds=${BENCH_PGBENCH_ROUNDS:-3}
pgb_seconds=${BENCH_PGBENCH_SECONDS:-8}
pgb_clients=${BENCH_PGBENCH_CLIENTS:-2}
hist_n=${BENCH_HISTORY_INSERTS:-2000}
rows=100000
work=$(mktemp -d /tmp/pgv_bench.XXXXXX)
errors=0
busy=0     # bulk runs that ended while another client session of the server was active

cleanup() {
  local status=$?
  [ "${BENCH_KEEP:-0}" = 1 ] || dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

psql_() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ints() { printf '%s\n' "$@" | awk '{printf "%s%.0f", (NR > 1 ? " " : ""), $1}'; }
us() { printf '%s\n' "$@" | awk '{printf "%s%.0f", (NR > 1 ? " " : ""), $1 * 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
# target LABEL VALUE OP LIMIT: PASS/MISS line
target() {
  local verdict
  verdict=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {print ((op == "<=" && v <= l) || (op == ">=" && v >= l)) ? "PASS" : "MISS"}')
  printf '%-5s %-58s %6s×  (target %s %s×)\n' "$verdict" "$1" "$2" "$3" "$4"
}
wrong() { errors=$((errors + 1)); printf 'ERROR %s\n' "$*"; }

# --- setup -----------------------------------------------------------------------------------
start=$(date +%s)
dropdb --if-exists --force "$db" >/dev/null 2>&1
createdb "$db"
psql_ -f schema.sql >/dev/null
# no autovacuum worker competing with the timed statements (2-core machines)
psql_ -c "DO \$\$ DECLARE t text; BEGIN
            FOREACH t IN ARRAY ARRAY['t_plain', 't_plpgsql', 't_pgv', 't_pgv_noaudit', 'pb_plain', 'pb_pgv', 't_hist', 'versioning.log'] LOOP
              EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = off)', t);
            END LOOP; END \$\$"
indexes=$(psql_ -At -c "SELECT string_agg(c.relname || ':' || (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid), ' ' ORDER BY c.relname)
                          FROM pg_class c WHERE c.relname IN ('t_plain', 't_plpgsql', 't_pgv', 't_pgv_noaudit', 'pb_plain', 'pb_pgv')")
[ "$indexes" = "pb_pgv:2 pb_plain:2 t_pgv:2 t_pgv_noaudit:2 t_plain:2 t_plpgsql:2" ] \
  || wrong "the bench tables do not all have exactly the same two indexes: $indexes"
IFS='|' read -r server extversion content_bytes < <(psql_ -At -F'|' -c \
  "SELECT split_part(current_setting('server_version'), ' ', 1), (SELECT extversion FROM pg_extension WHERE extname = 'pg_versioning'),
          round(avg(length(content::text))) FROM src")
commit=$(git -C .. rev-parse --short HEAD 2>/dev/null || echo '?')

# --- bulk ------------------------------------------------------------------------------------
variants=(plain plpgsql pgv pgv_noaudit)
declare -A label=(
  [plain]="(a) plain INSERT … SELECT"
  [plpgsql]="(b) PL/pgSQL trigger"
  [pgv]="(c) pg_versioning (audit on)"
  [pgv_noaudit]="(c') pg_versioning, audit => false"
)
declare -A cols=(
  [plain]="reference, version, content_hash, content"
  [plpgsql]="reference, content" [pgv]="reference, content" [pgv_noaudit]="reference, content"
)
declare -A times=()
# prints "ms|rows|distinct (key, version)|max version|NULL hashes|log rows|other active sessions"
bulk_run() {
  local table=t_$1
  psql_ -At <<SQL
TRUNCATE $table;
TRUNCATE versioning.log;
CHECKPOINT;
SELECT pg_catalog.clock_timestamp() AS t0 \gset
INSERT INTO $table (${cols[$1]}) SELECT ${cols[$1]} FROM src;
SELECT round(extract(epoch FROM pg_catalog.clock_timestamp() - :'t0'::timestamptz) * 1000, 1) AS ms \gset
SELECT :ms || '|' || count(*) || '|' || count(DISTINCT (reference, version)) || '|' || max(version) || '|'
       || count(*) FILTER (WHERE content_hash IS NULL) || '|' || (SELECT count(*) FROM versioning.log) || '|'
       || (SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid())
  FROM $table;
SQL
}
for ((r = 0; r < rounds; r++)); do
  for ((i = 0; i < ${#variants[@]}; i++)); do
    v=${variants[$(((i + r) % ${#variants[@]}))]}
    IFS='|' read -r ms n distinct maxv nullhash logrows others < <(bulk_run "$v")
    [ "$others" = 0 ] || busy=$((busy + 1))
    want_log=0; [ "$v" = pgv ] && want_log=$rows
    if [ "$n|$distinct|$maxv|$nullhash|$logrows" != "$rows|$rows|100|0|$want_log" ]; then
      wrong "${label[$v]} stored rows|distinct versions|max version|NULL hashes|log rows = $n|$distinct|$maxv|$nullhash|$logrows, expected $rows|$rows|100|0|$want_log"
    fi
    times[$v]="${times[$v]:-} $ms"
  done
done

# --- pgbench single-row inserts ----------------------------------------------------------------
declare -A tps=()
for table in pb_plain pb_pgv; do sed "s/@TABLE@/$table/" pgbench_insert.sql >"$work/$table.sql"; done
for ((r = 0; r < pgb_rounds; r++)); do
  order=(pb_plain pb_pgv); [ $((r % 2)) = 1 ] && order=(pb_pgv pb_plain)
  for table in "${order[@]}"; do
    psql_ -c "TRUNCATE $table" -c "TRUNCATE versioning.log" -c "CHECKPOINT"
    pgbench -n -M prepared -c "$pgb_clients" -j "$pgb_clients" -T "$pgb_seconds" -f "$work/$table.sql" "$db" >"$work/pgbench.out" 2>&1 \
      || { cat "$work/pgbench.out"; exit 1; }
    t=$(awk '/^tps = / {print $3}' "$work/pgbench.out")
    [ -n "$t" ] || { cat "$work/pgbench.out"; exit 1; }
    tps[$table]="${tps[$table]:-} $t"
  done
  bad=$(psql_ -At -c "SELECT count(*) FROM (SELECT FROM pb_pgv GROUP BY reference HAVING max(version) <> count(*) OR min(version) <> 1) k")
  [ "$bad" = 0 ] || wrong "pgbench: $bad keys of pb_pgv do not have versions exactly 1..N"
done

# --- history depth ---------------------------------------------------------------------------
declare -A lat=()
for ((r = 0; r < rounds; r++)); do
  shallow=shallow-$r
  psql_ -c "SET versioning.restore = on" -c "INSERT INTO t_hist (reference, version, content)
              SELECT '$shallow', v, jsonb_build_object('name', '$shallow', 'revision', v, 'description', repeat('lorem ipsum ', 16))
                FROM generate_series(1, 10) v"
  order=(deep "$shallow"); [ $((r % 2)) = 1 ] && order=("$shallow" deep)
  for ref in "${order[@]}"; do
    psql_ -c "CHECKPOINT"
    pgbench -n -M prepared -c 1 -t "$hist_n" -D ref="$ref" -f pgbench_history.sql "$db" >"$work/pgbench.out" 2>&1 \
      || { cat "$work/pgbench.out"; exit 1; }
    l=$(awk '/^latency average = / {print $4}' "$work/pgbench.out")
    [ -n "$l" ] || { cat "$work/pgbench.out"; exit 1; }
    lat[${ref%%-*}]="${lat[${ref%%-*}]:-} $l"
  done
done
hist=$(psql_ -At -F' ' -c "SELECT max(version) FILTER (WHERE reference = 'deep'), count(*) FILTER (WHERE reference = 'deep'),
                                  max(version) FILTER (WHERE reference = 'shallow-0'), count(*) FILTER (WHERE reference = 'shallow-0')
                             FROM t_hist WHERE project_id IS NULL AND library_id IS NULL")
want_deep=$((100000 + rounds * hist_n)) want_shallow=$((10 + hist_n))
[ "$hist" = "$want_deep $want_deep $want_shallow $want_shallow" ] \
  || wrong "history: deep max version/rows, shallow-0 max version/rows = $hist, expected $want_deep $want_deep $want_shallow $want_shallow"

# --- report ----------------------------------------------------------------------------------
printf '\npg_versioning benchmark — PostgreSQL %s, extension %s (commit %s), %s cores, %d s\n' \
  "$server" "$extversion" "$commit" "$(nproc)" $(($(date +%s) - start))
printf 'bulk: INSERT … SELECT of %d rows over 1,000 keys (~%s bytes of jsonb content), median of %d rounds\n\n' "$rows" "$content_bytes" "$rounds"
printf '%-38s %10s %12s %9s   %s\n' variant "median ms" "per row µs" "vs plain" "runs (ms)"
declare -A med=()
for v in "${variants[@]}"; do
  # shellcheck disable=SC2086
  med[$v]=$(median ${times[$v]})
done
for v in "${variants[@]}"; do
  printf '%-38s %10.1f %12.2f %8.2f×  %s\n' "${label[$v]}" "${med[$v]}" \
    "$(awk -v m="${med[$v]}" -v n="$rows" 'BEGIN {print m * 1000 / n}')" "$(ratio "${med[$v]}" "${med[plain]}")" "${times[$v]# }"
done
# shellcheck disable=SC2086
tps_plain=$(median ${tps[pb_plain]}); tps_pgv=$(median ${tps[pb_pgv]})
printf '\npgbench: single-row INSERT per transaction, %d clients, %d s, median of %d rounds\n\n' "$pgb_clients" "$pgb_seconds" "$pgb_rounds"
printf '%-38s %10s %12s %9s   %s\n' variant "median tps" "latency µs" "vs plain" "runs (tps)"
printf '%-38s %10.0f %12.1f %8.2f×  %s\n' "(a) plain" "$tps_plain" "$(awk -v t="$tps_plain" -v c="$pgb_clients" 'BEGIN {print 1e6 * c / t}')" 1 "$(ints ${tps[pb_plain]})"
printf '%-38s %10.0f %12.1f %8.2f×  %s\n' "(c) pg_versioning (audit on)" "$tps_pgv" "$(awk -v t="$tps_pgv" -v c="$pgb_clients" 'BEGIN {print 1e6 * c / t}')" \
  "$(ratio "$tps_plain" "$tps_pgv")" "$(ints ${tps[pb_pgv]})"
# shellcheck disable=SC2086
lat_deep=$(median ${lat[deep]}); lat_shallow=$(median ${lat[shallow]})
printf '\nhistory depth: %d single-row INSERTs (one transaction each, 1 client) into key (ref, NULL, NULL), median of %d rounds\n\n' "$hist_n" "$rounds"
printf '%-38s %10s %12s %9s   %s\n' key "" "latency µs" "vs 10" "runs (µs)"
printf '%-38s %10s %12.1f %8.2f×  %s\n' "10 versions (a fresh key per round)" "" "$(awk -v l="$lat_shallow" 'BEGIN {print l * 1000}')" 1 "$(us ${lat[shallow]})"
printf '%-38s %10s %12.1f %8.2f×  %s\n' "100,000+ versions" "" "$(awk -v l="$lat_deep" 'BEGIN {print l * 1000}')" \
  "$(ratio "$lat_deep" "$lat_shallow")" "$(us ${lat[deep]})"

[ "$busy" = 0 ] || printf '\nnote: %d of %d bulk runs saw other active sessions on this server (other work skews the numbers)\n' "$busy" $((rounds * ${#variants[@]}))
printf '\ntargets\n'
target "(c) bulk vs (a) plain" "$(ratio "${med[pgv]}" "${med[plain]}")" "<=" 2.0
target "(c) single-row vs plain (pgbench tps ratio)" "$(ratio "$tps_plain" "$tps_pgv")" "<=" 1.3
target "(b) PL/pgSQL vs (c) pg_versioning, bulk (slower by)" "$(ratio "${med[plpgsql]}" "${med[pgv]}")" ">=" 3
target "insert into a 100k-version key vs a 10-version key" "$(ratio "$lat_deep" "$lat_shallow")" "<=" 1.2
printf '      (c'"'"') audit => false vs (a) plain, bulk: %s×\n' "$(ratio "${med[pgv_noaudit]}" "${med[plain]}")"
if [ "$errors" != 0 ]; then
  printf '\n%d error(s) above: the numbers are not valid\n' "$errors"
  exit 1
fi
