/**
 * The usage sampler: on the leader, every few seconds, reads each running pod's
 * container (its run and cumulative CPU counter, its memory) and adds the CPU-seconds
 * since the last sample and a memory sample to the pod's day; now and then the volumes'
 * sizes and the agents' own token and cost counters. Runs come from the engine's start
 * and die events (`onEvent`); the sampler only fills in what no event said (a control
 * plane that was down). At most four pods are read at once (a stats read takes about a
 * second per container on this engine).
 * @module
 */
import type { AgentAdapter, DeviceIdentity, ProbeContext } from "./adapter.ts";
import { errorMessage } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { volumeName } from "./naming.ts";
import type { ContainerRuntime, ContainerUsage, RuntimeEvent } from "./runtime.ts";
import type { PodRecord, Store } from "./store.ts";
import { cpuSince, dayOf } from "./usage.ts";

/** What the sampler needs. */
export interface UsageSamplerDeps {
  store: Store;
  runtime: ContainerRuntime;
  adapterById(id: string): AgentAdapter;
  /** The probe context of a pod (base URL, token), for agents' own counters. */
  probeContext(pod: PodRecord, signal: AbortSignal): Promise<ProbeContext>;
  /** The control plane's device key, which agents that pair devices approve once. */
  identity: DeviceIdentity;
  /** Approves the control plane's own pairing request on a pod's agent. */
  approve(pod: PodRecord, requestId: string): Promise<void>;
  isLeader(): boolean;
  now(): number;
  log: Logger;
  /** The latest CPU percent and memory per pod (the pod list shows them). */
  current: Map<string, ContainerUsage>;
}

/** Tuning. */
export interface UsageSamplerOptions {
  /** Every how many rounds volumes and agents' counters are read. */
  slowEvery: number;
  /** Pods read at once. */
  concurrency: number;
  /** How long one agent's counters may take. */
  agentTimeoutMs: number;
}

const DEFAULTS: UsageSamplerOptions = { slowEvery: 30, concurrency: 4, agentTimeoutMs: 10_000 };

/** Samples usage; `tick` is one round, `onEvent` records runs. */
export class UsageSampler {
  readonly #d: UsageSamplerDeps;
  readonly #o: UsageSamplerOptions;
  #round = 0;
  /** Run events are recorded in the order the engine sent them (a die before its restart). */
  #events: Promise<void> = Promise.resolve();
  #slowRunning = false;

  constructor(deps: UsageSamplerDeps, options: Partial<UsageSamplerOptions> = {}) {
    this.#d = deps;
    this.#o = { ...DEFAULTS, ...options };
  }

  /** A run starts or ends, at the engine's time; recorded after the events before it. */
  onEvent(event: RuntimeEvent): Promise<void> {
    const next = this.#events.then(() => this.#record(event));
    this.#events = next.catch(() => {});
    return next;
  }

