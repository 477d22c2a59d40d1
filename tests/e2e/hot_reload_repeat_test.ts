/**
 * Repeated `config set` on a running OpenClaw pod: every hot-reloadable change reaches the
 * gateway (its log says it applied each one), not only the first. The gateway watches
 * `openclaw.json`; written through the engine's archive API the file was replaced under
 * the watcher, which then missed every later change (the second already); written from
 * inside the container by the gateway's user (temporary file, rename) each one lands.
 * @module
 */
import assert from "node:assert/strict";
import { dockerCli, waitFor, withPlane } from "./_harness.ts";

const POD = "hr/aria";
const CONTAINER = "agentpod-hr-aria";

async function reloads(): Promise<number> {
  const out = await dockerCli("logs", CONTAINER);
  return (`${out.stdout}\n${out.stderr}`.match(/config hot reload applied/g) ?? []).length;
}

Deno.test("config set six times: the gateway hot-reloads every change", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "hr")).code, 0);
    const created = await plane.cli("pod", "create", POD, "--type", "openclaw");
    assert.equal(created.code, 0, created.stderr);
    await waitFor(
      "the pod healthy",
      async () => {
        const s = await plane.json<{ health: string | null }>("pod", "status", POD);
        return s.health === "ok";
      },
      180_000,
      500,
    );
    const id = (await dockerCli("inspect", "-f", "{{.Id}}", CONTAINER)).stdout.trim();
    for (let i = 1; i <= 6; i++) {
      const before = await reloads();
      const set = await plane.cli(
        "config",
        "set",
        POD,
        "--key",
        "agentName",
        "--value",
        `Aria ${i}`,
      );
      assert.equal(set.code, 0, set.stderr);
      const file = await dockerCli("exec", CONTAINER, "cat", "/home/node/.openclaw/openclaw.json");
      assert.match(file.stdout, new RegExp(`"name": "Aria ${i}"`), "the file was written");
      // Before the fix the second write was never seen: the watcher had lost the file.
      await waitFor(`hot reload ${i} applied`, async () => (await reloads()) > before, 20_000, 250);
    }
    assert.equal((await dockerCli("inspect", "-f", "{{.Id}}", CONTAINER)).stdout.trim(), id);
  });
});
