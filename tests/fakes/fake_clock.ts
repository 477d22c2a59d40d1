/**
 * `FakeClock`: time that moves only when a test says so. `schedule` is the shape the
 * reconciler, the work queue and the in-memory runtime take; `advance` runs the timers
 * that fall due in time order, letting other work run (`between`) after each one.
 * @module
 */

/** A manual clock with timers. */
export class FakeClock {
  #now: number;
  readonly #timers: { at: number; fn: () => void }[] = [];

  /** Starts at `start` (ms since the epoch). */
  constructor(start = 0) {
    this.#now = start;
  }

  /** The current fake time. */
  now = (): number => this.#now;

  /** Runs `fn` after `ms` of fake time; returns a cancel function. */
  schedule = (fn: () => void, ms: number): () => void => {
    const timer = { at: this.#now + ms, fn };
    this.#timers.push(timer);
    return () => {
      const i = this.#timers.indexOf(timer);
      if (i >= 0) this.#timers.splice(i, 1);
    };
  };

  /** Delays of the pending timers from now. */
  pending(): number[] {
    return this.#timers.map((t) => t.at - this.#now);
  }

  /** Moves time forward by `ms`, running each timer due, then `between()`. */
  async advance(ms: number, between: () => Promise<unknown> = tick): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers[0];
      if (!next || next.at > until) break;
      this.#timers.shift();
      this.#now = next.at;
      next.fn();
      await between();
    }
    this.#now = until;
    await between();
  }
}

/** Lets pending promise callbacks and zero-delay timers run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
