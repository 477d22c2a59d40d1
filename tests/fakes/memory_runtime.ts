/**
 * `MemoryRuntime`: a `ContainerRuntime` kept in memory that behaves like `DockerRuntime`
 * on a real engine (tests/integration/runtime_contract_test.ts runs one suite against
 * both). Containers have 64-hex ids and engine-wide unique names, go created → running
 * → exited, and report the same events Docker does (`start`; `kill`, `die`, `stop` on a
 * stop; `die` 137 on a kill; `destroy`). Docker's restart policy (`unless-stopped`) is
 * modelled: a process that exits by itself (`crash`, or `exitAfter` on every start) is
 * `restarting` (with `restartCount` + 1 at once, as Docker counts it) for 100 ms doubling
 * per quick exit (reset after a 10 s run), then running again; a manual kill or stop is
 * never restarted, and a manual start resets the count. Several instances can share one engine (`forInstance`), each
 * seeing only the containers labelled with its instance id. Test helpers: `kill`,
 * `crash`, `exitAfter`, `addLog`, `readFile`, `hasVolume`, `hasNetwork`, and `calls`, a
 * counter of `ContainerRuntime` method calls. It does no I/O and runs no processes.
 * @module
 */
import type { RenderedFile } from "../../core/adapter.ts";
import {
  ConflictError,
  DockerApiError,
  NotFoundError,
  ValidationError,
} from "../../core/errors.ts";
import { LABELS, podLabels } from "../../core/naming.ts";
import type { EngineContainer } from "../../core/migration.ts";
import { ADOPTED_SPEC_HASH, AdoptedContainers } from "../../core/adopted.ts";
import type { ContainerState, ObservedContainer } from "../../core/planner.ts";
import type {
  ContainerRunState,
  ContainerRuntime,
  ContainerUsage,
  ExecOutput,
  ImageInfo,
  LiveChanges,
  PodContainerRequest,
  RuntimeEvent,
  RuntimeLogLine,
  SmokeResult,
  TenantNetwork,
} from "../../core/runtime.ts";

/** The methods of `ContainerRuntime`, as counted in `calls`. */
export type RuntimeMethod = keyof ContainerRuntime;

const METHODS: readonly RuntimeMethod[] = [
  "listPodContainers",
  "inspectPodContainer",
  "rename",
  "ensureNetwork",
  "createPodContainer",
  "writeFiles",
  "start",
  "stop",
  "remove",
  "removeVolume",
  "removeNetwork",
  "watchEvents",
  "usage",
  "logs",
  "ensureImage",
  "checkImage",
  "inspectImage",
  "smokeRun",
  "copyDirectory",
  "removePodVolumes",
  "listEngineContainers",
  "readContainerFile",
  "publishedSource",
  "containerNamed",
  "updateLive",
  "connectNetwork",
  "exec",
  "listTenantNetworks",
  "ping",
];

/** Exit code of a process ended by SIGTERM (what `stop` gives busybox under tini). */
const SIGTERM_EXIT = 143;
/** Exit code of a process ended by SIGKILL. */
const SIGKILL_EXIT = 137;

/** What the fake knows of an image besides its name. */
export interface ImageMeta {
  /** Its labels (`org.opencontainers.image.version`). */
  labels?: Record<string, string>;
  /** Its process exits by itself `ms` after every start, with `code`. */
  exitAfter?: { ms: number; code: number };
}

/** Settings of a `MemoryRuntime`. */
export interface MemoryRuntimeOptions {
  /** Containers adopted by pods (as main.ts shares it with the Docker runtime). */
  adopted?: AdoptedContainers;
  /** Control-plane instance whose containers this runtime sees (default `memory`). */
  instance?: string;
  /** Images present on the "host" (default `agentpod-fixture:1`). */
  images?: Iterable<string>;
  /** What `usage` reports for a running container (default 1.5 % CPU, 42 MiB). */
  usage?: ContainerUsage;
  /** Milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
  /** Runs `fn` after `ms` (default `setTimeout`); the restart policy's timer. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

/** Docker's first restart delay; it doubles per quick exit. */
const RESTART_DELAY_MS = 100;
/** A run at least this long resets the restart delay (Docker: 10 s). */
const RESTART_RESET_MS = 10_000;

interface MemoryContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  image: string;
  state: ContainerState;
  exitCode: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  restartCount: number;
  oomKilled: boolean;
  /** The next restart delay of the policy. */
  restartDelay: number;
  /** Cancels the policy's pending restart or the scripted exit. */
  cancelTimer?: () => void;
  /** The process exits by itself this long after every start (`exitAfter`). */
  exitAfter?: { ms: number; code: number };
  network: string;
  volume: string;
  volumePath: string;
  hostPort: number;
  logs: Required<RuntimeLogLine>[];
  /** Files written outside the volume, by absolute path. */
  ownFiles: Map<string, RenderedFile>;
  /** Wakes `logs({ follow: true })` readers. */
  logWaiters: Set<() => void>;
  /** What `updateLive` set. */
  limits?: { restartPolicy?: string; memoryMB?: number; cpus?: number; pids?: number };
  /** Networks joined with `connectNetwork`. */
  extraNetworks?: string[];
}

