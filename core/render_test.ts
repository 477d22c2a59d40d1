import assert from "node:assert/strict";
import { podTrustedProxies } from "./render.ts";

Deno.test("podTrustedProxies(): the network gateway as a host, then configured extras, once each", () => {
  assert.deepEqual(podTrustedProxies(null, { domain: "x" }), []);
  assert.deepEqual(podTrustedProxies("172.23.0.1", { domain: "x" }), ["172.23.0.1/32"]);
  assert.deepEqual(podTrustedProxies("fd00::1", { domain: "x" }), ["fd00::1/128"]);
  assert.deepEqual(
    podTrustedProxies("172.23.0.1", {
      domain: "x",
      trustedProxies: ["10.0.0.5/32", "172.23.0.1/32"],
    }),
    ["172.23.0.1/32", "10.0.0.5/32"],
  );
});
