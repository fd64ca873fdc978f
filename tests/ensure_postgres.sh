#!/bin/sh
# The many-machine tests start throwaway PostgreSQL clusters (initdb, pg_ctl). Install
# Debian's postgresql when it is missing (root with apt, as on CI); otherwise those tests
# are skipped, saying so (CI sets PROACTIVE_REQUIRE_POSTGRES=1 and fails them instead).
set -e
if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing PostgreSQL for the tests (apt-get install -y postgresql)..." >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  exit 0
fi
echo "PostgreSQL is not installed: its tests will be skipped ('sudo apt-get install -y postgresql' runs them)." >&2
exit 0
