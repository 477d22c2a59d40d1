/**
 * The health monitor: probes running pods through their adapters and hands each verdict
 * to the reconciler's queue, which writes the `Healthy` condition and, after N failed
 * probes in a row, restarts the container. The monitor itself never acts on the engine
 * and never writes status; it records the Unhealthy/Healthy events of its findings.
 * Probes of one pod never overlap. "Starting" answers do not count as failures until the
 * startup grace runs out. Right after a (re)start a pod is probed every second until
 * healthy, so recovery shows fast.
 * @module
 */
import type { AgentAdapter, ProbeContext, ProbeResult } from "./adapter.ts";
import { errorMessage } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { Reconciler } from "./reconciler.ts";
import type { PodSecrets, SecretBox } from "./secrets.ts";
import type { PodRecord, Store } from "./store.ts";

/** Tuning of the health monitor. */
export interface HealthOptions {
  /** Failed probes in a row before a restart. */
  failureThreshold: number;
  /** How long "starting" is accepted after a start. */
  startupGraceMs: number;
  /** Probe timeout. */
  timeoutMs: number;
}

/** Failed probes in a row before an Unhealthy event (one alone may be a blip). */
const UNHEALTHY_EVENT_AFTER = 2;

/** Defaults. */
export const DEFAULT_HEALTH_OPTIONS: HealthOptions = {
  failureThreshold: 3,
  startupGraceMs: 120_000,
  timeoutMs: 10_000,
};

/** What the monitor works with. */
export interface HealthDeps {
  store: Store;
  reconciler: Pick<Reconciler, "reportHealth">;
  secrets: SecretBox;
  adapterById(id: string): AgentAdapter;
  now(): number;
  schedule(fn: () => void, ms: number): () => void;
  log: Logger;
  /** Told how long each probe took (seconds; metrics). */
  observeProbe?(adapter: string, seconds: number): void;
}

/** The outcome of probing one pod. */
export interface HealthReport {
  /** `<tenant>/<pod>`. */
  pod: string;
  /** `ok`, `failing`, `starting`, or null when not running. */
  health: "ok" | "failing" | "starting" | null;
  /** What the probe saw. */
  message: string;
}

/** Probes pods and keeps their `Healthy` condition. */
export class HealthMonitor {
  readonly #d: HealthDeps;
  readonly #o: HealthOptions;
  readonly #failures = new Map<string, number>();
  readonly #startedAt = new Map<string, number>();
  readonly #tokens = new Map<string, { generation: number; token: string }>();
  readonly #fast = new Map<string, () => void>();
  /** Pods healthy at least once since their last start. */
  readonly #healthySinceStart = new Set<string>();
  /** Pods with an Unhealthy event not yet followed by a Healthy one. */
  readonly #reported = new Set<string>();
  /** Probes under way, by pod: a second probe of the same pod waits for this one. */
  readonly #inFlight = new Map<string, Promise<HealthReport>>();

  constructor(deps: HealthDeps, options: Partial<HealthOptions> = {}) {
    this.#d = deps;
    this.#o = { ...DEFAULT_HEALTH_OPTIONS, ...options };
  }

  /** Probes every running pod (or one tenant's) now. */
  async probeAll(tenant?: string): Promise<HealthReport[]> {
    const pods = await this.#d.store.pods.list(tenant === undefined ? {} : { tenant });
    return await Promise.all(pods.map((pod) => this.probePod(pod)));
  }

  /**
   * One probe of a pod, with the timeout, and nothing else: no verdict, no event (an
   * upgrade's gate, which owns the pod meanwhile).
   */
  async check(pod: PodRecord): Promise<ProbeResult> {
    const adapter = this.#d.adapterById(pod.spec.adapter);
    const controller = new AbortController();
    const cancel = this.#d.schedule(() => controller.abort(), this.#o.timeoutMs);
    const started = performance.now();
    try {
      return await adapter.probe(await this.probeContext(pod, controller.signal));
    } catch (error) {
      return { healthy: false, message: `Probe failed: ${errorMessage(error)}` };
    } finally {
      cancel();
      this.#d.observeProbe?.(adapter.id, (performance.now() - started) / 1000);
    }
  }

  /** How the agent of `pod` is reached from here: its published port and token. */
  async probeContext(pod: PodRecord, signal: AbortSignal): Promise<ProbeContext> {
    return {
      baseUrl: `http://127.0.0.1:${pod.hostPort}`,
      token: await this.#token(pod),
      config: pod.spec.config,
      signal,
      // An adopted gateway runs the config it was made with: it trusts no proxy
      // unless adopt routed it.
      direct: pod.adoption?.active === true && pod.adoption.routed !== true,
    };
  }

