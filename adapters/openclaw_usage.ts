/**
 * An OpenClaw gateway's own token and cost counters (`usage.cost`, scope operator.read)
 * over its WebSocket, through the pod's published port like the probe.
 *
 * A client with the token only has its scopes cleared when it does not connect from
 * inside the container; a client that signs the connect with a device key keeps the
 * scopes its device was approved for. So AgentPod connects as a device (the control
 * plane's one Ed25519 key) asking for exactly operator.read; the first time, the gateway
 * answers NOT_PAIRED with a request id, which AgentPod approves once through the
 * in-container pairing RPC, then connects again. The pairing lives in the agent's state.
 * @module
 */
import type { AgentUsageContext, AgentUsageDay } from "../core/adapter.ts";
import { UnavailableError } from "../core/errors.ts";
import { encodeBase64 } from "../providers/secrets.ts";
import { DenoWebSocket, parseFrame, PROBE_FORWARDED_FOR } from "./openclaw_probe.ts";

const CLIENT = {
  id: "gateway-client",
  version: "1.0.0",
  platform: "linux",
  mode: "backend",
  displayName: "AgentPod control plane",
};
const ROLE = "operator";
const SCOPES = ["operator.read"];

/** base64url without padding. */
function base64url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The signed `connect` of a device (protocol v4; the payload layout the gateway checks). */
export async function deviceConnect(
  context: Pick<AgentUsageContext, "identity" | "token">,
  nonce: string,
  id: string,
  signedAt: number,
): Promise<Record<string, unknown>> {
  const deviceId = await hex(context.identity.publicKey);
  const payload = [
    "v3",
    deviceId,
    CLIENT.id,
    CLIENT.mode,
    ROLE,
    SCOPES.join(","),
    String(signedAt),
    context.token,
    nonce,
    CLIENT.platform,
    "",
  ].join("|");
  const signature = await context.identity.sign(new TextEncoder().encode(payload));
  return {
    type: "req",
    id,
    method: "connect",
    params: {
      minProtocol: 4,
      maxProtocol: 4,
      client: CLIENT,
      role: ROLE,
      scopes: SCOPES,
      caps: [],
      auth: { token: context.token },
      device: {
        id: deviceId,
        publicKey: base64url(context.identity.publicKey),
        signature: base64url(signature),
        signedAt,
        nonce,
      },
    },
  };
}

/** One day of `usage.cost`'s `daily` (the fields read). */
interface DailyCost {
  date?: unknown;
  input?: unknown;
  output?: unknown;
  totalTokens?: unknown;
  totalCost?: unknown;
}

/** `usage.cost`'s answer as AgentPod's days; throws on a shape it does not know. */
export function parseUsageCost(payload: unknown): AgentUsageDay[] {
  const daily = (payload as { daily?: unknown } | null)?.daily;
  if (!Array.isArray(daily)) throw new Error("usage.cost answered without a daily list");
  const n = (v: unknown, what: string) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new Error(`usage.cost answered a ${what} that is not a number: ${JSON.stringify(v)}`);
    }
    return v;
  };
  return (daily as DailyCost[]).map((d) => {
    if (typeof d.date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(d.date)) {
      throw new Error(
        `usage.cost answered a day that is not YYYY-MM-DD: ${JSON.stringify(d.date)}`,
      );
    }
    return {
      day: d.date,
      tokens: {
        input: n(d.input, "input"),
        output: n(d.output, "output"),
        total: n(d.totalTokens, "totalTokens"),
      },
      costUsd: n(d.totalCost, "totalCost"),
    };
  });
}

/** The frames this client reads. */
interface UsageFrame {
  type?: unknown;
  id?: unknown;
  event?: unknown;
  ok?: unknown;
  payload?: { nonce?: unknown };
  error?: { code?: unknown; message?: unknown; details?: { requestId?: unknown } };
}

/** What one connection came to. */
type Outcome =
  | { kind: "days"; days: AgentUsageDay[] }
  | { kind: "pairing"; requestId: string };

/** The gateway's counters for the last `days` UTC days (today included). */
export async function openClawUsage(
  context: AgentUsageContext,
  days = 3,
): Promise<AgentUsageDay[]> {
  const first = await session(context, days);
  if (first.kind === "days") return first.days;
  await context.approve(first.requestId);
  // The approval (an RPC inside the container) may have used the caller's time up.
  const again = await session({ ...context, signal: AbortSignal.timeout(10_000) }, days);
  if (again.kind === "days") return again.days;
  throw new UnavailableError("The gateway still asks to pair AgentPod after its approval");
}

function session(context: AgentUsageContext, days: number): Promise<Outcome> {
  const url = new URL(context.baseUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = "/";
  const headers: Record<string, string> = context.direct
    ? {}
    : { "x-forwarded-for": PROBE_FORWARDED_FOR };
  const today = new Date();
  const start = new Date(today.getTime() - (days - 1) * 86_400_000);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  if (context.signal.aborted) {
    return Promise.reject(new UnavailableError("The gateway's usage.cost did not answer in time"));
  }
  return new Promise((resolve, reject) => {
    const ws = new DenoWebSocket(url, { headers });
    let settled = false;
    const end = (fn: () => void) => {
      if (settled) return;
      settled = true;
      context.signal.removeEventListener("abort", onAbort);
      fn();
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
        ws.close(1000, "done");
      }
    };
    const onAbort = () =>
      end(() => reject(new UnavailableError("The gateway's usage.cost did not answer in time")));
    context.signal.addEventListener("abort", onAbort, { once: true });
    ws.onerror = () => end(() => reject(new UnavailableError("Gateway WebSocket failed")));
    ws.onclose = (event) =>
      end(() => reject(new UnavailableError(`Gateway closed the WebSocket (code ${event.code})`)));
    ws.onmessage = async (event) => {
      const frame = parseFrame(event.data) as UsageFrame | undefined;
      if (!frame) return;
      try {
        if (frame.type === "event" && frame.event === "connect.challenge") {
          const nonce = String(frame.payload?.nonce ?? "");
          ws.send(JSON.stringify(await deviceConnect(context, nonce, "connect", Date.now())));
        } else if (frame.type === "res" && frame.id === "connect") {
          if (frame.ok === true) {
            ws.send(JSON.stringify({
              type: "req",
              id: "usage",
              method: "usage.cost",
              params: { startDate: day(start), endDate: day(today) },
            }));
            return;
          }
          const requestId = frame.error?.details?.requestId;
          if (frame.error?.code === "NOT_PAIRED" && typeof requestId === "string") {
            end(() => resolve({ kind: "pairing", requestId }));
            return;
          }
          end(() =>
            reject(
              new UnavailableError(
                `Gateway refused AgentPod's connect (${String(frame.error?.code)}: ${
                  String(frame.error?.message ?? "")
                })`,
              ),
            )
          );
        } else if (frame.type === "res" && frame.id === "usage") {
          if (frame.ok !== true) {
            end(() =>
              reject(
                new UnavailableError(
                  `usage.cost failed (${String(frame.error?.code)}: ${
                    String(frame.error?.message ?? "")
                  })`,
                ),
              )
            );
            return;
          }
          const parsed = parseUsageCost(frame.payload);
          end(() => resolve({ kind: "days", days: parsed }));
        }
      } catch (error) {
        end(() => reject(error));
      }
    };
  });
}
