#!/usr/bin/env bash
# Runs the isolation specs in tests/isolation/specs once per isolation level.
#   scripts/run-isolation.sh [NAME…]   (or TEST="…" in the environment; make isolation TEST=…)
# Without NAME every spec runs; NAME is a spec file's name without .spec (same_key_insert).
# A spec names its level as @isolation@; the expected output of level L is
# tests/isolation/expected/<spec>_<L>.out with L in rc, rr, ser. A spec whose first line is
# "# requires: icu" is skipped, saying so, on a server built without ICU (the PostgreSQL 16
# wheel).
# A spec with a line "# variant: partitioned" runs a second time as <spec>_partitioned, its
# tables hash-partitioned in two by a key column, and must give the very same output (it is
# compared with the spec's own expected files). Its CREATE TABLEs say where: @primary_key@
# (PRIMARY KEY, or nothing: a partitioned table's primary key would need the partition key),
# @partition_by:COL@ after the column list, @partitions:TABLE@ after the statement.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/pg.sh env)"
pgxs=$(dirname "$("$(scripts/toolchain.sh pg-config)" --pgxs)")/../..

if [ $# = 0 ] && [ -n "${TEST:-}" ]; then set -- $TEST; fi
specs=()
if [ $# = 0 ]; then
  specs=(tests/isolation/specs/*.spec)
else
  for t in "$@"; do
    spec=tests/isolation/specs/$(basename "$t" .spec).spec
    if [ ! -f "$spec" ]; then
      echo "run-isolation: no spec named '$t'; there are:" >&2
      (cd tests/isolation/specs && ls *.spec | sed 's/\.spec$//') | tr '\n' ' ' | fold -s -w 100 | sed 's/^/  /' >&2
      echo >&2
      exit 2
    fi
    specs+=("$spec")
  done
fi

# (pg_collation lists an ICU collation even in a build without ICU: ask the build itself)
configure=$("$(scripts/toolchain.sh pg-config)" --configure)
has_icu=f; [[ $configure == *--with-icu* ]] && has_icu=t
runnable=()
for spec in "${specs[@]}"; do
  if [ "$has_icu" != t ] && head -n 1 "$spec" | grep -qx '# requires: icu'; then
    echo "run-isolation: $(basename "$spec" .spec) skipped: this server was built without ICU"
  else
    runnable+=("$spec")
  fi
done
specs=("${runnable[@]}")

work=target/isolation
rm -rf "$work"; mkdir -p "$work/input/specs" "$work/input/expected" "$work/out"
declare -A level=([rc]="READ COMMITTED" [rr]="REPEATABLE READ" [ser]="SERIALIZABLE")
names=()
plain='s/@primary_key@/PRIMARY KEY/g; s/@partition_by:[a-z_]+@//g; s/@partitions:[a-z_]+@//g'
partitioned='s/@primary_key@//g; s/@partition_by:([a-z_]+)@/PARTITION BY HASH (\1)/g;'
partitioned+=' s/@partitions:([a-z_]+)@/CREATE TABLE \1_p0 PARTITION OF \1 FOR VALUES WITH (MODULUS 2, REMAINDER 0);'
partitioned+=' CREATE TABLE \1_p1 PARTITION OF \1 FOR VALUES WITH (MODULUS 2, REMAINDER 1);/g'
for spec in "${specs[@]}"; do
  name=$(basename "$spec" .spec)
  variants=("$name:$plain")
  grep -qx '# variant: partitioned' "$spec" && variants+=("${name}_partitioned:$partitioned")
  for variant in "${variants[@]}"; do
    as=${variant%%:*} tables=${variant#*:}
    for l in rc rr ser; do
      sed -E "s/@isolation@/${level[$l]}/g; $tables" "$spec" >"$work/input/specs/${as}_$l.spec"
      [ -f "tests/isolation/expected/${name}_$l.out" ] && cp "tests/isolation/expected/${name}_$l.out" "$work/input/expected/${as}_$l.out"
      names+=("${as}_$l")
    done
  done
done
"$pgxs/src/test/isolation/pg_isolation_regress" \
  --bindir="$BINDIR" --host="$PGHOST" --port="$PGPORT" --user=postgres \
  --inputdir="$work/input" --outputdir="$work/out" --dbname=pgv_isolation \
  --load-extension=pg_versioning "${names[@]}" \
  || { [ -f "$work/out/regression.diffs" ] && head -c 20000 "$work/out/regression.diffs"; exit 1; }
