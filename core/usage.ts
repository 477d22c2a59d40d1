/**
 * Usage in core terms: per pod and UTC day, CPU-seconds, memory average and peak, uptime
 * and restarts (from the runs the engine's start and die events tell), the volume's size
 * and the agent's own token and cost counts. Pure: the sampler (`usage_sampler.ts`) reads
 * the engine and the store keeps the rows; here are the arithmetic and the shapes.
 * @module
 */

/** One run of a pod's agent: from a start to its die (open while running). */
export interface PodRun {
  podId: string;
  tenant: string;
  pod: string;
  containerId: string;
  /** ms since the epoch. */
  startedAt: number;
  /** ms since the epoch, or null while it runs. */
  endedAt: number | null;
}

/** What sampling accumulated for one pod and day. */
export interface SampledDay {
  podId: string;
  tenant: string;
  pod: string;
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  cpuSeconds: number;
  memoryMbSum: number;
  memorySamples: number;
  memoryPeakMb: number;
  volumeBytes: number | null;
  tokens: AgentTokens | null;
  costUsd: number | null;
}

/** An agent's own token counts. */
export interface AgentTokens {
  input: number;
  output: number;
  total: number;
}

/** One pod's usage on one day, as reported. */
export interface UsageDay {
  day: string;
  tenant: string;
  pod: string;
  cpuSeconds: number;
  /** Average of the samples that day (MB), null without any. */
  memoryAvgMb: number | null;
  memoryPeakMb: number | null;
  /** Seconds its agent ran that day (exact, from start and die events). */
  uptimeSeconds: number;
  /** Starts that day after its first ever run (crashes, restarts, recreations). */
  restarts: number;
  volumeBytes: number | null;
  tokens: AgentTokens | null;
  costUsd: number | null;
}

/** A tenant's usage over a range: per pod and day, per day, and in total. */
export interface UsageReport {
  tenant: string | null;
  from: string;
  to: string;
  pods: UsageDay[];
  days: Omit<UsageDay, "pod">[];
  total: Omit<UsageDay, "pod" | "day">;
}

/** Where the container's cumulative CPU counter stood at the last sample. */
export interface CpuCursor {
  containerId: string;
  /** The run's start (ms): a new run starts the counter at 0 again. */
  startedAt: number;
  /** Cumulative CPU-seconds of that run. */
  cpuSeconds: number;
  /** ms since the epoch. */
  sampledAt: number;
}

/**
 * CPU-seconds used since `cursor`, given the run's counter now. A new container or run
 * counts from its start (the counter began at 0); a counter below the cursor (it cannot
 * go back within a run) counts as a new run. Never negative: totals stay monotonic.
 */
export function cpuSince(
  cursor: CpuCursor | undefined,
  now: { containerId: string; startedAt: number; cpuSeconds: number },
): number {
  const sameRun = cursor !== undefined && cursor.containerId === now.containerId &&
    Math.abs(cursor.startedAt - now.startedAt) < 1 && now.cpuSeconds >= cursor.cpuSeconds;
  return Math.max(0, sameRun ? now.cpuSeconds - cursor.cpuSeconds : now.cpuSeconds);
}

const DAY_MS = 86_400_000;

/** The UTC day of `ms`, `YYYY-MM-DD`. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Parses `YYYY-MM-DD` (or a full ISO time) into the UTC day's start (ms); NaN when not a date. */
export function dayStart(day: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return NaN;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(ms) && dayOf(ms) === day ? ms : NaN;
}

/** The days from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let ms = dayStart(from); ms <= dayStart(to); ms += DAY_MS) days.push(dayOf(ms));
  return days;
}

/**
 * Uptime (seconds) and restarts per pod and day over `days`, from runs. A run still open
 * counts until `now`. `firstStart` is each pod's first run ever (a start after it is a
 * restart).
 */
