/**
 * The OpenClaw health probe: `/readyz` first (cheap, no auth), then the gateway's own
 * WebSocket `connect` handshake (protocol v4) with the pod's token, which proves the
 * gateway serves clients rather than only HTML. It sends exactly one token per probe
 * and never retries: the gateway locks out a source address after ~10 auth failures,
 * and every probe arrives from 127.0.0.1. The socket is always closed.
 * @module
 */
import type { ProbeContext, ProbeResult } from "../core/adapter.ts";
import { errorMessage } from "../core/errors.ts";

/** How long one probe may take, both steps together. */
export const OPENCLAW_PROBE_TIMEOUT_MS = 8_000;

// After we close, the server's close frame normally arrives within milliseconds.
const CLOSE_GRACE_MS = 1_000;

/** Probes an OpenClaw gateway; resolves (never rejects) with what it saw. */
export async function probeOpenClaw(
  context: ProbeContext,
  timeoutMs: number = OPENCLAW_PROBE_TIMEOUT_MS,
): Promise<ProbeResult> {
  if (context.token === "") {
    return { healthy: false, message: "No gateway token to probe with" };
  }
  const signal = AbortSignal.any([context.signal, AbortSignal.timeout(timeoutMs)]);
  const notReady = await checkReadyz(context.baseUrl, signal, context.signal, timeoutMs);
  if (notReady) return notReady;
  return await handshake(context, signal, timeoutMs);
}

async function checkReadyz(
  baseUrl: string,
  signal: AbortSignal,
  callerSignal: AbortSignal,
  timeoutMs: number,
): Promise<ProbeResult | undefined> {
  let response: Response;
  try {
    response = await fetch(new URL("/readyz", baseUrl), { signal });
  } catch (error) {
    if (signal.aborted) return aborted(callerSignal, timeoutMs);
    // Until the gateway listens, the published port accepts and resets connections.
    return {
      healthy: false,
      starting: true,
      message: `Gateway is not accepting connections yet: ${errorMessage(error)}`,
    };
  }
  const body = await response.text().catch(() => "");
  if (response.status === 200) return undefined;
  if (response.status === 503) {
    return { healthy: false, starting: true, message: "Gateway is starting: /readyz answered 503" };
  }
  return {
    healthy: false,
    message: `Gateway /readyz answered ${response.status}: ${body.slice(0, 200).trim()}`,
  };
}

function handshake(
  context: ProbeContext,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<ProbeResult> {
  const url = new URL(context.baseUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = "/";
  const requestId = crypto.randomUUID();
  return new Promise((resolve) => {
    let result: ProbeResult | undefined;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      resolve({
        healthy: false,
        message: `Cannot open the gateway WebSocket: ${errorMessage(error)}`,
      });
      return;
    }
    const done = () => {
      clearTimeout(graceTimer);
      signal.removeEventListener("abort", onAbort);
      resolve(result ?? { healthy: false, message: "Gateway closed the WebSocket" });
    };
    const finish = (outcome: ProbeResult) => {
      result ??= outcome;
      if (socket.readyState === WebSocket.CLOSED) return done();
      if (socket.readyState !== WebSocket.CLOSING) socket.close(1000, "probe done");
      graceTimer ??= setTimeout(done, CLOSE_GRACE_MS);
    };
    const onAbort = () => finish(aborted(context.signal, timeoutMs));
    signal.addEventListener("abort", onAbort, { once: true });

    socket.onmessage = (event) => {
      const frame = parseFrame(event.data);
      if (frame?.type === "event" && frame.event === "connect.challenge") {
        socket.send(JSON.stringify(connectRequest(requestId, context.token)));
      } else if (frame?.type === "res" && frame.id === requestId) {
        finish(readConnectAnswer(frame));
      }
    };
    socket.onerror = (event) => {
      const detail = event instanceof ErrorEvent ? event.message : "connection failed";
      finish({ healthy: false, message: `Gateway WebSocket failed: ${detail}` });
    };
    socket.onclose = (event) => {
      result ??= {
        healthy: false,
        message: `Gateway closed the WebSocket before answering connect (code ${event.code}${
          event.reason ? `: ${event.reason}` : ""
        })`,
      };
      done();
    };
  });
}

/** The `connect` request of protocol v4, as a probe client (FACTS.md). */
function connectRequest(id: string, token: string): Record<string, unknown> {
  return {
    type: "req",
    id,
    method: "connect",
    params: {
      minProtocol: 4,
      maxProtocol: 4,
      client: { id: "openclaw-probe", version: "1.0.0", platform: "linux", mode: "probe" },
      role: "operator",
      scopes: [],
      caps: [],
      auth: { token },
    },
  };
}

interface Frame {
  type?: unknown;
  id?: unknown;
  event?: unknown;
  ok?: unknown;
  payload?: { type?: unknown; protocol?: unknown; server?: { version?: unknown } };
  error?: { code?: unknown; message?: unknown; retryAfterMs?: unknown };
}

function parseFrame(data: unknown): Frame | undefined {
  if (typeof data !== "string") return undefined;
  try {
    const frame = JSON.parse(data);
    return frame !== null && typeof frame === "object" ? frame as Frame : undefined;
  } catch {
    return undefined;
  }
}

function readConnectAnswer(frame: Frame): ProbeResult {
  if (frame.ok === true && frame.payload?.type === "hello-ok") {
    const version = String(frame.payload.server?.version ?? "unknown");
    return {
      healthy: true,
      message: `Gateway is ready (OpenClaw ${version}, protocol ${frame.payload.protocol})`,
    };
  }
  if (frame.ok === true) {
    return { healthy: false, message: `Gateway answered connect with "${frame.payload?.type}"` };
  }
  const code = String(frame.error?.code ?? "unknown");
  const detail = typeof frame.error?.message === "string" ? `: ${frame.error.message}` : "";
  if (code === "UNAVAILABLE") {
    return { healthy: false, starting: true, message: `Gateway is starting (${code}${detail})` };
  }
  return { healthy: false, message: `Gateway refused connect (${code}${detail})` };
}

function aborted(callerSignal: AbortSignal, timeoutMs: number): ProbeResult {
  return callerSignal.aborted
    ? { healthy: false, message: "Probe was cancelled" }
    : { healthy: false, message: `Gateway did not answer within ${timeoutMs} ms` };
}
