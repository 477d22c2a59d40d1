#!/usr/bin/env bash
# `deno task bench`: every benchmark, one JSON line per figure (see BENCHMARKS.md).
# Needs the test environment (started here) and Node for the dockerode comparison.
# Takes about 30 minutes; a single one runs with `deno run -A tests/bench/<name>.ts`.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/env/up.sh
run() {
  echo "# $1" >&2
  shift
  deno run -A "$@"
}
run "Docker client vs dockerode" tests/bench/docker_client.ts
run "Control-plane start time and memory" tests/bench/startup.ts
run "Idle reconcile pass, 1,000 and 10,000 pods" tests/bench/reconcile_idle.ts
run "Idle reconcile pass with the real engine's list call" tests/bench/reconcile_idle.ts --engine docker
run "Self-healing: docker kill to running and healthy" tests/bench/heal.ts
run "Controller: healing overhead, mass kill, crash loop" tests/bench/controller.ts
run "Idle memory with 50 pods" tests/bench/idle_rss.ts
run "Alerts, usage sampling and /metrics" tests/bench/alerts_usage.ts
run "pod create vs openclaw fleet create" tests/bench/create_vs_fleet.ts
run "Traefik endpoint with 1,000 pods" tests/bench/traefik_endpoint.ts
run "pod create to first request through Traefik" tests/bench/traefik_first_request.ts
run "Dashboard render, JS size and live latency" tests/bench/dashboard.ts
run "Migration: discover and adopt 5 hand-made gateways" tests/bench/migrate.ts
run "Backups: pause, online backup, restore, drill" tests/bench/backup.ts
