/**
 * The controller on a real store (PGlite) with the in-memory runtime (whose contract
 * test proves its restart policy against Docker) and fake time: engine events wake the
 * work queue as in `serve`; kills and in-container crashes are counted; a crash loop is
 * declared failed and left stopped; a config that stops rendering keeps its container; a
 * recreate onto a missing image or a failing create keeps the old container; user intent
 * skips backoff; orphans go after the grace period; an idle pass makes one engine call.
 * @module
 */
import assert from "node:assert/strict";
import { adapterById } from "../../adapters/mod.ts";
import { DockerApiError, ValidationError } from "../../core/errors.ts";
import { findCondition } from "../../core/pod.ts";
import { HealthMonitor } from "../../core/health.ts";
import { Reconciler } from "../../core/reconciler.ts";
import { ControlPlaneService } from "../../core/service.ts";
import type { Logger } from "../../core/logger.ts";
import type { PodContainerRequest } from "../../core/runtime.ts";
import { createSecretBox } from "../../providers/secrets.ts";
import { openDatabase } from "../../providers/store/mod.ts";
import { createStore } from "../../providers/store/store.ts";
import { FakeClock } from "../fakes/fake_clock.ts";
import { MemoryRuntime, type MemoryRuntimeOptions } from "../fakes/memory_runtime.ts";

const FIXTURE = "agentpod-fixture:1";
const OPENCLAW = "agentpod/openclaw:2026.9.6";
const quiet: Logger = { info() {}, warn() {}, error() {} };

/** A runtime whose create can be made to fail, as a broken host would. */
class FlakyRuntime extends MemoryRuntime {
  failCreates = false;
  constructor(options: MemoryRuntimeOptions) {
    super(options);
  }
  override createPodContainer(request: PodContainerRequest): Promise<string> {
    if (this.failCreates) {
      this.calls.createPodContainer++;
      return Promise.reject(new DockerApiError(500, "Docker: no space left on device"));
    }
    return super.createPodContainer(request);
  }
  /** The next start's process is OOM-killed before anyone can look (0.2 s in, for real). */
  oomOnNextStart = false;
  override async start(containerId: string): Promise<void> {
    await super.start(containerId);
    if (this.oomOnNextStart) {
      this.oomOnNextStart = false;
      this.crash(containerId, 137, { oom: true });
    }
  }
}

