/**
 * `Store`: the desired and observed state as the rest of AgentPod sees it, in domain
 * terms. Implemented in `providers/store/` on PostgreSQL (PGlite or a server); no SQL
 * leaks past it. Secrets arrive and leave encrypted: the store never sees clear text.
 * @module
 */
import type { ApiToken, Role } from "./access.ts";
import type { Resources } from "./adapter.ts";
import type { RunRecord } from "./crash_loop.ts";
import type { Adoption, Condition, DesiredState, Pod, PodPhase } from "./pod.ts";
import type { Rollout, RolloutItem, RolloutOptions, RolloutState } from "./rollout.ts";
import type { BackupStore } from "./backup.ts";
import type { AlertStore } from "./alerts.ts";
import type { UsageStore } from "./usage.ts";

/** A tenant with its pod count. */
export interface Tenant {
  /** Tenant id (DNS label). */
  id: string;
  /** Display name. */
  name: string;
  /** Creation time (ISO 8601). */
  createdAt: string;
  /** Pods not yet deleted. */
  pods: number;
}

/** A stored pod, with its encrypted secrets. */
export interface PodRecord extends Pod {
  /** AES-GCM ciphertext of the pod's secrets (token, sensitive config). */
  secrets: Uint8Array | null;
}

/** The few fields of a pod an idle reconcile pass reads (no config, no secrets). */
export interface PodState {
  /** Pod uuid. */
  id: string;
  /** Tenant id. */
  tenant: string;
  /** Pod name. */
  name: string;
  /** Spec generation. */
  generation: number;
  /** Desired state. */
  desiredState: DesiredState;
  /** Last written phase. */
  phase: PodPhase;
  /** Last written container id. */
  containerId: string | null;
  /** Host port on 127.0.0.1. */
  hostPort: number;
  /** Adapter id. */
  adapter: string;
  /** Fingerprint of the files last written into the volume ('' unknown). */
  filesHash: string;
  /** Restarts asked for (spec). */
  restartRequested: number;
  /** Restarts carried out (status). */
  restartObserved: number;
  /** The generation a crash loop was declared failed at. */
  failedGeneration: number | null;
  /** The operation that owns the pod (reconciler: hands off), or null. */
  operationId: string | null;
  /** The adopted container's id, or null for a pod AgentPod made. */
  adoptedContainerId: string | null;
}

/** What creating a pod stores. */
export interface NewPod {
  /** Tenant id. */
  tenant: string;
  /** Pod name. */
  name: string;
  /** Adapter id. */
  adapter: string;
  /** Image. */
  image: string;
  /** Config without secrets. */
  config: Record<string, unknown>;
  /** Encrypted secrets. */
  secrets: Uint8Array;
  /** Limits. */
  resources: Resources;
  /** Host port (unique). */
  hostPort: number;
  /** What was adopted (`migrate adopt`); absent for a pod AgentPod makes. */
  adoption?: Adoption;
}

/** A status write by the reconciler. */
export interface StatusUpdate {
  /** Phase. */
  phase?: PodPhase;
  /** Conditions (the whole list). */
  conditions?: Condition[];
  /** Current container. */
  containerId?: string | null;
  /** Restarts after crashes. */
  restartCount?: number;
  /** Last error, or null to clear. */
  lastError?: string | null;
  /** The generation this status reflects. */
  observedGeneration?: number;
  /** Fingerprint of the files just written into the volume. */
  filesHash?: string;
  /** The restart request carried out. */
  restartObserved?: number;
  /** The container run seen now. */
  run?: RunRecord;
  /** The generation a crash loop was declared failed at, or null to clear. */
  failedGeneration?: number | null;
}

/** A recorded event. */
export interface PodEvent {
  /** Increasing id. */
  id: number;
  /** When (ISO 8601). */
  time: string;
  /** Tenant id, or null for control-plane events outside any tenant (tokens, rollouts). */
  tenant: string | null;
  /** `<tenant>/<pod>`, or null for tenant-level events. */
  pod: string | null;
  /** `Normal` or `Warning`. */
  type: "Normal" | "Warning";
  /** One CamelCase word. */
  reason: string;
  /** A sentence. */
  message: string;
  /** Who asked for it (a token's name, `dashboard`), or null for the control plane's own work. */
  actor: string | null;
}