interface EngineEvent {
  action: string;
  container: MemoryContainer;
  exitCode?: number;
  signal?: string;
  time: number;
}

/** The state one engine holds; shared by every `MemoryRuntime` made by `forInstance`. */
class MemoryEngine {
  readonly containers = new Map<string, MemoryContainer>();
  /** Container id by name: names are unique engine-wide. */
  readonly names = new Map<string, string>();
  /** Container id by host port, for running containers (a port binds once). */
  readonly boundPorts = new Map<number, string>();
  readonly volumes = new Map<
    string,
    { labels: Record<string, string>; files: Map<string, RenderedFile> }
  >();
  readonly networks = new Map<string, { labels: Record<string, string>; gateway: string }>();
  readonly images: Set<string>;
  /** Labels and behaviour of images added with `addImage`. */
  readonly imageMeta = new Map<string, ImageMeta>();
  readonly listeners = new Set<(event: EngineEvent) => void>();
  /** Containers someone else made (`addForeign`), with their files by absolute path. */
  readonly foreign = new Map<string, { container: EngineContainer; files: Map<string, string> }>();
  readonly usage: ContainerUsage;
  readonly now: () => number;
  readonly schedule: (fn: () => void, ms: number) => () => void;

  constructor(options: MemoryRuntimeOptions) {
    this.images = new Set(options.images ?? ["agentpod-fixture:1"]);
    this.usage = options.usage ?? { cpu: 1.5, memoryMB: 42, cpuSeconds: 3 };
    this.now = options.now ?? Date.now;
    this.schedule = options.schedule ?? ((fn, ms) => {
      const id = setTimeout(fn, ms);
      return () => clearTimeout(id);
    });
  }

  /** The reference of a local image given by reference or by id. */
  resolveImage(image: string): string | undefined {
    if (this.images.has(image)) return image;
    for (const ref of this.images) if (imageId(ref) === image) return ref;
    return undefined;
  }

  /** By id or name, as the engine resolves them. */
  find(idOrName: string): MemoryContainer | undefined {
    return this.containers.get(idOrName) ??
      this.containers.get(this.names.get(idOrName) ?? "");
  }

  container(idOrName: string): MemoryContainer {
    const container = this.find(idOrName);
    if (!container) throw new NotFoundError(`No such container: ${idOrName}`);
    return container;
  }

  emit(container: MemoryContainer, action: string, exitCode?: number, signal?: string): void {
    const event: EngineEvent = { action, container, exitCode, signal, time: this.now() };
    for (const listener of this.listeners) listener(event);
  }

  /** Ends the container's process by hand: `kill` then `die`; no policy restart. */
  terminate(container: MemoryContainer, exitCode: number): void {
    container.cancelTimer?.();
    container.cancelTimer = undefined;
    const wasRunning = container.state === "running";
    container.state = "exited";
    if (!wasRunning) return; // restarting: the policy's restart is simply cancelled
    container.exitCode = exitCode;
    container.finishedAt = this.now();
    this.boundPorts.delete(container.hostPort);
    // A stop asks with SIGTERM first (`kill` 15); a kill sends SIGKILL (`kill` 9) alone.
    if (exitCode === SIGTERM_EXIT) this.emit(container, "kill", undefined, "15");
    else this.emit(container, "kill", undefined, "9");
    this.emit(container, "die", exitCode);
    for (const wake of container.logWaiters) wake();
  }

  /** Runs the process: state, port, `start` event, and a scripted exit if any. */
  run(container: MemoryContainer): void {
    container.state = "running";
    container.exitCode = 0;
    container.oomKilled = false;
    container.startedAt = this.now();
    this.boundPorts.set(container.hostPort, container.id);
    this.emit(container, "start");
    const script = container.exitAfter;
    if (script) {
      container.cancelTimer = this.schedule(() => {
        container.cancelTimer = undefined;
        this.exit(container, script.code, false);
      }, script.ms);
    }
  }

