/**
 * `ContainerRuntime`: what the reconciler needs from a container engine, in domain
 * terms. Implemented by `providers/docker/runtime.ts` (Docker Engine) and by an
 * in-memory fake for tests; one contract suite runs against both.
 * @module
 */
import type { ContainerSpec, RenderedFile } from "./adapter.ts";
import type { EngineContainer } from "./migration.ts";
import type { ObservedContainer } from "./planner.ts";

/** Everything needed to create one pod's container. */
export interface PodContainerRequest {
  /** Pod uuid. */
  podId: string;
  /** Tenant id. */
  tenant: string;
  /** Pod name. */
  pod: string;
  /** Deterministic container name. */
  containerName: string;
  /** Stable hostname. */
  hostname: string;
  /** The tenant's bridge network (created when missing). */
  network: string;
  /** The pod's volume (created when missing). */
  volume: string;
  /** Host port on 127.0.0.1 publishing `spec.port`. */
  hostPort: number;
  /** Fingerprint stored as a label. */
  specHash: string;
  /** The container the adapter rendered. */
  spec: ContainerSpec;
  /** Files written into the volume before the first start. */
  files: RenderedFile[];
}

/** Something that happened to one of our containers. */
export interface RuntimeEvent {
  /** `die`, `oom`, `destroy`, `start`, `stop`, `kill`. */
  action: string;
  /** Pod uuid from the container's label. */
  podId: string;
  /** Container id. */
  containerId: string;
  /** Exit code on `die`. */
  exitCode?: number;
  /** The signal on `kill` (`15`, `9`, as the engine names it). */
  signal?: string;
  /** Engine time, ms since the epoch. */
  time: number;
}

/** CPU and memory use of a running container. */
export interface ContainerUsage {
  /** Percent of one CPU. */
  cpu: number;
  /** Memory in MiB. */
  memoryMB: number;
  /** CPU-seconds of the current run (the engine's cumulative counter, 0 at each start). */
  cpuSeconds: number;
}

/** A log line of a container. */
export interface RuntimeLogLine {
  /** Which stream. */
  stream: "stdout" | "stderr";
  /** The line without its newline. */
  text: string;
  /** When the engine recorded it (ISO 8601), if asked for. */
  time?: string;
}

/** A local image. */
export interface ImageInfo {
  /** `sha256:…`. */
  id: string;
  /** Its labels (`org.opencontainers.image.version`, …). */
  labels: Record<string, string>;
}

/** What a command run in a container printed and how it ended. */
export interface ExecOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** What a smoke run saw. */
export interface SmokeResult {
  /** The exit code, or null when the process still ran when the run ended. */
  exitCode: number | null;
  /** The last lines it printed. */
  logs: string[];
}

/** A tenant's network as pods see it. */
export interface TenantNetwork {
  /** Engine id. */
  id: string;
  /**
   * The network's IPv4 gateway address (`172.23.0.1`): traffic that reaches a pod through
   * a port published on the host arrives from it. Always known: a runtime that cannot
   * determine it fails `ensureNetwork` with a message that says why.
   */
  gateway: string;
}

/**
 * One of our containers as the engine tracks its runs (an inspect): what crash counting
 * and crash-loop detection read. Docker restarts a process that exits by itself (restart
 * policy `unless-stopped`), bumping `restartCount`; a manual start resets that count to 0;
 * `docker kill`/`stop` leave it exited. The exit code and OOM flag are those of the last
 * exit and are cleared again by the next start.
 */
export interface ContainerRunState extends ObservedContainer {
  /** Restarts by the engine's restart policy since the last manual start. */
  restartCount: number;
  /** Last start, ms since the epoch; null when never started. */
  startedAt: number | null;
  /** Last exit, ms since the epoch; null when it never exited. */
  finishedAt: number | null;
  /** Exit code of the last exit (0 while running after a restart). */
  exitCode: number;
  /** Whether the last exit was the kernel's OOM killer. */
  oomKilled: boolean;
}

