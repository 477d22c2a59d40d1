/**
 * A real OpenClaw upgrade, 2026.9.5 → 2026.9.6 (both built locally by
 * deploy/openclaw/build-image.sh, see tests/env/images.sh): the pod keeps its token,
 * hostname, host port and route, a file in its workspace survives, `/readyz` and the
 * WebSocket `connect` → `hello-ok` work through Traefik afterwards, the engine pulls
 * nothing, and the way back (9.6 → 9.5) is refused without `--allow-downgrade`. Then the
 * rest of the tenant's fleet with `--all`: the second gateway moves (one down at a time,
 * its token kept, hello-ok through Traefik), the first, already on 9.6, is skipped.
 * @module
 */
import assert from "node:assert/strict";
import { createDockerClient } from "../../providers/docker/mod.ts";
import {
  dockerCli,
  downSampler,
  freePort,
  type Plane,
  pulledSince,
  waitPodHealthy,
  withPlane,
} from "./_harness.ts";
import { openClawThroughTraefik, startTraefik } from "./_traefik.ts";

const OLD = "agentpod/openclaw:2026.9.5";
const NEW = "agentpod/openclaw:2026.9.6";
const DOMAIN = "agents.test";
const HOST = `aria.oc.${DOMAIN}`;
const KEEP = "/home/node/.openclaw/workspace/keep.md";

async function gatewayToken(container: string): Promise<string> {
  const out = await dockerCli("exec", container, "cat", "/home/node/.openclaw/openclaw.json");
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout).gateway.auth.token;
}

function waitHealthy(plane: Plane, ref = "oc/aria"): Promise<void> {
  return waitPodHealthy(plane, ref);
}

Deno.test("a real OpenClaw upgrade 2026.9.5 → 2026.9.6 keeps token, host, port, route and data", async () => {
  using docker = createDockerClient();
  for (const image of [OLD, NEW]) {
    await docker.images.inspect(image).catch(() => {
      throw new Error(`${image} is not built: run tests/env/images.sh (it builds both)`);
    });
  }
  await withPlane({ AGENTPOD_DOMAIN: DOMAIN }, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "oc")).code, 0);
    const created = await plane.cli(
      "pod",
      "create",
      "oc/aria",
      "--type",
      "openclaw",
      "--image",
      OLD,
    );
    assert.equal(created.code, 0, created.stderr);
    // A second gateway, upgraded later with the rest of the tenant's fleet (`--all`).
    const second = await plane.cli(
      "pod",
      "create",
      "oc/bela",
      "--type",
      "openclaw",
      "--image",
      OLD,
    );
    assert.equal(second.code, 0, second.stderr);
    const web = freePort();
    const traefik = await startTraefik(plane, {
      web,
      websecure: freePort(),
      pollSeconds: 1,
      trustedIps: "127.0.0.1/32,::1/128",
    });
    try {
      await waitHealthy(plane);
      const before = await docker.containers.inspect("agentpod-oc-aria");
      const token = await gatewayToken("agentpod-oc-aria");
      const written = await dockerCli(
        "exec",
        "agentpod-oc-aria",
        "sh",
        "-c",
        `mkdir -p /home/node/.openclaw/workspace && echo keep > ${KEEP}`,
      );
      assert.equal(written.code, 0, written.stderr);
      const since = (Date.now() / 1000).toFixed(3);

      const t0 = Date.now();
      const out = await plane.cli(
        "pod",
        "upgrade",
        "oc/aria",
        "--image",
        NEW,
        "--min-ready",
        "5s",
        "--format",
        "json",
      );
      assert.equal(out.code, 0, `${out.stderr}\n${plane.log.slice(-3000)}`);
      const rollout = JSON.parse(out.stdout);
      console.log(
        `OpenClaw 2026.9.5 → 2026.9.6: ${rollout.items[0].message}; command ${Date.now() - t0} ms`,
      );

      const after = await docker.containers.inspect("agentpod-oc-aria");
      assert.notEqual(after.Id, before.Id);
      assert.equal(after.Config.Hostname, before.Config.Hostname, "same hostname");
      assert.deepEqual(after.HostConfig.PortBindings, before.HostConfig.PortBindings, "same port");
      assert.equal(await gatewayToken("agentpod-oc-aria"), token, "same token");
      const kept = await dockerCli("exec", "agentpod-oc-aria", "cat", KEEP);
      assert.equal(kept.stdout.trim(), "keep", "the workspace file survived");
      const pod = await plane.json<{ image: string }>("pod", "status", "oc/aria");
      assert.equal(pod.image, NEW);

      // The route still leads to it: /readyz and hello-ok through Traefik.
      const hello = await openClawThroughTraefik(web, HOST, token, `https://${HOST}`);
      assert.equal(hello.healthy, true, hello.message);
      assert.match(hello.message, /OpenClaw 2026\.9\.6/);

      assert.equal(await pulledSince(since), false, "no image pull");

      // The gateway was drained (gateway.suspend.prepare) before it was stopped.
      const events = await plane.json<{ reason: string; message: string }[]>(
        "events",
        "--pod",
        "oc/aria",
        "--tail",
        "20",
      );
      const drained = events.find((e) => e.reason === "Drained");
      assert.ok(drained, events.map((e) => `${e.reason}: ${e.message}`).join("\n"));

      const back = await plane.cli("pod", "upgrade", "oc/aria", "--image", OLD);
      assert.equal(back.code, 1);
      assert.match(back.stderr, /runs 2026\.9\.6, newer than 2026\.9\.5: a downgrade/);
      assert.equal((await docker.containers.inspect("agentpod-oc-aria")).Id, after.Id);

      // The rest of the fleet: --all over the tenant, one gateway at a time; aria already
      // runs the image and is skipped.
      await waitHealthy(plane, "oc/bela");
      const belaBefore = await docker.containers.inspect("agentpod-oc-bela");
      const belaToken = await gatewayToken("agentpod-oc-bela");
      const sampler = downSampler(["agentpod-oc-aria", "agentpod-oc-bela"]);
      const fleet = await plane.cli(
        "pod",
        "upgrade",
        "--all",
        "--tenant",
        "oc",
        "--image",
        NEW,
        "--min-ready",
        "5s",
        "--format",
        "json",
      );
      const worst = await sampler.stop();
      assert.equal(fleet.code, 0, `${fleet.stderr}\n${plane.log.slice(-3000)}`);
      const items = (JSON.parse(fleet.stdout) as {
        items: { pod: string; state: string; message: string | null }[];
      }).items;
      console.log(
        `fleet --all: ${items.map((i) => `${i.pod} ${i.state} (${i.message})`).join("; ")}`,
      );
      assert.deepEqual(items.map((i) => [i.pod, i.state]).sort(), [
        ["aria", "skipped"],
        ["bela", "succeeded"],
      ]);
      assert.ok(worst <= 1, `at most one gateway down at once, saw ${worst}`);
      const belaAfter = await docker.containers.inspect("agentpod-oc-bela");
      assert.notEqual(belaAfter.Id, belaBefore.Id);
      assert.equal(await gatewayToken("agentpod-oc-bela"), belaToken, "same token");
      assert.equal((await docker.containers.inspect("agentpod-oc-aria")).Id, after.Id);
      const belaHost = `bela.oc.${DOMAIN}`;
      const belaHello = await openClawThroughTraefik(
        web,
        belaHost,
        belaToken,
        `https://${belaHost}`,
      );
      assert.equal(belaHello.healthy, true, belaHello.message);
      assert.match(belaHello.message, /OpenClaw 2026\.9\.6/);
    } finally {
      await traefik.stop();
    }
  });
});
