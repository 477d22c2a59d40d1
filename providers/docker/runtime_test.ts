import assert from "node:assert/strict";
import { containerCreateRequest } from "./runtime.ts";

Deno.test("containerCreateRequest() hardens every pod container: no swap, loopback port, no privileges", () => {
  const create = containerCreateRequest({
    podId: "p1",
    tenant: "acme",
    pod: "web",
    containerName: "agentpod-acme-web",
    hostname: "web-acme",
    network: "agentpod-t-acme",
    volume: "agentpod-pod-p1",
    hostPort: 20001,
    specHash: "h1",
    spec: {
      image: "agentpod-fixture:1",
      env: { B: "2", A: "1" },
      port: 8080,
      volumePath: "/data",
      resources: { memoryMB: 256, cpus: 0.5, pids: 64 },
    },
    files: [],
  }, "inst-1");
  const host = create.HostConfig!;
  assert.equal(host.Memory, 256 * 1024 * 1024);
  assert.equal(host.MemorySwap, host.Memory, "no swap beyond the memory limit");
  assert.equal(host.NanoCpus, 500_000_000);
  assert.equal(host.PidsLimit, 64);
  assert.equal(host.Init, true);
  assert.deepEqual(host.CapDrop, ["ALL"]);
  assert.deepEqual(host.SecurityOpt, ["no-new-privileges"]);
  assert.deepEqual(host.RestartPolicy, { Name: "unless-stopped" });
  assert.deepEqual(host.PortBindings, { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "20001" }] });
  assert.deepEqual(create.Env, ["A=1", "B=2"]);
  assert.equal(create.Labels?.["agentpod.instance"], "inst-1");
});
