/**
 * Request schemas of the REST API and the OpenAPI 3.1 document generated from them
 * (`GET /api/v1/openapi.json`), so the validation and the documentation cannot drift.
 * @module
 */
import { BACKUP_SCHEMAS } from "./backup_api.ts";
import { ALERT_SCHEMAS } from "./alert_api.ts";
import { z } from "zod";

const id = z.string().min(1).max(40).regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
  message: "use lowercase letters, digits and hyphens (a DNS label)",
});
const flag = z.enum(["true", "false"]).transform((v) => v === "true");

/** Request schemas by name. */
export const API_SCHEMAS = {
  createToken: z.object({
    name: z.string().min(1).max(63).describe("Token name (what events record)"),
    tenant: id.nullable().optional().describe("Limit it to one tenant"),
    role: z.enum(["viewer", "operator", "admin"]).default("viewer").describe("Role"),
    expires: z.string().min(2).max(40).nullable().optional()
      .describe("Expiry: a duration (30d, 12h, 90m, 2w) or a date"),
  }).strict(),
  createTenant: z.object({
    id: id.describe("Tenant id (DNS label)"),
    name: z.string().max(200).optional().describe("Display name"),
  }).strict(),
  createPod: z.object({
    name: id.describe("Pod name (DNS label)"),
    adapter: z.string().min(1).default("openclaw").describe("Adapter id"),
    image: z.string().min(1).max(300).optional().describe("Image; the adapter default if absent"),
    config: z.record(z.string(), z.unknown()).optional().describe("Adapter config"),
    resources: z.object({
      memoryMB: z.number().int().optional(),
      cpus: z.number().optional(),
      pids: z.number().int().optional(),
    }).strict().optional(),
  }).strict(),
  patchConfig: z.object({
    replace: z.record(z.string(), z.unknown()).optional().describe(
      "The whole new config (secrets given as ******** keep their value)",
    ),
    merge: z.record(z.string(), z.unknown()).optional().describe(
      "A document merged into the config (RFC 7396: null removes a key)",
    ),
    set: z.array(z.object({ path: z.string().min(1), value: z.unknown() }).strict()).optional()
      .describe("Values set at dot paths (providers.anthropic.apiKey)"),
    unset: z.array(z.string().min(1)).optional().describe("Dot paths removed"),
  }).strict(),
  logsQuery: z.object({
    tail: z.coerce.number().int().min(0).max(100_000).optional(),
    follow: flag.optional(),
    timestamps: flag.optional(),
  }),
  traefikStaticQuery: z.object({
    endpoint: z.url().optional(),
    web: z.string().regex(/^[\w.\-\[\]:]*:\d{1,5}$/).default(":80"),
    websecure: z.string().regex(/^[\w.\-\[\]:]*:\d{1,5}$/).default(":443"),
    pollInterval: z.coerce.number().int().min(1).max(60).default(2),
    trustedIps: z.string().optional().describe(
      "Comma-separated addresses or CIDRs whose X-Forwarded-For Traefik keeps",
    ),
  }),
  adopt: z.object({
    containers: z.array(z.string().min(1).max(128)).max(1_000).optional().describe(
      "Container names or ids (12+ hex digits)",
    ),
    all: z.boolean().optional().describe("Every gateway whose verdict is adoptable"),
    tenant: id.optional().describe("Tenant to adopt into (created when missing)"),
    pod: id.optional().describe("Pod name (one container only)"),
    dryRun: z.boolean().optional().describe("Only say what would happen"),
    route: z.boolean().optional().describe(
      "Also route through Traefik: the gateway trusts the proxy (hot reload, no restart)",
    ),
    restartPolicy: z.boolean().optional().describe("Live: restart policy unless-stopped"),
    limits: z.boolean().optional().describe(
      "Live: the adapter's limits (memory never below what it uses now)",
    ),
    connectNetwork: z.boolean().optional().describe(
      "Join the tenant network (live; sessions through the published port may drop once)",
    ),
    rename: z.boolean().optional().describe("Live: rename it agentpod-<tenant>-<pod>"),
  }).strict(),
  startRollout: z.object({
    image: z.string().min(1).max(300).describe("The image to roll out"),
    pods: z.array(z.string().min(3).max(100)).max(10_000).optional().describe(
      "`<tenant>/<pod>` addresses (or `all`)",
    ),
    all: z.boolean().optional().describe("Every running pod (of `tenant` if given)"),
    tenant: id.optional().describe("With `all`: only this tenant's pods"),
    maxUnavailable: z.union([z.string().max(10), z.number().int().min(1)]).optional()
      .describe("Pods not ready at once: a count, or a share (`25%`); default 1"),
    canary: z.number().int().min(0).optional().describe("Pods upgraded first, alone"),
    maxFailures: z.number().int().min(1).optional().describe("Rollbacks that pause it (1)"),
    minReadyMs: z.number().int().min(0).optional().describe("Ready this long to count (10 s)"),
    progressDeadlineMs: z.number().int().min(1000).optional().describe(
      "Time a pod gets to be ready (180 s)",
    ),
    allowDowngrade: z.boolean().optional().describe("Allow an older version"),
  }).strict(),
  eventsQuery: z.object({
    tail: z.coerce.number().int().min(1).max(10_000).default(50),
    tenant: z.string().optional(),
    pod: z.string().optional(),
  }),
  usageQuery: z.strictObject({
    from: z.string().optional().describe("First UTC day, YYYY-MM-DD (default: 6 days before to)"),
    to: z.string().optional().describe("Last UTC day, YYYY-MM-DD (default: today)"),
    tenant: z.string().optional(),
  }),
};

