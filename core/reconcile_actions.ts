/**
 * The steps of each reconcile action (create, recreate, restart, write-files, start,
 * stop, remove, finalize, remove-orphan): engine calls and events, in the order that
 * keeps the story true. A recreate cannot lose the pod: the image is resolved first, the
 * old container is stopped (OpenClaw allows one gateway per state dir) and kept, renamed,
 * as the rollback handle until the new one runs; on failure the old one runs again.
 * Status is not written here: the reconciler writes it once, from what these report.
 * @module
 */
import type { AgentAdapter, RenderedFile } from "./adapter.ts";
import { ConflictError, DockerApiError, errorMessage, UnavailableError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { Action } from "./planner.ts";
import type { RenderedPodRequest } from "./render.ts";
import type { ContainerRuntime } from "./runtime.ts";
import type { NewPodEvent, PodRecord, Store } from "./store.ts";

/** What the action steps use; the reconciler provides it. */
export interface ActionSteps {
  runtime: ContainerRuntime;
  store: Store;
  log: Logger;
  stopTimeoutSeconds: number;
  /** The pod's render (create and recreate need it; absent when it cannot render). */
  rendered?: RenderedPodRequest;
  /** The pod's adapter (how it wants files written into a running container). */
  adapter?: AgentAdapter;
  /** Kill at once instead of a graceful stop (`pod delete --force`). */
  force: boolean;
  /** The container went down by itself: a start now is a recovery. */
  recovering: boolean;
  /** Records an event about the pod. */
  event(type: NewPodEvent["type"], reason: string, message: string): Promise<void>;
}

/** What an action did, for the status the reconciler writes. */
export interface ActionOutcome {
  /** The pod's container is now this one (created or kept). */
  containerId?: string;
  /** A container of the pod was started (created, started, restarted). */
  started?: boolean;
  /** The files now in the volume. */
  filesHash?: string;
  /** The pod row is gone. */
  finalized?: boolean;
}

/** Logs the start of a pod's container (benchmarks time engine events against it). */
function logStart(steps: ActionSteps, pod: PodRecord, containerId: string, why: string): void {
  steps.log.info("starting container", {
    pod: `${pod.tenant}/${pod.name}`,
    container: containerId.slice(0, 12),
    why,
  });
}

/**
 * Rewrites config files of an existing container. When the adapter can move files in
 * place (what a running agent's file watcher follows), they are written into a staging
 * directory beside them and moved from inside the container; else, or when that cannot
 * run (the container is stopped, the command failed), written over them directly.
 */
async function writeFilesLive(
  steps: ActionSteps,
  containerId: string,
  volumePath: string,
  files: RenderedFile[],
): Promise<void> {
  const move = steps.adapter?.moveFilesCommand;
  if (move && files.length > 0) {
    const staging = `.agentpod-staging-${crypto.randomUUID().slice(0, 8)}`;
    try {
      const staged = files.map((f) => ({ ...f, path: `${staging}/${f.path}` }));
      await steps.runtime.writeFiles(containerId, volumePath, staged);
      const command = move(volumePath, staging, files.map((f) => f.path));
      const out = await steps.runtime.exec(containerId, command, AbortSignal.timeout(30_000));
      if (out.exitCode === 0) return;
      steps.log.warn("in-place file move failed", {
        container: containerId.slice(0, 12),
        exitCode: out.exitCode,
        error: out.stderr.trim().slice(-300),
      });
    } catch (error) {
      if (error instanceof UnavailableError) throw error;
      // Not running (or gone): nothing watches the files; the direct write does.
    }
  }
  await steps.runtime.writeFiles(containerId, volumePath, files);
}

/** The name a recreate gives the old container while it is the rollback handle. */
export function rollbackName(containerName: string): string {
  // A dot cannot occur in a pod's container name (DNS labels), so this never clashes.
  return `${containerName}.prev`;
}

/** Applies one planned action to `pod` (undefined only for orphans). */
export async function executeAction(
  steps: ActionSteps,
  action: Action,
  pod: PodRecord | undefined,
): Promise<ActionOutcome> {
  const { runtime } = steps;
  if (action.kind === "remove-orphan") {
    await runtime.remove(action.containerId);
    steps.log.info("orphan removed", { container: action.name });
    return {};
  }
  if (!pod) return {};
  switch (action.kind) {
    case "hold":
      return {};
    case "create": {
      const { request, filesHash } = need(steps.rendered, pod);
      await runtime.ensureImage(request.spec.image);
      const id = await runtime.createPodContainer(request);
      logStart(steps, pod, id, "create");
      await runtime.start(id);
      await steps.event(
        "Normal",
        steps.recovering ? "Restarted" : "Started",
        `Container ${request.containerName} started`,
      );
      return { containerId: id, started: true, filesHash };
    }
    case "recreate":
      return await recreate(steps, pod, action.containerId);
    case "write-files": {
      const { request, filesHash } = need(steps.rendered, pod);
      await writeFilesLive(steps, action.containerId, request.spec.volumePath, request.files);
      await steps.event(
        "Normal",
        "ConfigApplied",
        "Config files rewritten in the volume; the agent reloads them",
      );
      return { containerId: action.containerId, filesHash };
    }
    case "start": {
      try {
        logStart(steps, pod, action.containerId, action.reason);
        await runtime.start(action.containerId);
      } catch (error) {
        // A start that raced an engine shutdown can leave a stale task behind, and the
        // engine then refuses every start of that container: replace it (same volume).
        if (!(error instanceof DockerApiError && /already exists/.test(error.message))) throw error;
        steps.log.warn("container cannot start; replacing it", { error: errorMessage(error) });
        return await recreate(steps, pod, action.containerId);
      }
      await steps.event(
        "Normal",
        steps.recovering ? "Restarted" : "Started",
        steps.recovering ? `Container restarted (${action.reason})` : "Container started",
      );
      return { containerId: action.containerId, started: true };
    }
    case "restart": {
      await runtime.stop(action.containerId, steps.stopTimeoutSeconds);
      logStart(steps, pod, action.containerId, action.reason);
      await runtime.start(action.containerId);
      await steps.event("Normal", "Restarted", `Container restarted (${action.reason})`);
      return { containerId: action.containerId, started: true };
    }
    case "stop": {
      await runtime.stop(action.containerId, steps.stopTimeoutSeconds);
      await steps.event("Normal", "Stopped", "Container stopped");
      return {};
    }
    case "remove": {
      if (!steps.force) await runtime.stop(action.containerId, steps.stopTimeoutSeconds);
      await runtime.remove(action.containerId);
      return {};
    }
    case "finalize": {
      await runtime.removePodVolumes(pod.id); // every copy upgrades made
      await steps.event("Normal", "Deleted", "Pod deleted with its container and volume");
      await steps.store.pods.purge(pod.id);
      return { finalized: true };
    }
  }
}

/**
 * Replaces the container: image resolved before anything is touched, old container
 * stopped and renamed (the rollback handle), new one created and started, old one
 * removed. If the new one cannot be made or started, it is removed and the old one gets
 * its name back and runs again; the error says so.
 */
async function recreate(
  steps: ActionSteps,
  pod: PodRecord,
  oldId: string,
): Promise<ActionOutcome> {
  const { runtime } = steps;
  const { request, filesHash } = need(steps.rendered, pod);
  await runtime.ensureImage(request.spec.image); // a missing image fails here, harmlessly
  const old = await runtime.inspectPodContainer(oldId);
  const wasAlive = old !== undefined && old.state !== "exited" && old.state !== "created" &&
    old.state !== "dead";
  if (old) {
    await runtime.stop(oldId, steps.stopTimeoutSeconds);
    if (old.name !== rollbackName(request.containerName)) {
      await runtime.rename(oldId, rollbackName(request.containerName));
    }
  }
  let newId: string | undefined;
  try {
    newId = await runtime.createPodContainer(request);
    logStart(steps, pod, newId, "recreate");
    await runtime.start(newId);
  } catch (error) {
    if (newId) await runtime.remove(newId).catch(() => {});
    if (old) {
      await runtime.rename(oldId, request.containerName);
      if (wasAlive) await runtime.start(oldId);
    }
    throw new ConflictError(
      `Cannot replace the container, ${
        old && wasAlive ? "the previous one runs again" : "the previous one is kept"
      }: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  if (old) await runtime.remove(oldId);
  await steps.event("Normal", "Recreated", `Container ${request.containerName} started`);
  return { containerId: newId, started: true, filesHash };
}

function need(rendered: RenderedPodRequest | undefined, pod: PodRecord): RenderedPodRequest {
  if (!rendered) throw new Error(`Pod "${pod.tenant}/${pod.name}" has no render`);
  return rendered;
}
