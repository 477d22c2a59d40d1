/**
 * The OpenClaw health probe: `/readyz` first (cheap, no auth), then the gateway's own
 * WebSocket `connect` handshake (protocol v4) with the pod's token, which proves the
 * gateway serves clients rather than only HTML. It sends exactly one token per probe
 * and never retries: the gateway locks out a source address after ~10 auth failures,
 * and every probe arrives from 127.0.0.1. The socket is always closed.
 *
 * Every probe request carries `X-Forwarded-For: 192.0.2.1`. The probe reaches the
 * gateway through the port published on the host, so it arrives from the tenant
 * network's gateway address, which the rendered config trusts as a proxy (Traefik
 * arrives the same way); a trusted proxy's request without a forwarded client is
 * unattributable and refused. 192.0.2.1 (TEST-NET-1, RFC 5737) is never a real client,
 * so the probe also gets its own auth rate-limit bucket.
 * @module
 */
import type { ProbeContext, ProbeResult } from "../core/adapter.ts";
import { errorMessage } from "../core/errors.ts";

/** How long one probe may take, both steps together. */
export const OPENCLAW_PROBE_TIMEOUT_MS = 8_000;

/** The client address the probe says it forwards (TEST-NET-1: never a real client). */
export const PROBE_FORWARDED_FOR = "192.0.2.1";

// The web API's and npm `ws`'s event types differ; handlers read only what both have.
// deno-lint-ignore no-explicit-any
type Handler = ((event: any) => void) | null;

/** The part of the WebSocket API the handshake uses (the web API, or npm `ws`). */
export interface HandshakeSocket {
  readonly readyState: number;
  onmessage: Handler;
  onerror: Handler;
  onclose: Handler;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

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
  // A gateway AgentPod rendered trusts the address the probe arrives from as a proxy
  // and wants a forwarded client; one made by hand trusts none and refuses the header.
  const headers: Record<string, string> = context.direct
    ? {}
    : { "x-forwarded-for": PROBE_FORWARDED_FOR };
  const notReady = await checkReadyz(context.baseUrl, headers, signal, context.signal, timeoutMs);
  if (notReady) return notReady;
  const url = new URL(context.baseUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = "/";
  return await openClawHandshake({
    open: () => new DenoWebSocket(url, { headers }),
    token: context.token,
    signal,
    callerSignal: context.signal,
    timeoutMs,
  });
}

async function checkReadyz(
  baseUrl: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  callerSignal: AbortSignal,
  timeoutMs: number,
): Promise<ProbeResult | undefined> {
  let response: Response;
  try {
    response = await fetch(new URL("/readyz", baseUrl), { signal, headers });
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

/** What one `connect` handshake needs. */
export interface HandshakeOptions {
  /** Opens the WebSocket (the gateway's root path). */
  open(): HandshakeSocket;
  /** The gateway token. */
  token: string;
  /** Ends the handshake (the caller's signal and the timeout together). */
  signal: AbortSignal;
  /** The caller's own signal, to tell a cancel from a timeout. */
  callerSignal?: AbortSignal;
  /** The timeout behind `signal`, for the message. */
  timeoutMs: number;
}

/**
 * The gateway's `connect` handshake: wait for `connect.challenge`, send `connect` with
 * the token, read the answer (`hello-ok` means ready), close. Resolves, never rejects.
 */
export function openClawHandshake(options: HandshakeOptions): Promise<ProbeResult> {
  const { signal, timeoutMs } = options;
  const callerSignal = options.callerSignal ?? new AbortController().signal;
  const requestId = crypto.randomUUID();
  return new Promise((resolve) => {
    let result: ProbeResult | undefined;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    let socket: HandshakeSocket;
    try {
      socket = options.open();
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
      if (socket.readyState === CLOSED) return done();
      if (socket.readyState !== CLOSING) socket.close(1000, "probe done");
      graceTimer ??= setTimeout(done, CLOSE_GRACE_MS);
    };
    const onAbort = () => finish(aborted(callerSignal, timeoutMs));
    signal.addEventListener("abort", onAbort, { once: true });

    socket.onmessage = (event: { data: unknown }) => {
      const frame = parseFrame(event.data);
      if (frame?.type === "event" && frame.event === "connect.challenge") {
        socket.send(JSON.stringify(connectRequest(requestId, options.token)));
      } else if (frame?.type === "res" && frame.id === requestId) {
        finish(readConnectAnswer(frame));
      }
    };
    socket.onerror = (event: { message?: unknown } | null) => {
      const message = event?.message;
      const detail = typeof message === "string" && message !== "" ? message : "connection failed";
      finish({ healthy: false, message: `Gateway WebSocket failed: ${detail}` });
    };
    socket.onclose = (event: { code: number; reason: string }) => {
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

/**
 * Deno's WebSocket accepts request headers as a second argument; the DOM typing of
 * the constructor (in scope with the dashboard's JSX types) does not know it.
 */
export const DenoWebSocket = WebSocket as unknown as new (
  url: URL,
  options: { headers: HeadersInit },
) => WebSocket;

// WebSocket readyState values (the same in the web API and in npm `ws`).
const CLOSING = 2;
const CLOSED = 3;

/** The `connect` request of protocol v4, as a probe client (FACTS.md). */
export function connectRequest(id: string, token: string): Record<string, unknown> {
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

/** A gateway protocol frame (the fields read). */
export interface Frame {
  type?: unknown;
  id?: unknown;
  event?: unknown;
  ok?: unknown;
  payload?: { type?: unknown; protocol?: unknown; server?: { version?: unknown } };
  error?: { code?: unknown; message?: unknown; retryAfterMs?: unknown };
}

/** A frame of the gateway's protocol, or undefined when `data` is not one. */
export function parseFrame(data: unknown): Frame | undefined {
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
