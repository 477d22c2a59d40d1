/**
 * The alert sender: on the leader, turns new alerts into deliveries (one per endpoint that
 * wants each) and sends the due ones, signed, with a timeout; a failed attempt is tried
 * again after an exponential, jittered delay with the same `webhook-id`, until it lands or
 * the attempts run out. Alerts are rows (`alerts`, `alert_deliveries`), so a control plane
 * killed before or during a delivery sends it after it starts again.
 * @module
 */
import {
  alertPayload,
  type DeliveryOptions,
  type DeliveryOutcome,
  type DueDelivery,
  retryDelay,
  webhookId,
} from "./alerts.ts";
import { errorMessage } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { SecretBox } from "./secrets.ts";
import type { Store } from "./store.ts";

/** One signed POST (implemented in `providers/webhook.ts`). */
export type WebhookPost = (request: {
  url: string;
  /** `webhook-id`. */
  id: string;
  timestamp: Date;
  body: string;
  /** `whsec_…`. */
  secret: string;
  timeoutMs: number;
}) => Promise<DeliveryOutcome>;

/** What the sender needs. */
export interface AlertSenderDeps {
  store: Store;
  secrets: SecretBox;
  post: WebhookPost;
  isLeader(): boolean;
  now(): number;
  random(): number;
  log: Logger;
  /** Called after an attempt (live views, metrics). */
  onAttempt?(delivery: DueDelivery, outcome: DeliveryOutcome & { delivered: boolean }): void;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "?";
  }
}

/** Deliveries sent at once. */
const CONCURRENCY = 4;

/** Sends alert deliveries; `tick` is one round. */
export class AlertSender {
  readonly #d: AlertSenderDeps;
  readonly #o: DeliveryOptions;
  #ticking: Promise<void> | undefined;
  #again = false;

  constructor(deps: AlertSenderDeps, options: DeliveryOptions) {
    this.#d = deps;
    this.#o = options;
  }

  /** One round; a call during a round runs one more after it. */
  tick(): Promise<void> {
    if (this.#ticking) {
      this.#again = true;
      return this.#ticking;
    }
    this.#ticking = (async () => {
      try {
        do {
          this.#again = false;
          await this.#round();
        } while (this.#again);
      } finally {
        this.#ticking = undefined;
      }
    })();
    return this.#ticking;
  }

  async #round(): Promise<void> {
    if (!this.#d.isLeader()) return;
    const { store } = this.#d;
    await store.alerts.flushHeld();
    await store.alerts.fanOut();
    // A claim lasts longer than the attempts it covers: a sender that dies (or loses the
    // lease) mid-batch leaves them to be sent again after it, never twice at once.
    const leaseMs = this.#o.timeoutMs * 2 + 5_000;
    for (;;) {
      const due = await store.alerts.due(new Date(this.#d.now()), CONCURRENCY, leaseMs);
      if (due.length === 0) return;
      // Each attempt ends (recorded or logged) before the round goes on.
      await Promise.all(due.map((d) =>
        this.#deliver(d).catch((error) => {
          this.#d.log.warn("alert delivery not recorded", {
            alert: d.alert.type,
            error: errorMessage(error),
          });
        })
      ));
      if (!this.#d.isLeader()) return;
    }
  }

  async #deliver(delivery: DueDelivery): Promise<void> {
    const { alert } = delivery;
    let outcome: DeliveryOutcome;
    try {
      const secret = await this.#d.secrets.open<string>(delivery.secret);
      const now = new Date(this.#d.now());
      outcome = await this.#d.post({
        url: delivery.url,
        id: webhookId(alert.id),
        timestamp: now,
        body: alertPayload(alert, now),
        secret,
        timeoutMs: this.#o.timeoutMs,
      });
    } catch (error) {
      outcome = { status: null, error: errorMessage(error) };
    }
    const delivered = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const attempts = delivery.attempts + 1;
    const next = delivered || attempts >= this.#o.maxAttempts
      ? null
      : new Date(this.#d.now() + retryDelay(attempts, this.#o, this.#d.random()));
    const error = delivered
      ? undefined
      : outcome.error ?? `The receiver answered HTTP ${outcome.status}`;
    await this.#d.store.alerts.recordAttempt(alert.id, delivery.endpointId, delivery.attempts, {
      status: outcome.status,
      ...(error === undefined ? {} : { error }),
      delivered,
      next,
    });
    if (!delivered) {
      this.#d.log.warn("alert delivery failed", {
        alert: alert.type,
        // The host only: a webhook URL's path is often its credential.
        host: hostOf(delivery.url),
        attempt: attempts,
        error,
        retry: next?.toISOString() ?? "given up",
      });
    }
    this.#d.onAttempt?.(delivery, { ...outcome, delivered });
  }
}
