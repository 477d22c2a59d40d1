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
import { authorize, type Permission, type Principal } from "../core/access.ts";
import type { AccessService } from "../core/access_service.ts";
import type { PairingService } from "../core/pairing.ts";
import { AuthError, NotFoundError, ValidationError } from "../core/errors.ts";
import type { HealthMonitor } from "../core/health.ts";
import type { ControlPlaneService } from "../core/service.ts";
import type { UpgradeService } from "../core/upgrades.ts";
import type { MigrationService } from "../core/migration_service.ts";
import type { ContainerRuntime } from "../core/runtime.ts";
import type { Store } from "../core/store.ts";
import type { AgentAdapter } from "../core/adapter.ts";
import type { LiveFeed } from "./live_feed.ts";
import { API_SCHEMAS, openApiDocument } from "./openapi.ts";
import { runAs } from "./actor.ts";
import { backupRoutes } from "./backup_api.ts";
import type { BackupService } from "../core/backup_service.ts";
import { alertRoutes } from "./alert_api.ts";
import { readUsage } from "../core/usage_service.ts";
import type { AlertService } from "../core/alert_service.ts";

/** How often an open stream checks that its token is still valid. */
const TOKEN_RECHECK_MS = 10_000;

/** The reads a request makes, as one tenant's row-level-security scope or as admin. */
export interface Reads {
  service: ControlPlaneService;
  store: Store;
}

