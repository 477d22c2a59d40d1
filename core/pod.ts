/**
 * Pods: spec (what the user wants), status (what the reconciler saw and did) and the
 * rules that tie them together. Only the reconciler writes status.
 * @module
 */
import type { Resources } from "./adapter.ts";
import type { RunRecord } from "./crash_loop.ts";

/** What the user wants a pod to be. */
export type DesiredState = "running" | "stopped" | "deleted";

/** Where a pod is in its life, as the reconciler last saw it. */
export type PodPhase =
  | "pending"
  | "creating"
  | "starting"
  | "running"
  | "stopping"
  | "stopped"
  | "failed"
  | "upgrading"
  | "deleting";

/** `True`, `False` or `Unknown`, as Kubernetes conditions. */
export type ConditionStatus = "True" | "False" | "Unknown";

/** One observed aspect of a pod (`Ready`, `Healthy`, `Failed`). */
export interface Condition {
  /** Condition type. */
  type: string;
  /** Whether it holds. */
  status: ConditionStatus;
  /** One CamelCase word. */
  reason: string;
  /** A sentence. */
  message: string;
  /** When `status` last changed (ISO 8601). */
  lastTransitionTime: string;
}

/** The user's side of a pod. */
export interface PodSpec {
  /** Adapter id (`openclaw`). */
  adapter: string;
  /** Image reference. */
  image: string;
  /** Adapter config without secrets. */
  config: Record<string, unknown>;
  /** Limits. */
  resources: Resources;
  /** Desired state. */
  desiredState: DesiredState;
  /** Bumped by each `pod restart`; the reconciler restarts once per bump. */
  restartRequested: number;
  /** The local image id the pod is pinned to (an upgrade pins it); null: `image` as given. */
  imageId: string | null;
  /** Which copy of the state volume the pod mounts (an upgrade moves to the next). */
  volumeEpoch: number;
}

/**
 * A pod adopted from a container AgentPod did not make (`migrate adopt`): the container
 * keeps running as it is (same id, name, volume, hostname); AgentPod records what it saw.
 */
export interface Adoption {
  /** The adopted container's id: ownership, since its labels cannot change. */
  containerId: string;
  /** Its name when adopted. */
  containerName: string;
  /** The image id it runs. */
  imageId: string;
  /** Where its state lives. */
  stateDir: { kind: "volume" | "bind" | "container"; source: string | null; path: string };
  /** Its hostname (an AgentPod-made successor keeps it: OpenClaw's owner lease). */
  hostname: string;
  /** The agent's port inside the container. */
  containerPort: number;
  /** Its networks when adopted. */
  networks: string[];
  /** Its restart policy when adopted. */
  restartPolicy: string;
  /** When (ISO 8601). */
  adoptedAt: string;
  /**
   * Its gateway trusts the route's proxy (`migrate adopt --route`): reached through
   * Traefik and probed as AgentPod's own pods are. Otherwise probed directly.
   */
  routed?: boolean;
  /**
   * The pod runs the adopted container now (false once an upgrade moved it to a
   * container AgentPod made; the record stays: that container keeps the hostname).
   */
  active: boolean;
}

/** The reconciler's side of a pod. */
export interface PodStatus {
  /** Generation the reconciler last acted on. */
  observedGeneration: number;
  /** Phase. */
  phase: PodPhase;
  /** Conditions by type. */
  conditions: Condition[];
  /** Current container id. */
  containerId: string | null;
  /** Times the reconciler restarted the container after a crash. */
  restartCount: number;
  /** The last error, as a sentence. */
  lastError: string | null;
  /** Fingerprint of the config files last written into the volume ('' unknown). */
  filesHash: string;
  /** The `restartRequested` the reconciler last carried out. */
  restartObserved: number;
  /** The container run the reconciler last saw, for counting crashes. */
  run: RunRecord;
  /** The generation a crash loop was declared failed at; null when not failed. */
  failedGeneration: number | null;
}

/** A pod as stored. */
export interface Pod {
  /** Stable uuid (container label `agentpod.pod`). */
  id: string;
  /** Tenant id. */
  tenant: string;
  /** Pod name within the tenant. */
  name: string;
  /** Bumped on every spec write. */
  generation: number;
  /** Host port on 127.0.0.1 that publishes the agent's port. */
  hostPort: number;
  /** Spec. */
  spec: PodSpec;
  /** Status. */
  status: PodStatus;
  /** Creation time (ISO 8601). */
  createdAt: string;
  /** Last spec or status write (ISO 8601). */
  updatedAt: string;
  /** The long operation (a rollout) that owns the pod now; the reconciler leaves it alone. */
  operationId: string | null;
  /** Set when the pod runs a container AgentPod adopted rather than made. */
  adoption: Adoption | null;
}

/** A pod's condition of `type`, if any. */
export function findCondition(status: PodStatus, type: string): Condition | undefined {
  return status.conditions.find((c) => c.type === type);
}

/**
 * Sets a condition; `lastTransitionTime` only moves when `status` changes, so a
 * repeated observation does not look like a transition.
 */
export function setCondition(
  conditions: readonly Condition[],
  next: Omit<Condition, "lastTransitionTime">,
  now: Date,
): Condition[] {
  const previous = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = previous && previous.status === next.status
    ? previous.lastTransitionTime
    : now.toISOString();
  const updated: Condition = { ...next, lastTransitionTime };
  return [...conditions.filter((c) => c.type !== next.type), updated]
    .sort((a, b) => a.type.localeCompare(b.type));
}
