/**
 * Device pairing and the owner link of an OpenClaw gateway, from AgentPod.
 *
 * Pairing: the gateway's own RPC (`device.pair.list|approve|reject`, scope
 * operator.pairing, and operator.admin to approve a browser's scopes). A token-only
 * WebSocket client from outside the container has its scopes cleared (it has no device
 * identity), so the call is made from inside: a few lines of Node (the image's, with its
 * built-in WebSocket) connect over loopback as the gateway's own backend client, which
 * keeps its scopes, make one request and print the answer. That skips the OpenClaw CLI's
 * start-up (seconds per call); the token is read from the gateway's config file inside
 * the container, so no secret is on a command line.
 *
 * The owner link: `openclaw dashboard --json` mints a one-time bootstrap token (owner
 * profile, 10 minutes) in the gateway's state; its `browserUrl` points at loopback, so
 * the link is rebuilt on the pod's public origin with the same fragment parameters. A
 * browser that opens it is paired silently as the owner.
 * @module
 */
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from "../core/errors.ts";
import type { AgentExec, DevicePairing, OwnerLink } from "../core/adapter.ts";

/** What a pairing request id looks like (a UUID in 2026.9.6). */
const REQUEST_ID = /^[A-Za-z0-9-]{8,80}$/;

/** How long one pairing call may take inside the container. */
const RPC_TIMEOUT_MS = 10_000;

/** The script run by `node -e`: argv = config path, method, params JSON. */
const RPC_SCRIPT = `
const fs = require("node:fs");
const [path, method, params] = process.argv.slice(1);
const done = (answer) => { process.stdout.write(JSON.stringify(answer)); process.exit(0); };
let config;
try { config = JSON.parse(fs.readFileSync(path, "utf8")); }
catch (e) { done({ ok: false, error: { code: "CONFIG", message: String(e && e.message || e) } }); }
const token = (config.gateway && config.gateway.auth && config.gateway.auth.token) || process.env.OPENCLAW_GATEWAY_TOKEN;
if (typeof token !== "string") done({ ok: false, error: { code: "CONFIG", message: "no gateway token in the config" } });
const port = (config.gateway && config.gateway.port) || 18789;
setTimeout(() => done({ ok: false, error: { code: "TIMEOUT", message: "no answer in ${RPC_TIMEOUT_MS} ms" } }), ${RPC_TIMEOUT_MS});
const ws = new WebSocket("ws://127.0.0.1:" + port);
ws.onerror = () => done({ ok: false, error: { code: "UNAVAILABLE", message: "cannot connect to the gateway" } });
ws.onmessage = (m) => {
  const msg = JSON.parse(String(m.data));
  if (msg.type === "event" && msg.event === "connect.challenge") {
    ws.send(JSON.stringify({ type: "req", id: "connect", method: "connect", params: {
      minProtocol: 4, maxProtocol: 4, role: "operator", scopes: ["operator.admin"], caps: [],
      client: { id: "gateway-client", version: "1.0.0", platform: "linux", mode: "backend" },
      auth: { token } } }));
  } else if (msg.type === "res" && msg.id === "connect") {
    if (!msg.ok) done(msg);
    ws.send(JSON.stringify({ type: "req", id: "call", method, params: JSON.parse(params) }));
  } else if (msg.type === "res" && msg.id === "call") done(msg);
};
`;

/** The exec command of one pairing RPC (exported for the benchmark). */
export function pairingRpcCommand(
  stateDir: string,
  method: string,
  params: Record<string, unknown>,
): string[] {
  return ["node", "-e", RPC_SCRIPT, `${stateDir}/openclaw.json`, method, JSON.stringify(params)];
}

interface RpcAnswer {
  ok: boolean;
  payload?: unknown;
  error?: { code?: string; message?: string };
}

async function rpc(
  exec: AgentExec,
  stateDir: string,
  method: string,
  params: Record<string, unknown>,
): Promise<unknown> {
  const out = await exec(pairingRpcCommand(stateDir, method, params));
  let answer: RpcAnswer;
  try {
    answer = JSON.parse(out.stdout) as RpcAnswer;
  } catch {
    throw new UnavailableError(
      `The gateway's ${method} did not answer (exit ${out.exitCode}): ${
        (out.stderr || out.stdout).trim().slice(-200) || "no output"
      }`,
    );
  }
  if (answer.ok) return answer.payload;
  const message = answer.error?.message ?? "failed";
  if (/unknown requestId/i.test(message)) {
    throw new NotFoundError(`No pending pairing request with that id (it may have expired)`);
  }
  if (answer.error?.code === "UNAVAILABLE" || answer.error?.code === "TIMEOUT") {
    throw new UnavailableError(`The gateway is not answering: ${message}`);
  }
  throw new ConflictError(`The gateway refused ${method}: ${message}`);
}

