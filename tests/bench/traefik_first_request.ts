/**
 * Benchmark: from `pod create` (the API call) to the first successful request through a
 * real Traefik polling the control plane (pollInterval 1 s). For the fixture: the first
 * 200 from its HTTP server. For OpenClaw: the first `/readyz` 200 and the first
 * WebSocket `connect` → `hello-ok`, both through Traefik. Each trial creates a new pod
 * and deletes it afterwards. Prints one JSON line per series (median and worst, ms).
 *
 *   deno run -A tests/bench/traefik_first_request.ts [--trials 5] [--adapter generic|openclaw|both]
 * @module
 */
import WebSocket from "ws";
import { openClawHandshake } from "../../adapters/openclaw_probe.ts";
import { freePort, Plane, waitFor } from "../e2e/_harness.ts";
import { startTraefik } from "../e2e/_traefik.ts";
import { httpGet } from "../raw_http.ts";

const arg = (flag: string) => {
  const at = Deno.args.indexOf(flag);
  return at >= 0 ? Deno.args[at + 1] : undefined;
};
const TRIALS = Number(arg("--trials") ?? 5);
const which = arg("--adapter") ?? "both";
const DOMAIN = "bench.test";
const CLIENT = "203.0.113.66";

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: Math.round(sorted[Math.floor(sorted.length / 2)]!),
    worst: Math.round(sorted[sorted.length - 1]!),
  };
}

async function gatewayToken(container: string): Promise<string> {
  const out = await new Deno.Command("docker", {
    args: ["exec", container, "cat", "/home/node/.openclaw/openclaw.json"],
    stdout: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).gateway.auth.token;
}

async function series(plane: Plane, web: number, adapter: "generic" | "openclaw") {
  const first: number[] = [];
  const hello: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const name = `${adapter === "generic" ? "fx" : "oc"}${i}`;
    const host = `${name}.bench.${DOMAIN}`;
    const start = performance.now();
    await plane.api("POST", "/tenants/bench/pods", {
      name,
      adapter,
      ...(adapter === "generic" ? { image: "agentpod-fixture:1" } : {}),
    });
    const path = adapter === "generic" ? "/" : "/readyz";
    await waitFor(
      `first request to ${host}`,
      async () => {
        const r = await httpGet(web, host, path, { "X-Forwarded-For": CLIENT }).catch(() => null);
        return r?.status === 200;
      },
      180_000,
      50,
    );
    first.push(performance.now() - start);
    if (adapter === "openclaw") {
      const token = await gatewayToken(`agentpod-bench-${name}`);
      await waitFor(
        `hello-ok from ${host}`,
        async () => {
          const result = await openClawHandshake({
            open: () =>
              new WebSocket(`ws://127.0.0.1:${web}/`, {
                headers: { Host: host, "X-Forwarded-For": CLIENT },
              }),
            token,
            signal: AbortSignal.timeout(5_000),
            timeoutMs: 5_000,
          });
          return result.healthy;
        },
        180_000,
        100,
      );
      hello.push(performance.now() - start);
    }
    await plane.api("DELETE", `/tenants/bench/pods/${name}`);
    await waitFor(
      "pod gone",
      async () => {
        const pods = await plane.api<unknown[]>("GET", "/pods?tenant=bench");
        return pods.length === 0;
      },
      60_000,
      200,
    );
  }
  const label = adapter === "generic" ? "fixture (busybox httpd)" : "OpenClaw";
  console.log(JSON.stringify({
    bench: "pod create → first request through Traefik",
    adapter: label,
    trials: TRIALS,
    firstRequestMs: stats(first),
    ...(hello.length > 0 ? { firstHelloOkMs: stats(hello) } : {}),
  }));
}

const plane = await Plane.start({ AGENTPOD_DOMAIN: DOMAIN });
const web = freePort();
const traefik = await startTraefik(plane, {
  web,
  websecure: freePort(),
  pollSeconds: 1,
  trustedIps: "127.0.0.1/32",
}).catch(async (error) => {
  await plane.destroy();
  throw error;
});
try {
  await plane.cli("tenant", "create", "bench");
  if (which === "generic" || which === "both") await series(plane, web, "generic");
  if (which === "openclaw" || which === "both") await series(plane, web, "openclaw");
} finally {
  await traefik.stop();
  await plane.destroy();
}
