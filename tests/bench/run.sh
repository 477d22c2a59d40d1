#!/usr/bin/env bash
# `deno task bench`: every benchmark, one JSON line per figure. Needs the test
# environment (started here) and Node for the dockerode comparison.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/env/up.sh
echo "# Docker client vs dockerode" >&2
deno run -A tests/bench/docker_client.ts "$@"
echo "# Control-plane start time and memory" >&2
deno run -A tests/bench/startup.ts
