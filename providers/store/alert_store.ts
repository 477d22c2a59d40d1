/**
 * The alert tables (`0010_alerts.sql`) as an {@linkcode AlertStore}, and `raiseAlert`, which
 * the event writer calls inside the event's own transaction.
 * @module
 */
import {
  type Alert,
  ALERT_COALESCE_MS,
  type AlertDelivery,
  type AlertEndpoint,
  type AlertStore,
  type AlertView,
  coalesce,
  type DeliveryState,
  type DueDelivery,
  TEST_ALERT_TYPE,
} from "../../core/alerts.ts";
import type { SqlSession, SqlValue } from "./database.ts";
import type { StoreDatabase } from "./store.ts";

interface AlertRow {
  id: string;
  type: string;
  tenant_id: string | null;
  pod_name: string | null;
  message: string;
  event_id: string | number | null;
  created_at: Date;
  coalesced: number;
  last_seen: Date;
}

interface EndpointRow {
  id: string;
  url: string;
  events: string[];
  tenant_id: string | null;
  created_at: Date;
  actor: string | null;
}

interface DeliveryRow {
  alert_id: string;
  endpoint_id: string;
  url: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
}

const ALERT_COLUMNS =
  "a.id, a.type, a.tenant_id, a.pod_name, a.message, a.event_id, a.created_at, a.coalesced, a.last_seen";

function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    type: row.type,
    tenant: row.tenant_id,
    pod: row.pod_name && row.tenant_id ? `${row.tenant_id}/${row.pod_name}` : null,
    message: row.message,
    eventId: row.event_id === null ? null : Number(row.event_id),
    createdAt: row.created_at.toISOString(),
    coalesced: row.coalesced,
    lastSeen: row.last_seen.toISOString(),
  };
}

function toEndpoint(row: EndpointRow): AlertEndpoint {
  return {
    id: row.id,
    url: row.url,
    events: row.events ?? [],
    tenant: row.tenant_id,
    createdAt: row.created_at.toISOString(),
    actor: row.actor,
  };
}

function toDelivery(row: DeliveryRow): AlertDelivery {
  return {
    alertId: row.alert_id,
    endpointId: row.endpoint_id,
    url: row.url,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at.toISOString(),
    lastStatus: row.last_status,
    lastError: row.last_error,
    deliveredAt: row.delivered_at?.toISOString() ?? null,
  };
}

/**
 * Raises (or coalesces) an alert in the caller's transaction, right after its event.
 * Returns whether a new alert row was written.
 */
