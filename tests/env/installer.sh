#!/usr/bin/env bash
# What the installer's tests need: shellcheck and debootstrap (Debian packages) and a
# fresh Debian 12 root filesystem as the image agentpod-test/debian:12, made with
# `debootstrap --variant=minbase bookworm` from this host's Debian archive and
# `docker import`ed (no registry is needed). Idempotent: the image is built once.
set -euo pipefail
IMAGE=${AGENTPOD_DEBIAN_IMAGE:-agentpod-test/debian:12}

say() { echo "installer.sh: $*" >&2; }
fail() {
  say "error: $*"
  exit 1
}

missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    fail "install ${missing[*]} (Debian packages) first"
  fi
  say "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null; }
fi

docker image inspect "$IMAGE" >/dev/null 2>&1 && exit 0

# The archive this host installs from (deb822 .sources or a one-line sources.list).
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
  awk '/^URIs:/ && $2 ~ /\/debian\/?$/ { print $2; exit }')
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }')
fi
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
say "debootstrap bookworm from $mirror (about a minute)"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
  { tail -n 20 "$root.log" >&2; fail "debootstrap failed (log above)"; }
rm -f "$root.log"
# Clean apt lists so the image is like a fresh server's: install.sh must run apt-get update.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
tar -C "$root" --numeric-owner -c . | docker import \
  --change 'CMD ["sleep", "infinity"]' - "$IMAGE" >/dev/null
say "built $IMAGE"
