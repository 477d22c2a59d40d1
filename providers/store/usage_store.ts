/**
 * The usage tables (`0011_usage.sql`) as a {@linkcode UsageStore}.
 * @module
 */
import type { CpuCursor, PodRun, SampledDay, UsageStore } from "../../core/usage.ts";
import type { SqlSession, SqlValue } from "./database.ts";
import type { StoreDatabase } from "./store.ts";

interface RunRow {
  pod_id: string;
  tenant_id: string;
  pod_name: string;
  container_id: string;
  started_at: Date;
  ended_at: Date | null;
}

interface DayRow {
  pod_id: string;
  day: string | Date;
  tenant_id: string;
  pod_name: string;
  cpu_seconds: number;
  memory_mb_sum: number;
  memory_samples: number;
  memory_peak_mb: number;
  volume_bytes: string | number | null;
  tokens_input: string | number | null;
  tokens_output: string | number | null;
  tokens_total: string | number | null;
  cost_usd: number | null;
}

const num = (v: string | number | null) => (v === null ? null : Number(v));
const dayText = (d: string | Date) => (d instanceof Date ? d.toISOString().slice(0, 10) : d);

/** Inserts a pod's day row if missing (its tenant and name from `pods`). */
const ENSURE_DAY = `INSERT INTO usage_daily (pod_id, day, tenant_id, pod_name)
  SELECT id, $2::date, tenant_id, name FROM pods WHERE id = $1
  ON CONFLICT (pod_id, day) DO NOTHING`;

