/**
 * Login rate limiting: at most `limit` failed sign-ins per client address within a
 * sliding window; then the address waits. Pure and in memory (time is passed in); one
 * control plane process serves the dashboard.
 * @module
 */

/** The outcome of a check. */
export type LimitCheck = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts failed sign-ins per client address. */
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxClients: number;

  constructor(options: { limit?: number; windowMs?: number; maxClients?: number } = {}) {
    this.#limit = options.limit ?? 5;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxClients = options.maxClients ?? 10_000;
  }

  /** Whether `client` may try to sign in at `now` (ms). */
  check(client: string, now: number): LimitCheck {
    const recent = this.#recent(client, now);
    if (recent.length < this.#limit) return { allowed: true };
    const oldest = recent[recent.length - this.#limit]!;
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.#windowMs - now) / 1000)),
    };
  }

  /** Records a failed sign-in. */
  fail(client: string, now: number): void {
    const recent = this.#recent(client, now);
    recent.push(now);
    this.#failures.set(client, recent.slice(-this.#limit));
    if (this.#failures.size > this.#maxClients) this.#prune(now);
  }

  /** Forgets a client's failures after a successful sign-in. */
  succeed(client: string): void {
    this.#failures.delete(client);
  }

  #recent(client: string, now: number): number[] {
    return (this.#failures.get(client) ?? []).filter((t) => t > now - this.#windowMs);
  }

  #prune(now: number): void {
    for (const [client, times] of this.#failures) {
      if (times.every((t) => t <= now - this.#windowMs)) this.#failures.delete(client);
    }
    // Still too many (an address sweep): drop the oldest entries rather than grow.
    for (const client of this.#failures.keys()) {
      if (this.#failures.size <= this.#maxClients) break;
      this.#failures.delete(client);
    }
  }
}
