#!/usr/bin/env bash
# Prints one value from pgrx.toml, the single place the toolchain is named.
#   scripts/toolchain.sh pgrx-version | pg-majors
#   scripts/toolchain.sh pg-major              the major in use: $PGV_MAJOR, else the default
#   scripts/toolchain.sh pg-config [MAJOR]     that major's pg_config (default: the major in use)
#   scripts/toolchain.sh wheel MAJOR           "DIR REQUIREMENT PIP_ARG…" for a major that comes
#                                              from a wheel (nothing for a Debian one)
# Wheels unpack under $PGV_CACHE (default /var/tmp/pg_versioning-<uid>): outside the checkout,
# so that they are fetched once per machine and the server's user can read them even when the
# checkout is in a directory only its owner can enter.
# pgrx.toml is read with a TOML parser (Python's tomllib, Python 3.11 or later).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  pgrx-version|pg-major|pg-majors|pg-config|wheel) ;;
  *) echo "usage: $0 pgrx-version|pg-major|pg-majors|pg-config [MAJOR]|wheel MAJOR" >&2; exit 2 ;;
esac
exec python3 - "$here/pgrx.toml" "$@" <<'PY'
import os, re, sys
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

postgres = toml.get("postgres", {})
majors = [str(m) for m in need(postgres.get("majors"), "[postgres] majors")]
current = os.environ.get("PGV_MAJOR") or majors[0]
if current not in majors:
    sys.exit(f"toolchain.sh: PostgreSQL {current} is not among the majors of {path}: {' '.join(majors)}")
cache = os.environ.get("PGV_CACHE") or f"/var/tmp/pg_versioning-{os.getuid()}"

def wheel(major):
    w = postgres.get("wheel", {}).get(major)
    if w is None:
        return None
    requirement = need(w.get("requirement"), f"[postgres.wheel.{major}] requirement")
    directory = os.path.join(cache, re.sub(r"[^A-Za-z0-9.]+", "-", requirement))
    return directory, requirement, w

if command == "pgrx-version":
    print(need(toml.get("pgrx", {}).get("version"), "[pgrx] version"))
elif command == "pg-major":
    print(current)
elif command == "pg-majors":
    print(" ".join(majors))
elif command == "pg-config":
    major = args[0] if args else current
    w = wheel(major)
    if w:
        print(os.path.join(w[0], need(w[2].get("pg_config"), f"[postgres.wheel.{major}] pg_config")))
    else:
        print(need(postgres.get("pg_config", {}).get(major), f"[postgres.pg_config] entry for {major}"))
elif command == "wheel":
    w = wheel(need(args[0] if args else None, "major argument"))
    if w:
        print(" ".join([w[0], w[1], *w[2].get("pip_args", [])]))
PY