/** The usage tables over `db`. */
export function createUsageStore(db: StoreDatabase): UsageStore {
  const tenantFilter = (filter: { tenant?: string }, params: SqlValue[]) => {
    if (filter.tenant === undefined) return "";
    params.push(filter.tenant);
    return ` AND tenant_id = $${params.length}`;
  };
  const openRun = (session: SqlSession, podId: string, containerId: string, at: Date) =>
    session.query(
      `INSERT INTO pod_runs (pod_id, tenant_id, pod_name, container_id, started_at)
       SELECT id, tenant_id, name, $2, $3 FROM pods WHERE id = $1
       ON CONFLICT DO NOTHING`,
      [podId, containerId, at],
    );
  return {
    usage: {
      async runStarted(run) {
        await openRun(db, run.podId, run.containerId, new Date(run.at));
      },
      async runEnded(run) {
        await db.query(
          `UPDATE pod_runs SET ended_at = greatest(started_at, $2), exit_code = $3
           WHERE container_id = $1 AND ended_at IS NULL`,
          [run.containerId, new Date(run.at), run.exitCode],
        );
      },
      async seenRunning(seen) {
        await db.transaction(async (tx) => {
          // Runs that ended while no event was seen: at the engine's FinishedAt when it
          // is after them, else at the last sample (the best known).
          await tx.query(
            `UPDATE pod_runs r SET ended_at = greatest(r.started_at, coalesce(
               CASE WHEN $4::timestamptz > r.started_at THEN $4::timestamptz END,
               (SELECT sampled_at FROM usage_cursors c WHERE c.pod_id = r.pod_id),
               $3::timestamptz))
             WHERE r.pod_id = $1 AND r.ended_at IS NULL
               AND (r.container_id <> $2 OR r.started_at < $3::timestamptz - interval '1 second')`,
            [
              seen.podId,
              seen.containerId,
              new Date(seen.startedAt),
              seen.lastExitAt === null ? null : new Date(seen.lastExitAt),
            ],
          );
          await openRun(tx, seen.podId, seen.containerId, new Date(seen.startedAt));
        });
      },
      async seenStopped(podId, at) {
        await db.query(
          `UPDATE pod_runs r SET ended_at = greatest(r.started_at, coalesce(
             (SELECT sampled_at FROM usage_cursors c WHERE c.pod_id = r.pod_id), $2))
           WHERE r.pod_id = $1 AND r.ended_at IS NULL AND r.started_at < $2`,
          [podId, new Date(at)],
        );
      },
      async cursor(podId) {
        const [row] = await db.query<
          { container_id: string; started_at: Date; cpu_seconds: number; sampled_at: Date }
        >("SELECT * FROM usage_cursors WHERE pod_id = $1", [podId]);
        return row
          ? {
            containerId: row.container_id,
            startedAt: row.started_at.getTime(),
            cpuSeconds: row.cpu_seconds,
            sampledAt: row.sampled_at.getTime(),
          } satisfies CpuCursor
          : undefined;
      },
      async addSample(sample) {
        return await db.transaction(async (tx) => {
          const c = sample.cursor;
          const cursor = [
            sample.podId,
            c.containerId,
            new Date(c.startedAt),
            c.cpuSeconds,
            new Date(c.sampledAt),
          ];
          // The cursor moves first, and only from where this sample began: two samplers
          // (a leader and the next one) never both count the same CPU-seconds.
          const moved = sample.after === null
            ? await tx.query(
              `INSERT INTO usage_cursors (pod_id, container_id, started_at, cpu_seconds, sampled_at)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pod_id) DO NOTHING RETURNING pod_id`,
              cursor,
            )
            : await tx.query(
              `UPDATE usage_cursors SET container_id = $2, started_at = $3, cpu_seconds = $4,
                 sampled_at = $5
               WHERE pod_id = $1 AND sampled_at = $6 RETURNING pod_id`,
              [...cursor, new Date(sample.after)],
            );
          if (moved.length === 0) return false;
          await tx.query(ENSURE_DAY, [sample.podId, sample.day]);
          await tx.query(
            `UPDATE usage_daily SET cpu_seconds = cpu_seconds + $3::float8,
               memory_mb_sum = memory_mb_sum + coalesce($4::float8, 0),
               memory_samples = memory_samples + CASE WHEN $4::float8 IS NULL THEN 0 ELSE 1 END,
               memory_peak_mb = greatest(memory_peak_mb, coalesce($4::float8, 0)),
               updated_at = now()
             WHERE pod_id = $1 AND day = $2::date`,
            [sample.podId, sample.day, sample.cpuSeconds, sample.memoryMb],
          );
          return true;
        });
      },
      async setDay(podId, day, values) {
        await db.transaction(async (tx) => {
          await tx.query(ENSURE_DAY, [podId, day]);
          await tx.query(
            `UPDATE usage_daily SET volume_bytes = coalesce($3, volume_bytes),
               tokens_input = coalesce($4, tokens_input),
               tokens_output = coalesce($5, tokens_output),
               tokens_total = coalesce($6, tokens_total),
               cost_usd = coalesce($7, cost_usd), updated_at = now()
             WHERE pod_id = $1 AND day = $2::date`,
            [
              podId,
              day,
              values.volumeBytes ?? null,
              values.tokens?.input ?? null,
              values.tokens?.output ?? null,
              values.tokens?.total ?? null,
              values.costUsd ?? null,
            ],
          );
        });
      },
      async sampled(filter) {
        const params: SqlValue[] = [filter.from, filter.to];
        const rows = await db.query<DayRow>(
          `SELECT pod_id, to_char(day, 'YYYY-MM-DD') AS day, tenant_id, pod_name, cpu_seconds,
             memory_mb_sum, memory_samples, memory_peak_mb, volume_bytes, tokens_input,
             tokens_output, tokens_total, cost_usd
           FROM usage_daily WHERE day BETWEEN $1::date AND $2::date${
            tenantFilter(filter, params)
          } ORDER BY day, tenant_id, pod_name`,
          params,
        );
        return rows.map((r): SampledDay => ({
          podId: r.pod_id,
          tenant: r.tenant_id,
          pod: r.pod_name,
          day: dayText(r.day),
          cpuSeconds: r.cpu_seconds,
          memoryMbSum: r.memory_mb_sum,
          memorySamples: r.memory_samples,
          memoryPeakMb: r.memory_peak_mb,
          volumeBytes: num(r.volume_bytes),
          tokens: r.tokens_total === null ? null : {
            input: num(r.tokens_input) ?? 0,
            output: num(r.tokens_output) ?? 0,
            total: num(r.tokens_total) ?? 0,
          },
          costUsd: r.cost_usd,
        }));
      },
      async runs(filter) {
        const params: SqlValue[] = [filter.from, filter.to];
        const rows = await db.query<RunRow>(
          `SELECT pod_id, tenant_id, pod_name, container_id, started_at, ended_at FROM pod_runs
           WHERE started_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'
             AND (ended_at IS NULL OR ended_at > $1::date::timestamp AT TIME ZONE 'UTC')${
            tenantFilter(filter, params)
          } ORDER BY started_at`,
          params,
        );
        return rows.map((r): PodRun => ({
          podId: r.pod_id,
          tenant: r.tenant_id,
          pod: r.pod_name,
          containerId: r.container_id,
          startedAt: r.started_at.getTime(),
          endedAt: r.ended_at?.getTime() ?? null,
        }));
      },
      async firstStarts(podIds) {
        if (podIds.length === 0) return new Map();
        const rows = await db.query<{ pod_id: string; first: Date }>(
          `SELECT pod_id, min(started_at) AS first FROM pod_runs
           WHERE pod_id = ANY($1::uuid[]) GROUP BY pod_id`,
          [podIds],
        );
        return new Map(rows.map((r) => [r.pod_id, r.first.getTime()]));
      },
    },
  };
}
