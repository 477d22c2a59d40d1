/**
 * The controller under pressure, on the real engine: 50 pods with 10 killed at once while
 * creates and deletes are in flight; two control planes on one PostgreSQL (the follower
 * never acts, the leader's death hands over); the control plane SIGKILLed at random
 * moments of create, recreate and delete. Each ends converged: one container per running
 * pod, none for deleted ones, no error on a healthy pod. Busybox fixture pods.
 * @module
 */
import assert from "node:assert/strict";
import { createDockerClient } from "../../providers/docker/mod.ts";
import { FIXTURE_IMAGE, Plane, waitFor, withPlane, withTestDatabase } from "./_harness.ts";

interface PodJson {
  pod: string;
  name: string;
  status: string;
  health: string | null;
  lastError: string | null;
}

const createPod = (plane: Plane, tenant: string, name: string, config: unknown = {}) =>
  plane.api("POST", `/tenants/${tenant}/pods`, {
    name,
    adapter: "generic",
    image: FIXTURE_IMAGE,
    config,
  });

/** Checks that every pod has exactly one running container and nothing else is left. */
async function assertConverged(plane: Plane, expectRunning: string[]): Promise<void> {
  const containers = (await plane.resources()).containers;
  const byName = new Map<string, number>();
  for (const c of containers) {
    const name = c.Names[0]!.replace(/^\//, "");
    byName.set(name, (byName.get(name) ?? 0) + 1);
  }
  const expected = expectRunning.map((p) => `agentpod-${p.replace("/", "-")}`).sort();
  assert.deepEqual([...byName.keys()].sort(), expected, "one container per pod, no orphan");
  assert.ok([...byName.values()].every((n) => n === 1), "no duplicate");
  assert.ok(containers.every((c) => c.State === "running"), "all running");
}

Deno.test("50 pods: 10 killed at once while 10 creates and 5 deletes are in flight", async () => {
  await withPlane({}, async (plane) => {
    await plane.api("POST", "/tenants", { id: "load" });
    const names = Array.from({ length: 50 }, (_, i) => `p${String(i).padStart(2, "0")}`);
    for (let i = 0; i < names.length; i += 10) {
      await Promise.all(names.slice(i, i + 10).map((n) => createPod(plane, "load", n)));
    }
    await waitFor(
      "50 running pods",
      async () => {
        const pods = await plane.api<PodJson[]>("GET", "/pods");
        return pods.length === 50 && pods.every((p) => p.status === "running");
      },
      180_000,
      500,
    );

    using docker = createDockerClient();
    const victims = names.slice(0, 10);
    const doomed = names.slice(40, 45);
    const fresh = Array.from({ length: 10 }, (_, i) => `n${i}`);
    await Promise.all([
      ...victims.map((n) => docker.containers.kill(`agentpod-load-${n}`)),
      ...fresh.map((n) => createPod(plane, "load", n)),
      ...doomed.map((n) => plane.api("DELETE", `/tenants/load/pods/${n}`)),
    ]);
    const running = [...names.filter((n) => !doomed.includes(n)), ...fresh];
    // Until a pod's reconcile comes round, its status may still say running: wait on the
    // engine as well as on the API.
    await waitFor(
      "55 running pods and containers, 5 gone",
      async () => {
        const pods = await plane.api<PodJson[]>("GET", "/pods");
        const containers = (await plane.resources()).containers;
        return pods.length === 55 && pods.every((p) => p.status === "running") &&
          containers.length === 55 && containers.every((c) => c.State === "running");
      },
      180_000,
      500,
    );
    await assertConverged(plane, running.map((n) => `load/${n}`));
    await waitFor(
      "every pod healthy",
      async () => {
        const pods = await plane.api<PodJson[]>("GET", "/pods");
        return pods.every((p) => p.health === "ok");
      },
      120_000,
      1_000,
    );
    const pods = await plane.api<PodJson[]>("GET", "/pods");
    assert.deepEqual(pods.filter((p) => p.lastError !== null).map((p) => p.pod), []);
    const plan = await plane.api<{ actions: unknown[] }>("POST", "/reconcile?dryRun=true");
    assert.deepEqual(plan.actions, []);
  });
});

Deno.test("two control planes on one PostgreSQL: the follower never acts; the leader's death hands over", async () => {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  await withTestDatabase(async (url) => {
    await withPlane({ DATABASE_URL: url, AGENTPOD_SECRET_KEY: key }, async (leader) => {
      const follower = await Plane.start({
        DATABASE_URL: url,
        AGENTPOD_SECRET_KEY: key,
        AGENTPOD_TOKEN: await leader.token(),
      });
      using docker = createDockerClient();
      try {
        await leader.api("POST", "/tenants", { id: "ha" });
        // A write through the follower reaches the leader at once (NOTIFY), not in 30 s.
        const t0 = Date.now();
        await createPod(follower, "ha", "web");
        await waitFor(
          "the pod created through the follower to run",
          async () => {
            const pod = await follower.api<PodJson>("GET", "/tenants/ha/pods/web");
            return pod.status === "running";
          },
          20_000,
          100,
        );
        console.log(`create via the follower → running in ${Date.now() - t0} ms`);

        // The leader frozen (lease still held): the follower must not touch the engine.
        const since = (Date.now() / 1000).toFixed(3);
        Deno.kill(leader.pid!, "SIGSTOP");
        try {
          await docker.containers.kill("agentpod-ha-web");
          await new Promise((resolve) => setTimeout(resolve, 6_000));
          const inspect = await docker.containers.inspect("agentpod-ha-web");
          assert.equal(inspect.State.Status, "exited", "nobody but the leader may start it");
          const events = [];
          for await (
            const event of docker.events.stream({
              since,
              until: (Date.now() / 1000).toFixed(3),
              filters: { container: ["agentpod-ha-web"] },
            })
          ) events.push(event.Action);
          assert.deepEqual(events, ["kill", "die"], "only the test's own kill");
        } finally {
          Deno.kill(leader.pid!, "SIGCONT");
        }
        await waitFor(
          "the thawed leader to heal it",
          async () => {
            return (await docker.containers.inspect("agentpod-ha-web")).State.Status === "running";
          },
          20_000,
          100,
        );

        // A tenant deleted through the follower: the leader removes its pod and network.
        await follower.api("POST", "/tenants", { id: "gone" });
        await createPod(follower, "gone", "one");
        await waitFor(
          "the follower's second pod to run",
          async () => {
            const pod = await follower.api<PodJson>("GET", "/tenants/gone/pods/one");
            return pod.status === "running";
          },
          20_000,
          100,
        );
        assert.deepEqual(await follower.api("DELETE", "/tenants/gone?force=true"), {
          deleted: "gone",
          pods: 1,
        });
        await waitFor(
          "the leader to remove the tenant's network",
          async () => {
            const named = await docker.networks.list({ filters: { name: ["agentpod-t-gone"] } });
            return named.every((n) => n.Name !== "agentpod-t-gone");
          },
          10_000,
          100,
        );
        await assert.rejects(docker.containers.inspect("agentpod-gone-one"));

        // The leader dies: the follower takes over within 10 s and heals a kill.
        await leader.kill("SIGKILL");
        const died = Date.now();
        await waitFor(
          "the follower to lead",
          async () => {
            const doctor = await follower.api<{ checks: { name: string; ok: boolean }[] }>(
              "GET",
              "/doctor",
            ).catch(() => undefined);
            return doctor?.checks.find((c) => c.name === "reconciler")?.ok === true;
          },
          10_000,
          100,
        );
        console.log(`leader SIGKILLed → follower leads in ${Date.now() - died} ms`);
        await docker.containers.kill("agentpod-ha-web");
        await waitFor(
          "the new leader to heal a kill",
          async () => {
            return (await docker.containers.inspect("agentpod-ha-web")).State.Status === "running";
          },
          10_000,
          100,
        );
      } finally {
        await follower.destroy();
      }
    });
  });
});

Deno.test("SIGKILL of the control plane at random moments of create, recreate and delete converges", async () => {
  await withPlane({}, async (plane) => {
    await plane.api("POST", "/tenants", { id: "chaos" });
    const alive = new Set<string>();
    let serial = 0;
    const rounds = 20;
    for (let round = 0; round < rounds; round++) {
      const op = round % 3;
      const work: Promise<unknown>[] = [];
      if (op === 0 || alive.size === 0) {
        const name = `c${serial++}`;
        alive.add(name);
        work.push(createPod(plane, "chaos", name));
      } else if (op === 1) {
        const name = [...alive][round % alive.size]!;
        work.push(plane.api("PATCH", `/tenants/chaos/pods/${name}/config`, {
          set: [{ path: "env", value: { ROUND: String(round) } }],
        }));
      } else {
        const name = [...alive][0]!;
        alive.delete(name);
        work.push(plane.api("DELETE", `/tenants/chaos/pods/${name}`));
      }
      // The request reaches the store, then the process dies somewhere in what follows.
      await Promise.allSettled(work);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 400)));
      await plane.kill("SIGKILL");
      await plane.restart();
    }
    const expected = [...alive].map((n) => `chaos/${n}`);
    await waitFor(
      "convergence after the last restart",
      async () => {
        const pods = await plane.api<PodJson[]>("GET", "/pods");
        const containers = (await plane.resources()).containers;
        return pods.length === alive.size && pods.every((p) => p.status === "running") &&
          containers.length === alive.size;
      },
      120_000,
      500,
    );
    await assertConverged(plane, expected);
    const plan = await plane.api<{ actions: unknown[] }>("POST", "/reconcile?dryRun=true");
    assert.deepEqual(plan.actions, []);
  });
});