  async #record(event: RuntimeEvent): Promise<void> {
    if (event.action === "start") {
      await this.#d.store.usage.runStarted({
        podId: event.podId,
        containerId: event.containerId,
        at: event.time,
      });
    } else if (event.action === "die") {
      await this.#d.store.usage.runEnded({
        containerId: event.containerId,
        at: event.time,
        exitCode: event.exitCode ?? null,
      });
    }
  }

  /**
   * One round over the pods. Volumes and agents' counters (every `slowEvery` rounds) are
   * read beside the rounds, not in them: a slow agent delays no pod's sample.
   */
  async tick(): Promise<void> {
    if (!this.#d.isLeader()) return;
    const slow = this.#round++ % this.#o.slowEvery === 0;
    const ids = (await this.#d.store.pods.listStates())
      .filter((p) => p.desiredState !== "deleted").map((p) => p.id);
    await this.#pool(ids, async (podId) => {
      try {
        await this.#sample(podId);
      } catch {
        // Gone meanwhile, or the engine is away: next round.
        this.#d.current.delete(podId);
      }
    });
    if (slow && !this.#slowRunning) {
      this.#slowRunning = true;
      void this.#slow(ids).finally(() => this.#slowRunning = false);
    }
  }

  async #pool<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    const queue = [...items];
    const worker = async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    };
    await Promise.all(Array.from({ length: this.#o.concurrency }, worker));
  }

  async #sample(podId: string): Promise<void> {
    const { store, runtime } = this.#d;
    // Read now, not from the round's list: a pod recreated meanwhile has a new container.
    const lookedAt = this.#d.now();
    const pod = await store.pods.getById(podId);
    if (!pod || pod.spec.desiredState === "deleted") return;
    const id = pod.status.containerId;
    const state = id ? await runtime.inspectPodContainer(id) : undefined;
    const now = this.#d.now();
    if (!id || !state || state.state !== "running" || state.startedAt === null) {
      this.#d.current.delete(pod.id);
      await store.usage.seenStopped(pod.id, lookedAt);
      return;
    }
    await store.usage.seenRunning({
      podId: pod.id,
      containerId: id,
      startedAt: state.startedAt,
      lastExitAt: state.finishedAt,
    });
    // Instant: the engine's own CPU percent costs a 1–2 s window per container; the
    // percent here comes from this sample and the last one instead.
    const usage = await runtime.usage(id, { instant: true });
    const cursor = { containerId: id, startedAt: state.startedAt, cpuSeconds: usage.cpuSeconds };
    const last = await store.usage.cursor(pod.id);
    const used = cpuSince(last, cursor);
    const seconds = last ? (now - last.sampledAt) / 1000 : 0;
    const sameRun = last?.containerId === id && Math.abs(last.startedAt - state.startedAt) < 1;
    this.#d.current.set(pod.id, {
      ...usage,
      cpu: sameRun && seconds > 0 ? Math.round((used / seconds) * 1000) / 10 : 0,
    });
    await store.usage.addSample({
      podId: pod.id,
      day: dayOf(now),
      cpuSeconds: used,
      memoryMb: usage.memoryMB,
      cursor: { ...cursor, sampledAt: now },
      after: last?.sampledAt ?? null,
    });
  }

  /** Volume sizes and agents' own counters. */
  async #slow(ids: string[]): Promise<void> {
    const day = dayOf(this.#d.now());
    const pods = (await Promise.all(ids.map((id) => this.#d.store.pods.getById(id))))
      .filter((p): p is PodRecord => p !== undefined);
    try {
      const sizes = await this.#d.runtime.volumeSizes();
      for (const pod of pods) {
        if (pod.adoption?.active) continue; // its volume is its owner's
        const bytes = sizes.get(volumeName(pod.id, pod.spec.volumeEpoch));
        if (bytes !== undefined && bytes >= 0) {
          await this.#d.store.usage.setDay(pod.id, day, { volumeBytes: bytes });
        }
      }
    } catch (error) {
      this.#d.log.warn("volume sizes unavailable", { error: errorMessage(error) });
    }
    await this.#pool(pods, async (pod) => {
      const adapter = this.#d.adapterById(pod.spec.adapter);
      if (!adapter.agentUsage || pod.status.phase !== "running") return;
      try {
        const signal = AbortSignal.timeout(this.#o.agentTimeoutMs);
        const days = await adapter.agentUsage({
          ...(await this.#d.probeContext(pod, signal)),
          identity: this.#d.identity,
          approve: (requestId) => this.#d.approve(pod, requestId),
        });
        for (const d of days) {
          await this.#d.store.usage.setDay(pod.id, d.day, { tokens: d.tokens, costUsd: d.costUsd });
        }
      } catch (error) {
        this.#d.log.warn("agent usage unavailable", {
          pod: `${pod.tenant}/${pod.name}`,
          error: errorMessage(error),
        });
      }
    });
  }
}
