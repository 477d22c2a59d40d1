/**
 * The rollout runner on a real store (PGlite) with the in-memory runtime (contract-tested
 * against Docker): a pod upgraded stop-first onto a copy of its state, the old container
 * kept as the rollback handle; a new version that never passes its probe or that crashes
 * rolled back onto the same old container; a broken image or a downgrade refused before
 * any pod is touched; a runner that died mid-way rolls the pod back on resume.
 * @module
 */
import assert from "node:assert/strict";
import { adapterById } from "../../adapters/mod.ts";
import type { ProbeResult } from "../../core/adapter.ts";
import type { Logger } from "../../core/logger.ts";
import { Reconciler } from "../../core/reconciler.ts";
import { DEFAULT_ROLLOUT_OPTIONS, type RolloutOptions } from "../../core/rollout.ts";
import {
  RolloutRunner,
  type RolloutRunnerOptions,
  VERSION_LABEL,
} from "../../core/rollout_runner.ts";
import { ControlPlaneService } from "../../core/service.ts";
import { UpgradeService } from "../../core/upgrades.ts";
import type { PodRecord } from "../../core/store.ts";
import { createSecretBox } from "../../providers/secrets.ts";
import { openDatabase } from "../../providers/store/mod.ts";
import { createStore } from "../../providers/store/store.ts";
import { MemoryRuntime } from "../fakes/memory_runtime.ts";

