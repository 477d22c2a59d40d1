/**
 * Tests: the work queue deduplicates, never runs one key twice at once, caps concurrency,
 * re-runs a key added during its run, backs off failures with jitter, and lets user
 * intent skip a backoff. Fake time: timers run only when the test advances the clock.
 * @module
 */
import assert from "node:assert/strict";
import { FakeClock, tick } from "../tests/fakes/fake_clock.ts";
import { WorkQueue, type WorkQueueDeps } from "./work_queue.ts";

const fakeTime = () => new FakeClock();

const options = { concurrency: 2, baseDelayMs: 1_000, maxDelayMs: 8_000, jitter: 0 };

/** A run that waits until released, recording what ran and at most how many at once. */
function gatedRuns() {
  const runs: string[] = [];
  const gates: (() => void)[] = [];
  let active = 0;
  let peak = 0;
  const run: WorkQueueDeps<string>["run"] = async (key) => {
    runs.push(key);
    active++;
    peak = Math.max(peak, active);
    await new Promise<void>((resolve) => gates.push(resolve));
    active--;
  };
  return {
    runs,
    run,
    peak: () => peak,
    async releaseOne() {
      gates.shift()?.();
      await tick();
    },
    async releaseAll() {
      while (gates.length) {
        gates.shift()!();
        await tick();
      }
    },
  };
}

Deno.test("WorkQueue runs each added key once, however often it was added while queued", async () => {
  const time = fakeTime();
  const gated = gatedRuns();
  const queue = new WorkQueue({ run: gated.run, schedule: time.schedule }, options);
  const done = [queue.add("a"), queue.add("b"), queue.add("c"), queue.add("c"), queue.add("c")];
  await tick();
  assert.deepEqual(gated.runs, ["a", "b"], "two at once: the cap");
  await gated.releaseAll();
  await gated.releaseAll();
  await Promise.all(done);
  assert.deepEqual(gated.runs, ["a", "b", "c"]);
  assert.equal(gated.peak(), 2);
});

Deno.test("WorkQueue never runs a key twice at once and re-runs it when added mid-run", async () => {
  const time = fakeTime();
  const gated = gatedRuns();
  const queue = new WorkQueue({ run: gated.run, schedule: time.schedule }, options);
  void queue.add("a");
  await tick();
  const second = queue.add("a");
  void queue.add("a");
  await tick();
  assert.deepEqual(gated.runs, ["a"], "not started twice");
  await gated.releaseOne();
  await tick();
  assert.deepEqual(gated.runs, ["a", "a"], "one more run for the adds made during the first");
  let settled = false;
  void second.then(() => (settled = true));
  await tick();
  assert.equal(settled, false, "an add waits for a run that started after it");
  await gated.releaseAll();
  await second;
  await queue.idle();
  assert.deepEqual(gated.runs, ["a", "a"]);
});

Deno.test("WorkQueue backs a failing key off exponentially, capped, and forgets on success", async () => {
  const time = fakeTime();
  let failing = true;
  const runs: number[] = [];
  let clock = 0;
  const queue = new WorkQueue({
    run: () => {
      runs.push(clock);
      return failing ? Promise.reject(new Error("engine says no")) : Promise.resolve();
    },
    schedule: (fn, ms) => time.schedule(fn, ms),
  }, options);
  const advance = async (ms: number) => {
    await time.advance(ms);
    clock += ms;
  };
  await queue.add("a");
  assert.equal(queue.failures("a"), 1);
  assert.ok(queue.backingOff("a"));
  await advance(999);
  assert.equal(runs.length, 1, "no retry before 1 s");
  await advance(1);
  assert.equal(runs.length, 2, "retry after 1 s");
  await advance(2_000);
  assert.equal(runs.length, 3, "then after 2 s");
  await advance(4_000);
  await advance(8_000);
  await advance(8_000);
  assert.equal(runs.length, 6, "4 s, then capped at 8 s");
  failing = false;
  await advance(8_000);
  assert.equal(queue.failures("a"), 0);
  assert.deepEqual(time.pending(), []);
});

Deno.test("WorkQueue: an ordinary add waits out a backoff, user intent skips it", async () => {
  const time = fakeTime();
  let calls = 0;
  const queue = new WorkQueue({
    run: () => (++calls === 1 ? Promise.reject(new Error("x")) : Promise.resolve()),
    schedule: time.schedule,
  }, options);
  await queue.add("a");
  void queue.add("a"); // an engine event, say
  await tick();
  assert.equal(calls, 1, "still backing off");
  await queue.add("a", { urgent: true }); // pod restart by a user
  assert.equal(calls, 2);
  assert.equal(queue.failures("a"), 0);
  assert.equal(queue.backingOff("a"), false);
});

Deno.test("WorkQueue jitters delays within ±jitter and honours requeueAfterMs", async () => {
  const time = fakeTime();
  const queue = new WorkQueue({
    run: () => Promise.reject(new Error("x")),
    schedule: time.schedule,
    random: () => 0.999,
  }, { ...options, jitter: 0.2 });
  await queue.add("a");
  const [delay] = time.pending();
  assert.ok(delay! > 1_000 && delay! <= 1_200, `delay ${delay}`);

  const again = fakeTime();
  let runs = 0;
  const periodic = new WorkQueue({
    run: () => {
      runs++;
      return Promise.resolve({ requeueAfterMs: 5_000 });
    },
    schedule: again.schedule,
  }, options);
  await periodic.add("p");
  await again.advance(5_000);
  assert.equal(runs, 2);
  periodic.stop();
  await again.advance(10_000);
  assert.equal(runs, 2, "stopped: no more runs");
});