/** What `updateLive` may change on a running container. */
export interface LiveChanges {
  restartPolicy?: "no" | "always" | "unless-stopped";
  memoryMB?: number;
  cpus?: number;
  pids?: number;
}

/** A container engine as the reconciler uses it. */
export interface ContainerRuntime {
  /** Containers labelled as ours (all, or one pod's), in any state: one engine call. */
  listPodContainers(podId?: string): Promise<ObservedContainer[]>;
  /** One of our containers with its run history; undefined when it is gone. */
  inspectPodContainer(containerId: string): Promise<ContainerRunState | undefined>;
  /** Renames a container (live-safe); the new name must be free. */
  rename(containerId: string, name: string): Promise<void>;
  /** The tenant network `name`, created (labelled with `tenant`) when missing. */
  ensureNetwork(name: string, tenant: string): Promise<TenantNetwork>;
  /** Creates network, volume (if missing) and the container, writes files; does not start. */
  createPodContainer(request: PodContainerRequest): Promise<string>;
  /** Writes files into the volume mounted at `volumePath` of a container. */
  writeFiles(containerId: string, volumePath: string, files: RenderedFile[]): Promise<void>;
  /** Starts a container; fine if it already runs. */
  start(containerId: string): Promise<void>;
  /** Stops a container; fine if it is not running. */
  stop(containerId: string, timeoutSeconds: number): Promise<void>;
  /** Removes a container (forcefully); fine if it is gone. */
  remove(containerId: string): Promise<void>;
  /** Removes a volume; fine if it is gone. */
  removeVolume(name: string): Promise<void>;
  /** Removes a network; fine if it is gone. */
  removeNetwork(name: string): Promise<void>;
  /**
   * Our containers' events, until `signal` aborts; survives engine restarts.
   * `onConnected` is called each time the subscription is (re)established, so the caller
   * can resync everything it may have missed while it was down.
   */
  watchEvents(signal: AbortSignal, onConnected?: () => void): AsyncIterable<RuntimeEvent>;
  /**
   * One usage sample of a running container: about 1 s (the engine's CPU-percent window;
   * 2 s measured here), or at once with `instant` (CPU percent then 0: the caller computes
   * it from two samples' `cpuSeconds`).
   */
  usage(containerId: string, options?: { instant?: boolean }): Promise<ContainerUsage>;
  /** Bytes in each volume by name (slow: the engine walks them). */
  volumeSizes(): Promise<Map<string, number>>;
  /** Log lines of a container. */
  logs(
    containerId: string,
    options: { tail?: number; follow?: boolean; timestamps?: boolean; signal?: AbortSignal },
  ): AsyncIterable<RuntimeLogLine>;
  /**
   * The local image id of `image`, pulling it first if it is absent (where a registry
   * answers); ValidationError when it is not on the host and cannot be pulled.
   */
  ensureImage(image: string, signal?: AbortSignal): Promise<string>;
  /**
   * Checks, changing nothing, that `image` is on the host or that a registry has it (the
   * engine asks for its manifest): what a follower, which never pulls, can tell before
   * it stores a pod. ValidationError otherwise, as `ensureImage`.
   */
  checkImage(image: string): Promise<void>;
  /** A local image (by reference or id): its id and labels; undefined when absent. */
  inspectImage(image: string): Promise<ImageInfo | undefined>;
  /**
   * Runs `image` once on its own, with no network and no volume, to see that it starts
   * at all: `command` (the image's own when omitted) and `timeoutMs` to exit. Removes the
   * container again. `exitCode` is null when the process was still running at the end.
   */
  smokeRun(
    image: string,
    options: { command?: string[]; user?: string; timeoutMs: number },
  ): Promise<SmokeResult>;
  /**
   * Copies what directory `path` holds in container `from` into the same directory of
   * container `to` (either may be stopped or just created; owners and modes kept).
   */
  copyDirectory(from: string, to: string, path: string): Promise<void>;
  /**
   * Runs a command in a running container and returns its exit code and output (an
   * adapter's drain: OpenClaw's own CLI talks to its gateway from inside).
   */
  exec(containerId: string, command: string[], signal?: AbortSignal): Promise<ExecOutput>;
  /**
   * Every container on the engine, ours or not, in any state, as its inspect shows it
   * (read-only: what `migrate discover` scans).
   */
  listEngineContainers(): Promise<EngineContainer[]>;
  /**
   * One regular file of any container (running or not) through the archive API, changing
   * nothing; undefined when it is absent or not a regular file; ValidationError when it is
   * larger than `maxBytes`.
   */
  readContainerFile(
    containerId: string,
    path: string,
    maxBytes: number,
  ): Promise<Uint8Array | undefined>;
  /**
   * Changes a running container's restart policy or limits in place (the engine's update:
   * the process keeps running). A memory limit sets the swap limit to the same value.
   */
  updateLive(
    containerId: string,
    changes: LiveChanges,
  ): Promise<void>;
  /** Attaches a container to network `name` (live: the process keeps running). */
  connectNetwork(containerId: string, name: string): Promise<void>;
  /**
   * The container called `name`, if any, and whether it is ours (made or adopted by this
   * control plane): one inspect.
   */
  containerNamed(name: string): Promise<{ id: string; ours: boolean } | undefined>;
  /**
   * The address traffic through a container's published ports arrives from (the gateway
   * of its network; with several, the one the engine forwards published ports to).
   */
  publishedSource(containerId: string): Promise<string>;
  /** Removes every volume of the pod (all the copies upgrades made); fine if none. */
  removePodVolumes(podId: string): Promise<void>;
  /** Our tenant networks, by name and tenant label (one engine call). */
  listTenantNetworks(): Promise<{ name: string; tenant: string }[]>;
  /** Resolves when the engine answers. */
  ping(): Promise<void>;
}

