/**
 * A control-plane crash never stops agents: SIGKILL the server while pods run, check
 * the containers keep running, restart it and check it converges with no duplicate
 * and no orphan containers. Uses the fixture image (busybox httpd) for speed.
 * @module
 */
import assert from "node:assert/strict";
import { createFixturePods, waitForRunningPods, withPlane } from "./_harness.ts";

Deno.test("a SIGKILLed control plane leaves pods running and converges after restart", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    await createFixturePods(plane, "acme", ["one", "two", "three"]);
    await waitForRunningPods(plane, 3);
    const instance = await plane.instance();
    const before = (await plane.resources(instance)).containers.map((c) => c.Id).sort();
    assert.equal(before.length, 3);

    await plane.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 2000));
    const during = await plane.resources(instance);
    assert.deepEqual(during.containers.map((c) => c.State), ["running", "running", "running"]);

    await plane.restart();
    await waitForRunningPods(plane, 3);
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
