/**
 * Tests: CPU-seconds from a cumulative counter stay monotonic across a new run or
 * container; uptime and restarts per UTC day from runs (across midnight, open runs up to
 * now, the first run not a restart); the report's per-day and total sums; day parsing.
 * @module
 */
import assert from "node:assert/strict";
import {
  cpuSince,
  daysBetween,
  dayStart,
  type PodRun,
  runsByDay,
  type SampledDay,
  usageReport,
} from "./usage.ts";

const T = Date.parse("2026-12-01T23:00:00Z");

Deno.test("cpuSince: the same run counts the difference; a new run or container counts from 0", () => {
  const cursor = { containerId: "c1", startedAt: T, cpuSeconds: 10, sampledAt: T };
  assert.equal(cpuSince(cursor, { containerId: "c1", startedAt: T, cpuSeconds: 12.5 }), 2.5);
  assert.equal(cpuSince(cursor, { containerId: "c1", startedAt: T + 5000, cpuSeconds: 4 }), 4);
  assert.equal(cpuSince(cursor, { containerId: "c2", startedAt: T, cpuSeconds: 30 }), 30);
  assert.equal(cpuSince(cursor, { containerId: "c1", startedAt: T, cpuSeconds: 3 }), 3, "reset");
  assert.equal(cpuSince(undefined, { containerId: "c1", startedAt: T, cpuSeconds: 7 }), 7);
});

Deno.test("runsByDay: uptime split at midnight, open runs to now, restarts after the first run", () => {
  const run = (startedAt: number, endedAt: number | null, id = "c1"): PodRun => ({
    podId: "p",
    tenant: "t",
    pod: "web",
    containerId: id,
    startedAt,
    endedAt,
  });
  const runs = [
    run(T, T + 2 * 3600_000), // 23:00 → 01:00: 1 h each side of midnight
    run(T + 2 * 3600_000 + 500, null), // restarted at 01:00:00.5, still running
  ];
  const now = T + 3 * 3600_000; // 02:00
  const days = daysBetween("2026-12-01", "2026-12-02");
  const out = runsByDay(runs, days, now, new Map([["p", T]]));
  assert.deepEqual(out.get("p/2026-12-01"), { uptimeSeconds: 3600, restarts: 0 });
  assert.deepEqual(out.get("p/2026-12-02"), { uptimeSeconds: 3600 + 3599.5, restarts: 1 });
});

Deno.test("usageReport: per pod and day, per day, total; null where nothing was measured", () => {
  const sampled: SampledDay[] = [
    {
      podId: "a",
      tenant: "t",
      pod: "a",
      day: "2026-12-02",
      cpuSeconds: 100,
      memoryMbSum: 300,
      memorySamples: 3,
      memoryPeakMb: 120,
      volumeBytes: 2048,
      tokens: { input: 10, output: 5, total: 15 },
      costUsd: 0.25,
    },
    {
      podId: "b",
      tenant: "t",
      pod: "b",
      day: "2026-12-02",
      cpuSeconds: 1,
      memoryMbSum: 0,
      memorySamples: 0,
      memoryPeakMb: 0,
      volumeBytes: null,
      tokens: null,
      costUsd: null,
    },
  ];
  const report = usageReport({
    tenant: "t",
    from: "2026-12-01",
    to: "2026-12-02",
    sampled,
    runs: [],
    firstStart: new Map(),
    now: T,
  });
  assert.deepEqual(report.pods.map((p) => [p.pod, p.cpuSeconds, p.memoryAvgMb, p.memoryPeakMb]), [
    ["a", 100, 100, 120],
    ["b", 1, null, null],
  ]);
  assert.equal(report.days.length, 1, "days with nothing are left out");
  assert.deepEqual(
    [report.total.cpuSeconds, report.total.volumeBytes, report.total.tokens, report.total.costUsd],
    [101, 2048, { input: 10, output: 5, total: 15 }, 0.25],
  );
});

Deno.test("dayStart accepts real days only", () => {
  assert.equal(dayStart("2026-12-02"), Date.parse("2026-12-02T00:00:00Z"));
  assert.ok(Number.isNaN(dayStart("2026-02-30")));
  assert.ok(Number.isNaN(dayStart("2026-13-01")));
  assert.ok(Number.isNaN(dayStart("yesterday")));
  assert.deepEqual(daysBetween("2026-12-30", "2027-01-01"), [
    "2026-12-30",
    "2026-12-31",
    "2027-01-01",
  ]);
});
