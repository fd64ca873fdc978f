#!/bin/sh
# Browser tests drive Debian's chromium through playwright-core. Install it when missing
# (root with apt, as on CI and the annotation machines); otherwise say what to do.
set -e
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing chromium for the browser tests (apt-get install -y chromium)..." >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "The browser tests need /usr/bin/chromium: run 'sudo apt-get install -y chromium'." >&2
exit 1
