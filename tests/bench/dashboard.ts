/**
 * Benchmark: the dashboard, against a real control plane process (PostgreSQL store,
 * reconciler in manual mode so seeded pods stay rows only).
 * 1. Render time of `/pods` with 200 pods (20 tenants × 10), 100 sequential requests
 *    over HTTP on 127.0.0.1 after 10 warm-ups: p50/p99, and the HTML size.
 * 2. JavaScript per page: every script a page loads, gzipped (what goes on the wire).
 * 3. Live latency in headless Chromium: from the API call that creates a pod to (a) the
 *    `pod-event` arriving on the page's EventSource and (b) its row showing in the open
 *    pods page (no reload). Browser and server share the machine's clock (Date.now()).
 *
 *   deno run -A tests/bench/dashboard.ts [--trials 20]
 * @module
 */
/// <reference lib="dom" />
import postgres from "postgres";
import { openPage } from "../e2e/_browser.ts";
import { Plane, waitFor } from "../e2e/_harness.ts";

const arg = (flag: string, fallback: number) => {
  const at = Deno.args.indexOf(flag);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
};
const TRIALS = arg("--trials", 20);
const PASSWORD = "bench-admin-password";
const ADMIN_URL = Deno.env.get("AGENTPOD_TEST_DATABASE_URL") ??
  "postgres://agentpod@127.0.0.1:55432/agentpod_test";

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => Math.round(sorted[Math.floor(p * (sorted.length - 1))]! * 100) / 100;
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}

async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

/** Signs in with a form post; returns the session cookie header. */
async function signIn(url: string): Promise<string> {
  const form = await fetch(`${url}/login`);
  const cookies = form.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: cookies, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, password: PASSWORD, next: "/" }),
  });
  await res.body?.cancel();
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  return [cookies, ...res.headers.getSetCookie().map((c) => c.split(";")[0])].join("; ");
}

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
const dbName = `agentpod_bench_${crypto.randomUUID().slice(0, 8)}`;
await admin.unsafe(`create database ${dbName}`);
const databaseUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
const plane = await Plane.start({
  DATABASE_URL: databaseUrl,
  AGENTPOD_RECONCILE: "manual",
  AGENTPOD_ADMIN_PASSWORD: PASSWORD,
});
try {
  // 1. Render time with 200 pods.
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await sql.unsafe(`
    INSERT INTO tenants (id, display_name) SELECT 't' || t, 'Tenant ' || t FROM generate_series(0, 19) t;
    INSERT INTO pods (tenant_id, name, adapter, image, host_port, phase, desired_state)
      SELECT 't' || (i / 10), 'pod-' || i, 'openclaw', 'agentpod/openclaw:2026.9.6', 21000 + i,
             CASE WHEN i % 7 = 0 THEN 'stopped' ELSE 'running' END,
             CASE WHEN i % 7 = 0 THEN 'stopped' ELSE 'running' END
      FROM generate_series(0, 199) i;`);
  await sql.end();
  const cookie = await signIn(plane.url);
  let html = "";
  const times: number[] = [];
  for (let i = 0; i < 110; i++) {
    const t = performance.now();
    const res = await fetch(`${plane.url}/pods`, { headers: { cookie } });
    html = await res.text();
    if (i >= 10) times.push(performance.now() - t);
  }
  const rows = html.match(/data-testid="pod-row"/g)?.length ?? 0;
  if (rows !== 200) throw new Error(`expected 200 pod rows, saw ${rows}`);
  console.log(JSON.stringify({
    bench: "dashboard /pods render",
    pods: 200,
    requests: times.length,
    ...Object.fromEntries(Object.entries(percentiles(times)).map(([k, v]) => [`${k}Ms`, v])),
    htmlBytes: new TextEncoder().encode(html).byteLength,
    htmlGzipBytes: await gzipSize(new TextEncoder().encode(html)),
  }));

  // 2. JavaScript per page, gzipped.
  const pages = [
    "/",
    "/pods",
    "/tenants",
    "/pods/new?adapter=openclaw",
    "/pods/t0/pod-1",
    "/adapters",
    "/settings",
  ];
  const perPage: Record<string, { scripts: number; bytes: number; gzipBytes: number }> = {};
  for (const page of pages) {
    const body = await (await fetch(`${plane.url}${page}`, { headers: { cookie } })).text();
    const srcs = [...body.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!);
    let bytes = 0;
    let gzipBytes = 0;
    for (const src of srcs) {
      const js = new Uint8Array(
        await (await fetch(new URL(src, plane.url), { headers: { cookie } })).arrayBuffer(),
      );
      bytes += js.byteLength;
      gzipBytes += await gzipSize(js);
    }
    perPage[page] = { scripts: srcs.length, bytes, gzipBytes };
  }
  console.log(JSON.stringify({ bench: "dashboard JS per page", perPage }));

  // 3. Live latency in a real browser.
  await using session = await openPage();
  const { page } = session;
  await page.goto(`${plane.url}/login?next=/pods?tenant=bench`);
  await plane.api("POST", "/tenants", { id: "bench" });
  await page.fill("#password", PASSWORD);
  await page.click("[data-testid=login-submit]");
  await page.waitForSelector("html[data-live=connected]");
  await page.evaluate(() => {
    const w = globalThis as unknown as {
      seen: Record<string, number>;
      rows: Record<string, number>;
    };
    w.seen = {};
    w.rows = {};
    new EventSource("/live").addEventListener("pod-event", (e) => {
      const event = JSON.parse((e as MessageEvent).data);
      if (event.reason === "Created") w.seen[event.pod] ??= Date.now();
    });
    new MutationObserver(() => {
      for (const row of document.querySelectorAll("[data-testid=pod-row]")) {
        const pod = row.getAttribute("data-pod")!;
        w.rows[pod] ??= Date.now();
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  await new Promise((r) => setTimeout(r, 500)); // the second EventSource connects
  const sse: number[] = [];
  const dom: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const pod = `bench/p${i}`;
    const start = Date.now();
    await plane.api("POST", "/tenants/bench/pods", {
      name: `p${i}`,
      adapter: "generic",
      image: "agentpod-fixture:1",
    });
    const seen = await waitFor(
      `${pod} on the page`,
      () =>
        page.evaluate((p) => {
          const w = globalThis as unknown as {
            seen: Record<string, number>;
            rows: Record<string, number>;
          };
          return w.seen[p] && w.rows[p] ? { sse: w.seen[p], row: w.rows[p] } : undefined;
        }, pod),
      10_000,
      20,
    );
    sse.push(seen.sse - start);
    dom.push(seen.row - start);
  }
  console.log(JSON.stringify({
    bench: "dashboard live latency (API create → browser)",
    trials: TRIALS,
    sseEventMs: percentiles(sse),
    rowVisibleMs: percentiles(dom),
  }));
  for (let i = 0; i < TRIALS; i++) await plane.api("DELETE", `/tenants/bench/pods/p${i}`);
  await waitFor(
    "bench pods gone",
    async () => (await plane.api<unknown[]>("GET", "/pods?tenant=bench")).length === 0,
    60_000,
    200,
  );
} finally {
  await plane.destroy();
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
}
