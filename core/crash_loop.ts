/**
 * Crash counting from state, whoever restarted the container. Docker restarts a process
 * that exits by itself (restart policy `unless-stopped`): by the time anyone looks, the
 * container is `restarting` or running again, and only its `RestartCount`, `StartedAt`
 * and `FinishedAt` tell that it crashed. `assessCrashes` compares what the engine says
 * now with what the reconciler recorded last time and returns the new crashes, whether
 * they were failed recoveries (the run before each exit was short and never healthy),
 * and the record to keep. Pure: the caller reads the engine and the clock.
 * @module
 */
import type { ContainerRunState } from "./runtime.ts";

/** What the reconciler recorded of a pod's container when it last looked. */
export interface RunRecord {
  /** The container it saw. */
  containerId: string | null;
  /** Its `RestartCount` then. */
  restartCount: number;
  /** Its `StartedAt` then (ms), null when never started. */
  startedAt: number | null;
  /** Its `FinishedAt` then (ms): the last exit already counted. */
  finishedAt: number | null;
  /** Failed recoveries in a row. */
  recoveryFailures: number;
}

/** What changed since the record. */
export interface CrashAssessment {
  /** Exits of the process not counted before (crashes, or manual stops by others). */
  crashes: number;
  /** Whether those exits came soon after their start (a failed recovery each). */
  quick: boolean;
  /** Failed recoveries in a row, counting these. */
  recoveryFailures: number;
  /** Whether the last exit was the OOM killer (only visible until the next start). */
  oomKilled: boolean;
  /** The last exit code, when the engine still shows it (not after a restart). */
  exitCode: number | null;
}

/** Tuning. */
export interface CrashOptions {
  /** An exit this soon after its start counts as a failed recovery. */
  windowMs: number;
}

/** The record of a container as seen now (after the reconciler's own actions). */
export function recordRun(
  container: ContainerRunState | undefined,
  recoveryFailures: number,
): RunRecord {
  if (!container) {
    return {
      containerId: null,
      restartCount: 0,
      startedAt: null,
      finishedAt: null,
      recoveryFailures,
    };
  }
  return {
    containerId: container.id,
    restartCount: container.restartCount,
    startedAt: container.startedAt,
    finishedAt: container.finishedAt,
    recoveryFailures,
  };
}

/**
 * The record of a container the reconciler has just started. Docker counts its restarts
 * from 0 again after a start, so anything the inspect that follows shows beyond a clean
 * run (an OOM kill and a policy restart fit in the few hundred ms between the two) has
 * happened since the start: the record keeps the start's zero and lets the next look
 * count it.
 */
export function recordStart(container: ContainerRunState, recoveryFailures: number): RunRecord {
  if (container.state === "running" && container.restartCount === 0) {
    return recordRun(container, recoveryFailures);
  }
  return {
    containerId: container.id,
    restartCount: 0,
    startedAt: null,
    finishedAt: null,
    recoveryFailures,
  };
}

/**
 * New crashes of `container` since `record`. A different container (a new one, or none)
 * has no crashes of its own yet. `healthyAt` is when a probe last passed, if ever: a run
 * that was healthy is no failed recovery, however short.
 */
export function assessCrashes(
  record: RunRecord,
  container: ContainerRunState | undefined,
  options: CrashOptions & { healthyAt?: number },
): CrashAssessment {
  const none: CrashAssessment = {
    crashes: 0,
    quick: false,
    recoveryFailures: record.recoveryFailures,
    oomKilled: false,
    exitCode: null,
  };
  if (!container || container.id !== record.containerId) return none;
  const alive = container.state === "running";
  // Docker counts an exit it will restart from at once (the container is `restarting`
  // with RestartCount already up). A count below the record means a manual start reset
  // it: the restarts since are those after that start.
  const policyRestarts = container.restartCount >= record.restartCount
    ? container.restartCount - record.restartCount
    : container.startedAt !== record.startedAt
    ? container.restartCount
    : 0;
  const newExit = container.finishedAt !== null &&
    container.finishedAt !== record.finishedAt &&
    (record.startedAt === null || container.finishedAt >= record.startedAt);
  // Exited with no restart to come (docker kill or stop by someone else).
  const stopped = (container.state === "exited" || container.state === "dead") && newExit ? 1 : 0;
  const crashes = policyRestarts + stopped;
  if (crashes === 0) return none;
  // How long the runs that ended lasted: while the container is down, its StartedAt is
  // the start of the run that just ended; otherwise share the time since the recorded
  // start among the exits.
  const end = container.finishedAt ?? record.startedAt ?? 0;
  const lastStart = alive ? null : container.startedAt;
  const runStart = crashes === 1 && lastStart !== null ? lastStart : record.startedAt;
  const average = runStart === null ? 0 : (end - runStart) / crashes;
  const healthyDuring = options.healthyAt !== undefined && runStart !== null &&
    options.healthyAt >= runStart && options.healthyAt <= end;
  const quick = average < options.windowMs && !healthyDuring;
  return {
    crashes,
    quick,
    recoveryFailures: quick ? record.recoveryFailures + crashes : 0,
    oomKilled: !alive && container.oomKilled,
    exitCode: alive ? null : container.exitCode,
  };
}
