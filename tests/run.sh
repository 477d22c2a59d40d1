#!/usr/bin/env bash
# `deno task test[:unit|:integration|:e2e]`: runs one test tier, or all of them.
#
#   unit         the *_test.ts files beside the code (core/, adapters/, cli/, providers/,
#                routes/, islands/, components/): Deno only; PGlite is embedded, Docker
#                Engines are fakes on Unix sockets. Starts nothing.
#   integration  tests/integration: a real Docker Engine, a PostgreSQL server, the local
#                images and Traefik, all started by tests/env/up.sh.
#   e2e          tests/e2e: the whole product, plus Chromium, promcheck and a Debian root
#                filesystem for the installer (also from tests/env/up.sh).
#   all          every tier in one `deno test` run (`deno task test`).
#
# Extra arguments go to `deno test` (`deno task test:e2e --filter backup`). An argument
# that names an existing file or folder replaces the tier's own paths.
set -euo pipefail
cd "$(dirname "$0")/.."
tier=${1:-all}
shift || true

unit=(core adapters cli providers routes islands components)
case "$tier" in
  unit) paths=("${unit[@]}") ;;
  integration) paths=(tests/integration) ;;
  e2e) paths=(tests/e2e) ;;
  all) paths=() ;; # deno test finds every test file
  *)
    echo "tests/run.sh: unknown tier '$tier' (unit, integration, e2e or all)" >&2
    exit 2
    ;;
esac
for arg in "$@"; do
  if [[ "$arg" != -* && -e "$arg" ]]; then
    paths=()
    break
  fi
done

if [ "$tier" != unit ]; then
  bash tests/env/up.sh
  AGENTPOD_TRAEFIK_BIN=$(bash tests/env/traefik.sh | tail -n 1)
  export AGENTPOD_TRAEFIK_BIN
  AGENTPOD_PROMCHECK_BIN=$(bash tests/env/promcheck.sh | tail -n 1)
  export AGENTPOD_PROMCHECK_BIN
fi
exec deno test --allow-all "$@" "${paths[@]}"
