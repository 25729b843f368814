#!/usr/bin/env bash
# Runs every isolation spec in tests/isolation/specs once per isolation level.
# A spec names its level as @isolation@; the expected output of level L is
# tests/isolation/expected/<spec>_<L>.out with L in rc, rr, ser.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/pg.sh env)"
pgxs=$(dirname "$("$(scripts/toolchain.sh pg-config)" --pgxs)")/../..
work=target/isolation
rm -rf "$work"; mkdir -p "$work/input/specs" "$work/input/expected" "$work/out"
declare -A level=([rc]="READ COMMITTED" [rr]="REPEATABLE READ" [ser]="SERIALIZABLE")
names=()
for spec in tests/isolation/specs/*.spec; do
  name=$(basename "$spec" .spec)
  for l in rc rr ser; do
    sed "s/@isolation@/${level[$l]}/g" "$spec" >"$work/input/specs/${name}_$l.spec"
    [ -f "tests/isolation/expected/${name}_$l.out" ] && cp "tests/isolation/expected/${name}_$l.out" "$work/input/expected/"
    names+=("${name}_$l")
  done
done
"$pgxs/src/test/isolation/pg_isolation_regress" \
  --bindir="$BINDIR" --host="$PGHOST" --port="$PGPORT" --user=postgres \
  --inputdir="$work/input" --outputdir="$work/out" --dbname=pgv_isolation \
  --load-extension=pg_versioning "${names[@]}" \
  || { [ -f "$work/out/regression.diffs" ] && head -c 20000 "$work/out/regression.diffs"; exit 1; }
