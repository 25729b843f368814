#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the demo, the tests and the benchmark.
#   scripts/pg.sh start | stop | psql [ARGS…] | env
# Data, socket and log live in a directory of this checkout's own under /tmp (the server's
# user must reach them even when the checkout is in a directory only its owner can enter,
# such as root's home). PostgreSQL refuses to run as root, so when run as root the server
# runs as the `postgres` user. Each major (PGV_MAJOR, see scripts/toolchain.sh) has its own
# cluster and port (55417 + major: 55432 for 15), so clusters of several majors can run at once.
set -euo pipefail
cd "$(dirname "$0")/.."
major=$(scripts/toolchain.sh pg-major)
bindir=$("$(scripts/toolchain.sh pg-config "$major")" --bindir)
base=/tmp/pg_versioning-$(id -u)-$(pwd | md5sum | cut -c1-12)-pg$major
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
export PGHOST=$base/sock PGPORT=${PGV_PORT:-$((55417 + major))} PGUSER=postgres PGDATABASE=postgres

as_server_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    mkdir -p "$base"
    [ "$(id -u)" = 0 ] && chown postgres "$base"
    if [ ! -s "$base/data/PG_VERSION" ]; then
      as_server_user "$bindir/initdb" -D "$base/data" -U postgres --auth=trust \
        --no-sync -E UTF8 --locale=C.UTF-8 >"$base/initdb.log"
    fi
    as_server_user mkdir -p "$base/sock"
    if ! as_server_user "$bindir/pg_ctl" -D "$base/data" status >/dev/null 2>&1; then
      as_server_user "$bindir/pg_ctl" -D "$base/data" -l "$base/server.log" -w -s \
        -o "-p $PGPORT -k $base/sock -c listen_addresses='' -c fsync=off -c max_connections=40 ${PGV_SERVER_OPTS:-}" start
    fi
    ;;
  stop)
    if [ -s "$base/data/PG_VERSION" ]; then
      as_server_user "$bindir/pg_ctl" -D "$base/data" -m fast -w -s stop 2>/dev/null || true
    fi
    ;;
  destroy)
    "$0" stop; rm -rf "$base" ;;
  psql)
    shift; exec "$bindir/psql" -X -v ON_ERROR_STOP=1 "$@" ;;
  env)
    echo "export PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER BINDIR=$bindir" ;;
  *) echo "usage: $0 start|stop|destroy|psql [ARGS…]|env" >&2; exit 2 ;;
esac
