/**
 * Benchmark: alerts, usage sampling and /metrics.
 *  1. The outbox, on PGlite and PostgreSQL 15: an event append that raises an alert (event,
 *     alert and coalescing check in one transaction) against a plain one; then from the
 *     append to the signed POST arriving at a local receiver (the sender woken in process,
 *     as the control plane does), and the time to send 200 alerts to one endpoint.
 *  2. Usage sampling on the real engine: one container's stats read, with the engine's
 *     CPU-percent window and instant (what the sampler uses), and a round over 8 running
 *     pods four at a time (inspect and instant stats, as the sampler does).
 *  3. `GET /metrics` of a control plane with those 8 pods.
 * Prints one JSON line per figure.
 *
 *   deno run -A tests/bench/alerts_usage.ts
 * @module
 */
import { AlertSender } from "../../core/alert_sender.ts";
import { DELIVERY_DEFAULTS } from "../../core/alerts.ts";
import { createDockerClient } from "../../providers/docker/mod.ts";
import { DockerRuntime } from "../../providers/docker/runtime.ts";
import { createSecretBox } from "../../providers/secrets.ts";
import { createStore } from "../../providers/store/store.ts";
import { newWebhookSecret, postWebhook } from "../../providers/webhook.ts";
import { createFixturePods, Plane, waitForRunningPods } from "../e2e/_harness.ts";
import {
  pgliteFixture,
  postgresFixture,
  type StoreFixture,
} from "../integration/_store_fixtures.ts";

const quiet = { info() {}, warn() {}, error() {} };

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 100) /
    100;
}

function print(figure: Record<string, unknown>): void {
  console.log(JSON.stringify(figure));
}

async function outbox(fixture: StoreFixture): Promise<void> {
  await using fresh = await fixture.fresh();
  const db = await fresh.open();
  const store = createStore(db);
  await store.tenants.create("bench", "Bench");
  const secrets = await createSecretBox(new Uint8Array(32).fill(3));
  const arrived = new Map<string, number>();
  await using receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const body = JSON.parse(await req.text()) as { data: { message: string } };
      arrived.set(body.data.message, performance.now());
      return new Response(null, { status: 204 });
    },
  );
  await store.alerts.addEndpoint(
    {
      url: `http://127.0.0.1:${(receiver.addr as Deno.NetAddr).port}/`,
      events: [],
      tenant: null,
      actor: null,
    },
    await secrets.seal(newWebhookSecret()),
  );
  const sender = new AlertSender({
    store,
    secrets,
    post: postWebhook,
    isLeader: () => true,
    now: Date.now,
    random: Math.random,
    log: quiet,
  }, DELIVERY_DEFAULTS);
  // Each alert about its own "pod" key (tenant-level events), so none coalesces.
  const event = (reason: string, message: string) => ({
    tenant: "bench",
    type: "Warning" as const,
    reason,
    message,
  });
  const plain: number[] = [];
  const raising: number[] = [];
  for (let i = 0; i < 100; i++) {
    let t = performance.now();
    await store.events.append(event("Crashed", `plain ${i}`));
    plain.push(performance.now() - t);
    await db.query("DELETE FROM alerts"); // keep keys fresh: no coalescing between runs
    t = performance.now();
    await store.events.append(event("BackupFailed", `raise ${i}`));
    raising.push(performance.now() - t);
  }
  await db.query("DELETE FROM alerts");
  print({
    figure: `event append (${fixture.dialect})`,
    plainMsP50: pct(plain, 0.5),
    withAlertMsP50: pct(raising, 0.5),
    withAlertMsP95: pct(raising, 0.95),
  });

  const latency: number[] = [];
  for (let i = 0; i < 50; i++) {
    await db.query("DELETE FROM alerts");
    const started = performance.now();
    await store.events.append(event("BackupFailed", `latency ${i}`));
    await sender.tick();
    const at = arrived.get(`latency ${i}`);
    if (at === undefined) throw new Error(`alert ${i} was not sent by the tick after it`);
    latency.push(at - started);
  }
  print({
    figure: `event → signed POST at the receiver (${fixture.dialect})`,
    msP50: pct(latency, 0.5),
    msP95: pct(latency, 0.95),
  });

  await db.query("DELETE FROM alerts");
  for (let i = 0; i < 200; i++) {
    await store.events.append(event("DrillFailed", `bulk ${i}`));
    // A key of its own, so the next one is not coalesced with it.
    await db.query("UPDATE alerts SET key = key || id::text WHERE key NOT LIKE '%-%-%'");
  }
  const t0 = performance.now();
  await sender.tick();
  const sent = [...arrived.keys()].filter((k) => k.startsWith("bulk ")).length;
  print({
    figure: `200 alerts sent to one endpoint (${fixture.dialect})`,
    sent,
    totalMs: Math.round(performance.now() - t0),
  });
}

await outbox(pgliteFixture);
await outbox(postgresFixture);

const plane = await Plane.start({});
try {
  await plane.cli("tenant", "create", "bench");
  const names = Array.from({ length: 8 }, (_, i) => `p${i}`);
  await createFixturePods(plane, "bench", names);
  await waitForRunningPods(plane, names.length);
  const docker = createDockerClient();
  const runtime = new DockerRuntime(docker, "bench");
  const ids = names.map((n) => `agentpod-bench-${n}`);
  const one: number[] = [];
  const instant: number[] = [];
  for (const id of ids) {
    let t = performance.now();
    await runtime.usage(id);
    one.push(performance.now() - t);
    t = performance.now();
    await runtime.usage(id, { instant: true });
    instant.push(performance.now() - t);
  }
  const rounds: number[] = [];
  for (let r = 0; r < 3; r++) {
    const queue = [...ids];
    const t = performance.now();
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        await runtime.inspectPodContainer(id);
        await runtime.usage(id, { instant: true });
      }
    }));
    rounds.push(performance.now() - t);
  }
  docker.close();
  print({
    figure: "usage sampling: stats read per container, round over 8 pods (4 at once)",
    statsWithCpuPercentMsP50: pct(one, 0.5),
    statsInstantMsP50: pct(instant, 0.5),
    roundMsP50: pct(rounds, 0.5),
  });
  const token = await plane.token();
  const scrapes: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    const res = await fetch(`${plane.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    bytes = (await res.text()).length;
    scrapes.push(performance.now() - t);
  }
  print({
    figure: "GET /metrics, 8 pods (PGlite)",
    msP50: pct(scrapes, 0.5),
    msP95: pct(scrapes, 0.95),
    bytes,
  });
} finally {
  await plane.destroy();
}
