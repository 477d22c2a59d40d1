import assert from "node:assert/strict";
import { secretMasker } from "./secret_mask.ts";

Deno.test("secretMasker() masks the token and every sealed value wherever they appear", () => {
  const mask = secretMasker({
    token: "tok-0123456789abcdef",
    values: { providers: { anthropic: { apiKey: "sk-ant-secret+key.1" } }, env: { A: "abc" } },
  });
  assert.equal(
    mask("connect token=tok-0123456789abcdef key sk-ant-secret+key.1 and tok-0123456789abcdef"),
    "connect token=******** key ******** and ********",
  );
  assert.equal(
    mask("abc stays: too short to be told from a word"),
    "abc stays: too short to be told from a word",
  );
});

Deno.test("secretMasker() masks a longer secret whole when it contains a shorter one", () => {
  const mask = secretMasker({ token: "secret-1", values: { a: "secret-1-longer" } });
  assert.equal(mask("x secret-1-longer y secret-1"), "x ******** y ********");
  assert.equal(secretMasker({ token: "", values: {} })("nothing to mask"), "nothing to mask");
});
