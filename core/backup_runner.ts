/**
 * The backup runner: on the leader, carries out backup tasks (rows of `backup_tasks`,
 * requested through `BackupService` on any control plane) and the schedules.
 *
 * A round (`tick`): after a takeover, tasks a previous leader left half done are undone
 * first (a paused agent is thawed, a stopped one started, a half-made restore rolled
 * back, a drill's scratch removed); then the schedules queue what is due; then pending
 * tasks start, at most one per core at a time and one per pod. The work of one task is
 * in `backup_steps.ts`.
 * @module
 */
import type { AgentAdapter, ProbeResult } from "./adapter.ts";
import {
  type ArchiveStore,
  type BackupPolicy,
  type BackupTask,
  policyDue,
  policyFor,
} from "./backup.ts";
import { drill, restore, rollBackRestore, takeBackup } from "./backup_steps.ts";
import { errorMessage } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { RenderedPodRequest } from "./render.ts";
import type { BackupRuntime, ContainerRuntime } from "./runtime.ts";
import type { PodRecord, Store } from "./store.ts";

/** What the runner needs. */
export interface BackupRunnerDeps {
  store: Store;
  runtime: ContainerRuntime & BackupRuntime;
  archives: ArchiveStore;
  adapterById(id: string): AgentAdapter;
  /** Renders a pod as the reconciler would. */
  render(pod: PodRecord): Promise<RenderedPodRequest>;
  /** The adapter's probe of a running pod, through its published port. */
  probe(pod: PodRecord): Promise<ProbeResult>;
  /** Queues a pod for the reconciler (after the lease is given back). */
  enqueue(podId: string): void;
  isLeader(): boolean;
  now(): number;
  sleep(ms: number): Promise<void>;
  log: Logger;
  /** Tasks run at once never exceed the host's cores. */
  cores: number;
  /** Whether a cron expression is valid, and its next time after `after` (ms). */
  nextCron(expression: string, after: number): number | null;
  /** Called after a task's row changed (live views). */
  onChange?(task: BackupTask): void;
}

/** Tuning. */
export interface BackupRunnerOptions {
  /** How long a restored or drilled agent gets to be ready. */
  readyDeadlineMs: number;
  /** How often readiness is looked at. */
  readyIntervalMs: number;
  /** Seconds an agent gets to stop (cold backups, restores). */
  stopTimeoutSeconds: number;
  /** How long an agent's own backup command may take. */
  agentBackupTimeoutMs: number;
}

const DEFAULTS: BackupRunnerOptions = {
  readyDeadlineMs: 180_000, // an OpenClaw gateway starts in 15–30 s, more on a busy host
  readyIntervalMs: 1_000,
  stopTimeoutSeconds: 10,
  agentBackupTimeoutMs: 300_000,
};

/** Runs backup tasks and schedules; `tick` is one round. */
export class BackupRunner {
  readonly #d: BackupRunnerDeps;
  readonly #o: BackupRunnerOptions;
  readonly #running = new Map<string, Promise<void>>();
  #recovered = false;
  #ticking: Promise<void> | undefined;

  constructor(deps: BackupRunnerDeps, options: Partial<BackupRunnerOptions> = {}) {
    this.#d = deps;
    this.#o = { ...DEFAULTS, ...options };
  }

