#!/usr/bin/env bash
# Makes sure the headless Chromium the dashboard's browser tests drive is installed:
# $AGENTPOD_CHROMIUM when set, else Debian's /usr/bin/chromium. As root on Debian with it
# missing, installs the `chromium` package (apt-get update only when the install fails
# without it); otherwise stops with a clear message. Idempotent and quiet when present.
# No browser is downloaded by a test tool: playwright-core drives this one.
set -euo pipefail

bin="${AGENTPOD_CHROMIUM:-/usr/bin/chromium}"
log="/tmp/agentpod-apt-chromium.log"

fail() {
  echo "chromium.sh: $*" >&2
  exit 1
}

runs() { "$bin" --version >/dev/null 2>&1; }

if [[ -x "$bin" ]] && runs; then exit 0; fi

if [[ -n "${AGENTPOD_CHROMIUM:-}" ]]; then
  fail "AGENTPOD_CHROMIUM=$AGENTPOD_CHROMIUM is not a Chromium that runs; fix or unset it"
fi
if ! command -v apt-get >/dev/null; then
  fail "$bin is missing and this is not a Debian host; install Chromium and set AGENTPOD_CHROMIUM=/path/to/chromium"
fi
if [[ "$(id -u)" -ne 0 ]]; then
  fail "$bin is missing and this user cannot install it; as root run: apt-get install -y chromium"
fi

echo "chromium.sh: installing chromium from Debian (log: $log)" >&2
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg (a concurrent install) instead of failing on its lock.
apt_install() { apt-get install -y -q -o DPkg::Lock::Timeout=600 chromium >>"$log" 2>&1; }
: >"$log"
if ! apt_install; then
  echo "chromium.sh: install failed; running apt-get update and trying again" >&2
  apt-get update -q -o DPkg::Lock::Timeout=600 >>"$log" 2>&1 || fail "apt-get update failed; see $log"
  apt_install || fail "apt-get install chromium failed; see $log"
fi
runs || fail "chromium was installed but '$bin --version' fails; see $log"
echo "chromium.sh: installed $("$bin" --version 2>/dev/null) at $bin" >&2