export async function raiseAlert(
  tx: SqlSession,
  alert: {
    type: string;
    key: string;
    tenant: string | null;
    podId: string | null;
    podName: string | null;
    message: string;
    eventId: number;
  },
): Promise<boolean> {
  // One subject's alerts are decided one at a time (two events at once must not both send).
  await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`alert:${alert.key}`]);
  const sent = await tx.query<{ id: string; type: string }>(
    `SELECT id, type FROM alerts WHERE key = $1
       AND created_at > now() - make_interval(secs => $2::double precision)
     ORDER BY created_at, id`,
    [alert.key, ALERT_COALESCE_MS / 1000],
  );
  const decision = coalesce(sent, alert.type);
  if (decision.kind === "coalesce") {
    await tx.query(
      `UPDATE alerts SET coalesced = coalesced + 1, last_seen = now(),
         trailing_type = CASE WHEN $2 THEN $3 END,
         trailing_message = CASE WHEN $2 THEN $4 END
       WHERE id = $1`,
      [decision.onto, decision.hold, alert.type, alert.message],
    );
    return false;
  }
  await tx.query(
    `INSERT INTO alerts (type, key, tenant_id, pod_id, pod_name, message, event_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      alert.type,
      alert.key,
      alert.tenant,
      alert.podId,
      alert.podName,
      alert.message,
      alert.eventId,
    ],
  );
  return true;
}

/** The alert tables over `db`. */
export function createAlertStore(db: StoreDatabase): AlertStore {
  const deliveriesOf = async (alertIds: string[]): Promise<Map<string, AlertDelivery[]>> => {
    const byAlert = new Map<string, AlertDelivery[]>();
    if (alertIds.length === 0) return byAlert;
    const rows = await db.query<DeliveryRow>(
      `SELECT d.*, e.url FROM alert_deliveries d JOIN alert_endpoints e ON e.id = d.endpoint_id
       WHERE d.alert_id = ANY($1::uuid[]) ORDER BY e.created_at`,
      [alertIds],
    );
    for (const row of rows) {
      const list = byAlert.get(row.alert_id) ?? [];
      list.push(toDelivery(row));
      byAlert.set(row.alert_id, list);
    }
    return byAlert;
  };
  const withDeliveries = async (rows: AlertRow[]): Promise<AlertView[]> => {
    const deliveries = await deliveriesOf(rows.map((r) => r.id));
    return rows.map((row) => ({ ...toAlert(row), deliveries: deliveries.get(row.id) ?? [] }));
  };
  return {
    alerts: {
      async addEndpoint(endpoint, secret) {
        const [row] = await db.query<EndpointRow>(
          `INSERT INTO alert_endpoints (url, events, tenant_id, secret, actor)
           VALUES ($1, $2::text[], $3, $4, $5)
           RETURNING id, url, events, tenant_id, created_at, actor`,
          [endpoint.url, endpoint.events, endpoint.tenant, secret, endpoint.actor],
        );
        return toEndpoint(row!);
      },
      async listEndpoints() {
        const rows = await db.query<EndpointRow>(
          `SELECT id, url, events, tenant_id, created_at, actor FROM alert_endpoints
           ORDER BY created_at, id`,
        );
        return rows.map(toEndpoint);
      },
      async getEndpoint(id) {
        const [row] = await db.query<EndpointRow>(
          `SELECT id, url, events, tenant_id, created_at, actor FROM alert_endpoints
           WHERE id = $1`,
          [id],
        );
        return row ? toEndpoint(row) : undefined;
      },
      async removeEndpoint(id) {
        const rows = await db.query<{ id: string }>(
          "DELETE FROM alert_endpoints WHERE id = $1 RETURNING id",
          [id],
        );
        return rows.length > 0;
      },
      async raiseTest(endpointId, message) {
        const [row] = await db.query<AlertRow>(
          `INSERT INTO alerts AS a (type, key, message, endpoint_id)
           VALUES ($1, 'test:' || gen_random_uuid(), $2, $3)
           RETURNING ${ALERT_COLUMNS}`,
          [TEST_ALERT_TYPE, message, endpointId],
        );
        return toAlert(row!);
      },
      async list(filter) {
        const params: SqlValue[] = [filter.tail];
        let where = "";
        if (filter.tenant !== undefined) {
          params.push(filter.tenant);
          where = `WHERE a.tenant_id = $2`;
        }
        const rows = await db.query<AlertRow>(
          `SELECT * FROM (SELECT ${ALERT_COLUMNS} FROM alerts a ${where}
             ORDER BY a.created_at DESC, a.id DESC LIMIT $1) x ORDER BY created_at, id`,
          params,
        );
        return await withDeliveries(rows);
      },
      async get(id) {
        const [row] = await db.query<AlertRow>(
          `SELECT ${ALERT_COLUMNS} FROM alerts a WHERE a.id = $1`,
          [id],
        );
        return row ? (await withDeliveries([row]))[0] : undefined;
      },
      async fanOut() {
        // One statement: deliveries for every endpoint that wants each new alert, then
        // the alerts marked. A test alert goes to its endpoint only.
        const rows = await db.query<{ n: number }>(
          `WITH fresh AS (
             UPDATE alerts SET fanned_out = true WHERE NOT fanned_out
             RETURNING id, type, tenant_id, endpoint_id
           ), made AS (
             INSERT INTO alert_deliveries (alert_id, endpoint_id)
             SELECT f.id, e.id FROM fresh f JOIN alert_endpoints e
               ON CASE WHEN f.endpoint_id IS NOT NULL THEN e.id = f.endpoint_id
                  ELSE (e.tenant_id IS NULL OR e.tenant_id = f.tenant_id)
                   AND (cardinality(e.events) = 0 OR f.type = ANY(e.events)) END
             ON CONFLICT DO NOTHING
             RETURNING 1
           ) SELECT count(*)::int AS n FROM made`,
        );
        return rows[0]?.n ?? 0;
      },
      async flushHeld() {
        return await db.transaction(async (tx) => {
          const held = await tx.query<
            AlertRow & {
              key: string;
              pod_id: string | null;
              trailing_type: string;
              trailing_message: string;
            }
          >(
            `SELECT ${ALERT_COLUMNS}, a.key, a.pod_id, a.trailing_type, a.trailing_message
             FROM alerts a WHERE a.trailing_type IS NOT NULL
               AND a.created_at <= now() - make_interval(secs => $1::double precision)
             FOR UPDATE SKIP LOCKED`,
            [ALERT_COALESCE_MS / 1000],
          );
          for (const row of held) {
            await tx.query(
              `INSERT INTO alerts (type, key, tenant_id, pod_id, pod_name, message)
               VALUES ($1, $2, $3, $4, $5, $6)`,
              [
                row.trailing_type,
                row.key,
                row.tenant_id,
                row.pod_id,
                row.pod_name,
                `${row.trailing_message} (the state after ${row.coalesced} more alerts ` +
                `in ${ALERT_COALESCE_MS / 60_000} minutes, coalesced)`,
              ],
            );
            await tx.query(
              "UPDATE alerts SET trailing_type = NULL, trailing_message = NULL WHERE id = $1",
              [row.id],
            );
          }
          return held.length;
        });
      },
      async due(now, limit, leaseMs) {
        // Claimed: the rows are locked while their next attempt moves past the lease, so
        // two senders (a leader and the one taking over) never send one at once.
        const rows = await db.query<
          AlertRow & { endpoint_id: string; url: string; secret: Uint8Array; attempts: number }
        >(
          `WITH claimed AS (
             UPDATE alert_deliveries d
             SET next_attempt_at = now() + make_interval(secs => $3::double precision)
             WHERE (d.alert_id, d.endpoint_id) IN (
               SELECT alert_id, endpoint_id FROM alert_deliveries
               -- The database's clock too: a delivery made this millisecond (now() has
               -- microseconds, $1 milliseconds) is due at once.
               WHERE state = 'pending' AND next_attempt_at <= greatest($1::timestamptz, now())
               ORDER BY next_attempt_at LIMIT $2
               FOR UPDATE SKIP LOCKED)
             RETURNING d.alert_id, d.endpoint_id, d.attempts
           )
           SELECT ${ALERT_COLUMNS}, c.endpoint_id, c.attempts, e.url, e.secret
           FROM claimed c
           JOIN alerts a ON a.id = c.alert_id
           JOIN alert_endpoints e ON e.id = c.endpoint_id
           ORDER BY a.created_at`,
          [now, limit, leaseMs / 1000],
        );
        return rows.map((row): DueDelivery => ({
          alert: toAlert(row),
          endpointId: row.endpoint_id,
          url: row.url,
          secret: row.secret,
          attempts: row.attempts,
        }));
      },
      async recordAttempt(alertId, endpointId, attempts, outcome) {
        const state: DeliveryState = outcome.delivered
          ? "delivered"
          : outcome.next === null
          ? "failed"
          : "pending";
        const rows = await db.query<{ attempts: number }>(
          `UPDATE alert_deliveries SET attempts = attempts + 1, state = $3,
             last_status = $4, last_error = $5, next_attempt_at = coalesce($6, next_attempt_at),
             delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,
             updated_at = now()
           WHERE alert_id = $1 AND endpoint_id = $2 AND state = 'pending' AND attempts = $7
           RETURNING attempts`,
          [
            alertId,
            endpointId,
            state,
            outcome.status,
            outcome.error ?? null,
            outcome.next,
            attempts,
          ],
        );
        return rows.length > 0;
      },
      async deliveryCounts() {
        const rows = await db.query<{ state: DeliveryState; n: number }>(
          "SELECT state, count(*)::int AS n FROM alert_deliveries GROUP BY state",
        );
        const counts: Record<DeliveryState, number> = { pending: 0, delivered: 0, failed: 0 };
        for (const row of rows) counts[row.state] = row.n;
        return counts;
      },
    },
  };
}
