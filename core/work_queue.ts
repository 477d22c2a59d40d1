/**
 * The controller's work queue, shaped like client-go's rate-limited queue: every trigger
 * only adds a key (a pod id); the queue deduplicates, never hands one key to two workers
 * at once, runs at most `concurrency` keys at a time, and retries a failed key after a
 * per-key exponential backoff with jitter. A key added while it is being processed is
 * run once more afterwards (the run may have read state from before the add). User intent
 * (`urgent`) skips a pending backoff and forgets past failures. Pure: time comes from
 * the injected clock and scheduler, randomness from `random`.
 * @module
 */

/** What a run asks of the queue. */
export interface RunResult {
  /** Run the key again after this long (a level-triggered check, not a failure). */
  requeueAfterMs?: number;
}

/** Tuning of a {@linkcode WorkQueue}. */
export interface WorkQueueOptions {
  /** Keys processed at once. */
  concurrency: number;
  /** First retry delay after a failure; doubles per failure in a row. */
  baseDelayMs: number;
  /** Longest retry delay. */
  maxDelayMs: number;
  /** Spread of each delay: ±this fraction of it (0 = exact). */
  jitter: number;
}

/** What the queue needs from outside. */
export interface WorkQueueDeps<K> {
  /** Processes one key; a throw counts as a failure and schedules a retry. */
  run(key: K): Promise<RunResult | void>;
  /** Runs `fn` after `ms`; returns a cancel function. */
  schedule(fn: () => void, ms: number): () => void;
  /** A number in [0, 1). */
  random?(): number;
  /** Told about each failed run (the queue keeps going). */
  onError?(key: K, error: unknown, failures: number): void;
}

interface Delayed {
  at: "backoff" | "requeue";
  cancel(): void;
}

/** A deduplicating, rate-limited work queue with a global concurrency cap. */
export class WorkQueue<K> {
  readonly #d: WorkQueueDeps<K>;
  readonly #o: WorkQueueOptions;
  /** Keys waiting for a worker, in order; each at most once. */
  readonly #ready: K[] = [];
  readonly #queued = new Set<K>();
  readonly #processing = new Set<K>();
  /** Keys added again while being processed. */
  readonly #dirty = new Set<K>();
  readonly #delayed = new Map<K, Delayed>();
  readonly #failures = new Map<K, number>();
  /** Callers waiting for the next run of a key that starts after their add. */
  readonly #waiters = new Map<K, (() => void)[]>();
  /** Of the dirty keys, those a user's intent re-added: they skip a backoff. */
  readonly #urgent = new Set<K>();
  readonly #idle: (() => void)[] = [];
  #stopped = false;

  constructor(deps: WorkQueueDeps<K>, options: WorkQueueOptions) {
    this.#d = deps;
    this.#o = { ...options, concurrency: Math.max(1, options.concurrency) };
  }

  /**
   * Adds `key`. Resolves once a run of it that started after this call has ended (its
   * outcome is in the state it wrote, not here). A key waiting out a backoff stays
   * there unless `urgent`, which also forgets its failures.
   */
  add(key: K, options: { urgent?: boolean } = {}): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      const list = this.#waiters.get(key);
      if (list) list.push(resolve);
      else this.#waiters.set(key, [resolve]);
    });
    if (options.urgent) {
      this.forget(key);
      if (this.#processing.has(key)) this.#urgent.add(key);
    }
    const delayed = this.#delayed.get(key);
    if (delayed && (delayed.at === "requeue" || options.urgent)) {
      delayed.cancel();
      this.#delayed.delete(key);
    }
    if (!this.#delayed.has(key)) this.#enqueue(key);
    return done;
  }

  /** Adds `key` after `ms` (unless it runs earlier for another reason). */
  addAfter(key: K, ms: number): void {
    if (this.#stopped || this.#delayed.has(key)) return;
    this.#delay(key, ms, "requeue");
  }

  /** Forgets the failures of `key`: its next failure waits the base delay again. */
  forget(key: K): void {
    this.#failures.delete(key);
  }

  /** Failures of `key` in a row. */
  failures(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Whether `key` waits out a backoff after a failure. */
  backingOff(key: K): boolean {
    return this.#delayed.get(key)?.at === "backoff";
  }

  /** Keys queued, running or waiting on a timer. */
  get size(): number {
    return new Set([...this.#queued, ...this.#processing, ...this.#delayed.keys()]).size;
  }

  /** Resolves when nothing is queued or running (timers may still be pending). */
  idle(): Promise<void> {
    if (this.#ready.length === 0 && this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops taking work and cancels timers; runs in progress finish. */
  stop(): void {
    this.#stopped = true;
    for (const delayed of this.#delayed.values()) delayed.cancel();
    this.#delayed.clear();
    this.#ready.length = 0;
    this.#queued.clear();
    for (const list of this.#waiters.values()) for (const resolve of list) resolve();
    this.#waiters.clear();
    this.#dirty.clear();
    this.#urgent.clear();
  }

  #enqueue(key: K): void {
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (!this.#queued.has(key)) {
      this.#queued.add(key);
      this.#ready.push(key);
    }
    this.#pump();
  }

  #delay(key: K, ms: number, at: Delayed["at"]): void {
    const cancel = this.#d.schedule(() => {
      if (this.#delayed.get(key)?.cancel !== cancel) return;
      this.#delayed.delete(key);
      this.#enqueue(key);
    }, Math.max(0, ms));
    this.#delayed.set(key, { at, cancel });
  }

  #pump(): void {
    while (!this.#stopped && this.#processing.size < this.#o.concurrency) {
      const key = this.#ready.shift();
      if (key === undefined) break;
      this.#queued.delete(key);
      void this.#process(key);
    }
  }

  async #process(key: K): Promise<void> {
    this.#processing.add(key);
    const waiters = this.#waiters.get(key) ?? [];
    this.#waiters.delete(key);
    let result: RunResult | void = undefined;
    let failed = false;
    try {
      result = await this.#d.run(key);
      this.#failures.delete(key);
    } catch (error) {
      failed = true;
      const failures = this.failures(key) + 1;
      this.#failures.set(key, failures);
      this.#d.onError?.(key, error, failures);
    }
    this.#processing.delete(key);
    for (const resolve of waiters) resolve();
    const dirty = this.#dirty.delete(key);
    const urgent = this.#urgent.delete(key);
    if (!this.#stopped) {
      // Added again during the run: run again, unless it failed and nobody insisted.
      if (dirty && (!failed || urgent)) {
        this.#enqueue(key);
      } else if (failed) {
        this.#delay(key, this.#backoff(this.failures(key)), "backoff");
      } else if (result?.requeueAfterMs !== undefined) {
        this.#delay(key, result.requeueAfterMs, "requeue");
      }
    }
    this.#pump();
    if (this.#ready.length === 0 && this.#processing.size === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** The delay before retry number `failures`: doubled per failure, capped, jittered. */
  #backoff(failures: number): number {
    const exact = Math.min(this.#o.baseDelayMs * 2 ** (failures - 1), this.#o.maxDelayMs);
    const random = this.#d.random?.() ?? 0.5;
    return Math.round(exact * (1 + this.#o.jitter * (2 * random - 1)));
  }
}
