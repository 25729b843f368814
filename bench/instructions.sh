#!/usr/bin/env bash
# Instructions of the bulk INSERT … SELECT (bench/run.sh's bulk variants), counted by valgrind's
# callgrind in a single-user backend of a throwaway cluster: what one build of the extension
# costs against another, repeatable to about 0.01% (the timed benchmark on a shared 2-core
# machine moves by 5–35% between rounds, more than most single changes save). Compare builds by
# running it on each (`make install` between). Instructions are not time — a plain insert's
# index inserts cost more in cache misses than in instructions, SHA-256 runs without the CPU's
# SHA extensions under valgrind — so the ratios here are not `make bench`'s; the differences
# between builds are what it is for.
#   bench/instructions.sh            BENCH_INSN_ROWS (20,000) rows of bench/schema.sql's src
#                                    (the first 20 versions of its 1,000 keys), per variant
# Needs valgrind (apt-get install valgrind) and the extension installed for the major
# scripts/toolchain.sh picks; leaves the scripts/pg.sh cluster alone.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null \
  || { echo "bench/instructions.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
bindir=$("$(scripts/toolchain.sh pg-config)" --bindir)
rows=${BENCH_INSN_ROWS:-20000}
work=$(mktemp -d /tmp/pgv_insn.XXXXXX)
chmod 755 "$work"
# PostgreSQL refuses to run as root: as root the cluster is the postgres user's
as_server_user() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
stop() { as_server_user "$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; }
trap 'stop; rm -rf "$work"' EXIT

as_server_user "$bindir/initdb" -D "$work/data" -U postgres -A trust --no-sync >/dev/null
as_server_user "$bindir/pg_ctl" -D "$work/data" -w -l "$work/server.log" \
  -o "-k $work -c listen_addresses= -c fsync=off" start >/dev/null
export PGHOST=$work PGUSER=postgres PATH="$bindir:$PATH"
unset PGPORT PGDATABASE PGOPTIONS
db=insn
. bench/lib.sh
createdb "$db"
(cd bench && psql_ -v hist_versions=10 -f schema.sql >/dev/null)
as_server_user "$bindir/pg_ctl" -D "$work/data" -w stop >/dev/null

# the variants' statements are bench/run.sh's (bench/lib.sh). One backend per variant: a 10-row
# warm-up rolled back (caches, the extension loaded), then the statement, rolled back too (every
# variant starts from empty tables). Only the executor's work is counted (--toggle-collect:
# ExecutorRun, and ExecutorFinish, where a data-modifying CTE's statement and AFTER triggers
# run), the warm-up's included.
variants=(plain plain_log pgv pgv_noaudit)
declare -A ir=()
for v in "${variants[@]}"; do
  warm=$(with_sources "${statement[$v]}" "(TABLE src LIMIT 10) s" "(TABLE src_log LIMIT 10) l")
  run=$(with_sources "${statement[$v]}" "(TABLE src LIMIT $rows) s" "(TABLE src_log LIMIT $rows) l")
  # single-user mode reads one statement a line
  printf '%s\n' "BEGIN" "${warm//$'\n'/ }" "ROLLBACK" "BEGIN" "${run//$'\n'/ }" "ROLLBACK" >"$work/$v.sql"
  chmod 644 "$work/$v.sql"
  as_server_user valgrind --tool=callgrind --collect-atstart=no --toggle-collect=standard_ExecutorRun \
    --toggle-collect=ExecutorFinish \
    --callgrind-out-file="$work/$v.callgrind" \
    "$bindir/postgres" --single -D "$work/data" -c fsync=off insn <"$work/$v.sql" >"$work/$v.out" 2>"$work/$v.err" \
    || { cat "$work/$v.err" >&2; exit 1; }
  ! grep -q "ERROR:" "$work/$v.err" || { grep -A2 "ERROR:" "$work/$v.err" >&2; exit 1; }
  ir[$v]=$(awk '/^(summary|totals):/ {print $2; exit}' "$work/$v.callgrind")
done

printf 'instructions of one INSERT … SELECT of %d rows (callgrind, single-user backend, PostgreSQL %s, commit %s)\n' \
  "$rows" "$("$bindir/postgres" --version | awk '{print $3}')" "$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
printf '%-42s %15s %10s %9s\n' "variant" "instructions" "per row" "vs (a)"
for v in "${variants[@]}"; do
  printf '%-42s %15d %10d %8.2f×\n' "${label[$v]}" "${ir[$v]}" $((ir[$v] / rows)) \
    "$(awk -v a="${ir[$v]}" -v b="${ir[plain]}" 'BEGIN {print a / b}')"
done
