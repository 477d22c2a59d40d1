#!/usr/bin/env bash
# Builds the images the tests use, locally and with no registry, cached by tag:
#   agentpod-fixture:1            busybox (sh, httpd, sleep…) from Debian's busybox-static
#   agentpod/openclaw:<version>   the real OpenClaw gateway, by deploy/openclaw/build-image.sh
#                                 (2026.9.6, and 2026.9.5 to upgrade from)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
FIXTURE_IMAGE=${AGENTPOD_FIXTURE_IMAGE:-agentpod-fixture:1}

ensure_busybox() {
  if [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "images.sh: installing busybox-static from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq busybox-static >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && apt-get install -y -qq busybox-static >/dev/null; }
    return 0
  fi
  echo "images.sh: a static /bin/busybox is needed (apt-get install busybox-static)" >&2
  exit 1
}

ensure_busybox

if ! docker image inspect "$FIXTURE_IMAGE" >/dev/null 2>&1; then
  echo "images.sh: building $FIXTURE_IMAGE" >&2
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for tool in sh httpd sleep echo cat ls env wget nc true false kill ps; do
    ln -s busybox "$root/bin/$tool"
  done
  chmod 1777 "$root/tmp"
  echo ok >"$root/www/index.html"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' >"$root/etc/group"
  tar -C "$root" --numeric-owner -c . | docker import \
    --change 'ENV PATH=/bin' \
    --change 'CMD ["/bin/httpd","-f","-p","8080","-h","/www"]' \
    --change 'EXPOSE 8080' - "$FIXTURE_IMAGE" >/dev/null
fi

bash "$here/../../deploy/openclaw/build-image.sh"
# The release before it, for the real upgrade test (tests/e2e/upgrade_openclaw_test.ts).
OPENCLAW_VERSION=2026.9.5 bash "$here/../../deploy/openclaw/build-image.sh"
