/**
 * Tests: Mapping of engine statuses and connection failures onto AgentPod errors.
 * @module
 */
import assert from "node:assert/strict";
import {
  ConflictError,
  DockerApiError,
  NotFoundError,
  UnavailableError,
} from "../../core/errors.ts";
import { connectionReason, engineError, unreachableError } from "./engine_errors.ts";

Deno.test("engineError() maps 404 to NotFoundError keeping the engine message", () => {
  const error = engineError(404, '{"message":"No such container: abc"}');
  assert.ok(error instanceof NotFoundError);
  assert.equal(error.message, "Docker: No such container: abc");
  assert.deepEqual(error.details, { status: 404, engineMessage: "No such container: abc" });
  assert.ok(error.cause instanceof DockerApiError);
  assert.equal((error.cause as DockerApiError).status, 404);
});

Deno.test("engineError() maps 409 to ConflictError with a DockerApiError cause", () => {
  const error = engineError(
    409,
    '{"message":"Conflict. The container name \\"/x\\" is already in use"}',
  );
  assert.ok(error instanceof ConflictError);
  assert.match(error.message, /^Docker: Conflict\. The container name "\/x" is already in use$/);
  assert.ok(error.cause instanceof DockerApiError);
});

Deno.test("engineError() maps other statuses to DockerApiError with the status", () => {
  const error = engineError(500, '{"message":"boom"}', 'Cannot pull image "a:1"');
  assert.ok(error instanceof DockerApiError);
  assert.equal(error.status, 500);
  assert.equal(error.message, 'Cannot pull image "a:1": boom');
});

Deno.test("engineError() falls back to the text body, then to the status", () => {
  assert.equal(engineError(400, "page not found\n").message, "Docker: page not found");
  assert.equal(engineError(502, "").message, "Docker: HTTP status 502");
  assert.equal(engineError(400, "{not json").message, "Docker: {not json");
});

Deno.test("unreachableError() names the host and the OS reason", () => {
  const deno = new TypeError("fetch failed", {
    cause: new Error(
      "error sending request for url (http://localhost/version): client error (Connect): " +
        "No such file or directory (os error 2)",
    ),
  });
  const error = unreachableError("unix:///tmp/nope.sock", deno);
  assert.ok(error instanceof UnavailableError);
  assert.equal(
    error.message,
    'Cannot reach Docker Engine at "unix:///tmp/nope.sock": No such file or directory (os error 2)',
  );
  assert.equal(error.cause, deno);
});

Deno.test("connectionReason() copes with non-errors and empty messages", () => {
  assert.equal(connectionReason("refused"), "refused");
  assert.equal(connectionReason(new Error("")), "unknown error");
});
