/**
 * Benchmark: `GET /traefik/dynamic` with 1,000 pods, over HTTP on 127.0.0.1 against the
 * real route and a real store (PGlite, and PostgreSQL 15 when the test server runs).
 * Prints p50/p99 latency over 500 sequential requests and the body size.
 *
 *   deno run -A tests/bench/traefik_endpoint.ts [--pods 1000] [--requests 500]
 * @module
 */
import postgres from "postgres";
import { DEFAULT_TRAEFIK_SETTINGS } from "../../core/traefik.ts";
import { openDatabase, type SqlDatabase } from "../../providers/store/mod.ts";
import { createStore } from "../../providers/store/store.ts";
import { TRAEFIK_TOKEN_HEADER, traefikRoutes } from "../../routes/traefik.ts";

const arg = (flag: string, fallback: number) => {
  const at = Deno.args.indexOf(flag);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
};
const PODS = arg("--pods", 1000);
const REQUESTS = arg("--requests", 500);
const ADMIN_URL = Deno.env.get("AGENTPOD_TEST_DATABASE_URL") ??
  "postgres://agentpod@127.0.0.1:55432/agentpod_test";

async function seed(db: SqlDatabase): Promise<void> {
  await db.query(
    `INSERT INTO tenants (id) SELECT 't' || t FROM generate_series(0, $1::int - 1) t`,
    [Math.ceil(PODS / 10)],
  );
  await db.query(
    `INSERT INTO pods (tenant_id, name, adapter, image, host_port, phase)
     SELECT 't' || (i / 10), 'p' || i, 'openclaw', 'agentpod/openclaw:2026.9.6', 20000 + i, 'running'
     FROM generate_series(0, $1::int - 1) i`,
    [PODS],
  );
}

async function measure(store: string, db: SqlDatabase) {
  await seed(db);
  const app = traefikRoutes({
    store: createStore(db),
    settings: { ...DEFAULT_TRAEFIK_SETTINGS, domain: "example.com" },
    token: "bench",
    polls: { count: 0 },
    now: Date.now,
    adapterPort: () => 18789,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}/traefik/dynamic`;
  const headers = { [TRAEFIK_TOKEN_HEADER]: "bench" };
  let bytes = 0;
  for (let i = 0; i < 20; i++) await (await fetch(url, { headers })).arrayBuffer();
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers });
    bytes = (await res.arrayBuffer()).byteLength;
    times.push(performance.now() - t);
  }
  await server.shutdown();
  times.sort((a, b) => a - b);
  const at = (p: number) => Math.round(times[Math.floor(p * (times.length - 1))]! * 100) / 100;
  console.log(
    JSON.stringify({
      store,
      pods: PODS,
      requests: REQUESTS,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      bodyBytes: bytes,
    }),
  );
}

const dir = await Deno.makeTempDir({ prefix: "agentpod-bench-" });
try {
  const lite = await openDatabase({ dataDir: dir });
  try {
    await measure("pglite", lite);
  } finally {
    await lite.close();
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
const name = `agentpod_bench_${crypto.randomUUID().slice(0, 8)}`;
try {
  await admin.unsafe(`create database ${name}`);
  const pg = await openDatabase({
    dataDir: "/nonexistent",
    databaseUrl: ADMIN_URL.replace(/\/[^/]*$/, `/${name}`),
  });
  try {
    await measure("postgres", pg);
  } finally {
    await pg.close();
  }
} finally {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
