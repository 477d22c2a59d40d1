/**
 * Engine API shapes for containers, in the engine's own PascalCase. Only the fields
 * AgentPod reads or writes are typed; the index signatures keep the rest reachable.
 * @module
 */

/** A host port binding for a container port. */
export interface PortBinding {
  /** Host address to bind, e.g. `127.0.0.1`. */
  HostIp?: string;
  /** Host port as a string; `""` lets the engine pick. */
  HostPort?: string;
}

/** A mount of a volume, bind or tmpfs. */
export interface Mount {
  /** Mount kind. */
  Type: "volume" | "bind" | "tmpfs";
  /** Volume name or host path (unused for tmpfs). */
  Source?: string;
  /** Path inside the container. */
  Target: string;
  /** Mount read-only. */
  ReadOnly?: boolean;
  /** Volume options, e.g. labels for an auto-created volume. */
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> };
  /** tmpfs size and mode. */
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** How the engine restarts a container that exits. */
export interface RestartPolicy {
  /** Policy name. */
  Name: "" | "no" | "always" | "unless-stopped" | "on-failure";
  /** Retries for `on-failure`. */
  MaximumRetryCount?: number;
}

/** Host-level settings: ports, storage, limits, hardening. */
export interface HostConfig {
  /** Container port (`18789/tcp`) to host bindings. */
  PortBindings?: Record<string, PortBinding[]>;
  /** Bind mounts in `src:dst[:opts]` form. */
  Binds?: string[];
  /** Structured mounts. */
  Mounts?: Mount[];
  /** Memory limit in bytes. */
  Memory?: number;
  /** Memory plus swap in bytes (equal to `Memory`: no swap). */
  MemorySwap?: number;
  /** CPU limit in billionths of a CPU. */
  NanoCpus?: number;
  /** Maximum processes; -1 or 0 for unlimited. */
  PidsLimit?: number;
  /** Capabilities to drop (`ALL`). */
  CapDrop?: string[];
  /** Capabilities to add back. */
  CapAdd?: string[];
  /** Security options (`no-new-privileges`). */
  SecurityOpt?: string[];
  /** Run an init process as PID 1. */
  Init?: boolean;
  /** Restart policy. */
  RestartPolicy?: RestartPolicy;
  /** Network mode: a network name, `bridge`, `host` or `none`. */
  NetworkMode?: string;
  /** Mount the root filesystem read-only. */
  ReadonlyRootfs?: boolean;
  /** tmpfs mounts: path to options. */
  Tmpfs?: Record<string, string>;
  [key: string]: unknown;
}

/** Per-network settings at create or connect time. */
export interface EndpointSettings {
  /** Extra DNS names for the container on this network. */
  Aliases?: string[];
  [key: string]: unknown;
}

/** The body of `POST /containers/create`. */
export interface ContainerCreateRequest {
  /** Image reference. */
  Image: string;
  /** Command (overrides the image's CMD). */
  Cmd?: string[];
  /** Entrypoint (overrides the image's ENTRYPOINT). */
  Entrypoint?: string[];
  /** Environment as `KEY=value`. */
  Env?: string[];
  /** Container labels. */
  Labels?: Record<string, string>;
  /** Hostname inside the container. */
  Hostname?: string;
  /** User (`1000:1000` or a name). */
  User?: string;
  /** Working directory. */
  WorkingDir?: string;
  /** Ports to expose, as keys (`{"18789/tcp": {}}`). */
  ExposedPorts?: Record<string, Record<string, never>>;
  /** Allocate a TTY (logs then arrive raw, not multiplexed). */
  Tty?: boolean;
  /** Host-level settings. */
  HostConfig?: HostConfig;
  /** Networks to join at create time. */
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointSettings> };
  /** Signal `docker stop` sends. */
  StopSignal?: string;
  /** Seconds `docker stop` waits before killing. */
  StopTimeout?: number;
  [key: string]: unknown;
}

/** A row of `GET /containers/json`. */
export interface ContainerSummary {
  /** Container id. */
  Id: string;
  /** Names, each with a leading slash. */
  Names: string[];
  /** Image as given at create time. */
  Image: string;
  /** Image id. */
  ImageID: string;
  /** Creation time in Unix seconds. */
  Created: number;
  /** `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`. */
  State: string;
  /** Human-readable status (`Up 3 minutes`). */
  Status: string;
  /** Labels. */
  Labels: Record<string, string>;
  /** Published ports. */
  Ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
  [key: string]: unknown;
}

/** The `State` block of an inspected container. */
export interface ContainerState {
  /** Same values as {@linkcode ContainerSummary.State}. */
  Status: string;
  /** True while running (also while paused or restarting). */
  Running: boolean;
  /** True while being restarted by its policy. */
  Restarting: boolean;
  /** Killed by the kernel for exceeding its memory limit. */
  OOMKilled: boolean;
  /** Host PID, 0 when not running. */
  Pid: number;
  /** Last exit code. */
  ExitCode: number;
  /** Engine-side error from the last start. */
  Error: string;
  /** RFC 3339 start time (zero time when never started). */
  StartedAt: string;
  /** RFC 3339 finish time. */
  FinishedAt: string;
  /** Health check state, when the image defines one. */
  Health?: { Status: string; FailingStreak: number };
}

/** The answer of `GET /containers/{id}/json` (fields we use). */
export interface ContainerInspect {
  /** Container id. */
  Id: string;
  /** Name with a leading slash. */
  Name: string;
  /** RFC 3339 creation time. */
  Created: string;
  /** Image id. */
  Image: string;
  /** How many times the engine restarted it under its policy. */
  RestartCount: number;
  /** Runtime state. */
  State: ContainerState;
  /** Creation settings as the engine stored them. */
  Config: {
    Image: string;
    Hostname: string;
    User: string;
    Env: string[] | null;
    Cmd: string[] | null;
    Labels: Record<string, string> | null;
    Tty: boolean;
    [key: string]: unknown;
  };
  /** Host settings as stored. */
  HostConfig: HostConfig;
  /** Mounts as resolved by the engine. */
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
  /** Network attachment, including ports actually bound. */
  NetworkSettings: {
    Ports: Record<string, PortBinding[] | null> | null;
    Networks: Record<string, { NetworkID: string; IPAddress: string; Aliases: string[] | null }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** The answer of `POST /containers/{id}/wait`. */
export interface ContainerWaitResult {
  /** The container's exit code. */
  StatusCode: number;
  /** Engine-side error while waiting, if any. */
  Error?: { Message: string } | null;
}
