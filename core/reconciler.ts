/**
 * The controller, shaped like a controller-runtime controller. Every trigger (the timer
 * pass, a Docker event, an API write, a health verdict, a backoff expiry, a follower's
 * notice) only adds a pod id to one work queue; `reconcile(podId)` then reads fresh
 * desired and observed state (the container's RestartCount, StartedAt, FinishedAt, OOM
 * flag), plans with the pure planner, applies the actions and writes status once.
 * Decisions depend on state, never on which event woke it. Only the leader acts: a
 * follower's queue does nothing. I/O only through the injected store and runtime; time
 * only through the injected clock and scheduler.
 * @module
 */
import type { AgentAdapter, ConfigChangeEffect } from "./adapter.ts";
import { assessCrashes, type CrashAssessment } from "./crash_loop.ts";
import { RESTART_LOOP_CRASHES, RESTART_LOOP_WINDOW_MS } from "./alerts.ts";
import { errorMessage, UnavailableError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { isRollbackHandle, tenantNetworkName } from "./naming.ts";
import { ADOPTED_SPEC_HASH, type AdoptedContainers } from "./adopted.ts";
import {
  type Action,
  type DesiredPod,
  type ObservedContainer,
  planPod,
  planReconcile,
  rankContainers,
} from "./planner.ts";
import { type ActionOutcome, executeAction } from "./reconcile_actions.ts";
import { failureMessage, type HealthVerdict, nextStatus } from "./pod_status.ts";
import type { PodPhase } from "./pod.ts";
import { type RenderedPodRequest, renderPodRequest, type RoutingSettings } from "./render.ts";
import type { ContainerRunState, ContainerRuntime, RuntimeEvent } from "./runtime.ts";
import type { PodSecrets, SecretBox } from "./secrets.ts";
import type { NewPodEvent, PodRecord, PodState, Store } from "./store.ts";
import { type RunResult, WorkQueue } from "./work_queue.ts";

/** How long a container stopped by someone else's SIGTERM waits before it is started. */
const STOP_SETTLE_MS = 2_000;
/** How long Docker's restart policy gets to restart a process that exited by itself. */
const POLICY_GRACE_MS = 1_500;
/** How often a follower looks whether the leader has removed the pods it asked about. */
const FOLLOWER_POLL_MS = 250;
/** Queue keys of tenants (their networks) start with this; pod ids are UUIDs. */
const TENANT_KEY = "tenant:";

/** Tuning of the reconciler. */
export interface ReconcilerOptions {
  /** A container of ours that belongs to no pod is removed after this long. */
  orphanGraceMs: number;
  /** Pods reconciled at once. */
  concurrency: number;
  /** Seconds a container gets to stop before it is killed. */
  stopTimeoutSeconds: number;
  /** First retry delay after a failed reconcile; doubles per failure. */
  backoffBaseMs: number;
  /** Longest retry delay. */
  backoffMaxMs: number;
  /** Quick exits in a row before a pod is declared failed (a crash loop). */
  maxRecoveryFailures: number;
  /** An exit this soon after its start is a failed recovery. */
  crashWindowMs: number;
}

/** Defaults that meet the product's bars (back within 30 s, alert after 3 failures). */
export const DEFAULT_RECONCILER_OPTIONS: ReconcilerOptions = {
  orphanGraceMs: 60_000,
  concurrency: 4,
  stopTimeoutSeconds: 10,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  maxRecoveryFailures: 3,
  crashWindowMs: 60_000,
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
  /** Whether this process may act on the engine now (holds the leader lease). */
  isLeader?(): boolean;
  /** A number in [0, 1) for backoff jitter. */
  random?(): number;
  /** On a follower, instead of acting: tell the leader to queue `key` (a pod id, or a tenant's). */
  onFollowerEnqueue?(key: string): void;
  /**
   * A running pod needs a new container only because this AgentPod renders its spec
   * differently: resolves true when a rollout takes it (then its container is kept).
   */
  onRespec?(podId: string): Promise<boolean>;
  /** Called after a pod's status or events changed (live views, health kicks). */
  onPodChanged?(podId: string, change: "status" | "started" | "deleted"): void;
  /** Told how long each pod's reconcile took (seconds; metrics). */
  observeReconcile?(seconds: number): void;
  /** Containers adopted by pods (shared with the runtime); kept in step with the rows. */
  adopted?: AdoptedContainers;
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

/** Reconciles pods with containers through one work queue. */
export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #options: ReconcilerOptions;
  readonly #queue: WorkQueue<string>;
  /** Renders by pod, with the generation and tenant gateway they were made for. */
  readonly #rendered = new Map<
    string,
    { generation: number; gateway: string | undefined; result: RenderedPodRequest }
  >();
  /** Gateways of tenant networks (by tenant) seen by this process. */
  readonly #gateways = new Map<string, string>();
  /** Latest health verdict by pod, and whether it asks for a restart. */
  readonly #health = new Map<string, HealthVerdict & { restart?: string }>();
  /** Recent crash times per pod, and when a restart loop was last reported. */
  readonly #crashTimes = new Map<string, { times: number[]; reportedAt: number }>();
  /** The latest exit an engine event reported by pod (its code is gone after a restart). */
  readonly #lastExit = new Map<
    string,
    {
      exitCode?: number;
      oom: boolean;
      oomPending: boolean;
      killedAt?: number;
      stopAskedAt?: number;
      /** The last exit: asked with SIGTERM, killed, or the process ended by itself. */
      exit?: { at: number; how: "stopped" | "killed" | "by-itself" };
    }
  >();
  /** Pods to delete without a graceful stop. */
  readonly #force = new Set<string>();
  /**
   * What the engine last showed of each pod's containers, by pod id (an informer's cache,
   * as in controller-runtime): a full list fills it, and every reconcile refreshes its
   * pod's entry. Engine events wake those reconciles, so the view follows the engine
   * between full lists; the timer's cached pass plans from it.
   */
  readonly #seen = new Map<string, ObservedContainer[]>();
  /** When (in `#seenVersion` steps) each pod's entry was last written by a reconcile. */
  readonly #seenAt = new Map<string, number>();
  #seenVersion = 0;
  /** Whether a full list has filled `#seen` yet. */
  #seenComplete = false;

  constructor(deps: ReconcilerDeps, options: Partial<ReconcilerOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_RECONCILER_OPTIONS, ...options };
    this.#queue = new WorkQueue<string>({
      run: (key) =>
        key.startsWith(TENANT_KEY)
          ? this.#reconcileTenant(key.slice(TENANT_KEY.length))
          : this.#timed(key),
      schedule: deps.schedule,
      random: deps.random ?? Math.random,
      onError: (podId, error, failures) =>
        deps.log.warn("reconcile failed", { podId, failures, error: errorMessage(error) }),
    }, {
      concurrency: this.#options.concurrency,
      baseDelayMs: this.#options.backoffBaseMs,
      maxDelayMs: this.#options.backoffMaxMs,
      jitter: 0.2,
    });
  }

  /**
   * Queues a pod. `urgent` is a user's intent (create, delete, stop, start, restart, a
   * config change): it skips a pending backoff. Resolves when a reconcile of the pod
   * that started after this call has ended; its outcome is in the pod's status.
   */
  enqueue(podId: string, options: { urgent?: boolean } = {}): Promise<void> {
    if (!this.#leading()) {
      this.#deps.onFollowerEnqueue?.(podId);
      return Promise.resolve();
    }
    return this.#queue.add(podId, options);
  }

  /**
   * Reconciles pods marked deleted until their rows are gone (removal, then
   * finalization), skipping any backoff: a few rounds on the leader; a follower tells
   * the leader and watches the rows go, for at most `timeoutMs`. Resolves either way:
   * the caller reads what is left.
   */
  async removePods(podIds: string[], timeoutMs = 60_000): Promise<void> {
    const left = async () =>
      (await Promise.all(podIds.map((id) => this.#deps.store.pods.getById(id))))
        .filter((p): p is PodRecord => p !== undefined);
    if (this.#leading()) {
      for (let round = 0; round < 3; round++) {
        const remaining = await left();
        if (remaining.length === 0) return;
        await Promise.all(remaining.map((p) => this.reconcilePod(p.id)));
      }
      return;
    }
    for (const id of podIds) void this.enqueue(id, { urgent: true });
    const deadline = this.#deps.now() + timeoutMs;
    while ((await left()).length > 0 && this.#deps.now() < deadline) {
      await new Promise<void>((resolve) => this.#deps.schedule(resolve, FOLLOWER_POLL_MS));
    }
  }

  /**
   * A tenant row was deleted: its network goes (on the leader, through the queue; a
   * follower tells the leader). Resolves when the leader's attempt has ended.
   */
  tenantDeleted(tenant: string): Promise<void> {
    return this.enqueue(`${TENANT_KEY}${tenant}`, { urgent: true });
  }

  /**
   * Checks an image before a spec that names it is stored: the leader makes sure it is
   * on the host (pulling it where a registry has it), a follower, which never changes
   * the engine, only asks whether it is there or pullable (the leader pulls on create).
   */
  async prepareImage(image: string): Promise<void> {
    if (this.#leading()) await this.#deps.runtime.ensureImage(image);
    else await this.#deps.runtime.checkImage(image);
  }

  /**
   * The container request for a pod (its tenant network's gateway learnt first): what an
   * upgrade creates, so the reconciler finds it current afterwards. `what-if` renders a
   * spec not stored (nothing cached).
   */
  async renderPod(
    pod: PodRecord,
    mode: "stored" | "what-if" = "stored",
  ): Promise<RenderedPodRequest> {
    await this.#learnGateway(pod.tenant);
    return await this.#render(pod, mode === "stored");
  }

  /** Queues a pod as a user's intent and waits for its reconcile. */
  reconcilePod(podId: string): Promise<void> {
    return this.enqueue(podId, { urgent: true });
  }

  /** Marks a pod to be deleted without a graceful stop of its container. */
  forceDelete(podId: string): void {
    this.#force.add(podId);
  }

  /** Resolves when no reconcile is queued or running. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** Stops taking work (shutdown). */
  stop(): void {
    this.#queue.stop();
  }

  /**
   * Plans a pass over every pod from one light query and one engine call; unless
   * `dryRun`, queues each pod that needs an action (or whose status disagrees with its
   * container) and, when `wait`, waits for those reconciles. Pods that cannot render keep
   * their containers (planned as `hold`); only containers of no pod are orphans.
   *
   * `cached` is the pass the timer makes between full ones: it plans from what the
   * engine last showed (see `#seen`) and makes no engine call at all (the engine's list
   * costs it ~0.1–0.4 ms per container, seconds at 10,000); until a full list has filled
   * that view, it lists like a full pass. Orphans are removed only by full passes.
   */
  async reconcileAll(
    options: { dryRun?: boolean; wait?: boolean; cached?: boolean } = {},
  ): Promise<PlannedAction[]> {
    const light = options.cached === true && this.#seenComplete;
    const since = this.#seenVersion;
    const readAt = this.#deps.adopted?.version();
    const [states, observed] = await Promise.all([
      this.#deps.store.pods.listStates(),
      light
        ? Promise.resolve([...this.#seen.values()].flat())
        : this.#deps.runtime.listPodContainers(),
    ]);
    // The rows are the truth of who adopted what; a container adopted by another process
    // since the last pass is listed from the next one on (its own reconcile sees it now).
    const adopted = new Map(
      states.flatMap((s) => s.adoptedContainerId ? [[s.adoptedContainerId, s.id] as const] : []),
    );
    const leased = new Set(states.filter((s) => s.operationId !== null).map((s) => s.id));
    // A rollout may still need the container an adopted pod is moving away from.
    for (const c of observed) if (c.adopted && leased.has(c.podId)) adopted.set(c.id, c.podId);
    this.#deps.adopted?.replaceAll(adopted, readAt);
    const visible = observed.filter((c) => !c.adopted || adopted.has(c.id));
    if (!light) this.#seeAll(visible, since);
    if (!options.dryRun && this.#leading()) await this.#learnGateways(states, visible);
    const stale = states.filter((s) => s.desiredState === "running" && !this.#isFresh(s));
    const records = new Map(
      (await this.#deps.store.pods.getMany(stale.map((s) => s.id))).map((p) => [p.id, p]),
    );
    const desired: DesiredPod[] = [];
    const untouched = new Set<string>();
    for (const state of states) {
      const record = records.get(state.id);
      if (state.desiredState === "running" && !record && !this.#isFresh(state)) {
        untouched.add(state.id); // deleted between the two reads: not an orphan yet
        continue;
      }
      if (state.operationId !== null) {
        untouched.add(state.id); // a rollout owns it (its containers are no orphans)
        continue;
      }
      desired.push(await this.#desired(state, record));
    }
    const actions = planReconcile(
      desired,
      visible.filter((c) => !untouched.has(c.podId)),
      this.#deps.now(),
      { orphanGraceMs: light ? Infinity : this.#options.orphanGraceMs },
    );
    const byId = new Map(states.map((s) => [s.id, s]));
    const planned = actions.map((a) => describe(a, byId));
    if (options.dryRun) return planned;
    const keys = new Set<string>();
    for (const action of actions) {
      if (action.kind === "hold" && !action.retry) continue;
      keys.add("podId" in action ? action.podId : orphanPodId(action, visible));
    }
    const byPod = Map.groupBy(visible, (c) => c.podId);
    for (const state of states) {
      if (state.operationId !== null) continue;
      if (statusDisagrees(state, byPod.get(state.id) ?? [])) keys.add(state.id);
    }
    const runs = [...keys].map((id) => this.enqueue(id, { urgent: options.wait === true }));
    if (options.wait) await Promise.all(runs);
    return planned;
  }

  /**
   * Applies a stored config change the way its adapter asks. Every effect but `none` is
   * an ordinary reconcile (the files' or container's hash changed); `restart` has also
   * asked for a restart in the spec (see the service).
   */
  async applyConfig(podId: string, _effect: ConfigChangeEffect): Promise<void> {
    await this.reconcilePod(podId);
  }

  /**
   * Engine events only wake the pod; what happened is read from the engine. They add
   * what the engine forgets: the exit code (cleared by a restart), the OOM kill, and
   * whether the exit was asked for with SIGTERM (a `docker stop`, or dockerd stopping
   * every container on its way down) rather than a kill.
   */
  handleEvent(event: RuntimeEvent): void {
    const previous = this.#lastExit.get(event.podId);
    if (event.action === "kill") {
      const term = event.signal === "15" || event.signal === "SIGTERM";
      this.#lastExit.set(event.podId, {
        oom: false,
        oomPending: false,
        ...previous,
        killedAt: event.time,
        ...(term ? { stopAskedAt: event.time } : {}),
      });
    }
    if (event.action === "die" || event.action === "oom") {
      const recent = (at: number | undefined) => at !== undefined && event.time - at < 60_000;
      // Docker sends `oom` just before the `die` of the same exit.
      this.#lastExit.set(event.podId, {
        exitCode: event.exitCode ?? previous?.exitCode,
        oom: event.action === "oom" || (event.action === "die" && previous?.oomPending === true),
        oomPending: event.action === "oom",
        ...(event.action === "oom" && previous?.killedAt ? { killedAt: previous.killedAt } : {}),
        exit: {
          at: event.time,
          how: recent(previous?.stopAskedAt)
            ? "stopped"
            : recent(previous?.killedAt)
            ? "killed"
            : "by-itself",
        },
      });
    }
    void this.enqueue(event.podId);
  }

  /**
   * After the event stream (re)connects, and at start: events may have been missed, and
   * only an inspect shows a crash Docker healed by itself, so every pod is queued (as a
   * user's intent would be: an engine that was away is no reason to wait out a backoff),
   * and so is every tenant network whose tenant is gone.
   */
  async resync(): Promise<void> {
    const since = this.#seenVersion;
    const [states, observed] = await Promise.all([
      this.#deps.store.pods.listStates(),
      this.#deps.runtime.listPodContainers(),
    ]);
    this.#seeAll(observed, since);
    const ids = new Set([...states.map((s) => s.id), ...observed.map((c) => c.podId)]);
    // A tenant deleted while no leader listened (or whose removal failed) left its network.
    for (const tenant of await this.#networksWithoutTenant()) ids.add(`${TENANT_KEY}${tenant}`);
    await Promise.all([...ids].map((id) => this.enqueue(id, { urgent: true })));
  }

  /**
   * A health verdict: kept for the next status write, and the pod queued when it
   * changes what the status says or asks for a restart (`restart` is the reason).
   */
  reportHealth(podId: string, verdict: HealthVerdict & { restart?: string }): void {
    const previous = this.#health.get(podId);
    this.#health.set(podId, verdict);
    if (
      verdict.restart || previous?.status !== verdict.status ||
      previous?.message !== verdict.message
    ) {
      void this.enqueue(podId);
    }
  }

  /** The planner's view of a pod: its hash from the render cache, or rendered now. */
  async #desired(state: PodState, pod: PodRecord | undefined): Promise<DesiredPod> {
    const ref = `${state.tenant}/${state.name}`;
    const base = {
      id: state.id,
      ref,
      desiredState: state.desiredState,
      restartPending: state.restartRequested > state.restartObserved,
      failed: state.failedGeneration !== null && state.failedGeneration === state.generation,
    };
    if (state.desiredState !== "running") return { ...base, specHash: "" };
    try {
      const rendered = this.#isFresh(state)
        ? this.#rendered.get(state.id)!.result
        : await this.#render(pod!);
      return {
        ...base,
        specHash: rendered.request.specHash,
        // Files trust the tenant gateway: until it is known their hash is not either.
        // An adopted container keeps the files it has: AgentPod writes none into it.
        filesHash: this.#gateways.has(state.tenant) && !state.adoptedContainerId
          ? rendered.filesHash
          : undefined,
        writtenFilesHash: state.filesHash,
      };
    } catch (error) {
      return { ...base, specHash: "", renderError: errorMessage(error) };
    }
  }

  /** Whether the cached render is for this generation and the tenant's known gateway. */
  #isFresh(state: PodState): boolean {
    const cached = this.#rendered.get(state.id);
    return cached !== undefined && cached.generation === state.generation &&
      cached.gateway === this.#gateways.get(state.tenant);
  }

  /** Learns the gateways of tenants with running pods (once per tenant per process). */
  async #learnGateways(states: PodState[], observed: ObservedContainer[]): Promise<void> {
    const withContainer = new Set(observed.map((c) => c.podId));
    const tenants = new Set(
      states.filter((s) =>
        s.desiredState === "running" && withContainer.has(s.id) && !this.#gateways.has(s.tenant)
      ).map((s) => s.tenant),
    );
    for (const tenant of tenants) {
      try {
        await this.#learnGateway(tenant);
      } catch (error) {
        this.#deps.log.warn("tenant network unavailable", { tenant, error: errorMessage(error) });
      }
    }
  }

  async #learnGateway(tenant: string): Promise<void> {
    if (this.#gateways.has(tenant)) return;
    const network = await this.#deps.runtime.ensureNetwork(tenantNetworkName(tenant), tenant);
    this.#gateways.set(tenant, network.gateway);
  }

  /** Renders a pod; cached per generation and tenant gateway (an idle pass decrypts nothing). */
  async #render(pod: PodRecord, cache = true): Promise<RenderedPodRequest> {
    const gateway = this.#gateways.get(pod.tenant);
    const cached = this.#rendered.get(pod.id);
    if (cache && cached && cached.generation === pod.generation && cached.gateway === gateway) {
      return cached.result;
    }
    const secrets = pod.secrets
      ? await this.#deps.secrets.open<PodSecrets>(pod.secrets)
      : { token: "", values: {} };
    const made = renderPodRequest(
      pod,
      this.#deps.adapterById(pod.spec.adapter),
      secrets,
      this.#deps.routing,
      gateway ?? null,
    );
    // An adopted pod runs the container it was adopted with, as it is: its spec is
    // whatever that container has (an explicit upgrade moves it to one AgentPod makes).
    const result = pod.adoption?.active
      ? { ...made, request: { ...made.request, specHash: ADOPTED_SPEC_HASH, files: [] } }
      : made;
    if (cache) this.#rendered.set(pod.id, { generation: pod.generation, gateway, result });
    return result;
  }

  #leading(): boolean {
    return this.#deps.isLeader?.() ?? true;
  }

  /**
   * One reconcile of one pod: observe, count crashes, plan, act, write status. Throws
   * (so the queue backs off) when an action failed or the config does not render.
   */
  async #reconcile(podId: string): Promise<RunResult | void> {
    if (!this.#leading()) return; // fenced: a follower never touches the engine
    const { store, runtime } = this.#deps;
    const [pod, firstList] = await Promise.all([
      store.pods.getById(podId),
      runtime.listPodContainers(podId),
    ]);
    let listed = firstList;
    if (!pod) return this.#see(podId, await this.#removeOrphans(listed));
    const adopted = pod.adoption?.active ? pod.adoption.containerId : undefined;
    if (adopted && !listed.some((c) => c.id === adopted)) {
      // Adopted just now, or through another process: the runtime lists it from now on.
      this.#deps.adopted?.set(adopted, podId);
      listed = await runtime.listPodContainers(podId);
    }
    // A container adopted before an upgrade moved the pod to one AgentPod made is the
    // user's again (left stopped as it was): not the pod's, not to be removed.
    for (const c of listed) {
      if (c.adopted && c.id !== adopted) this.#deps.adopted?.delete(c.id);
    }
    listed = listed.filter((c) => !c.adopted || c.id === adopted || pod.operationId !== null);
    const observed = (await Promise.all(listed.map((c) => runtime.inspectPodContainer(c.id))))
      .filter((c): c is ContainerRunState => c !== undefined);
    this.#see(podId, observed);
    if (pod.operationId !== null) return; // a rollout owns it until it gives it back
    const desiredState = pod.spec.desiredState;

    let renderError: string | undefined;
    let rendered: RenderedPodRequest | undefined;
    if (desiredState === "running") {
      try {
        await this.#learnGateway(pod.tenant);
        rendered = await this.#render(pod);
      } catch (error) {
        if (error instanceof UnavailableError) throw error;
        renderError = errorMessage(error);
      }
    }

    // Crashes of the container recorded last time, whoever restarted it.
    // An upgrade's rollback handle (the old container, stopped on purpose) is no crash.
    const own = observed.filter((c) => !isRollbackHandle(c));
    const current = own.find((c) => c.id === pod.status.run.containerId) ??
      own.find((c) => c.id === pod.status.containerId);
    const verdict = this.#health.get(pod.id);
    const healthyAt = verdict?.status === "True" ? verdict.at : undefined;
    const windowMs = this.#options.crashWindowMs;
    const crashes: CrashAssessment = desiredState === "running"
      ? this.#withExitHint(pod.id, assessCrashes(pod.status.run, current, { windowMs, healthyAt }))
      : { ...assessCrashes(pod.status.run, undefined, { windowMs }), recoveryFailures: 0 };
    const clearedByUser = pod.status.failedGeneration !== null &&
      pod.status.failedGeneration !== pod.generation;
    if (clearedByUser) crashes.recoveryFailures = 0;
    const failedBefore = pod.status.failedGeneration === pod.generation;
    const failsNow = desiredState === "running" && !failedBefore &&
      crashes.recoveryFailures >= this.#options.maxRecoveryFailures;
    const failed = desiredState === "running" && (failedBefore || failsNow);

    const desired: DesiredPod = {
      id: pod.id,
      ref: `${pod.tenant}/${pod.name}`,
      desiredState,
      specHash: rendered?.request.specHash ?? "",
      filesHash: rendered && this.#gateways.has(pod.tenant) && !pod.adoption?.active
        ? rendered.filesHash
        : undefined,
      writtenFilesHash: pod.status.filesHash,
      renderError,
      restartPending: pod.spec.restartRequested > pod.status.restartObserved,
      failed,
    };
    let actions = planPod(desired, observed);
    if (adopted && !observed.some((c) => c.id === adopted)) {
      // The adopted container is gone: its state was in it or in the user's volume, so a
      // new container here would start empty. Nothing is made until a user decides.
      actions = actions.filter((a) => a.kind !== "create");
      renderError ??= `The adopted container ${adopted.slice(0, 12)} is gone: ` +
        "its state went with it or stays in its owner's volume; release the pod";
    }
    // The same generation, seen converged before, yet another container spec: this
    // AgentPod renders it differently (it was upgraded). Not the whole fleet at once:
    // the change goes through a rollout, one pod at a time, gated.
    const recreate = actions.find((a) => a.kind === "recreate");
    if (
      recreate && this.#deps.onRespec && pod.status.observedGeneration === pod.generation &&
      current?.state === "running" && (await this.#deps.onRespec(pod.id))
    ) {
      actions = actions.filter((a) => a !== recreate);
    }
    // Who stopped the container decides when AgentPod starts it. A process that ended by
    // itself is Docker's to restart (its policy does, within a moment; the container may
    // read `exited` until then): starting it too would start it twice. One stopped with
    // SIGTERM by someone else (`docker stop`, or dockerd stopping every container on its
    // way down) waits a little: a start that races an engine shutdown leaves it
    // unstartable. A kill (SIGKILL) is started at once. No event seen: at once.
    const exit = this.#lastExit.get(pod.id)?.exit;
    if (exit && actions.some((a) => a.kind === "start")) {
      const wait = exit.how === "stopped"
        ? STOP_SETTLE_MS
        : exit.how === "by-itself"
        ? POLICY_GRACE_MS
        : 0;
      const left = wait - (this.#deps.now() - exit.at);
      if (left > 0) return { requeueAfterMs: left };
    }
    const restart = verdict?.restart;
    if (restart && !failed && desiredState === "running" && current?.state === "running") {
      if (!actions.some((a) => a.kind !== "hold")) {
        actions.push({ kind: "restart", podId, containerId: current.id, reason: restart });
      }
    }

    // Events in the order things happen (a crash before the restart that answers it).
    const event = (type: NewPodEvent["type"], reason: string, message: string) =>
      this.#event(pod, type, reason, message);
    if (crashes.crashes > 0) {
      await event(
        "Warning",
        crashes.oomKilled ? "OOMKilled" : "Crashed",
        crashMessage(crashes, current),
      );
    }
    if (crashes.crashes > 0 && !failsNow) {
      const loop = this.#restartLoop(pod.id, crashes.crashes);
      if (loop) await event("Warning", "RestartLoop", loop);
    }
    if (failsNow) await event("Warning", "RecoveryFailed", failureMessage(crashes));
    if (clearedByUser) {
      await event("Normal", "FailureCleared", "The pod's spec changed: trying again");
    }
    // Long actions show at once in the phase (the full status is written after them).
    const progress = progressPhase(actions);
    if (progress && progress !== pod.status.phase) {
      await store.pods.updateStatus(pod.id, { phase: progress });
      this.#deps.onPodChanged?.(pod.id, "status");
    }

    let outcome: ActionOutcome = {};
    let actionError: string | undefined;
    let thrown: unknown;
    const force = this.#force.has(pod.id);
    for (const action of actions) {
      try {
        if (action.kind === "restart" && restart) {
          this.#health.delete(pod.id);
          await event("Warning", "UnhealthyRestart", restart);
        }
        const result = await executeAction(
          {
            runtime,
            store,
            log: this.#deps.log,
            stopTimeoutSeconds: force ? 0 : this.#options.stopTimeoutSeconds,
            rendered,
            adapter: rendered ? this.#deps.adapterById(pod.spec.adapter) : undefined,
            force,
            recovering: crashes.crashes > 0 || (!current && pod.status.containerId !== null),
            event,
          },
          action,
          pod,
        );
        outcome = { ...outcome, ...result };
      } catch (error) {
        thrown = error;
        actionError = errorMessage(error);
        this.#deps.log.warn("reconcile action failed", {
          action: action.kind,
          pod: `${pod.tenant}/${pod.name}`,
          error: actionError,
        });
        break;
      }
    }
    if (outcome.finalized) {
      this.#forget(pod.id);
      this.#deps.onPodChanged?.(pod.id, "deleted");
      return;
    }
    if (thrown instanceof UnavailableError) throw thrown; // the engine is away: not the pod's fault

    // The container as it is now, after the actions.
    const finalId = outcome.containerId ?? rankContainers(observed, desired.specHash)[0]?.id;
    const container = desiredState === "deleted"
      ? undefined
      : finalId
      ? await runtime.inspectPodContainer(finalId)
      : undefined;
    await this.#seeAfter(podId, actions, observed, container, thrown !== undefined);
    // A new run: verdicts about the previous one no longer hold.
    if (outcome.started || crashes.crashes > 0) this.#health.delete(pod.id);
    const health = this.#health.get(pod.id);
    const recovered = outcome.started && !current && pod.status.containerId !== null &&
      actions.some((a) => a.kind === "create");
    const update = nextStatus({
      pod,
      container,
      crashes,
      failed,
      renderError,
      actionError,
      health: health && container?.startedAt !== null && health.at >= (container?.startedAt ?? 0)
        ? health
        : undefined,
      started: outcome.started === true,
      filesHash: outcome.filesHash,
      recoveries: recovered ? 1 : 0,
      now: this.#deps.now(),
    });
    const ready = update.conditions?.find((c) => c.type === "Ready");
    const wasReady = pod.status.conditions.find((c) => c.type === "Ready");
    if (ready?.reason === "RenderFailed" && wasReady?.reason !== "RenderFailed") {
      await this.#event(pod, "Warning", "RenderFailed", renderError ?? "");
    }
    if (Object.keys(update).length > 0) {
      await store.pods.updateStatus(pod.id, update);
      this.#deps.onPodChanged?.(pod.id, "status");
    }
    if (outcome.started || (crashes.crashes > 0 && container?.state === "running")) {
      this.#deps.onPodChanged?.(pod.id, "started");
    }
    if (thrown) throw thrown;
    if (renderError !== undefined) throw new Error(renderError);
  }

  /** A tenant's network, removed once the tenant row is gone (pods make it on demand). */
  async #reconcileTenant(tenant: string): Promise<void> {
    if (!this.#leading()) return;
    if ((await this.#deps.store.tenants.list()).some((t) => t.id === tenant)) return;
    this.#gateways.delete(tenant);
    await this.#deps.runtime.removeNetwork(tenantNetworkName(tenant));
    this.#deps.log.info("tenant network removed", { tenant });
  }

  /** Tenants whose network is still there though the tenant row is gone. */
  async #networksWithoutTenant(): Promise<string[]> {
    const [networks, tenants] = await Promise.all([
      this.#deps.runtime.listTenantNetworks(),
      this.#deps.store.tenants.list(),
    ]);
    const known = new Set(tenants.map((t) => t.id));
    return networks.map((n) => n.tenant).filter((t) => !known.has(t));
  }

  /** Containers of a pod row that is gone: removed once older than the grace period. */
  async #removeOrphans(listed: ObservedContainer[]): Promise<ObservedContainer[]> {
    const now = this.#deps.now();
    const kept: ObservedContainer[] = [];
    for (const c of listed) {
      if (c.adopted) {
        // Released (or its row deleted): the container is the user's again, untouched.
        this.#deps.adopted?.delete(c.id);
      } else if (now - c.createdAt >= this.#options.orphanGraceMs) {
        await this.#deps.runtime.remove(c.id);
        this.#deps.log.info("orphan removed", { container: c.name });
      } else kept.push(c);
    }
    return kept;
  }

  /**
   * The view of a pod after its actions: a start or restart changed only the state of
   * the container inspected after it; anything else (create, remove, a failed action) is
   * listed again.
   */
  async #seeAfter(
    podId: string,
    actions: Action[],
    observed: ObservedContainer[],
    container: ObservedContainer | undefined,
    failed: boolean,
  ): Promise<void> {
    const inPlace = ["start", "stop", "restart", "write-files", "hold"];
    if (!failed && actions.every((a) => inPlace.includes(a.kind))) {
      const others = observed.filter((c) => c.id !== container?.id);
      return this.#see(podId, container ? [...others, container] : others);
    }
    try {
      this.#see(podId, await this.#deps.runtime.listPodContainers(podId));
    } catch {
      this.#see(podId, []); // unknown: the next pass plans for it, and its reconcile looks
    }
  }

  /** Records what the engine shows now of one pod's containers (none: forgotten). */
  #see(podId: string, containers: ObservedContainer[]): void {
    this.#seenVersion++;
    this.#seenAt.set(podId, this.#seenVersion);
    if (containers.length > 0) this.#seen.set(podId, containers);
    else this.#seen.delete(podId);
  }

  /**
   * Replaces the view with a full list begun at version `since`: a pod a reconcile has
   * looked at meanwhile keeps that fresher look.
   */
  #seeAll(listed: ObservedContainer[], since: number): void {
    const byPod = Map.groupBy(listed, (c) => c.podId);
    for (const podId of new Set([...this.#seen.keys(), ...byPod.keys()])) {
      if ((this.#seenAt.get(podId) ?? 0) > since) continue;
      this.#seenAt.delete(podId);
      const containers = byPod.get(podId) ?? [];
      if (containers.length > 0) this.#seen.set(podId, containers);
      else this.#seen.delete(podId);
    }
    this.#seenComplete = true;
  }

  /** Adds what the last `die`/`oom` event said (the engine forgets it on restart). */
  #withExitHint(podId: string, crashes: CrashAssessment): CrashAssessment {
    const hint = this.#lastExit.get(podId);
    if (crashes.crashes === 0 || !hint) return crashes;
    return {
      ...crashes,
      exitCode: crashes.exitCode ?? hint.exitCode ?? null,
      oomKilled: crashes.oomKilled || hint.oom,
    };
  }

  /**
   * Counts `crashes` of a pod: a restart loop (runs long enough not to count as failed
   * recoveries, yet ending again and again) is reported once per window.
   */
  #restartLoop(podId: string, crashes: number): string | undefined {
    const now = this.#deps.now();
    const seen = this.#crashTimes.get(podId) ?? { times: [], reportedAt: -Infinity };
    seen.times = [...seen.times, ...Array(crashes).fill(now)].filter((t) =>
      now - t < RESTART_LOOP_WINDOW_MS
    );
    this.#crashTimes.set(podId, seen);
    if (seen.times.length < RESTART_LOOP_CRASHES) return undefined;
    if (now - seen.reportedAt < RESTART_LOOP_WINDOW_MS) return undefined;
    seen.reportedAt = now;
    return `Crashed ${seen.times.length} times in ${
      Math.round(RESTART_LOOP_WINDOW_MS / 60_000)
    } minutes; it is restarted each time`;
  }

  async #timed(podId: string): Promise<void> {
    const started = performance.now();
    try {
      await this.#reconcile(podId);
    } finally {
      this.#deps.observeReconcile?.((performance.now() - started) / 1000);
    }
  }

  /** Pods waiting in the queue. */
  get queueDepth(): number {
    return this.#queue.size;
  }

  #forget(podId: string): void {
    this.#crashTimes.delete(podId);
    this.#see(podId, []);
    this.#rendered.delete(podId);
    this.#health.delete(podId);
    this.#lastExit.delete(podId);
    this.#force.delete(podId);
    this.#queue.forget(podId);
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

/** The phase to show while `actions` run, if they take a while. */
function progressPhase(actions: Action[]): PodPhase | undefined {
  const kinds = new Set(actions.map((a) => a.kind));
  if (kinds.has("remove") || kinds.has("finalize")) return "deleting";
  if (kinds.has("create") || kinds.has("recreate")) return "creating";
  if (kinds.has("stop")) return "stopping";
  return undefined;
}

function crashMessage(crashes: CrashAssessment, container: ContainerRunState | undefined): string {
  const how = crashes.oomKilled
    ? "was killed for running out of memory"
    : `exited with code ${crashes.exitCode ?? "unknown"}`;
  const times = crashes.crashes > 1 ? ` (${crashes.crashes} times since last seen)` : "";
  const after = container?.state === "running"
    ? "; Docker restarted it"
    : container?.state === "restarting"
    ? "; Docker restarts it"
    : "";
  return `Container ${how}${times}${after}`;
}

/** Whether the stored phase or container id disagrees with the pod's listed containers. */
function statusDisagrees(state: PodState, mine: ObservedContainer[]): boolean {
  if (state.desiredState === "deleted") return false;
  const live = mine.find((c) => c.state === "running");
  if (state.desiredState === "running" && state.phase !== "failed") {
    if (live && (state.phase !== "running" || state.containerId !== live.id)) return true;
    if (!live && state.phase === "running") return true;
    if (mine.some((c) => c.state === "restarting")) return true;
  }
  if (state.desiredState === "stopped") return state.phase !== "stopped" && !live;
  return false;
}

function orphanPodId(action: Action, observed: ObservedContainer[]): string {
  const id = action.kind === "remove-orphan" ? action.containerId : "";
  return observed.find((c) => c.id === id)?.podId ?? id;
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
