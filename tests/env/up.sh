#!/usr/bin/env bash
# Starts everything the test suites need: Docker Engine, a PostgreSQL 15 server on a
# private 127.0.0.1 port, the locally built images, a Traefik binary built from
# the Go module proxy (cold: about 20 minutes on 2 cores; cached afterwards), Debian's
# Chromium for the dashboard's browser tests, promcheck (Prometheus' parser), and shellcheck,
# debootstrap and a Debian 12 image for the installer's tests. Shared by `deno task test`
# and .ci/run; safe to run again (each step is skipped when already done).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/docker.sh"
bash "$here/postgres.sh"
bash "$here/images.sh"
bash "$here/traefik.sh" >/dev/null
bash "$here/promcheck.sh" >/dev/null
bash "$here/chromium.sh"
bash "$here/installer.sh"
