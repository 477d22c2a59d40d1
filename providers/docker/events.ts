/**
 * The engine's event stream (`GET /events`): one subscription as an async iterable,
 * and a reconnecting watch that survives engine restarts without losing or repeating
 * events. Both end quietly when their signal aborts.
 * @module
 */
import type { DockerTransport } from "./transport.ts";
import { watchEventLines, type WatchTuning } from "./event_watch.ts";

/** An engine event (container died, network connected, …). */
export interface DockerEvent {
  /** Object kind: `container`, `image`, `volume`, `network`, `daemon`, … */
  Type: string;
  /** What happened: `create`, `start`, `die`, `oom`, `health_status: healthy`, … */
  Action: string;
  /** The object: its id and attributes (labels, name, image, `exitCode` on `die`). */
  Actor: { ID: string; Attributes: Record<string, string> };
  /** `local` or `swarm`. */
  scope?: string;
  /** Unix seconds. */
  time: number;
  /** Unix nanoseconds; rounded by `JSON.parse` (the watch keeps the exact value). */
  timeNano: number;
  [key: string]: unknown;
}

/** Event filters; each key lists accepted values. */
export interface EventFilters {
  /** Object kinds (`container`). */
  type?: string[];
  /** Actions (`die`, `start`). */
  event?: string[];
  /** Label selectors (`agentpod.managed=true`). */
  label?: string[];
  /** Container ids or names. */
  container?: string[];
  [key: string]: string[] | undefined;
}

/** Options of a single subscription. */
export interface EventStreamOptions {
  /** Which events to receive. */
  filters?: EventFilters;
  /** Replay buffered events from this engine time (`seconds[.nanos]` or RFC 3339). */
  since?: string;
  /** Stop at this engine time. */
  until?: string;
  /** Ends the stream quietly. */
  signal?: AbortSignal;
}

/** Options of a reconnecting watch. */
export interface EventWatchOptions extends WatchTuning {
  /** Which events to receive. */
  filters?: EventFilters;
}

/** The event stream; reach it as `docker.events`. */
export class EventApi {
  readonly #t: DockerTransport;

  /** Use {@linkcode DockerClient} rather than constructing this directly. */
  constructor(transport: DockerTransport) {
    this.#t = transport;
  }

  /** One subscription: yields events until the engine closes it, fails, or `signal` aborts. */
  async *stream(options: EventStreamOptions = {}): AsyncGenerator<DockerEvent> {
    for await (const raw of this.#lines(options)) yield JSON.parse(raw) as DockerEvent;
  }

  /**
   * A subscription that reconnects after the stream ends or fails (backoff 100 ms
   * doubling to 5 s by default) and resumes where it left off. Stops on abort.
   */
  async *watch(options: EventWatchOptions = {}): AsyncGenerator<DockerEvent> {
    const connect = (since: string | undefined, signal?: AbortSignal, onOpen?: () => void) =>
      this.#lines({ filters: options.filters, since, signal }, onOpen);
    for await (const raw of watchEventLines(connect, options)) {
      yield JSON.parse(raw) as DockerEvent;
    }
  }

  async *#lines(options: EventStreamOptions, onOpen?: () => void): AsyncGenerator<string> {
    let response: Response;
    try {
      response = await this.#t.request("GET", "/events", {
        query: { filters: options.filters, since: options.since, until: options.until },
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) return;
      throw error;
    }
    onOpen?.();
    yield* this.#t.lines(response, options.signal);
  }
}
