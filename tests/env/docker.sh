#!/usr/bin/env bash
# Makes sure a Docker Engine answers on the local socket (or $DOCKER_HOST).
# As root on Debian with none running, installs docker.io and starts dockerd in the
# background; otherwise stops with a clear message. Idempotent and quiet when up.
#
#   tests/env/docker.sh --fresh   stops the local dockerd, moves its data root aside
#                                 (to <root>.aside-<time>, or <root>/.aside-<time> when the
#                                 root is a mount point; nothing is deleted), removes the
#                                 docker0 device it leaves behind, and starts it again on an
#                                 empty data root, as on a brand-new machine. The
#                                 next `deno task test` rebuilds the images. Put the old
#                                 data back by stopping dockerd and moving the directory.
set -euo pipefail

fresh=false
via_systemd=false
case "${1:-}" in
  --fresh) fresh=true ;;
  "") ;;
  *) echo "docker.sh: unknown option '$1' (only --fresh)" >&2; exit 2 ;;
esac

sock=/var/run/docker.sock
case "${DOCKER_HOST:-}" in
  unix://*) sock=${DOCKER_HOST#unix://} ;;
  "") ;;
  *) # A remote engine is the user's business: check it, never start one.
    docker info >/dev/null 2>&1 && exit 0
    echo "docker.sh: Docker Engine at DOCKER_HOST=$DOCKER_HOST does not answer" >&2
    exit 1 ;;
esac

engine_up() { curl -fsS --max-time 2 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }

# Stops the local engine (systemd's unit or the dockerd we started) and moves its data
# root aside, so the start below gets an empty one.
start_fresh() {
  [ "$(id -u)" = 0 ] || { echo "docker.sh: --fresh needs root" >&2; exit 1; }
  local root=/var/lib/docker
  if engine_up; then
    root=$(curl -fsS --unix-socket "$sock" http://localhost/info |
      sed -n 's/.*"DockerRootDir":"\([^"]*\)".*/\1/p')
    root=${root:-/var/lib/docker}
  fi
  if command -v systemctl >/dev/null && systemctl is-active --quiet docker 2>/dev/null; then
    echo "docker.sh: stopping the docker service" >&2
    systemctl stop docker.socket docker >/dev/null 2>&1 || true
    via_systemd=true
  fi
  if pkill -x dockerd 2>/dev/null; then
    echo "docker.sh: stopping dockerd" >&2
    for _ in $(seq 1 120); do
      pgrep -x dockerd >/dev/null || break
      sleep 0.5
    done
    pgrep -x dockerd >/dev/null && { echo "docker.sh: dockerd did not stop in 60 s" >&2; exit 1; }
  fi
  if [ -d "$root" ] && [ -n "$(ls -A -I '.aside-*' "$root" 2>/dev/null)" ]; then
    local aside
    aside="$root.aside-$(date +%Y%m%d-%H%M%S)"
    # Mount points of a stopped engine can linger (overlay, netns); unmount before the move.
    grep -o " $root/[^ ]*" /proc/mounts | sort -r | xargs -r -n 1 umount -l 2>/dev/null || true
    if mountpoint -q "$root"; then
      # A data root that is its own file system cannot move: its contents go into a
      # directory on it instead (a rename, no copy), which dockerd ignores.
      aside="$root/.aside-$(date +%Y%m%d-%H%M%S)"
      mkdir "$aside"
      find "$root" -mindepth 1 -maxdepth 1 ! -name '.aside-*' -exec mv -t "$aside" {} +
    else
      mv "$root" "$aside"
    fi
    echo "docker.sh: moved the data root $root aside to $aside" >&2
  fi
  rm -f /var/run/docker.pid
  # A new machine has no docker0 either: with the old bridge device left in place, dockerd
  # adopts its address and records a Gateway that a brand-new daemon would not.
  if command -v ip >/dev/null && ip link show docker0 >/dev/null 2>&1; then
    ip link delete docker0 && echo "docker.sh: removed the old docker0 bridge device" >&2
  fi
}

if $fresh; then
  [ -z "${DOCKER_HOST:-}" ] || [[ "${DOCKER_HOST}" == unix://* ]] || {
    echo "docker.sh: --fresh works on a local engine only (DOCKER_HOST=$DOCKER_HOST)" >&2
    exit 1
  }
  start_fresh
  if $via_systemd; then
    systemctl start docker
    for _ in $(seq 1 60); do
      engine_up && exit 0
      sleep 0.5
    done
    echo "docker.sh: the docker service did not come back in 30 s (journalctl -u docker)" >&2
    exit 1
  fi
fi
engine_up && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "docker.sh: no Docker Engine answers on $sock and this user cannot start one;" \
    "start dockerd (or set DOCKER_HOST) and try again" >&2
  exit 1
fi

if ! command -v dockerd >/dev/null; then
  command -v apt-get >/dev/null || {
    echo "docker.sh: dockerd is not installed and this is not a Debian host; install Docker Engine" >&2
    exit 1
  }
  echo "docker.sh: installing docker.io from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq docker.io >/dev/null
fi

echo "docker.sh: starting dockerd (log: /var/log/agentpod-dockerd.log)" >&2
nohup dockerd >/var/log/agentpod-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  engine_up && exit 0
  sleep 0.5
done
echo "docker.sh: dockerd did not come up in 30 s; see /var/log/agentpod-dockerd.log:" >&2
tail -n 20 /var/log/agentpod-dockerd.log >&2
exit 1
