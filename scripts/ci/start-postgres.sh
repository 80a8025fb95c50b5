#!/bin/sh
# Starts the local PostgreSQL 15 cluster for the archive tests and makes it reachable on 127.0.0.1 with a
# password-authenticated test role and database, then prints the URL the tests use. Safe to run again: every
# step checks before it acts. Run as root (CI), as postgres, or as a user who may `sudo -u postgres`.
# The tests read SMPP_GUARD_TEST_PG_URL, whose default matches the role, password and database made here.
set -eu

PG_VERSION=${PG_VERSION:-15}
PG_CLUSTER=${PG_CLUSTER:-main}
TEST_ROLE=${TEST_ROLE:-smpp_guard_test}
TEST_PASSWORD=${TEST_PASSWORD:-smpp_guard_test}
TEST_DB=${TEST_DB:-smpp_guard_test}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"
  elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"
  else sudo -u postgres -- "$@"
  fi
}

cluster_field() { # $1: column of pg_lsclusters (3 port, 4 status)
  pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" -v f="$1" '$1 == v && $2 == c { print $f }'
}

if [ -z "$(cluster_field 2)" ]; then
  pg_createcluster "$PG_VERSION" "$PG_CLUSTER"
fi
case "$(cluster_field 4)" in
  online*) ;;
  *) pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start ;;
esac
port=$(cluster_field 3)

# The packaged cluster listens on localhost and accepts scram-sha-256 passwords from 127.0.0.1.
tries=0
until as_postgres psql -p "$port" -Atqc 'select 1' >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt 30 ]; then echo "start-postgres: cluster $PG_VERSION/$PG_CLUSTER not answering" >&2; exit 1; fi
  sleep 1
done

if [ "$(as_postgres psql -p "$port" -Atqc "select 1 from pg_roles where rolname = '$TEST_ROLE'")" != 1 ]; then
  as_postgres psql -p "$port" -qc "create role $TEST_ROLE login password '$TEST_PASSWORD'"
fi
if [ "$(as_postgres psql -p "$port" -Atqc "select 1 from pg_database where datname = '$TEST_DB'")" != 1 ]; then
  as_postgres psql -p "$port" -qc "create database $TEST_DB owner $TEST_ROLE"
fi

echo "postgres://$TEST_ROLE:$TEST_PASSWORD@127.0.0.1:$port/$TEST_DB"
