import assert from "node:assert/strict";
import { parseBytea, parseInt8, serializeBytea, serializeJson } from "./_pg_types.ts";

Deno.test("parseInt8() gives a number, or a bigint once a number would round", () => {
  assert.equal(parseInt8("42"), 42);
  assert.equal(parseInt8("-9007199254740991"), -9007199254740991);
  assert.equal(parseInt8("9007199254740992"), 9007199254740992n);
});

Deno.test("bytea hex round-trips every byte value", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(parseBytea(serializeBytea(all)), all);
  assert.equal(serializeBytea(new Uint8Array([0, 255])), "\\x00ff");
});

Deno.test("serializeJson() takes strings as JSON text and encodes anything else", () => {
  assert.equal(serializeJson('{"a":1}'), '{"a":1}');
  assert.equal(serializeJson({ a: 1 }), '{"a":1}');
});