const V1 = "agentpod-fixture:1";
const V2 = "agentpod-fixture:2";
const HANGS = "agentpod-fixture:hangs";
const CRASHES = "agentpod-fixture:crashes";
const BROKEN = "agentpod-fixture:broken";
const OC_OLD = "agentpod/openclaw:2026.9.5";
const OC_NEW = "agentpod/openclaw:2026.9.6";
const quiet: Logger = { info() {}, warn() {}, error() {} };
const version = (v: string) => ({ labels: { [VERSION_LABEL]: v } });

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "agentpod-rollout-" });
  const db = await openDatabase({ dataDir: dir });
  const store = createStore(db);
  const runtime = new MemoryRuntime({ images: [] });
  runtime.addImage(V1, version("1"));
  runtime.addImage(V2, version("2"));
  runtime.addImage(HANGS, version("3"));
  runtime.addImage(CRASHES, { ...version("3"), exitAfter: { ms: 20, code: 3 } });
  runtime.addImage(BROKEN, { ...version("3"), exitAfter: { ms: 0, code: 1 } });
  runtime.addImage(OC_OLD, version("2026.9.5"));
  runtime.addImage(OC_NEW, version("2026.9.6"));
  const secrets = await createSecretBox(new Uint8Array(32).fill(7));
  const pending: Promise<unknown>[] = [];
  const schedule = (fn: () => void, ms: number) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  };
  const reconciler = new Reconciler({
    store,
    runtime,
    adapterById,
    secrets,
    routing: { domain: "example.com" },
    now: Date.now,
    schedule,
    log: quiet,
  });
  const service = new ControlPlaneService({
    store,
    runtime,
    reconciler,
    secrets,
    adapterById,
    routing: { domain: "example.com" },
    portRange: { from: 22000, to: 22999 },
    isPortFree: () => Promise.resolve(true),
    newToken: () => crypto.randomUUID(),
    usage: () => undefined,
    background: (work) => void pending.push(work),
  });
  /** What the probe says of the image a pod runs (the "hangs" image never passes). */
  const probe = async (pod: PodRecord): Promise<ProbeResult> => {
    const image = (await runtime.inspectImage(pod.spec.imageId ?? pod.spec.image))!;
    const hangs = image.id === (await runtime.inspectImage(HANGS))!.id;
    return hangs
      ? { healthy: false, message: "GET /health: connection refused" }
      : { healthy: true, message: "200 OK" };
  };
  const makeRunner = (options: Partial<RolloutRunnerOptions> = {}) =>
    new RolloutRunner({
      store,
      runtime,
      adapterById,
      render: (pod, mode) => reconciler.renderPod(pod, mode),
      probe,
      enqueue: (podId) => void reconciler.enqueue(podId, { urgent: true }),
      isLeader: () => true,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      log: quiet,
      cores: 2,
    }, {
      gateIntervalMs: 5,
      smokeTimeoutMs: 10,
      smokeUpMs: 10,
      stopTimeoutSeconds: 1,
      ...options,
    });
  const runner = makeRunner();
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      while (pending.length) await pending.shift();
      await reconciler.idle();
    }
  };
  /** Creates a rollout of `image` over `pods` and runs it to its end. */
  const rollOut = async (image: string, pods: string[], options: Partial<RolloutOptions> = {}) => {
    const records = await Promise.all(pods.map((p) => store.pods.get("acme", p)));
    const rollout = await store.rollouts.create({
      image,
      // A generous deadline: a busy host must not turn a good upgrade into a rollback.
      options: {
        ...DEFAULT_ROLLOUT_OPTIONS,
        minReadyMs: 30,
        progressDeadlineMs: 5_000,
        ...options,
      },
      items: records.map((p, i) => ({
        podId: p.id,
        tenant: p.tenant,
        pod: p.name,
        position: i,
        canary: false,
      })),
    });
    for (let i = 0; i < 50; i++) {
      await runner.tick();
      await runner.idle();
      const now = await store.rollouts.get(rollout.id);
      if (["succeeded", "failed", "paused", "aborted"].includes(now.state)) break;
    }
    await settle();
    return await store.rollouts.get(rollout.id);
  };
  return {
    store,
    runtime,
    reconciler,
    service,
    settle,
    rollOut,
    makeRunner,
    async reasons(pod: string) {
      const record = await store.pods.get("acme", pod);
      return (await store.events.list({ tail: 30, podId: record.id })).map((e) => e.reason);
    },
    async close() {
      reconciler.stop();
      await db.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("rollout runner on a real store", async (t) => {
  const env = await setup();
  const { store, runtime, service } = env;
  try {
    await service.createTenant("acme");
    for (const name of ["web", "api"]) {
      await service.createPod("acme", { name, adapter: "generic", image: V1 });
    }
    await env.settle();

    await t.step(
      "an upgrade moves the pod to the pinned image on a copy of its state",
      async () => {
        const before = await store.pods.get("acme", "web");
        const oldId = before.status.containerId!;
        await runtime.writeFiles(oldId, "/data", [
          { path: "workspace/notes.md", content: "keep me", mode: 0o644, uid: 0 },
        ]);
        const rollout = await env.rollOut(V2, ["web"]);
        assert.equal(rollout.state, "succeeded", rollout.message ?? "");
        assert.equal(rollout.imageId, (await runtime.inspectImage(V2))!.id);
        const [item] = rollout.items;
        assert.equal(item!.state, "succeeded", item!.message ?? "");
        assert.match(item!.message!, /Upgraded agentpod-fixture:1 → agentpod-fixture:2 \(down/);
        const after = await store.pods.get("acme", "web");
        assert.deepEqual(
          [after.spec.image, after.spec.imageId, after.spec.volumeEpoch, after.operationId],
          [V2, rollout.imageId, 1, null],
        );
        assert.equal(after.hostPort, before.hostPort, "same port");
        const containers = await runtime.listPodContainers(before.id);
        const current = containers.find((c) => c.name === "agentpod-acme-web");
        const handle = containers.find((c) => c.name === "agentpod-acme-web.rollback");
        assert.ok(current && current.id !== oldId && current.state === "running");
        assert.deepEqual([handle?.id, handle?.state], [oldId, "exited"], "the rollback handle");
        assert.equal(runtime.readFile(current.id, "workspace/notes.md")?.content, "keep me");
        assert.equal(after.status.containerId, current.id);
        assert.ok((await env.reasons("web")).includes("Upgraded"));
        // The reconciler finds the new container current and leaves the handle alone.
        assert.deepEqual(await env.reconciler.reconcileAll({ dryRun: true }), []);
        assert.equal(after.status.phase, "running");
      },
    );

    await t.step(
      "a version that never passes its probe is rolled back onto the old container",
      async () => {
        const before = await store.pods.get("acme", "api");
        const rollout = await env.rollOut(HANGS, ["api"], { progressDeadlineMs: 300 });
        assert.equal(rollout.state, "failed", rollout.message ?? "");
        assert.equal(rollout.message, "0 pod(s) upgraded, 1 rolled back or failed");
        const [item] = rollout.items;
        assert.equal(item!.state, "rolled-back");
        assert.match(item!.message!, /Not ready for 0.03 s within 0.3 s; last probe: GET \/health/);
        const after = await store.pods.get("acme", "api");
        assert.deepEqual([after.spec.image, after.spec.imageId, after.spec.volumeEpoch], [
          V1,
          null,
          0,
        ]);
        assert.equal(after.status.containerId, before.status.containerId, "the same container");
        const containers = await runtime.listPodContainers(before.id);
        assert.deepEqual(containers.map((c) => [c.id, c.name, c.state]), [
          [before.status.containerId, "agentpod-acme-api", "running"],
        ]);
        assert.equal(runtime.hasVolume(`agentpod-pod-${before.id}-e1`), false, "its copy went");
        assert.ok((await env.reasons("api")).includes("UpgradeRolledBack"));
        const upgraded = after.status.conditions.find((c) => c.type === "Upgraded");
        assert.deepEqual([upgraded?.status, upgraded?.reason], ["False", "RolledBack"]);
        assert.match(upgraded!.message, /Upgrade to agentpod-fixture:hangs rolled back: Not ready/);
        assert.equal(after.operationId, null);
      },
    );

    await t.step("a version that crashes after its start is rolled back", async () => {
      const before = await store.pods.get("acme", "api");
      // Ready for 200 ms before it counts: the crash 20 ms after its start comes first.
      const rollout = await env.rollOut(CRASHES, ["api"], { minReadyMs: 200 });
      assert.equal(rollout.items[0]!.state, "rolled-back");
      assert.match(rollout.items[0]!.message!, /The new container exited/);
      const after = await store.pods.get("acme", "api");
      assert.equal(after.status.containerId, before.status.containerId);
    });

    await t.step("a broken image or a downgrade is refused before any pod is touched", async () => {
      const ids = async () =>
        (await runtime.listPodContainers()).map((c) => `${c.name} ${c.id} ${c.state}`).sort();
      const before = await ids();
      const broken = await env.rollOut(BROKEN, ["web", "api"]);
      assert.equal(broken.state, "failed");
      assert.match(broken.message!, /does not start: its smoke run exited with code 1/);
      assert.deepEqual(broken.items.map((i) => i.state), ["skipped", "skipped"]);
      assert.ok((await env.reasons("web")).includes("UpgradeRefused"));
      const refused = (await store.pods.get("acme", "api")).status.conditions
        .find((c) => c.type === "Upgraded");
      assert.deepEqual([refused?.status, refused?.reason], ["False", "Refused"]);
      const down = await env.rollOut(V1, ["web"]);
      assert.equal(down.state, "failed");
      assert.match(down.message!, /acme\/web runs 2, newer than 1: a downgrade.*--allow-downgrade/);
      const missing = await env.rollOut("nosuch:1", ["web"]);
      assert.equal(missing.state, "failed");
      assert.match(missing.message!, /not on this host and cannot be pulled/);
      assert.deepEqual(await ids(), before, "all container ids and states unchanged");
      const allowed = await env.rollOut(V1, ["web"], { allowDowngrade: true });
      assert.equal(allowed.state, "succeeded", allowed.items[0]?.message ?? "");
    });

    await t.step(
      "rollback handles go after the retention window, with their copy of the state",
      async () => {
        const web = await store.pods.get("acme", "web");
        const handle = (await runtime.listPodContainers(web.id)).find((c) =>
          c.name.endsWith(".rollback")
        );
        assert.ok(handle, "the last upgrade's handle");
        const keeper = env.makeRunner();
        assert.equal(await keeper.collectHandles(), 0, "within the retention window");
        const later = env.makeRunner({ rollbackRetentionMs: 0 });
        assert.ok((await later.collectHandles()) >= 1);
        const left = await runtime.listPodContainers(web.id);
        assert.deepEqual(left.map((c) => c.name), ["agentpod-acme-web"]);
        const epochs = [0, 1, 2, 3].filter((e) =>
          runtime.hasVolume(e === 0 ? `agentpod-pod-${web.id}` : `agentpod-pod-${web.id}-e${e}`)
        );
        assert.deepEqual(epochs, [web.spec.volumeEpoch], "only the copy in use");
        assert.equal(await later.collectHandles(), 0, "nothing twice");
      },
    );

    await t.step(
      "an OpenClaw pod is drained (suspend.prepare, retried while busy) before its stop",
      async () => {
        await service.createPod("acme", { name: "oc", adapter: "openclaw", image: OC_OLD });
        await env.settle();
        const asked: string[] = [];
        const answers = ["busy", "ready"];
        runtime.execHandler = (command) => {
          if (!command.includes("gateway.suspend.prepare")) return undefined;
          asked.push(command.join(" "));
          const status = answers.shift() ?? "ready";
          return { exitCode: 0, stdout: JSON.stringify({ status, retryAfterMs: 10 }), stderr: "" };
        };
        try {
          const rollout = await env.rollOut(OC_NEW, ["oc"]);
          assert.equal(rollout.state, "succeeded", rollout.items[0]?.message ?? "");
        } finally {
          runtime.execHandler = undefined;
        }
        assert.equal(asked.length, 2, "asked again after busy");
        assert.match(
          asked[0]!,
          /^node openclaw\.mjs gateway call gateway\.suspend\.prepare --port 18789/,
        );
        const events = await store.events.list({
          tail: 10,
          podId: (await store.pods.get("acme", "oc")).id,
        });
        const drained = events.find((e) => e.reason === "Drained");
        assert.match(
          drained?.message ?? "",
          /Before the upgrade to agentpod\/openclaw:2026\.9\.6: Drained \(attempt 2\)/,
        );
        await service.deletePod("acme", "oc", { force: true });
        await env.settle();
      },
    );

    /**
     * acme/api as a runner leaves it when killed right after the stop: a running rollout to
     * V2 holds the lease, the old container is stopped and renamed `.rollback`.
     */
    const stoppedMidUpgrade = async () => {
      const pod = await store.pods.get("acme", "api");
      const oldId = pod.status.containerId!;
      const rollout = await store.rollouts.create({
        image: V2,
        options: { ...DEFAULT_ROLLOUT_OPTIONS, minReadyMs: 30, progressDeadlineMs: 2_000 },
        items: [{ podId: pod.id, tenant: "acme", pod: "api", position: 0, canary: false }],
      });
      await store.rollouts.update(rollout.id, {
        state: "running",
        imageId: (await runtime.inspectImage(V2))!.id,
      });
      assert.ok(await store.pods.lease(pod.id, rollout.id));
      await runtime.stop(oldId, 1);
      for (const c of await runtime.listPodContainers(pod.id)) {
        if (c.name.endsWith(".rollback")) await runtime.remove(c.id); // an older handle
      }
      await runtime.rename(oldId, "agentpod-acme-api.rollback");
      return { pod, oldId, rollout };
    };

    await t.step("a runner that died mid-upgrade rolls the pod back when it resumes", async () => {
      // As a runner that was killed right after stopping and renaming the old container.
      const { pod, oldId, rollout } = await stoppedMidUpgrade();
      await store.rollouts.updateItem(rollout.id, pod.id, {
        state: "upgrading",
        step: "stopped",
        oldImage: pod.spec.image,
        oldImageId: pod.spec.imageId,
        oldVolumeEpoch: pod.spec.volumeEpoch,
        oldContainerId: oldId,
      });
      const fresh = env.makeRunner();
      await fresh.tick();
      await fresh.idle();
      const item = (await store.rollouts.get(rollout.id)).items[0]!;
      assert.equal(item.state, "rolled-back", item.message ?? "");
      assert.match(item.message!, /stopped in the middle of the upgrade/);
      const containers = await runtime.listPodContainers(pod.id);
      assert.deepEqual(containers.map((c) => [c.id, c.name, c.state]), [
        [oldId, "agentpod-acme-api", "running"],
      ]);
      assert.equal((await store.pods.get("acme", "api")).operationId, null);
    });

    await t.step("a runner killed while copying the state never starts the half copy", async () => {
      const running = (await store.pods.get("acme", "api")).status.containerId!;
      await runtime.writeFiles(running, "/data", [
        { path: "state.db", content: "precious", mode: 0o600, uid: 0 },
      ]);
      // As a runner killed after creating the new container, before its copy was complete.
      const { pod, oldId, rollout } = await stoppedMidUpgrade();
      const moved = await store.pods.setImage(pod.id, {
        image: V2,
        imageId: null,
        volumeEpoch: pod.spec.volumeEpoch + 1,
      });
      const half = await runtime.createPodContainer(
        (await env.reconciler.renderPod(moved)).request,
      );
      await store.rollouts.updateItem(rollout.id, pod.id, {
        state: "upgrading",
        step: "stopped",
        oldImage: pod.spec.image,
        oldImageId: pod.spec.imageId,
        oldVolumeEpoch: pod.spec.volumeEpoch,
        oldContainerId: oldId,
        newContainerId: half,
      });
      const fresh = env.makeRunner();
      await fresh.tick();
      await fresh.idle();
      const item = (await store.rollouts.get(rollout.id)).items[0]!;
      assert.equal(item.state, "rolled-back", item.message ?? "");
      const containers = await runtime.listPodContainers(pod.id);
      assert.deepEqual(containers.map((c) => [c.id, c.name, c.state]), [
        [oldId, "agentpod-acme-api", "running"],
      ], "the half copy was never started; it is gone");
      assert.equal(runtime.readFile(oldId, "state.db")?.content, "precious");
      const back = await store.pods.get("acme", "api");
      assert.deepEqual([back.spec.image, back.spec.volumeEpoch], [
        pod.spec.image,
        pod.spec.volumeEpoch,
      ]);
    });
    // Last: from here on this process "is" the next AgentPod version.
    await t.step(
      "an AgentPod that renders a new container spec moves pods one at a time",
      async () => {
        await service.createTenant("re");
        for (const name of ["r1", "r2", "r3"]) {
          await service.createPod("re", { name, adapter: "generic", image: V1 });
        }
        await env.settle();
        const before = new Map(
          (await runtime.listPodContainers()).map((c) => [c.podId, c.id]),
        );
        // The next AgentPod version renders one more variable into every generic container.
        const generic = adapterById("generic");
        const newer = (id: string) =>
          id !== "generic" ? adapterById(id) : {
            ...generic,
            render: (config: never, context: never) => {
              const r = generic.render(config, context);
              return {
                ...r,
                container: { ...r.container, env: { ...r.container.env, NEXT: "1" } },
              };
            },
          } as typeof generic;
        const upgrades = new UpgradeService({
          store,
          runtime,
          wake: () => {},
          respecOptions: { minReadyMs: 20, progressDeadlineMs: 5_000 },
        });
        const next = new Reconciler({
          store,
          runtime,
          adapterById: newer,
          secrets: await createSecretBox(new Uint8Array(32).fill(7)),
          routing: { domain: "example.com" },
          now: Date.now,
          schedule: (fn, ms) => {
            const timer = setTimeout(fn, ms);
            return () => clearTimeout(timer);
          },
          log: quiet,
          onRespec: (podId) => upgrades.respec(podId),
        });
        await next.reconcileAll({ wait: true });
        const kept = new Map((await runtime.listPodContainers()).map((c) => [c.podId, c.id]));
        assert.deepEqual(kept, before, "no container was recreated by the pass itself");
        const [rollout] = await store.rollouts.list({ unfinished: true, limit: 1 });
        assert.ok(rollout?.options.respec, "a respec rollout");
        const pods = (await store.pods.list()).filter((p) => p.spec.desiredState === "running");
        assert.equal(rollout.items.length, pods.length, "every running pod joined it");
        const runner = new RolloutRunner({
          store,
          runtime,
          adapterById: newer,
          render: (pod, mode) => next.renderPod(pod, mode),
          probe: () => Promise.resolve({ healthy: true, message: "200 OK" }),
          enqueue: (podId) => void next.enqueue(podId, { urgent: true }),
          isLeader: () => true,
          now: Date.now,
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
          log: quiet,
          cores: 4,
        }, { gateIntervalMs: 5 });
        for (let i = 0; i < 100; i++) {
          await runner.tick();
          await runner.idle();
          if ((await store.rollouts.get(rollout.id)).finishedAt) break;
        }
        await next.idle();
        const done = await store.rollouts.get(rollout.id);
        assert.equal(done.state, "succeeded", done.items.map((i) => i.message).join("; "));
        assert.match(done.items[0]!.message!, /Moved to the container spec this AgentPod renders/);
        // One at a time: no two pods were down together.
        const windows = done.items.map((i) => [Date.parse(i.stoppedAt!), Date.parse(i.readyAt!)]);
        windows.sort((a, b) => a[0]! - b[0]!);
        for (let i = 1; i < windows.length; i++) {
          assert.ok(windows[i]![0]! >= windows[i - 1]![1]!, "down one after the other");
        }
        assert.deepEqual(await next.reconcileAll({ dryRun: true }), [], "all on the new spec");
        // acme/web has been upgraded three times now: its stopped old containers are no crashes.
        const reasons = await env.reasons("web");
        assert.equal(reasons.filter((r) => r === "Upgraded").length >= 3, true, reasons.join());
        assert.deepEqual(reasons.filter((r) => r === "Crashed" || r === "RecoveryFailed"), []);
        assert.equal((await store.pods.get("acme", "web")).status.phase, "running");
        for (const pod of pods) {
          assert.equal(
            (await store.pods.getById(pod.id))!.spec.image,
            pod.spec.image,
            "same image",
          );
        }
        next.stop();
      },
    );
  } finally {
    await env.close();
  }
});
