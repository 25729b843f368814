#!/usr/bin/env bash
# Prints one value from pgrx.toml, the single place the toolchain is named.
#   scripts/toolchain.sh pgrx-version | pg-major | pg-config [MAJOR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
toml="$here/pgrx.toml"
case "${1:-}" in
  pgrx-version) sed -n '/^\[pgrx\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' "$toml" ;;
  pg-major)     sed -n 's/^majors *= *\[ *\([0-9][0-9]*\).*/\1/p' "$toml" ;;
  pg-majors)    sed -n 's/^majors *= *\[\(.*\)\].*/\1/p' "$toml" | tr -d ' ' | tr ',' ' ' ;;
  pg-config)    major=${2:-$("$0" pg-major)}
                sed -n "/^\[postgres.pg_config\]/,/^\[/ s/^$major *= *\"\([^\"]*\)\".*/\1/p" "$toml" ;;
  *) echo "usage: $0 pgrx-version|pg-major|pg-majors|pg-config [MAJOR]" >&2; exit 2 ;;
esac