/** What the API needs. */
export interface ApiDeps {
  service: ControlPlaneService;
  upgrades: UpgradeService;
  migration: MigrationService;
  health: HealthMonitor;
  runtime: ContainerRuntime;
  store: Store;
  access: AccessService;
  pairing: PairingService;
  backups: BackupService;
  alerts: AlertService;
  /**
   * Runs `fn` in one database transaction as tenant `tenant` under row-level security
   * (the non-superuser role with `agentpod.tenant_id` set): the rows it reads are that
   * tenant's whatever the query asks. Keep `fn` short and free of writes to other
   * services (on PGlite the database waits for it).
   */
  scoped<T>(tenant: string, fn: (reads: Reads) => Promise<T>): Promise<T>;
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
    const principal = await deps.access.authenticate(token);
    c.set("principal" as never, principal as never);
    await runAs(principal, next);
  });
  const who = (c: Context) => c.get("principal" as never) as Principal;
  /**
   * The request's signal, also aborted once its token is revoked or expires (checked
   * every 10 s): a stream opened with a token ends with the token.
   */
  const whileValid = (c: Context): AbortSignal => {
    const p = who(c);
    const signal = c.req.raw.signal;
    if (p.tokenId === null) return signal;
    const ended = new AbortController();
    const timer = setInterval(async () => {
      if (!(await deps.access.stillValid(p.tokenId!).catch(() => true))) ended.abort();
    }, TOKEN_RECHECK_MS);
    const stop = () => clearInterval(timer);
    ended.signal.addEventListener("abort", stop, { once: true });
    signal.addEventListener("abort", () => {
      stop();
      ended.abort();
    }, { once: true });
    return ended.signal;
  };
  const admin: Reads = { service, store: deps.store };

  /**
   * A read of tenant data: a tenant-scoped token's runs in its row-level-security scope,
   * so the database returns only that tenant's rows whatever the handler asks for.
   */
  const read =
    (handler: (c: Context, reads: Reads, p: Principal) => Promise<Response>) =>
    async (c: Context) => {
      const p = who(c);
      authorize(p, "viewer", "tenant");
      if (p.tenant === null) return await handler(c, admin, p);
      return await deps.scoped(p.tenant, (reads) => handler(c, reads, p));
    };
  /**
   * A change to a tenant's pod (or the tenant): the role decides (403); for a
   * tenant-scoped token the target must be visible in its scope first (else 404, the
   * same answer as for a pod that does not exist). The change itself runs as admin; a
   * route without a tenant in its path scopes itself (POST /health).
   */
  const write =
    (need: Permission, handler: (c: Context, p: Principal) => Promise<Response>) =>
    async (c: Context) => {
      const p = who(c);
      authorize(p, need, "tenant");
      const tenant = c.req.param("tenant");
      if (p.tenant !== null && tenant !== undefined) {
        const pod = c.req.param("pod");
        await deps.scoped(p.tenant, async (reads) => {
          if (pod !== undefined) await reads.service.getPod(tenant, pod);
          else await reads.service.listPods(tenant);
        });
      }
      return await handler(c, p);
    };
  /** Control-plane work outside any one tenant (tenants, rollouts, tokens, migration). */
  const global =
    (need: Permission, handler: (c: Context) => Promise<Response> | Response) =>
    async (c: Context) => {
      authorize(who(c), need, "global");
      return await handler(c);
    };

  api.get("/tokens", global("admin", async (c) => c.json(await deps.access.list())));
  api.post(
    "/tokens",
    global("admin", async (c) => {
      const body = parse(API_SCHEMAS.createToken, await jsonBody(c), "token");
      return c.json(await deps.access.create(body), 201);
    }),
  );
  api.delete(
    "/tokens/:ref",
    global("admin", async (c) => c.json(await deps.access.revoke(c.req.param("ref")!))),
  );

  api.get("/tenants", read(async (c, r) => c.json(await r.store.tenants.list())));
  api.post(
    "/tenants",
    global("admin", async (c) => {
      const body = parse(API_SCHEMAS.createTenant, await jsonBody(c), "tenant");
      return c.json(await service.createTenant(body.id, body.name), 201);
    }),
  );
  api.get(
    "/tenants/:tenant",
    read(async (c, r) => {
      const tenant = c.req.param("tenant")!;
      const pods = await r.service.listPods(tenant);
      return c.json({ tenant: await r.store.tenants.get(tenant), pods });
    }),
  );
  api.delete(
    "/tenants/:tenant",
    global("admin", async (c) => {
      const force = c.req.query("force") === "true";
      return c.json(await service.deleteTenant(c.req.param("tenant")!, force));
    }),
  );

  api.get("/pods", read(async (c, r) => c.json(await r.service.listPods(c.req.query("tenant")))));
  // Global: images on the host are shared by every tenant, so a tenant token that could
  // name one could run another tenant's private build.
  api.post(
    "/tenants/:tenant/pods",
    global("admin", async (c) => {
      const body = parse(API_SCHEMAS.createPod, await jsonBody(c), "pod");
      return c.json(await service.createPod(c.req.param("tenant")!, body), 201);
    }),
  );
  api.get(
    "/tenants/:tenant/pods/:pod",
    read(async (c, r) =>
      c.json(await r.service.getPod(c.req.param("tenant")!, c.req.param("pod")!))
    ),
  );
  api.delete(
    "/tenants/:tenant/pods/:pod",
    write("admin", async (c) =>
      c.json(
        await service.deletePod(c.req.param("tenant")!, c.req.param("pod")!, {
          force: c.req.query("force") === "true",
        }),
        202,
      )),
  );
  api.post(
    "/tenants/:tenant/pods/:pod/start",
    write(
      "operator",
      async (c) =>
        c.json(await service.setRunning(c.req.param("tenant")!, c.req.param("pod")!, true), 202),
    ),
  );
  api.post(
    "/tenants/:tenant/pods/:pod/stop",
    write(
      "operator",
      async (c) =>
        c.json(await service.setRunning(c.req.param("tenant")!, c.req.param("pod")!, false), 202),
    ),
  );
  api.post(
    "/tenants/:tenant/pods/:pod/restart",
    write(
      "operator",
      async (c) =>
        c.json(await service.restartPod(c.req.param("tenant")!, c.req.param("pod")!), 202),
    ),
  );
  api.get(
    "/tenants/:tenant/pods/:pod/config",
    read(async (c, r) =>
      c.json(await r.service.getConfig(c.req.param("tenant")!, c.req.param("pod")!))
    ),
  );

  api.patch(
    "/tenants/:tenant/pods/:pod/config",
    write("operator", async (c, p) => {
      const body = parse(API_SCHEMAS.patchConfig, await jsonBody(c), "config change");
      return c.json(
        await service.updateConfig(c.req.param("tenant")!, c.req.param("pod")!, body, {
          // As at creation: a tenant token never names an image (see pod create).
          lockedPaths: p.tenant === null ? [] : ["image"],
        }),
      );
    }),
  );

  api.get(
    "/tenants/:tenant/pods/:pod/token",
    write(
      "admin",
      async (c) => c.json(await service.revealToken(c.req.param("tenant")!, c.req.param("pod")!)),
    ),
  );
  api.post(
    "/tenants/:tenant/pods/:pod/token/rotate",
    write(
      "admin",
      async (c) => c.json(await service.rotateToken(c.req.param("tenant")!, c.req.param("pod")!)),
    ),
  );

  api.get(
    "/tenants/:tenant/pods/:pod/devices",
    write(
      "operator",
      async (c) => c.json(await deps.pairing.devices(c.req.param("tenant")!, c.req.param("pod")!)),
    ),
  );
  for (const decision of ["approve", "reject"] as const) {
    api.post(
      `/tenants/:tenant/pods/:pod/devices/:request/${decision}`,
      write("operator", async (c) =>
        c.json(
          await deps.pairing.decide(
            c.req.param("tenant")!,
            c.req.param("pod")!,
            c.req.param("request")!,
            decision === "approve",
          ),
        )),
    );
  }
  api.post(
    "/tenants/:tenant/pods/:pod/open",
    write(
      "admin",
      async (c) =>
        c.json(await deps.pairing.ownerLink(c.req.param("tenant")!, c.req.param("pod")!)),
    ),
  );

  api.get(
    "/tenants/:tenant/pods/:pod/logs",
    read(async (c, r) => {
      const query = parse(API_SCHEMAS.logsQuery, c.req.query(), "query");
      const abort = new AbortController();
      // A followed log ends with its token; a plain tail ends by itself.
      (query.follow ? whileValid(c) : c.req.raw.signal)
        .addEventListener("abort", () => abort.abort());
      // The pod is found in the request's scope; its lines stream after that ends.
      const found = await r.service.podLogs(c.req.param("tenant")!, c.req.param("pod")!, {
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
    }),
  );

  api.get(
    "/events",
    read(async (c, r) => {
      const query = parse(API_SCHEMAS.eventsQuery, c.req.query(), "query");
      return c.json(await r.service.listEvents(query));
    }),
  );
  api.get(
    "/usage",
    read(async (c, r) => {
      const query = parse(API_SCHEMAS.usageQuery, c.req.query(), "query");
      return c.json(await readUsage(r.store, query, Date.now()));
    }),
  );
  api.get(
    "/tenants/:tenant/usage",
    read(async (c, r) => {
      const query = parse(API_SCHEMAS.usageQuery, c.req.query(), "query");
      return c.json(
        await readUsage(r.store, { ...query, tenant: c.req.param("tenant")! }, Date.now()),
      );
    }),
  );
  api.get(
    "/events/stream",
    read((c, _r, p) => {
      const signal = whileValid(c);
      if (p.tenant === null) return Promise.resolve(deps.feed.sseResponse(signal));
      const tenant = p.tenant;
      // Each message is read again in the token's scope: the database decides what it sees.
      const seen = new Set<string>();
      return Promise.resolve(deps.feed.sseResponse(signal, async (m) => {
        if (m.event === "pod-event") {
          const id = (m.data as { id: number }).id;
          const event = await deps.scoped(tenant, (reads) => reads.store.events.get(id));
          return event ? { event: m.event, data: event } : undefined;
        }
        if (m.event === "pod") {
          const { id, deleted } = m.data as { id: string; deleted?: boolean };
          // A deletion is passed on only for a pod this stream already showed.
          if (deleted) return seen.delete(id) ? m : undefined;
          const view = await deps.scoped(tenant, async (reads) => {
            const pod = await reads.store.pods.getById(id);
            return pod ? reads.service.view(pod) : undefined;
          });
          if (!view) return undefined;
          seen.add(id);
          return { event: m.event, data: view };
        }
        return undefined; // rollouts are control-plane work
      }));
    }),
  );

  api.post(
    "/health",
    write("operator", async (c, p) => {
      const tenant = c.req.query("tenant") ?? p.tenant ?? undefined;
      if (tenant !== undefined) {
        if (p.tenant !== null && tenant !== p.tenant) {
          throw new NotFoundError(`Tenant "${tenant}" does not exist`);
        }
        await deps.store.tenants.get(tenant);
      }
      return c.json(await deps.health.probeAll(tenant));
    }),
  );
  api.get(
    "/migrate/discover",
    global("admin", async (c) => {
      const probe = c.req.query("probe") !== "false";
      return c.json(await deps.migration.discover({ probe, signal: c.req.raw.signal }));
    }),
  );
  api.post(
    "/migrate/adopt",
    global("admin", async (c) => {
      const body = parse(API_SCHEMAS.adopt, await jsonBody(c), "adoption");
      return c.json(await deps.migration.adopt(body));
    }),
  );
  api.post(
    "/tenants/:tenant/pods/:pod/release",
    global(
      "admin",
      async (c) =>
        c.json(await deps.migration.release(c.req.param("tenant")!, c.req.param("pod")!)),
    ),
  );
  api.get("/rollouts", global("viewer", async (c) => c.json(await deps.upgrades.list())));
  api.post(
    "/rollouts",
    global("admin", async (c) => {
      const body = parse(API_SCHEMAS.startRollout, await jsonBody(c), "rollout");
      const dryRun = c.req.query("dryRun") === "true";
      const options = Object.fromEntries(
        Object.entries({
          maxUnavailable: body.maxUnavailable === undefined
            ? undefined
            : String(body.maxUnavailable),
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
    }),
  );
  api.get(
    "/rollouts/:id",
    global("viewer", async (c) => c.json(await deps.upgrades.get(c.req.param("id")!))),
  );
  for (const action of ["pause", "resume", "abort"] as const) {
    api.post(
      `/rollouts/:id/${action}`,
      global("admin", async (c) => c.json(await deps.upgrades[action](c.req.param("id")!))),
    );
  }

  alertRoutes(api, deps.alerts, { global, parse, jsonBody });

  backupRoutes(api, deps.backups, {
    read,
    write,
    global: (need, handler) => global(need, handler),
    who,
    scoped: (tenant, fn) => deps.scoped(tenant, fn),
    parse,
    jsonBody,
  });

  api.post(
    "/reconcile",
    global("operator", async (c) => {
      const dryRun = c.req.query("dryRun") === "true";
      return c.json({ dryRun, actions: await service.reconcile(dryRun) });
    }),
  );
  api.get("/doctor", global("viewer", async (c) => c.json(await deps.doctor())));
  api.get(
    "/traefik/static",
    global("admin", (c) => {
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
    }),
  );
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
