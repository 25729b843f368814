#!/usr/bin/env bash
# Runs the pg_regress tier against the throwaway cluster started by scripts/pg.sh:
# tests/pg_regress (the SQL surface and every error path), then examples/ (the five
# application designs as user-facing scripts; pg_regress wants them under sql/, so they are
# staged in target/).
#   scripts/run-regress.sh [TEST…]     (or TEST="…" in the environment; make regress TEST=…)
# With TEST, only the named files run, each named as in tests/pg_regress/sql or examples
# without .sql (02_insert, 001_review_workflow). The tests/pg_regress files share one
# database and run in name order, so 00_setup (the extension and regress_util) runs first
# whenever one of them is named.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/pg.sh env)"
pgxs=$(dirname "$("$(scripts/toolchain.sh pg-config)" --pgxs)")/../..

names() { (cd "$1" && ls *.sql | sed 's/\.sql$//' | sort); }
regress_all=$(names tests/pg_regress/sql)
examples_all=$(names examples)

if [ $# = 0 ] && [ -n "${TEST:-}" ]; then set -- $TEST; fi
if [ $# = 0 ]; then
  regress=$regress_all
  examples=$examples_all
else
  regress="" examples=""
  for t in "$@"; do
    t=$(basename "$t" .sql)
    if grep -qx -- "$t" <<<"$regress_all"; then regress="$regress $t"
    elif grep -qx -- "$t" <<<"$examples_all"; then examples="$examples $t"
    else
      echo "run-regress: no test named '$t'; there are:" >&2
      echo $regress_all $examples_all | fold -s -w 100 | sed 's/^/  /' >&2
      exit 2
    fi
  done
  if [ -n "$regress" ]; then regress=$(printf '%s\n' 00_setup $regress | sort -u); fi
fi

# pg_regress INPUTDIR OUTPUTDIR DATABASE TEST…
run() {
  local in=$1 out=$2 db=$3; shift 3
  rm -rf "$out"; mkdir -p "$out"
  "$pgxs/src/test/regress/pg_regress" \
    --bindir="$BINDIR" --host="$PGHOST" --port="$PGPORT" --user=postgres \
    --inputdir="$in" --outputdir="$out" --dbname="$db" "$@" \
    || { [ -f "$out/regression.diffs" ] && head -c 20000 "$out/regression.diffs"; exit 1; }
}

if [ -n "$regress" ]; then
  run tests/pg_regress target/regress pgv_regress $regress
fi

if [ -n "$examples" ]; then
  staged=target/examples-input
  rm -rf "$staged"; mkdir -p "$staged/sql"
  cp examples/*.sql "$staged/sql/"
  cp -r examples/expected "$staged/expected"
  run "$staged" target/examples pgv_examples $examples
fi
