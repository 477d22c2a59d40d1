#!/usr/bin/env bash
# Starts the PostgreSQL 15 server the integration tests use: 127.0.0.1 only, port 55432
# (AGENTPOD_TEST_PG_PORT overrides), trust auth, fsync off. Test-only: never point a real
# deployment at it. Idempotent; prints nothing when the server is already up, one line
# when it starts it, and errors on stderr.
#
# Afterwards: postgres://agentpod@127.0.0.1:${AGENTPOD_TEST_PG_PORT:-55432}/agentpod_test
# The role agentpod_auth_probe always fails password auth (it has no password), so tests
# can prove that an authentication failure is reported without leaking the password.
set -euo pipefail

port="${AGENTPOD_TEST_PG_PORT:-55432}"
bin="/usr/lib/postgresql/15/bin"
base="/var/tmp/agentpod-test-pg"
data="$base/data"
log="$base/postgres.log"

fail() {
  echo "tests/env/postgres.sh: $*" >&2
  exit 1
}

if [[ ! -x "$bin/pg_ctl" ]]; then
  if [[ "$(id -u)" -ne 0 ]]; then
    fail "PostgreSQL 15 is not installed ($bin is missing); as root run: apt-get install -y postgresql-15"
  fi
  # The package's postinst may create and start its own cluster on 5432; we do not use it.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 >/tmp/agentpod-apt-postgresql.log 2>&1 ||
    fail "apt-get install postgresql-15 failed; see /tmp/agentpod-apt-postgresql.log"
fi

# initdb and the server refuse to run as root, so root hands them to the postgres user.
if [[ "$(id -u)" -eq 0 ]]; then
  owner="postgres"
  as_owner() { runuser -u postgres -- "$@"; }
else
  owner="$(id -un)"
  as_owner() { "$@"; }
fi

mkdir -p "$base"
chown "$owner" "$base"
chmod 700 "$base"

if [[ ! -f "$data/PG_VERSION" ]]; then
  as_owner "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    >"$base/initdb.log" 2>&1 || fail "initdb failed; see $base/initdb.log"
fi

# First match wins: the probe role must hit the password line before the trust lines.
hba="local all all trust
host all agentpod_auth_probe 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust"
hba_changed=0
if [[ "$(cat "$data/pg_hba.conf")" != "$hba" ]]; then
  printf '%s\n' "$hba" | as_owner tee "$data/pg_hba.conf" >/dev/null
  hba_changed=1
fi

pg_ready() { "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; }

if pg_ready; then
  if [[ "$hba_changed" -eq 1 ]]; then as_owner "$bin/pg_ctl" -D "$data" reload -s >/dev/null; fi
else
  if as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    fail "a server already runs from $data but not on port $port; stop it with: $bin/pg_ctl -D $data stop"
  fi
  opts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$base"
  opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
  as_owner "$bin/pg_ctl" -D "$data" -l "$log" -o "$opts" -w -t 60 -s start >/dev/null ||
    fail "the server did not start; see $log"
  pg_ready || fail "the server started but does not answer on 127.0.0.1:$port; see $log"
  echo "PostgreSQL 15 test server started on 127.0.0.1:$port (data $data, log $log)"
fi

psql_admin() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }

psql_admin -d postgres <<'SQL' >/dev/null
SELECT 'CREATE ROLE agentpod LOGIN SUPERUSER'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'agentpod') \gexec
SELECT 'CREATE ROLE agentpod_auth_probe LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'agentpod_auth_probe') \gexec
SELECT 'CREATE DATABASE agentpod_test OWNER agentpod'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'agentpod_test') \gexec
SQL
