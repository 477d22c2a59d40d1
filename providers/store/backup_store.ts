/**
 * The backup tables (`0009_backups.sql`) as a {@linkcode BackupStore}: archives, the
 * tasks the leader carries out, and the schedules.
 * @module
 */
import type {
  BackupPolicy,
  BackupRecord,
  BackupStore,
  BackupTask,
  BackupTaskKind,
  BackupTaskOptions,
  BackupTaskState,
} from "../../core/backup.ts";
import { NotFoundError } from "../../core/errors.ts";
import type { SqlSession, SqlValue } from "./database.ts";

interface BackupRow {
  id: string;
  tenant_id: string;
  pod_id: string;
  pod_name: string;
  origin: BackupRecord["origin"];
  method: BackupRecord["method"];
  adapter: string;
  image: string;
  image_id: string | null;
  app_version: string | null;
  bytes: string | number;
  sha256: string;
  entries: number;
  downtime_ms: number;
  duration_ms: number | null;
  created_at: Date;
  drilled_at: Date | null;
  drill_ok: boolean | null;
  drill_message: string | null;
}

interface TaskRow {
  id: string;
  kind: BackupTaskKind;
  tenant_id: string;
  pod_id: string;
  pod_name: string;
  backup_id: string;
  options: BackupTaskOptions;
  state: BackupTaskState;
  step: string | null;
  message: string | null;
  result: Record<string, unknown>;
  actor: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

interface PolicyRow {
  scope: string;
  tenant_id: string | null;
  pod_id: string | null;
  every_ms: string | number | null;
  cron: string | null;
  keep: number;
  drill: boolean;
  updated_at: Date;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

function toBackup(row: BackupRow): BackupRecord {
  return {
    id: row.id,
    tenant: row.tenant_id,
    podId: row.pod_id,
    pod: row.pod_name,
    origin: row.origin,
    method: row.method,
    adapter: row.adapter,
    image: row.image,
    imageId: row.image_id,
    appVersion: row.app_version,
    bytes: Number(row.bytes),
    sha256: row.sha256,
    entries: row.entries,
    downtimeMs: row.downtime_ms,
    durationMs: row.duration_ms,
    createdAt: row.created_at.toISOString(),
    drill: row.drilled_at
      ? {
        at: row.drilled_at.toISOString(),
        ok: row.drill_ok === true,
        message: row.drill_message ?? "",
      }
      : null,
  };
}

function toTask(row: TaskRow): BackupTask {
  return {
    id: row.id,
    kind: row.kind,
    tenant: row.tenant_id,
    podId: row.pod_id,
    pod: row.pod_name,
    backupId: row.backup_id,
    options: row.options,
    state: row.state,
    step: row.step,
    message: row.message,
    result: row.result,
    actor: row.actor,
    createdAt: row.created_at.toISOString(),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}

function toPolicy(row: PolicyRow): BackupPolicy {
  return {
    scope: row.scope,
    tenant: row.tenant_id,
    podId: row.pod_id,
    everyMs: row.every_ms === null ? null : Number(row.every_ms),
    cron: row.cron,
    keep: row.keep,
    drill: row.drill,
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The backup tables over `db`. */
export function createBackupStore(db: SqlSession): BackupStore {
  const getBackup = async (id: string) => {
    const [row] = await db.query<BackupRow>("SELECT * FROM backups WHERE id = $1", [id]);
    if (!row) throw new NotFoundError(`Backup "${id}" does not exist`);
    return toBackup(row);
  };
  const getTask = async (id: string) => {
    const [row] = await db.query<TaskRow>("SELECT * FROM backup_tasks WHERE id = $1", [id]);
    if (!row) throw new NotFoundError(`Backup task "${id}" does not exist`);
    return toTask(row);
  };
  return {
    backups: {
      async create(b) {
        const [row] = await db.query<BackupRow>(
          `INSERT INTO backups (id, tenant_id, pod_id, pod_name, origin, method, adapter, image,
             image_id, app_version, bytes, sha256, entries, downtime_ms, duration_ms, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
             COALESCE($16::timestamptz, now()))
           RETURNING *`,
          [
            b.id,
            b.tenant,
            b.podId,
            b.pod,
            b.origin,
            b.method,
            b.adapter,
            b.image,
            b.imageId,
            b.appVersion,
            b.bytes,
            b.sha256,
            b.entries,
            b.downtimeMs,
            b.durationMs,
            b.createdAt ?? null,
          ],
        );
        return toBackup(row!);
      },
      get: getBackup,
      async list(filter = {}) {
        const params: SqlValue[] = [filter.limit ?? 500];
        const where: string[] = [];
        if (filter.tenant) {
          params.push(filter.tenant);
          where.push(`tenant_id = $${params.length}`);
        }
        if (filter.podId) {
          params.push(filter.podId);
          where.push(`pod_id = $${params.length}`);
        }
        const rows = await db.query<BackupRow>(
          `SELECT * FROM backups ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
           ORDER BY created_at DESC, id LIMIT $1`,
          params,
        );
        return rows.map(toBackup);
      },
      async recordDrill(id, drill) {
        await db.query(
          `UPDATE backups SET drilled_at = now(), drill_ok = $2, drill_message = $3 WHERE id = $1`,
          [id, drill.ok, drill.message],
        );
      },
      async delete(id) {
        await db.query("DELETE FROM backups WHERE id = $1", [id]);
      },
      async lastByPod() {
        const rows = await db.query<{ pod_id: string; at: Date }>(
          "SELECT pod_id, max(created_at) AS at FROM backups GROUP BY pod_id",
        );
        return new Map(rows.map((r) => [r.pod_id, new Date(r.at).toISOString()]));
      },
    },
    backupTasks: {
      async create(t) {
        const [row] = await db.query<TaskRow>(
          `INSERT INTO backup_tasks (kind, tenant_id, pod_id, pod_name, backup_id, options, actor)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) RETURNING *`,
          [
            t.kind,
            t.tenant,
            t.podId,
            t.pod,
            t.backupId,
            JSON.stringify(t.options),
            t.actor ?? null,
          ],
        );
        return toTask(row!);
      },
      get: getTask,
      async lastScheduled() {
        const rows = await db.query<{ pod_id: string; at: Date }>(
          `SELECT pod_id, max(created_at) AS at FROM backup_tasks
            WHERE kind = 'backup' AND options->>'origin' = 'policy' GROUP BY pod_id`,
        );
        return new Map(rows.map((r) => [r.pod_id, new Date(r.at).toISOString()]));
      },
      async list(filter = {}) {
        const params: SqlValue[] = [filter.limit ?? 100];
        const where: string[] = [];
        if (filter.unfinished) where.push("finished_at IS NULL");
        if (filter.podId) {
          params.push(filter.podId);
          where.push(`pod_id = $${params.length}`);
        }
        if (filter.tenant) {
          params.push(filter.tenant);
          where.push(`tenant_id = $${params.length}`);
        }
        const rows = await db.query<TaskRow>(
          `SELECT * FROM backup_tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
           ORDER BY created_at ${filter.unfinished ? "ASC" : "DESC"}, id LIMIT $1`,
          params,
        );
        return rows.map(toTask);
      },
      async update(id, changes) {
        const [row] = await db.query<TaskRow>(
          `UPDATE backup_tasks SET state = COALESCE($2, state),
             step = CASE WHEN $3::boolean THEN $4 ELSE step END,
             message = CASE WHEN $5::boolean THEN $6 ELSE message END,
             result = result || COALESCE($7::jsonb, '{}'::jsonb),
             started_at = CASE WHEN $8::boolean THEN now() ELSE started_at END,
             finished_at = CASE WHEN $9::boolean THEN now() ELSE finished_at END
           WHERE id = $1 RETURNING *`,
          [
            id,
            changes.state ?? null,
            changes.step !== undefined,
            changes.step ?? null,
            changes.message !== undefined,
            changes.message ?? null,
            changes.result === undefined ? null : JSON.stringify(changes.result),
            changes.started === true,
            changes.finished === true,
          ],
        );
        if (!row) throw new NotFoundError(`Backup task "${id}" does not exist`);
        return toTask(row);
      },
    },
    backupPolicies: {
      async set(p) {
        const [row] = await db.query<PolicyRow>(
          `INSERT INTO backup_policies (scope, tenant_id, pod_id, every_ms, cron, keep, drill)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (scope) DO UPDATE SET every_ms = EXCLUDED.every_ms,
             cron = EXCLUDED.cron, keep = EXCLUDED.keep, drill = EXCLUDED.drill,
             updated_at = now()
           RETURNING *`,
          [p.scope, p.tenant, p.podId, p.everyMs, p.cron, p.keep, p.drill],
        );
        return toPolicy(row!);
      },
      async list() {
        const rows = await db.query<PolicyRow>("SELECT * FROM backup_policies ORDER BY scope");
        return rows.map(toPolicy);
      },
      async unset(scope) {
        const rows = await db.query(
          "DELETE FROM backup_policies WHERE scope = $1 RETURNING scope",
          [
            scope,
          ],
        );
        return rows.length > 0;
      },
    },
  };
}
