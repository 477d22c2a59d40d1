/**
 * The steps of each reconcile action (create, recreate, write-files, start, stop,
 * remove, finalize, remove-orphan): engine calls, status writes and events, in the order that keeps the
 * story true. Called by the reconciler under the pod's lock; I/O only through `steps`.
 * @module
 */
import { tenantNetworkName, volumeName } from "./naming.ts";
import type { Action, ObservedContainer } from "./planner.ts";
import { setCondition } from "./pod.ts";
import type { RenderedPodRequest } from "./render.ts";
import type { ContainerRuntime } from "./runtime.ts";
import type { Logger } from "./logger.ts";
import type { NewPodEvent, PodRecord, StatusUpdate, Store } from "./store.ts";

/** What the action steps use; the reconciler provides it. */
export interface ActionSteps {
  runtime: ContainerRuntime;
  store: Store;
  log: Logger;
  now(): number;
  stopTimeoutSeconds: number;
  /** Renders a pod (cached per generation and tenant gateway). */
  render(pod: PodRecord): Promise<RenderedPodRequest>;
  /** Notes a tenant network's gateway (the files trust it as a proxy). */
  learnGateway(tenant: string, gateway: string): void;
  /** Writes status and mirrors it on `pod`. */
  setStatus(pod: PodRecord, update: StatusUpdate): Promise<void>;
  /** Records an event about `pod`. */
  event(pod: PodRecord, type: NewPodEvent["type"], reason: string, message: string): Promise<void>;
  /** Marks a container exit as ours (no crash). */
  expectExit(containerId: string): void;
  /** Notes that we (re)started a pod's container now. */
  noteStarted(podId: string): void;
  /** Whether the pod had crashed (and clears the mark). */
  takeCrashed(podId: string): boolean;
  /** Forgets everything about a deleted pod. */
  forget(podId: string): void;
  /** Tells listeners the pod changed. */
  changed(podId: string, change: "status" | "started" | "deleted"): void;
}

/** Applies one planned action. */
export async function executeAction(
  steps: ActionSteps,
  action: Action,
  pod: PodRecord | undefined,
  observed: ObservedContainer[],
): Promise<void> {
  const { runtime } = steps;
  if (action.kind === "remove-orphan") {
    await runtime.remove(action.containerId);
    steps.log.info("orphan removed", { container: action.name });
    return;
  }
  if (!pod) return;
  switch (action.kind) {
    case "create":
    case "recreate": {
      if (action.kind === "recreate") {
        steps.expectExit(action.containerId);
        await runtime.remove(action.containerId);
      }
      // A pod that had a container before is recovering (removed by hand, crashed).
      const recovering = steps.takeCrashed(pod.id) || pod.status.containerId !== null;
      await steps.setStatus(pod, { phase: "creating" });
      const network = await runtime.ensureNetwork(tenantNetworkName(pod.tenant), pod.tenant);
      steps.learnGateway(pod.tenant, network.gateway);
      const { request, filesHash } = await steps.render(pod);
      const id = await runtime.createPodContainer(request);
      await steps.setStatus(pod, { containerId: id });
      await runtime.start(id);
      steps.noteStarted(pod.id);
      await steps.setStatus(pod, {
        phase: "running",
        containerId: id,
        observedGeneration: pod.generation,
        lastError: null,
        filesHash,
        ...(recovering && action.kind === "create"
          ? { restartCount: pod.status.restartCount + 1 }
          : {}),
      });
      const reason = action.kind === "recreate"
        ? "Recreated"
        : recovering
        ? "Restarted"
        : "Started";
      await steps.event(pod, "Normal", reason, `Container ${request.containerName} started`);
      steps.changed(pod.id, "started");
      return;
    }
    case "write-files": {
      const network = await runtime.ensureNetwork(tenantNetworkName(pod.tenant), pod.tenant);
      steps.learnGateway(pod.tenant, network.gateway);
      const { request, filesHash } = await steps.render(pod);
      await runtime.writeFiles(action.containerId, request.spec.volumePath, request.files);
      await steps.setStatus(pod, {
        filesHash,
        observedGeneration: pod.generation,
        lastError: null,
      });
      await steps.event(
        pod,
        "Normal",
        "ConfigApplied",
        "Config files rewritten in the volume; the agent reloads them",
      );
      steps.changed(pod.id, "status");
      return;
    }
    case "start": {
      await runtime.start(action.containerId);
      steps.noteStarted(pod.id);
      // A user's start of a stopped pod is a start; anything else that finds the
      // container down after it ran is a recovery.
      const hadRun = steps.takeCrashed(pod.id) ||
        (pod.status.phase !== "stopped" &&
          observed.some((c) => c.id === action.containerId && c.state !== "created"));
      await steps.setStatus(pod, {
        phase: "running",
        containerId: action.containerId,
        observedGeneration: pod.generation,
        lastError: null,
        ...(hadRun ? { restartCount: pod.status.restartCount + 1 } : {}),
      });
      await steps.event(
        pod,
        "Normal",
        hadRun ? "Restarted" : "Started",
        hadRun ? `Container restarted (${action.reason})` : "Container started",
      );
      steps.changed(pod.id, "started");
      return;
    }
    case "stop": {
      await steps.setStatus(pod, { phase: "stopping" });
      steps.expectExit(action.containerId);
      await runtime.stop(action.containerId, steps.stopTimeoutSeconds);
      await steps.setStatus(pod, {
        phase: "stopped",
        observedGeneration: pod.generation,
        conditions: setCondition(pod.status.conditions, {
          type: "Healthy",
          status: "Unknown",
          reason: "Stopped",
          message: "The pod is stopped",
        }, new Date(steps.now())),
      });
      await steps.event(pod, "Normal", "Stopped", "Container stopped");
      return;
    }
    case "remove": {
      await steps.setStatus(pod, { phase: "deleting" });
      steps.expectExit(action.containerId);
      await runtime.remove(action.containerId);
      return;
    }
    case "finalize": {
      await runtime.removeVolume(volumeName(pod.id));
      await steps.event(pod, "Normal", "Deleted", "Pod deleted with its container and volume");
      await steps.store.pods.purge(pod.id);
      steps.forget(pod.id);
      steps.changed(pod.id, "deleted");
      return;
    }
  }
}