  /** The process exits by itself: `die` (after `oom`), then the restart policy acts. */
  exit(container: MemoryContainer, exitCode: number, oom: boolean): void {
    if (container.state !== "running") return;
    container.cancelTimer?.();
    const ranFor = this.now() - (container.startedAt ?? this.now());
    if (ranFor >= RESTART_RESET_MS) container.restartDelay = RESTART_DELAY_MS;
    container.state = "restarting";
    container.restartCount++; // Docker counts the restart as it decides on it
    container.exitCode = exitCode;
    container.oomKilled = oom;
    container.finishedAt = this.now();
    this.boundPorts.delete(container.hostPort);
    if (oom) this.emit(container, "oom");
    this.emit(container, "die", exitCode);
    for (const wake of container.logWaiters) wake();
    const delay = container.restartDelay;
    container.restartDelay = Math.min(delay * 2, 60_000);
    container.cancelTimer = this.schedule(() => {
      container.cancelTimer = undefined;
      if (container.state !== "restarting" || !this.containers.has(container.id)) return;
      this.run(container);
    }, delay);
  }
}

/** Engines handed from `forInstance` to the constructor, keyed by its options object. */
const sharedEngines = new WeakMap<MemoryRuntimeOptions, MemoryEngine>();

/** An in-memory container engine seen through one control-plane instance. */
export class MemoryRuntime implements ContainerRuntime {
  /** How often each `ContainerRuntime` method was called on this runtime. */
  readonly calls: Record<RuntimeMethod, number>;
  readonly #engine: MemoryEngine;
  readonly #instance: string;
  readonly #adopted: AdoptedContainers;

  /** A new, empty engine seen as `options.instance`. */
  constructor(options: MemoryRuntimeOptions = {}) {
    this.#engine = sharedEngines.get(options) ?? new MemoryEngine(options);
    this.#instance = options.instance ?? "memory";
    this.#adopted = options.adopted ?? new AdoptedContainers();
    this.calls = Object.fromEntries(METHODS.map((m) => [m, 0])) as Record<RuntimeMethod, number>;
  }

