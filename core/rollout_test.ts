/**
 * Tests: the rollout's pure decisions — order with canaries, `--max-unavailable` counting
 * pods already not ready, the cores cap, pausing after `--max-failures` or a failed
 * canary, the end state; and the parsers of its flags.
 * @module
 */
import assert from "node:assert/strict";
import { ValidationError } from "./errors.ts";
import {
  compareVersions,
  DEFAULT_ROLLOUT_OPTIONS,
  nextRolloutStep,
  orderRollout,
  parseDuration,
  parseMaxUnavailable,
  type RolloutItem,
  type RolloutItemState,
} from "./rollout.ts";

function fleet(states: RolloutItemState[], canary = 0): RolloutItem[] {
  return orderRollout(
    states.map((_, i) => ({ podId: `p${i}`, tenant: "acme", pod: `web-${i}` })),
    canary,
  ).map((item, i) => ({
    ...item,
    state: states[i]!,
    step: null,
    oldImage: null,
    oldImageId: null,
    oldVolumeEpoch: null,
    oldContainerId: null,
    newContainerId: null,
    message: null,
    startedAt: null,
    stoppedAt: null,
    readyAt: null,
    finishedAt: null,
  }));
}

const started = (step: ReturnType<typeof nextRolloutStep>) => step.start.map((i) => i.podId);

Deno.test("orderRollout() goes by tenant and name and marks the first canaries", () => {
  const order = orderRollout([
    { podId: "b", tenant: "beta", pod: "a" },
    { podId: "a2", tenant: "acme", pod: "web-2" },
    { podId: "a1", tenant: "acme", pod: "web-1" },
  ], 1);
  assert.deepEqual(order.map((o) => [o.podId, o.position, o.canary]), [
    ["a1", 0, true],
    ["a2", 1, false],
    ["b", 2, false],
  ]);
});

Deno.test("nextRolloutStep() keeps at most --max-unavailable pods down, already-not-ready ones counted", () => {
  const options = { ...DEFAULT_ROLLOUT_OPTIONS, maxUnavailable: "1" };
  const items = fleet(["pending", "pending", "pending"]);
  assert.deepEqual(started(nextRolloutStep({ items, options }, new Set(), 4)), ["p0"]);
  // One under way: nothing more.
  const busy = fleet(["upgrading", "pending", "pending"]);
  assert.deepEqual(started(nextRolloutStep({ items: busy, options }, new Set(), 4)), []);
  // A pod that is down anyway goes first: upgrading it makes nothing worse.
  assert.deepEqual(started(nextRolloutStep({ items, options }, new Set(["p2"]), 4)), ["p2"]);
  const down = fleet(["succeeded", "pending", "pending"]);
  assert.deepEqual(
    started(nextRolloutStep({ items: down, options }, new Set(["p0"]), 4)),
    [],
    "p0 (upgraded) is not ready: p1 would make two",
  );
  // …but upgrading a pod that is down anyway costs nothing: it may go.
  const downFirst = fleet(["succeeded", "pending", "pending"]);
  assert.deepEqual(
    started(nextRolloutStep({ items: downFirst, options }, new Set(["p1"]), 4)),
    ["p1"],
  );
  const two = { ...options, maxUnavailable: "2" };
  assert.deepEqual(started(nextRolloutStep({ items, options: two }, new Set(), 4)), ["p0", "p1"]);
  assert.deepEqual(
    started(nextRolloutStep({ items, options: two }, new Set(), 1)),
    ["p0"],
    "one core: one gateway boot at a time",
  );
  const half = { ...options, maxUnavailable: "50%" };
  const six = fleet(["pending", "pending", "pending", "pending", "pending", "pending"]);
  assert.equal(nextRolloutStep({ items: six, options: half }, new Set(), 8).start.length, 3);
});

