/**
 * Alerts in core terms: which events raise which alert, what coalesces, how a failed
 * delivery is retried, and the JSON a webhook receives. Pure: the store writes alerts in
 * the transaction of their event, `alert_sender.ts` delivers them.
 * @module
 */
import type { NewPodEvent, PodEvent } from "./store.ts";

/** The alert types an endpoint can ask for. */
export const ALERT_TYPES = [
  "pod.failed",
  "pod.unhealthy",
  "pod.recovered",
  "pod.oom_killed",
  "pod.restart_loop",
  "upgrade.rolled_back",
  "rollout.paused",
  "backup.failed",
  "backup.drill_failed",
] as const;

/** One alert type. */
export type AlertType = (typeof ALERT_TYPES)[number];

/** The type of the message `alert endpoint test` sends. */
export const TEST_ALERT_TYPE = "alert.test";

/** Event reasons that raise an alert, and which. */
const RAISED_BY: Record<string, AlertType> = {
  RecoveryFailed: "pod.failed",
  Unhealthy: "pod.unhealthy",
  Healthy: "pod.recovered",
  OOMKilled: "pod.oom_killed",
  RestartLoop: "pod.restart_loop",
  UpgradeRolledBack: "upgrade.rolled_back",
  RolloutPaused: "rollout.paused",
  BackupFailed: "backup.failed",
  DrillFailed: "backup.drill_failed",
};

/** Crashes of one pod within `RESTART_LOOP_WINDOW_MS` that make a restart loop. */
export const RESTART_LOOP_CRASHES = 5;
/** The window `RESTART_LOOP_CRASHES` are counted in. */
export const RESTART_LOOP_WINDOW_MS = 10 * 60_000;

/** Alert types that tell one state of the same subject (they coalesce together). */
const SUBJECT: Partial<Record<AlertType, string>> = {
  "pod.unhealthy": "pod.health",
  "pod.recovered": "pod.health",
};

/**
 * The alert an event raises: its type and its subject (`key`: alerts about one subject
 * coalesce), or null.
 */
export function alertOf(event: NewPodEvent): { type: AlertType; key: string } | null {
  const type = RAISED_BY[event.reason];
  if (!type) return null;
  // A rollout a user paused is no news to them: only the failure budget's pause alerts.
  if (type === "rollout.paused" && event.type !== "Warning") return null;
  // A pod's alerts by pod; others (a rollout's) by what they say.
  return { type, key: `${SUBJECT[type] ?? type}:${event.podId ?? event.message}` };
}

/** How long alerts about one subject coalesce. */
export const ALERT_COALESCE_MS = 10 * 60_000;
/** Alerts about one subject sent at once inside a window before changes are held back. */
export const ALERT_BURST = 2;

/** What becomes of a new alert, given its subject's alerts sent in the window. */
export type CoalesceDecision =
  | { kind: "send" }
  /** Counted on `onto`; `hold`: a changed state, sent when the window ends. */
  | { kind: "coalesce"; onto: string; hold: boolean };

/**
 * Coalescing: the same state as the last alert sent is counted on it; a change is sent
 * while fewer than `ALERT_BURST` were sent in the window, else held (the last held state
 * is sent when the window ends, unless the subject came back to the state last sent). A
 * flapping pod sends at most `ALERT_BURST` + 1 alerts per window, and the last one tells
 * its state.
 */
export function coalesce(
  sent: readonly { id: string; type: string }[],
  type: string,
): CoalesceDecision {
  const last = sent.at(-1);
  if (!last) return { kind: "send" };
  if (last.type === type) return { kind: "coalesce", onto: last.id, hold: false };
  if (sent.length < ALERT_BURST) return { kind: "send" };
  return { kind: "coalesce", onto: last.id, hold: true };
}

/** Whether an endpoint (its tenant, its types; empty: all) wants an alert. */
export function endpointWants(
  endpoint: { tenant: string | null; events: readonly string[] },
  alert: { type: string; tenant: string | null },
): boolean {
  if (endpoint.tenant !== null && endpoint.tenant !== alert.tenant) return false;
  return endpoint.events.length === 0 || endpoint.events.includes(alert.type);
}

/** Parses `--events a,b` into alert types; throws a message naming the unknown one. */
export function parseAlertTypes(list: readonly string[]): AlertType[] {
  const out: AlertType[] = [];
  for (const raw of list) {
    const type = raw.trim();
    if (type === "") continue;
    if (!(ALERT_TYPES as readonly string[]).includes(type)) {
      throw new Error(`Unknown alert type "${type}": expected one of ${ALERT_TYPES.join(", ")}`);
    }
    if (!out.includes(type as AlertType)) out.push(type as AlertType);
  }
  return out;
}

/** Delivery tuning. */
export interface DeliveryOptions {
  /** The first retry's delay; each next one doubles. */
  retryBaseMs: number;
  /** The longest delay between two attempts. */
  retryMaxMs: number;
  /** Attempts before a delivery is given up. */
  maxAttempts: number;
  /** One attempt's timeout. */
  timeoutMs: number;
}

