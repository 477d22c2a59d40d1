import assert from "node:assert/strict";
import { allocateHostPort, candidatePorts, parsePortRange } from "./ports.ts";
import { ConflictError, ValidationError } from "./errors.ts";

Deno.test("allocateHostPort() takes the lowest port neither allocated nor bound", async () => {
  const bound = new Set([20001]);
  const port = await allocateHostPort(
    { from: 20000, to: 20010 },
    new Set([20000]),
    (p) => !bound.has(p),
  );
  assert.equal(port, 20002);
});

Deno.test("allocateHostPort() reports an exhausted range", async () => {
  await assert.rejects(
    allocateHostPort({ from: 1, to: 2 }, new Set([1, 2]), () => true),
    ConflictError,
  );
});

Deno.test("candidatePorts() yields the range minus allocations", () => {
  assert.deepEqual([...candidatePorts({ from: 5, to: 9 }, new Set([6, 8]))], [5, 7, 9]);
});

Deno.test("parsePortRange() reads from-to and rejects nonsense", () => {
  assert.deepEqual(parsePortRange("20000-20100"), { from: 20000, to: 20100 });
  for (const bad of ["20000", "2-1", "0-10", "1-70000", "a-b"]) {
    assert.throws(() => parsePortRange(bad), ValidationError, bad);
  }
});
