import assert from "node:assert/strict";
import { safeNext } from "./auth.ts";

Deno.test("safeNext() keeps local paths and sends anything that could leave the site to /", () => {
  assert.equal(safeNext("/pods?tenant=acme#top"), "/pods?tenant=acme#top");
  assert.equal(safeNext("/pods/acme/agent"), "/pods/acme/agent");
  for (
    const bad of [
      undefined,
      "",
      "pods",
      "//evil.example",
      "/\\evil.example",
      "/\t/evil.example",
      "/\n/evil.example",
      "/%0a",
      "\t//evil.example",
      "https://evil.example/",
      "/\r\n/evil.example",
    ]
  ) {
    const next = safeNext(bad);
    assert.ok(next === "/" || (next.startsWith("/") && !next.startsWith("//")), `${bad} → ${next}`);
    assert.equal(new URL(next, "http://agentpod.test").origin, "http://agentpod.test", String(bad));
  }
  assert.equal(safeNext("/\t/evil.example"), "/");
  assert.equal(safeNext("/\\evil.example"), "/");
});
