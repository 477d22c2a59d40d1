import assert from "node:assert/strict";
import { detailLines, ExitCode, exitCodeForStatus } from "./errors.ts";

Deno.test("exitCodeForStatus() maps API statuses to exit codes", () => {
  const cases: [number, number][] = [
    [400, ExitCode.failure],
    [401, ExitCode.auth],
    [403, ExitCode.auth],
    [404, ExitCode.notFound],
    [409, ExitCode.failure],
    [422, ExitCode.failure],
    [500, ExitCode.failure],
    [502, ExitCode.failure],
    [503, ExitCode.failure],
  ];
  for (const [status, code] of cases) assert.equal(exitCodeForStatus(status), code, `${status}`);
});

Deno.test("detailLines() reads Zod issues, flattened errors and plain records", () => {
  assert.deepEqual(
    detailLines([{ path: ["resources", "memoryMB"], message: "Too small" }, { message: "Bad" }]),
    ["resources.memoryMB: Too small", "Bad"],
  );
  assert.deepEqual(
    detailLines({ formErrors: ["Unknown key"], fieldErrors: { name: ["Required", "Too long"] } }),
    ["Unknown key", "name: Required", "name: Too long"],
  );
  assert.deepEqual(detailLines({ name: "Required" }), ["name: Required"]);
  assert.deepEqual(detailLines(undefined), []);
  assert.deepEqual(detailLines("text"), []);
});
