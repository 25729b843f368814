#!/usr/bin/env bash
# Runs the pg_regress tier (tests/pg_regress, then examples/ when present) against the
# throwaway cluster started by scripts/pg.sh. Each test file creates what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/pg.sh env)"
pgxs=$(dirname "$("$(scripts/toolchain.sh pg-config)" --pgxs)")/../..
out=target/regress
rm -rf "$out"; mkdir -p "$out"
tests=$(cd tests/pg_regress/sql && ls *.sql | sed 's/\.sql$//' | sort)
"$pgxs/src/test/regress/pg_regress" \
  --bindir="$BINDIR" --host="$PGHOST" --port="$PGPORT" --user=postgres \
  --inputdir=tests/pg_regress --outputdir="$out" --dbname=pgv_regress \
  $tests || { [ -f "$out/regression.diffs" ] && head -c 20000 "$out/regression.diffs"; exit 1; }
