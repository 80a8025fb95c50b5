#!/usr/bin/env bash
# Brings up what the test suite talks to: Redis, PostgreSQL, the Perl SMPP peers and Kannel. Idempotent, so
# `npm test` can call it on every run; installs missing Debian packages when run as root.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

need_pkgs=()
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
perl -MNet::SMPP -e1 >/dev/null 2>&1 || need_pkgs+=(libnet-smpp-perl)
perl -MJSON::XS -e1 >/dev/null 2>&1 || need_pkgs+=(libjson-xs-perl)
# Kannel is the second independent ESME of the interop tests.
command -v bearerbox >/dev/null 2>&1 || need_pkgs+=(kannel)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "services: installing ${need_pkgs[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "services: missing ${need_pkgs[*]} and not root; install them first" >&2
    exit 1
  fi
fi

bash "$here/start-redis.sh"
bash "$here/start-postgres.sh"
