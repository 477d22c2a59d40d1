/**
 * Tests: crashes counted from RestartCount/StartedAt/FinishedAt whether the reconciler
 * looks while the container is restarting or after Docker brought it back; quick exits
 * are failed recoveries, a long or healthy run is not; nothing is counted twice.
 * @module
 */
import assert from "node:assert/strict";
import { assessCrashes, recordRun, recordStart, type RunRecord } from "./crash_loop.ts";
import type { ContainerRunState } from "./runtime.ts";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const window = { windowMs: 60_000 };

function run(overrides: Partial<ContainerRunState>): ContainerRunState {
  return {
    id: "c1",
    name: "agentpod-acme-web",
    podId: "p1",
    specHash: "h",
    state: "running",
    createdAt: T0,
    restartCount: 0,
    startedAt: T0,
    finishedAt: null,
    exitCode: 0,
    oomKilled: false,
    ...overrides,
  };
}

const started: RunRecord = recordRun(run({}), 0);

Deno.test("assessCrashes() sees nothing new in the container it recorded", () => {
  assert.equal(assessCrashes(started, run({}), window).crashes, 0);
  assert.equal(assessCrashes(started, undefined, window).crashes, 0, "gone: not a crash here");
  assert.equal(assessCrashes(started, run({ id: "c2" }), window).crashes, 0, "a new container");
});

Deno.test("assessCrashes() counts a crash seen while Docker waits to restart it, once", () => {
  // Docker bumps RestartCount as the container enters `restarting`.
  const restarting = run({
    state: "restarting",
    restartCount: 1,
    finishedAt: T0 + 3_000,
    exitCode: 3,
  });
  const first = assessCrashes(started, restarting, window);
  assert.deepEqual(first, {
    crashes: 1,
    quick: true,
    recoveryFailures: 1,
    oomKilled: false,
    exitCode: 3,
  });
  // Later Docker has restarted it (RestartCount 1): the same crash is not counted again.
  const record = recordRun(restarting, first.recoveryFailures);
  const back = run({ restartCount: 1, startedAt: T0 + 3_100, finishedAt: T0 + 3_000 });
  assert.equal(assessCrashes(record, back, window).crashes, 0);
});

Deno.test("assessCrashes() counts a crash seen only after Docker restarted the process", () => {
  const back = run({ restartCount: 1, startedAt: T0 + 3_100, finishedAt: T0 + 3_000 });
  const seen = assessCrashes(started, back, window);
  assert.equal(seen.crashes, 1);
  assert.equal(seen.quick, true);
  assert.equal(seen.exitCode, null, "Docker clears the code on restart");
});

Deno.test("assessCrashes() counts several restarts between two looks", () => {
  const later = run({ restartCount: 3, startedAt: T0 + 9_700, finishedAt: T0 + 9_300 });
  const seen = assessCrashes(started, later, window);
  assert.equal(seen.crashes, 3);
  assert.equal(seen.recoveryFailures, 3);
});

Deno.test("assessCrashes() does not call a crash after a long run a failed recovery", () => {
  const late = run({
    state: "restarting",
    restartCount: 1,
    finishedAt: T0 + 3_600_000,
    exitCode: 1,
  });
  const seen = assessCrashes({ ...started, recoveryFailures: 2 }, late, window);
  assert.equal(seen.crashes, 1);
  assert.equal(seen.quick, false);
  assert.equal(seen.recoveryFailures, 0, "a new episode starts");
});

Deno.test("assessCrashes() forgives a short run that passed a health probe", () => {
  const died = run({ state: "restarting", restartCount: 1, finishedAt: T0 + 20_000 });
  assert.equal(assessCrashes(started, died, { ...window, healthyAt: T0 + 9_000 }).quick, false);
  assert.equal(assessCrashes(started, died, { ...window, healthyAt: T0 - 1 }).quick, true);
});

Deno.test("assessCrashes() counts a kill (exited, no policy restart) and reports OOM", () => {
  const killed = run({ state: "exited", finishedAt: T0 + 5_000, exitCode: 137, oomKilled: true });
  const seen = assessCrashes(started, killed, window);
  assert.equal(seen.crashes, 1);
  assert.equal(seen.oomKilled, true);
  assert.equal(seen.exitCode, 137);
  // Recorded: the same exited state later is not a second crash.
  assert.equal(assessCrashes(recordRun(killed, 1), killed, window).crashes, 0);
});

Deno.test("assessCrashes() after someone's manual start counts only restarts since it", () => {
  const record = recordRun(run({ restartCount: 4, startedAt: T0 }), 0);
  const restarted = run({ restartCount: 0, startedAt: T0 + 50_000, finishedAt: T0 + 49_000 });
  const seen = assessCrashes(record, restarted, window);
  assert.equal(seen.crashes, 0, "a manual start: no policy restart since");
  const crashedSince = run({ restartCount: 1, startedAt: T0 + 55_000, finishedAt: T0 + 54_000 });
  assert.equal(assessCrashes(record, crashedSince, window).crashes, 1);
});

Deno.test("recordStart() lets the next look count a crash that came before the inspect after a start", () => {
  // The reconciler starts the container; the OOM killer and Docker's policy restart both
  // fit in the ~400 ms before its inspect, which already shows RestartCount 1.
  for (
    const seenAfterStart of [
      run({ state: "restarting", restartCount: 1, finishedAt: T0 + 200, exitCode: 137 }),
      run({ restartCount: 1, startedAt: T0 + 550, finishedAt: T0 + 240 }),
    ]
  ) {
    const record = recordStart(seenAfterStart, 0);
    const next = assessCrashes(record, seenAfterStart, window);
    assert.equal(next.crashes, 1, seenAfterStart.state);
    assert.equal(next.quick, true);
    // Counted once: the record of that look sees nothing new in the same state.
    assert.equal(assessCrashes(recordRun(seenAfterStart, 1), seenAfterStart, window).crashes, 0);
  }
  // A clean start is recorded as it is.
  assert.deepEqual(recordStart(run({}), 0), started);
});
