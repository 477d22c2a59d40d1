/**
 * The reconciler: reads all state, plans with `planReconcile`, applies the actions and
 * writes status, like a controller-runtime controller. One action at a time per pod (a
 * per-pod lock), a bounded number of pods at once, exponential backoff per pod, and
 * three failed recoveries in a row mark a pod Failed. I/O only through the injected
 * store and runtime; time only through the injected clock and scheduler.
 * @module
 */
import type { AgentAdapter, ConfigChangeEffect } from "./adapter.ts";
import { KeyedLock, TaskLimit } from "./concurrency.ts";
import { type ActionSteps, executeAction } from "./reconcile_actions.ts";
import { errorMessage } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { tenantNetworkName } from "./naming.ts";
import { type Action, type DesiredPod, type ObservedContainer, planReconcile } from "./planner.ts";
import { type PodPhase, setCondition } from "./pod.ts";
import { type RenderedPodRequest, renderPodRequest, type RoutingSettings } from "./render.ts";
import type { ContainerRuntime, RuntimeEvent } from "./runtime.ts";
import type { PodSecrets, SecretBox } from "./secrets.ts";
import type { NewPodEvent, PodRecord, PodState, Store } from "./store.ts";

/** Tuning of the reconciler. */
export interface ReconcilerOptions {
  /** A container of ours that belongs to no pod is removed after this long. */
  orphanGraceMs: number;
  /** Pods acted on at once. */
  concurrency: number;
  /** Seconds a container gets to stop before it is killed. */
  stopTimeoutSeconds: number;
  /** First retry delay after a failure; doubles per failure. */
  backoffBaseMs: number;
  /** Longest retry delay. */
  backoffMaxMs: number;
  /** Failed recoveries in a row before a pod is marked Failed. */
  maxRecoveryFailures: number;
}

/** Defaults that meet the product's bars (back within 30 s, alert after 3 failures). */
export const DEFAULT_RECONCILER_OPTIONS: ReconcilerOptions = {
  orphanGraceMs: 60_000,
  concurrency: 4,
  stopTimeoutSeconds: 10,
  backoffBaseMs: 1_000,
  backoffMaxMs: 300_000,
  maxRecoveryFailures: 3,
};

/** What the reconciler works with. */
export interface ReconcilerDeps {
  /** Desired state and status. */
  store: Store;
  /** The container engine. */
  runtime: ContainerRuntime;
  /** Adapter lookup by id. */
  adapterById(id: string): AgentAdapter;
  /** Opens pod secrets. */
  secrets: SecretBox;
  /** Public host settings. */
  routing: RoutingSettings;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  schedule(fn: () => void, ms: number): () => void;
  /** Logger. */
  log: Logger;
  /** Called after a pod's status or events changed (live views, health kicks). */
  onPodChanged?(podId: string, change: "status" | "started" | "deleted"): void;
}

/** A planned action with the pod's address, as shown to users. */
export interface PlannedAction {
  /** Action kind. */
  kind: Action["kind"];
  /** `<tenant>/<pod>`, or the container name for orphans. */
  pod: string;
  /** Why. */
  reason: string;
}

interface Backoff {
  failures: number;
  notBefore: number;
  cancel?: () => void;
}

