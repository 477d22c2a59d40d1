/**
 * Loop 5 of PRODUCT.md with the real OpenClaw image: three tenants with one pod each,
 * one container killed, `agentpod health` shows it recovered, and `agentpod events
 * --tail 10` tells the story: created ×3, crashed ×1, restarted ×1.
 * @module
 */
import assert from "node:assert/strict";
import { dockerCli, waitFor, withPlane } from "./_harness.ts";

const TENANTS = ["north", "south", "west"];

Deno.test("loop 5: three tenants, one crash, health shows the recovery, events tell it", async () => {
  await withPlane({}, async (plane) => {
    for (const tenant of TENANTS) {
      assert.equal((await plane.cli("tenant", "create", tenant)).code, 0);
    }
    for (const tenant of TENANTS) {
      const created = await plane.cli("pod", "create", `${tenant}/agent`, "--type", "openclaw");
      assert.equal(created.code, 0, created.stderr);
    }
    const allHealthy = () =>
      waitFor(
        "three healthy pods",
        async () => {
          const reports = await plane.json<{ pod: string; health: string }[]>("health");
          return reports.length === 3 && reports.every((r) => r.health === "ok")
            ? reports
            : undefined;
        },
        180_000,
        1000,
      );
    await allHealthy();

    assert.equal((await dockerCli("kill", "agentpod-south-agent")).code, 0);
    await waitFor("south/agent to crash and come back", async () => {
      const pod = await plane.json<{ restarts: number }>("pod", "status", "south/agent");
      return pod.restarts >= 1;
    }, 30_000);
    const reports = await allHealthy();
    assert.deepEqual(reports.map((r) => r.pod).sort(), TENANTS.map((t) => `${t}/agent`));

    const table = await plane.cli("health");
    assert.equal(table.code, 0);
    assert.match(table.stdout, /south\/agent\s+ok/);

    const events = await plane.json<{ pod: string; reason: string }[]>("events", "--tail", "10");
    const count = (reason: string) => events.filter((e) => e.reason === reason).length;
    const summary = events.map((e) => `${e.pod}:${e.reason}`).join(", ");
    assert.equal(count("Created"), 3, summary);
    assert.equal(count("Crashed"), 1, summary);
    assert.equal(count("Restarted"), 1, summary);
    assert.ok(events.some((e) => e.pod === "south/agent" && e.reason === "Crashed"), summary);

    const text = await plane.cli("events", "--tail", "10");
    assert.equal(text.code, 0);
    assert.match(text.stdout, /south\/agent\s+Warning\s+Crashed/);
  });
});
