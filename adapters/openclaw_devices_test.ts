import assert from "node:assert/strict";
import {
  decideOpenClawDevice,
  listOpenClawDevices,
  openClawOwnerLink,
  pairingRpcCommand,
} from "./openclaw_devices.ts";
import { NotFoundError, UnavailableError, ValidationError } from "../core/errors.ts";

const exec = (stdout: string, exitCode = 0) => {
  const calls: string[][] = [];
  const fn = (command: string[]) => {
    calls.push(command);
    return Promise.resolve({ exitCode, stdout, stderr: "" });
  };
  return Object.assign(fn, { calls });
};

Deno.test("pairingRpcCommand() carries the config path, method and params, never a token", () => {
  const command = pairingRpcCommand("/home/node/.openclaw", "device.pair.approve", {
    requestId: "r-1",
  });
  assert.equal(command[0], "node");
  assert.equal(command[1], "-e");
  assert.deepEqual(command.slice(3), [
    "/home/node/.openclaw/openclaw.json",
    "device.pair.approve",
    '{"requestId":"r-1"}',
  ]);
  assert.match(command[2]!, /gateway-client/);
  assert.match(command[2]!, /operator\.admin/);
});

Deno.test("listOpenClawDevices() maps the gateway's records", async () => {
  const run = exec(JSON.stringify({
    ok: true,
    payload: {
      pending: [{
        requestId: "7b0c3f6e-1111-4222-8333-944455556666",
        deviceId: "dev1",
        clientId: "openclaw-control-ui",
        browserOrigin: "https://a.b.test",
        remoteIp: "10.99.1.1",
        scopes: ["operator.admin"],
        ts: 1_700_000_000_000,
      }],
      paired: [{ deviceId: "dev0", clientId: "openclaw-control-ui", connected: true }],
    },
  }));
  const found = await listOpenClawDevices(run, "/state");
  assert.equal(found.pending[0]?.client, "openclaw-control-ui");
  assert.equal(found.pending[0]?.requestedAt, "2023-11-14T22:13:20.000Z");
  assert.equal(found.pending[0]?.address, "10.99.1.1");
  assert.deepEqual(found.paired.map((d) => [d.deviceId, d.connected]), [["dev0", true]]);
  assert.equal(run.calls[0]?.[3], "/state/openclaw.json");
});

Deno.test("pairing errors: unknown request 404, gateway down 503, bad id 400", async () => {
  await assert.rejects(
    decideOpenClawDevice(
      exec(
        JSON.stringify({
          ok: false,
          error: { code: "INVALID_REQUEST", message: "unknown requestId" },
        }),
      ),
      "/s",
      "7b0c3f6e-1111-4222-8333-944455556666",
      true,
    ),
    NotFoundError,
  );
  await assert.rejects(
    listOpenClawDevices(
      exec(JSON.stringify({ ok: false, error: { code: "UNAVAILABLE", message: "x" } })),
      "/s",
    ),
    UnavailableError,
  );
  await assert.rejects(listOpenClawDevices(exec("node: not found", 127), "/s"), UnavailableError);
  await assert.rejects(decideOpenClawDevice(exec("{}"), "/s", "a b;rm", true), ValidationError);
});

Deno.test("openClawOwnerLink() rebuilds the handoff on the pod's public origin", async () => {
  const run = exec(
    "Dashboard\n" + JSON.stringify({
      ok: true,
      browserUrl:
        "http://127.0.0.1:18789/#bootstrapToken=bt-123&bootstrapProfile=owner&gatewayUrl=ws%3A%2F%2F127.0.0.1%3A18789",
      browserBootstrapExpiresAtMs: 1_700_000_600_000,
    }),
  );
  const link = await openClawOwnerLink(run, "https://aria.acme.agents.test");
  const url = new URL(link.url);
  assert.equal(url.origin, "https://aria.acme.agents.test");
  const fragment = new URLSearchParams(url.hash.slice(1));
  assert.equal(fragment.get("bootstrapToken"), "bt-123");
  assert.equal(fragment.get("bootstrapProfile"), "owner");
  assert.equal(fragment.get("gatewayUrl"), "wss://aria.acme.agents.test");
  assert.equal(link.expiresAt, "2023-11-14T22:23:20.000Z");
  await assert.rejects(
    openClawOwnerLink(exec(JSON.stringify({ ok: false, reason: "no gateway" })), "https://x"),
    /no gateway/,
  );
});
