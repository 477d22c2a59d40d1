/**
 * The REST API `/api/v1` (docs/api.md): bearer-token auth, Zod-validated input, the
 * use cases of `ControlPlaneService`, streaming logs (NDJSON) and events (SSE). The
 * OpenAPI document is generated from the same schemas (routes/openapi.ts).
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { parseTrustedProxies } from "../core/config.ts";
import { AuthError, ValidationError } from "../core/errors.ts";
import type { HealthMonitor } from "../core/health.ts";
import type { ControlPlaneService } from "../core/service.ts";
import type { UpgradeService } from "../core/upgrades.ts";
import type { MigrationService } from "../core/migration_service.ts";
import type { ContainerRuntime } from "../core/runtime.ts";
import type { Store } from "../core/store.ts";
import type { AgentAdapter } from "../core/adapter.ts";
import type { LiveFeed } from "./live_feed.ts";
import { API_SCHEMAS, openApiDocument } from "./openapi.ts";

/** What the API needs. */
export interface ApiDeps {
  service: ControlPlaneService;
  upgrades: UpgradeService;
  migration: MigrationService;
  health: HealthMonitor;
  runtime: ContainerRuntime;
  store: Store;
  feed: LiveFeed;
  adapters: AgentAdapter[];
  /** The Traefik static configuration for the given addresses and endpoint. */
  traefikStatic(options: {
    endpoint: string;
    webAddress: string;
    tlsAddress: string;
    pollIntervalSeconds: number;
    trustedIPs: string[];
  }): string;
  /** Checks run by `doctor`. */
  doctor(): Promise<
    { ok: boolean; instance: string; checks: { name: string; ok: boolean; message: string }[] }
  >;
}

/** SHA-256 hex of a token (only hashes are stored). */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  const first = details[0];
  throw new ValidationError(
    `Invalid ${what}${first ? `: ${first.path ? `${first.path}: ` : ""}${first.message}` : ""}`,
    { details },
  );
}

async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError("Invalid request body: not JSON");
  }
}