type Row = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" ? v : null);
const iso = (v: unknown) => (typeof v === "number" ? new Date(v).toISOString() : null);
const list = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === "string") : []);

/** Paired devices and pending requests, in AgentPod's shape. */
export async function listOpenClawDevices(
  exec: AgentExec,
  stateDir: string,
): Promise<DevicePairing> {
  const payload = ((await rpc(exec, stateDir, "device.pair.list", {})) ?? {}) as {
    pending?: Row[];
    paired?: Row[];
  };
  return {
    // An id that is not one never reaches a form (the agent's answer is not trusted).
    pending: (payload.pending ?? []).filter((p) => REQUEST_ID.test(String(p.requestId))).map((
      p,
    ) => ({
      requestId: String(p.requestId),
      deviceId: String(p.deviceId ?? ""),
      name: str(p.displayName),
      platform: str(p.platform),
      client: str(p.clientId),
      origin: str(p.browserOrigin),
      address: str(p.remoteIp),
      role: str(p.role),
      scopes: list(p.scopes),
      requestedAt: iso(p.ts),
    })),
    paired: (payload.paired ?? []).map((d) => ({
      deviceId: String(d.deviceId ?? ""),
      name: str(d.displayName) ?? str(d.label),
      platform: str(d.platform),
      client: str(d.clientId),
      role: str(d.role),
      roles: list(d.roles),
      connected: d.connected === true,
      approvedAt: iso(d.approvedAtMs ?? d.createdAtMs),
    })),
  };
}

/** Approves or rejects a pending request. */
export async function decideOpenClawDevice(
  exec: AgentExec,
  stateDir: string,
  requestId: string,
  approve: boolean,
): Promise<void> {
  if (!REQUEST_ID.test(requestId)) {
    throw new ValidationError(`Invalid pairing request id "${requestId}"`);
  }
  await rpc(exec, stateDir, approve ? "device.pair.approve" : "device.pair.reject", {
    requestId,
  });
}

/** `openclaw dashboard --json`, the CLI call that mints the owner handoff. */
export const DASHBOARD_COMMAND = ["node", "openclaw.mjs", "dashboard", "--json", "--no-open"];

/** A one-time owner link to the Control UI on `origin` (`https://<pod host>`). */
export async function openClawOwnerLink(exec: AgentExec, origin: string): Promise<OwnerLink> {
  const out = await exec(DASHBOARD_COMMAND);
  let answer: {
    ok?: boolean;
    browserUrl?: string;
    browserBootstrapExpiresAtMs?: number;
    reason?: string;
  };
  try {
    answer = JSON.parse(out.stdout.slice(out.stdout.indexOf("{")));
  } catch {
    throw new UnavailableError(
      `openclaw dashboard did not answer (exit ${out.exitCode}): ${
        (out.stderr || out.stdout).trim().slice(-200) || "no output"
      }`,
    );
  }
  if (!answer.ok || !answer.browserUrl) {
    throw new UnavailableError(`openclaw dashboard gave no link: ${answer.reason ?? "no reason"}`);
  }
  let fragment: URLSearchParams;
  try {
    fragment = new URLSearchParams(new URL(answer.browserUrl).hash.slice(1));
  } catch {
    throw new UnavailableError("openclaw dashboard gave a link that is not a URL");
  }
  const bootstrapToken = fragment.get("bootstrapToken");
  if (!bootstrapToken) throw new UnavailableError("openclaw dashboard gave no bootstrap token");
  const wsOrigin = origin.replace(/^http/, "ws");
  const params = new URLSearchParams({
    bootstrapToken,
    bootstrapProfile: fragment.get("bootstrapProfile") ?? "owner",
    gatewayUrl: wsOrigin,
  });
  return {
    url: `${origin}/#${params}`,
    expiresAt: iso(answer.browserBootstrapExpiresAtMs),
  };
}
