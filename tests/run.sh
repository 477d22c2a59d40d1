#!/usr/bin/env bash
# `deno task test`: brings up the test environment, then runs every test tier
# (unit tests beside the code, tests/integration, tests/e2e) in one `deno test` run.
# Extra arguments go to `deno test` (e.g. a path or --filter).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/env/up.sh
AGENTPOD_TRAEFIK_BIN=$(bash tests/env/traefik.sh | tail -n 1)
export AGENTPOD_TRAEFIK_BIN
AGENTPOD_PROMCHECK_BIN=$(bash tests/env/promcheck.sh | tail -n 1)
export AGENTPOD_PROMCHECK_BIN
exec deno test --allow-all "$@"