/** What a drill's scratch container is made from. */
export interface ScratchContainerRequest {
  /** Container name (`agentpod-drill-<task>`). */
  name: string;
  /** Its own volume, made for it (removed with it). */
  volume: string;
  /** The task it belongs to (a label: what a restarted leader cleans up). */
  taskId: string;
  hostname: string;
  /** The pod's container spec: image, command, env, user, volume path, limits. */
  spec: ContainerSpec;
}

/**
 * What backups need beyond `ContainerRuntime`: pausing, streaming a directory out and a
 * tar in through the archive API, and scratch containers with no network for drills.
 * Implemented by the Docker runtime; tested against the real engine only.
 */
export interface BackupRuntime {
  /** Freezes every process of a running container (cgroup freezer). */
  pause(containerId: string): Promise<void>;
  /** Thaws it again; fine if it is not paused. */
  unpause(containerId: string): Promise<void>;
  /**
   * A path of a container (running or not) as a tar stream, not buffered; `dir/.` names
   * a directory's entries relative to it. Cancel the stream to stop early.
   */
  archiveStream(containerId: string, path: string): Promise<ReadableStream<Uint8Array>>;
  /** Extracts a tar stream into directory `path` of a container (owners and modes kept). */
  extractArchive(containerId: string, path: string, tar: ReadableStream<Uint8Array>): Promise<void>;
  /**
   * A container with no network on a new volume of its own, labelled with its task,
   * not started: where a drill boots an agent on a restored copy.
   */
  createScratchContainer(request: ScratchContainerRequest): Promise<string>;
  /** Whether a scratch container runs, and its last exit code; undefined when gone. */
  scratchState(containerId: string): Promise<{ running: boolean; exitCode: number } | undefined>;
  /** Scratch containers and volumes of drills (by task id) that are still there. */
  listScratch(): Promise<{ taskId: string; containerId?: string; volume?: string }[]>;
}
