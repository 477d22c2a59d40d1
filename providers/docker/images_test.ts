/**
 * Tests: Image reference parsing, and pull errors reported inside a 200 stream (fake engine).
 * @module
 */
import assert from "node:assert/strict";
import { DockerApiError } from "../../core/errors.ts";
import { createDockerClient } from "./client.ts";
import { parseImageRef, type PullProgress } from "./images.ts";

Deno.test("parseImageRef() splits name and tag, defaulting to latest", () => {
  assert.deepEqual(parseImageRef("agentpod-fixture:1"), { name: "agentpod-fixture", tag: "1" });
  assert.deepEqual(parseImageRef("busybox"), { name: "busybox", tag: "latest" });
  assert.deepEqual(parseImageRef("ghcr.io/openclaw/openclaw:2026.9.1"), {
    name: "ghcr.io/openclaw/openclaw",
    tag: "2026.9.1",
  });
});

Deno.test("parseImageRef() does not mistake a registry port for a tag", () => {
  assert.deepEqual(parseImageRef("localhost:5000/team/app"), {
    name: "localhost:5000/team/app",
    tag: "latest",
  });
  assert.deepEqual(parseImageRef("localhost:5000/app:v2"), {
    name: "localhost:5000/app",
    tag: "v2",
  });
});

Deno.test("parseImageRef() keeps digests", () => {
  const digest = "sha256:" + "a".repeat(64);
  assert.deepEqual(parseImageRef(`app@${digest}`), { name: "app", digest });
  assert.deepEqual(parseImageRef(`app:1@${digest}`), { name: "app", tag: "1", digest });
});

Deno.test("pull() throws the error line an engine sends inside a 200 stream", async () => {
  const path = `/tmp/agentpod-fake-${crypto.randomUUID()}.sock`;
  let query = "";
  const server = Deno.serve({ path, onListen() {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/version") return Response.json({ ApiVersion: "1.41" });
    query = url.search;
    return new Response(
      '{"status":"Pulling from library/app","id":"1"}\n' +
        '{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\n',
    );
  });
  try {
    using docker = createDockerClient({ host: `unix://${path}` });
    const seen: PullProgress[] = [];
    await assert.rejects(
      docker.images.pull("registry:5000/app:2", { onProgress: (p) => seen.push(p) }),
      (error: unknown) => {
        assert.ok(error instanceof DockerApiError);
        assert.equal(error.message, 'Cannot pull image "registry:5000/app:2": manifest unknown');
        return true;
      },
    );
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.status, "Pulling from library/app");
    assert.equal(query, "?fromImage=registry%3A5000%2Fapp&tag=2");
  } finally {
    await server.shutdown();
  }
});
