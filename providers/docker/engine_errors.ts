/**
 * Maps what goes wrong talking to the Docker Engine onto AgentPod's error classes:
 * connection failures become `UnavailableError` naming the host, error statuses become
 * `NotFoundError` (404), `ConflictError` (409) or `DockerApiError`. Pure: no I/O.
 * @module
 */
import {
  type AgentPodError,
  ConflictError,
  DockerApiError,
  NotFoundError,
  UnavailableError,
} from "../../core/errors.ts";

/** Structured detail attached to every error built from an engine response. */
export interface EngineErrorDetails {
  /** The HTTP status the engine answered with. */
  status: number;
  /** The engine's own `message` text. */
  engineMessage: string;
}

/**
 * Builds the error for an engine response with status >= 400. The engine's `message`
 * is always kept; `context` (e.g. `Cannot pull image "x"`) replaces the `Docker`
 * prefix when the engine's text alone would not say what failed.
 */
export function engineError(status: number, body: string, context?: string): AgentPodError {
  const engineMessage = engineMessageOf(body) || `HTTP status ${status}`;
  const message = `${context ?? "Docker"}: ${engineMessage}`;
  const details: EngineErrorDetails = { status, engineMessage };
  const apiError = new DockerApiError(status, message, { details });
  if (status === 404) return new NotFoundError(message, { cause: apiError, details });
  if (status === 409) return new ConflictError(message, { cause: apiError, details });
  return apiError;
}

/** The engine's `message` field from an error body, or the trimmed text if not JSON. */
export function engineMessageOf(body: string): string {
  const text = body.trim();
  if (text.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === "object" && "message" in parsed) {
        const message = (parsed as { message: unknown }).message;
        if (typeof message === "string") return message.trim();
      }
    } catch {
      // Not JSON after all: fall through and report the raw text.
    }
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** The `UnavailableError` for a request that never got an answer from `host`. */
export function unreachableError(host: string, error: unknown): UnavailableError {
  return new UnavailableError(
    `Cannot reach Docker Engine at "${host}": ${connectionReason(error)}`,
    { cause: error, details: { host } },
  );
}

/**
 * The most specific reason in an error's cause chain. Deno wraps socket errors as
 * `fetch failed` → `error sending request for url (…): client error (Connect): <os
 * error>`; the OS error is what an operator needs, so the wrappers are stripped.
 */
export function connectionReason(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current.message) message = current.message;
    current = current.cause;
  }
  return message
    .replace(/^error sending request for url \([^)]*\): /, "")
    .replace(/^client error \(Connect\): /, "")
    .trim() || "unknown error";
}
