/**
 * Tests: the device connect is signed over the payload the gateway checks (verified here
 * with the public key), and `usage.cost` answers are read into days or refused.
 * @module
 */
import assert from "node:assert/strict";
import { deviceIdentity, newDeviceKey } from "../providers/device_identity.ts";
import { deviceConnect, parseUsageCost } from "./openclaw_usage.ts";

const fromB64url = (s: string) =>
  Uint8Array.from(atob(s.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));

Deno.test("deviceConnect signs v3|device|client|mode|role|scopes|signedAt|token|nonce|platform|", async () => {
  const identity = await deviceIdentity(await newDeviceKey());
  const req = await deviceConnect(
    { identity, token: "tok" },
    "n0nce",
    "connect",
    1_700_000_000_000,
  );
  const params = req.params as {
    scopes: string[];
    client: { id: string; mode: string };
    device: { id: string; publicKey: string; signature: string; signedAt: number; nonce: string };
  };
  assert.deepEqual(params.scopes, ["operator.read"]);
  assert.deepEqual(fromB64url(params.device.publicKey), identity.publicKey);
  assert.match(params.device.id, /^[0-9a-f]{64}$/);
  const signed = [
    "v3",
    params.device.id,
    "gateway-client",
    "backend",
    "operator",
    "operator.read",
    "1700000000000",
    "tok",
    "n0nce",
    "linux",
    "",
  ].join("|");
  const key = await crypto.subtle.importKey(
    "raw",
    identity.publicKey as BufferSource,
    { name: "Ed25519" },
    false,
    [
      "verify",
    ],
  );
  const ok = await crypto.subtle.verify(
    { name: "Ed25519" },
    key,
    fromB64url(params.device.signature) as BufferSource,
    new TextEncoder().encode(signed),
  );
  assert.ok(ok, "the signature verifies over the gateway's payload");
});

Deno.test("parseUsageCost reads daily entries and refuses what it does not know", () => {
  const days = parseUsageCost({
    daily: [
      { date: "2026-12-01", input: 0, output: 0, totalTokens: 0, totalCost: 0 },
      { date: "2026-12-02", input: 120, output: 30, totalTokens: 150, totalCost: 0.0042 },
    ],
    totals: {},
  });
  assert.deepEqual(days[1], {
    day: "2026-12-02",
    tokens: { input: 120, output: 30, total: 150 },
    costUsd: 0.0042,
  });
  assert.throws(() => parseUsageCost({}), /without a daily list/);
  assert.throws(() => parseUsageCost({ daily: [{ date: "yesterday" }] }), /YYYY-MM-DD/);
  assert.throws(
    () => parseUsageCost({ daily: [{ date: "2026-12-02", input: "1" }] }),
    /input that is not a number/,
  );
});
