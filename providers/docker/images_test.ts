import assert from "node:assert/strict";
import { parseImageRef } from "./images.ts";

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
