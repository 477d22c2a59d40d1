import assert from "node:assert/strict";
import {
  constantTimeEqual,
  DEFAULT_ITERATIONS,
  generatePassword,
  hashPassword,
  verifyPassword,
} from "./password.ts";

Deno.test("hashPassword() salts: the same password hashes differently, and verifies", async () => {
  const a = await hashPassword("correct horse", 1_000);
  const b = await hashPassword("correct horse", 1_000);
  assert.equal(a.algorithm, "PBKDF2-SHA256");
  assert.equal(a.iterations, 1_000);
  assert.notEqual(a.salt, b.salt);
  assert.notEqual(a.hash, b.hash);
  assert.equal(await verifyPassword("correct horse", a), true);
  assert.equal(await verifyPassword("correct horse!", a), false);
  assert.equal(await verifyPassword("", a), false);
});

Deno.test("verifyPassword() rejects an unknown algorithm or a bad iteration count", async () => {
  const stored = await hashPassword("x", 1_000);
  assert.equal(await verifyPassword("x", { ...stored, iterations: 0 }), false);
  assert.equal(
    await verifyPassword("x", { ...stored, algorithm: "MD5" as "PBKDF2-SHA256" }),
    false,
  );
});

Deno.test("new hashes default to a slow iteration count", () => {
  assert.ok(DEFAULT_ITERATIONS >= 600_000);
});

Deno.test("constantTimeEqual() compares strings and bytes of any length", () => {
  assert.equal(constantTimeEqual("abc", "abc"), true);
  assert.equal(constantTimeEqual("abc", "abd"), false);
  assert.equal(constantTimeEqual("abc", "abcd"), false);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
});

Deno.test("generatePassword() makes 20 unambiguous characters, different each time", () => {
  const a = generatePassword();
  assert.match(a, /^[a-km-zA-HJ-NP-Z2-9]{20}$/);
  assert.notEqual(a, generatePassword());
});
