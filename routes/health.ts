/**
 * The control plane's own probes: `/healthz` (the process answers) and `/readyz`
 * (the database and the Docker Engine answer). I/O stays behind the checks passed in.
 * @module
 */
import { Hono } from "hono";
import { errorMessage } from "../core/errors.ts";

/** A named dependency check: resolves when the dependency answers. */
export type ReadinessCheck = () => Promise<unknown>;

/** Routes for `/healthz` and `/readyz`. */
export function healthRoutes(checks: Record<string, ReadinessCheck>): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/readyz", async (c) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await check();
          return [name, { ok: true }] as const;
        } catch (error) {
          return [name, { ok: false, error: errorMessage(error) }] as const;
        }
      }),
    );
    const ready = results.every(([, result]) => result.ok);
    return c.json({ ready, checks: Object.fromEntries(results) }, ready ? 200 : 503);
  });
  return app;
}
