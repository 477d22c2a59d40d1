/**
 * The reconciler and the use cases on a real store (PGlite) with the in-memory runtime
 * (whose contract test runs it against Docker) and fake time: crash recovery, backoff,
 * three failed recoveries → Failed, orphans after the grace period, and an idle pass
 * that makes one engine call whatever the number of pods.
 * @module
 */
import assert from "node:assert/strict";
import { adapterById } from "../../adapters/mod.ts";
import { DockerApiError } from "../../core/errors.ts";
import { findCondition } from "../../core/pod.ts";
import { Reconciler } from "../../core/reconciler.ts";
import { ControlPlaneService } from "../../core/service.ts";
import type { Logger } from "../../core/logger.ts";
import { createSecretBox } from "../../providers/secrets.ts";
import { openDatabase } from "../../providers/store/mod.ts";
import { createStore } from "../../providers/store/store.ts";
import { MemoryRuntime } from "../fakes/memory_runtime.ts";

const FIXTURE = "agentpod-fixture:1";
const OPENCLAW = "agentpod/openclaw:2026.9.6";
const quiet: Logger = { info() {}, warn() {}, error() {} };

/** A runtime whose `start` can be made to fail, as a broken image or host would. */
class FlakyRuntime extends MemoryRuntime {
  failStarts = false;
  override start(containerId: string): Promise<void> {
    if (this.failStarts) {
      this.calls.start++;
      return Promise.reject(new DockerApiError(500, "Docker: exec format error"));
    }
    return super.start(containerId);
  }
}

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "agentpod-reconciler-" });
  const db = await openDatabase({ dataDir: dir });
  const store = createStore(db);
  let now = Date.parse("2026-11-29T00:00:00Z");
  const runtime = new FlakyRuntime({ now: () => now, images: [FIXTURE, OPENCLAW] });
  const timers: { at: number; fn: () => void }[] = [];
  const pending: Promise<unknown>[] = [];
  const secrets = await createSecretBox(new Uint8Array(32).fill(1));
  const reconciler = new Reconciler({
    store,
    runtime,
    adapterById,
    secrets,
    routing: { domain: "example.com" },
    now: () => now,
    schedule: (fn, ms) => {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return () => timers.splice(timers.indexOf(timer), 1);
    },
    log: quiet,
  }, { orphanGraceMs: 60_000 });
  const service = new ControlPlaneService({
    store,
    runtime,
    reconciler,
    secrets,
    adapterById,
    routing: { domain: "example.com" },
    portRange: { from: 21000, to: 21999 },
    isPortFree: () => Promise.resolve(true),
    newToken: () => crypto.randomUUID(),
    usage: () => undefined,
    background: (work) => void pending.push(work),
  });
  const newReconciler = () =>
    new Reconciler({
      store,
      runtime,
      adapterById,
      secrets,
      routing: { domain: "example.com" },
      now: () => now,
      schedule: () => () => {},
      log: quiet,
    }, { orphanGraceMs: 60_000 });
  return {
    store,
    runtime,
    reconciler,
    service,
    newReconciler,
    settle: async () => {
      while (pending.length) await pending.shift();
    },
    /** Moves fake time forward and runs the timers that fall due. */
    advance: async (ms: number) => {
      now += ms;
      for (const timer of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.fn();
      }
      await new Promise((r) => setTimeout(r, 50)); // let the retried reconcile finish
    },
    now: () => now,
    async close() {
      await db.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("reconciler on a real store with fake time", async (t) => {
  const env = await setup();
  const { store, runtime, reconciler, service } = env;
  try {
    await service.createTenant("acme");

    await t.step("a new pod gets a running container and a Started event", async () => {
      const view = await service.createPod("acme", {
        name: "web",
        adapter: "generic",
        image: FIXTURE,
      });
      await env.settle();
      const pod = await store.pods.get("acme", "web");
      assert.equal(pod.status.phase, "running");
      const [container] = await runtime.listPodContainers(view.id);
      assert.equal(container?.state, "running");
      assert.equal(container?.name, "agentpod-acme-web");
      reconciler.markHealthy(view.id); // what the health monitor does once a probe passes
    });

    await t.step(
      "a killed container is started again at once: Crashed, then Restarted",
      async () => {
        const pod = await store.pods.get("acme", "web");
        runtime.kill(pod.status.containerId!);
        await reconciler.handleEvent({
          action: "die",
          podId: pod.id,
          containerId: pod.status.containerId!,
          exitCode: 137,
          time: env.now(),
        });
        const [container] = await runtime.listPodContainers(pod.id);
        assert.equal(container?.state, "running");
        const after = await store.pods.get("acme", "web");
        assert.equal(after.status.restartCount, 1);
        const reasons = (await store.events.list({ tail: 10, podId: pod.id })).map((e) => e.reason);
        assert.deepEqual(reasons.slice(-3), ["Started", "Crashed", "Restarted"]);
      },
    );

    await t.step(
      "three failed recoveries in a row mark the pod Failed, with backoff between",
      async () => {
        const pod = await store.pods.get("acme", "web");
        reconciler.markHealthy(pod.id); // the last restart worked: start counting afresh
        runtime.failStarts = true;
        runtime.kill(pod.status.containerId!);
        const startsBefore = runtime.calls.start;
        await reconciler.handleEvent({
          action: "die",
          podId: pod.id,
          containerId: pod.status.containerId!,
          exitCode: 137,
          time: env.now(),
        });
        assert.equal(runtime.calls.start, startsBefore + 1, "first recovery attempt");
        await reconciler.reconcilePod(pod.id);
        assert.equal(runtime.calls.start, startsBefore + 1, "backing off: no attempt before 1 s");
        await env.advance(1_000);
        assert.equal(runtime.calls.start, startsBefore + 2, "second attempt after 1 s");
        await env.advance(1_000);
        assert.equal(runtime.calls.start, startsBefore + 2, "the third waits 2 s");
        await env.advance(1_000);
        assert.equal(runtime.calls.start, startsBefore + 3, "third attempt after 2 s more");
        const failed = await store.pods.get("acme", "web");
        assert.equal(failed.status.phase, "failed");
        assert.equal(findCondition(failed.status, "Failed")?.status, "True");
        assert.match(failed.status.lastError ?? "", /exec format error/);
        const reasons = (await store.events.list({ tail: 3, podId: pod.id })).map((e) => e.reason);
        assert.ok(reasons.includes("RecoveryFailed"), reasons.join(", "));

        runtime.failStarts = false;
        await env.advance(4_000);
        const healed = await store.pods.get("acme", "web");
        assert.equal(healed.status.phase, "running");
        assert.equal((await runtime.listPodContainers(pod.id))[0]?.state, "running");
      },
    );

    await t.step(
      "a container of ours with no pod is removed only after the grace period",
      async () => {
        const ghost = await runtime.createPodContainer({
          podId: "00000000-0000-4000-8000-000000000001",
          tenant: "acme",
          pod: "ghost",
          containerName: "agentpod-acme-ghost",
          hostname: "acme-ghost",
          network: "agentpod-t-acme",
          volume: "agentpod-pod-ghost",
          hostPort: 21999,
          specHash: "0",
          spec: {
            image: FIXTURE,
            env: {},
            port: 8080,
            volumePath: "/data",
            resources: { memoryMB: 64, cpus: 0.1, pids: 32 },
          },
          files: [],
        });
        const plan = await reconciler.reconcileAll({ dryRun: true });
        assert.ok(!plan.some((a) => a.kind === "remove-orphan"), "young orphan kept");
        await env.advance(60_000);
        const later = await reconciler.reconcileAll({ dryRun: true });
        assert.deepEqual(later.map((a) => a.kind), ["remove-orphan"]);
        await reconciler.reconcileAll();
        const left = await runtime.listPodContainers();
        assert.equal(left.some((c) => c.id === ghost), false);
      },
    );

    await t.step("an idle pass makes one engine call and changes nothing", async () => {
      for (const name of ["a", "b", "c", "d"]) {
        await service.createPod("acme", { name, adapter: "generic", image: FIXTURE });
      }
      await env.settle();
      await reconciler.reconcileAll();
      runtime.resetCalls();
      const plan = await reconciler.reconcileAll();
      assert.deepEqual(plan, []);
      assert.equal(runtime.totalCalls(), 1);
      assert.equal(runtime.calls.listPodContainers, 1);
    });

    await t.step(
      "OpenClaw files trust the tenant gateway; a lost files record is rewritten once",
      async () => {
        const view = await service.createPod("acme", { name: "oc", adapter: "openclaw" });
        await env.settle();
        const pod = await store.pods.get("acme", "oc");
        const containerId = pod.status.containerId!;
        const json = JSON.parse(runtime.readFile(containerId, "openclaw.json")!.content);
        assert.match(json.gateway.trustedProxies[0], /^172\.\d+\.0\.1\/32$/);
        assert.notEqual(pod.status.filesHash, "");
        // A pod from before files were tracked, or whose last write failed.
        await store.pods.updateStatus(view.id, { filesHash: "" });
        const plan = await reconciler.reconcileAll();
        assert.deepEqual(plan.map((a) => `${a.kind} ${a.pod}`), ["write-files acme/oc"]);
        const after = await store.pods.get("acme", "oc");
        assert.equal(after.status.filesHash, pod.status.filesHash);
        assert.equal(after.status.containerId, containerId, "the same container");
        const events = await service.listEvents({ tail: 3, pod: "acme/oc" });
        assert.equal(events.at(-1)?.reason, "ConfigApplied");
        runtime.resetCalls();
        assert.deepEqual(await reconciler.reconcileAll(), []);
        assert.equal(runtime.totalCalls(), 1);
      },
    );

    await t.step("a config change the agent hot-reloads rewrites the files in place", async () => {
      const before = await store.pods.get("acme", "oc");
      const result = await service.updateConfig("acme", "oc", {
        set: [{ path: "agentName", value: "Bea" }],
      });
      assert.equal(result.effect, "hot-reload");
      assert.equal(result.warning, undefined);
      const after = await store.pods.get("acme", "oc");
      assert.equal(after.status.containerId, before.status.containerId);
      assert.equal(after.status.observedGeneration, after.generation);
      assert.notEqual(after.status.filesHash, before.status.filesHash);
      const json = JSON.parse(
        runtime.readFile(after.status.containerId!, "openclaw.json")!.content,
      );
      assert.equal(json.agents.entries.main.name, "Bea");
    });

    await t.step("a restarted control plane learns each tenant's gateway once", async () => {
      const fresh = env.newReconciler();
      runtime.resetCalls();
      assert.deepEqual(await fresh.reconcileAll(), []);
      assert.equal(runtime.calls.ensureNetwork, 1, "one tenant, one lookup");
      runtime.resetCalls();
      assert.deepEqual(await fresh.reconcileAll(), []);
      assert.equal(runtime.totalCalls(), 1);
    });
  } finally {
    await env.close();
  }
});
