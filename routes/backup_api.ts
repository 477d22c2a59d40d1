/**
 * The backup routes of `/api/v1` (docs/api.md): back up and restore a pod, list, verify,
 * drill, download and delete archives, take an archive file in, follow the tasks, and set
 * the schedules. A tenant-scoped token sees its tenant's archives, tasks and policies
 * only (row-level security); what changes an archive checks it is visible first.
 * @module
 */
import type { Context, Hono } from "hono";
import { z } from "zod";
import { authorize, type Permission, type Principal } from "../core/access.ts";
import type { BackupService } from "../core/backup_service.ts";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import { parsePodRef } from "../core/ids.ts";
import type { Reads } from "./api.ts";

/** The guards of `apiRoutes` the backup routes use. */
export interface BackupRouteGuards {
  read(handler: (c: Context, reads: Reads, p: Principal) => Promise<Response>): (
    c: Context,
  ) => Promise<Response>;
  write(need: Permission, handler: (c: Context, p: Principal) => Promise<Response>): (
    c: Context,
  ) => Promise<Response>;
  global(need: Permission, handler: (c: Context) => Promise<Response>): (
    c: Context,
  ) => Promise<Response>;
  who(c: Context): Principal;
  scoped<T>(tenant: string, fn: (reads: Reads) => Promise<T>): Promise<T>;
  parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T;
  jsonBody(c: Context): Promise<unknown>;
}

/** Request bodies of the backup routes (also in the OpenAPI document). */
export const BACKUP_SCHEMAS = {
  backup: z.strictObject({ cold: z.boolean().optional() }),
  restore: z.strictObject({
    from: z.string().min(1).describe("Backup id"),
    cloneFrom: z.string().optional().describe("<tenant>/<pod> the archive was taken from"),
  }),
  verify: z.strictObject({ drill: z.boolean().optional() }),
  policy: z.strictObject({
    tenant: z.string().optional(),
    pod: z.string().optional(),
    every: z.string().optional(),
    cron: z.string().optional(),
    keep: z.number().int(),
    drill: z.boolean().optional(),
  }),
};

/** Adds the backup routes to `api`. */
export function backupRoutes(api: Hono, backups: BackupService, g: BackupRouteGuards): void {
  /** A change to one archive: the role decides, and a tenant token must see it. */
  const onBackup =
    (need: Permission, handler: (c: Context, id: string) => Promise<Response>) =>
    async (c: Context) => {
      const p = g.who(c);
      authorize(p, need, "tenant");
      const id = c.req.param("id")!;
      if (p.tenant !== null) {
        await g.scoped(p.tenant, (reads) => reads.store.backups.get(checkId(id)));
      }
      return await handler(c, id);
    };

  api.post(
    "/tenants/:tenant/pods/:pod/backups",
    g.write("operator", async (c) => {
      const body = g.parse(BACKUP_SCHEMAS.backup, await g.jsonBody(c), "backup");
      const ref = `${c.req.param("tenant")}/${c.req.param("pod")}`;
      return c.json(await backups.backup(ref, body), 202);
    }),
  );
  api.post(
    "/tenants/:tenant/pods/:pod/restore",
    g.write("operator", async (c, p) => {
      const body = g.parse(BACKUP_SCHEMAS.restore, await g.jsonBody(c), "restore");
      if (p.tenant !== null) {
        // An archive of another tenant is not this token's to read, let alone restore.
        await g.scoped(p.tenant, (reads) => reads.store.backups.get(checkId(body.from)));
      }
      const ref = `${c.req.param("tenant")}/${c.req.param("pod")}`;
      return c.json(await backups.restore(ref, body.from, body.cloneFrom), 202);
    }),
  );
  api.get(
    "/backups",
    g.read(async (c, r) => {
      const tenant = c.req.query("tenant");
      const pod = c.req.query("pod");
      let podId: string | undefined;
      if (pod) {
        const ref = parsePodRef(pod);
        podId = (await r.store.pods.get(ref.tenant, ref.pod)).id;
      }
      return c.json(await r.store.backups.list({ tenant, podId }));
    }),
  );
  api.post(
    "/backups/import",
    g.global("admin", async (c) => {
      const keep = c.req.query("keep") !== "false";
      if (!c.req.raw.body) throw new ValidationError("Send the archive file as the request body");
      const received = await backups.receive(c.req.raw.body, keep);
      return c.json(received, keep ? 201 : 200);
    }),
  );
  // Each pod's newest archive time, by pod id (`pod list --wide`).
  api.get(
    "/backups/last",
    g.read(async (c, r) => c.json(Object.fromEntries(await r.store.backups.lastByPod()))),
  );
  api.get(
    "/backups/:id",
    g.read(async (c, r) => c.json(await r.store.backups.get(checkId(c.req.param("id")!)))),
  );
  api.post(
    "/backups/:id/verify",
    onBackup("operator", async (c, id) => {
      const body = g.parse(BACKUP_SCHEMAS.verify, await g.jsonBody(c), "verify");
      if (body.drill) return c.json(await backups.drill(id), 202);
      return c.json(await backups.verify(id));
    }),
  );
  api.get(
    "/backups/:id/file",
    onBackup("admin", async (_c, id) => {
      const backup = await backups.get(id);
      const file = await backups.file(backup.id);
      return new Response(file.stream, {
        headers: {
          "content-type": "application/x-tar",
          "content-length": String(file.size),
          "content-disposition":
            `attachment; filename="agentpod-${backup.tenant}-${backup.pod}-${backup.id}.tar"`,
        },
      });
    }),
  );
  api.delete("/backups/:id", onBackup("admin", async (c, id) => c.json(await backups.delete(id))));
  api.get(
    "/backup-tasks",
    g.read(async (c, r) => {
      const pod = c.req.query("pod");
      let podId: string | undefined;
      if (pod) {
        const ref = parsePodRef(pod);
        podId = (await r.store.pods.get(ref.tenant, ref.pod)).id;
      }
      return c.json(await r.store.backupTasks.list({ podId, limit: 100 }));
    }),
  );
  api.get(
    "/backup-tasks/:id",
    g.read(async (c, r) =>
      c.json(await r.store.backupTasks.get(checkId(c.req.param("id")!, "Backup task")))
    ),
  );
  api.get("/backup-policies", g.read(async (c, r) => c.json(await r.store.backupPolicies.list())));
  api.put(
    "/backup-policies",
    g.global("admin", async (c) => {
      const body = g.parse(BACKUP_SCHEMAS.policy, await g.jsonBody(c), "backup policy");
      return c.json(await backups.setPolicy(body));
    }),
  );
  api.delete(
    "/backup-policies",
    g.global("admin", async (c) => {
      const tenant = c.req.query("tenant");
      const pod = c.req.query("pod");
      return c.json(await backups.unsetPolicy({ tenant, pod }));
    }),
  );
}

function checkId(id: string, what = "Backup"): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw new NotFoundError(`${what} "${id}" does not exist`);
  }
  return id.toLowerCase();
}