/** Defaults: 5 s timeout; retries after ~5 s, 10 s, 20 s … up to 30 min, 12 attempts (~3 h). */
export const DELIVERY_DEFAULTS: DeliveryOptions = {
  retryBaseMs: 5_000,
  retryMaxMs: 30 * 60_000,
  maxAttempts: 12,
  timeoutMs: 5_000,
};

/**
 * The delay before attempt `attempts + 1`, after `attempts` failed ones: exponential,
 * capped, with full jitter between half and all of it (`random` in [0, 1)).
 */
export function retryDelay(attempts: number, options: DeliveryOptions, random: number): number {
  const exp = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp / 2 + (exp / 2) * random);
}

/** An alert as stored. */
export interface Alert {
  /** Uuid; `msg_<uuid without dashes>` is its `webhook-id`. */
  id: string;
  type: string;
  tenant: string | null;
  /** `<tenant>/<pod>`, or null. */
  pod: string | null;
  message: string;
  /** The event that raised it. */
  eventId: number | null;
  /** ISO 8601. */
  createdAt: string;
  /** Alerts with the same key after this one, inside the window, not sent. */
  coalesced: number;
  /** When the last of those came (ISO 8601). */
  lastSeen: string;
}

/** An alert with its deliveries, for `alert list`. */
export interface AlertView extends Alert {
  deliveries: AlertDelivery[];
}

/** Delivery states. */
export type DeliveryState = "pending" | "delivered" | "failed";

/** One alert to one endpoint. */
export interface AlertDelivery {
  alertId: string;
  endpointId: string;
  url: string;
  state: DeliveryState;
  attempts: number;
  /** ISO 8601. */
  nextAttemptAt: string;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

/** A webhook endpoint (its secret never leaves the store in clear). */
export interface AlertEndpoint {
  id: string;
  url: string;
  /** Types it wants; empty: all. */
  events: string[];
  /** Only this tenant's alerts, or null for all. */
  tenant: string | null;
  /** ISO 8601. */
  createdAt: string;
  actor: string | null;
}

/** The `webhook-id` of an alert. */
export function webhookId(alertId: string): string {
  return `msg_${alertId.replaceAll("-", "")}`;
}

/** The JSON body a receiver gets (Standard Webhooks: `type`, `timestamp`, `data`). */
export function alertPayload(alert: Alert, now: Date): string {
  const [tenant, pod] = alert.pod ? alert.pod.split("/") : [alert.tenant, null];
  return JSON.stringify({
    type: alert.type,
    timestamp: now.toISOString(),
    data: {
      id: alert.id,
      tenant: tenant ?? null,
      pod: pod ?? null,
      message: alert.message,
      raisedAt: alert.createdAt,
      coalesced: alert.coalesced,
      ...(alert.eventId === null ? {} : { eventId: alert.eventId }),
    },
  });
}

/** A delivery as the sender reads it. */
export interface DueDelivery {
  alert: Alert;
  endpointId: string;
  url: string;
  /** The sealed signing secret. */
  secret: Uint8Array;
  attempts: number;
}

/** What an attempt came to. */
export interface DeliveryOutcome {
  /** The receiver's HTTP status, or null when none came (refused, timed out). */
  status: number | null;
  /** Why it failed, when it did. */
  error?: string;
}

/** Alert storage (implemented in `providers/store/alert_store.ts`). */
export interface AlertStore {
  alerts: {
    /** Adds an endpoint with its sealed secret. */
    addEndpoint(
      endpoint: { url: string; events: string[]; tenant: string | null; actor: string | null },
      secret: Uint8Array,
    ): Promise<AlertEndpoint>;
    listEndpoints(): Promise<AlertEndpoint[]>;
    getEndpoint(id: string): Promise<AlertEndpoint | undefined>;
    /** Removes it and its deliveries; false when there was none. */
    removeEndpoint(id: string): Promise<boolean>;
    /** A test alert for one endpoint (delivered like any other). */
    raiseTest(endpointId: string, message: string): Promise<Alert>;
    /** The last `tail` alerts with their deliveries, oldest first. */
    list(filter: { tail: number; tenant?: string }): Promise<AlertView[]>;
    get(id: string): Promise<AlertView | undefined>;
    /** Raises the states coalescing held back whose window has ended; returns how many. */
    flushHeld(): Promise<number>;
    /** Makes the deliveries of alerts not yet fanned out; returns how many were made. */
    fanOut(): Promise<number>;
    /**
     * Claims up to `limit` pending deliveries due at `now`, oldest first: each is not due
     * again for `leaseMs` (another sender skips it meanwhile).
     */
    due(now: Date, limit: number, leaseMs: number): Promise<DueDelivery[]>;
    /**
     * Records an attempt: delivered, retried at `next`, or given up (`next` null). Only
     * on the delivery as it was claimed (`attempts` then): false when someone else
     * recorded it meanwhile.
     */
    recordAttempt(
      alertId: string,
      endpointId: string,
      attempts: number,
      outcome: DeliveryOutcome & { delivered: boolean; next: Date | null },
    ): Promise<boolean>;
    /** Deliveries by state, and the oldest pending one's age base (for metrics). */
    deliveryCounts(): Promise<Record<DeliveryState, number>>;
  };
}

/** Re-exported for the store's writer. */
export type { PodEvent };
