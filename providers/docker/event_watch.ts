/**
 * The reconnecting event watch: keeps an event subscription alive across dropped
 * connections and engine restarts, resuming with `since=<last event time>` and
 * dropping the events the engine replays at that boundary. Independent of HTTP: it
 * is given a `connect` function, so it can be driven by a fake in tests.
 * @module
 */
import { AgentPodError, DockerApiError, UnavailableError } from "../../core/errors.ts";

/**
 * Opens one subscription starting at `since` (engine format) and yields raw JSON lines;
 * calls `onOpen` once the engine has accepted it (before any line).
 */
export type ConnectEvents = (
  since: string | undefined,
  signal?: AbortSignal,
  onOpen?: () => void,
) => AsyncIterable<string>;

/** Why a watch is reconnecting; passed to `onReconnect` for logging. */
export interface ReconnectInfo {
  /** Reconnect attempts since the last event arrived. */
  attempt: number;
  /** The wait before the next attempt. */
  delayMs: number;
  /** What ended the connection, or `undefined` when the engine closed it cleanly. */
  error?: unknown;
}

/** Tuning and hooks for {@linkcode watchEventLines}. */
export interface WatchTuning {
  /** Start from this engine time (`seconds[.nanos]`) instead of now. */
  since?: string;
  /** Ends the watch quietly. */
  signal?: AbortSignal;
  /** First reconnect delay; doubles per failed attempt (default 100 ms). */
  initialDelayMs?: number;
  /** Ceiling of the reconnect delay (default 5 s). */
  maxDelayMs?: number;
  /** Called before each reconnect wait. */
  onReconnect?: (info: ReconnectInfo) => void;
  /** Called each time a subscription is established (the first and every reconnect). */
  onConnected?: () => void;
  /** Wall clock in ms, used only to resume when no event has been seen yet. */
  now?: () => number;
}

/** How many recently delivered events are remembered to drop boundary replays. */
const RECENT_LIMIT = 256;

/** The engine `since` value for a `timeNano`: `seconds.nanoseconds`, exact. */
export function sinceFromTimeNano(timeNano: bigint): string {
  const seconds = timeNano / 1_000_000_000n;
  const nanos = timeNano % 1_000_000_000n;
  return `${seconds}.${nanos.toString().padStart(9, "0")}`;
}

/**
 * The exact event time from a raw line. Parsed from the text because `timeNano`
 * exceeds 2^53 and `JSON.parse` would round it; falls back to `time` (seconds).
 */
export function timeNanoOf(raw: string): bigint | undefined {
  const nano = /"timeNano"\s*:\s*(\d+)/.exec(raw);
  if (nano !== null) return BigInt(nano[1]!);
  const seconds = /"time"\s*:\s*(\d+)/.exec(raw);
  return seconds === null ? undefined : BigInt(seconds[1]!) * 1_000_000_000n;
}

/** The next reconnect delay: doubled, capped. */
export function nextDelay(delayMs: number, maxDelayMs: number): number {
  return Math.min(delayMs * 2, maxDelayMs);
}

/**
 * Yields raw event lines forever, reconnecting with backoff. The engine replays
 * buffered events with a time at or after `since`, so the last event seen comes again
 * after a reconnect: events already delivered are recognised by their exact text and
 * skipped. Client errors (4xx other than a lost connection) end the watch by throwing.
 */
export async function* watchEventLines(
  connect: ConnectEvents,
  tuning: WatchTuning = {},
): AsyncGenerator<string> {
  const { signal } = tuning;
  const initialDelay = tuning.initialDelayMs ?? 100;
  const maxDelay = tuning.maxDelayMs ?? 5_000;
  const now = tuning.now ?? Date.now;
  const recent = new Set<string>();
  let lastNano: bigint | undefined;
  let since = tuning.since;
  // Without any event yet, a reconnect resumes from when the watch began.
  const startedAt = since ?? (now() / 1000).toFixed(3);
  let delay = initialDelay;
  let attempt = 0;
  while (!signal?.aborted) {
    let error: unknown;
    try {
      for await (const raw of connect(since, signal, tuning.onConnected)) {
        if (recent.has(raw)) continue;
        remember(recent, raw);
        const nano = timeNanoOf(raw);
        if (nano !== undefined && (lastNano === undefined || nano > lastNano)) lastNano = nano;
        delay = initialDelay;
        attempt = 0;
        yield raw;
      }
    } catch (caught) {
      if (signal?.aborted) return;
      if (isPermanent(caught)) throw caught;
      error = caught;
    }
    if (signal?.aborted) return;
    since = lastNano === undefined ? startedAt : sinceFromTimeNano(lastNano);
    attempt++;
    tuning.onReconnect?.({ attempt, delayMs: delay, error });
    if (!await sleep(delay, signal)) return;
    delay = nextDelay(delay, maxDelay);
  }
}

function remember(recent: Set<string>, raw: string): void {
  recent.add(raw);
  if (recent.size > RECENT_LIMIT) {
    const oldest = recent.values().next();
    if (!oldest.done) recent.delete(oldest.value);
  }
}

/** A rejected request will be rejected again: retrying it would spin forever. */
function isPermanent(error: unknown): boolean {
  if (error instanceof UnavailableError) return false;
  if (error instanceof DockerApiError) return error.status < 500;
  return error instanceof AgentPodError;
}

/** Resolves `true` after `ms`, or `false` as soon as `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