  /** One round; concurrent calls share it. Only the leader works. */
  tick(): Promise<void> {
    if (!this.#d.isLeader()) return Promise.resolve();
    this.#ticking ??= this.#round().finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  /**
   * This process was (again) elected leader: the next round first undoes what another
   * leader may have left half done meanwhile.
   */
  elected(): void {
    this.#recovered = false;
  }

  /** Resolves when no task of this process is under way (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0 || this.#ticking) {
      await Promise.allSettled([...this.#running.values(), this.#ticking]);
    }
  }

  async #round(): Promise<void> {
    if (!this.#recovered) {
      await this.#recover();
      this.#recovered = true;
    }
    await this.#schedule();
    const tasks = await this.#d.store.backupTasks.list({ unfinished: true, limit: 200 });
    const busyPods = new Set(
      tasks.filter((t) => t.state === "running" || this.#running.has(t.id)).map((t) => t.podId),
    );
    for (const task of tasks) {
      if (task.state !== "pending" || this.#running.has(task.id)) continue;
      if (this.#running.size >= Math.max(1, this.#d.cores)) break;
      if (busyPods.has(task.podId)) continue;
      busyPods.add(task.podId);
      const work = this.#run(task).finally(() => this.#running.delete(task.id));
      this.#running.set(task.id, work);
    }
  }

  async #run(task: BackupTask): Promise<void> {
    const ctx = { ...this.#d, options: this.#o, update: this.#update };
    try {
      task = await this.#update(task.id, { state: "running", started: true, message: "Starting" });
      if (task.kind === "backup") await takeBackup(ctx, task);
      else if (task.kind === "restore") await restore(ctx, task);
      else await drill(ctx, task);
    } catch (error) {
      this.#d.log.warn("backup task failed", { task: task.id, error: errorMessage(error) });
      await this.#update(task.id, {
        state: "failed",
        finished: true,
        message: errorMessage(error),
      }).catch(() => {});
    }
  }

  readonly #update = async (
    id: string,
    changes: Parameters<Store["backupTasks"]["update"]>[1],
  ): Promise<BackupTask> => {
    const task = await this.#d.store.backupTasks.update(id, changes);
    this.#d.onChange?.(task);
    return task;
  };

  /** Undoes what a previous leader left half done; removes stray scratch and temp files. */
  async #recover(): Promise<void> {
    const { store, runtime, archives, log } = this.#d;
    await archives.clean();
    const unfinished = await store.backupTasks.list({ unfinished: true, limit: 1000 });
    const live = new Set<string>();
    for (const task of unfinished) {
      // Pending tasks, and those this process is carrying out itself, are alive.
      if (task.state !== "running" || this.#running.has(task.id)) {
        live.add(task.id);
        continue;
      }
      const reason = "The control plane stopped in the middle of it";
      try {
        if (task.kind === "backup") {
          const containerId = task.result.containerId as string | undefined;
          if (containerId && task.step === "paused") await runtime.unpause(containerId);
          if (containerId && task.step === "stopped") await runtime.start(containerId);
          // The limit raised for an agent's own backup goes back to the pod's.
          const memoryMB = task.result.memoryMB as number | undefined;
          if (containerId && task.step === "agent" && memoryMB !== undefined) {
            await runtime.updateLive(containerId, { memoryMB });
          }
          await archives.remove(task.backupId);
          await store.pods.release(task.podId, task.id);
          this.#d.enqueue(task.podId);
        } else if (task.kind === "restore") {
          await rollBackRestore({ ...this.#d, options: this.#o, update: this.#update }, task);
        }
      } catch (error) {
        log.warn("could not undo a backup task", { task: task.id, error: errorMessage(error) });
      }
      await this.#update(task.id, { state: "failed", finished: true, message: reason });
    }
    for (const stray of await runtime.listScratch()) {
      if (live.has(stray.taskId)) continue;
      if (stray.containerId) await runtime.remove(stray.containerId).catch(() => {});
      if (stray.volume) await runtime.removeVolume(stray.volume).catch(() => {});
    }
  }

  /** Queues the backups the schedules say are due. */
  async #schedule(): Promise<void> {
    const { store } = this.#d;
    const policies = await store.backupPolicies.list();
    if (policies.length === 0) return;
    const now = this.#d.now();
    const [states, lastRuns, unfinished] = await Promise.all([
      store.pods.listStates(),
      store.backupTasks.lastScheduled(),
      store.backupTasks.list({ unfinished: true, limit: 1000 }),
    ]);
    const busy = new Set(unfinished.map((t) => t.podId));
    for (const pod of states) {
      if (pod.desiredState !== "running" || busy.has(pod.id)) continue;
      const policy: BackupPolicy | undefined = policyFor(policies, pod);
      if (!policy) continue;
      const last = lastRuns.get(pod.id);
      const due = policyDue(policy, {
        podId: pod.id,
        lastRun: last === undefined ? null : Date.parse(last),
        now,
        nextCron: this.#d.nextCron,
      });
      if (!due) continue;
      await store.backupTasks.create({
        kind: "backup",
        tenant: pod.tenant,
        podId: pod.id,
        pod: pod.name,
        backupId: crypto.randomUUID(),
        options: { origin: "policy", keep: policy.keep, drill: policy.drill },
        actor: null,
      });
    }
  }
}