export function runsByDay(
  runs: readonly PodRun[],
  days: readonly string[],
  now: number,
  firstStart: ReadonlyMap<string, number>,
): Map<string, { uptimeSeconds: number; restarts: number }> {
  const out = new Map<string, { uptimeSeconds: number; restarts: number }>();
  for (const run of runs) {
    const end = run.endedAt ?? now;
    for (const day of days) {
      const from = dayStart(day);
      const to = from + DAY_MS;
      const overlap = Math.min(end, to) - Math.max(run.startedAt, from);
      const startedHere = run.startedAt >= from && run.startedAt < to;
      if (overlap <= 0 && !startedHere) continue;
      const key = `${run.podId}/${day}`;
      const entry = out.get(key) ?? { uptimeSeconds: 0, restarts: 0 };
      entry.uptimeSeconds += Math.max(0, overlap) / 1000;
      if (startedHere && run.startedAt > (firstStart.get(run.podId) ?? run.startedAt)) {
        entry.restarts++;
      }
      out.set(key, entry);
    }
  }
  return out;
}

/** Builds the report from sampled days and runs (pods with neither are absent). */
export function usageReport(
  input: {
    tenant: string | null;
    from: string;
    to: string;
    sampled: readonly SampledDay[];
    runs: readonly PodRun[];
    firstStart: ReadonlyMap<string, number>;
    now: number;
  },
): UsageReport {
  const days = daysBetween(input.from, input.to);
  const fromRuns = runsByDay(input.runs, days, input.now, input.firstStart);
  const names = new Map<string, { tenant: string; pod: string }>();
  for (const s of input.sampled) names.set(s.podId, { tenant: s.tenant, pod: s.pod });
  for (const r of input.runs) names.set(r.podId, { tenant: r.tenant, pod: r.pod });
  const sampled = new Map(input.sampled.map((s) => [`${s.podId}/${s.day}`, s]));
  const pods: UsageDay[] = [];
  for (const [podId, name] of names) {
    for (const day of days) {
      const s = sampled.get(`${podId}/${day}`);
      const r = fromRuns.get(`${podId}/${day}`);
      if (!s && !r) continue;
      pods.push({
        day,
        tenant: name.tenant,
        pod: name.pod,
        cpuSeconds: round(s?.cpuSeconds ?? 0, 3),
        memoryAvgMb: s && s.memorySamples > 0 ? round(s.memoryMbSum / s.memorySamples, 1) : null,
        memoryPeakMb: s && s.memorySamples > 0 ? round(s.memoryPeakMb, 1) : null,
        uptimeSeconds: round(r?.uptimeSeconds ?? 0, 3),
        restarts: r?.restarts ?? 0,
        volumeBytes: s?.volumeBytes ?? null,
        tokens: s?.tokens ?? null,
        costUsd: s?.costUsd ?? null,
      });
    }
  }
  pods.sort((a, b) =>
    a.day.localeCompare(b.day) || a.tenant.localeCompare(b.tenant) ||
    a.pod.localeCompare(b.pod)
  );
  const byDay = days.map((day) => sum(pods.filter((p) => p.day === day), { day }));
  const { day: _day, ...total } = sum(pods, { day: "" });
  return {
    tenant: input.tenant,
    from: input.from,
    to: input.to,
    pods,
    days: byDay.filter((d) => pods.some((p) => p.day === d.day)),
    total,
  };
}

