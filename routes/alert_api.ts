/**
 * The alert routes of `/api/v1` (docs/api.md): webhook endpoints (admin), a test message,
 * and the alerts raised with their deliveries. Control-plane wide: a tenant-scoped token
 * reaches none of them.
 * @module
 */
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { Permission } from "../core/access.ts";
import type { AlertService } from "../core/alert_service.ts";
import { ALERT_TYPES } from "../core/alerts.ts";

/** The guards of `apiRoutes` the alert routes use. */
export interface AlertRouteGuards {
  global(need: Permission, handler: (c: Context) => Promise<Response>): (
    c: Context,
  ) => Promise<Response>;
  parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T;
  jsonBody(c: Context): Promise<unknown>;
}

/** Request bodies and queries of the alert routes (also in the OpenAPI document). */
export const ALERT_SCHEMAS = {
  endpoint: z.strictObject({
    url: z.string().min(1).describe("http(s) URL the alerts are POSTed to"),
    events: z.array(z.string()).optional().describe(
      `Alert types (${ALERT_TYPES.join(", ")}); absent or empty: all`,
    ),
    tenant: z.string().optional().describe("Only this tenant's alerts"),
  }),
  listQuery: z.strictObject({
    tail: z.coerce.number().int().min(1).max(1000).optional(),
    tenant: z.string().optional(),
  }),
};

/** Adds the alert routes to `api`. */
export function alertRoutes(api: Hono, alerts: AlertService, g: AlertRouteGuards): void {
  api.get(
    "/alerts/endpoints",
    g.global("admin", async (c) => c.json(await alerts.listEndpoints())),
  );
  api.post(
    "/alerts/endpoints",
    g.global("admin", async (c) => {
      const body = g.parse(ALERT_SCHEMAS.endpoint, await g.jsonBody(c), "alert endpoint");
      return c.json(await alerts.addEndpoint(body), 201);
    }),
  );
  api.delete(
    "/alerts/endpoints/:id",
    g.global("admin", async (c) => {
      await alerts.removeEndpoint(c.req.param("id")!);
      return c.body(null, 204);
    }),
  );
  api.post(
    "/alerts/endpoints/:id/test",
    g.global("admin", async (c) => c.json(await alerts.test(c.req.param("id")!))),
  );
  // Admin: deliveries carry endpoint URLs, whose paths are often credentials.
  api.get(
    "/alerts",
    g.global("admin", async (c) => {
      const query = g.parse(ALERT_SCHEMAS.listQuery, c.req.query(), "query");
      return c.json(await alerts.list(query));
    }),
  );
}
