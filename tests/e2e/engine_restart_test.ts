/**
 * The Docker Engine restarted under a running control plane: dockerd stops every
 * container on its way down (a `die` each), the socket disappears, and on start it brings
 * `unless-stopped` containers back itself. The control plane must ride it out: no pod in
 * a long backoff or failed afterwards, the event stream back within a second or two, and
 * a container killed right after the restart running again within 2 s.
 * Restarts the machine's dockerd (the one tests/env/docker.sh started, or systemd's).
 * @module
 */
import assert from "node:assert/strict";
import {
  createFixturePods,
  dockerCli,
  waitFor,
  waitForRunningPods,
  withPlane,
} from "./_harness.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function sh(script: string): Promise<{ code: number; out: string }> {
  const result = await new Deno.Command("bash", { args: ["-c", script], stderr: "piped" })
    .output();
  return { code: result.code, out: new TextDecoder().decode(result.stderr) };
}

/** Stops dockerd cleanly and starts it again the way the test environment does. */
async function restartEngine(): Promise<void> {
  const systemd = await sh("systemctl is-active --quiet docker 2>/dev/null");
  if (systemd.code === 0) {
    assert.equal((await sh("systemctl restart docker")).code, 0);
    return;
  }
  const stopped = await sh(
    "pkill -TERM -x dockerd && for i in $(seq 1 120); do pgrep -x dockerd >/dev/null || exit 0; sleep 0.5; done; exit 1",
  );
  assert.equal(stopped.code, 0, "dockerd stopped");
  const started = await sh(`bash ${ROOT}tests/env/docker.sh`);
  assert.equal(started.code, 0, started.out);
}

Deno.test("Docker Engine restarted under a running control plane: pods back, healing at once", async () => {
  const root = await sh("id -u | grep -qx 0");
  if (root.code !== 0) {
    throw new Error("this test restarts dockerd and needs root (as CI runs it)");
  }
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    await createFixturePods(plane, "acme", ["one", "two", "three"]);
    await waitForRunningPods(plane, 3);

    await restartEngine();
    await waitForRunningPods(plane, 3, { timeoutMs: 60_000 });
    const pods = await plane.json<{ pod: string; status: string; lastError: string | null }[]>(
      "pod",
      "list",
    );
    assert.ok(pods.every((p) => p.status === "running"), JSON.stringify(pods));

    // The status may still be the one written before the engine went down: the container
    // itself must run again before it can be killed (on a busy engine that takes a while).
    await waitFor(
      "agentpod-acme-two running on the engine",
      async () => {
        const out = await dockerCli("inspect", "-f", "{{.State.Status}}", "agentpod-acme-two");
        return out.stdout.trim() === "running";
      },
      60_000,
      100,
    );
    // Right after: the event stream must be back, not the 30 s timer.
    const killedAt = Date.now();
    assert.equal((await dockerCli("kill", "agentpod-acme-two")).code, 0);
    await waitFor(
      "the killed container to run again",
      async () => {
        const out = await dockerCli("inspect", "-f", "{{.State.Status}}", "agentpod-acme-two");
        return out.stdout.trim() === "running";
      },
      10_000,
      50,
    );
    const backInMs = Date.now() - killedAt;
    console.log(`killed after an engine restart → running in ${backInMs} ms`);
    assert.ok(backInMs < 2_000, `back in ${backInMs} ms`);
    const log = plane.log;
    assert.doesNotMatch(log, /"msg":"pod failed"/);
  });
});