  /** Another control plane on the same engine (same containers, names and volumes). */
  forInstance(instance: string): MemoryRuntime {
    const options = { instance };
    sharedEngines.set(options, this.#engine);
    return new MemoryRuntime(options);
  }

  /** All calls counted so far. */
  totalCalls(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }

  /** Sets every call counter to zero. */
  resetCalls(): void {
    for (const method of METHODS) this.calls[method] = 0;
  }

  /** @inheritdoc */
  listPodContainers(podId?: string): Promise<ObservedContainer[]> {
    this.calls.listPodContainers++;
    const rows: ObservedContainer[] = [];
    for (const c of this.#engine.containers.values()) {
      const pod = this.#podOf(c);
      if (!pod || (podId !== undefined && pod !== podId)) continue;
      rows.push(this.#row(c, pod));
    }
    // Docker lists the newest first.
    return Promise.resolve(rows.reverse());
  }

  /** @inheritdoc */
  inspectPodContainer(containerId: string): Promise<ContainerRunState | undefined> {
    this.calls.inspectPodContainer++;
    const c = this.#engine.find(containerId);
    const pod = c && this.#podOf(c);
    if (!c || !pod) return Promise.resolve(undefined);
    return Promise.resolve({
      ...this.#row(c, pod),
      restartCount: c.restartCount,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
      exitCode: c.exitCode,
      oomKilled: c.oomKilled,
    });
  }

  /** @inheritdoc */
  rename(containerId: string, name: string): Promise<void> {
    this.calls.rename++;
    return settle(() => {
      const c = this.#engine.container(containerId);
      if (c.name === name) return;
      const taken = this.#engine.names.get(name);
      if (taken) {
        throw new ConflictError(
          `Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${taken}"`,
        );
      }
      this.#engine.names.delete(c.name);
      this.#engine.names.set(name, c.id);
      c.name = name;
    });
  }

  /** @inheritdoc */
  ensureNetwork(name: string, tenant: string): Promise<TenantNetwork> {
    this.calls.ensureNetwork++;
    return Promise.resolve(this.#network(name, tenant));
  }

  #network(name: string, tenant: string): TenantNetwork {
    const engine = this.#engine;
    let network = engine.networks.get(name);
    if (!network) {
      // Docker hands out 172.17+.0.0/16 bridges; the fake numbers them the same way.
      const gateway = `172.${18 + engine.networks.size}.0.1`;
      network = {
        labels: {
          [LABELS.managed]: "true",
          [LABELS.instance]: this.#instance,
          [LABELS.tenant]: tenant,
        },
        gateway,
      };
      engine.networks.set(name, network);
    }
    return { id: `net-${name}`, gateway: network.gateway };
  }

  /** @inheritdoc */
  async createPodContainer(request: PodContainerRequest): Promise<string> {
    this.calls.createPodContainer++;
    const engine = this.#engine;
    const owned = { [LABELS.managed]: "true", [LABELS.instance]: this.#instance };
    this.#network(request.network, request.tenant);
    if (!engine.volumes.has(request.volume)) {
      engine.volumes.set(request.volume, {
        labels: { ...owned, [LABELS.pod]: request.podId, [LABELS.tenant]: request.tenant },
        files: new Map(),
      });
    }
    const { spec } = request;
    const imageRef = engine.resolveImage(spec.image);
    if (!imageRef) throw new NotFoundError(`No such image: ${spec.image}`);
    const taken = engine.names.get(request.containerName);
    if (taken) {
      throw new ConflictError(
        `Conflict. The container name "/${request.containerName}" is already in use by container "${taken}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const id = randomId();
    engine.names.set(request.containerName, id);
    engine.containers.set(id, {
      ...createdContainer(engine, {
        id,
        name: request.containerName,
        labels: podLabels(
          { id: request.podId, tenant: request.tenant, name: request.pod },
          request.specHash,
          this.#instance,
        ),
        image: spec.image,
        network: request.network,
        volume: request.volume,
        volumePath: spec.volumePath,
        hostPort: request.hostPort,
      }),
      ...(engine.imageMeta.get(imageRef)?.exitAfter
        ? { exitAfter: engine.imageMeta.get(imageRef)!.exitAfter }
        : {}),
    });
    if (request.files.length > 0) await this.#write(id, spec.volumePath, request.files);
    return id;
  }

  /** @inheritdoc */
  writeFiles(containerId: string, volumePath: string, files: RenderedFile[]): Promise<void> {
    this.calls.writeFiles++;
    return this.#write(containerId, volumePath, files);
  }

  /** @inheritdoc */
  start(containerId: string): Promise<void> {
    this.calls.start++;
    return settle(() => {
      const c = this.#engine.container(containerId);
      if (c.state === "running") return;
      if (c.state === "restarting") c.cancelTimer?.(); // a manual start wins
      if (this.#engine.boundPorts.has(c.hostPort)) {
        throw new DockerApiError(
          500,
          `driver failed programming external connectivity on endpoint ${c.name}: Bind for 127.0.0.1:${c.hostPort} failed: port is already allocated`,
        );
      }
      // A manual start resets the policy's count and delay, as Docker does.
      c.restartCount = 0;
      c.restartDelay = RESTART_DELAY_MS;
      this.#engine.run(c);
    });
  }

  /** @inheritdoc */
  stop(containerId: string, _timeoutSeconds: number): Promise<void> {
    this.calls.stop++;
    return settle(() => {
      const c = this.#engine.find(containerId);
      if (c?.state === "restarting") return this.#engine.terminate(c, SIGTERM_EXIT);
      if (c?.state !== "running") return;
      this.#engine.terminate(c, SIGTERM_EXIT);
      this.#engine.emit(c, "stop");
    });
  }

  /** @inheritdoc */
  remove(containerId: string): Promise<void> {
    this.calls.remove++;
    return settle(() => {
      const c = this.#engine.find(containerId);
      if (!c) return;
      if (c.state === "running" || c.state === "restarting") {
        this.#engine.terminate(c, SIGKILL_EXIT);
      }
      this.#engine.containers.delete(c.id);
      this.#engine.names.delete(c.name);
      this.#engine.emit(c, "destroy");
    });
  }

  /** @inheritdoc */
  removeVolume(name: string): Promise<void> {
    this.calls.removeVolume++;
    return settle(() => {
      if (!this.#engine.volumes.has(name)) return;
      const users = [...this.#engine.containers.values()].filter((c) => c.volume === name);
      if (users.length > 0) {
        throw new ConflictError(
          `remove ${name}: volume is in use - [${users.map((c) => c.id).join(", ")}]`,
        );
      }
      this.#engine.volumes.delete(name);
    });
  }

  /** @inheritdoc */
  removeNetwork(name: string): Promise<void> {
    this.calls.removeNetwork++;
    return settle(() => {
      if (!this.#engine.networks.has(name)) return;
      // Only running containers are endpoints; stopped ones do not keep a network alive.
      const containers = [...this.#engine.containers.values()];
      if (containers.some((c) => c.network === name && c.state === "running")) {
        throw new DockerApiError(
          403,
          `error while removing network: network ${name} has active endpoints`,
        );
      }
      this.#engine.networks.delete(name);
    });
  }

  /** @inheritdoc */
  watchEvents(signal: AbortSignal, onConnected?: () => void): AsyncIterable<RuntimeEvent> {
    this.calls.watchEvents++;
    return this.#watch(signal, onConnected);
  }

  /** @inheritdoc */
  usage(containerId: string, _options?: { instant?: boolean }): Promise<ContainerUsage> {
    this.calls.usage++;
    return settle(() => {
      const c = this.#engine.container(containerId);
      // The engine answers for a stopped container too, with zero use.
      return c.state === "running"
        ? { ...this.#engine.usage }
        : { cpu: 0, memoryMB: 0, cpuSeconds: 0 };
    });
  }

  /** @inheritdoc */
  volumeSizes(): Promise<Map<string, number>> {
    return settle(() => new Map([...this.#engine.volumes.keys()].map((name) => [name, 0])));
  }

  /** @inheritdoc */
  logs(
    containerId: string,
    options: { tail?: number; follow?: boolean; timestamps?: boolean; signal?: AbortSignal },
  ): AsyncIterable<RuntimeLogLine> {
    this.calls.logs++;
    return this.#logs(containerId, options);
  }

  /** @inheritdoc */
  ensureImage(image: string, _signal?: AbortSignal): Promise<string> {
    this.calls.ensureImage++;
    return settle(() => this.#localImage(image));
  }

  /** The id of an image on the "host"; no registry has the others. */
  #localImage(image: string): string {
    if (this.#engine.resolveImage(image)) return imageId(this.#engine.resolveImage(image)!);
    const repository = image.split(":")[0];
    throw new ValidationError(
      `Image "${image}" is not on this host and cannot be pulled: pull access denied for ${repository}`,
    );
  }

  /** @inheritdoc */
  async checkImage(image: string): Promise<void> {
    this.calls.checkImage++;
    await settle(() => this.#localImage(image));
  }

  /** @inheritdoc */
  listTenantNetworks(): Promise<{ name: string; tenant: string }[]> {
    this.calls.listTenantNetworks++;
    const rows = [...this.#engine.networks].flatMap(([name, n]) =>
      n.labels[LABELS.instance] === this.#instance && n.labels[LABELS.tenant]
        ? [{ name, tenant: n.labels[LABELS.tenant]! }]
        : []
    );
    return Promise.resolve(rows);
  }

  /** @inheritdoc */
  ping(): Promise<void> {
    this.calls.ping++;
    return Promise.resolve();
  }

  // ---- test helpers (not counted in `calls`) ----

  /** Kills a running container as `docker kill` does: exited, code 137, `kill` + `die`. */
  kill(containerId: string): void {
    const c = this.#engine.container(containerId);
    if (c.state !== "running") {
      throw new ConflictError(`Cannot kill container: ${containerId}: container is not running`);
    }
    this.#engine.terminate(c, SIGKILL_EXIT);
  }

  /**
   * The container's process exits by itself (a crash, or the OOM killer with `oom`):
   * Docker's restart policy brings it back after its delay.
   */
  crash(containerId: string, exitCode = 1, options: { oom?: boolean } = {}): void {
    const c = this.#engine.container(containerId);
    if (c.state !== "running") {
      throw new ConflictError(`Cannot crash container ${containerId}: it is ${c.state}`);
    }
    this.#engine.exit(c, exitCode, options.oom ?? false);
  }

  /** From now on the process exits with `code` `ms` after every start (a crash loop). */
  exitAfter(containerId: string, ms: number, code = 1): void {
    const c = this.#engine.container(containerId);
    c.exitAfter = { ms, code };
    if (c.state === "running" && !c.cancelTimer) {
      c.cancelTimer = this.#engine.schedule(() => {
        c.cancelTimer = undefined;
        this.#engine.exit(c, code, false);
      }, ms);
    }
  }

  /** Ends a crash loop set by `exitAfter` (a fixed image, say). */
  stopExiting(containerId: string): void {
    const c = this.#engine.container(containerId);
    c.exitAfter = undefined;
  }

  /** Records a line the container's process printed. */
  addLog(containerId: string, stream: "stdout" | "stderr", text: string): void {
    const c = this.#engine.container(containerId);
    c.logs.push({ stream, text, time: new Date(this.#engine.now()).toISOString() });
    for (const wake of c.logWaiters) wake();
  }

  /** A file in the volume mounted in `containerId`, by path relative to the mount. */
  readFile(containerId: string, path: string): RenderedFile | undefined {
    const c = this.#engine.container(containerId);
    return this.#engine.volumes.get(c.volume)?.files.get(path);
  }

  /**
   * A container made by someone else (by hand, compose, `openclaw fleet`): listed by
   * `listEngineContainers` with its files readable, never among our pod containers.
   */
  addForeign(container: EngineContainer, files: Record<string, string> = {}): void {
    const engine = this.#engine;
    engine.names.set(container.name, container.id);
    engine.foreign.set(container.id, { container, files: new Map(Object.entries(files)) });
    const mount = container.mounts[0];
    const c = createdContainer(engine, {
      id: container.id,
      name: container.name,
      labels: container.labels,
      image: container.image,
      network: container.networks[0] ?? "bridge",
      volume: mount?.name ?? "",
      volumePath: mount?.destination ?? "/",
      hostPort: container.published[0]?.hostPort ?? 0,
    });
    engine.containers.set(c.id, c);
    if (container.state === "running") engine.run(c);
  }

  /** @inheritdoc */
  listEngineContainers(): Promise<EngineContainer[]> {
    this.calls.listEngineContainers++;
    const made = [...this.#engine.containers.values()].filter((c) =>
      !this.#engine.foreign.has(c.id)
    );
    const ours = made.map((c): EngineContainer => ({
      id: c.id,
      name: c.name,
      image: c.image,
      imageId: imageId(c.image),
      state: c.state,
      pid: c.state === "running" ? 1 : 0,
      startedAt: new Date(c.startedAt ?? 0).toISOString(),
      restartCount: c.restartCount,
      command: [],
      env: {},
      labels: c.labels,
      exposedPorts: [],
      published: [{ containerPort: 0, hostIp: "127.0.0.1", hostPort: c.hostPort }],
      hostname: c.name,
      networks: [c.network],
      restartPolicy: "unless-stopped",
      autoRemove: false,
      memoryBytes: 0,
      nanoCpus: 0,
      pidsLimit: null,
      mounts: [{
        type: "volume",
        source: c.volume,
        name: c.volume,
        destination: c.volumePath,
        rw: true,
      }],
    }));
    const theirs = [...this.#engine.foreign.values()].filter((f) =>
      this.#engine.containers.has(f.container.id)
    ).map((f) => {
      const live = this.#engine.containers.get(f.container.id);
      return {
        ...structuredClone(f.container),
        ...(live
          ? {
            name: live.name,
            state: live.state,
            pid: live.state === "running" ? 1 : 0,
            restartCount: live.restartCount,
            startedAt: new Date(live.startedAt ?? 0).toISOString(),
            restartPolicy: live.limits?.restartPolicy ?? f.container.restartPolicy,
            memoryBytes: live.limits?.memoryMB !== undefined
              ? live.limits.memoryMB * 1024 * 1024
              : f.container.memoryBytes,
            nanoCpus: live.limits?.cpus !== undefined
              ? Math.round(live.limits.cpus * 1e9)
              : f.container.nanoCpus,
            pidsLimit: live.limits?.pids ?? f.container.pidsLimit,
            networks: [...f.container.networks, ...(live.extraNetworks ?? [])],
          }
          : {}),
      };
    });
    return Promise.resolve([...ours, ...theirs]);
  }

  /** @inheritdoc */
  updateLive(
    containerId: string,
    changes: LiveChanges,
  ): Promise<void> {
    this.calls.updateLive++;
    return settle(() => {
      const c = this.#engine.container(containerId);
      const live = this.#engine.usage.memoryMB;
      // cgroup v1 refuses a limit below what the container uses now (FACTS.md).
      if (changes.memoryMB !== undefined && changes.memoryMB < live && c.state === "running") {
        throw new DockerApiError(
          500,
          "Cannot update container: Minimum memory limit can not be less than memory usage",
        );
      }
      c.limits = { ...c.limits, ...changes };
    });
  }

  /** @inheritdoc */
  connectNetwork(containerId: string, name: string): Promise<void> {
    this.calls.connectNetwork++;
    return settle(() => {
      const c = this.#engine.container(containerId);
      if (!this.#engine.networks.has(name)) throw new NotFoundError(`network ${name} not found`);
      c.extraNetworks = [...(c.extraNetworks ?? []), name];
    });
  }

  /** @inheritdoc */
  containerNamed(name: string): Promise<{ id: string; ours: boolean } | undefined> {
    this.calls.containerNamed++;
    const id = this.#engine.names.get(name);
    const c = id === undefined ? undefined : this.#engine.containers.get(id);
    return Promise.resolve(c && { id: c.id, ours: this.#podOf(c) !== undefined });
  }

  /** @inheritdoc */
  publishedSource(containerId: string): Promise<string> {
    this.calls.publishedSource++;
    const foreign = this.#engine.foreign.get(containerId);
    if (foreign) return Promise.resolve("172.17.0.1");
    const c = this.#engine.container(containerId);
    return Promise.resolve(this.#engine.networks.get(c.network)?.gateway ?? "172.17.0.1");
  }

  /** @inheritdoc */
  readContainerFile(
    containerId: string,
    path: string,
    maxBytes: number,
  ): Promise<Uint8Array | undefined> {
    this.calls.readContainerFile++;
    const foreign = this.#engine.foreign.get(containerId);
    let content: string | undefined;
    if (foreign) {
      content = foreign.files.get(path);
    } else {
      const c = this.#engine.find(containerId);
      if (!c) return Promise.resolve(undefined);
      const base = c.volumePath.replace(/\/$/, "");
      content = path.startsWith(`${base}/`)
        ? this.#engine.volumes.get(c.volume)?.files.get(path.slice(base.length + 1))?.content
        : c.ownFiles.get(path)?.content;
    }
    if (content === undefined) return Promise.resolve(undefined);
    const bytes = new TextEncoder().encode(content);
    if (bytes.length > maxBytes) {
      return Promise.reject(
        new ValidationError(`Cannot read "${path}": ${bytes.length} bytes, over ${maxBytes}`),
      );
    }
    return Promise.resolve(bytes);
  }

  /** Whether the engine has this volume. */
  hasVolume(name: string): boolean {
    return this.#engine.volumes.has(name);
  }

  /** Whether the engine has this network. */
  hasNetwork(name: string): boolean {
    return this.#engine.networks.has(name);
  }

  /**
   * Adds an image to the host, as a pull or a build would: with `labels`, and with
   * `exitAfter` a process that exits by itself that long after every start (a broken
   * release; a smoke run sees it exit when that is within its time).
   */
  addImage(image: string, meta: ImageMeta = {}): void {
    this.#engine.images.add(image);
    this.#engine.imageMeta.set(image, meta);
  }

  /** @inheritdoc */
  inspectImage(image: string): Promise<ImageInfo | undefined> {
    this.calls.inspectImage++;
    const ref = this.#engine.resolveImage(image);
    if (!ref) return Promise.resolve(undefined);
    return Promise.resolve({
      id: imageId(ref),
      labels: this.#engine.imageMeta.get(ref)?.labels ?? {},
    });
  }

  /** @inheritdoc */
  smokeRun(
    image: string,
    options: { command?: string[]; user?: string; timeoutMs: number },
  ): Promise<SmokeResult> {
    this.calls.smokeRun++;
    return settle(() => {
      const ref = this.#engine.resolveImage(image);
      if (!ref) throw new NotFoundError(`No such image: ${image}`);
      const exit = this.#engine.imageMeta.get(ref)?.exitAfter;
      return exit && exit.ms <= options.timeoutMs
        ? { exitCode: exit.code, logs: [`exiting with ${exit.code}`] }
        : { exitCode: options.command ? 0 : null, logs: [] };
    });
  }

  /** @inheritdoc */
  copyDirectory(from: string, to: string, path: string): Promise<void> {
    this.calls.copyDirectory++;
    return settle(() => {
      const source = this.#engine.container(from);
      const target = this.#engine.container(to);
      if (source.volumePath !== path || target.volumePath !== path) {
        throw new NotFoundError(`Could not find the file ${path} in container ${from}`);
      }
      const files = this.#engine.volumes.get(source.volume)?.files ?? new Map();
      const into = this.#engine.volumes.get(target.volume)!;
      for (const [name, file] of files) into.files.set(name, { ...file });
    });
  }

  /**
   * Runs `echo` (its arguments, as the shell would print them) and whatever
   * `execHandler` answers; anything else is not found, as in Docker (exit 126: the OCI
   * runtime cannot start it).
   */
  exec(containerId: string, command: string[], _signal?: AbortSignal): Promise<ExecOutput> {
    this.calls.exec++;
    return settle(() => {
      const c = this.#engine.container(containerId);
      if (c.state !== "running") {
        throw new ConflictError(`Container ${containerId} is not running`);
      }
      const handled = this.execHandler?.(command);
      if (handled) return handled;
      if (command[0] === "echo") {
        return { exitCode: 0, stdout: `${command.slice(1).join(" ")}\n`, stderr: "" };
      }
      return {
        exitCode: 126,
        stdout: "",
        stderr: `OCI runtime exec failed: exec failed: exec: "${
          command[0]
        }": executable file not found in $PATH: unknown`,
      };
    });
  }

  /** Answers commands `exec` runs (a test's model of the agent's CLI); undefined: not handled. */
  execHandler?: (command: string[]) => ExecOutput | undefined;

  /** @inheritdoc */
  removePodVolumes(podId: string): Promise<void> {
    this.calls.removePodVolumes++;
    for (const [name, volume] of this.#engine.volumes) {
      if (
        volume.labels[LABELS.pod] === podId && volume.labels[LABELS.instance] === this.#instance
      ) {
        this.#engine.volumes.delete(name);
      }
    }
    return Promise.resolve();
  }

  #owns(c: MemoryContainer): boolean {
    return c.labels[LABELS.instance] === this.#instance;
  }