/** An event to record. */
export interface NewPodEvent {
  /** Tenant id, or null outside any tenant. */
  tenant: string | null;
  /** Pod uuid, if about a pod. */
  podId?: string;
  /** Pod name, if about a pod. */
  podName?: string;
  /** `Normal` or `Warning`. */
  type: "Normal" | "Warning";
  /** One CamelCase word. */
  reason: string;
  /** A sentence. */
  message: string;
  /** Who asked for it; absent for the control plane's own work. */
  actor?: string | null;
}

/** A dashboard sign-in session (the cookie holds the id; only its hash is stored). */
export interface DashboardSession {
  /** SHA-256 hex of the session id. */
  idHash: string;
  /** The token every form of this session must carry. */
  csrfToken: string;
  /** When it was created (ISO 8601). */
  createdAt: string;
  /** When it stops being valid (ISO 8601). */
  expiresAt: string;
}

/** The persistent state of the control plane. */
export interface Store extends BackupStore, AlertStore, UsageStore {
  /** Tenant rows. */
  tenants: {
    create(id: string, name: string): Promise<Tenant>;
    get(id: string): Promise<Tenant>;
    list(): Promise<Tenant[]>;
    delete(id: string): Promise<void>;
  };
  /** Pod rows. */
  pods: {
    create(pod: NewPod): Promise<PodRecord>;
    get(tenant: string, name: string): Promise<PodRecord>;
    getById(id: string): Promise<PodRecord | undefined>;
    /** Pods of a tenant or all, including those being deleted. */
    list(filter?: { tenant?: string }): Promise<PodRecord[]>;
    /** Every pod's state, in one light query (the reconciler's idle pass). */
    listStates(): Promise<PodState[]>;
    /**
     * A fingerprint of everything routes depend on (which pods exist, their desired
     * state and spec); it changes whenever a route may have changed. One cheap query.
     */
    routesVersion(): Promise<string>;
    /** Full records of the given pods (missing ids are skipped). */
    getMany(ids: string[]): Promise<PodRecord[]>;
    /** Sets the desired state and bumps the generation. */
    setDesiredState(id: string, state: DesiredState): Promise<PodRecord>;
    /** Asks for one restart (bumps `restartRequested` and the generation). */
    requestRestart(id: string): Promise<PodRecord>;
    /**
     * Replaces spec fields (config without secrets, sealed secrets, image) and bumps the
     * generation, if the generation is still `expectedGeneration` (ConflictError if not).
     */
    updateSpec(
      id: string,
      expectedGeneration: number,
      changes: { config?: Record<string, unknown>; secrets?: Uint8Array; image?: string },
    ): Promise<PodRecord>;
    /**
     * Points the pod at an image and a copy of its volume (an upgrade, or its rollback)
     * and bumps the generation. Only the holder of the pod's lease calls it.
     */
    setImage(
      id: string,
      image: {
        image: string;
        imageId: string | null;
        volumeEpoch: number;
        /**
         * The adopted container the pod runs: null when an upgrade moves an adopted pod
         * to a container AgentPod makes, its id again on a rollback; absent: unchanged.
         */
        adoptedContainerId?: string | null;
      },
    ): Promise<PodRecord>;
    /**
     * Takes the pod for `operationId` (a rollout): false when another operation holds it
     * or the pod is not running. Taking it again with the same id is fine.
     */
    lease(id: string, operationId: string): Promise<boolean>;
    /** Gives the pod back (only if `operationId` holds it). */
    release(id: string, operationId: string): Promise<void>;
    /** Writes status fields (reconciler only). */
    updateStatus(id: string, update: StatusUpdate): Promise<void>;
    /** Deletes the row once its container and volume are gone. */
    purge(id: string): Promise<void>;
    /** Rewrites an adopted pod's adoption record (a live step was applied). */
    setAdoption(id: string, adoption: Adoption): Promise<void>;
    /** The pod that adopted container `containerId`, if any. */
    findAdopted(containerId: string): Promise<PodRecord | undefined>;
    /**
     * Forgets an adopted pod (`migrate release`): deletes its row, never its container.
     * False when it is not adopted, gone, or an operation (an upgrade) holds it.
     */
    forgetAdopted(id: string): Promise<boolean>;
    /** Host ports taken by pods. */
    allocatedPorts(): Promise<Set<number>>;
  };
  /** Rollouts and their pods. */
  rollouts: {
    /** A new rollout (state `preflight`) with its pods in order. */
    create(rollout: {
      image: string;
      options: RolloutOptions;
      items: Pick<RolloutItem, "podId" | "tenant" | "pod" | "position" | "canary">[];
    }): Promise<Rollout>;
    /** NotFoundError when there is none. */
    get(id: string): Promise<Rollout>;
    /** Adds a pod at the end of a rollout (false when it is in it already). */
    addItem(
      id: string,
      item: Pick<RolloutItem, "podId" | "tenant" | "pod">,
    ): Promise<boolean>;
    /** The newest first; `unfinished`: only those not over yet. */
    list(
      filter?: { limit?: number; states?: RolloutState[]; unfinished?: boolean },
    ): Promise<Rollout[]>;
    /** Writes rollout fields; `finished` stamps the end. */
    update(
      id: string,
      changes: {
        state?: RolloutState;
        message?: string | null;
        imageId?: string;
        options?: RolloutOptions;
        finished?: boolean;
      },
    ): Promise<Rollout>;
    /** Writes one pod's fields (times as ISO 8601). */
    updateItem(
      id: string,
      podId: string,
      changes: Partial<Omit<RolloutItem, "podId" | "tenant" | "pod" | "position" | "canary">>,
    ): Promise<void>;
  };
  /** The event log. */
  events: {
    append(event: NewPodEvent): Promise<PodEvent>;
    /** One event (under row-level security: only if the scope may see it). */
    get(id: number): Promise<PodEvent | undefined>;
    /** The last `tail` events, oldest first. */
    list(filter: { tail: number; tenant?: string; podId?: string }): Promise<PodEvent[]>;
  };
  /** Control-plane settings. */
  settings: {
    get<T>(key: string): Promise<T | undefined>;
    set(key: string, value: unknown): Promise<void>;
  };
  /** API tokens, by SHA-256 hash. */
  tokens: {
    create(token: {
      name: string;
      hash: string;
      tenant: string | null;
      role: Role;
      expiresAt: Date | null;
    }): Promise<ApiToken>;
    /** The token with this hash, revoked and expired ones included. */
    findByHash(hash: string): Promise<ApiToken | undefined>;
    /** Every token, revoked ones included, oldest first. */
    list(): Promise<ApiToken[]>;
    /** Stamps its revocation (once; NotFoundError when there is no such id). */
    revoke(id: string): Promise<ApiToken>;
    /** Records a use at `now` (to the minute). */
    touch(id: string, now: Date): Promise<void>;
    /** Usable admin tokens for every tenant at `now`. */
    countAdmin(now: Date): Promise<number>;
  };
  /** Dashboard sessions, by SHA-256 hash of their id. */
  sessions: {
    create(session: { idHash: string; csrfToken: string; expiresAt: Date }): Promise<void>;
    /** The session if it exists and has not expired at `now`. */
    find(idHash: string, now: Date): Promise<DashboardSession | undefined>;
    delete(idHash: string): Promise<void>;
    /** Removes sessions expired at `now`; returns how many. */
    deleteExpired(now: Date): Promise<number>;
    /** Signs everybody out (the admin password changed). */
    deleteAll(): Promise<void>;
  };
  /** Resolves when the database answers. */
  ping(): Promise<void>;
}
