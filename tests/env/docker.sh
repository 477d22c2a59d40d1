#!/usr/bin/env bash
# Makes sure a Docker Engine answers on the local socket (or $DOCKER_HOST).
# As root on Debian with none running, installs docker.io and starts dockerd in the
# background; otherwise stops with a clear message. Idempotent and quiet when up.
set -euo pipefail

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
