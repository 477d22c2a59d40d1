/**
 * Loop 1 of PRODUCT.md with the real OpenClaw image: doctor → tenant create → pod
 * create → running and healthy (the WebSocket handshake) → `docker kill` → healthy
 * again with no command → pod delete → tenant delete: container, volume and network
 * gone, and the events tell the story.
 * @module
 */
import assert from "node:assert/strict";
import { dockerCli, waitFor, withPlane } from "./_harness.ts";

interface PodJson {
  pod: string;
  status: string;
  health: string | null;
  restarts: number;
  conditions: { type: string; status: string; message: string }[];
}

Deno.test("loop 1: an OpenClaw pod is created, heals itself after docker kill, and is deleted", async () => {
  await withPlane({}, async (plane) => {
    const doctor = await plane.cli("doctor");
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    assert.match(doctor.stdout, /docker/);

    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    const created = await plane.cli("pod", "create", "acme/agent", "--type", "openclaw");
    assert.equal(created.code, 0, created.stderr);

    // `restarts` tells a healthy pod after the kill from the status written before it:
    // the container runs again a moment before the reconciler records the crash.
    const healthy = (restarts: number) =>
      waitFor(
        `acme/agent running and healthy, ${restarts}+ restarts`,
        async () => {
          const pod = await plane.json<PodJson>("pod", "status", "acme/agent");
          return pod.status === "running" && pod.health === "ok" && pod.restarts >= restarts
            ? pod
            : undefined;
        },
        120_000,
        500,
      );
    const first = await healthy(0);
    const condition = first.conditions.find((c) => c.type === "Healthy");
    // The OpenClaw probe says "ready" only after the WebSocket connect got hello-ok.
    assert.match(condition?.message ?? "", /^Gateway is ready \(OpenClaw .+, protocol \d+\)$/);

    const before = (await dockerCli("inspect", "-f", "{{.Id}}", "agentpod-acme-agent")).stdout
      .trim();
    const killed = await dockerCli("kill", "agentpod-acme-agent");
    assert.equal(killed.code, 0, killed.stderr);
    await waitFor(
      "the container to run again",
      async () =>
        (await dockerCli("inspect", "-f", "{{.State.Running}}", "agentpod-acme-agent")).stdout
          .trim() ===
          "true",
      30_000,
      100,
    );
    const healed = await healthy(1);
    assert.equal(healed.restarts, 1, "one kill, one restart counted");
    const after = (await dockerCli("inspect", "-f", "{{.Id}}", "agentpod-acme-agent")).stdout
      .trim();
    assert.equal(after, before, "the same container is restarted, not replaced");

    const instance = await plane.instance();
    const deleted = await plane.cli("pod", "delete", "acme/agent", "--yes");
    assert.equal(deleted.code, 0, deleted.stderr);
    await waitFor("the pod to be gone", async () => {
      const result = await plane.cli("pod", "status", "acme/agent");
      return result.code === 3;
    }, 30_000);
    const dropped = await plane.cli("tenant", "delete", "acme", "--yes");
    assert.equal(dropped.code, 0, dropped.stderr);

    const left = await plane.resources(instance);
    assert.deepEqual(left.containers.map((c) => c.Names), [], "containers left");
    assert.deepEqual(left.volumes.map((v) => v.Name), [], "volumes left");
    assert.deepEqual(left.networks.map((n) => n.Name), [], "networks left");
    assert.equal((await dockerCli("inspect", "agentpod-acme-agent")).code, 1);

    const events = await plane.json<{ pod: string | null; reason: string }[]>(
      "events",
      "--tail",
      "50",
    );
    const story = events.map((e) => e.reason);
    for (
      const reason of ["TenantCreated", "Created", "Started", "Crashed", "Restarted", "Deleted"]
    ) {
      assert.ok(story.includes(reason), `events lack ${reason}: ${story.join(", ")}`);
    }
    assert.ok(story.indexOf("Crashed") < story.lastIndexOf("Restarted"), story.join(", "));
  });
});
