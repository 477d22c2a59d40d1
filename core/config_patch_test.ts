import assert from "node:assert/strict";
import {
  applyConfigPatch,
  changedPaths,
  keepMaskedSecrets,
  mergePatch,
  parseCliValue,
  parseConfigPath,
} from "./config_patch.ts";
import { SECRET_MASK } from "./secrets.ts";

Deno.test("mergePatch() follows RFC 7396: objects merge, null removes, the rest replaces", () => {
  assert.deepEqual(
    mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { b: { c: null, x: 9 }, e: [3], f: "n" }),
    { a: 1, b: { d: 3, x: 9 }, e: [3], f: "n" },
  );
  assert.deepEqual(mergePatch({ a: 1 }, "text"), "text");
  assert.deepEqual(mergePatch("old", { a: { b: 1 } }), { a: { b: 1 } });
});

Deno.test("applyConfigPatch() merges, then sets dot paths, then unsets, dropping emptied objects", () => {
  const config = { model: "a/b", providers: { anthropic: { apiKey: "k" } } };
  const next = applyConfigPatch(config, {
    merge: { agentName: "Aria" },
    set: [{ path: "channels.telegram.botToken", value: "1:t" }],
    unset: ["providers.anthropic.apiKey"],
  });
  assert.deepEqual(next, {
    model: "a/b",
    agentName: "Aria",
    channels: { telegram: { botToken: "1:t" } },
  });
  assert.deepEqual(config, { model: "a/b", providers: { anthropic: { apiKey: "k" } } });
});

Deno.test("applyConfigPatch() with replace starts from the given document", () => {
  assert.deepEqual(
    applyConfigPatch({ model: "a/b", agentName: "X" }, { replace: { model: "c/d" } }),
    { model: "c/d" },
  );
});

Deno.test("parseConfigPath() refuses what is not a dot path", () => {
  assert.equal(parseConfigPath("providers.anthropic.apiKey"), "providers.anthropic.apiKey");
  for (const bad of ["", ".a", "a.", "a..b", "a b", "a/b"]) {
    assert.throws(() => parseConfigPath(bad), { name: "ValidationError" });
  }
});

Deno.test("parseCliValue() reads JSON where it parses, else the text", () => {
  assert.equal(parseCliValue("8080"), 8080);
  assert.equal(parseCliValue("true"), true);
  assert.deepEqual(parseCliValue('["a","b"]'), ["a", "b"]);
  assert.equal(parseCliValue('"8080"'), "8080");
  assert.equal(parseCliValue("anthropic/claude-opus-4-6"), "anthropic/claude-opus-4-6");
});

Deno.test("keepMaskedSecrets() keeps a secret sent back as the mask, and only secrets", () => {
  const previous = { providers: { anthropic: { apiKey: "sk-1" } }, model: "a/b" };
  const next = { providers: { anthropic: { apiKey: SECRET_MASK } }, model: SECRET_MASK };
  assert.deepEqual(keepMaskedSecrets(next, previous, ["providers.anthropic.apiKey"]), {
    providers: { anthropic: { apiKey: "sk-1" } },
    model: SECRET_MASK,
  });
  // A masked secret that was never set is dropped, not stored as the mask.
  assert.deepEqual(
    keepMaskedSecrets({ providers: { openai: { apiKey: SECRET_MASK } } }, {}, [
      "providers.openai.apiKey",
    ]),
    {},
  );
});

Deno.test("changedPaths() lists the leaves that differ", () => {
  assert.deepEqual(
    changedPaths(
      { model: "a", providers: { anthropic: { apiKey: "1" } }, same: [1] },
      { model: "b", providers: { anthropic: { apiKey: "2" }, openai: { apiKey: "3" } }, same: [1] },
    ),
    ["model", "providers.anthropic.apiKey", "providers.openai"],
  );
});
