/**
 * Benchmark (TH-5): tenant-scoped reads under row-level security against the same reads
 * as admin, at the database. 100 tenants × 30 pods (3,000) and 10 events per pod
 * (30,000), seeded with bulk SQL on PGlite (a temporary directory) and on PostgreSQL 15
 * (a fresh database of the test server). Each read is what an API request of a tenant
 * token pays: a transaction, `SET LOCAL ROLE agentpod_tenant`, the tenant setting, the
 * store's query with no tenant filter (the policy filters), commit. The admin read is the
 * store's query with the tenant filter, no transaction. Tenants are cycled; 20 warm-up
 * and 300 measured reads of each kind. Prints one JSON line per store and read:
 *   {store, read, tenants, pods, events, scopedP50Ms, scopedP99Ms, adminP50Ms, adminP99Ms}
 * Target: every scoped read under 10 ms at p50 and p99.
 *
 *   deno run -A tests/bench/access.ts [--store pglite,postgres] [--runs 300]
 * PostgreSQL: the test server of tests/env/postgres.sh (AGENTPOD_TEST_DATABASE_URL).
 * @module
 */
import type { SqlDatabase } from "../../providers/store/mod.ts";
import { createStore, inTransaction } from "../../providers/store/store.ts";
import type { Store } from "../../core/store.ts";
import {
  pgliteFixture,
  postgresFixture,
  type StoreFixture,
} from "../integration/_store_fixtures.ts";

const TENANTS = 100;
const PODS_PER_TENANT = 30;
const EVENTS_PER_POD = 10;
const WARMUP = 20;

function arg(name: string, fallback: string): string[] {
  const at = Deno.args.indexOf(`--${name}`);
  return (at >= 0 ? Deno.args[at + 1] ?? fallback : fallback).split(",");
}

const RUNS = Number(arg("runs", "300")[0]);
const FIXTURES: Record<string, StoreFixture> = { pglite: pgliteFixture, postgres: postgresFixture };

async function seed(db: SqlDatabase): Promise<void> {
  await db.exec(`
    INSERT INTO tenants (id, display_name)
      SELECT 't' || n, 'Tenant ' || n FROM generate_series(1, ${TENANTS}) n;
    INSERT INTO pods (tenant_id, name, adapter, image, secrets, host_port, phase)
      SELECT 't' || t, 'pod' || p, 'generic', 'agentpod-fixture:1', '\\x00'::bytea,
             20000 + (t - 1) * ${PODS_PER_TENANT} + p, 'running'
      FROM generate_series(1, ${TENANTS}) t, generate_series(1, ${PODS_PER_TENANT}) p;
    INSERT INTO pod_events (tenant_id, pod_id, pod_name, type, reason, message)
      SELECT p.tenant_id, p.id, p.name, 'Normal', 'Started', 'Container started (' || e || ')'
      FROM pods p, generate_series(1, ${EVENTS_PER_POD}) e;
    ANALYZE;
  `);
}

type Read = (store: Store, tenant: string, scoped: boolean) => Promise<unknown>;

const READS: Record<string, Read> = {
  "tenant list": (s) => s.tenants.list(),
  "tenant get": (s, t) => s.tenants.get(t),
  "pod list": (s, t, scoped) => s.pods.list(scoped ? {} : { tenant: t }),
  "pod get": (s, t) => s.pods.get(t, "pod7"),
  "events tail 50": (s, t, scoped) =>
    s.events.list(scoped ? { tail: 50 } : { tail: 50, tenant: t }),
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function time(fn: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < WARMUP; i++) await fn(i);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return { p50: round(percentile(times, 0.5)), p99: round(percentile(times, 0.99)) };
}

for (const name of arg("store", "pglite,postgres")) {
  await using fresh = await FIXTURES[name]!.fresh();
  const db = await fresh.open();
  await seed(db);
  const admin = createStore(db);
  const tenantOf = (i: number) => `t${(i * 37) % TENANTS + 1}`;
  for (const [read, fn] of Object.entries(READS)) {
    // The scoped read must see only its tenant's rows, or the figure means nothing.
    const check = await db.withTenant("t5", (tx) => fn(createStore(inTransaction(tx)), "t5", true));
    const rows = Array.isArray(check) ? check : [check];
    if (
      !rows.every((r) =>
        (r as { tenant?: string; id?: string }).tenant === "t5" ||
        (r as { id?: string }).id === "t5"
      )
    ) {
      throw new Error(`${read}: the scoped read saw another tenant's rows`);
    }
    const scoped = await time((i) =>
      db.withTenant(tenantOf(i), (tx) => fn(createStore(inTransaction(tx)), tenantOf(i), true))
    );
    const plain = await time((i) => fn(admin, tenantOf(i), false));
    console.log(JSON.stringify({
      store: name,
      read,
      tenants: TENANTS,
      pods: TENANTS * PODS_PER_TENANT,
      events: TENANTS * PODS_PER_TENANT * EVENTS_PER_POD,
      scopedP50Ms: scoped.p50,
      scopedP99Ms: scoped.p99,
      adminP50Ms: plain.p50,
      adminP99Ms: plain.p99,
    }));
  }
  await db.close();
}
