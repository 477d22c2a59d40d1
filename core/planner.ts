/**
 * The reconcile planner: `planReconcile(desired, observed, now)` compares what the store
 * wants with the containers Docker reports and returns the actions that close the gap;
 * `planPod` does it for one pod. Pure and level-triggered: the same state gives the same
 * plan, whatever woke us. A pod whose config cannot be rendered keeps its container as
 * it is (`hold`): only containers whose pod row is gone are orphans. A failed pod (a
 * crash loop) is left stopped until its spec changes. Duplicates go only once the kept
 * container is alive: until then an extra may be a recreate's rollback handle.
 * @module
 */
import { isRollbackHandle } from "./naming.ts";

/** A pod as the planner needs it. */
export interface DesiredPod {
  /** Pod uuid. */
  id: string;
  /** `<tenant>/<pod>`, for messages. */
  ref: string;
  /** Desired state. */
  desiredState: "running" | "stopped" | "deleted";
  /** Hash of the container the pod needs now. */
  specHash: string;
  /** Hash of the config files the pod needs now; undefined when not known yet. */
  filesHash?: string;
  /** Hash of the files last written into its volume ('' unknown). */
  writtenFilesHash?: string;
  /** Why its config cannot be rendered now; its container is then left as it is. */
  renderError?: string;
  /** A `pod restart` not carried out yet. */
  restartPending?: boolean;
  /** Declared failed (a crash loop) at its current generation: left stopped. */
  failed?: boolean;
}

/** Container states as the engine reports them. */
export type ContainerState =
  | "created"
  | "running"
  | "paused"
  | "restarting"
  | "removing"
  | "exited"
  | "dead";

/** A container labelled as ours, as observed. */
export interface ObservedContainer {
  /** Container id. */
  id: string;
  /** Container name without the leading slash. */
  name: string;
  /** Value of the pod label. */
  podId: string;
  /** Value of the spec-hash label. */
  specHash: string;
  /** Engine state. */
  state: ContainerState;
  /** Creation time, ms since the epoch. */
  createdAt: number;
  /** Adopted, not made by AgentPod: never removed as an orphan. */
  adopted?: boolean;
}

/** One step of a plan. */
export type Action =
  | { kind: "create"; podId: string; reason: string }
  | { kind: "start"; podId: string; containerId: string; reason: string }
  | { kind: "stop"; podId: string; containerId: string; reason: string }
  | { kind: "recreate"; podId: string; containerId: string; reason: string }
  | { kind: "restart"; podId: string; containerId: string; reason: string }
  | { kind: "hold"; podId: string; reason: string; retry: boolean }
  | { kind: "write-files"; podId: string; containerId: string; reason: string }
  | { kind: "remove"; podId: string; containerId: string; reason: string }
  | { kind: "finalize"; podId: string; reason: string }
  | { kind: "remove-orphan"; containerId: string; name: string; reason: string };

/** Planner settings. */
export interface PlanOptions {
  /** An unowned container of ours is removed once it is older than this (ms). */
  orphanGraceMs: number;
}

const ALIVE: ReadonlySet<ContainerState> = new Set(["running", "restarting", "removing"]);

/** Computes the actions that bring the observed containers to the desired state. */
export function planReconcile(
  desired: readonly DesiredPod[],
  observed: readonly ObservedContainer[],
  now: number,
  options: PlanOptions,
): Action[] {
  const byPod = new Map<string, ObservedContainer[]>();
  for (const container of observed) {
    const list = byPod.get(container.podId);
    if (list) list.push(container);
    else byPod.set(container.podId, [container]);
  }
  const actions: Action[] = [];
  for (const pod of desired) {
    const containers = byPod.get(pod.id) ?? [];
    byPod.delete(pod.id);
    actions.push(...planPod(pod, containers));
  }
  for (const containers of byPod.values()) {
    for (const c of containers) {
      // A container AgentPod adopted stays the user's once its pod is gone (released).
      if (!c.adopted && now - c.createdAt >= options.orphanGraceMs) {
        actions.push({
          kind: "remove-orphan",
          containerId: c.id,
          name: c.name,
          reason: `Container "${c.name}" belongs to no pod`,
        });
      }
    }
  }
  return actions;
}

