/**
 * Benchmark: one idle reconcile pass (every pod converged, nothing to do) for 1,000 and
 * 10,000 pods, on the real store (PGlite in a temporary directory, and PostgreSQL 15 on
 * a fresh database of the test server) with `MemoryRuntime` as the engine. Pods are
 * seeded with bulk SQL (`generic` adapter, `agentpod-fixture:1`, one sealed secrets
 * blob reused), one Reconciler converges them (not measured), then 3 warm-up and 20
 * measured idle passes of each kind: the timer's (`cached`: planned from the view the
 * reconciles keep, no engine call) and a full one (the engine's list). Prints one JSON
 * line per store and size:
 *   {store, engine, pods, timerPassMs…, fullPassMs…, …RuntimeCalls, sqlQueriesPerPass}
 * Targets: under 50 ms for 1,000 pods, under 500 ms for 10,000.
 *
 * With `--engine docker` each full list also makes the real engine's list call: as many
 * `created` containers as pods are made on the engine (labelled with a bench instance,
 * removed afterwards), and the runtime's list first lists them through the Engine API
 * (the filtered `GET /containers/json?all=1` a pass makes, JSON decoded) before answering
 * with the in-memory rows, so the figure carries the engine's cost at that size.
 *
 *   deno run -A tests/bench/reconcile_idle.ts [--pods 1000,10000] [--store pglite,postgres]
 *     [--engine memory|docker]
 * PostgreSQL: the test server of tests/env/postgres.sh (AGENTPOD_TEST_DATABASE_URL).
 * @module
 */
import { adapterById } from "../../adapters/mod.ts";
import type { Logger } from "../../core/logger.ts";
import { Reconciler } from "../../core/reconciler.ts";
import { createSecretBox } from "../../providers/secrets.ts";
import type { SqlDatabase } from "../../providers/store/mod.ts";
import { createStore } from "../../providers/store/store.ts";
import { MemoryRuntime, type MemoryRuntimeOptions } from "../fakes/memory_runtime.ts";
import type { ObservedContainer } from "../../core/planner.ts";
import { createDockerClient, type DockerClient } from "../../providers/docker/mod.ts";
import {
  pgliteFixture,
  postgresFixture,
  type StoreFixture,
} from "../integration/_store_fixtures.ts";

const IMAGE = "agentpod-fixture:1";
const PODS_PER_TENANT = 100;
const WARMUP = 3;
const PASSES = 20;

function arg(name: string, fallback: string): string[] {
  const at = Deno.args.indexOf(`--${name}`);
  return (at >= 0 ? Deno.args[at + 1] ?? fallback : fallback).split(",");
}

const SIZES = arg("pods", "1000,10000").map(Number);
const FIXTURES: Record<string, StoreFixture> = { pglite: pgliteFixture, postgres: postgresFixture };
const STORES = arg("store", "pglite,postgres");
const ENGINE = arg("engine", "memory")[0];
const BENCH_INSTANCE = `bench-list-${crypto.randomUUID().slice(0, 8)}`;

/** The in-memory engine, but every full list also makes the real engine's list call. */
class RealListRuntime extends MemoryRuntime {
  readonly #docker: DockerClient;
  constructor(options: MemoryRuntimeOptions, docker: DockerClient) {
    super(options);
    this.#docker = docker;
  }
  override async listPodContainers(podId?: string): Promise<ObservedContainer[]> {
    if (podId === undefined) {
      // The same query as DockerRuntime's, answered by as many real containers.
      await this.#docker.containers.list({
        all: true,
        filters: { label: [`agentpod.instance=${BENCH_INSTANCE}`] },
      });
    }
    return await super.listPodContainers(podId);
  }
}