Deno.test("nextRolloutStep() runs canaries alone first and pauses when one rolls back", () => {
  const options = { ...DEFAULT_ROLLOUT_OPTIONS, maxUnavailable: "3", maxFailures: 5 };
  const items = fleet(["pending", "pending", "pending", "pending"], 1);
  assert.deepEqual(started(nextRolloutStep({ items, options }, new Set(), 4)), ["p0"]);
  const canaryOk = fleet(["succeeded", "pending", "pending", "pending"], 1);
  assert.deepEqual(
    started(nextRolloutStep({ items: canaryOk, options }, new Set(), 4)),
    ["p1", "p2", "p3"],
  );
  const canaryBad = fleet(["rolled-back", "pending", "pending", "pending"], 1);
  const step = nextRolloutStep({ items: canaryBad, options }, new Set(), 4);
  assert.equal(step.decision, "pause");
  assert.match(step.message, /canary rolled back: 3 pod\(s\) untouched/);
});

Deno.test("nextRolloutStep() pauses after --max-failures rollbacks once nothing is under way", () => {
  const options = { ...DEFAULT_ROLLOUT_OPTIONS, maxUnavailable: "2", maxFailures: 1 };
  const failing = fleet(["rolled-back", "upgrading", "pending"]);
  const waiting = nextRolloutStep({ items: failing, options }, new Set(), 4);
  assert.deepEqual([waiting.decision, started(waiting)], ["continue", []]);
  const paused = nextRolloutStep(
    {
      items: fleet(["rolled-back", "succeeded", "pending"]),
      options,
    },
    new Set(),
    4,
  );
  assert.equal(paused.decision, "pause");
  assert.match(paused.message, /1 rollback\(s\) \(--max-failures 1\): 1 pod\(s\) untouched/);
});

Deno.test("nextRolloutStep() goes on after a resume forgave the rollbacks so far", () => {
  const options = { ...DEFAULT_ROLLOUT_OPTIONS, maxFailures: 1, forgivenFailures: 1 };
  const items = fleet(["succeeded", "rolled-back", "pending"]);
  assert.deepEqual(started(nextRolloutStep({ items, options }, new Set(), 4)), ["p2"]);
  const again = fleet(["rolled-back", "rolled-back", "pending"]);
  assert.equal(nextRolloutStep({ items: again, options }, new Set(), 4).decision, "pause");
});

Deno.test("nextRolloutStep() ends succeeded, or failed when any pod rolled back", () => {
  const options = { ...DEFAULT_ROLLOUT_OPTIONS, maxFailures: 3 };
  const ok = nextRolloutStep({ items: fleet(["succeeded", "succeeded"]), options }, new Set(), 2);
  assert.deepEqual([ok.decision, ok.outcome, ok.message], [
    "done",
    "succeeded",
    "2 pod(s) upgraded",
  ]);
  const mixed = nextRolloutStep(
    { items: fleet(["succeeded", "rolled-back"]), options },
    new Set(),
    2,
  );
  assert.deepEqual([mixed.decision, mixed.outcome], ["done", "failed"]);
});

Deno.test("parseMaxUnavailable(), parseDuration() and compareVersions() read what users type", () => {
  assert.equal(parseMaxUnavailable("2", 6), 2);
  assert.equal(parseMaxUnavailable("25%", 6), 1, "rounded down");
  assert.equal(parseMaxUnavailable("10%", 3), 1, "at least one");
  assert.equal(parseMaxUnavailable("100%", 6), 6);
  for (const bad of ["0", "-1", "x", "0%", "150%", "1.5"]) {
    assert.throws(() => parseMaxUnavailable(bad, 6), ValidationError, bad);
  }
  assert.equal(parseDuration("20s", "--min-ready"), 20_000);
  assert.equal(parseDuration("1m30s", "--min-ready"), 90_000);
  assert.equal(parseDuration("500ms", "--min-ready"), 500);
  assert.equal(parseDuration("7d", "--every"), 7 * 86_400_000);
  for (const bad of ["", "20", "s", "-1s", "0s", "1w"]) {
    assert.throws(() => parseDuration(bad, "--min-ready"), /--min-ready/, bad);
  }
  assert.ok(compareVersions("2026.9.5", "2026.9.6")! < 0);
  assert.ok(compareVersions("2026.10.1", "2026.9.6")! > 0, "numbers, not strings");
  assert.equal(compareVersions("v1.2", "1.2.0"), 0);
  assert.equal(compareVersions("latest", "2026.9.6"), null);
});
