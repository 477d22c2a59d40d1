/**
 * `reconcile --dry-run` on a drifted host prints the plan and changes nothing;
 * `reconcile` then fixes it. The drift: a container removed by hand, one stopped by
 * hand, and an orphan carrying our labels. The server runs with AGENTPOD_RECONCILE=
 * manual so it does not heal the drift on its own before we look.
 * @module
 */
import assert from "node:assert/strict";
import {
  createFixturePods,
  dockerCli,
  FIXTURE_IMAGE as FIXTURE,
  waitForRunningPods,
  withPlane,
} from "./_harness.ts";

Deno.test("reconcile --dry-run shows the fix for a drifted host and reconcile applies it", async () => {
  let orphan = "";
  try {
    await withPlane({ AGENTPOD_RECONCILE: "manual", AGENTPOD_ORPHAN_GRACE: "0" }, async (plane) => {
      assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
      await createFixturePods(plane, "acme", ["gone", "halted", "fine"]);
      // Manual mode runs no health loop: running is all there is to wait for.
      await waitForRunningPods(plane, 3, { health: false });
      const instance = await plane.instance();
      assert.equal((await dockerCli("rm", "-f", "agentpod-acme-gone")).code, 0);
      assert.equal((await dockerCli("stop", "-t", "1", "agentpod-acme-halted")).code, 0);
      const made = await dockerCli(
        "create",
        "--name",
        `agentpod-orphan-${instance}`,
        "--label",
        "agentpod.managed=true",
        "--label",
        `agentpod.instance=${instance}`,
        "--label",
        "agentpod.pod=00000000-0000-4000-8000-000000000000",
        FIXTURE,
      );
      assert.equal(made.code, 0, made.stderr);
      orphan = made.stdout.trim();
      const snapshot = async () =>
        (await plane.resources(instance)).containers.map((c) => `${c.Names[0]}:${c.State}`).sort();
      const drifted = await snapshot();

      const dry = await plane.cli("reconcile", "--dry-run");
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /create\s+acme\/gone/);
      assert.match(dry.stdout, /start\s+acme\/halted/);
      assert.match(dry.stdout, new RegExp(`remove-orphan\\s+agentpod-orphan-${instance}`));
      assert.doesNotMatch(dry.stdout, /acme\/fine/);
      const plan = await plane.json<{ dryRun: boolean; actions: { kind: string }[] }>(
        "reconcile",
        "--dry-run",
      );
      assert.equal(plan.dryRun, true);
      assert.deepEqual(plan.actions.map((a) => a.kind).sort(), [
        "create",
        "remove-orphan",
        "start",
      ]);
      assert.deepEqual(await snapshot(), drifted, "a dry run changes nothing");

      const applied = await plane.cli("reconcile");
      assert.equal(applied.code, 0, applied.stderr);
      const fixed = await snapshot();
      assert.deepEqual(fixed, [
        "/agentpod-acme-fine:running",
        "/agentpod-acme-gone:running",
        "/agentpod-acme-halted:running",
      ]);
      const again = await plane.json<{ actions: unknown[] }>("reconcile", "--dry-run");
      assert.deepEqual(again.actions, []);
    });
  } finally {
    if (orphan) await dockerCli("rm", "-f", orphan);
  }
});