/**
 * The actions for one pod and its containers. An upgrade's rollback handle (the old
 * container, kept stopped) is the rollout's to keep or collect: left alone unless the
 * pod is deleted.
 */
export function planPod(pod: DesiredPod, all: readonly ObservedContainer[]): Action[] {
  const containers = pod.desiredState === "deleted" ? all : all.filter((c) => !isRollbackHandle(c));
  if (pod.desiredState === "deleted") {
    if (containers.length === 0) {
      return [{ kind: "finalize", podId: pod.id, reason: `Pod "${pod.ref}" was deleted` }];
    }
    // Removal, then the volume and the row, in one go (a failed removal stops there).
    return [
      ...containers.map((c) => ({
        kind: "remove" as const,
        podId: pod.id,
        containerId: c.id,
        reason: `Pod "${pod.ref}" was deleted`,
      })),
      { kind: "finalize", podId: pod.id, reason: `Pod "${pod.ref}" was deleted` },
    ];
  }
  // Keep one container: the live one with the current spec if any, else the newest.
  const ranked = rankContainers(containers, pod.specHash);
  const [keep, ...extra] = ranked;
  const actions: Action[] = keep && ALIVE.has(keep.state) && keep.specHash === pod.specHash
    ? extra.map((c) => ({
      kind: "remove" as const,
      podId: pod.id,
      containerId: c.id,
      reason: `Pod "${pod.ref}" has a duplicate container "${c.name}"`,
    }))
    : [];
  const stopAlive = (reason: string) => {
    for (const c of ranked) {
      if (ALIVE.has(c.state)) {
        actions.push({ kind: "stop", podId: pod.id, containerId: c.id, reason });
      }
    }
  };
  if (pod.desiredState === "stopped") {
    stopAlive("Pod should be stopped");
    return actions;
  }
  if (pod.failed) {
    stopAlive("Pod failed (crash loop): its container is left stopped");
    actions.push({
      kind: "hold",
      podId: pod.id,
      reason: "Pod failed: restart it, change its config or upgrade it to try again",
      retry: false,
    });
    return actions;
  }
  if (pod.renderError !== undefined) {
    // Never let a config that stopped rendering take a running agent down.
    return [{
      kind: "hold",
      podId: pod.id,
      reason: `Config cannot be rendered, the container is kept as it is: ${pod.renderError}`,
      retry: true, // with backoff, until the config renders again
    }];
  }
  if (!keep) {
    actions.push({ kind: "create", podId: pod.id, reason: `Pod "${pod.ref}" has no container` });
  } else if (keep.specHash !== pod.specHash) {
    actions.push({
      kind: "recreate",
      podId: pod.id,
      containerId: keep.id,
      reason: `Container spec changed (${keep.specHash} → ${pod.specHash})`,
    });
  } else {
    // Same container spec: the config files may still be out of date (a hot-reloadable
    // change, a failed earlier write, files rendered by an older AgentPod).
    if (pod.filesHash !== undefined && pod.filesHash !== pod.writtenFilesHash) {
      actions.push({
        kind: "write-files",
        podId: pod.id,
        containerId: keep.id,
        reason: pod.writtenFilesHash
          ? `Config files changed (${pod.writtenFilesHash} → ${pod.filesHash})`
          : "Config files were never recorded as written",
      });
    }
    if (!ALIVE.has(keep.state)) {
      actions.push({
        kind: "start",
        podId: pod.id,
        containerId: keep.id,
        reason: `Container is ${keep.state}`,
      });
    } else if (pod.restartPending) {
      actions.push({
        kind: "restart",
        podId: pod.id,
        containerId: keep.id,
        reason: "Restart requested",
      });
    }
  }
  return actions;
}

/**
 * A pod's containers, the one to keep first: alive before dead, the current spec before an
 * old one, newer before older.
 */
export function rankContainers<C extends ObservedContainer>(
  containers: readonly C[],
  specHash: string,
): C[] {
  const rank = (c: C) => (ALIVE.has(c.state) ? 2 : 0) + (c.specHash === specHash ? 1 : 0);
  return [...containers].sort((a, b) => rank(b) - rank(a) || b.createdAt - a.createdAt);
}
