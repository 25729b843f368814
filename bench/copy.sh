#!/usr/bin/env bash
# COPY of many rows in one transaction (part of `make bench`, run last by bench/run.sh; alone:
# `bench/copy.sh` with the scripts/pg.sh cluster running and the extension installed).
# BENCH_COPY_ROWS rows (1,000,000) over BENCH_COPY_KEYS (rows / 100) keys, ~300-byte jsonb, by
# COPY … FROM STDIN in one transaction of a fresh session, into (a) a plain table (version and
# hash in the data), (c) a pg_versioning table (audit on), same columns and indexes, and (f) the
# plain COPY followed, in the same transaction, by an INSERT … SELECT of the same log records
# into a table shaped and indexed like versioning.log (keys precomputed: the floor of an
# audited load); BENCH_COPY_ROUNDS (3) rounds, the order rotating. The session reads its own
# VmHWM (peak resident memory, shared buffers it touched included) and RssAnon (its private
# memory at the end) from /proc/self/status; CPU time as in bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")"
eval "$(../scripts/pg.sh env)"
PGHOST=${PGV_HOST:-$PGHOST}
export PGHOST PGPORT PGUSER
unset PGOPTIONS PGDATABASE
export PATH="$BINDIR:$PATH"
db=${BENCH_DB:-pgv_bench_copy}
work=$(mktemp -d /tmp/pgv_bench_copy.XXXXXX)
errors=0
. ./lib.sh
trap 'rm -rf "$work"' EXIT
if [ -z "${BENCH_DB:-}" ]; then
  dropdb --if-exists --force "$db" >/dev/null 2>&1
  createdb "$db"
  psql_ -v hist_versions=10 -f schema.sql >/dev/null
  trap 'rm -rf "$work"; dropdb --if-exists --force "$db" >/dev/null 2>&1 || true' EXIT
fi

copy_rows=${BENCH_COPY_ROWS:-1000000}
copy_keys=${BENCH_COPY_KEYS:-$((copy_rows / 100))}
copy_rounds=${BENCH_COPY_ROUNDS:-3}
psql_ >/dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS t_copy_plain, t_copy_pgv, copy_log;
CREATE TABLE t_copy_plain (LIKE t_plain INCLUDING DEFAULTS) WITH (autovacuum_enabled = off);
CREATE TABLE t_copy_pgv (LIKE t_plain INCLUDING DEFAULTS) WITH (autovacuum_enabled = off);
CREATE UNIQUE INDEX ON t_copy_plain (reference, version) NULLS NOT DISTINCT;
CREATE INDEX ON t_copy_plain (reference, content_hash);
SELECT versioning.enable('t_copy_pgv', key => ARRAY['reference'], content => ARRAY['content']);
CREATE TABLE copy_log AS
SELECT jsonb_build_object('reference', 'ref-' || i % $copy_keys) AS key, i / $copy_keys + 1 AS version
  FROM generate_series(0, $copy_rows - 1) i;
SQL
# copy_data plain|pgv: the rows as COPY text
copy_data() {
  awk -v n="$copy_rows" -v keys="$copy_keys" -v plain="$([ "$1" = pgv ] && echo 0 || echo 1)" 'BEGIN {
    pad = sprintf("%260s", ""); gsub(/ /, "x", pad)
    for (i = 0; i < n; i++) {
      content = sprintf("{\"n\": %d, \"pad\": \"%s\"}", i, pad)
      if (plain) printf "ref-%d\t%d\t%064x\t%s\n", i % keys, int(i / keys) + 1, i, content
      else printf "ref-%d\t%s\n", i % keys, content
    }
  }'
}
memory_kb="(regexp_match(pg_catalog.pg_read_file('/proc/self/status'), 'VmHWM:\\s+(\\d+)'))[1] || '|' ||
           (regexp_match(pg_catalog.pg_read_file('/proc/self/status'), 'RssAnon:\\s+(\\d+)'))[1]"