  /** The pod of one of our containers (by label) or of an adopted one (by id). */
  #podOf(c: MemoryContainer): string | undefined {
    return this.#owns(c) ? c.labels[LABELS.pod] : this.#adopted.podOf(c.id);
  }

  #row(c: MemoryContainer, podId: string): ObservedContainer {
    return this.#owns(c)
      ? listRow(c, podId)
      : { ...listRow(c, podId), specHash: ADOPTED_SPEC_HASH, adopted: true };
  }

  #write(containerId: string, volumePath: string, files: RenderedFile[]): Promise<void> {
    return settle(() => {
      const c = this.#engine.container(containerId);
      const volume = this.#engine.volumes.get(c.volume);
      for (const file of files) {
        const copy = { ...file };
        if (volume && volumePath === c.volumePath) volume.files.set(file.path, copy);
        else c.ownFiles.set(`${volumePath.replace(/\/$/, "")}/${file.path}`, copy);
      }
    });
  }

  async *#watch(signal: AbortSignal, onConnected?: () => void): AsyncGenerator<RuntimeEvent> {
    const queue: RuntimeEvent[] = [];
    let wake: (() => void) | undefined;
    const listener = (event: EngineEvent) => {
      const podId = this.#podOf(event.container);
      if (!podId) return;
      queue.push({
        action: event.action,
        podId,
        containerId: event.container.id,
        exitCode: event.exitCode,
        ...(event.signal === undefined ? {} : { signal: event.signal }),
        time: event.time,
      });
      wake?.();
    };
    const onAbort = () => wake?.();
    this.#engine.listeners.add(listener);
    signal.addEventListener("abort", onAbort);
    onConnected?.();
    try {
      while (!signal.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.#engine.listeners.delete(listener);
      signal.removeEventListener("abort", onAbort);
    }
  }

  async *#logs(
    containerId: string,
    options: { tail?: number; follow?: boolean; timestamps?: boolean; signal?: AbortSignal },
  ): AsyncGenerator<RuntimeLogLine> {
    const c = this.#engine.container(containerId);
    const line = (l: Required<RuntimeLogLine>): RuntimeLogLine =>
      options.timestamps ? { ...l } : { stream: l.stream, text: l.text };
    let next = options.tail === undefined ? 0 : Math.max(0, c.logs.length - options.tail);
    while (true) {
      while (next < c.logs.length) yield line(c.logs[next++]!);
      // Like Docker, following ends when the container stops (or the reader aborts).
      if (!options.follow || c.state !== "running" || options.signal?.aborted) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          c.logWaiters.delete(done);
          options.signal?.removeEventListener("abort", done);
          resolve();
        };
        c.logWaiters.add(done);
        options.signal?.addEventListener("abort", done);
      });
    }
  }
}

