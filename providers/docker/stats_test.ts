/**
 * Tests: CPU percent and memory arithmetic on raw stats samples.
 * @module
 */
import assert from "node:assert/strict";
import { type ContainerStats, cpuPercent, memoryBytes, summarizeStats } from "./stats.ts";

function sample(overrides: Partial<ContainerStats> = {}): ContainerStats {
  return {
    read: "2026-11-29T00:00:01Z",
    cpu_stats: {
      cpu_usage: { total_usage: 1_500_000_000 },
      system_cpu_usage: 20_000_000_000,
      online_cpus: 2,
    },
    precpu_stats: { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 18_000_000_000 },
    memory_stats: {
      usage: 100_000_000,
      limit: 800_000_000,
      stats: { total_inactive_file: 30_000_000 },
    },
    pids_stats: { current: 7 },
    ...overrides,
  };
}

Deno.test("cpuPercent() is cpu delta / system delta × online cpus × 100", () => {
  // 0.5 s of container CPU over 2 s of host CPU time on 2 CPUs = 50 %.
  assert.equal(cpuPercent(sample()), 50);
});

Deno.test("cpuPercent() counts per-cpu entries when online_cpus is missing", () => {
  const stats = sample();
  stats.cpu_stats = {
    cpu_usage: { total_usage: 1_500_000_000, percpu_usage: [1, 2, 3, 4] },
    system_cpu_usage: 20_000_000_000,
  };
  assert.equal(cpuPercent(stats), 100);
});

Deno.test("cpuPercent() is 0 for a one-shot sample without a previous reading", () => {
  const stats = sample();
  stats.precpu_stats = { cpu_usage: { total_usage: 0 } };
  stats.cpu_stats.system_cpu_usage = undefined;
  assert.equal(cpuPercent(stats), 0);
});

Deno.test("memoryBytes() subtracts inactive file cache (cgroup v1, v2, legacy)", () => {
  assert.equal(memoryBytes(sample()), 70_000_000);
  const v2 = sample({ memory_stats: { usage: 50, stats: { inactive_file: 20 } } });
  assert.equal(memoryBytes(v2), 30);
  const legacy = sample({ memory_stats: { usage: 50, stats: { cache: 5 } } });
  assert.equal(memoryBytes(legacy), 45);
});

Deno.test("memoryBytes() never goes negative and copes with a stopped container", () => {
  assert.equal(
    memoryBytes(sample({ memory_stats: { usage: 10, stats: { inactive_file: 20 } } })),
    10,
  );
  assert.equal(memoryBytes(sample({ memory_stats: {} })), 0);
});

Deno.test("summarizeStats() gathers cpu, memory, limit and pids", () => {
  assert.deepEqual(summarizeStats(sample()), {
    cpuPercent: 50,
    memoryBytes: 70_000_000,
    memoryLimitBytes: 800_000_000,
    pids: 7,
    cpuSeconds: 1.5,
  });
});