# copy_run plain|pgv|plain_log: prints "wall ms|cpu ms|VmHWM kB|RssAnon kB|rows"
copy_run() {
  local table=t_copy_pgv columns="reference, content" log="SELECT 'no log records'"
  if [ "$1" != pgv ]; then table=t_copy_plain columns="reference, version, content_hash, content"; fi
  [ "$1" = plain_log ] && log=$(log_records t_copy_plain copy_log)
  psql_ -c "TRUNCATE $table, versioning.log, log_plain" -c "CHECKPOINT" >/dev/null
  copy_data "$1" | psql_ -At -c "BEGIN" \
    -c "SELECT set_config('bench.t0', pg_catalog.clock_timestamp()::text, false), set_config('bench.c0', coalesce(public.bench_cpu_ns(), -1)::text, false)" \
    -c "COPY $table ($columns) FROM STDIN" -c "$log" \
    -c "SELECT round(extract(epoch FROM pg_catalog.clock_timestamp() - current_setting('bench.t0')::timestamptz) * 1000, 1) || '|' ||
               round((public.bench_cpu_ns() - current_setting('bench.c0')::numeric) / 1e6, 1) || '|' || $memory_kb" \
    -c "COMMIT" >"$work/copy-$1.out" 2>&1 || { cat "$work/copy-$1.out"; wrong "COPY into $table failed"; }
  printf '%s|%s\n' "$(grep -E '^[0-9.]+\|-?[0-9.]+\|[0-9]+\|[0-9]+$' "$work/copy-$1.out" | tail -n 1)" \
    "$(psql_ -At -c "SELECT count(*) FROM $table")"
}
variants=(plain pgv plain_log)
declare -A cp_wall=() cp_cpu=() cp_hwm=() cp_anon=()
for ((r = 0; r < copy_rounds; r++)); do
  for ((i = 0; i < ${#variants[@]}; i++)); do
    v=${variants[$(((i + r) % ${#variants[@]}))]}
    IFS='|' read -r ms cms hwm anon n < <(copy_run "$v")
    [ "$n" = "$copy_rows" ] || wrong "COPY ($v) stored $n rows, expected $copy_rows"
    cp_wall[$v]="${cp_wall[$v]:-} $ms"; cp_cpu[$v]="${cp_cpu[$v]:-} $cms"
    cp_hwm[$v]="${cp_hwm[$v]:-} $hwm"; cp_anon[$v]="${cp_anon[$v]:-} $anon"
  done
done
psql_ -c "SELECT versioning.disable('t_copy_pgv')" -c "DROP TABLE t_copy_plain, t_copy_pgv, copy_log" -c "TRUNCATE versioning.log, log_plain" >/dev/null


printf '\ncopy: COPY of %d rows over %d keys in one transaction, median of %d rounds\n' "$copy_rows" "$copy_keys" "$copy_rounds"
printf '%-42s %9s %9s %10s %10s   %s\n' "variant" "wall ms" "CPU ms" "VmHWM kB" "RssAnon kB" "runs: VmHWM kB"
# shellcheck disable=SC2086
{
  declare -A cpm=() cpc=() cph=() cpa=()
  for k in "${variants[@]}"; do
    cpm[$k]=$(median ${cp_wall[$k]}); cpc[$k]=$(median ${cp_cpu[$k]}); cph[$k]=$(median ${cp_hwm[$k]}); cpa[$k]=$(median ${cp_anon[$k]})
  done
}
printf '%-42s %9.1f %9.1f %10.0f %10.0f   %s\n' "(a) plain COPY" "${cpm[plain]}" "${cpc[plain]}" "${cph[plain]}" "${cpa[plain]}" "$(ints ${cp_hwm[plain]})"
printf '%-42s %9.1f %9.1f %10.0f %10.0f   %s\n' "(c) pg_versioning COPY (audit on)" "${cpm[pgv]}" "${cpc[pgv]}" "${cph[pgv]}" "${cpa[pgv]}" "$(ints ${cp_hwm[pgv]})"
printf '%-42s %9.1f %9.1f %10.0f %10.0f   %s\n' "(f) (a) + the log records, plain INSERT" "${cpm[plain_log]}" "${cpc[plain_log]}" "${cph[plain_log]}" "${cpa[plain_log]}" "$(ints ${cp_hwm[plain_log]})"

printf 'targets\n'
target "COPY of $copy_rows rows: peak backend memory vs plain COPY (VmHWM)" "$(ratio "${cph[pgv]}" "${cph[plain]}")" "<=" 1.5 \
  "private memory at the end: $(ratio "${cpa[pgv]}" "${cpa[plain]}")×"
target "COPY of $copy_rows rows vs plain COPY (backend CPU)" "$(ratio "${cpc[pgv]}" "${cpc[plain]}")" "<=" 1.3 \
  "wall: $(ratio "${cpm[pgv]}" "${cpm[plain]}")×; floor (f): $(ratio "${cpc[plain_log]}" "${cpc[plain]}")×"
[ "$errors" = 0 ]