/** Makes exactly `count` created (never started) containers of the bench instance. */
async function realContainers(docker: DockerClient, count: number): Promise<void> {
  await removeRealContainers(docker);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await docker.containers.create({
        Image: IMAGE,
        Labels: {
          "agentpod.managed": "true",
          "agentpod.instance": BENCH_INSTANCE,
          "agentpod.pod": crypto.randomUUID(),
          "agentpod.spec-hash": "bench",
        },
      }, { name: `${BENCH_INSTANCE}-${i}` });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function removeRealContainers(docker: DockerClient): Promise<void> {
  const rows = await docker.containers.list({
    all: true,
    filters: { label: [`agentpod.instance=${BENCH_INSTANCE}`] },
  });
  const queue = [...rows];
  const worker = async () => {
    for (let row = queue.shift(); row; row = queue.shift()) {
      await docker.containers.remove(row.Id, { force: true }).catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

const docker = ENGINE === "docker" ? createDockerClient() : undefined;

/** Diagnostics to stderr as JSON lines; the reconciler should say nothing when idle. */
const log: Logger = {
  info: () => {},
  warn: (msg, fields) => console.error(JSON.stringify({ msg, ...fields })),
  error: (msg, fields) => console.error(JSON.stringify({ msg, ...fields })),
};

/** Tenants `bench-0000…` with 100 pods each, in two statements. */
async function seed(db: SqlDatabase, pods: number, secrets: Uint8Array): Promise<void> {
  await db.query(
    `INSERT INTO tenants (id, display_name)
     SELECT 'bench-' || lpad(t::text, 4, '0'), 'Bench ' || t
     FROM generate_series(0, $1::int - 1) t`,
    [Math.ceil(pods / PODS_PER_TENANT)],
  );
  await db.query(
    `INSERT INTO pods (tenant_id, name, adapter, image, config, secrets, resources, host_port,
       phase)
     SELECT 'bench-' || lpad((i / ${PODS_PER_TENANT})::text, 4, '0'),
       'pod-' || lpad(i::text, 5, '0'), 'generic', $1, '{}'::jsonb, $2::bytea, $3::jsonb,
       20000 + i, 'pending'
     FROM generate_series(0, $4::int - 1) i`,
    [IMAGE, secrets, JSON.stringify({ memoryMB: 256, cpus: 0.5, pids: 256 }), pods],
  );
}

/** The same database, counting statements. */
function countingQueries(db: SqlDatabase): { db: SqlDatabase; count: () => number } {
  let queries = 0;
  const counted = new Proxy(db, {
    get(target, prop) {
      if (prop === "query") {
        return (text: string, params?: []) => {
          queries++;
          return target.query(text, params);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: counted, count: () => queries };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

async function benchOne(storeName: string, pods: number, secrets: Uint8Array) {
  const fixture = FIXTURES[storeName];
  if (!fixture) throw new Error(`Unknown store "${storeName}": expected pglite or postgres`);
  await using fresh = await fixture.fresh();
  const raw = await fresh.open();
  let started = performance.now();
  await seed(raw, pods, secrets);
  const seedMs = performance.now() - started;

  const { db, count } = countingQueries(raw);
  if (docker) {
    const t0 = performance.now();
    await realContainers(docker, pods);
    console.error(JSON.stringify({
      msg: "engine containers",
      count: pods,
      ms: Math.round(performance.now() - t0),
    }));
  }
  const runtime = docker
    ? new RealListRuntime({ images: [IMAGE] }, docker)
    : new MemoryRuntime({ images: [IMAGE] });
  const reconciler = new Reconciler({
    store: createStore(db),
    runtime,
    adapterById,
    secrets: box,
    routing: { domain: "bench.test" },
    now: Date.now,
    schedule: (fn, ms) => {
      const timer = setTimeout(fn, ms);
      return () => clearTimeout(timer);
    },
    log,
  });

  started = performance.now();
  let convergePasses = 0;
  while ((await reconciler.reconcileAll({ wait: true })).length > 0) {
    if (++convergePasses > 5) throw new Error(`${pods} pods did not converge in 5 passes`);
  }
  const convergeMs = performance.now() - started;
  const containers = await runtime.listPodContainers();
  if (containers.length !== pods || containers.some((c) => c.state !== "running")) {
    throw new Error(`Expected ${pods} running containers, found ${containers.length}`);
  }
  console.error(JSON.stringify({
    msg: "converged",
    store: storeName,
    pods,
    seedMs: Math.round(seedMs),
    convergeMs: Math.round(convergeMs),
  }));

  const measure = async (cached: boolean) => {
    const times: number[] = [];
    const runtimeCalls = new Set<number>();
    const sqlQueries = new Set<number>();
    for (let pass = 0; pass < WARMUP + PASSES; pass++) {
      runtime.resetCalls();
      const queriesBefore = count();
      const t0 = performance.now();
      const planned = await reconciler.reconcileAll({ wait: true, cached });
      const ms = performance.now() - t0;
      if (planned.length > 0) throw new Error(`An idle pass planned ${planned.length} actions`);
      if (pass < WARMUP) continue;
      times.push(ms);
      runtimeCalls.add(runtime.totalCalls());
      sqlQueries.add(count() - queriesBefore);
    }
    times.sort((a, b) => a - b);
    return {
      median: round(percentile(times, 0.5)),
      p95: round(percentile(times, 0.95)),
      runtimeCalls: Math.max(...runtimeCalls),
      sqlQueries: Math.max(...sqlQueries),
    };
  };
  const light = await measure(true);
  const full = await measure(false);
  return {
    store: storeName,
    engine: docker ? "docker list + memory" : "memory",
    pods,
    timerPassMsMedian: light.median,
    timerPassMsP95: light.p95,
    fullPassMsMedian: full.median,
    fullPassMsP95: full.p95,
    timerPassRuntimeCalls: light.runtimeCalls,
    fullPassRuntimeCalls: full.runtimeCalls,
    sqlQueriesPerPass: Math.max(light.sqlQueries, full.sqlQueries),
  };
}

const box = await createSecretBox(crypto.getRandomValues(new Uint8Array(32)));
const sealed = await box.seal({ token: "bench-token-not-secret", values: {} });

try {
  for (const storeName of STORES) {
    for (const pods of SIZES) {
      console.log(JSON.stringify(await benchOne(storeName, pods, sealed)));
    }
  }
} finally {
  if (docker) await removeRealContainers(docker);
}
Deno.exit(0); // the reconcilers' queues hold no timers, but PGlite handles may linger