const json = (schema: z.ZodType) => ({
  content: { "application/json": { schema: z.toJSONSchema(schema, { io: "input" }) } },
});

const ok = (description: string) => ({ description });

/** The OpenAPI document of `/api/v1`. */
export function openApiDocument(): Record<string, unknown> {
  const pod = { tenant: "path", pod: "path" };
  const params = (names: Record<string, string>) =>
    Object.entries(names).map(([name, where]) => ({
      name,
      in: where,
      required: where === "path",
      schema: { type: "string" },
    }));
  return {
    openapi: "3.1.0",
    info: { title: "AgentPod API", version: "1" },
    servers: [{ url: "/api/v1" }],
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    // Every path: 401 for a missing, unknown, revoked or expired token; 403 for a role
    // too weak or, for a tenant-scoped token, work outside its tenant (another tenant's
    // pod is 404, as one that does not exist).
    security: [{ bearer: [] }],
    paths: {
      "/tokens": {
        get: { summary: "API tokens (never a secret)", responses: { 200: ok("Tokens") } },
        post: {
          summary: "Create an API token; its secret is in this answer only",
          requestBody: json(API_SCHEMAS.createToken),
          responses: { 201: ok("Created, with token"), 400: ok("Invalid"), 409: ok("Name taken") },
        },
      },
      "/tokens/{ref}": {
        parameters: params({ ref: "path" }),
        delete: { summary: "Revoke a token (name or id)", responses: { 200: ok("Revoked") } },
      },
      "/tenants": {
        get: { summary: "List tenants", responses: { 200: ok("Tenants") } },
        post: {
          summary: "Create a tenant",
          requestBody: json(API_SCHEMAS.createTenant),
          responses: { 201: ok("Created"), 400: ok("Invalid"), 409: ok("Exists") },
        },
      },
      "/tenants/{tenant}": {
        parameters: params({ tenant: "path" }),
        get: { summary: "Tenant status with its pods", responses: { 200: ok("Tenant") } },
        delete: {
          summary: "Delete a tenant (force: with its pods)",
          parameters: params({ force: "query" }),
          responses: { 200: ok("Deleted"), 409: ok("Has pods") },
        },
      },
      "/pods": {
        get: {
          summary: "List pods",
          parameters: params({ tenant: "query" }),
          responses: { 200: ok("Pods") },
        },
      },
      "/tenants/{tenant}/pods": {
        parameters: params({ tenant: "path" }),
        post: {
          summary: "Create a pod",
          requestBody: json(API_SCHEMAS.createPod),
          responses: {
            201: ok("Created"),
            400: ok("Invalid"),
            404: ok("No tenant"),
            409: ok("Exists"),
          },
        },
      },
      "/tenants/{tenant}/pods/{pod}": {
        parameters: params(pod),
        get: { summary: "Pod status", responses: { 200: ok("Pod") } },
        delete: {
          summary: "Delete a pod (force: kill its container instead of a graceful stop)",
          parameters: params({ force: "query" }),
          responses: { 202: ok("Deleting") },
        },
      },
      ...Object.fromEntries(["start", "stop", "restart"].map((verb) => [
        `/tenants/{tenant}/pods/{pod}/${verb}`,
        {
          parameters: params(pod),
          post: { summary: `${verb} a pod`, responses: { 202: ok("Accepted") } },
        },
      ])),
      "/tenants/{tenant}/pods/{pod}/config": {
        parameters: params(pod),
        get: { summary: "Pod config, secrets masked", responses: { 200: ok("Config") } },
        patch: {
          summary: "Change a pod's config (merge, set, unset) and apply it",
          requestBody: json(API_SCHEMAS.patchConfig),
          responses: {
            200: ok("{pod, effect, changed}"),
            400: ok("Invalid"),
            409: ok("Changed meanwhile or being deleted"),
          },
        },
      },
      "/tenants/{tenant}/pods/{pod}/token": {
        parameters: params(pod),
        get: {
          summary: "The pod's gateway token (admin; recorded as a TokenRevealed event)",
          responses: { 200: ok("{pod, token}") },
        },
      },
      "/tenants/{tenant}/pods/{pod}/token/rotate": {
        parameters: params(pod),
        post: {
          summary: "Replace the pod's gateway token and restart it with the new one",
          responses: { 200: ok("{pod, effect, changed, token}"), 409: ok("Adopted or deleting") },
        },
      },
      "/tenants/{tenant}/pods/{pod}/devices": {
        parameters: params(pod),
        get: {
          summary: "Devices paired with the agent and pending pairing requests",
          responses: { 200: ok("{pending, paired}"), 409: ok("Not running") },
        },
      },
      ...Object.fromEntries(["approve", "reject"].map((verb) => [
        `/tenants/{tenant}/pods/{pod}/devices/{requestId}/${verb}`,
        {
          parameters: params({ ...pod, requestId: "path" }),
          post: {
            summary: `${verb} a pending pairing request`,
            responses: { 200: ok("{pod, requestId, decision}"), 404: ok("No such request") },
          },
        },
      ])),
      "/tenants/{tenant}/pods/{pod}/open": {
        parameters: params(pod),
        post: {
          summary: "A one-time owner link to the agent's UI on the pod's public host",
          responses: { 200: ok("{pod, url, expiresAt}") },
        },
      },
      "/tenants/{tenant}/pods/{pod}/logs": {
        parameters: params({ ...pod, tail: "query", follow: "query", timestamps: "query" }),
        get: { summary: "Pod logs as NDJSON", responses: { 200: ok("Log lines") } },
      },
      "/events": {
        get: {
          summary: "Recent events",
          parameters: params({ tail: "query", tenant: "query", pod: "query" }),
          responses: { 200: ok("Events") },
        },
      },
      "/usage": {
        get: {
          summary: "Usage of every tenant's pods per UTC day (a tenant token: its own)",
          parameters: params({ from: "query", to: "query", tenant: "query" }),
          responses: { 200: ok("Report: pods × days, days, total"), 400: ok("Bad range") },
        },
      },
      "/tenants/{tenant}/usage": {
        parameters: params({ tenant: "path" }),
        get: {
          summary: "A tenant's usage per pod and UTC day: CPU-seconds, memory avg/peak, " +
            "uptime, restarts, volume size, the agent's tokens and cost",
          parameters: params({ from: "query", to: "query" }),
          responses: { 200: ok("Report"), 400: ok("Bad range"), 404: ok("No tenant") },
        },
      },
      "/events/stream": {
        get: { summary: "Server-Sent Events", responses: { 200: ok("Stream") } },
      },
      "/health": {
        post: {
          summary: "Probe pods now",
          parameters: params({ tenant: "query" }),
          responses: { 200: ok("Reports") },
        },
      },
      "/rollouts": {
        get: { summary: "Rollouts, newest first", responses: { 200: ok("Rollouts") } },
        post: {
          summary: "Upgrade pods to an image (a rollout); dryRun: only the plan",
          parameters: params({ dryRun: "query" }),
          requestBody: json(API_SCHEMAS.startRollout),
          responses: {
            200: ok("Plan (dry run)"),
            202: ok("Rollout started"),
            400: ok("Invalid"),
            409: ok("Another rollout is in progress"),
          },
        },
      },
      "/rollouts/{id}": {
        parameters: params({ id: "path" }),
        get: { summary: "A rollout with its pods", responses: { 200: ok("Rollout") } },
      },
      ...Object.fromEntries(["pause", "resume", "abort"].map((verb) => [
        `/rollouts/{id}/${verb}`,
        {
          parameters: params({ id: "path" }),
          post: { summary: `${verb} a rollout`, responses: { 200: ok("Rollout"), 409: ok("") } },
        },
      ])),
      "/migrate/discover": {
        get: {
          summary: "OpenClaw gateways on the engine that AgentPod did not make (read-only)",
          parameters: params({ probe: "query" }),
          responses: { 200: ok("Discovered gateways with verdicts; tokens never included") },
        },
      },
      "/migrate/adopt": {
        post: {
          summary: "Adopt gateways as they run (never restarted); idempotent",
          requestBody: json(API_SCHEMAS.adopt),
          responses: {
            200: ok("Outcome per container"),
            400: ok("Refused (verdict)"),
            404: ok("No such gateway"),
            409: ok("Name or port taken"),
          },
        },
      },
      "/tenants/{tenant}/pods/{pod}/release": {
        parameters: params(pod),
        post: {
          summary: "Stop managing an adopted pod; its container is left as it is",
          responses: { 200: ok("{pod, container}"), 400: ok("Not adopted") },
        },
      },
      "/tenants/{tenant}/pods/{pod}/backups": {
        parameters: params(pod),
        post: {
          summary: "Back up a pod (online; cold: stopped while archived): a task",
          requestBody: json(BACKUP_SCHEMAS.backup),
          responses: { 202: ok("Backup task"), 409: ok("No container yet") },
        },
      },
      "/tenants/{tenant}/pods/{pod}/restore": {
        parameters: params(pod),
        post: {
          summary: "Restore a backup into a running pod (another pod's: cloneFrom): a task",
          requestBody: json(BACKUP_SCHEMAS.restore),
          responses: {
            202: ok("Restore task"),
            400: ok("Another pod's archive without cloneFrom, another adapter"),
            409: ok("The pod is not running"),
          },
        },
      },
      "/backups": {
        get: {
          summary: "Archives, newest first",
          parameters: params({ tenant: "query", pod: "query" }),
          responses: { 200: ok("Backups") },
        },
      },
      "/backups/last": {
        get: { summary: "Each pod's newest archive time, by pod id", responses: { 200: ok("") } },
      },
      "/backups/import": {
        post: {
          summary: "Upload an archive (application/x-tar); keep=false only verifies it",
          parameters: params({ keep: "query" }),
          responses: { 200: ok("Verified"), 201: ok("Kept"), 400: ok("Refused, nothing kept") },
        },
      },
      "/backups/{id}": {
        parameters: params({ id: "path" }),
        get: { summary: "One archive", responses: { 200: ok("Backup") } },
        delete: { summary: "Delete an archive and its file", responses: { 200: ok("Backup") } },
      },
      "/backups/{id}/verify": {
        parameters: params({ id: "path" }),
        post: {
          summary: "Verify an archive now; drill: restore it into a scratch and boot it (a task)",
          requestBody: json(BACKUP_SCHEMAS.verify),
          responses: { 200: ok("{backup, manifest}"), 202: ok("Drill task"), 400: ok("Corrupted") },
        },
      },
      "/backups/{id}/file": {
        parameters: params({ id: "path" }),
        get: { summary: "Download the archive file (admin)", responses: { 200: ok("Tar") } },
      },
      "/backup-tasks": {
        get: {
          summary: "Backups, restores and drills, newest first",
          parameters: params({ pod: "query" }),
          responses: { 200: ok("Tasks") },
        },
      },
      "/backup-tasks/{id}": {
        parameters: params({ id: "path" }),
        get: { summary: "One task: state, step, message, result", responses: { 200: ok("Task") } },
      },
      "/backup-policies": {
        get: { summary: "Backup schedules", responses: { 200: ok("Policies") } },
        put: {
          summary: "Set the schedule of every pod, a tenant's or a pod's (every or cron, keep)",
          requestBody: json(BACKUP_SCHEMAS.policy),
          responses: { 200: ok("Policy"), 400: ok("Invalid") },
        },
        delete: {
          summary: "Remove a schedule",
          parameters: params({ tenant: "query", pod: "query" }),
          responses: { 200: ok("{scope}"), 404: ok("None") },
        },
      },
      "/alerts/endpoints": {
        get: { summary: "Webhook endpoints (no secrets)", responses: { 200: ok("Endpoints") } },
        post: {
          summary: "Add a webhook endpoint; the answer holds its signing secret, shown once",
          requestBody: json(ALERT_SCHEMAS.endpoint),
          responses: { 201: ok("Endpoint with secret"), 400: ok("Invalid URL or type") },
        },
      },
      "/alerts/endpoints/{id}": {
        parameters: params({ id: "path" }),
        delete: {
          summary: "Remove an endpoint and its deliveries",
          responses: { 204: ok("Removed"), 404: ok("None") },
        },
      },
      "/alerts/endpoints/{id}/test": {
        parameters: params({ id: "path" }),
        post: {
          summary: "Send a signed test message; answers after its first attempt (or 12 s)",
          responses: { 200: ok("The test alert with its delivery"), 404: ok("None") },
        },
      },
      "/alerts": {
        get: {
          summary: "Alerts raised, with their deliveries (attempts, state), oldest first",
          parameters: params({ tail: "query", tenant: "query" }),
          responses: { 200: ok("Alerts") },
        },
      },
      "/reconcile": {
        post: {
          summary: "Run or plan a reconcile pass",
          parameters: params({ dryRun: "query" }),
          responses: { 200: ok("Plan") },
        },
      },
      "/doctor": { get: { summary: "Check dependencies", responses: { 200: ok("Checks") } } },
      "/traefik/static": {
        get: {
          summary: "Traefik static configuration (YAML) that polls this control plane",
          parameters: params({
            endpoint: "query",
            web: "query",
            websecure: "query",
            pollInterval: "query",
            trustedIps: "query",
          }),
          responses: { 200: ok("{endpoint, yaml}") },
        },
      },
      "/adapters": {
        get: { summary: "Adapters and config schemas", responses: { 200: ok("Adapters") } },
      },
    },
  };
}
