import assert from "node:assert/strict";
import { redact } from "./log.ts";

Deno.test("redact() hides secret-looking fields at any depth", () => {
  const out = redact({
    pod: "acme/agent",
    token: "abc",
    nested: { gatewayToken: "x", port: 1 },
    apiKey: "k",
  });
  assert.deepEqual(out, {
    pod: "acme/agent",
    token: "[redacted]",
    nested: { gatewayToken: "[redacted]", port: 1 },
    apiKey: "[redacted]",
  });
});

Deno.test("redact() turns errors into their message", () => {
  assert.deepEqual(redact({ error: new Error("boom") }), { error: "boom" });
});
