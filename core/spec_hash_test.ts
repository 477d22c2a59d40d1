import assert from "node:assert/strict";
import { canonicalJson, specHash } from "./spec_hash.ts";

Deno.test("specHash() ignores key order", () => {
  assert.equal(
    specHash({ a: 1, b: { c: 2, d: [1, 2] } }),
    specHash({ b: { d: [1, 2], c: 2 }, a: 1 }),
  );
});

Deno.test("specHash() changes when any value changes", () => {
  const base = { image: "openclaw:1", env: { A: "1" }, resources: { memoryMB: 1024 } };
  const seen = new Set([specHash(base)]);
  seen.add(specHash({ ...base, image: "openclaw:2" }));
  seen.add(specHash({ ...base, env: { A: "2" } }));
  seen.add(specHash({ ...base, resources: { memoryMB: 1025 } }));
  seen.add(specHash({ ...base, env: {} }));
  assert.equal(seen.size, 5);
});

Deno.test("specHash() is 16 hex digits", () => {
  assert.match(specHash({}), /^[0-9a-f]{16}$/);
});

Deno.test("canonicalJson() keeps array order", () => {
  assert.equal(canonicalJson({ b: [2, 1], a: null }), '{"a":null,"b":[2,1]}');
});
