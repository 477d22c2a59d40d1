/**
 * The REST API's answer shapes (docs/api.md) as the CLI reads them. Only the fields
 * the CLI formats are listed; `--format json` prints whatever the server sent.
 * @module
 */

/** A pod condition, Kubernetes style. */
export interface Condition {
  /** `Healthy`, `Ready`, … */
  type: string;
  /** `True`, `False` or `Unknown`. */
  status: string;
  /** One CamelCase word. */
  reason?: string;
  /** A sentence. */
  message?: string;
  /** ISO time of the last status change. */
  lastTransitionTime?: string;
}

/** A pod as the API shows it. */
export interface PodView {
  /** Pod uuid. */
  id?: string;
  /** `<tenant>/<pod>`. */
  pod: string;
  /** Tenant id. */
  tenant: string;
  /** Pod name. */
  name: string;
  /** Adapter id. */
  adapter?: string;
  /** Image reference. */
  image?: string;
  /** `running`, `stopped` or `deleted`. */
  desiredState?: string;
  /** Phase. */
  status: string;
  /** `ok`, `failing`, `starting` or null. */
  health: string | null;
  /** CPU percent or null. */
  cpu: number | null;
  /** Memory in MB or null. */
  memoryMB: number | null;
  /** Published host port. */
  hostPort?: number | null;
  /** Where the pod is reachable. */
  url?: string | null;
  /** Restarts so far. */
  restarts?: number;
  /** The last error, if any. */
  lastError?: string | null;
  /** The container it was adopted with, while it runs it. */
  adopted?: { containerName: string; containerId: string; routed?: boolean } | null;
  /** Conditions. */
  conditions?: Condition[];
}

/** A tenant. */
export interface Tenant {
  /** Tenant id. */
  id: string;
  /** Display name. */
  name?: string | null;
  /** ISO creation time. */
  createdAt?: string;
  /** Number of pods. */
  pods?: number;
}

/** An event. */
export interface PodEvent {
  /** Increasing id. */
  id: number;
  /** ISO time. */
  time: string;
  /** Tenant id. */
  tenant?: string | null;
  /** `<tenant>/<pod>` or null for tenant events. */
  pod?: string | null;
  /** `Normal` or `Warning`. */
  type: string;
  /** CamelCase reason. */
  reason: string;
  /** A sentence. */
  message: string;
  /** Who asked for it (a token's name, `dashboard`); null for the control plane's own work. */
  actor?: string | null;
}
