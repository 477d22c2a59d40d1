/**
 * Generic pods run as a non-root user that owns their volume: the agent writes its
 * state in /data, the container's user is 65532:65532, its swap equals its memory
 * limit; `user: "root"` is honoured when a config asks for it.
 * @module
 */
import assert from "node:assert/strict";
import { createFixturePods, dockerCli, waitForRunningPods, withPlane } from "./_harness.ts";

Deno.test("a generic pod runs as non-root and writes its own /data", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "nr")).code, 0);
    const command = [
      "/bin/sh",
      "-c",
      "echo kept > /data/state && exec /bin/httpd -f -p 8080 -h /www",
    ];
    await createFixturePods(plane, "nr", ["plain"], () => ({ command }));
    await createFixturePods(plane, "nr", ["asroot"], () => ({ command, user: "root" }));
    await waitForRunningPods(plane, 2, { health: true });
    const user = async (name: string) =>
      (await dockerCli("inspect", name, "--format", "{{.Config.User}}")).stdout.trim();
    assert.equal(await user("agentpod-nr-plain"), "65532:65532");
    assert.equal(await user("agentpod-nr-asroot"), "0:0");
    const state = await dockerCli("exec", "agentpod-nr-plain", "cat", "/data/state");
    assert.equal(state.stdout.trim(), "kept", state.stderr);
    const owner = await dockerCli("exec", "agentpod-nr-plain", "ls", "-ldn", "/data");
    assert.match(owner.stdout, /^d\S+\s+\d+\s+65532\s+65532\s/, owner.stderr);
    const limits = await dockerCli(
      "inspect",
      "agentpod-nr-plain",
      "--format",
      "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}",
    );
    const [memory, swap] = limits.stdout.trim().split(" ");
    assert.ok(Number(memory) > 0);
    assert.equal(swap, memory, "no swap beyond the memory limit");
  });
});
