/**
 * Adoption on a real store (PGlite) with the in-memory runtime (contract-tested against
 * Docker, adopted containers included): a gateway made by hand is adopted as it runs
 * (never created, recreated or written to), healed by starting the same container,
 * adopted again as a no-op, refused when its verdict forbids it, held (never replaced
 * by an empty one) when its container is removed, and released with the container left
 * as it is and never taken for an orphan.
 * @module
 */
import assert from "node:assert/strict";
import { adapterById } from "../../adapters/mod.ts";
import { AdoptedContainers } from "../../core/adopted.ts";
import { ConflictError, ValidationError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { EngineContainer } from "../../core/migration.ts";
import { MigrationService } from "../../core/migration_service.ts";
import { Reconciler } from "../../core/reconciler.ts";
import { ControlPlaneService } from "../../core/service.ts";
import { createSecretBox } from "../../providers/secrets.ts";
import { openDatabase } from "../../providers/store/mod.ts";
import { createStore } from "../../providers/store/store.ts";
import { MemoryRuntime } from "../fakes/memory_runtime.ts";

const quiet: Logger = { info() {}, warn() {}, error() {} };
const IMAGE = "ghcr.io/openclaw/openclaw:2026.9.6";

/** A gateway as OpenClaw's Docker guide starts it. */
function handMade(
  name: string,
  port: number,
  over: Partial<EngineContainer> = {},
): EngineContainer {
  const id = crypto.randomUUID().replaceAll("-", "").repeat(2);
  return {
    id,
    name,
    image: IMAGE,
    imageId: `sha256:${id}`,
    state: "running",
    pid: 1,
    startedAt: new Date().toISOString(),
    restartCount: 0,
    command: ["node", "openclaw.mjs", "gateway", "--bind", "lan", "--port", "18789"],
    env: { OPENCLAW_GATEWAY_TOKEN: `token-of-${name}-0123456789` },
    labels: {},
    exposedPorts: ["18789/tcp"],
    published: [{ containerPort: 18789, hostIp: "127.0.0.1", hostPort: port }],
    hostname: id.slice(0, 12),
    networks: ["bridge"],
    restartPolicy: "unless-stopped",
    autoRemove: false,
    memoryBytes: 0,
    nanoCpus: 0,
    pidsLimit: null,
    mounts: [{
      type: "volume",
      name: `${name}-state`,
      source: `/var/lib/docker/volumes/${name}-state/_data`,
      destination: "/home/node/.openclaw",
      rw: true,
    }],
    ...over,
  };
}

Deno.test("adopted gateways: kept as they run, healed in place, released untouched", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "agentpod-migration-" });
  const db = await openDatabase({ dataDir: dir });
  try {
    const store = createStore(db);
    const adopted = new AdoptedContainers();
    const runtime = new MemoryRuntime({ images: [IMAGE], adopted });
    const secrets = await createSecretBox(new Uint8Array(32).fill(3));
    const pending: Promise<unknown>[] = [];
    const reconciler = new Reconciler({
      store,
      runtime,
      adapterById,
      secrets,
      routing: { domain: "example.com" },
      now: Date.now,
      schedule: (fn, ms) => {
        const timer = setTimeout(fn, ms);
        return () => clearTimeout(timer);
      },
      log: quiet,
      adopted,
    }, { orphanGraceMs: 0 });
    const service = new ControlPlaneService({
      store,
      runtime,
      reconciler,
      secrets,
      adapterById,
      routing: { domain: "example.com" },
      portRange: { from: 24000, to: 24999 },
      isPortFree: () => Promise.resolve(true),
      newToken: () => crypto.randomUUID(),
      usage: () => undefined,
      background: (work) => void pending.push(work),
    });
    const probed: string[] = [];
    const migration = new MigrationService({
      runtime,
      instance: "memory",
      service,
      store,
      adopted,
      adoptedIds: async () =>
        new Set((await store.pods.listStates()).flatMap((s) => s.adoptedContainerId ?? [])),
      probe: (baseUrl) => {
        probed.push(baseUrl);
        return Promise.resolve({ healthy: true, message: "hello-ok" });
      },
    });
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        while (pending.length) await pending.shift();
        await reconciler.idle();
      }
    };
    const guide = handMade("guide", 18789);
    runtime.addForeign(guide);
    runtime.addForeign(handMade("ephemeral", 18790, { autoRemove: true }));
    runtime.resetCalls();

    await t.step(
      "adopt --all takes the adoptable one as it runs: nothing created or written",
      async () => {
        const outcomes = await migration.adopt({ all: true, tenant: "acme" });
        assert.deepEqual(outcomes.map((o) => [o.container, o.pod, o.result]), [
          ["guide", "acme/gateway", "adopted"],
        ]);
        assert.deepEqual(probed.sort(), ["http://127.0.0.1:18789", "http://127.0.0.1:18790"]);
        await settle();
        const pod = await store.pods.get("acme", "gateway");
        assert.equal(pod.status.phase, "running");
        assert.equal(pod.status.containerId, guide.id);
        assert.equal(pod.hostPort, 18789, "its own port, outside the range");
        assert.equal(pod.adoption?.active, true);
        assert.equal(await reconciler.reconcileAll({ dryRun: true }).then((p) => p.length), 0);
        for (
          const call of ["createPodContainer", "writeFiles", "stop", "remove", "rename"] as const
        ) {
          assert.equal(runtime.calls[call], 0, `${call} was called`);
        }
      },
    );

    await t.step(
      "a crash of the adopted container is healed by starting the same one",
      async () => {
        runtime.kill(guide.id);
        // No event stream runs here: the reconcile the kill's event would queue.
        await reconciler.reconcilePod((await store.pods.get("acme", "gateway")).id);
        await settle();
        const seen = await runtime.inspectPodContainer(guide.id);
        assert.equal(seen?.state, "running");
        assert.equal(runtime.calls.createPodContainer, 0);
      },
    );

    await t.step(
      "adopting again is a no-op; a forbidden verdict is refused with its reason",
      async () => {
        const again = await migration.adopt({ containers: ["guide"] });
        assert.deepEqual(again.map((o) => o.result), ["already"]);
        await assert.rejects(
          migration.adopt({ containers: ["ephemeral"] }),
          (error: Error) => error instanceof ValidationError && /auto-remove/.test(error.message),
        );
        assert.equal((await store.pods.list()).length, 1);
      },
    );

    await t.step(
      "an adopted container removed by hand is held, never replaced by an empty one",
      async () => {
        const other = handMade("other", 18791);
        runtime.addForeign(other);
        await migration.adopt({ containers: ["other"], tenant: "acme", pod: "other" });
        await settle();
        await runtime.remove(other.id);
        await reconciler.reconcilePod((await store.pods.get("acme", "other")).id).catch(() => {});
        await settle();
        const pod = await store.pods.get("acme", "other");
        assert.match(pod.status.lastError ?? "", /adopted container .* is gone/);
        assert.equal(runtime.calls.createPodContainer, 0, "no new, empty container");
      },
    );

    await t.step("live steps: restart policy, limits, network and name, the same run", async () => {
      const bare = handMade("bare", 18793, { restartPolicy: "no" });
      runtime.addForeign(bare);
      const before = await runtime.listEngineContainers().then((l) =>
        l.find((c) => c.id === bare.id)
      );
      const [outcome] = await migration.adopt({
        containers: ["bare"],
        tenant: "acme",
        pod: "bare",
        restartPolicy: true,
        limits: true,
        connectNetwork: true,
        rename: true,
      });
      assert.match(
        outcome!.message,
        /restart policy unless-stopped; limits 1024 MB, 1 CPU, 512 pids/,
      );
      assert.match(outcome!.message, /joined agentpod-t-acme/);
      assert.match(outcome!.message, /renamed agentpod-acme-bare/);
      const after = (await runtime.listEngineContainers()).find((c) => c.id === bare.id)!;
      assert.deepEqual(
        [after.name, after.restartPolicy, after.memoryBytes, after.pidsLimit],
        ["agentpod-acme-bare", "unless-stopped", 1024 * 1024 * 1024, 512],
      );
      assert.ok(after.networks.includes("agentpod-t-acme"));
      assert.deepEqual([after.startedAt, after.restartCount], [before!.startedAt, 0], "same run");
      const pod = await store.pods.get("acme", "bare");
      assert.equal(pod.adoption?.containerName, "agentpod-acme-bare");
    });

    await t.step(
      "a container named like ours but not ours: reported, and pod create explains",
      async () => {
        const lookalike = handMade("agentpod-acme-clash", 18792);
        runtime.addForeign(lookalike);
        const found = (await migration.discover()).find((g) => g.id === lookalike.id);
        assert.match(found?.warnings.join() ?? "", /Named like an AgentPod container/);
        await assert.rejects(
          service.createPod("acme", { name: "clash", adapter: "generic", image: IMAGE }),
          (error: Error) =>
            error instanceof ConflictError &&
            /"agentpod-acme-clash" .* this AgentPod did not make it: .*migrate adopt/.test(
              error.message,
            ),
        );
        assert.equal((await store.pods.list()).some((p) => p.name === "clash"), false);
      },
    );

    await t.step(
      "config of an adopted pod is refused with the way out; delete removes its container",
      async () => {
        await assert.rejects(
          service.updateConfig("acme", "bare", { set: [{ path: "agentName", value: "x" }] }),
          (error: Error) => error instanceof ConflictError && /Upgrade it/.test(error.message),
        );
        const pod = await store.pods.get("acme", "bare");
        const id = pod.adoption!.containerId;
        await service.deletePod("acme", "bare");
        await settle();
        assert.equal(await store.pods.getById(pod.id), undefined);
        assert.equal(await runtime.containerNamed("agentpod-acme-bare"), undefined, "removed");
        assert.equal((await runtime.listEngineContainers()).some((c) => c.id === id), false);
      },
    );

    await t.step(
      "release waits for an upgrade that holds the pod; refused, nothing forgotten",
      async () => {
        const pod = await store.pods.get("acme", "gateway");
        const operation = crypto.randomUUID();
        assert.ok(await store.pods.lease(pod.id, operation));
        await assert.rejects(
          migration.release("acme", "gateway"),
          (error: Error) =>
            error instanceof ConflictError && /upgrade is under way/.test(error.message),
        );
        assert.ok(await store.pods.getById(pod.id), "still there");
        await store.pods.release(pod.id, operation);
      },
    );

    await t.step(
      "an adopted gateway's own config survives its pod's config changes once moved",
      async () => {
        const owned = handMade("owned", 18794);
        runtime.addForeign(owned, {
          "/home/node/.openclaw/openclaw.json":
            '{ gateway: { mode: "local" }, channels: { telegram: { enabled: true } } }',
        });
        await migration.adopt({ containers: ["owned"], tenant: "acme", pod: "owned" });
        const adopted = await store.pods.get("acme", "owned");
        // As an upgrade leaves it: on a container AgentPod made.
        await store.pods.setImage(adopted.id, {
          image: adopted.spec.image,
          imageId: null, // the fake's hand-made container names no image it has
          volumeEpoch: 1,
          adoptedContainerId: null,
        });
        await service.updateConfig("acme", "owned", {
          set: [{ path: "agentName", value: "Kept" }],
        });
        const sealed = await secrets.open<{ imported?: { channels?: unknown } }>(
          (await store.pods.get("acme", "owned")).secrets!,
        );
        assert.deepEqual(sealed.imported?.channels, { telegram: { enabled: true } });
      },
    );

    await t.step("release forgets the pod; the container runs on, never an orphan", async () => {
      const pod = await store.pods.get("acme", "gateway");
      runtime.resetCalls();
      await migration.release("acme", "gateway");
      await settle();
      await reconciler.reconcileAll({ wait: true });
      await settle();
      assert.equal(await store.pods.getById(pod.id), undefined);
      const seen = (await runtime.listEngineContainers()).find((c) => c.id === guide.id);
      assert.equal(seen?.state, "running", "left as it was");
      assert.equal(runtime.calls.remove, 0, "nothing removed");
      assert.equal((await runtime.listPodContainers()).some((c) => c.id === guide.id), false);
      await assert.rejects(migration.release("acme", "gateway"));
    });
    reconciler.stop();
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
