#!/usr/bin/env bash
# Headless Chromium for the flame graph tests (driven by playwright-core,
# which never downloads a browser of its own): Debian's package, installed
# when missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null | tail -1)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Other processes may hold the dpkg lock for a while: wait for it rather than fail.
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null | tail -1)"