/** Reconciles pods with containers. */
export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #options: ReconcilerOptions;
  /** Renders by pod, with the generation and tenant gateway they were made for. */
  readonly #rendered = new Map<
    string,
    { generation: number; gateway: string | null | undefined; result: RenderedPodRequest }
  >();
  /** Gateways of tenant networks (by tenant) seen by this process. */
  readonly #gateways = new Map<string, string | null>();
  readonly #locks = new KeyedLock();
  readonly #backoff = new Map<string, Backoff>();
  /** Container ids we are stopping or removing ourselves: their exit is no crash. */
  readonly #expectedExits = new Set<string>();
  /** When we last (re)started a pod's container, for crash-loop detection. */
  readonly #startedAt = new Map<string, number>();
  /** Pods that passed a health probe since we last started them. */
  readonly #healthySinceStart = new Set<string>();
  /** Pods whose container died unexpectedly and is not back yet. */
  readonly #crashed = new Set<string>();
  readonly #limit: TaskLimit;

  constructor(deps: ReconcilerDeps, options: Partial<ReconcilerOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_RECONCILER_OPTIONS, ...options };
    this.#limit = new TaskLimit(this.#options.concurrency);
  }

  /**
   * Plans a pass over every pod; with `dryRun` nothing is changed. An idle pass costs
   * one light query and one engine call: full records (config, secrets) are read only
   * for pods whose generation changed since they were rendered or that need an action.
   */
  async reconcileAll(options: { dryRun?: boolean } = {}): Promise<PlannedAction[]> {
    const [states, observed] = await Promise.all([
      this.#deps.store.pods.listStates(),
      this.#deps.runtime.listPodContainers(),
    ]);
    await this.#learnGateways(states, observed);
    const stale = states.filter((s) => s.desiredState !== "deleted" && !this.#isFresh(s));
    const records = new Map(
      (await this.#deps.store.pods.getMany(stale.map((s) => s.id))).map((p) => [p.id, p]),
    );
    const desired: DesiredPod[] = [];
    for (const state of states) {
      const pod = records.get(state.id);
      if (state.desiredState !== "deleted" && !pod && !this.#isFresh(state)) continue; // gone
      try {
        desired.push(await this.#desired(state, pod));
      } catch (error) {
        // One pod that cannot be rendered must not stop the pass for the others.
        this.#deps.log.warn("pod cannot be rendered", {
          pod: `${state.tenant}/${state.name}`,
          error: errorMessage(error),
        });
      }
    }
    const actions = planReconcile(desired, observed, this.#deps.now(), this.#options);
    const byId = new Map(states.map((s) => [s.id, s]));
    const planned = actions.map((a) => describe(a, byId));
    if (options.dryRun) return planned;

    const byPod = new Map<string, Action[]>();
    for (const action of actions) {
      const key = "podId" in action ? action.podId : `orphan:${action.containerId}`;
      byPod.set(key, [...(byPod.get(key) ?? []), action]);
    }
    const missing = [...byPod.keys()].filter((key) => byId.has(key) && !records.has(key));
    for (const pod of await this.#deps.store.pods.getMany(missing)) records.set(pod.id, pod);
    const observedByPod = groupByPod(observed);
    await Promise.all([
      ...[...byPod.entries()].map(([key, list]) =>
        this.#limit.run(() =>
          this.#locks.run(key, async () => {
            const planned = records.get(key);
            // Planned from records read before the lock: if the pod changed meanwhile
            // (a config write, another trigger), acting now could undo it; the change
            // triggered its own reconcile, and the next pass sees the rest.
            const current = planned && await this.#deps.store.pods.getById(key);
            if (planned && (!current || current.generation !== planned.generation)) return;
            await this.#apply(list, current ?? undefined, observedByPod.get(key) ?? []);
          })
        )
      ),
      ...states.filter((s) => !byPod.has(s.id)).map((s) =>
        this.#syncStatus(s, observedByPod.get(s.id) ?? [])
      ),
    ]);
    return planned;
  }

  /**
   * Reconciles one pod now (after an API write or an engine event). `exited` names a
   * container an engine event just reported dead: the engine's list can lag its own
   * events by a moment and still say "running", so that report is believed instead.
   */
  reconcilePod(podId: string, exited?: string): Promise<void> {
    return this.#locks.run(podId, async () => {
      const pod = await this.#deps.store.pods.getById(podId);
      const observed = (await this.#deps.runtime.listPodContainers(podId)).map((c) =>
        c.id === exited && c.state === "running" ? { ...c, state: "exited" as const } : c
      );
      if (!pod) {
        // Deleted meanwhile: whatever is left is an orphan for the periodic pass.
        return;
      }
      const actions = planReconcile(
        [await this.#desired(stateOf(pod), pod)],
        observed,
        this.#deps.now(),
        this.#options,
      );
      if (actions.length === 0) return await this.#syncStatus(stateOf(pod), observed);
      await this.#apply(actions, pod, observed);
    });
  }

  /**
   * Applies a stored config change the way its adapter asks. `hot-reload` and
   * `recreate` are an ordinary pass: the files' hash or the container's hash changed,
   * so the planner rewrites the files or recreates the container (and a failure is
   * retried by later passes). `restart` also restarts the container afterwards.
   */
  async applyConfig(podId: string, effect: ConfigChangeEffect): Promise<void> {
    if (effect === "none") {
      // Nothing to do to the container: the new generation is observed as it is.
      return await this.#locks.run(podId, async () => {
        const pod = await this.#deps.store.pods.getById(podId);
        if (pod) await this.#setStatus(pod, { observedGeneration: pod.generation });
      });
    }
    await this.reconcilePod(podId);
    if (effect !== "restart") return;
    await this.#locks.run(podId, async () => {
      const pod = await this.#deps.store.pods.getById(podId);
      const containerId = pod?.status.containerId;
      if (!pod || !containerId || pod.spec.desiredState !== "running") return;
      this.expectExit(containerId);
      await this.#deps.runtime.stop(containerId, this.#options.stopTimeoutSeconds);
      await this.#deps.runtime.start(containerId);
      this.#noteStarted(pod.id);
      await this.#event(pod, "Normal", "Restarted", "Container restarted for a config change");
      this.#deps.onPodChanged?.(pod.id, "started");
    });
  }

  /** Reacts to an engine event: an unexpected exit is a crash, acted on at once. */
  async handleEvent(event: RuntimeEvent): Promise<void> {
    if (event.action !== "die" && event.action !== "oom" && event.action !== "destroy") return;
    // Our own stop or removal: its exit is no crash (consumed by the first report).
    if (this.#expectedExits.delete(event.containerId)) return;
    const pod = await this.#deps.store.pods.getById(event.podId);
    if (!pod || pod.spec.desiredState !== "running") return;
    if (pod.status.containerId !== null && pod.status.containerId !== event.containerId) return;
    if (event.action === "die" || event.action === "oom") {
      if (event.action === "die" && this.#crashed.has(pod.id)) return; // oom came first
      this.#crashed.add(pod.id);
      if (this.#startedAt.has(pod.id) && !this.#healthySinceStart.has(pod.id)) {
        this.#fail(pod.id); // died before it was ever healthy: that (re)start failed
      }
      const how = event.action === "oom"
        ? "was killed for running out of memory"
        : `exited with code ${event.exitCode ?? "unknown"}`;
      await this.#event(pod, "Warning", "Crashed", `Container ${how}`);
      return await this.reconcilePod(pod.id, event.containerId);
    }
    await this.reconcilePod(pod.id);
  }

  /** Marks a container as stopping by our own hand (restart, stop, delete). */
  expectExit(containerId: string): void {
    this.#expectedExits.add(containerId);
  }

  /** Notes a passed health probe: the last (re)start worked, failures are forgiven. */
  markHealthy(podId: string): void {
    if (this.#healthySinceStart.has(podId)) return;
    this.#healthySinceStart.add(podId);
    this.resetBackoff(podId);
  }

  /** Forgets failures of a pod (after an explicit start or restart by a user). */
  resetBackoff(podId: string): void {
    this.#backoff.get(podId)?.cancel?.();
    this.#backoff.delete(podId);
  }

  /** The planner's view of a pod: its hash from the render cache, or rendered from `pod`. */
  async #desired(state: PodState, pod: PodRecord | undefined): Promise<DesiredPod> {
    const ref = `${state.tenant}/${state.name}`;
    if (state.desiredState === "deleted") {
      return { id: state.id, ref, desiredState: "deleted", specHash: "" };
    }
    const rendered = this.#isFresh(state)
      ? this.#rendered.get(state.id)!.result
      : await this.#render(pod!);
    return {
      id: state.id,
      ref,
      desiredState: state.desiredState,
      specHash: rendered.request.specHash,
      // Files trust the tenant gateway: until it is known their hash is not either.
      filesHash: this.#gateways.has(state.tenant) ? rendered.filesHash : undefined,
      writtenFilesHash: state.filesHash,
    };
  }

  /** Whether the cached render is for this generation and the tenant's known gateway. */
  #isFresh(state: PodState): boolean {
    const cached = this.#rendered.get(state.id);
    return cached !== undefined && cached.generation === state.generation &&
      cached.gateway === this.#gateways.get(state.tenant);
  }

  /**
   * Learns the gateways of tenants that have containers and are not known yet (after a
   * start of the control plane): one engine call per tenant, once per process.
   */
  async #learnGateways(states: PodState[], observed: ObservedContainer[]): Promise<void> {
    const withContainer = new Set(observed.map((c) => c.podId));
    const tenants = new Set(
      states.filter((s) =>
        s.desiredState === "running" && withContainer.has(s.id) && !this.#gateways.has(s.tenant)
      ).map((s) => s.tenant),
    );
    for (const tenant of tenants) {
      try {
        const network = await this.#deps.runtime.ensureNetwork(tenantNetworkName(tenant), tenant);
        this.#gateways.set(tenant, network.gateway);
      } catch (error) {
        this.#deps.log.warn("tenant network unavailable", { tenant, error: errorMessage(error) });
      }
    }
  }

  /**
   * Renders a pod; cached per generation and tenant gateway, so an idle pass decrypts
   * nothing. The files trust the gateway the reconciler knows for the tenant.
   */
  async #render(pod: PodRecord): Promise<RenderedPodRequest> {
    const gateway = this.#gateways.get(pod.tenant);
    const cached = this.#rendered.get(pod.id);
    if (cached && cached.generation === pod.generation && cached.gateway === gateway) {
      return cached.result;
    }
    const secrets = pod.secrets
      ? await this.#deps.secrets.open<PodSecrets>(pod.secrets)
      : { token: "", values: {} };
    const result = renderPodRequest(
      pod,
      this.#deps.adapterById(pod.spec.adapter),
      secrets,
      this.#deps.routing,
      gateway ?? null,
    );
    this.#rendered.set(pod.id, { generation: pod.generation, gateway, result });
    return result;
  }

  async #apply(
    actions: Action[],
    pod: PodRecord | undefined,
    observed: ObservedContainer[],
  ): Promise<void> {
    const backoff = pod ? this.#backoff.get(pod.id) : undefined;
    if (pod && backoff && backoff.notBefore > this.#deps.now()) return; // a retry is scheduled
    for (const action of actions) {
      try {
        await executeAction(this.#steps(), action, pod, observed);
      } catch (error) {
        this.#deps.log.warn("reconcile action failed", {
          action: action.kind,
          pod: pod ? `${pod.tenant}/${pod.name}` : undefined,
          error: errorMessage(error),
        });
        if (!pod) continue;
        await this.#deps.store.pods.updateStatus(pod.id, { lastError: errorMessage(error) });
        const failures = this.#fail(pod.id);
        if (failures === this.#options.maxRecoveryFailures) await this.#markFailed(pod, error);
        this.#deps.onPodChanged?.(pod.id, "status");
        return;
      }
    }
  }

  /** What the action steps may use of the reconciler. */
  #steps(): ActionSteps {
    return {
      runtime: this.#deps.runtime,
      store: this.#deps.store,
      log: this.#deps.log,
      now: this.#deps.now,
      stopTimeoutSeconds: this.#options.stopTimeoutSeconds,
      render: (pod) => this.#render(pod),
      learnGateway: (tenant, gateway) => void this.#gateways.set(tenant, gateway),
      setStatus: (pod, update) => this.#setStatus(pod, update),
      event: (pod, type, reason, message) => this.#event(pod, type, reason, message),
      expectExit: (id) => this.expectExit(id),
      noteStarted: (podId) => this.#noteStarted(podId),
      takeCrashed: (podId) => this.#crashed.delete(podId),
      forget: (podId) => this.#forget(podId),
      changed: (podId, change) => this.#deps.onPodChanged?.(podId, change),
    };
  }

  /** Brings phase and container id in line with what is observed, writing only changes. */
  async #syncStatus(state: PodState, observed: ObservedContainer[]): Promise<void> {
    const live = observed.find((c) => c.state === "running" || c.state === "restarting");
    let phase: PodPhase = state.phase;
    if (state.desiredState === "deleted") phase = "deleting";
    else if (state.desiredState === "stopped") phase = live ? "stopping" : "stopped";
    else if (live) phase = live.state === "running" ? "running" : "starting";
    const containerId = live?.id ?? state.containerId;
    if (phase !== state.phase || containerId !== state.containerId) {
      await this.#deps.store.pods.updateStatus(state.id, { phase, containerId });
      this.#deps.onPodChanged?.(state.id, "status");
    }
  }

  async #setStatus(pod: PodRecord, update: Parameters<Store["pods"]["updateStatus"]>[1]) {
    await this.#deps.store.pods.updateStatus(pod.id, update);
    Object.assign(
      pod.status,
      Object.fromEntries(
        Object.entries(update).filter(([, v]) => v !== undefined),
      ),
    );
    this.#deps.onPodChanged?.(pod.id, "status");
  }

  async #markFailed(pod: PodRecord, error: unknown): Promise<void> {
    const message = `Recovery failed ${this.#options.maxRecoveryFailures} times in a row: ${
      errorMessage(error)
    }`;
    await this.#setStatus(pod, {
      phase: "failed",
      conditions: setCondition(pod.status.conditions, {
        type: "Failed",
        status: "True",
        reason: "RecoveryFailed",
        message,
      }, new Date(this.#deps.now())),
    });
    await this.#event(pod, "Warning", "RecoveryFailed", message);
    this.#deps.log.error("pod failed", { pod: `${pod.tenant}/${pod.name}`, error: message });
  }

  /** Counts a failure and schedules the retry; returns failures in a row. */
  #fail(podId: string): number {
    const previous = this.#backoff.get(podId);
    previous?.cancel?.();
    const failures = (previous?.failures ?? 0) + 1;
    const delay = Math.min(
      this.#options.backoffBaseMs * 2 ** (failures - 1),
      this.#options.backoffMaxMs,
    );
    const entry: Backoff = { failures, notBefore: this.#deps.now() + delay };
    entry.cancel = this.#deps.schedule(() => {
      entry.notBefore = 0;
      this.reconcilePod(podId).catch((error) =>
        this.#deps.log.warn("retry failed", { podId, error: errorMessage(error) })
      );
    }, delay);
    this.#backoff.set(podId, entry);
    return failures;
  }

  #noteStarted(podId: string): void {
    this.#startedAt.set(podId, this.#deps.now());
    this.#healthySinceStart.delete(podId);
  }

  #forget(podId: string): void {
    this.#healthySinceStart.delete(podId);
    this.resetBackoff(podId);
    this.#rendered.delete(podId);
    this.#startedAt.delete(podId);
    this.#crashed.delete(podId);
  }

  async #event(pod: PodRecord, type: NewPodEvent["type"], reason: string, message: string) {
    await this.#deps.store.events.append({
      tenant: pod.tenant,
      podId: pod.id,
      podName: pod.name,
      type,
      reason,
      message,
    });
  }
}

function groupByPod(observed: ObservedContainer[]): Map<string, ObservedContainer[]> {
  const map = new Map<string, ObservedContainer[]>();
  for (const c of observed) map.set(c.podId, [...(map.get(c.podId) ?? []), c]);
  return map;
}

function stateOf(pod: PodRecord): PodState {
  return {
    id: pod.id,
    tenant: pod.tenant,
    name: pod.name,
    generation: pod.generation,
    desiredState: pod.spec.desiredState,
    phase: pod.status.phase,
    containerId: pod.status.containerId,
    hostPort: pod.hostPort,
    adapter: pod.spec.adapter,
    filesHash: pod.status.filesHash,
  };
}

function describe(action: Action, pods: Map<string, PodState>): PlannedAction {
  if (action.kind === "remove-orphan") {
    return { kind: action.kind, pod: action.name, reason: action.reason };
  }
  const pod = pods.get(action.podId);
  return {
    kind: action.kind,
    pod: pod ? `${pod.tenant}/${pod.name}` : action.podId,
    reason: action.reason,
  };
}
