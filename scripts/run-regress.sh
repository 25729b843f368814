#!/usr/bin/env bash
# Runs the pg_regress tier against the throwaway cluster started by scripts/pg.sh:
# tests/pg_regress (the SQL surface and every error path), then examples/ (the seed designs
# as user-facing scripts; pg_regress wants them under sql/, so they are staged in target/).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/pg.sh env)"
pgxs=$(dirname "$("$(scripts/toolchain.sh pg-config)" --pgxs)")/../..

# pg_regress INPUTDIR OUTPUTDIR DATABASE TEST…
run() {
  local in=$1 out=$2 db=$3; shift 3
  rm -rf "$out"; mkdir -p "$out"
  "$pgxs/src/test/regress/pg_regress" \
    --bindir="$BINDIR" --host="$PGHOST" --port="$PGPORT" --user=postgres \
    --inputdir="$in" --outputdir="$out" --dbname="$db" "$@" \
    || { [ -f "$out/regression.diffs" ] && head -c 20000 "$out/regression.diffs"; exit 1; }
}

run tests/pg_regress target/regress pgv_regress \
  $(cd tests/pg_regress/sql && ls *.sql | sed 's/\.sql$//' | sort)

staged=target/examples-input
rm -rf "$staged"; mkdir -p "$staged/sql"
cp examples/*.sql "$staged/sql/"
cp -r examples/expected "$staged/expected"
run "$staged" target/examples pgv_examples \
  $(cd examples && ls *.sql | sed 's/\.sql$//' | sort)
