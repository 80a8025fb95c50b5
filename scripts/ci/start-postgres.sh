#!/bin/sh
# Starts the local PostgreSQL 15 cluster for the archive tests and makes it reachable on 127.0.0.1 with a
# password-authenticated test role and database. Safe to run again: every step checks before it acts.
# Run as root (CI) or as a user allowed to sudo to postgres. The tests read SMPP_GUARD_TEST_PG_URL, whose
# default matches the role, password and database created here.
set -eu

PG_VERSION=${PG_VERSION:-15}
PG_CLUSTER=${PG_CLUSTER:-main}
TEST_ROLE=${TEST_ROLE:-smpp_guard_test}
TEST_PASSWORD=${TEST_PASSWORD:-smpp_guard_test}
TEST_DB=${TEST_DB:-smpp_guard_test}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else su postgres -s /bin/sh -c "$(printf '%s ' "$@")"; fi
}

if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c && $4 ~ /^online/ { found = 1 } END { exit !found }'; then
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
fi

port=$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { print $3 }')

# The packaged cluster already accepts scram-sha-256 from 127.0.0.1; it listens on localhost by default.
tries=0
until as_postgres psql -p "$port" -Atqc "'select 1'" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt 30 ]; then echo "start-postgres: cluster $PG_VERSION/$PG_CLUSTER not answering" >&2; exit 1; fi
  sleep 1
done

if [ "$(as_postgres psql -p "$port" -Atqc "\"select 1 from pg_roles where rolname = '$TEST_ROLE'\"")" != 1 ]; then
  as_postgres psql -p "$port" -qc "\"create role $TEST_ROLE login password '$TEST_PASSWORD'\""
fi
if [ "$(as_postgres psql -p "$port" -Atqc "\"select 1 from pg_database where datname = '$TEST_DB'\"")" != 1 ]; then
  as_postgres psql -p "$port" -qc "\"create database $TEST_DB owner $TEST_ROLE\""
fi

echo "postgres://$TEST_ROLE:$TEST_PASSWORD@127.0.0.1:$port/$TEST_DB"
