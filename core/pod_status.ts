/**
 * The one place a pod's status is computed: from the pod as stored, the container as the
 * engine reports it after this reconcile's actions, the crashes counted, the health
 * verdict and what went wrong. Pure; the reconciler writes the result (only what changed).
 * @module
 */
import type { CrashAssessment, RunRecord } from "./crash_loop.ts";
import { recordRun, recordStart } from "./crash_loop.ts";
import { type Condition, findCondition, type PodPhase, setCondition } from "./pod.ts";
import type { ContainerRunState } from "./runtime.ts";
import type { PodRecord, StatusUpdate } from "./store.ts";

/** What the health monitor last concluded about a pod. */
export interface HealthVerdict {
  /** Condition status: `True` healthy, `False` failing, `Unknown` starting. */
  status: Condition["status"];
  /** `ProbeSucceeded`, `ProbeFailed`, `Starting`. */
  reason: string;
  /** What the probe saw. */
  message: string;
  /** When the probe ran (ms). */
  at: number;
}

/** Everything one reconcile learned, for the status. */
export interface StatusInput {
  pod: PodRecord;
  /** The pod's container after the actions; undefined when it has none. */
  container: ContainerRunState | undefined;
  /** Crashes counted this time. */
  crashes: CrashAssessment;
  /** Whether the pod is (now) declared failed at its generation. */
  failed: boolean;
  /** Why it cannot render, if it cannot. */
  renderError?: string;
  /** The first action that failed, if one did. */
  actionError?: string;
  /** Latest health verdict for the current run, if any. */
  health?: HealthVerdict;
  /** The container was (re)started by this reconcile. */
  started: boolean;
  /** Files written this time. */
  filesHash?: string;
  /** Restarts by the reconciler that were recoveries (a missing container recreated). */
  recoveries: number;
  /** The engine's time now (ms). */
  now: number;
}

/** The status to write: only the fields that differ from the stored ones. */
export function nextStatus(input: StatusInput): StatusUpdate {
  const { pod, container, now } = input;
  const status = pod.status;
  const at = new Date(now);
  const desired = pod.spec.desiredState;
  const state = container?.state;
  let phase: PodPhase;
  if (desired === "deleted") phase = "deleting";
  else if (input.failed) phase = "failed";
  else if (desired === "stopped") {
    phase = state === "running" || state === "restarting" ? "stopping" : "stopped";
  } else if (state === "running") phase = "running";
  else if (state === "restarting" || (state && input.actionError === undefined)) phase = "starting";
  else if (!container) phase = input.actionError || input.renderError ? "pending" : "creating";
  else phase = "starting";

  let conditions = status.conditions;
  const set = (next: Omit<Condition, "lastTransitionTime">) => {
    conditions = setCondition(conditions, next, at);
  };
  // Ready: can it serve? The reason says what stands in the way.
  if (input.renderError !== undefined) {
    set({ type: "Ready", status: "False", reason: "RenderFailed", message: input.renderError });
  } else if (input.failed) {
    set({
      type: "Ready",
      status: "False",
      reason: "CrashLoop",
      message: "The container kept exiting soon after each start",
    });
  } else if (desired !== "running") {
    set({ type: "Ready", status: "False", reason: "Stopped", message: `The pod is ${desired}` });
  } else if (state === "running") {
    const unhealthy = input.health?.status === "False";
    set({
      type: "Ready",
      status: unhealthy ? "False" : "True",
      reason: unhealthy ? "Unhealthy" : "Running",
      message: unhealthy ? input.health!.message : "The container is running",
    });
  } else {
    set({
      type: "Ready",
      status: "False",
      reason: input.actionError ? "ActionFailed" : "NotRunning",
      message: input.actionError ?? `The container is ${state ?? "not created yet"}`,
    });
  }
  // Healthy: the latest probe verdict of a running pod; unknown otherwise.
  if (desired === "running" && state === "running" && input.health && !input.started) {
    const { status: s, reason, message } = input.health;
    set({ type: "Healthy", status: s, reason, message });
  } else if (desired !== "running" || input.failed) {
    set({
      type: "Healthy",
      status: "Unknown",
      reason: "Stopped",
      message: "The pod is not running",
    });
  } else if (input.started || (input.crashes.crashes > 0 && findCondition(status, "Healthy"))) {
    set({
      type: "Healthy",
      status: "Unknown",
      reason: "Starting",
      message: "Started; not probed yet",
    });
  }
  const wasFailed = findCondition(status, "Failed")?.status === "True";
  if (input.failed && !wasFailed) {
    set({
      type: "Failed",
      status: "True",
      reason: "RecoveryFailed",
      message: failureMessage(input.crashes),
    });
  } else if (input.failed) {
    // Declared once: later passes see no new crash and must keep what was said then.
  } else if (findCondition(status, "Failed")?.status === "True") {
    set({
      type: "Failed",
      status: "False",
      reason: "SpecChanged",
      message: "A restart, config change or upgrade cleared the failure",
    });
  }

  const recoveryFailures = input.failed || status.failedGeneration === null ||
      status.failedGeneration === pod.generation
    ? input.crashes.recoveryFailures
    : 0; // cleared by a spec change: count afresh
  const run: RunRecord = input.started && container
    ? recordStart(container, recoveryFailures)
    : recordRun(container, recoveryFailures);
  const lastError = input.actionError ?? input.renderError ?? null;
  const converged = input.actionError === undefined && input.renderError === undefined;
  const next: Required<StatusUpdate> = {
    phase,
    conditions,
    containerId: container?.id ?? (desired === "deleted" ? status.containerId : null),
    restartCount: status.restartCount + input.crashes.crashes + input.recoveries,
    lastError,
    observedGeneration: converged ? pod.generation : status.observedGeneration,
    filesHash: input.filesHash ?? status.filesHash,
    restartObserved: input.started || (converged && state === "running")
      ? pod.spec.restartRequested
      : status.restartObserved,
    run,
    failedGeneration: input.failed
      ? (status.failedGeneration === pod.generation ? status.failedGeneration : pod.generation)
      : null,
  };
  return changedFields(status, next);
}

/** The RecoveryFailed message. */
export function failureMessage(crashes: CrashAssessment): string {
  const how = crashes.oomKilled
    ? "; the last exit was the out-of-memory killer (raise its memory limit)"
    : crashes.exitCode !== null
    ? `; the last exit code was ${crashes.exitCode}`
    : "";
  return `The container exited ${crashes.recoveryFailures} times in a row soon after starting${how}: it is left stopped until the pod is restarted or its config changes`;
}

function changedFields(status: PodRecord["status"], next: Required<StatusUpdate>): StatusUpdate {
  const update: StatusUpdate = {};
  const current = status as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(next)) {
    if (JSON.stringify(current[key]) !== JSON.stringify(value)) {
      (update as Record<string, unknown>)[key] = value;
    }
  }
  return update;
}
