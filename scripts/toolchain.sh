#!/usr/bin/env bash
# Prints one value from pgrx.toml, the single place the toolchain is named.
#   scripts/toolchain.sh pgrx-version | pg-major | pg-majors | pg-config [MAJOR]
# pgrx.toml is read with a TOML parser (Python's tomllib, Python 3.11 or later).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  pgrx-version|pg-major|pg-majors|pg-config) ;;
  *) echo "usage: $0 pgrx-version|pg-major|pg-majors|pg-config [MAJOR]" >&2; exit 2 ;;
esac
exec python3 - "$here/pgrx.toml" "$@" <<'PY'
import sys
try:
    import tomllib
except ModuleNotFoundError:
    sys.exit("toolchain.sh: needs Python 3.11 or later (tomllib) to read pgrx.toml")

path, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(path, "rb") as f:
    toml = tomllib.load(f)

def need(value, what):
    if value is None or value == "" or value == []:
        sys.exit(f"toolchain.sh: {path} has no {what}")
    return value

majors = need(toml.get("postgres", {}).get("majors"), "[postgres] majors")
if command == "pgrx-version":
    print(need(toml.get("pgrx", {}).get("version"), "[pgrx] version"))
elif command == "pg-major":
    print(majors[0])
elif command == "pg-majors":
    print(" ".join(str(m) for m in majors))
elif command == "pg-config":
    major = args[0] if args else str(majors[0])
    paths = toml.get("postgres", {}).get("pg_config", {})
    print(need(paths.get(major), f"[postgres.pg_config] entry for {major}"))
PY
