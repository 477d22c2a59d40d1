/**
 * Webhook signing and sending as the Standard Webhooks specification says, with its own
 * npm package: `webhook-id`, `webhook-timestamp` (seconds) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), secrets as `whsec_<base64>`.
 * @module
 */
import { Webhook } from "standardwebhooks";
import { encodeBase64 } from "./secrets.ts";
import type { WebhookPost } from "../core/alert_sender.ts";
import { errorMessage } from "../core/errors.ts";

/** A new signing secret: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${encodeBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** The three signature headers for one message. */
export function signWebhook(
  secret: string,
  id: string,
  timestamp: Date,
  body: string,
): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, timestamp, body),
  };
}

/** Checks a received message's signature; throws when it does not verify. */
export function verifyWebhook(secret: string, body: string, headers: Record<string, string>) {
  return new Webhook(secret).verify(body, headers);
}

/**
 * One POST, signed, with a timeout. Redirects are not followed (a 3xx is a failed
 * attempt). The answer's body is read and dropped.
 */
export const postWebhook: WebhookPost = async (request) => {
  try {
    const res = await fetch(request.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "AgentPod-Webhooks/1",
        ...signWebhook(request.secret, request.id, request.timestamp, request.body),
      },
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    await res.body?.cancel();
    return { status: res.status };
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return {
      status: null,
      error: timedOut
        ? `No answer within ${request.timeoutMs} ms`
        : `Cannot reach ${new URL(request.url).host}: ${errorMessage(error)}`,
    };
  }
};
