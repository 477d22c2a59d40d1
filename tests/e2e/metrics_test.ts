/**
 * End to end: `GET /metrics` of a real control plane with a running pod passes
 * Prometheus' own parser and naming lint (tests/env/promcheck: expfmt and promlint, what
 * `promtool check metrics` runs), needs a token (an API viewer token over every tenant, or
 * the metrics token; not a tenant's), and its restart counter goes up when the agent's
 * process is killed inside its container.
 * @module
 */
import assert from "node:assert/strict";
import {
  createFixturePods,
  dockerCli,
  type Plane,
  waitFor,
  waitPodHealthy,
  withPlane,
} from "./_harness.ts";

const METRICS_TOKEN = "metrics-only-token-for-tests";

/** Prometheus' checks, built from the Go module proxy by tests/env/promcheck.sh. */
async function promcheck(text: string): Promise<{ code: number; out: string }> {
  let bin = Deno.env.get("AGENTPOD_PROMCHECK_BIN");
  if (!bin) {
    const built = await new Deno.Command("bash", {
      args: [new URL("../env/promcheck.sh", import.meta.url).pathname],
      stdout: "piped",
    }).output();
    assert.equal(built.code, 0, "tests/env/promcheck.sh builds the checker");
    bin = new TextDecoder().decode(built.stdout).trim().split("\n").at(-1)!;
  }
  const child = new Deno.Command(bin, { stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, out: decode(out.stdout) + decode(out.stderr) };
}

async function scrape(plane: Plane, token: string | null): Promise<Response> {
  return await fetch(`${plane.url}/metrics`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
}

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("/metrics passes Prometheus' parser and lint, and counts a crash", async () => {
  await withPlane({ AGENTPOD_METRICS_TOKEN: METRICS_TOKEN }, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    await createFixturePods(plane, "acme", ["web"]);
    await waitPodHealthy(plane, "acme/web");

    const none = await scrape(plane, null);
    assert.equal(none.status, 401);
    await none.body?.cancel();
    const tenantToken = await plane.json<{ token: string }>(
      "token",
      "create",
      "--name",
      "acme-viewer",
      "--tenant",
      "acme",
    );
    const tenant = await scrape(plane, tenantToken.token);
    assert.equal(tenant.status, 403, "a tenant's token reads no control-plane metrics");
    await tenant.body?.cancel();

    const first = await scrape(plane, METRICS_TOKEN);
    assert.equal(first.status, 200);
    assert.match(first.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    const before = await first.text();
    const checked = await promcheck(before);
    assert.equal(checked.code, 0, `promcheck: ${checked.out}\n${before}`);
    const series = 'agentpod_pod_restarts_total{tenant="acme",pod="web"}';
    assert.equal(sample(before, series), 0);
    assert.equal(sample(before, 'agentpod_pods{phase="running",health="ok"}'), 1);
    assert.equal(sample(before, "agentpod_leader"), 1);
    assert.ok((sample(before, "agentpod_reconcile_duration_seconds_count") ?? 0) > 0);
    assert.match(
      before,
      /agentpod_docker_request_duration_seconds_count\{operation="POST containers\/\*\/start"\} [1-9]/,
    );
    assert.match(before, /agentpod_probe_duration_seconds_count\{adapter="generic"\} [1-9]/);

    const killed = await dockerCli("exec", "agentpod-acme-web", "kill", "-9", "-1");
    assert.equal(killed.code, 0, killed.stderr);
    let after = "";
    await waitFor(
      "the restart counter to go up",
      async () => {
        const res = await scrape(plane, await plane.token());
        after = await res.text();
        return (sample(after, series) ?? 0) >= 1;
      },
      30_000,
      250,
    );
    const again = await promcheck(after);
    assert.equal(again.code, 0, `promcheck: ${again.out}`);
    console.log(`promcheck: ${again.out.trim()}`);
  });
});
