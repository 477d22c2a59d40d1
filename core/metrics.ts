/**
 * Metrics in the Prometheus text format (version 0.0.4): counters and histograms kept in
 * process, families read at scrape time, and the renderer. Names follow Prometheus'
 * naming guide (`agentpod_` prefix, base units, `_total` on counters); `/metrics` is
 * checked in tests with Prometheus' own parser and lint. Pure.
 * @module
 */

/** Label names to values. */
export type Labels = Record<string, string>;

/** One metric family as scraped. */
export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  samples: { suffix?: string; labels: Labels; value: number }[];
}

/** Default latency buckets (seconds): 5 ms to 30 s. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort());

/** A counter per label set. */
export class Counter {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    const entry = this.#values.get(k) ?? { labels, value: 0 };
    entry.value += by;
    this.#values.set(k, entry);
  }

  family(): MetricFamily {
    return {
      name: this.name,
      help: this.help,
      type: "counter",
      samples: [...this.#values.values()].map((e) => ({ labels: e.labels, value: e.value })),
    };
  }
}

/** A histogram per label set (cumulative buckets, sum and count). */
export class Histogram {
  readonly #series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; n: number }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = LATENCY_BUCKETS,
  ) {}

  observe(labels: Labels, value: number): void {
    const k = key(labels);
    let s = this.#series.get(k);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, n: 0 };
      this.#series.set(k, s);
    }
    this.buckets.forEach((le, i) => {
      if (value <= le) s.counts[i]!++;
    });
    s.sum += value;
    s.n++;
  }

  family(): MetricFamily {
    const samples: MetricFamily["samples"] = [];
    for (const s of this.#series.values()) {
      this.buckets.forEach((le, i) =>
        samples.push({
          suffix: "_bucket",
          labels: { ...s.labels, le: String(le) },
          value: s.counts[i]!,
        })
      );
      samples.push({ suffix: "_bucket", labels: { ...s.labels, le: "+Inf" }, value: s.n });
      samples.push({ suffix: "_sum", labels: s.labels, value: s.sum });
      samples.push({ suffix: "_count", labels: s.labels, value: s.n });
    }
    return { name: this.name, help: this.help, type: "histogram", samples };
  }
}

/** The in-process instruments the control plane feeds. */
export class Telemetry {
  readonly reconcileSeconds = new Histogram(
    "agentpod_reconcile_duration_seconds",
    "Time one reconcile of a pod took.",
  );
  readonly probeSeconds = new Histogram(
    "agentpod_probe_duration_seconds",
    "Time one health probe of a pod took, by adapter.",
  );
  readonly dockerSeconds = new Histogram(
    "agentpod_docker_request_duration_seconds",
    "Time to the Docker Engine's answer, by operation.",
  );
  readonly dockerErrors = new Counter(
    "agentpod_docker_request_errors_total",
    "Docker Engine requests that failed: unreachable, or a 5xx answer.",
  );
  readonly alertAttempts = new Counter(
    "agentpod_alert_delivery_attempts_total",
    "Alert delivery attempts, by outcome (delivered, failed).",
  );

  families(): MetricFamily[] {
    return [
      this.reconcileSeconds.family(),
      this.probeSeconds.family(),
      this.dockerSeconds.family(),
      this.dockerErrors.family(),
      this.alertAttempts.family(),
    ];
  }
}

/**
 * A Docker API path as a bounded label: ids and names become `*`
 * (`/v1.47/containers/abc/start` → `containers/*\/start`).
 */
export function dockerOperation(method: string, path: string): string {
  const parts = path.split("?")[0]!.split("/").filter((p) => p !== "" && !/^v\d+\.\d+$/.test(p));
  const words = new Set(["json", "create", "prune", "events", "_ping", "version", "info"]);
  const [first = "", second] = parts;
  const shaped = parts.length <= 1
    ? [first]
    : parts.length === 2
    ? [first, words.has(second!) ? second! : "*"]
    : [first, "*", parts[parts.length - 1]!];
  return `${method} ${shaped.join("/")}`;
}

const escapeLabel = (v: string) =>
  v.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');
const escapeHelp = (v: string) => v.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** The text exposition of `families` (empty families keep their HELP and TYPE). */
export function renderMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      const set = labels.length ? `{${labels.join(",")}}` : "";
      lines.push(`${f.name}${s.suffix ?? ""}${set} ${formatValue(s.value)}`);
    }
  }
  return lines.join("\n") + "\n";
}
