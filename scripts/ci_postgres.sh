#!/usr/bin/env bash
# Provide a local PostgreSQL for the test suite (Debian, run as root, no systemd needed).
#
# Idempotent: installs the server if missing, makes sure a cluster listens on $PG_PORT,
# starts it, waits until it accepts connections, then creates the role and the database
# the tests use. Run it as many times as you like; the last line is the URL to export:
#
#   MOTCUA_TEST_DATABASE_URL=postgresql+psycopg://motcua:motcua@127.0.0.1:5432/motcua_test
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT="${PG_PORT:-5432}"
PG_USER=motcua
PG_PASSWORD=motcua
PG_DB=motcua_test
READY_TIMEOUT="${PG_READY_TIMEOUT:-60}"  # seconds

say() { echo "ci_postgres: $*"; }
die() { echo "ci_postgres: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and runs commands as 'postgres')"

# Run a command as the postgres superuser, from a directory that user can read.
as_postgres() { (cd / && runuser -u postgres -- "$@"); }
# psql as postgres over the local socket; -tA so a query's answer is just the value.
pg_sql() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres -tA "$@"; }

server_version() {  # newest installed server major version, empty if none
  local d
  for d in /usr/lib/postgresql/*/bin/postgres; do
    [ -x "$d" ] && basename "$(dirname "$(dirname "$d")")"
  done | sort -V | tail -n 1
}

# 1. Install the server if it is missing.
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(server_version)" ]; then
  say "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
PG_VERSION="$(server_version)"
[ -n "$PG_VERSION" ] || die "no PostgreSQL server found under /usr/lib/postgresql after installing"
say "PostgreSQL server version $PG_VERSION"

# 2. Make sure a cluster listens on $PG_PORT (pg_lsclusters -h: ver cluster port status owner ...).
cluster_on_port() { pg_lsclusters -h | awk -v p="$PG_PORT" '$3 == p { print $1, $2; exit }'; }
cluster="$(cluster_on_port)"
if [ -z "$cluster" ]; then
  if pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
    die "cluster $PG_VERSION/main exists but not on port $PG_PORT (see pg_lsclusters)"
  fi
  say "creating cluster $PG_VERSION/main on port $PG_PORT"
  pg_createcluster "$PG_VERSION" main --port "$PG_PORT" --locale C.UTF-8 --encoding UTF8
  cluster="$(cluster_on_port)"
  [ -n "$cluster" ] || die "pg_createcluster did not create a cluster on port $PG_PORT"
fi
read -r CL_VERSION CL_NAME <<<"$cluster"

# 3. Start it unless it is already running (pg_ctlcluster works without systemd).
status="$(pg_lsclusters -h | awk -v v="$CL_VERSION" -v n="$CL_NAME" '$1 == v && $2 == n { print $4 }')"
case "$status" in
  online*) say "cluster $CL_VERSION/$CL_NAME already running" ;;
  *)
    say "starting cluster $CL_VERSION/$CL_NAME"
    pg_ctlcluster "$CL_VERSION" "$CL_NAME" start \
      || die "could not start cluster $CL_VERSION/$CL_NAME; see /var/log/postgresql/postgresql-$CL_VERSION-$CL_NAME.log"
    ;;
esac

# 4. Wait until it accepts TCP connections on $PG_HOST:$PG_PORT.
deadline=$((SECONDS + READY_TIMEOUT))
until pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    pg_isready -h "$PG_HOST" -p "$PG_PORT" >&2 || true
    die "PostgreSQL not ready on $PG_HOST:$PG_PORT after ${READY_TIMEOUT}s; see /var/log/postgresql/postgresql-$CL_VERSION-$CL_NAME.log"
  fi
  sleep 1
done
say "accepting connections on $PG_HOST:$PG_PORT"

# 5. Role and database (created if missing; the role's password and rights are always reset).
if [ "$(pg_sql -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" = 1 ]; then
  say "role $PG_USER exists"
  pg_sql -c "ALTER ROLE $PG_USER WITH LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
else
  say "creating role $PG_USER"
  pg_sql -c "CREATE ROLE $PG_USER WITH LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
fi

if [ "$(pg_sql -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" = 1 ]; then
  say "database $PG_DB exists"
  pg_sql -c "ALTER DATABASE $PG_DB OWNER TO $PG_USER"
else
  say "creating database $PG_DB"
  pg_sql -c "CREATE DATABASE $PG_DB OWNER $PG_USER ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
fi
encoding="$(pg_sql -c "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = '$PG_DB'")"
[ "$encoding" = UTF8 ] || die "database $PG_DB has encoding $encoding, expected UTF8 (drop it and run this again)"

# 6. Check the way the tests will connect: TCP, password authentication.
PGPASSWORD="$PG_PASSWORD" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" \
  -tAc 'SELECT 1' >/dev/null || die "cannot log in as $PG_USER to $PG_DB on $PG_HOST:$PG_PORT with a password"

say "ready"
echo "MOTCUA_TEST_DATABASE_URL=postgresql+psycopg://$PG_USER:$PG_PASSWORD@$PG_HOST:$PG_PORT/$PG_DB"