function sum(rows: readonly UsageDay[], base: { day: string }): Omit<UsageDay, "pod"> {
  const some = <T>(pick: (r: UsageDay) => T | null) => rows.some((r) => pick(r) !== null);
  const add = (pick: (r: UsageDay) => number | null) =>
    rows.reduce((n, r) => n + (pick(r) ?? 0), 0);
  return {
    day: base.day,
    tenant: rows[0]?.tenant ?? "",
    cpuSeconds: round(add((r) => r.cpuSeconds), 3),
    // A tenant's memory is the sum of its pods' averages and peaks.
    memoryAvgMb: some((r) => r.memoryAvgMb) ? round(add((r) => r.memoryAvgMb), 1) : null,
    memoryPeakMb: some((r) => r.memoryPeakMb) ? round(add((r) => r.memoryPeakMb), 1) : null,
    uptimeSeconds: round(add((r) => r.uptimeSeconds), 3),
    restarts: add((r) => r.restarts),
    volumeBytes: some((r) => r.volumeBytes) ? add((r) => r.volumeBytes) : null,
    tokens: some((r) => r.tokens)
      ? {
        input: add((r) => r.tokens?.input ?? 0),
        output: add((r) => r.tokens?.output ?? 0),
        total: add((r) => r.tokens?.total ?? 0),
      }
      : null,
    costUsd: some((r) => r.costUsd) ? round(add((r) => r.costUsd), 6) : null,
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const CSV_COLUMNS = [
  "day",
  "tenant",
  "pod",
  "cpu_seconds",
  "memory_avg_mb",
  "memory_peak_mb",
  "uptime_seconds",
  "restarts",
  "volume_bytes",
  "tokens_input",
  "tokens_output",
  "tokens_total",
  "cost_usd",
];

/** One CSV field: quoted when it holds a comma, a quote or a line break. */
function csvField(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The report's pod rows as CSV (RFC 4180, header first): for billing scripts. */
export function usageCsv(report: UsageReport): string {
  const rows = report.pods.map((p) => [
    p.day,
    p.tenant,
    p.pod,
    p.cpuSeconds,
    p.memoryAvgMb,
    p.memoryPeakMb,
    p.uptimeSeconds,
    p.restarts,
    p.volumeBytes,
    p.tokens?.input,
    p.tokens?.output,
    p.tokens?.total,
    p.costUsd,
  ]);
  return [CSV_COLUMNS, ...rows].map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** A pod's sample to add to its day. */
export interface UsageSample {
  podId: string;
  day: string;
  cpuSeconds: number;
  memoryMb: number | null;
  cursor: CpuCursor;
  /** The cursor's `sampledAt` this sample follows (null: none): another sampler that moved it meanwhile wins. */
  after: number | null;
}

/** Usage storage (implemented in `providers/store/usage_store.ts`). */
export interface UsageStore {
  usage: {
    /** Opens a run of a container (no-op when it has an open one). */
    runStarted(run: { podId: string; containerId: string; at: number }): Promise<void>;
    /** Closes the container's open run (no-op without one). */
    runEnded(run: { containerId: string; at: number; exitCode: number | null }): Promise<void>;
    /**
     * What the engine says runs now: closes the pod's other open runs (at `endedAt` when
     * known, else at the last sample) and opens this one if no event did.
     */
    seenRunning(
      seen: { podId: string; containerId: string; startedAt: number; lastExitAt: number | null },
    ): Promise<void>;
    /** Closes the open runs of a pod that no longer runs, started before `at` (when it looked). */
    seenStopped(podId: string, at: number): Promise<void>;
    cursor(podId: string): Promise<CpuCursor | undefined>;
    /**
     * Adds a sample to its day and moves the cursor, in one transaction, only if the
     * cursor is still where `after` says (false otherwise: nothing is counted twice).
     */
    addSample(sample: UsageSample): Promise<boolean>;
    /** Sets a day's volume size and the agent's own counts (when given). */
    setDay(
      podId: string,
      day: string,
      values: { volumeBytes?: number; tokens?: AgentTokens; costUsd?: number },
    ): Promise<void>;
    sampled(filter: { tenant?: string; from: string; to: string }): Promise<SampledDay[]>;
    /** Runs that overlap the days (open ones included). */
    runs(filter: { tenant?: string; from: string; to: string }): Promise<PodRun[]>;
    /** Each pod's first start ever. */
    firstStarts(podIds: string[]): Promise<Map<string, number>>;
  };
}
