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
    await store.alerts.fanOut();
    for (;;) {
      const due = await store.alerts.due(new Date(this.#d.now()), CONCURRENCY * 4);
      if (due.length === 0) return;
      const queue = [...due];
      const worker = async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await this.#deliver(next);
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, due.length) }, worker));
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
    await this.#d.store.alerts.recordAttempt(alert.id, delivery.endpointId, {
      status: outcome.status,
      ...(error === undefined ? {} : { error }),
      delivered,
      next,
    });
    if (!delivered) {
      this.#d.log.warn("alert delivery failed", {
        alert: alert.type,
        url: delivery.url,
        attempt: attempts,
        error,
        retry: next?.toISOString() ?? "given up",
      });
    }
    this.#d.onAttempt?.(delivery, { ...outcome, delivered });
  }
}
