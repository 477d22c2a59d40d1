/**
 * Benchmark: "create" to "OpenClaw ready", AgentPod against OpenClaw's own
 * `openclaw fleet create`, on the same image and with the same limits (1 GiB, 1 CPU;
 * fleet's defaults are 2g / 2 CPUs, so it gets `--memory 1g --cpus 1`). Trials
 * alternate between the two tools and each one starts from nothing and is cleaned up.
 *
 * AgentPod: a fresh control plane and tenant (untimed), then the timed
 * `agentpod pod create bench/agent --type openclaw`; polls `/readyz` on the published
 * port until 200 and, separately, the API until `health: "ok"` (WebSocket hello-ok).
 *
 * Fleet: the CLI needs Node 26, which the host lacks, so it runs in a helper container
 * of the same image: root, host network (fleet probes the cell on its own 127.0.0.1),
 * the Docker socket and the host's static docker CLI, and a fresh `HOME` mounted at the
 * same path inside and out (fleet bind-mounts `$HOME/.openclaw/fleet/cells/<tenant>`
 * and `…/auth-profile-secrets/<tenant>` into the cell, so the paths must agree). The
 * helper idles; the timed step is `docker exec <helper> node openclaw.mjs fleet create`.
 * `/readyz` on the fixed port is polled from the start, since fleet's own gate waits
 * only for `/healthz`.
 *
 * Besides create → ready, each line splits the time at the engine's `start` event of
 * the agent container: orchestration (CLI, control plane or fleet) and gateway boot.
 *
 *   deno run -A tests/bench/create_vs_fleet.ts [--trials 3]
 * @module
 */
import { createDockerClient } from "../../providers/docker/mod.ts";
import { dockerCli, freePort, Plane } from "../e2e/_harness.ts";
import { startFleetCli } from "../e2e/_fleet.ts";

const arg = (flag: string) => {
  const at = Deno.args.indexOf(flag);
  return at >= 0 ? Deno.args[at + 1] : undefined;
};
const TRIALS = Number(arg("--trials") ?? 3);
const IMAGE = Deno.env.get("AGENTPOD_OPENCLAW_IMAGE") ?? "agentpod/openclaw:2026.9.6";
const READY_TIMEOUT_MS = 180_000;
const FLEET_TENANT = "bench";
const AGENTPOD_CONTAINER = "agentpod-bench-agent";
const FLEET_CONTAINER = `openclaw-cell-${FLEET_TENANT}`;
const RUN_LABEL = `agentpod.bench.create_vs_fleet=${Deno.pid}`;

/** One trial's figures (milliseconds from the start of the create command). */
interface TrialResult {
  tool: "agentpod" | "fleet";
  trial: number;
  createToReadyzMs: number;
  createToHealthyMs?: number;
  createCommandMs: number;
  createToStartMs: number;
  startToReadyzMs: number;
  memoryMB: number;
  cpus: number;
  pidsLimit: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const elapsed = (from: number, to: number) => Math.round(to - from);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Polls `check` every 50 ms; resolves with the `performance.now()` of its first success. */
async function pollUntil(what: string, check: () => Promise<boolean>): Promise<number> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    try {
      if (await check()) return performance.now();
    } catch { /* not up yet: the gateway resets connections while starting */ }
    await sleep(50);
  }
  throw new Error(`Timed out after ${READY_TIMEOUT_MS} ms waiting for ${what}`);
}

function readyz(port: number): Promise<number> {
  return pollUntil(`/readyz on 127.0.0.1:${port}`, async () => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, {
      signal: AbortSignal.timeout(2_000),
    });
    await res.body?.cancel();
    return res.status === 200;
  });
}

/** Records when the engine starts `container`; subscribe before the timed step. */
async function watchStart(container: string) {
  const abort = new AbortController();
  const docker = createDockerClient();
  let startedAt: number | undefined;
  const watching = (async () => {
    for await (
      const _ of docker.events.stream({
        filters: { type: ["container"], container: [container], event: ["start"] },
        signal: abort.signal,
      })
    ) {
      startedAt ??= performance.now();
    }
  })().catch(() => {});
  await sleep(200); // the subscription is live
  return {
    get startedAt() {
      return startedAt;
    },
    async stop() {
      abort.abort();
      await watching;
      docker[Symbol.dispose]();
    },
  };
}

async function limitsOf(container: string) {
  using docker = createDockerClient();
  const host = (await docker.containers.inspect(container)).HostConfig;
  return {
    memoryMB: Math.round((host.Memory ?? 0) / 1048576),
    cpus: (host.NanoCpus ?? 0) / 1e9,
    pidsLimit: host.PidsLimit ?? null,
  };
}

async function assertNameFree(name: string) {
  const found = await dockerCli("container", "inspect", name);
  if (found.code === 0) {
    throw new Error(`Cannot run the benchmark: container "${name}" already exists`);
  }
}

