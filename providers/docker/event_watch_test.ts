/**
 * Tests: The reconnecting event watch, driven by scripted fake connections.
 * @module
 */
import assert from "node:assert/strict";
import { NotFoundError, UnavailableError } from "../../core/errors.ts";
import {
  type ConnectEvents,
  nextDelay,
  type ReconnectInfo,
  sinceFromTimeNano,
  timeNanoOf,
  watchEventLines,
} from "./event_watch.ts";

function event(action: string, timeNano: bigint): string {
  return `{"Type":"container","Action":"${action}","Actor":{"ID":"c1","Attributes":{}},` +
    `"time":${timeNano / 1_000_000_000n},"timeNano":${timeNano}}`;
}

/** A fake engine: each connection runs the next script, recording the `since` it got. */
function fakeConnections(
  scripts: ((since: string | undefined) => AsyncIterable<string>)[],
): { connect: ConnectEvents; sinces: (string | undefined)[] } {
  const sinces: (string | undefined)[] = [];
  const connect: ConnectEvents = (since) => {
    sinces.push(since);
    const script = scripts.shift();
    if (script === undefined) return never();
    return script(since);
  };
  return { connect, sinces };
}

/** A connection that stays open without events. */
function never(): AsyncIterable<string> {
  return { [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) };
}

/** A connection attempt that fails with `error`. */
function failing(error: Error): () => AsyncIterable<string> {
  return () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }) });
}

async function take(iterable: AsyncIterable<string>, count: number): Promise<string[]> {
  const out: string[] = [];
  for await (const item of iterable) {
    out.push(item);
    if (out.length === count) break;
  }
  return out;
}

const T1 = 1_764_000_000_123_456_789n;
const T2 = 1_764_000_000_223_456_789n;
const T3 = 1_764_000_001_000_000_001n;

Deno.test("sinceFromTimeNano() and timeNanoOf() keep nanosecond precision past 2^53", () => {
  assert.equal(sinceFromTimeNano(T1), "1764000000.123456789");
  assert.equal(sinceFromTimeNano(1_000_000_005n), "1.000000005");
  assert.equal(timeNanoOf(event("die", T1)), T1);
  assert.equal(timeNanoOf('{"time":12}'), 12_000_000_000n);
  assert.equal(timeNanoOf("{}"), undefined);
});

Deno.test("nextDelay() doubles up to the ceiling", () => {
  assert.deepEqual([100, 200, 400, 3000, 5000].map((d) => nextDelay(d, 5000)), [
    200,
    400,
    800,
    5000,
    5000,
  ]);
});

Deno.test("watchEventLines() resumes after the last event and drops the replayed boundary", async () => {
  const { connect, sinces } = fakeConnections([
    async function* () {
      yield event("start", T1);
      yield event("die", T2);
    },
    async function* () {
      // The engine replays events at or after `since`: the last one comes again.
      yield event("die", T2);
      yield event("destroy", T3);
    },
  ]);
  const lines = await take(watchEventLines(connect, { initialDelayMs: 1 }), 3);
  assert.deepEqual(lines, [event("start", T1), event("die", T2), event("destroy", T3)]);
  assert.deepEqual(sinces, [undefined, sinceFromTimeNano(T2)]);
});

Deno.test("watchEventLines() backs off while the engine is down and resets after an event", async () => {
  const refused = failing(new UnavailableError("Cannot reach Docker Engine"));
  const { connect, sinces } = fakeConnections([
    refused,
    refused,
    refused,
    async function* () {
      yield event("start", T1);
    },
    refused,
    async function* () {
      yield event("die", T2);
    },
  ]);
  const reconnects: ReconnectInfo[] = [];
  const lines = await take(
    watchEventLines(connect, {
      initialDelayMs: 1,
      maxDelayMs: 3,
      since: "100",
      onReconnect: (info) => reconnects.push(info),
    }),
    2,
  );
  assert.deepEqual(lines, [event("start", T1), event("die", T2)]);
  // Three refusals double the delay up to the ceiling; the event resets it.
  const steps = reconnects.map((r) => `${r.attempt}:${r.delayMs}`);
  assert.deepEqual(steps, ["1:1", "2:2", "3:3", "1:1", "2:2"]);
  assert.ok(reconnects[0]!.error instanceof UnavailableError);
  // Before the first event it keeps the caller's `since`; afterwards the last event's time.
  assert.deepEqual(sinces, [
    "100",
    "100",
    "100",
    "100",
    sinceFromTimeNano(T1),
    sinceFromTimeNano(T1),
  ]);
});

Deno.test("watchEventLines() resumes from its start time when no event was seen", async () => {
  const { connect, sinces } = fakeConnections([async function* () {}, async function* () {
    yield event("start", T1);
  }]);
  await take(watchEventLines(connect, { initialDelayMs: 1, now: () => 1_764_000_000_500 }), 1);
  assert.deepEqual(sinces, [undefined, "1764000000.500"]);
});

Deno.test("watchEventLines() throws a client error instead of retrying it forever", async () => {
  const { connect } = fakeConnections([failing(new NotFoundError("Docker: page not found"))]);
  await assert.rejects(take(watchEventLines(connect, { initialDelayMs: 1 }), 1), NotFoundError);
});

Deno.test("watchEventLines() stops quietly when aborted, also while backing off", async () => {
  const controller = new AbortController();
  const { connect } = fakeConnections([async function* () {
    yield event("start", T1);
  }]);
  const lines: string[] = [];
  for await (
    const line of watchEventLines(connect, {
      signal: controller.signal,
      initialDelayMs: 60_000,
      onReconnect: () => controller.abort(),
    })
  ) lines.push(line);
  assert.deepEqual(lines, [event("start", T1)]);
});
