#!/usr/bin/env bash
# A throwaway PostgreSQL server for `siteflow bench store --postgres URL`: initdb in a temp folder,
# fsync on (durable, as in production), on a free port of 127.0.0.1. Prints the URL on stdout.
#
#   url=$(scripts/throwaway-postgres.sh start)      # prints postgres://postgres@127.0.0.1:PORT/postgres
#   scripts/throwaway-postgres.sh stop "$url"       # stops it and deletes its folder
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL is not installed here (Debian: apt-get install -y postgresql)" >&2
  exit 1
fi
# initdb refuses root: as root, the server runs as the postgres user.
as_server() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-start}" in
start)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  dir=/tmp/siteflow-pg-$port
  mkdir -m 700 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  as_server "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >/dev/null
  as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  echo "postgres://postgres@127.0.0.1:$port/postgres"
  echo "started in $dir; stop it with: $0 stop postgres://postgres@127.0.0.1:$port/postgres" >&2
  ;;
stop)
  url=${2:?usage: $0 stop URL}
  port=${url##*:}; port=${port%%/*}
  dir=/tmp/siteflow-pg-$port
  if [ ! -d "$dir/data" ]; then echo "no throwaway server on port $port (no $dir)" >&2; exit 1; fi
  as_server "$bin/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null
  rm -rf "$dir"
  echo "stopped the server on port $port" >&2
  ;;
*)
  echo "usage: $0 start | stop URL" >&2
  exit 2
  ;;
esac