async function agentpodTrial(trial: number): Promise<TrialResult> {
  const plane = await Plane.start();
  try {
    const tenant = await plane.cli("tenant", "create", "bench");
    if (tenant.code !== 0) throw new Error(`Cannot create tenant "bench": ${tenant.stderr}`);
    const start = await watchStart(AGENTPOD_CONTAINER);
    try {
      const t0 = performance.now();
      const created = await plane.cli("pod", "create", "bench/agent", "--type", "openclaw");
      const createdAt = performance.now();
      if (created.code !== 0) throw new Error(`Cannot create pod: ${created.stderr}`);
      const status = await plane.json<{ hostPort: number }>("pod", "status", "bench/agent");
      const token = await plane.token();
      const [readyAt, healthyAt] = await Promise.all([
        readyz(status.hostPort),
        pollUntil('health "ok" from the API', async () => {
          const res = await fetch(`${plane.url}/api/v1/tenants/bench/pods/agent`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const pod = await res.json();
          return pod.health === "ok";
        }),
      ]);
      const startedAt = start.startedAt ?? NaN;
      return {
        tool: "agentpod",
        trial,
        createToReadyzMs: elapsed(t0, readyAt),
        createToHealthyMs: elapsed(t0, healthyAt),
        createCommandMs: elapsed(t0, createdAt),
        createToStartMs: elapsed(t0, startedAt),
        startToReadyzMs: elapsed(startedAt, readyAt),
        ...await limitsOf(AGENTPOD_CONTAINER),
      };
    } finally {
      await start.stop();
    }
  } finally {
    await plane.destroy();
  }
}

async function fleetTrial(trial: number): Promise<TrialResult> {
  await using cli = await startFleetCli(
    IMAGE,
    `create-vs-fleet-cli-${Deno.pid}-${trial}`,
    RUN_LABEL,
  );
  const owner = await cli.ownerOf(FLEET_TENANT);
  const fleet = cli.fleet;
  try {
    const port = freePort();
    const start = await watchStart(FLEET_CONTAINER);
    try {
      const t0 = performance.now();
      const ready = readyz(port);
      ready.catch(() => {}); // awaited below; a failed create must not leave it unhandled
      const created = await fleet(
        "create",
        FLEET_TENANT,
        "--image",
        IMAGE,
        "--port",
        String(port),
        "--memory",
        "1g",
        "--cpus",
        "1",
        "--json",
      );
      const createdAt = performance.now();
      // stdout carries the cell's token: never print it
      if (created.code !== 0) throw new Error(`fleet create failed: ${created.stderr.trim()}`);
      const readyAt = await ready;
      const startedAt = start.startedAt ?? NaN;
      return {
        tool: "fleet",
        trial,
        createToReadyzMs: elapsed(t0, readyAt),
        createCommandMs: elapsed(t0, createdAt),
        createToStartMs: elapsed(t0, startedAt),
        startToReadyzMs: elapsed(startedAt, readyAt),
        ...await limitsOf(FLEET_CONTAINER),
      };
    } finally {
      await start.stop();
    }
  } finally {
    const removed = await fleet("rm", FLEET_TENANT, "--purge-data", "--force");
    if (removed.code !== 0 && !/not found/i.test(removed.stderr)) {
      console.error(JSON.stringify({ msg: "fleet rm failed", stderr: removed.stderr.trim() }));
    }
    await sweep([`openclaw.fleet.owner=${owner}`]);
  }
}

/** Removes containers, then networks, carrying all of `labels` (leftovers of a trial). */
async function sweep(labels: string[]) {
  using docker = createDockerClient();
  const filters = { label: labels };
  for (const c of await docker.containers.list({ all: true, filters })) {
    await docker.containers.remove(c.Id, { force: true }).catch(() => {});
  }
  for (const n of await docker.networks.list({ filters })) {
    await docker.networks.remove(n.Id).catch(() => {});
  }
}

await assertNameFree(AGENTPOD_CONTAINER);
await assertNameFree(FLEET_CONTAINER);
const results: TrialResult[] = [];
try {
  for (let trial = 1; trial <= TRIALS; trial++) {
    for (const run of [agentpodTrial, fleetTrial]) {
      const result = await run(trial);
      results.push(result);
      console.log(JSON.stringify(result));
    }
  }
} finally {
  await sweep([RUN_LABEL]);
}

const summary = (tool: TrialResult["tool"]) => {
  const of = results.filter((r) => r.tool === tool);
  const pick = (
    key: "createToReadyzMs" | "createCommandMs" | "createToStartMs" | "startToReadyzMs",
  ) => median(of.map((r) => r[key]));
  return {
    createToReadyzMsMedian: pick("createToReadyzMs"),
    ...tool === "agentpod"
      ? { createToHealthyMsMedian: median(of.map((r) => r.createToHealthyMs!)) }
      : {},
    createCommandMsMedian: pick("createCommandMs"),
    createToStartMsMedian: pick("createToStartMs"),
    startToReadyzMsMedian: pick("startToReadyzMs"),
  };
};
console.log(JSON.stringify({
  summary: "create_vs_fleet",
  trials: TRIALS,
  image: IMAGE,
  agentpod: summary("agentpod"),
  fleet: summary("fleet"),
}));
