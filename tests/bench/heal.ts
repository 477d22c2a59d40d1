/**
 * Benchmark: self-healing speed. A control plane runs one pod; each trial `docker
 * kill`s its container through the Engine API and measures, from the `die` event:
 * the container running again (engine `start` event) and the pod healthy again (the
 * API's health). Trials start once the pod is healthy again. Prints median and worst.
 *
 *   deno run -A tests/bench/heal.ts [--trials 10] [--adapter generic|openclaw|both]
 * @module
 */
import { createDockerClient } from "../../providers/docker/mod.ts";
import { Plane, waitFor } from "../e2e/_harness.ts";

const arg = (flag: string) => {
  const at = Deno.args.indexOf(flag);
  return at >= 0 ? Deno.args[at + 1] : undefined;
};
const TRIALS = Number(arg("--trials") ?? 10);
const which = arg("--adapter") ?? "both";

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, worst: sorted[sorted.length - 1]! };
}

async function trialSeries(adapter: "generic" | "openclaw") {
  const plane = await Plane.start();
  using docker = createDockerClient();
  try {
    await plane.cli("tenant", "create", "bench");
    const args = adapter === "generic"
      ? ["--type", "generic", "--image", "agentpod-fixture:1"]
      : ["--type", "openclaw"];
    const created = await plane.cli("pod", "create", "bench/agent", ...args);
    if (created.code !== 0) throw new Error(created.stderr);
    const healthy = () =>
      waitFor(
        "a healthy pod",
        async () => {
          const res = await fetch(`${plane.url}/api/v1/tenants/bench/pods/agent`, {
            headers: { authorization: `Bearer ${await plane.token()}` },
          });
          const pod = await res.json();
          return pod.status === "running" && pod.health === "ok";
        },
        180_000,
        50,
      );
    await healthy();
    const running: number[] = [];
    const healthyAgain: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const abort = new AbortController();
      const seen: Record<string, number> = {};
      const watching = (async () => {
        for await (
          const event of docker.events.stream({
            filters: { container: ["agentpod-bench-agent"], event: ["die", "start"] },
            signal: abort.signal,
          })
        ) {
          seen[event.Action] ??= performance.now();
          if (seen.start !== undefined && seen.die !== undefined) break;
        }
      })();
      await new Promise((r) => setTimeout(r, 200)); // the subscription is live
      await docker.containers.kill("agentpod-bench-agent");
      await waitFor("the start event", () => Promise.resolve(seen.start), 60_000, 5);
      await healthy();
      const back = performance.now();
      abort.abort();
      await watching.catch(() => {});
      running.push(Math.round(seen.start! - seen.die!));
      healthyAgain.push(Math.round(back - seen.die!));
    }
    const r = stats(running);
    const h = stats(healthyAgain);
    console.log(JSON.stringify({
      adapter,
      trials: TRIALS,
      dieToRunningMsMedian: r.median,
      dieToRunningMsWorst: r.worst,
      dieToHealthyMsMedian: h.median,
      dieToHealthyMsWorst: h.worst,
    }));
  } finally {
    await plane.destroy();
  }
}

if (which === "generic" || which === "both") await trialSeries("generic");
if (which === "openclaw" || which === "both") await trialSeries("openclaw");
