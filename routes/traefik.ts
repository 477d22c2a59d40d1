/**
 * Traefik's HTTP provider endpoint, `GET /traefik/dynamic`: the routes of every pod that
 * should receive traffic, as the exact bytes `core/traefik.ts` renders. Protected by a
 * token header. Any failure is a 5xx, never an empty 200 (that would drop every route).
 * Also records when Traefik last polled, for `doctor`.
 * @module
 */
import { Hono } from "hono";
import { AuthError } from "../core/errors.ts";
import { renderTraefikConfig, type RoutablePod, type TraefikSettings } from "../core/traefik.ts";
import type { Store } from "../core/store.ts";
import { containerName } from "../core/naming.ts";

/** The header Traefik sends the token in (`providers.http.headers`). */
export const TRAEFIK_TOKEN_HEADER = "X-AgentPod-Token";

/** When Traefik last fetched its configuration. */
export interface TraefikPolls {
  /** Last successful poll, or undefined if none yet. */
  last?: Date;
  /** Successful polls since start. */
  count: number;
}

/** What the endpoint needs. */
export interface TraefikRouteDeps {
  store: Store;
  settings: TraefikSettings;
  /** The token Traefik must send. */
  token: string;
  /** Updated on every successful poll. */
  polls: TraefikPolls;
  /** Milliseconds since the epoch. */
  now(): number;
  /** The agent port inside containers of an adapter (for the `network` backend). */
  adapterPort(adapter: string): number;
}

function sameToken(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The `/traefik/dynamic` route. */
export function traefikRoutes(deps: TraefikRouteDeps): Hono {
  const app = new Hono();
  app.get("/traefik/dynamic", async (c) => {
    if (!sameToken(c.req.header(TRAEFIK_TOKEN_HEADER) ?? "", deps.token)) {
      throw new AuthError(`Missing or wrong ${TRAEFIK_TOKEN_HEADER} header`);
    }
    // Traefik polls every few seconds and routes rarely change: serve the same bytes
    // until the store says the pods changed.
    const version = await deps.store.pods.routesVersion();
    const body = cache.version === version ? cache.body : await render(version);
    deps.polls.last = new Date(deps.now());
    deps.polls.count++;
    return c.body(body, 200, { "content-type": "application/json", "cache-control": "no-store" });
  });
  const cache = { version: "", body: "" };
  const render = async (version: string) => {
    const pods: RoutablePod[] = (await deps.store.pods.listStates()).map((s) => ({
      tenant: s.tenant,
      name: s.name,
      desiredState: s.desiredState,
      hostPort: s.hostPort,
      containerPort: deps.adapterPort(s.adapter),
      containerName: containerName(s.tenant, s.name),
    }));
    cache.body = renderTraefikConfig(pods, deps.settings);
    cache.version = version;
    return cache.body;
  };
  return app;
}
