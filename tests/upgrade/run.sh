#!/usr/bin/env bash
# Extension upgrade from the previous release (docs/operations.md, "Upgrading the extension").
# Run by `make upgrade` (and `make test`) after `make install`; PostgreSQL 15 only, the one
# major the previous release was built for.
#
#   1. builds the release named in FROM_<version> (a commit of this repository) with
#      `cargo pgrx package` in a target directory of its own, kept across runs;
#   2. installs it in place of the current build (the current files are saved first and put
#      back at the end, whatever happens) and creates fixture.sql in a throwaway cluster;
#   3. installs the current build again: before ALTER EXTENSION … UPDATE the old SQL keeps
#      working against the new shared library (every C symbol it names exists; inserts, dedup,
#      labels and as_of answer);
#   4. ALTER EXTENSION pg_versioning UPDATE: every row of every table unchanged, versioning
#      continues (next versions, dedup, frozen rules, as_of, labels), and catalog.sql lists the
#      same objects as a fresh CREATE EXTENSION in another database.
#
# Checks print "PASS  …" / "FAIL  …"; the last line is "upgrade: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
root=$(cd ../.. && pwd)
major=$("$root/scripts/toolchain.sh" pg-major)
if [ "$major" != 15 ]; then echo "upgrade: the previous release supports PostgreSQL 15 only; skipped on $major"; exit 0; fi
pg_config=$("$root/scripts/toolchain.sh" pg-config "$major")
bindir=$("$pg_config" --bindir)
pkglibdir=$("$pg_config" --pkglibdir)
extdir=$("$pg_config" --sharedir)/extension
# installing files into PostgreSQL's directories: through sudo where they are not the user's
as_installer() { if [ -w "$pkglibdir" ] && [ -w "$extdir" ]; then "$@"; else sudo "$@"; fi; }
from_file=$(ls FROM_* | head -n 1)
from_version=${from_file#FROM_}
from_commit=$(cat "$from_file")
to_version=$(python3 -c 'import tomllib; print(tomllib.load(open("'"$root"'/Cargo.toml", "rb"))["package"]["version"])')
unset RUST_BACKTRACE RUST_LIB_BACKTRACE PGOPTIONS PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGTZ

work=$root/target/upgrade
base=/tmp/pgv-upgrade-$(id -u)-$(printf '%s' "$root" | md5sum | cut -c1-8)
port=55461
. "$here/../checks.sh"
as_server_user() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
q() { local db=$1; shift; "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$base" -p "$port" -U postgres -d "$db" "$@"; }
# sqlstate DB SQL: the SQLSTATE the statement fails with, or "ok"
sqlstate() {
  local out
  if out=$(q "$1" -v VERBOSITY=sqlstate -c '\set VERBOSITY sqlstate' -c "$2" 2>&1); then echo ok
  else printf '%s\n' "$out" | sed -n 's/^ERROR: *\([0-9A-Z]\{5\}\).*/\1/p' | head -n 1; fi
}

# --- 1. the previous release, built once and kept ----------------------------------------------
old=$work/$from_version
if [ ! -f "$old/package/.done" ]; then
  echo "upgrade: building $from_version ($from_commit) — takes a few minutes the first time"
  rm -rf "$old/src" "$old/package"; mkdir -p "$old/src"
  git -C "$root" archive "$from_commit" | tar -x -C "$old/src"
  (cd "$old/src" && CARGO_TARGET_DIR=$work/target cargo pgrx package --pg-config "$pg_config" \
     --features "pg$major" --no-default-features --out-dir "$old/package" >"$old/build.log" 2>&1) \
    || { tail -n 30 "$old/build.log"; echo "upgrade: building $from_version failed"; exit 1; }
  touch "$old/package/.done"
fi
old_so=$(find "$old/package" -name pg_versioning.so | head -n 1)
old_ext=$(dirname "$(find "$old/package" -name pg_versioning.control | head -n 1)")

# --- 2. install it, saving the current build ---------------------------------------------------
saved=$work/current
rm -rf "$saved"; mkdir -p "$saved"
cp -a "$pkglibdir/pg_versioning.so" "$extdir"/pg_versioning.control "$extdir"/pg_versioning--*.sql "$saved/"
install_current() {
  as_installer rm -f "$extdir"/pg_versioning--*.sql
  as_installer cp "$saved/pg_versioning.so" "$pkglibdir/"
  as_installer cp "$saved"/pg_versioning.control "$saved"/pg_versioning--*.sql "$extdir/"
}
cleanup() {
  local status=$?
  install_current
  [ -s "$base/data/PG_VERSION" ] && as_server_user "$bindir/pg_ctl" -D "$base/data" -m immediate -w -s stop >/dev/null 2>&1 || true
  if [ "$status" != 0 ] || [ "$failed" != 0 ]; then [ -f "$base/server.log" ] && tail -n 20 "$base/server.log"; fi
  rm -rf "$base"
  exit "$status"
}
trap cleanup EXIT
as_installer rm -f "$extdir"/pg_versioning--*.sql
as_installer cp "$old_so" "$pkglibdir/"
as_installer cp "$old_ext"/pg_versioning.control "$old_ext"/pg_versioning--*.sql "$extdir/"

rm -rf "$base"; mkdir -p "$base"; [ "$(id -u)" = 0 ] && chown postgres "$base"
as_server_user "$bindir/initdb" -D "$base/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 \
  || { cat "$base/initdb.log"; exit 1; }
as_server_user "$bindir/pg_ctl" -D "$base/data" -l "$base/server.log" -w -s \
  -o "-p $port -k $base -c listen_addresses='' -c fsync=off" start
q postgres -c "CREATE DATABASE upgraded" -c "CREATE DATABASE fresh"
q upgraded -f "$here/fixture.sql" >/dev/null
check "the fixture was created with $from_version" "$from_version" "$(q upgraded -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_versioning'")"

