/**
 * The locally built OpenClaw image (deploy/openclaw/build-image.sh) runs a real gateway:
 * its config is written into the pod's volume through the archive API before the first
 * start, and `/readyz` answers 200 through a port published on 127.0.0.1 only.
 * @module
 */
import assert from "node:assert/strict";
import { createDockerClient } from "../../providers/docker/mod.ts";

const IMAGE = Deno.env.get("AGENTPOD_OPENCLAW_IMAGE") ?? "agentpod/openclaw:2026.9.6";
const READY_TIMEOUT_MS = 90_000;

Deno.test("OpenClaw image: gateway answers /readyz 200 on a 127.0.0.1 published port", async () => {
  const docker = createDockerClient();
  const suffix = crypto.randomUUID().slice(0, 8);
  const name = `agentpod-test-openclaw-${suffix}`;
  const volume = `agentpod-test-openclaw-${suffix}`;
  const token = crypto.randomUUID();
  try {
    await docker.images.inspect(IMAGE).catch((error) => {
      throw new Error(`Image "${IMAGE}" is missing: run bash tests/env/images.sh`, {
        cause: error,
      });
    });
    await docker.volumes.create({ Name: volume, Labels: { "agentpod.test": "true" } });
    const { Id: id } = await docker.containers.create({
      Image: IMAGE,
      Hostname: name,
      Labels: { "agentpod.test": "true" },
      ExposedPorts: { "18789/tcp": {} },
      HostConfig: {
        Init: true,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        Memory: 1024 * 1024 * 1024,
        PortBindings: { "18789/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
        Mounts: [{ Type: "volume", Source: volume, Target: "/home/node/.openclaw" }],
      },
    }, { name });
    const config = {
      gateway: { mode: "local", port: 18789, bind: "lan", auth: { mode: "token", token } },
    };
    await docker.containers.putArchive(id, "/home/node/.openclaw", [
      { name: "openclaw.json", data: JSON.stringify(config), mode: 0o600, uid: 1000, gid: 1000 },
    ]);
    await docker.containers.start(id);

    const binding = (await docker.containers.inspect(id)).NetworkSettings.Ports?.["18789/tcp"]?.[0];
    assert.equal(binding?.HostIp, "127.0.0.1");
    const url = `http://127.0.0.1:${binding?.HostPort}/readyz`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = "no answer";
    while (Date.now() < deadline) {
      try {
        const res = await fetch(url);
        last = `${res.status} ${await res.text()}`;
        if (res.status === 200) break;
      } catch (error) {
        last = String(error); // the port resets connections until the gateway listens
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.match(last, /^200 .*"ready":true/, `gateway never became ready: ${last}`);
  } finally {
    await docker.containers.remove(name, { force: true, volumes: true }).catch(() => {});
    await docker.volumes.remove(volume, { force: true }).catch(() => {});
    docker.close();
  }
});
