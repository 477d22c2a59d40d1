/**
 * Container resource statistics: the one-shot `/containers/{id}/stats` read and the
 * pure arithmetic turning its raw counters into CPU percent and memory bytes (the same
 * quantities `docker stats` shows).
 * @module
 */
import type { DockerTransport } from "./transport.ts";

/** CPU counters of one sample. */
export interface CpuStats {
  /** Cumulative container CPU time in nanoseconds. */
  cpu_usage: { total_usage: number; percpu_usage?: number[] | null };
  /** Cumulative host CPU time in nanoseconds (absent in the first sample). */
  system_cpu_usage?: number;
  /** CPUs online on the host. */
  online_cpus?: number;
}

/** The raw answer of `GET /containers/{id}/stats?stream=false` (fields we use). */
export interface ContainerStats {
  /** When the sample was taken (RFC 3339). */
  read: string;
  /** The current sample. */
  cpu_stats: CpuStats;
  /** The previous sample, about 1 s earlier (zeros with `one-shot`). */
  precpu_stats: CpuStats;
  /** Memory counters; `stats` differs between cgroup v1 and v2. */
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  /** Processes in the container. */
  pids_stats?: { current?: number; limit?: number };
  /** Per-interface network counters. */
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  [key: string]: unknown;
}

/** What we show and record per container. */
export interface StatsSummary {
  /** CPU use as a percentage of one CPU (200 = two full CPUs). */
  cpuPercent: number;
  /** Memory in use, excluding reclaimable page cache. */
  memoryBytes: number;
  /** The memory limit (the host's memory when unlimited). */
  memoryLimitBytes: number;
  /** Processes running, when reported. */
  pids?: number;
  /** CPU-seconds the container used since it started (cumulative). */
  cpuSeconds: number;
}

/**
 * Reads one sample. Without `oneShot` the engine samples twice about 1 s apart so CPU
 * percent can be computed; with it the answer is immediate but CPU percent is 0.
 */
export async function readContainerStats(
  transport: DockerTransport,
  id: string,
  options: { oneShot?: boolean; signal?: AbortSignal } = {},
): Promise<ContainerStats> {
  return await transport.json<ContainerStats>(
    "GET",
    `/containers/${encodeURIComponent(id)}/stats`,
    {
      query: { stream: false, "one-shot": options.oneShot },
      signal: options.signal,
    },
  );
}

/** Computes CPU percent and memory use from a raw sample. */
export function summarizeStats(stats: ContainerStats): StatsSummary {
  const summary: StatsSummary = {
    cpuPercent: cpuPercent(stats),
    memoryBytes: memoryBytes(stats),
    memoryLimitBytes: stats.memory_stats.limit ?? 0,
    cpuSeconds: stats.cpu_stats.cpu_usage.total_usage / 1e9,
  };
  if (stats.pids_stats?.current !== undefined) summary.pids = stats.pids_stats.current;
  return summary;
}

/** Container CPU delta over host CPU delta, times online CPUs, times 100. */
export function cpuPercent(stats: ContainerStats): number {
  const cpuDelta = stats.cpu_stats.cpu_usage.total_usage -
    stats.precpu_stats.cpu_usage.total_usage;
  const systemDelta = (stats.cpu_stats.system_cpu_usage ?? 0) -
    (stats.precpu_stats.system_cpu_usage ?? 0);
  if (cpuDelta <= 0 || systemDelta <= 0) return 0;
  const cpus = stats.cpu_stats.online_cpus ||
    stats.cpu_stats.cpu_usage.percpu_usage?.length || 1;
  return (cpuDelta / systemDelta) * cpus * 100;
}

/**
 * Usage minus the reclaimable file cache: `total_inactive_file` on cgroup v1,
 * `inactive_file` on v2, `cache` on old engines. The cache counts toward `usage` but
 * the kernel drops it under pressure, so including it overstates what a pod needs.
 */
export function memoryBytes(stats: ContainerStats): number {
  const usage = stats.memory_stats.usage ?? 0;
  const counters = stats.memory_stats.stats ?? {};
  const reclaimable = counters.total_inactive_file ?? counters.inactive_file ?? counters.cache;
  if (reclaimable === undefined || reclaimable > usage) return usage;
  return usage - reclaimable;
}
