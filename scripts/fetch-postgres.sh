#!/usr/bin/env bash
# Makes a major that pgrx.toml takes from a PyPI wheel available: `pip download --no-deps`
# of the wheel, unpacked into its directory in the wheel cache (see scripts/toolchain.sh).
# Nothing is installed into any Python. Skipped when the wheel's pg_config is already there.
#   scripts/fetch-postgres.sh MAJOR
set -euo pipefail
cd "$(dirname "$0")/.."
major=${1:?usage: $0 MAJOR}
read -r dir requirement pip_args <<<"$(scripts/toolchain.sh wheel "$major")"
[ -n "${dir:-}" ] || exit 0                      # a Debian major: scripts/deps.sh installs it
pg_config=$(scripts/toolchain.sh pg-config "$major")
[ -x "$pg_config" ] && exit 0

echo "deps: fetching PostgreSQL $major ($requirement) into $dir"
download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
# shellcheck disable=SC2086 # pip_args are separate words
python3 -m pip download --quiet --disable-pip-version-check --no-deps $pip_args \
  --dest "$download" "$requirement"
rm -rf "$dir.partial"
mkdir -p "$dir.partial"
python3 -m zipfile -e "$download"/*.whl "$dir.partial"
# A zip keeps no modes: the programs (bin/, pgxs' pg_regress and pg_isolation_regress) become
# executable again, and everything readable by the server's user.
chmod -R a+rX "$dir.partial"
find "$dir.partial" -path '*/bin/*' -type f -exec chmod a+x {} +
find "$dir.partial" -path '*/pgxs/src/test/*' -type f -name 'pg_*regress' -exec chmod a+x {} +
chmod a+rx "$(dirname "$dir")"
rm -rf "$dir"
mv "$dir.partial" "$dir"
"$pg_config" --version >/dev/null
