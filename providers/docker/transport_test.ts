/**
 * Tests: API version negotiation against a fake engine on a Unix socket.
 * @module
 */
import assert from "node:assert/strict";
import { UnavailableError } from "../../core/errors.ts";
import { createDockerClient } from "./client.ts";
import { compareApiVersions } from "./transport.ts";

/** Serves `handler` on a fresh Unix socket, as a stand-in engine. */
function fakeEngine(handler: (request: Request) => Response | Promise<Response>) {
  const path = `/tmp/agentpod-fake-${crypto.randomUUID()}.sock`;
  const server = Deno.serve({ path, onListen() {} }, handler);
  return { host: `unix://${path}`, [Symbol.asyncDispose]: () => server.shutdown() };
}

Deno.test("compareApiVersions() compares numerically, not as text", () => {
  assert.ok(compareApiVersions("1.9", "1.41") < 0);
  assert.ok(compareApiVersions("1.47", "1.41") > 0);
  assert.equal(compareApiVersions("1.41", "1.41"), 0);
  assert.ok(compareApiVersions("2.0", "1.47") > 0);
});

Deno.test("the client speaks the newest version both sides know, negotiated once", async () => {
  const paths: string[] = [];
  await using engine = fakeEngine((request) => {
    const url = new URL(request.url);
    paths.push(url.pathname);
    if (url.pathname === "/version") return Response.json({ ApiVersion: "1.52" });
    return Response.json([]);
  });
  using docker = createDockerClient({ host: engine.host });
  await Promise.all([docker.containers.list(), docker.containers.list()]);
  await docker.volumes.list();
  assert.equal(await docker.apiVersion(), "1.47");
  assert.deepEqual(paths, [
    "/version",
    "/v1.47/containers/json",
    "/v1.47/containers/json",
    "/v1.47/volumes",
  ]);
});

Deno.test("the client uses an older engine's own version", async () => {
  await using engine = fakeEngine((request) =>
    new URL(request.url).pathname === "/version"
      ? Response.json({ ApiVersion: "1.43" })
      : Response.json([])
  );
  using docker = createDockerClient({ host: engine.host });
  assert.equal(await docker.apiVersion(), "1.43");
});

Deno.test("the client refuses an engine older than API 1.41, and asks again next time", async () => {
  let version = "1.40";
  await using engine = fakeEngine((request) =>
    new URL(request.url).pathname === "/version"
      ? Response.json({ ApiVersion: version })
      : Response.json([])
  );
  using docker = createDockerClient({ host: engine.host });
  await assert.rejects(docker.containers.list(), (error: unknown) => {
    assert.ok(error instanceof UnavailableError);
    assert.equal(
      error.message,
      `Cannot use Docker Engine at "${engine.host}": API version "1.40" is older than the minimum "1.41"`,
    );
    return true;
  });
  version = "1.41";
  assert.deepEqual(await docker.containers.list(), []);
});

Deno.test("a pinned API version skips negotiation", async () => {
  const paths: string[] = [];
  await using engine = fakeEngine((request) => {
    paths.push(new URL(request.url).pathname);
    return Response.json([]);
  });
  using docker = createDockerClient({ host: engine.host, apiVersion: "1.44" });
  await docker.networks.list();
  assert.deepEqual(paths, ["/v1.44/networks"]);
});
