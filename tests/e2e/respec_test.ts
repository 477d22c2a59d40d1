/**
 * AgentPod's own upgrade on the real engine: pods made by one AgentPod version, then the
 * next version (which renders another container spec for them) starts on the same data.
 * The pass must not recreate the fleet at once: the pods move in one respec rollout, one
 * at a time, each gated, with a 200 ms sampler never seeing two down together.
 *
 * The "next version" is this checkout's control plane started in this process with a
 * generic adapter that renders one more environment variable (as a release that adds a
 * setting to every container would); everything else (the engine, PGlite, the wiring of
 * main.ts, the runner, the health checks) is the real thing.
 * @module
 */
import assert from "node:assert/strict";
import { adapterById } from "../../adapters/mod.ts";
import type { AgentAdapter } from "../../core/adapter.ts";
import { parseServerConfig } from "../../core/config.ts";
import { createDockerClient } from "../../providers/docker/mod.ts";
import { startControlPlane } from "../../main.ts";
import {
  createFixturePods,
  downSampler,
  waitFor,
  waitForRunningPods,
  withPlane,
} from "./_harness.ts";

const PODS = ["r1", "r2", "r3"];
const quiet = { info() {}, warn() {}, error() {} };

interface RolloutJson {
  id: string;
  state: string;
  options: { respec?: boolean };
  items: { pod: string; state: string; stoppedAt: string | null; readyAt: string | null }[];
}

/** The generic adapter of "the next AgentPod version": one more variable in every container. */
function nextVersionAdapters(id: string): AgentAdapter {
  const adapter = adapterById(id);
  if (id !== "generic") return adapter;
  return {
    ...adapter,
    render: (config, context) => {
      const rendered = adapter.render(config, context);
      const env = { ...rendered.container.env, AGENTPOD_NEXT: "1" };
      return { ...rendered, container: { ...rendered.container, env } };
    },
  };
}

Deno.test("the next AgentPod version moves its new container spec one pod at a time", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "re")).code, 0);
    await createFixturePods(plane, "re", PODS);
    await waitForRunningPods(plane, PODS.length);
    using docker = createDockerClient();
    const names = PODS.map((p) => `agentpod-re-${p}`);
    const before = await Promise.all(names.map((n) => docker.containers.inspect(n)));
    await plane.kill("SIGTERM");

    const sampler = downSampler(names);
    const config = parseServerConfig({ ...Deno.env.toObject(), ...plane.env });
    const next = await startControlPlane(config, quiet, { adapterById: nextVersionAdapters });
    try {
      const rollout = await waitFor(
        "a respec rollout that ends",
        async () => {
          const [last] = await plane.json<RolloutJson[]>("rollout", "list");
          return last && ["succeeded", "failed", "aborted"].includes(last.state) ? last : undefined;
        },
        180_000,
        500,
      );
      const worst = await sampler.stop();
      console.log(
        `respec of ${PODS.length} pods: ${
          rollout.items.map((i) =>
            `${i.pod} down ${Date.parse(i.readyAt ?? "") - Date.parse(i.stoppedAt ?? "")} ms`
          ).join(", ")
        }; most down at once: ${worst}`,
      );
      assert.equal(rollout.options.respec, true, "a respec rollout");
      assert.equal(rollout.state, "succeeded", JSON.stringify(rollout.items));
      assert.deepEqual(rollout.items.map((i) => i.pod).sort(), PODS);
      assert.ok(worst <= 1, `at most one pod down at a time, saw ${worst}`);
      const windows = rollout.items
        .map((i) => [Date.parse(i.stoppedAt!), Date.parse(i.readyAt!)] as const)
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < windows.length; i++) {
        assert.ok(windows[i]![0] >= windows[i - 1]![1], "one after the other");
      }

      const after = await Promise.all(names.map((n) => docker.containers.inspect(n)));
      for (const [i, c] of after.entries()) {
        assert.notEqual(c.Id, before[i]!.Id, `${names[i]} is a new container`);
        assert.ok(c.Config.Env?.includes("AGENTPOD_NEXT=1"), `${names[i]} has the new spec`);
        assert.deepEqual(c.HostConfig.PortBindings, before[i]!.HostConfig.PortBindings);
      }
      const pods = await plane.json<{ pod: string; status: string }[]>("pod", "list");
      assert.deepEqual(pods.map((p) => p.status), ["running", "running", "running"]);
      const plan = await plane.json<{ actions: unknown[] }>("reconcile", "--dry-run");
      assert.deepEqual(plan.actions, [], "nothing left to do: every pod on the new spec");
    } finally {
      await sampler.stop();
      await next.shutdown();
    }
  });
});