  /** Probes one pod and reports the verdict; shares a probe already under way. */
  probePod(pod: PodRecord): Promise<HealthReport> {
    const running = this.#inFlight.get(pod.id);
    if (running) return running;
    const probe = this.#probe(pod).finally(() => this.#inFlight.delete(pod.id));
    this.#inFlight.set(pod.id, probe);
    return probe;
  }

  async #probe(pod: PodRecord): Promise<HealthReport> {
    const ref = `${pod.tenant}/${pod.name}`;
    if (pod.spec.desiredState !== "running" || pod.status.phase !== "running") {
      return { pod: ref, health: null, message: `Pod is ${pod.status.phase}` };
    }
    const result = await this.check(pod);
    // Like a startup probe: until a (re)started pod has been healthy once, any failure
    // within the grace period means "still starting", not "broken".
    const started = this.#startedAt.get(pod.id) ?? 0;
    const inGrace = this.#d.now() - started < this.#o.startupGraceMs;
    const starting = !result.healthy && inGrace &&
      (result.starting === true || !this.#healthySinceStart.has(pod.id));
    const status = result.healthy ? "True" : starting ? "Unknown" : "False";
    const verdict = {
      status,
      reason: result.healthy ? "ProbeSucceeded" : starting ? "Starting" : "ProbeFailed",
      message: result.message,
      at: this.#d.now(),
    } as const;
    let restart: string | undefined;
    if (result.healthy) {
      this.#healthySinceStart.add(pod.id);
      this.#failures.delete(pod.id);
      this.#fast.get(pod.id)?.();
      this.#fast.delete(pod.id);
      // Events tell transitions worth reading: a recovery after a reported failure.
      if (this.#reported.delete(pod.id)) {
        await this.#event(pod, "Normal", "Healthy", `Recovered: ${result.message}`);
      }
    } else if (!starting) {
      const failures = (this.#failures.get(pod.id) ?? 0) + 1;
      this.#failures.set(pod.id, failures);
      if (failures === UNHEALTHY_EVENT_AFTER && !this.#reported.has(pod.id)) {
        this.#reported.add(pod.id);
        await this.#event(pod, "Warning", "Unhealthy", result.message);
      }
      if (failures >= this.#o.failureThreshold) {
        this.#failures.delete(pod.id);
        restart = `Restarting after ${this.#o.failureThreshold} failed probes: ${result.message}`;
        this.#d.log.warn("pod unhealthy, restarting", { pod: ref, message: result.message });
      }
    }
    this.#d.reconciler.reportHealth(pod.id, restart ? { ...verdict, restart } : verdict);
    return {
      pod: ref,
      health: result.healthy ? "ok" : starting ? "starting" : "failing",
      message: result.message,
    };
  }

  /** Notes a (re)start and probes the pod every second until it is healthy. */
  podStarted(podId: string): void {
    this.#startedAt.set(podId, this.#d.now());
    this.#healthySinceStart.delete(podId);
    this.#failures.delete(podId);
    this.#fast.get(podId)?.();
    const deadline = this.#d.now() + this.#o.startupGraceMs;
    let cancel = () => {};
    const tick = async () => {
      const pod = await this.#d.store.pods.getById(podId).catch(() => undefined);
      if (!pod || pod.spec.desiredState !== "running" || this.#d.now() > deadline) {
        this.#fast.delete(podId);
        return;
      }
      const report = await this.probePod(pod).catch(() => undefined);
      if (report?.health === "ok" || !this.#fast.has(podId)) return;
      cancel = this.#d.schedule(() => void tick(), 1_000);
    };
    this.#fast.set(podId, () => cancel());
    cancel = this.#d.schedule(() => void tick(), 500);
  }

  /** Forgets a pod (deleted). */
  forget(podId: string): void {
    this.#fast.get(podId)?.();
    this.#fast.delete(podId);
    this.#failures.delete(podId);
    this.#startedAt.delete(podId);
    this.#tokens.delete(podId);
    this.#healthySinceStart.delete(podId);
    this.#reported.delete(podId);
  }

  async #event(pod: PodRecord, type: "Normal" | "Warning", reason: string, message: string) {
    await this.#d.store.events.append({
      tenant: pod.tenant,
      podId: pod.id,
      podName: pod.name,
      type,
      reason,
      message,
    });
  }

  async #token(pod: PodRecord): Promise<string> {
    const cached = this.#tokens.get(pod.id);
    if (cached && cached.generation === pod.generation) return cached.token;
    const token = pod.secrets ? (await this.#d.secrets.open<PodSecrets>(pod.secrets)).token : "";
    this.#tokens.set(pod.id, { generation: pod.generation, token });
    return token;
  }
}
