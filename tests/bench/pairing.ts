/**
 * Benchmark: listing an OpenClaw pod's pairing requests, three ways, on one real gateway
 * (a control plane on PGlite, one `openclaw` pod, healthy):
 *   - `api`: `GET /api/v1/tenants/:t/pods/:p/devices`, the product's path (the gateway's
 *     RPC made over loopback by a few lines of Node exec'd in the container);
 *   - `rpc-exec`: that same exec alone (`docker exec … node -e <script>`);
 *   - `cli-exec`: the OpenClaw CLI in the container (`node openclaw.mjs devices list --json`).
 * 2 warm-up and 10 measured calls each; prints one JSON line per way with the median and
 * the slowest in ms.
 *
 *   deno run -A tests/bench/pairing.ts [--runs 10]
 * @module
 */
import { pairingRpcCommand } from "../../adapters/openclaw_devices.ts";
import { OPENCLAW_STATE_DIR } from "../../adapters/openclaw.ts";
import { dockerCli, Plane, waitFor } from "../e2e/_harness.ts";

const at = Deno.args.indexOf("--runs");
const RUNS = at >= 0 ? Number(Deno.args[at + 1]) : 10;
const CONTAINER = "agentpod-bench-agent";

async function time(fn: () => Promise<void>): Promise<{ medianMs: number; maxMs: number }> {
  for (let i = 0; i < 2; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return {
    medianMs: Math.round(times[Math.floor(times.length / 2)]!),
    maxMs: Math.round(times.at(-1)!),
  };
}

const plane = await Plane.start();
try {
  if ((await plane.cli("tenant", "create", "bench")).code !== 0) throw new Error("tenant");
  const created = await plane.cli("pod", "create", "bench/agent", "--type", "openclaw");
  if (created.code !== 0) throw new Error(created.stderr);
  await waitFor(
    "the gateway healthy",
    async () => {
      const pod = await plane.json<{ health: string | null }>("pod", "status", "bench/agent");
      return pod.health === "ok";
    },
    180_000,
    1_000,
  );
  const ok = (out: { code: number; stderr: string }) => {
    if (out.code !== 0) throw new Error(out.stderr);
  };
  const results = {
    api: await time(async () => {
      await plane.api("GET", "/tenants/bench/pods/agent/devices");
    }),
    "rpc-exec": await time(async () => {
      ok(
        await dockerCli(
          "exec",
          CONTAINER,
          ...pairingRpcCommand(OPENCLAW_STATE_DIR, "device.pair.list", {}),
        ),
      );
    }),
    "cli-exec": await time(async () => {
      ok(await dockerCli("exec", CONTAINER, "node", "openclaw.mjs", "devices", "list", "--json"));
    }),
  };
  for (const [way, figures] of Object.entries(results)) {
    console.log(JSON.stringify({ bench: "pairing list", way, runs: RUNS, ...figures }));
  }
} finally {
  await plane.destroy();
}
