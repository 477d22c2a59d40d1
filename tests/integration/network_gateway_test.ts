/**
 * The network gateway AgentPod trusts as a pod's proxy is the address the container really
 * sees published-port traffic come from: checked on the default bridge (a fresh daemon
 * lists it with no Gateway field) and on a tenant network the runtime creates. The probe
 * container is busybox httpd with a CGI script that prints `REMOTE_ADDR`, published on
 * 127.0.0.1 only.
 * @module
 */
import assert from "node:assert/strict";
import {
  createDockerClient,
  type DockerClient,
  lookupNetworkGateway,
  type Network,
} from "../../providers/docker/mod.ts";
import { DockerRuntime } from "../../providers/docker/runtime.ts";
import { IMAGE, labels, withCase } from "./_docker_case.ts";

const SCRIPT = [
  "mkdir -p /tmp/www/cgi-bin",
  `printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho "$REMOTE_ADDR"\\n' > /tmp/www/cgi-bin/addr`,
  "chmod +x /tmp/www/cgi-bin/addr",
  "exec httpd -f -p 8080 -h /tmp/www",
].join(" && ");

/** Starts the REMOTE_ADDR printer on `network` and returns what it saw of one request. */
async function seenSource(docker: DockerClient, id: string, network: string): Promise<string> {
  const { Id } = await docker.containers.create({
    Image: IMAGE,
    Cmd: ["sh", "-c", SCRIPT],
    Labels: labels(id),
    ExposedPorts: { "8080/tcp": {} },
    HostConfig: {
      NetworkMode: network,
      PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
    },
  }, { name: `${id}-${network.slice(0, 12)}` });
  await docker.containers.start(Id);
  const port = (await docker.containers.inspect(Id)).NetworkSettings.Ports?.["8080/tcp"]?.[0]
    ?.HostPort;
  assert.ok(port, "the port is published");
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/cgi-bin/addr`);
      const text = (await response.text()).trim();
      // httpd listens dual-stack: an IPv4 peer reads `[::ffff:172.18.0.1]`.
      if (response.ok && text) return text.replace(/^\[(?:::ffff:)?|\]$/g, "");
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error("the REMOTE_ADDR printer never answered");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

Deno.test("lookupNetworkGateway() on the default bridge is where published-port traffic comes from", async () => {
  await withCase(async (docker, id) => {
    const bridge: Network = await docker.networks.inspect("bridge");
    const seen = await seenSource(docker, id, "bridge");
    const { gateway } = await lookupNetworkGateway(docker, bridge);
    assert.equal(gateway, seen);
  });
});

Deno.test("a tenant network's gateway from the runtime is where published-port traffic comes from", async () => {
  await withCase(async (docker, id) => {
    const runtime = new DockerRuntime(docker, id);
    const name = `${id}-net`;
    try {
      const network = await runtime.ensureNetwork(name, "gateway-test");
      const seen = await seenSource(docker, id, network.id);
      assert.equal(network.gateway, seen);
    } finally {
      for (
        const c of await docker.containers.list({
          all: true,
          filters: { label: [`agentpod.case=${id}`] },
        })
      ) {
        await docker.containers.remove(c.Id, { force: true });
      }
      await runtime.removeNetwork(name);
    }
  });
});

Deno.test("lookupNetworkGateway() names the network when it has no IPv4 pool", async () => {
  using docker = createDockerClient();
  const none: Network = {
    Id: "0".repeat(64),
    Name: "v6-only",
    Driver: "bridge",
    Scope: "local",
    Internal: false,
    Labels: null,
    Containers: {},
    IPAM: { Driver: "default", Config: [{ Subnet: "fd00:77::/64" }] },
  };
  await assert.rejects(
    lookupNetworkGateway(docker, none),
    /Cannot determine the IPv4 gateway of network "v6-only"/,
  );
});