/** The `/api/v1` routes. */
export function apiRoutes(deps: ApiDeps): Hono {
  const api = new Hono();
  const { service } = deps;

  api.get("/openapi.json", (c) => c.json(openApiDocument()));

  api.use("*", async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!token) throw new AuthError("Missing bearer token: send Authorization: Bearer <token>");
    const found = await deps.store.tokens.findByHash(await hashToken(token));
    if (!found) throw new AuthError("Invalid token");
    if (found.tenant !== null) throw new AuthError("This token is scoped to a tenant");
    await next();
  });

  api.get("/tenants", async (c) => c.json(await deps.store.tenants.list()));
  api.post("/tenants", async (c) => {
    const body = parse(API_SCHEMAS.createTenant, await jsonBody(c), "tenant");
    return c.json(await service.createTenant(body.id, body.name), 201);
  });
  api.get("/tenants/:tenant", async (c) => {
    const tenant = c.req.param("tenant");
    const pods = await service.listPods(tenant);
    return c.json({ tenant: await deps.store.tenants.get(tenant), pods });
  });
  api.delete("/tenants/:tenant", async (c) => {
    const force = c.req.query("force") === "true";
    return c.json(await service.deleteTenant(c.req.param("tenant"), force));
  });

  api.get("/pods", async (c) => c.json(await service.listPods(c.req.query("tenant"))));
  api.post("/tenants/:tenant/pods", async (c) => {
    const body = parse(API_SCHEMAS.createPod, await jsonBody(c), "pod");
    return c.json(await service.createPod(c.req.param("tenant"), body), 201);
  });
  api.get(
    "/tenants/:tenant/pods/:pod",
    async (c) => c.json(await service.getPod(c.req.param("tenant"), c.req.param("pod"))),
  );
  api.delete(
    "/tenants/:tenant/pods/:pod",
    async (c) =>
      c.json(
        await service.deletePod(c.req.param("tenant"), c.req.param("pod"), {
          force: c.req.query("force") === "true",
        }),
        202,
      ),
  );
  api.post(
    "/tenants/:tenant/pods/:pod/start",
    async (c) =>
      c.json(await service.setRunning(c.req.param("tenant"), c.req.param("pod"), true), 202),
  );
  api.post(
    "/tenants/:tenant/pods/:pod/stop",
    async (c) =>
      c.json(await service.setRunning(c.req.param("tenant"), c.req.param("pod"), false), 202),
  );
  api.post(
    "/tenants/:tenant/pods/:pod/restart",
    async (c) => c.json(await service.restartPod(c.req.param("tenant"), c.req.param("pod")), 202),
  );
  api.get(
    "/tenants/:tenant/pods/:pod/config",
    async (c) => c.json(await service.getConfig(c.req.param("tenant"), c.req.param("pod"))),
  );

  api.patch("/tenants/:tenant/pods/:pod/config", async (c) => {
    const body = parse(API_SCHEMAS.patchConfig, await jsonBody(c), "config change");
    return c.json(await service.updateConfig(c.req.param("tenant"), c.req.param("pod"), body));
  });

  api.get("/tenants/:tenant/pods/:pod/logs", async (c) => {
    const query = parse(API_SCHEMAS.logsQuery, c.req.query(), "query");
    const abort = new AbortController();
    c.req.raw.signal.addEventListener("abort", () => abort.abort());
    const found = await service.podLogs(c.req.param("tenant"), c.req.param("pod"), {
      ...query,
      signal: abort.signal,
    });
    if (!found.lines) return c.body("", 200, { "content-type": "application/x-ndjson" });
    const lines = found.lines[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await lines.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(JSON.stringify(next.value) + "\n"));
        } catch (error) {
          controller.error(error);
        }
      },
      cancel: () => abort.abort(),
    });
    return c.body(body, 200, { "content-type": "application/x-ndjson" });
  });

  api.get("/events", async (c) => {
    const query = parse(API_SCHEMAS.eventsQuery, c.req.query(), "query");
    return c.json(await service.listEvents(query));
  });
  api.get("/events/stream", (c) => deps.feed.sseResponse(c.req.raw.signal));

  api.post("/health", async (c) => {
    const tenant = c.req.query("tenant");
    if (tenant !== undefined) await deps.store.tenants.get(tenant);
    return c.json(await deps.health.probeAll(tenant));
  });
  api.get("/migrate/discover", async (c) => {
    const probe = c.req.query("probe") !== "false";
    return c.json(await deps.migration.discover({ probe, signal: c.req.raw.signal }));
  });
  api.post("/migrate/adopt", async (c) => {
    const body = parse(API_SCHEMAS.adopt, await jsonBody(c), "adoption");
    return c.json(await deps.migration.adopt(body));
  });
  api.post(
    "/tenants/:tenant/pods/:pod/release",
    async (c) => c.json(await deps.migration.release(c.req.param("tenant"), c.req.param("pod"))),
  );
  api.get("/rollouts", async (c) => c.json(await deps.upgrades.list()));
  api.post("/rollouts", async (c) => {
    const body = parse(API_SCHEMAS.startRollout, await jsonBody(c), "rollout");
    const dryRun = c.req.query("dryRun") === "true";
    const options = Object.fromEntries(
      Object.entries({
        maxUnavailable: body.maxUnavailable === undefined ? undefined : String(body.maxUnavailable),
        canary: body.canary,
        maxFailures: body.maxFailures,
        minReadyMs: body.minReadyMs,
        progressDeadlineMs: body.progressDeadlineMs,
        allowDowngrade: body.allowDowngrade,
        tenant: body.tenant,
      }).filter(([, v]) => v !== undefined),
    );
    const result = await deps.upgrades.start(
      { image: body.image, pods: body.pods, all: body.all, options },
      dryRun,
    );
    return c.json(result, dryRun ? 200 : 202);
  });
  api.get("/rollouts/:id", async (c) => c.json(await deps.upgrades.get(c.req.param("id"))));
  api.post(
    "/rollouts/:id/pause",
    async (c) => c.json(await deps.upgrades.pause(c.req.param("id"))),
  );
  api.post(
    "/rollouts/:id/resume",
    async (c) => c.json(await deps.upgrades.resume(c.req.param("id"))),
  );
  api.post(
    "/rollouts/:id/abort",
    async (c) => c.json(await deps.upgrades.abort(c.req.param("id"))),
  );

  api.post("/reconcile", async (c) => {
    const dryRun = c.req.query("dryRun") === "true";
    return c.json({ dryRun, actions: await service.reconcile(dryRun) });
  });
  api.get("/doctor", async (c) => c.json(await deps.doctor()));
  api.get("/traefik/static", (c) => {
    const query = parse(API_SCHEMAS.traefikStaticQuery, c.req.query(), "query");
    const origin = new URL(c.req.url).origin;
    const trustedIPs = parseTrustedProxies(query.trustedIps ?? "", "trustedIps");
    const yaml = deps.traefikStatic({
      trustedIPs,
      endpoint: query.endpoint ?? `${origin}/traefik/dynamic`,
      webAddress: query.web,
      tlsAddress: query.websecure,
      pollIntervalSeconds: query.pollInterval,
    });
    return c.json({ endpoint: query.endpoint ?? `${origin}/traefik/dynamic`, yaml });
  });
  api.get("/adapters", (c) =>
    c.json(deps.adapters.map((a) => ({
      id: a.id,
      label: a.label,
      description: a.description,
      defaultImage: a.defaultImage,
      sensitiveFields: a.sensitiveFields,
      configSchema: z.toJSONSchema(a.configSchema, { io: "input", unrepresentable: "any" }),
    }))));
  return api;
}