/** Runs `fn` now and reports its outcome as a promise, as an engine call would. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A container as the engine's list shows it. */
/** A container as `create` leaves it: never started, no run history. */
function createdContainer(
  engine: MemoryEngine,
  fields: Pick<
    MemoryContainer,
    "id" | "name" | "labels" | "image" | "network" | "volume" | "volumePath" | "hostPort"
  >,
): MemoryContainer {
  return {
    ...fields,
    state: "created",
    exitCode: 0,
    startedAt: null,
    finishedAt: null,
    restartCount: 0,
    oomKilled: false,
    restartDelay: RESTART_DELAY_MS,
    // The engine reports creation times in whole seconds.
    createdAt: Math.floor(engine.now() / 1000) * 1000,
    logs: [],
    ownFiles: new Map(),
    logWaiters: new Set(),
  };
}

function listRow(c: MemoryContainer, podId: string): ObservedContainer {
  return {
    id: c.id,
    name: c.name,
    podId,
    specHash: c.labels[LABELS.specHash] ?? "",
    state: c.state,
    createdAt: c.createdAt,
  };
}

/** A stable fake image id for a reference. */
function imageId(image: string): string {
  let hash = 0;
  for (const ch of image) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `sha256:${hash.toString(16).padStart(8, "0").repeat(8)}`;
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