/** `runtime`, with the name of every method called pushed onto `calls`. */
function recordingCalls<T extends object>(runtime: T, calls: string[]): T {
  return new Proxy(runtime, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(key));
        return value.apply(target, args);
      };
    },
  });
}

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "agentpod-reconciler-" });
  const db = await openDatabase({ dataDir: dir });
  const store = createStore(db);
  const clock = new FakeClock(Date.parse("2026-11-29T00:00:00Z"));
  const { now, schedule } = clock;
  const runtime = new FlakyRuntime({ now, images: [FIXTURE, OPENCLAW], schedule });
  const pending: Promise<unknown>[] = [];
  const secrets = await createSecretBox(new Uint8Array(32).fill(1));
  const makeReconciler = () =>
    new Reconciler({
      store,
      runtime,
      adapterById,
      secrets,
      routing: { domain: "example.com" },
      now,
      schedule,
      random: () => 0.5,
      log: quiet,
    }, { orphanGraceMs: 60_000 });
  const reconciler = makeReconciler();
  // As in `serve`: every engine event only wakes the pod.
  const watching = new AbortController();
  void (async () => {
    for await (const event of runtime.watchEvents(watching.signal)) reconciler.handleEvent(event);
  })();
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
  /** Lets queued reconciles and the event loop run until nothing moves. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      while (pending.length) await pending.shift();
      await new Promise((resolve) => setTimeout(resolve, 5));
      await reconciler.idle();
    }
  };
  return {
    store,
    runtime,
    reconciler,
    service,
    makeReconciler,
    settle,
    /** Moves fake time forward in steps, running timers as they fall due. */
    advance: (ms: number) => clock.advance(ms, settle),
    now,
    async reasons(podId: string, tail = 20) {
      return (await store.events.list({ tail, podId })).map((e) => e.reason);
    },
    async close() {
      watching.abort();
      reconciler.stop();
      await db.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("controller on a real store with fake time", async (t) => {
  const env = await setup();
  const { store, runtime, reconciler, service } = env;
  try {
    await service.createTenant("acme");
    const web = await service.createPod("acme", {
      name: "web",
      adapter: "generic",
      image: FIXTURE,
    });
    await env.settle();

    await t.step("a new pod gets a running container, a Started event and Ready", async () => {
      const pod = await store.pods.get("acme", "web");
      assert.equal(pod.status.phase, "running");
      assert.equal(findCondition(pod.status, "Ready")?.status, "True");
      const [container] = await runtime.listPodContainers(web.id);
      assert.equal(container?.state, "running");
      assert.equal(container?.name, "agentpod-acme-web");
      assert.deepEqual(await env.reasons(web.id), ["Created", "Started"]);
    });

    await t.step("docker kill (a manual stop): started again at once, counted", async () => {
      const pod = await store.pods.get("acme", "web");
      runtime.kill(pod.status.containerId!);
      await env.settle();
      const after = await store.pods.get("acme", "web");
      assert.equal(after.status.phase, "running");
      assert.equal(after.status.containerId, pod.status.containerId, "the same container");
      assert.equal(after.status.restartCount, 1);
      assert.equal(after.status.lastError, null);
      assert.deepEqual((await env.reasons(web.id)).slice(-2), ["Crashed", "Restarted"]);
    });

    await t.step(
      "a crash inside the container that Docker heals by itself is counted once",
      async () => {
        const pod = await store.pods.get("acme", "web");
        const startsBefore = runtime.calls.start;
        await env.advance(120_000); // a long healthy run: this crash is no failed recovery
        runtime.crash(pod.status.containerId!, 1);
        await env.advance(1_000); // Docker's restart delay
        const after = await store.pods.get("acme", "web");
        assert.equal(runtime.calls.start, startsBefore, "AgentPod did not start it: Docker did");
        assert.equal(after.status.phase, "running");
        assert.equal(after.status.restartCount, 2);
        assert.equal(after.status.run.recoveryFailures, 0);
        const events = await store.events.list({ tail: 1, podId: web.id });
        assert.equal(events[0]?.reason, "Crashed");
        assert.match(events[0]!.message, /exited with code 1; Docker restart/);
        // Later passes find nothing more to count.
        await reconciler.reconcileAll({ wait: true });
        assert.equal((await store.pods.get("acme", "web")).status.restartCount, 2);
      },
    );

    await t.step(
      "a crash loop is declared failed, left stopped, and a restart clears it",
      async () => {
        const pod = await store.pods.get("acme", "web");
        const id = pod.status.containerId!;
        await env.advance(120_000);
        runtime.exitAfter(id, 3_000, 3); // exits 3 s after every start
        await env.advance(30_000);
        const failed = await store.pods.get("acme", "web");
        assert.equal(failed.status.phase, "failed");
        assert.equal(findCondition(failed.status, "Failed")?.status, "True");
        assert.equal(findCondition(failed.status, "Failed")?.reason, "RecoveryFailed");
        assert.match(findCondition(failed.status, "Failed")!.message, /exit code was 3/);
        const [container] = await runtime.listPodContainers(web.id);
        assert.equal(container?.state, "exited", "left stopped: no more CPU burnt");
        const reasons = await env.reasons(web.id);
        assert.equal(reasons.filter((r) => r === "RecoveryFailed").length, 1);
        const restarts = failed.status.restartCount;
        await env.advance(120_000);
        await reconciler.reconcileAll({ wait: true });
        const still = await store.pods.get("acme", "web");
        assert.equal(still.status.restartCount, restarts, "the count is stable");
        assert.equal(still.status.phase, "failed");

        runtime.stopExiting(id); // the fix
        await service.restartPod("acme", "web");
        await env.settle();
        const back = await store.pods.get("acme", "web");
        assert.equal(back.status.phase, "running");
        assert.equal(findCondition(back.status, "Failed")?.status, "False");
        assert.equal(back.status.failedGeneration, null);
        assert.ok((await env.reasons(web.id)).includes("FailureCleared"));
      },
    );

    await t.step("pod restart restarts the running container once, in place", async () => {
      const pod = await store.pods.get("acme", "web");
      const stops = runtime.calls.stop;
      await service.restartPod("acme", "web");
      await env.settle();
      const after = await store.pods.get("acme", "web");
      assert.equal(after.status.containerId, pod.status.containerId);
      assert.equal(runtime.calls.stop, stops + 1, "one stop, then a start");
      assert.equal(after.status.restartObserved, after.spec.restartRequested);
      await reconciler.reconcileAll({ wait: true });
      assert.equal(runtime.calls.stop, stops + 1, "carried out once");
    });

    await t.step(
      "a config that stops rendering keeps its container; RenderFailed shows",
      async () => {
        const pod = await store.pods.get("acme", "web");
        const before = (await runtime.inspectPodContainer(pod.status.containerId!))!;
        await store.pods.updateSpec(pod.id, pod.generation, { config: { port: "x" } });
        for (let i = 0; i < 3; i++) {
          await reconciler.reconcileAll({ wait: true });
          await env.advance(5_000);
        }
        assert.deepEqual(
          (await reconciler.reconcileAll({ dryRun: true })).map((a) => a.kind),
          ["hold"],
        );
        const after = (await runtime.inspectPodContainer(pod.status.containerId!))!;
        assert.equal(after.state, "running");
        assert.equal(after.startedAt, before.startedAt, "untouched");
        const status = (await store.pods.get("acme", "web")).status;
        assert.equal(findCondition(status, "Ready")?.reason, "RenderFailed");
        assert.match(status.lastError ?? "", /port/);
        const reasons = await env.reasons(web.id);
        assert.equal(reasons.filter((r) => r === "RenderFailed").length, 1, "one warning event");
        // Fixed: converges again.
        const broken = await store.pods.get("acme", "web");
        await store.pods.updateSpec(pod.id, broken.generation, { config: {} });
        await reconciler.reconcilePod(pod.id);
        const fixed = await store.pods.get("acme", "web");
        assert.equal(findCondition(fixed.status, "Ready")?.status, "True");
        assert.equal(fixed.status.lastError, null);
        assert.equal(fixed.status.containerId, pod.status.containerId);
      },
    );

    await t.step(
      "config set to an image that does not exist: refused, nothing changes",
      async () => {
        const pod = await store.pods.get("acme", "web");
        await assert.rejects(
          service.updateConfig("acme", "web", { set: [{ path: "image", value: "nosuch:1" }] }),
          (error) => error instanceof ValidationError && /nosuch:1/.test(error.message),
        );
        const after = await store.pods.get("acme", "web");
        assert.equal(after.generation, pod.generation);
        assert.equal(after.status.containerId, pod.status.containerId);
      },
    );

    await t.step("a recreate that cannot create keeps the old container running", async () => {
      const pod = await store.pods.get("acme", "web");
      runtime.failCreates = true;
      const result = await service.updateConfig("acme", "web", {
        set: [{ path: "env", value: { MODE: "two" } }],
      });
      assert.equal(result.effect, "recreate");
      assert.match(result.warning ?? "", /previous one runs again/);
      const [container, ...others] = await runtime.listPodContainers(web.id);
      assert.equal(others.length, 0);
      assert.equal(container?.id, pod.status.containerId);
      assert.equal(container?.name, "agentpod-acme-web", "its name back");
      assert.equal(container?.state, "running");
      runtime.failCreates = false;
      await reconciler.reconcilePod(pod.id);
      const replaced = await store.pods.get("acme", "web");
      assert.notEqual(replaced.status.containerId, pod.status.containerId);
      assert.equal(replaced.status.phase, "running");
      assert.equal((await runtime.listPodContainers(web.id)).length, 1, "old one removed");
    });

    await t.step("user intent skips a backoff: stop, then delete --force at once", async () => {
      const victim = await service.createPod("acme", {
        name: "doomed",
        adapter: "generic",
        image: FIXTURE,
      });
      await env.settle();
      runtime.failCreates = true;
      await runtime.remove((await store.pods.get("acme", "doomed")).status.containerId!);
      await env.settle(); // the recreate fails: backing off now
      assert.match((await store.pods.get("acme", "doomed")).status.lastError ?? "", /no space/);
      runtime.failCreates = false;
      await service.deletePod("acme", "doomed", { force: true });
      await env.settle();
      assert.equal(await store.pods.getById(victim.id), undefined, "gone without waiting");
    });

    await t.step(
      "three failed probes: the monitor's verdict restarts the container through the queue",
      async () => {
        const pod = await store.pods.get("acme", "web");
        let healthy = true;
        const failing = {
          ...adapterById("generic"),
          probe: () =>
            Promise.resolve(
              healthy ? { healthy: true, message: "200 on /" } : {
                healthy: false,
                message: "Connection refused",
              },
            ),
        };
        const monitor = new HealthMonitor({
          store,
          reconciler,
          secrets: await createSecretBox(new Uint8Array(32).fill(1)),
          adapterById: () => failing,
          now: env.now,
          schedule: () => () => {},
          log: quiet,
        }, { startupGraceMs: 0 });
        const probe = async () => {
          const report = await monitor.probePod(await store.pods.get("acme", "web"));
          await env.settle();
          return report;
        };
        assert.equal((await probe()).health, "ok");
        assert.equal(
          findCondition((await store.pods.get("acme", "web")).status, "Healthy")?.status,
          "True",
        );
        healthy = false;
        const stops = runtime.calls.stop;
        await probe();
        const one = await store.pods.get("acme", "web");
        assert.equal(
          findCondition(one.status, "Healthy")?.status,
          "False",
          "written by the reconciler",
        );
        assert.equal(findCondition(one.status, "Ready")?.reason, "Unhealthy");
        await probe();
        assert.equal(runtime.calls.stop, stops, "no restart before the third failure");
        await probe();
        assert.equal(runtime.calls.stop, stops + 1, "stopped and started once");
        const after = await store.pods.get("acme", "web");
        assert.equal(after.status.containerId, pod.status.containerId, "in place");
        const reasons = await env.reasons(pod.id);
        assert.ok(
          reasons.includes("Unhealthy") && reasons.includes("UnhealthyRestart"),
          reasons.join(),
        );
        healthy = true;
        await probe();
        assert.equal(
          findCondition((await store.pods.get("acme", "web")).status, "Healthy")?.status,
          "True",
        );
      },
    );

    await t.step("concurrent creates racing for host ports all get one, distinct", async () => {
      await service.createTenant("race");
      const views = await Promise.all(
        Array.from(
          { length: 8 },
          (_, i) =>
            service.createPod("race", { name: `r${i}`, adapter: "generic", image: FIXTURE }),
        ),
      );
      assert.equal(new Set(views.map((v) => v.hostPort)).size, 8);
      await env.settle();
    });

    await t.step("tenant delete --force goes through pods that are backing off", async () => {
      const pod = await store.pods.get("race", "r0");
      runtime.failCreates = true;
      await runtime.remove(pod.status.containerId!);
      await env.settle(); // r0 fails to come back: in backoff
      assert.ok((await store.pods.get("race", "r0")).status.lastError);
      runtime.failCreates = false;
      const deleted = await service.deleteTenant("race", true);
      assert.deepEqual(deleted, { deleted: "race", pods: 8 });
      await env.settle();
    });

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
        await reconciler.reconcileAll({ wait: true });
        const left = await runtime.listPodContainers();
        assert.equal(left.some((c) => c.id === ghost), false);
      },
    );

    await t.step("an idle pass makes one engine call and changes nothing", async () => {
      for (const name of ["a", "b", "c", "d"]) {
        await service.createPod("acme", { name, adapter: "generic", image: FIXTURE });
      }
      await env.settle();
      await reconciler.reconcileAll({ wait: true });
      runtime.resetCalls();
      const plan = await reconciler.reconcileAll({ wait: true });
      assert.deepEqual(plan, []);
      assert.equal(runtime.totalCalls(), 1);
      assert.equal(runtime.calls.listPodContainers, 1);
      // The timer's pass between full ones plans from the view reconciles keep: no call.
      runtime.resetCalls();
      assert.deepEqual(await reconciler.reconcileAll({ wait: true, cached: true }), []);
      assert.equal(runtime.totalCalls(), 0);
      // A kill: its event wakes the pod, whose reconcile heals it and refreshes the view.
      const a = await store.pods.get("acme", "a");
      runtime.kill(a.status.containerId!);
      await env.settle();
      const healed = await store.pods.get("acme", "a");
      assert.equal(healed.status.phase, "running");
      runtime.resetCalls();
      assert.deepEqual(await reconciler.reconcileAll({ dryRun: true, cached: true }), []);
      assert.equal(runtime.totalCalls(), 0);
      // A process that hears no events: the cached view cannot know of a kill (until a
      // full pass, which finds it); before any full list a cached pass lists like one.
      const deaf = env.makeReconciler();
      runtime.resetCalls();
      assert.deepEqual(await deaf.reconcileAll({ dryRun: true, cached: true }), []);
      assert.equal(runtime.calls.listPodContainers, 1, "nothing seen yet: a real list");
      runtime.kill(healed.status.containerId!);
      assert.deepEqual(await deaf.reconcileAll({ dryRun: true, cached: true }), []);
      const full = await deaf.reconcileAll({ dryRun: true });
      assert.deepEqual(full.map((p) => `${p.kind} ${p.pod}`), ["start acme/a"]);
      deaf.stop();
      await env.settle();
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
        const plan = await reconciler.reconcileAll({ wait: true });
        assert.deepEqual(plan.map((a) => `${a.kind} ${a.pod}`), ["write-files acme/oc"]);
        const after = await store.pods.get("acme", "oc");
        assert.equal(after.status.filesHash, pod.status.filesHash);
        assert.equal(after.status.containerId, containerId, "the same container");
        const events = await service.listEvents({ tail: 3, pod: "acme/oc" });
        assert.equal(events.at(-1)?.reason, "ConfigApplied");
        runtime.resetCalls();
        assert.deepEqual(await reconciler.reconcileAll({ wait: true }), []);
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

    await t.step(
      "an OOM kill between AgentPod's start and its look after it is still counted",
      async () => {
        // The kernel kills a memory hog ~200 ms after its start and Docker restarts it:
        // the inspect that follows AgentPod's start may already show RestartCount 1.
        runtime.oomOnNextStart = true;
        const hog = await service.createPod("acme", {
          name: "hog",
          adapter: "generic",
          image: FIXTURE,
        });
        await env.settle();
        await env.advance(1_000); // Docker's restart delay
        const pod = await store.pods.get("acme", "hog");
        assert.equal(pod.status.phase, "running");
        assert.equal(pod.status.restartCount, 1);
        const events = await store.events.list({ tail: 5, podId: hog.id });
        const oom = events.find((e) => e.reason === "OOMKilled");
        assert.ok(oom, events.map((e) => e.reason).join());
        assert.match(oom.message, /out of memory; Docker restart/);
        await service.deletePod("acme", "hog");
        await env.settle();
      },
    );

    await t.step(
      "resync removes the network of a tenant deleted while no leader listened",
      async () => {
        await runtime.ensureNetwork("agentpod-t-ghost", "ghost");
        await reconciler.resync();
        await env.settle();
        assert.equal(runtime.hasNetwork("agentpod-t-ghost"), false);
        assert.equal(runtime.hasNetwork("agentpod-t-acme"), true, "a live tenant's stays");
      },
    );

    await t.step("a restarted control plane learns each tenant's gateway once", async () => {
      const fresh = env.makeReconciler();
      runtime.resetCalls();
      assert.deepEqual(await fresh.reconcileAll({ wait: true }), []);
      assert.equal(runtime.calls.ensureNetwork, 1, "one tenant, one lookup");
      runtime.resetCalls();
      assert.deepEqual(await fresh.reconcileAll({ wait: true }), []);
      assert.equal(runtime.totalCalls(), 1);
      fresh.stop();
    });

    await t.step("a follower never calls the engine; it tells the leader instead", async () => {
      const told: string[] = [];
      const calls: string[] = [];
      const spy = recordingCalls(runtime, calls);
      const follower = new Reconciler({
        store,
        runtime: spy,
        adapterById,
        secrets: await createSecretBox(new Uint8Array(32).fill(1)),
        routing: { domain: "example.com" },
        now: env.now,
        schedule: () => () => {},
        log: quiet,
        isLeader: () => false,
        onFollowerEnqueue: (podId) => told.push(podId),
      });
      const pod = await store.pods.get("acme", "a");
      await follower.reconcilePod(pod.id);
      runtime.kill(pod.status.containerId!); // the leader (watching events) heals it
      await follower.reconcileAll({ wait: true });
      assert.deepEqual(told.slice(0, 2), [pod.id, pod.id]);
      assert.deepEqual(new Set(calls), new Set(["listPodContainers"]), "reads only");
      follower.stop();
      await env.settle(); // the leader heals it
      assert.equal((await runtime.listPodContainers(pod.id))[0]?.state, "running");
    });

    await t.step(
      "a follower's API checks images without pulling and hands a tenant's removal to the leader",
      async () => {
        const calls: string[] = [];
        const told: string[] = [];
        const spy = recordingCalls(runtime, calls);
        const secrets = await createSecretBox(new Uint8Array(32).fill(1));
        const follower = new Reconciler({
          store,
          runtime: spy,
          adapterById,
          secrets,
          routing: { domain: "example.com" },
          now: Date.now,
          schedule: (fn, ms) => {
            const timer = setTimeout(fn, ms);
            return () => clearTimeout(timer);
          },
          log: quiet,
          isLeader: () => false,
          // As NOTIFY does in `serve`: the leader queues what the follower names.
          onFollowerEnqueue: (key) => {
            told.push(key);
            void reconciler.enqueue(key, { urgent: true });
          },
        });
        const api = new ControlPlaneService({
          store,
          runtime: spy,
          reconciler: follower,
          secrets,
          adapterById,
          routing: { domain: "example.com" },
          portRange: { from: 21000, to: 21999 },
          isPortFree: () => Promise.resolve(true),
          newToken: () => crypto.randomUUID(),
          usage: () => undefined,
          background: () => {},
        });
        await api.createTenant("gone");
        await assert.rejects(
          api.createPod("gone", { name: "typo", adapter: "generic", image: "nosuch:1" }),
          (error: Error) =>
            error instanceof ValidationError && /cannot be pulled/.test(error.message),
        );
        await api.createPod("gone", { name: "one", adapter: "generic", image: FIXTURE });
        await env.settle();
        assert.ok(runtime.hasNetwork("agentpod-t-gone"), "the leader made the tenant network");
        calls.length = 0;
        const deleting = api.deleteTenant("gone", true);
        const settling = (async () => {
          for (let i = 0; i < 50 && told.every((k) => k !== "tenant:gone"); i++) await env.settle();
        })();
        assert.deepEqual(await deleting, { deleted: "gone", pods: 1 });
        await settling;
        await env.settle();
        assert.ok(told.includes("tenant:gone"), told.join());
        assert.equal(runtime.hasNetwork("agentpod-t-gone"), false, "the leader removed it");
        const mutating = calls.filter((c) =>
          !["listPodContainers", "inspectPodContainer", "checkImage", "listTenantNetworks"]
            .includes(c)
        );
        assert.deepEqual(mutating, [], "the follower changed nothing on the engine");
        follower.stop();
      },
    );
  } finally {
    await env.close();
  }
});
