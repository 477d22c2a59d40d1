/**
 * Tests: Parsing of `DOCKER_HOST` addresses.
 * @module
 */
import assert from "node:assert/strict";
import { ValidationError } from "../../core/errors.ts";
import { parseDockerHost } from "./docker_host.ts";

Deno.test("parseDockerHost() reads a unix socket address", () => {
  assert.deepEqual(parseDockerHost("unix:///var/run/docker.sock"), {
    host: "unix:///var/run/docker.sock",
    origin: "http://localhost",
    socketPath: "/var/run/docker.sock",
  });
});

Deno.test("parseDockerHost() reads tcp addresses, defaulting the port to 2375", () => {
  assert.deepEqual(parseDockerHost("tcp://127.0.0.1:2376"), {
    host: "tcp://127.0.0.1:2376",
    origin: "http://127.0.0.1:2376",
  });
  assert.equal(parseDockerHost("tcp://docker").origin, "http://docker:2375");
  assert.equal(parseDockerHost("tcp://[::1]:2375").origin, "http://[::1]:2375");
});

Deno.test("parseDockerHost() rejects what it cannot reach", () => {
  for (const bad of ["ssh://user@host", "unix://relative.sock", "tcp://", "npipe:////./pipe/x"]) {
    assert.throws(() => parseDockerHost(bad), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.match(
        error.message,
        new RegExp(`^Invalid Docker host "${bad.replaceAll(".", "\\.")}"`),
      );
      return true;
    });
  }
});
