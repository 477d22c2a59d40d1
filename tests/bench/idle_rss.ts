/**
 * Benchmark: control-plane memory when idle with 50 running pods (the fixture image,
 * so the pods themselves are cheap), on embedded PGlite and on PostgreSQL 15. Reads
 * VmRSS of the server process after the pods are healthy and a minute of idling
 * (two reconcile passes, health and usage loops), and VmHWM (peak).
 *
 *   deno run -A tests/bench/idle_rss.ts [--pods 50] [--idle 60]
 * @module
 */
import postgres from "postgres";
import { Plane, waitFor } from "../e2e/_harness.ts";

const arg = (flag: string) => {
  const at = Deno.args.indexOf(flag);
  return at >= 0 ? Deno.args[at + 1] : undefined;
};
const PODS = Number(arg("--pods") ?? 50);
const IDLE_S = Number(arg("--idle") ?? 60);
const ADMIN_URL = Deno.env.get("AGENTPOD_TEST_DATABASE_URL") ??
  "postgres://agentpod@127.0.0.1:55432/agentpod_test";

function memory(pid: number) {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const mb = (f: string) =>
    Math.round(Number(new RegExp(`${f}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
  return { rssMB: mb("VmRSS"), peakMB: mb("VmHWM") };
}

async function measure(store: string, env: Record<string, string>) {
  const plane = await Plane.start(env);
  try {
    await plane.cli("tenant", "create", "bench");
    const token = await plane.token();
    for (let i = 0; i < PODS; i++) {
      const res = await fetch(`${plane.url}/api/v1/tenants/bench/pods`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: `p${i}`, adapter: "generic", image: "agentpod-fixture:1" }),
      });
      if (res.status !== 201) throw new Error(await res.text());
    }
    await waitFor(
      `${PODS} healthy pods`,
      async () => {
        const pods = await plane.json<{ health: string }[]>("pod", "list");
        return pods.length === PODS && pods.every((p) => p.health === "ok");
      },
      300_000,
      2000,
    );
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    console.log(JSON.stringify({ store, pods: PODS, idleSeconds: IDLE_S, ...memory(plane.pid!) }));
  } finally {
    await plane.destroy();
  }
}

await measure("pglite", {});
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
const db = `agentpod_bench_${crypto.randomUUID().slice(0, 8)}`;
try {
  await admin.unsafe(`create database ${db}`);
  await measure("postgres", { DATABASE_URL: ADMIN_URL.replace(/\/[^/]*$/, `/${db}`) });
} finally {
  await admin.unsafe(`drop database if exists ${db} with (force)`);
  await admin.end();
}
