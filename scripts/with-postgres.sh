#!/usr/bin/env bash
# Runs a command next to a throwaway PostgreSQL cluster (Debian's postgresql package): a temporary
# data folder, a free loopback port, trust authentication for loopback only. The command sees
# HOLDOUT_TEST_POSTGRES_URL (the `postgres` database; tests create their own databases in it).
# The cluster is stopped and deleted when the command ends, whatever its exit status.
#
#   scripts/with-postgres.sh npm test
#   scripts/with-postgres.sh --durable npm run bench:throughput   # keep fsync on (benchmarks)
set -euo pipefail

durable=0
if [ "${1:-}" = "--durable" ]; then durable=1; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [--durable] <command> [args...]" >&2; exit 2; }

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "with-postgres: PostgreSQL is not installed (apt-get install postgresql, or npm run setup)" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/holdout-pg.XXXXXX")
# The server refuses to run as root: as root, the cluster belongs to Debian's postgres user.
as=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  as=(runuser -u postgres --)
fi
stop() {
  "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

port=$(node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"${as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
settings="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300"
# Tests throw the cluster away afterwards: durability only costs time there.
[ "$durable" -eq 1 ] || settings="$settings -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -o "$settings" -l "$dir/server.log" -w -t 60 start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }

export HOLDOUT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on $HOLDOUT_TEST_POSTGRES_URL" >&2
set +e
"$@"
status=$?
set -e
exit "$status"
