/**
 * Tests: Query and filter encoding.
 * @module
 */
import assert from "node:assert/strict";
import { encodeFilters, encodeQuery, labelFilters } from "./query.ts";

Deno.test("encodeQuery() omits undefined and null and encodes the rest", () => {
  assert.equal(encodeQuery({ all: true, limit: 3, name: undefined, x: null }), "?all=true&limit=3");
  assert.equal(encodeQuery({ path: "/home/node/a b" }), "?path=%2Fhome%2Fnode%2Fa%20b");
  assert.equal(encodeQuery({}), "");
  assert.equal(encodeQuery(undefined), "");
});

Deno.test("encodeQuery() sends filters as JSON the engine parses", () => {
  const query = encodeQuery({ filters: { label: ["agentpod.managed=true"], type: ["container"] } });
  assert.equal(query.slice(0, "?filters=".length), "?filters=");
  const decoded = decodeURIComponent(query.slice("?filters=".length));
  assert.deepEqual(JSON.parse(decoded), { label: ["agentpod.managed=true"], type: ["container"] });
});

Deno.test("encodeFilters() drops empty keys and returns undefined when nothing is left", () => {
  assert.equal(encodeFilters({ label: [], event: undefined }), undefined);
  assert.equal(encodeFilters({ label: ["a=b"], event: [] }), '{"label":["a=b"]}');
  assert.equal(encodeQuery({ filters: { label: [] }, all: false }), "?all=false");
});

Deno.test("labelFilters() turns a label map into selectors", () => {
  assert.deepEqual(labelFilters({ "agentpod.managed": "true", "agentpod.pod": "p1" }), [
    "agentpod.managed=true",
    "agentpod.pod=p1",
  ]);
});
