import assert from "node:assert/strict";
import { formatPodRef, idProblem, parsePodRef, parseTenantId } from "./ids.ts";
import { ValidationError } from "./errors.ts";

Deno.test("idProblem() accepts DNS labels of 1 to 40 characters", () => {
  for (const ok of ["a", "acme", "a-1", "0", "x".repeat(40)]) {
    assert.equal(idProblem(ok), undefined, ok);
  }
});

Deno.test("idProblem() rejects what cannot be a DNS label", () => {
  for (const bad of ["", "-a", "a-", "Acme", "a_b", "a.b", "a/b", "é", "x".repeat(41), " a"]) {
    assert.notEqual(idProblem(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("parsePodRef() splits <tenant>/<pod>", () => {
  const ref = parsePodRef("acme/agent");
  assert.deepEqual(ref, { tenant: "acme", pod: "agent" });
  assert.equal(formatPodRef(ref), "acme/agent");
});

Deno.test("parsePodRef() names the bad part", () => {
  assert.throws(() => parsePodRef("acme"), /expected <tenant>\/<pod>/);
  assert.throws(() => parsePodRef("acme/a/b"), ValidationError);
  assert.throws(() => parsePodRef("ACME/agent"), /Invalid tenant id "ACME"/);
  assert.throws(() => parsePodRef("acme/-x"), /Invalid pod name "-x"/);
});

Deno.test("parseTenantId() returns valid ids unchanged", () => {
  assert.equal(parseTenantId("mega"), "mega");
});
