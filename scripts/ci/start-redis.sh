#!/bin/sh
# Starts a local redis-server on 127.0.0.1:6379 for the state-backend tests. Idempotent: does nothing when
# one already answers PING; installs the Debian package when the binary is missing (CI runs this as root).
set -eu

HOST=127.0.0.1
PORT=${REDIS_PORT:-6379}

ping() { redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null | grep -q PONG; }

if command -v redis-cli >/dev/null 2>&1 && ping; then
  echo "redis already answering on $HOST:$PORT"
  exit 0
fi

if ! command -v redis-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y redis-server || { apt-get update && apt-get install -y redis-server; }
  # On a machine with an init system the package starts its own service.
  if ping; then
    echo "redis answering on $HOST:$PORT"
    exit 0
  fi
fi

# No persistence: the tests own their keys, and a stale dump must not leak between runs.
redis-server --bind "$HOST" --port "$PORT" --save '' --appendonly no --daemonize yes \
  --logfile "${TMPDIR:-/tmp}/smpp-guard-redis-$PORT.log"

i=0
until ping; do
  i=$((i + 1))
  if [ "$i" -ge 100 ]; then
    echo "redis did not answer PING on $HOST:$PORT within 10 s" >&2
    exit 1
  fi
  sleep 0.1
done
echo "redis answering on $HOST:$PORT"
