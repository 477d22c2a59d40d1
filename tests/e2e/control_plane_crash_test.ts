/**
 * A control-plane crash never stops agents: SIGKILL the server while pods run, check
 * the containers keep running, restart it and check it converges with no duplicate
 * and no orphan containers. Uses the fixture image (busybox httpd) for speed.
 * @module
 */
import assert from "node:assert/strict";
import { waitFor, withPlane } from "./_harness.ts";

const FIXTURE = "agentpod-fixture:1";

Deno.test("a SIGKILLed control plane leaves pods running and converges after restart", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    for (const pod of ["one", "two", "three"]) {
      const created = await plane.cli(
        "pod",
        "create",
        `acme/${pod}`,
        "--type",
        "generic",
        "--image",
        FIXTURE,
      );
      assert.equal(created.code, 0, created.stderr);
    }
    await waitFor("three running pods", async () => {
      const pods = await plane.json<{ status: string; health: string }[]>("pod", "list");
      return pods.length === 3 && pods.every((p) => p.status === "running" && p.health === "ok");
    }, 60_000);
    const instance = await plane.instance();
    const before = (await plane.resources(instance)).containers.map((c) => c.Id).sort();
    assert.equal(before.length, 3);

    await plane.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 2000));
    const during = await plane.resources(instance);
    assert.deepEqual(during.containers.map((c) => c.State), ["running", "running", "running"]);

    await plane.restart();
    await waitFor("three healthy pods after the restart", async () => {
      const pods = await plane.json<{ status: string; health: string }[]>("pod", "list");
      return pods.length === 3 && pods.every((p) => p.status === "running" && p.health === "ok");
    }, 60_000);
    const plan = await plane.json<{ actions: unknown[] }>("reconcile", "--dry-run");
    assert.deepEqual(plan.actions, [], "converged: nothing left to do");
    const after = (await plane.resources(instance)).containers;
    assert.deepEqual(
      after.map((c) => c.Id).sort(),
      before,
      "the same three containers, no duplicate",
    );
    assert.ok(after.every((c) => c.State === "running"));
    const events = await plane.json<{ reason: string }[]>("events", "--tail", "50");
    assert.ok(!events.some((e) => e.reason === "Restarted" || e.reason === "Crashed"));
  });
});