# Every row of every user and extension table, in a stable order.
snapshot() {
  q upgraded -c "SELECT string_agg(format('SELECT %L, t::text FROM %s t', c.oid::regclass, c.oid::regclass), ' UNION ALL ')
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind = 'r' AND n.nspname IN ('public', 'versioning')" |
    { read -r sql; q upgraded -c "SELECT tbl, line FROM ($sql) s (tbl, line) ORDER BY tbl COLLATE \"C\", line COLLATE \"C\""; }
}
snapshot >"$work/before.txt"

# --- 3. the current build under the old SQL ----------------------------------------------------
install_current
missing=$(q upgraded -c "SELECT DISTINCT prosrc FROM pg_proc WHERE probin = '\$libdir/pg_versioning' ORDER BY 1" |
          while read -r sym; do nm -D --defined-only "$pkglibdir/pg_versioning.so" | grep -qw "$sym" || echo "$sym"; done)
check "every C symbol the $from_version SQL names exists in the new library" "" "$missing"
check "old SQL, new library: a new version" "4" \
  "$(q upgraded -c "INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{\"steps\": 5}') RETURNING version_number")"
check "old SQL, new library: a duplicate is skipped" "" \
  "$(q upgraded -c "INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{\"steps\": 5.0}') RETURNING version_number")"
check "old SQL, new library: label and as_of answer" "2 true" \
  "$(q upgraded -c "SELECT versioning.label('public.workflows', '{\"workflow_id\": \"wf-a\"}', 'prod') || ' ' || (versioning.as_of('public.workflows', '{\"workflow_id\": \"wf-a\"}', now()) IS NOT NULL)")"
snapshot >"$work/before.txt"

# --- 4. ALTER EXTENSION … UPDATE ---------------------------------------------------------------
if out=$(q upgraded -c "ALTER EXTENSION pg_versioning UPDATE" 2>&1); then pass "ALTER EXTENSION pg_versioning UPDATE"; else fail "ALTER EXTENSION pg_versioning UPDATE" "$out"; exit 1; fi
check "the extension is now $to_version" "$to_version" "$(q upgraded -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_versioning'")"
snapshot >"$work/after.txt"
if diff -u "$work/before.txt" "$work/after.txt" >"$work/data.diff"; then pass "every row of every table unchanged by the update"
else fail "every row of every table unchanged by the update" "$(cat "$work/data.diff")"; fi

q fresh -c "CREATE EXTENSION pg_versioning" >/dev/null
q upgraded -f "$here/catalog.sql" >"$work/catalog-upgraded.txt"
q fresh -f "$here/catalog.sql" >"$work/catalog-fresh.txt"
if diff -u "$work/catalog-fresh.txt" "$work/catalog-upgraded.txt" >"$work/catalog.diff"; then
  pass "the extension's objects equal a fresh CREATE EXTENSION's ($(wc -l <"$work/catalog-fresh.txt") catalog lines)"
else fail "the extension's objects equal a fresh CREATE EXTENSION's (- fresh, + upgraded)" "$(tail -n +3 "$work/catalog.diff")"; fi

check "after the update: the next version of wf-a is 5" "5" \
  "$(q upgraded -c "INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{\"steps\": 6}') RETURNING version_number")"
check "after the update: a duplicate of an old version is skipped" "" \
  "$(q upgraded -c "INSERT INTO public.workflows (workflow_id, definition) VALUES ('wf-a', '{\"steps\": 2}') RETURNING version_number")"
check "after the update: a published version stays frozen" "55000" \
  "$(sqlstate upgraded "UPDATE public.workflows SET definition = '{\"x\": 1}' WHERE workflow_id = 'wf-a' AND version_number = 1")"
check "after the update: the version sent back to draft stays frozen (left_editable)" "55000" \
  "$(sqlstate upgraded "UPDATE public.reviews SET body = 'two, edited' WHERE ref = 'r' AND version = 2")"
check "after the update: label, as_of and protections answer" "2 5 1" \
  "$(q upgraded -c "SELECT versioning.label('public.workflows', '{\"workflow_id\": \"wf-a\"}', 'prod') || ' ' ||
                           (versioning.as_of('public.workflows', '{\"workflow_id\": \"wf-a\"}', now())->>'version_number') || ' ' ||
                           (SELECT count(*) FROM versioning.label_protections)")"
q upgraded -c "INSERT INTO public.selections (cycle, notes) VALUES ('c1', 'third round')" >/dev/null
check "after the update: carry-forward continues: the new version carries the approved decision" "1" \
  "$(q upgraded -c "SELECT count(*) FROM public.decisions d JOIN public.selections s ON s.id = d.selection_id
           WHERE s.cycle = 'c1' AND s.version = (SELECT max(version) FROM public.selections) AND d.status = 'approved'")"
check "after the update: verify finds nothing" "0" "$(q upgraded -c "SELECT count(*) FROM versioning.verify('public.workflows')")"
check "after the update: label history reads the label moves logged by $from_version" "t" \
  "$(q upgraded -c "SELECT count(*) >= 1 FROM versioning.label_history('public.workflows', '{\"workflow_id\": \"wf-a\"}', 'prod')")"

printf 'upgrade: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
