/**
 * Benchmark: the controller core on the real engine, busybox fixture pods.
 *  1. Self-healing overhead: `docker kill` of one pod's container, timed from the engine's
 *     `die` event to AgentPod's "starting container" log line (its own overhead: event
 *     delivery, queue, reconcile, inspect) and to the engine's `start` event (running).
 *  2. Mass failure: 10 of 50 pods killed at once → all running, and → all healthy again
 *     (per pod, from the kill).
 *  3. Crash loop (a command that exits after 3 s) → phase `failed`.
 * Prints one JSON line per figure.
 *
 *   deno run -A tests/bench/controller.ts [--trials 20] [--pods 50] [--kill 10]
 * @module
 */
import { createDockerClient } from "../../providers/docker/mod.ts";
import { FIXTURE_IMAGE, Plane, waitFor } from "../e2e/_harness.ts";

const arg = (flag: string, fallback: number) => {
  const at = Deno.args.indexOf(flag);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
};
const TRIALS = arg("--trials", 20);
const PODS = arg("--pods", 50);
const KILL = arg("--kill", 10);

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

interface PodJson {
  name: string;
  status: string;
  health: string | null;
  restarts: number;
}

const create = (plane: Plane, name: string, config: unknown = {}) =>
  plane.api("POST", "/tenants/bench/pods", {
    name,
    adapter: "generic",
    image: FIXTURE_IMAGE,
    config,
  });

/** Times of "starting container" log lines of one pod after `from` (epoch ms). */
function startLogs(plane: Plane, pod: string, from: number): number[] {
  return plane.log.split("\n").filter((l) => l.includes('"msg":"starting container"'))
    .map((l) => JSON.parse(l)).filter((r) => r.pod === pod && Date.parse(r.time) >= from)
    .map((r) => Date.parse(r.time));
}

const plane = await Plane.start();
using docker = createDockerClient();
try {
  await plane.api("POST", "/tenants", { id: "bench" });

  // 1. One pod, killed TRIALS times.
  await create(plane, "one");
  const healthy = (names: string[]) => async () => {
    const pods = await plane.api<PodJson[]>("GET", "/pods");
    return names.every((n) =>
      pods.some((p) => p.name === n && p.status === "running" && p.health === "ok")
    );
  };
  await waitFor("a healthy pod", healthy(["one"]), 60_000, 50);
  const overhead: number[] = [];
  const running: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const abort = new AbortController();
    const seen: Record<string, number> = {};
    const watching = (async () => {
      for await (
        const event of docker.events.stream({
          filters: { container: ["agentpod-bench-one"], event: ["die", "start"] },
          signal: abort.signal,
        })
      ) {
        seen[event.Action] ??= Math.floor(event.timeNano / 1e6);
        if (seen.start !== undefined) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const before = Date.now();
    await docker.containers.kill("agentpod-bench-one");
    await waitFor("the start event", () => Promise.resolve(seen.start), 30_000, 5);
    abort.abort();
    await watching.catch(() => {});
    const logged = startLogs(plane, "bench/one", before - 50)[0];
    if (logged === undefined) throw new Error("no start logged");
    overhead.push(logged - seen.die!);
    running.push(seen.start! - seen.die!);
    await waitFor("healthy again", healthy(["one"]), 60_000, 50);
  }
  console.log(JSON.stringify({
    figure: "docker kill: die event → AgentPod's start call (its overhead)",
    trials: TRIALS,
    p50Ms: pct(overhead, 0.5),
    p99Ms: pct(overhead, 0.99),
  }));
  console.log(JSON.stringify({
    figure: "docker kill: die → running (engine start event)",
    trials: TRIALS,
    p50Ms: pct(running, 0.5),
    p99Ms: pct(running, 0.99),
  }));

  // 2. PODS pods, KILL killed at once.
  const names = Array.from({ length: PODS - 1 }, (_, i) => `m${String(i).padStart(2, "0")}`);
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(names.slice(i, i + 10).map((n) => create(plane, n)));
  }
  const all = ["one", ...names];
  await waitFor(`${PODS} healthy pods`, healthy(all), 300_000, 500);
  await new Promise((r) => setTimeout(r, 2_000));
  const victims = all.slice(0, KILL);
  const restartsBefore = new Map(
    (await plane.api<PodJson[]>("GET", "/pods")).map((p) => [p.name, p.restarts]),
  );
  const killedAt = Date.now();
  await Promise.all(victims.map((n) => docker.containers.kill(`agentpod-bench-${n}`)));
  const backAt = new Map<string, number>();
  const healthyAt = new Map<string, number>();
  await waitFor(
    "all killed pods healthy again",
    async () => {
      const pods = await plane.api<PodJson[]>("GET", "/pods");
      const now = Date.now();
      for (const p of pods) {
        if (!victims.includes(p.name)) continue;
        const inspect = await docker.containers.inspect(`agentpod-bench-${p.name}`);
        if (inspect.State.Status === "running" && !backAt.has(p.name)) backAt.set(p.name, now);
        // Healthy again: the crash counted (so the view is not the one from before the kill).
        const counted = p.restarts > (restartsBefore.get(p.name) ?? 0);
        if (counted && p.status === "running" && p.health === "ok" && backAt.has(p.name)) {
          if (!healthyAt.has(p.name)) healthyAt.set(p.name, now);
        }
      }
      return healthyAt.size === victims.length;
    },
    120_000,
    20,
  );
  const toRunning = [...backAt.values()].map((t) => t - killedAt);
  const toHealthy = [...healthyAt.values()].map((t) => t - killedAt);
  console.log(JSON.stringify({
    figure: `${KILL} of ${PODS} pods killed at once → running`,
    p50Ms: pct(toRunning, 0.5),
    maxMs: Math.max(...toRunning),
  }));
  console.log(JSON.stringify({
    figure: `${KILL} of ${PODS} pods killed at once → healthy`,
    p50Ms: pct(toHealthy, 0.5),
    maxMs: Math.max(...toHealthy),
  }));

  // 3. A crash loop.
  const loopStart = Date.now();
  await create(plane, "loop", { command: ["sh", "-c", "sleep 3; exit 3"] });
  await waitFor(
    "the crash loop to fail",
    async () => {
      return (await plane.api<PodJson>("GET", "/tenants/bench/pods/loop")).status === "failed";
    },
    120_000,
    100,
  );
  console.log(JSON.stringify({
    figure: "crash loop (exit 3 s after each start) → failed, from create",
    ms: Date.now() - loopStart,
  }));
} finally {
  await plane.destroy();
}
