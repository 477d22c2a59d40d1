/**
 * The one place where errors become HTTP responses: `{error:{code,message,details}}`
 * with the status the error class calls for. Unknown errors are 500 with a generic
 * message (the detail goes to the log, never to the client).
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  AgentPodError,
  AuthError,
  ConflictError,
  DockerApiError,
  ForbiddenError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from "../core/errors.ts";
import type { Logger } from "../providers/log.ts";

/** The HTTP status for an error. */
export function statusOf(error: unknown): ContentfulStatusCode {
  if (error instanceof ValidationError) return 400;
  if (error instanceof AuthError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof UnavailableError) return 503;
  if (error instanceof DockerApiError) return 502;
  return 500;
}

/** A Hono `onError` handler that maps errors and logs the unexpected ones. */
export function errorHandler(log: Logger) {
  return (error: Error, c: Context) => {
    const status = statusOf(error);
    if (error instanceof AgentPodError) {
      return c.json(
        { error: { code: error.code, message: error.message, details: error.details } },
        status,
      );
    }
    log.error("request failed", { path: c.req.path, error });
    return c.json({ error: { code: "internal", message: "Internal error" } }, 500);
  };
}
