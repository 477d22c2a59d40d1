/**
 * Builds the HTTP application: every route family mounted on one Hono app with the
 * central error mapping. Routes do I/O and presentation only.
 * @module
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "../providers/log.ts";
import { errorHandler } from "./errors.ts";
import { healthRoutes, type ReadinessCheck } from "./health.ts";

/** What the HTTP layer needs from the rest of the process. */
export interface AppDeps {
  /** Structured logger. */
  log: Logger;
  /** Dependency checks behind `/readyz`. */
  readiness: Record<string, ReadinessCheck>;
  /** The `/api/v1` routes, when the control plane is fully wired. */
  api?: Hono;
  /** Traefik's HTTP provider endpoint. */
  traefik?: Hono;
  /** `/metrics` (Prometheus). */
  metrics?: Hono;
  /** The dashboard pages, forms and streams at `/` (each needs a session). */
  dashboard?: Hono;
}

/** Largest request body of any route (a pod config with its files fits many times). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Largest body of the sign-in form, which anyone can post. */
export const MAX_LOGIN_BODY_BYTES = 16 * 1024;

/** A body limit that answers 413 in the API's error shape. */
function limit(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: (c) =>
      c.json({
        error: {
          code: "too_large",
          message: `Request body too large: the limit is ${maxSize} bytes`,
        },
      }, 413),
  });
}

/** The control plane's HTTP application. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(errorHandler(deps.log));
  app.use("/login", limit(MAX_LOGIN_BODY_BYTES));
  app.use("*", limit(MAX_BODY_BYTES));
  app.route("/", healthRoutes(deps.readiness));
  if (deps.api) app.route("/api/v1", deps.api);
  if (deps.traefik) app.route("/", deps.traefik);
  if (deps.metrics) app.route("/", deps.metrics);
  if (deps.dashboard) app.route("/", deps.dashboard);
  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `No route for "${c.req.path}"` } }, 404)
  );
  return app;
}
