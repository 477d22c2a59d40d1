/**
 * `ContainerRuntime` on the Docker Engine: turns a pod's rendered container into a
 * hardened container (init, all capabilities dropped, no-new-privileges, limits, the
 * port published on 127.0.0.1 only, restart unless-stopped, one bridge network per
 * tenant) and reports our containers and their events in domain terms.
 * @module
 */
import {
  ConflictError,
  errorMessage,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from "../../core/errors.ts";
import type { RenderedFile } from "../../core/adapter.ts";
import { ADOPTED_SPEC_HASH, AdoptedContainers } from "../../core/adopted.ts";
import { LABELS, podLabels } from "../../core/naming.ts";
import type { EngineContainer } from "../../core/migration.ts";
import type { ContainerState, ObservedContainer } from "../../core/planner.ts";
import type {
  BackupRuntime,
  ContainerRunState,
  ContainerRuntime,
  ContainerUsage,
  ExecOutput,
  ImageInfo,
  LiveChanges,
  PodContainerRequest,
  RuntimeEvent,
  RuntimeLogLine,
  ScratchContainerRequest,
  SmokeResult,
  TenantNetwork,
} from "../../core/runtime.ts";
import type { DockerClient } from "./client.ts";
import type { ContainerCreateRequest } from "./container_types.ts";
import type { Network } from "./networks.ts";
import { lookupNetworkGateway } from "./network_gateway.ts";
import { summarizeStats } from "./stats.ts";
import { readTar } from "./tar.ts";
import { toEngineContainer } from "./engine_container.ts";

const WATCHED_ACTIONS = ["die", "oom", "destroy", "start", "stop", "kill"];

/** Builds the engine's create request for a pod (exported for tests). */
export function containerCreateRequest(
  request: PodContainerRequest,
  instance: string,
): ContainerCreateRequest {
  const { spec } = request;
  const port = `${spec.port}/tcp`;
  return {
    Image: spec.image,
    Cmd: spec.command,
    Env: Object.entries(spec.env).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) =>
      `${k}=${v}`
    ),
    User: spec.user,
    Hostname: request.hostname,
    Labels: podLabels(
      { id: request.podId, tenant: request.tenant, name: request.pod },
      request.specHash,
      instance,
    ),
    ExposedPorts: { [port]: {} },
    HostConfig: {
      ...hardening(spec),
      RestartPolicy: { Name: "unless-stopped" },
      PortBindings: { [port]: [{ HostIp: "127.0.0.1", HostPort: String(request.hostPort) }] },
      Mounts: [{ Type: "volume", Source: request.volume, Target: spec.volumePath }],
      NetworkMode: request.network,
    },
  };
}

/** What every agent container runs with: an init, no capabilities, the spec's limits. */
function hardening(spec: PodContainerRequest["spec"]) {
  return {
    Init: true,
    CapDrop: ["ALL"],
    SecurityOpt: ["no-new-privileges"],
    PidsLimit: spec.resources.pids,
    Memory: spec.resources.memoryMB * 1024 * 1024,
    // No swap beyond the limit: an agent over its memory is killed, not slowed to a crawl.
    MemorySwap: spec.resources.memoryMB * 1024 * 1024,
    NanoCpus: Math.round(spec.resources.cpus * 1e9),
  };
}

/** The Docker Engine as a `ContainerRuntime`. */
export class DockerRuntime implements ContainerRuntime, BackupRuntime {
  readonly #docker: DockerClient;
  readonly #instance: string;
  readonly #owned: string;
  readonly #networks = new Map<string, Promise<TenantNetwork>>();
  readonly #adopted: AdoptedContainers;

  /**
   * Uses (and does not own) `docker`; sees only containers of control plane `instance`,
   * and the containers `adopted` says its pods adopted (they carry no label of ours).
   */
  constructor(
    docker: DockerClient,
    instance: string,
    adopted: AdoptedContainers = new AdoptedContainers(),
  ) {
    this.#docker = docker;
    this.#instance = instance;
    this.#owned = `${LABELS.instance}=${instance}`;
    this.#adopted = adopted;
  }

  /** @inheritdoc */
  async listPodContainers(podId?: string): Promise<ObservedContainer[]> {
    const label = podId === undefined ? [this.#owned] : [this.#owned, `${LABELS.pod}=${podId}`];
    const adopted = this.#adopted.containers(podId);
    const [rows, adoptedRows] = await Promise.all([
      this.#docker.containers.list({ all: true, filters: { label } }),
      adopted.length === 0
        ? Promise.resolve([])
        : this.#docker.containers.list({ all: true, filters: { id: adopted } }),
    ]);
    const made = rows.flatMap((row) => {
      const podId = row.Labels[LABELS.pod];
      if (!podId) return [];
      return [{
        id: row.Id,
        name: (row.Names[0] ?? "").replace(/^\//, ""),
        podId,
        specHash: row.Labels[LABELS.specHash] ?? "",
        state: row.State as ContainerState,
        createdAt: row.Created * 1000,
      }];
    });
    // The id filter matches prefixes too: keep exact ids only.
    const theirs = adoptedRows.flatMap((row) => {
      const podId = this.#adopted.podOf(row.Id);
      if (!podId) return [];
      return [{
        id: row.Id,
        name: (row.Names[0] ?? "").replace(/^\//, ""),
        podId,
        specHash: ADOPTED_SPEC_HASH,
        state: row.State as ContainerState,
        createdAt: row.Created * 1000,
        adopted: true,
      }];
    });
    return [...made, ...theirs];
  }

  /** @inheritdoc */
  async inspectPodContainer(containerId: string): Promise<ContainerRunState | undefined> {
    let row;
    try {
      row = await this.#docker.containers.inspect(containerId);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    const labels = row.Config.Labels ?? {};
    const adoptedBy = this.#adopted.podOf(row.Id);
    const podId = labels[LABELS.instance] === this.#instance ? labels[LABELS.pod] : adoptedBy;
    if (!podId) return undefined;
    return {
      id: row.Id,
      name: row.Name.replace(/^\//, ""),
      podId,
      specHash: adoptedBy ? ADOPTED_SPEC_HASH : labels[LABELS.specHash] ?? "",
      ...(adoptedBy ? { adopted: true } : {}),
      state: row.State.Status as ContainerState,
      createdAt: Date.parse(row.Created),
      restartCount: row.RestartCount,
      startedAt: engineTime(row.State.StartedAt),
      finishedAt: engineTime(row.State.FinishedAt),
      exitCode: row.State.ExitCode,
      oomKilled: row.State.OOMKilled,
    };
  }

  /** @inheritdoc */
  async rename(containerId: string, name: string): Promise<void> {
    await this.#docker.containers.rename(containerId, name);
  }

  /** @inheritdoc */
  async createPodContainer(request: PodContainerRequest): Promise<string> {
    const { id: networkId } = await this.ensureNetwork(request.network, request.tenant);
    await this.#docker.volumes.create({
      Name: request.volume,
      Labels: {
        [LABELS.managed]: "true",
        [LABELS.instance]: this.#instance,
        [LABELS.pod]: request.podId,
        [LABELS.tenant]: request.tenant,
      },
    });
    const create = containerCreateRequest(request, this.#instance);
    create.HostConfig = { ...create.HostConfig, NetworkMode: networkId };
    const { Id } = await this.#docker.containers.create(create, { name: request.containerName });
    await this.#ownVolumeRoot(Id, request.spec);
    if (request.files.length > 0) await this.writeFiles(Id, request.spec.volumePath, request.files);
    return Id;
  }

  /** Gives the volume's root to the spec's `volumeOwner`; removes the container on failure. */
  async #ownVolumeRoot(id: string, spec: PodContainerRequest["spec"]): Promise<void> {
    const owner = spec.volumeOwner;
    if (owner === undefined) return;
    // The volume's root is the mount point: its entry in the parent directory's
    // archive sets the owner (a "./" entry at the mount path would not).
    const at = spec.volumePath.replace(/\/+$/, "");
    const parent = at.slice(0, at.lastIndexOf("/")) || "/";
    const name = at.slice(at.lastIndexOf("/") + 1);
    try {
      await this.#docker.containers.putArchive(id, parent, [
        { name, type: "directory", mode: 0o755, uid: owner.uid, gid: owner.gid },
      ]);
    } catch (error) {
      // Never leave a container that would start with a volume its user cannot write.
      await this.#docker.containers.remove(id, { force: true }).catch(() => {});
      throw error;
    }
  }

  /** @inheritdoc */
  async pause(containerId: string): Promise<void> {
    await this.#docker.containers.pause(containerId);
  }

  /** @inheritdoc */
  async unpause(containerId: string): Promise<void> {
    try {
      await this.#docker.containers.unpause(containerId);
    } catch (error) {
      // "Container … is not paused" (409 or 500 by engine version): the wanted state.
      if (error instanceof ConflictError || /is not paused/i.test(errorMessage(error))) return;
      throw error;
    }
  }

  /** @inheritdoc */
  archiveStream(containerId: string, path: string): Promise<ReadableStream<Uint8Array>> {
    return this.#docker.containers.streamArchive(containerId, path);
  }

  /** @inheritdoc */
  async extractArchive(
    containerId: string,
    path: string,
    tar: ReadableStream<Uint8Array>,
  ): Promise<void> {
    await this.#docker.containers.putArchive(containerId, path, tar);
  }

  /** @inheritdoc */
  async createScratchContainer(request: ScratchContainerRequest): Promise<string> {
    const labels = {
      [LABELS.managed]: "true",
      [LABELS.instance]: this.#instance,
      [LABELS.drill]: request.taskId,
    };
    await this.#docker.volumes.create({ Name: request.volume, Labels: labels });
    const { spec } = request;
    const { Id } = await this.#docker.containers.create({
      Image: spec.image,
      Cmd: spec.command,
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      User: spec.user,
      Hostname: request.hostname,
      Labels: labels,
      HostConfig: {
        ...hardening(spec),
        Mounts: [{ Type: "volume", Source: request.volume, Target: spec.volumePath }],
        // A drill must never reach a customer's channels: no network at all.
        NetworkMode: "none",
      },
    }, { name: request.name });
    await this.#ownVolumeRoot(Id, spec);
    return Id;
  }

  /** @inheritdoc */
  async scratchState(
    containerId: string,
  ): Promise<{ running: boolean; exitCode: number } | undefined> {
    try {
      const row = await this.#docker.containers.inspect(containerId);
      return { running: row.State.Running, exitCode: row.State.ExitCode };
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** @inheritdoc */
  async listScratch(): Promise<{ taskId: string; containerId?: string; volume?: string }[]> {
    const filters = { label: [this.#owned, LABELS.drill] };
    const [containers, volumes] = await Promise.all([
      this.#docker.containers.list({ all: true, filters }),
      this.#docker.volumes.list({ filters }),
    ]);
    return [
      ...containers.map((c) => ({ taskId: c.Labels[LABELS.drill] ?? "", containerId: c.Id })),
      ...volumes.map((v) => ({ taskId: v.Labels?.[LABELS.drill] ?? "", volume: v.Name })),
    ];
  }

  /** @inheritdoc */
  async writeFiles(containerId: string, volumePath: string, files: RenderedFile[]): Promise<void> {
    const dirs = new Set<string>();
    for (const file of files) {
      const parts = file.path.split("/").slice(0, -1);
      for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
    }
    const uidOf = (dir: string) => files.find((f) => f.path.startsWith(`${dir}/`))?.uid ?? 0;
    await this.#docker.containers.putArchive(containerId, volumePath, [
      ...[...dirs].sort().map((dir) => ({
        name: dir,
        type: "directory" as const,
        mode: 0o755,
        uid: uidOf(dir),
        gid: uidOf(dir),
      })),
      ...files.map((f) => ({
        name: f.path,
        data: f.content,
        mode: f.mode,
        uid: f.uid,
        gid: f.uid,
      })),
    ]);
  }

  /** @inheritdoc */
  async start(containerId: string): Promise<void> {
    await this.#docker.containers.start(containerId);
  }

  /** @inheritdoc */
  async stop(containerId: string, timeoutSeconds: number): Promise<void> {
    await ignoreNotFound(this.#docker.containers.stop(containerId, { timeout: timeoutSeconds }));
  }

  /** @inheritdoc */
  async remove(containerId: string): Promise<void> {
    await ignoreNotFound(this.#docker.containers.remove(containerId, { force: true }));
  }

  /** @inheritdoc */
  async removeVolume(name: string): Promise<void> {
    await ignoreNotFound(this.#docker.volumes.remove(name, { force: true }));
  }

  /** @inheritdoc */
  async removeNetwork(name: string): Promise<void> {
    for (const network of await this.#networksNamed(name)) {
      if (this.#isOurs(network)) await ignoreNotFound(this.#docker.networks.remove(network.Id));
    }
  }

  /** @inheritdoc */
  async *watchEvents(signal: AbortSignal, onConnected?: () => void): AsyncIterable<RuntimeEvent> {
    // No label filter: adopted containers carry none of ours; each event is matched here.
    const events = this.#docker.events.watch({
      filters: { type: ["container"], event: WATCHED_ACTIONS },
      signal,
      // An engine restart takes seconds; a short ceiling finds it back within a second.
      maxDelayMs: 1_000,
      onConnected,
    });
    for await (const event of events) {
      const attributes = event.Actor.Attributes;
      const podId = attributes[LABELS.instance] === this.#instance
        ? attributes[LABELS.pod]
        : this.#adopted.podOf(event.Actor.ID);
      if (!podId) continue;
      const { exitCode, signal } = event.Actor.Attributes;
      yield {
        action: event.Action,
        podId,
        containerId: event.Actor.ID,
        exitCode: exitCode === undefined ? undefined : Number(exitCode),
        ...(signal === undefined ? {} : { signal }),
        time: Math.floor(event.timeNano / 1e6),
      };
    }
  }

  /** @inheritdoc */
  async usage(containerId: string, options: { instant?: boolean } = {}): Promise<ContainerUsage> {
    const summary = summarizeStats(
      await this.#docker.containers.stats(containerId, { oneShot: options.instant === true }),
    );
    return {
      cpu: Math.round(summary.cpuPercent * 10) / 10,
      memoryMB: Math.round(summary.memoryBytes / 1024 / 1024),
      cpuSeconds: summary.cpuSeconds,
    };
  }

  /** @inheritdoc */
  volumeSizes(): Promise<Map<string, number>> {
    return this.#docker.volumes.sizes();
  }

  /** @inheritdoc */
  async *logs(
    containerId: string,
    options: { tail?: number; follow?: boolean; timestamps?: boolean; signal?: AbortSignal },
  ): AsyncIterable<RuntimeLogLine> {
    for await (const line of this.#docker.containers.logs(containerId, options)) {
      yield line.timestamp === undefined
        ? { stream: line.stream, text: line.line }
        : { stream: line.stream, text: line.line, time: line.timestamp };
    }
  }

  /** @inheritdoc */
  async ensureImage(image: string, signal?: AbortSignal): Promise<string> {
    try {
      return (await this.#docker.images.inspect(image)).Id;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    try {
      await this.#docker.images.pull(image, { signal });
      return (await this.#docker.images.inspect(image)).Id;
    } catch (error) {
      if (error instanceof UnavailableError) throw error;
      throw new ValidationError(
        `Image "${image}" is not on this host and cannot be pulled: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  /** @inheritdoc */
  async checkImage(image: string): Promise<void> {
    try {
      await this.#docker.images.inspect(image);
      return;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    try {
      await this.#docker.images.distribution(image);
    } catch (error) {
      if (error instanceof UnavailableError) throw error;
      throw new ValidationError(
        `Image "${image}" is not on this host and cannot be pulled: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  /** @inheritdoc */
  async inspectImage(image: string): Promise<ImageInfo | undefined> {
    try {
      const found = await this.#docker.images.inspect(image);
      return { id: found.Id, labels: found.Config?.Labels ?? {} };
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** @inheritdoc */
  async smokeRun(
    image: string,
    options: { command?: string[]; user?: string; timeoutMs: number },
  ): Promise<SmokeResult> {
    const { Id } = await this.#docker.containers.create({
      Image: image,
      ...(options.command ? { Cmd: options.command } : {}),
      ...(options.user ? { User: options.user } : {}),
      Labels: {
        [LABELS.managed]: "true",
        [LABELS.instance]: this.#instance,
        [LABELS.smoke]: "true",
      },
      HostConfig: { NetworkMode: "none", Memory: 1024 * 1024 * 1024, PidsLimit: 512 },
    });
    try {
      await this.#docker.containers.start(Id);
      let exitCode: number | null = null;
      try {
        const done = await this.#docker.containers.wait(Id, {
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        exitCode = done.StatusCode;
      } catch (error) {
        if (!(error instanceof Error && /abort|timeout/i.test(`${error.name} ${error.message}`))) {
          throw error;
        }
      }
      const logs: string[] = [];
      for await (const line of this.#docker.containers.logs(Id, { tail: 20 })) {
        logs.push(line.line);
      }
      return { exitCode, logs };
    } finally {
      await ignoreNotFound(this.#docker.containers.remove(Id, { force: true }));
    }
  }

  /** @inheritdoc */
  async copyDirectory(from: string, to: string, path: string): Promise<void> {
    // `dir/.` sends the directory's contents, named relative to it.
    const { archive } = await this.#docker.containers.getArchive(
      from,
      `${path.replace(/\/$/, "")}/.`,
    );
    await this.#docker.containers.putArchive(to, path, archive as Uint8Array<ArrayBuffer>);
  }

  /** @inheritdoc */
  exec(containerId: string, command: string[], signal?: AbortSignal): Promise<ExecOutput> {
    return this.#docker.exec.run(containerId, command, { signal });
  }

  /** @inheritdoc */
  async listEngineContainers(): Promise<EngineContainer[]> {
    const rows = await this.#docker.containers.list({ all: true });
    const images = new Map<string, Promise<Record<string, string>>>();
    const labelsOf = (id: string) => {
      let labels = images.get(id);
      if (!labels) {
        labels = this.inspectImage(id).then((info) => info?.labels ?? {}, () => ({}));
        images.set(id, labels);
      }
      return labels;
    };
    const found = await Promise.all(rows.map(async (row) => {
      try {
        const inspect = await this.#docker.containers.inspect(row.Id);
        return toEngineContainer(inspect, await labelsOf(inspect.Image));
      } catch (error) {
        if (error instanceof NotFoundError) return undefined; // removed meanwhile
        throw error;
      }
    }));
    return found.filter((c) => c !== undefined);
  }

  /** @inheritdoc */
  async updateLive(
    containerId: string,
    changes: LiveChanges,
  ): Promise<void> {
    const memory = changes.memoryMB === undefined ? undefined : changes.memoryMB * 1024 * 1024;
    await this.#docker.containers.update(containerId, {
      ...(changes.restartPolicy ? { RestartPolicy: { Name: changes.restartPolicy } } : {}),
      ...(memory === undefined ? {} : { Memory: memory, MemorySwap: memory }),
      ...(changes.cpus === undefined ? {} : { NanoCpus: Math.round(changes.cpus * 1e9) }),
      ...(changes.pids === undefined ? {} : { PidsLimit: changes.pids }),
    });
  }

  /** @inheritdoc */
  async connectNetwork(containerId: string, name: string): Promise<void> {
    await this.#docker.networks.connect(name, containerId);
  }

  /** @inheritdoc */
  async containerNamed(name: string): Promise<{ id: string; ours: boolean } | undefined> {
    let row;
    try {
      row = await this.#docker.containers.inspect(name);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    // Inspect also answers to an id prefix: only an exact name counts.
    if (row.Name.replace(/^\//, "") !== name) return undefined;
    const ours = row.Config.Labels?.[LABELS.instance] === this.#instance ||
      this.#adopted.podOf(row.Id) !== undefined;
    return { id: row.Id, ours };
  }

  /** @inheritdoc */
  async publishedSource(containerId: string): Promise<string> {
    const row = await this.#docker.containers.inspect(containerId);
    // The engine forwards published ports to the network whose name sorts first.
    const [name] = Object.keys(row.NetworkSettings.Networks ?? {}).sort();
    if (!name) throw new ValidationError(`Container ${containerId.slice(0, 12)} is on no network`);
    const network = await this.#docker.networks.inspect(name);
    return (await lookupNetworkGateway(this.#docker, network)).gateway;
  }

  /** @inheritdoc */
  async readContainerFile(
    containerId: string,
    path: string,
    maxBytes: number,
  ): Promise<Uint8Array | undefined> {
    const containers = this.#docker.containers;
    let stat;
    try {
      stat = await containers.statPath(containerId, path);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    if (!isRegularFile(stat.mode)) return undefined;
    if (stat.size > maxBytes) {
      throw new ValidationError(`Cannot read "${path}": ${stat.size} bytes, over ${maxBytes}`);
    }
    const [entry] = readTar((await containers.getArchive(containerId, path)).archive);
    return entry?.type === "file" ? entry.data : undefined;
  }

  /** @inheritdoc */
  async removePodVolumes(podId: string): Promise<void> {
    const volumes = await this.#docker.volumes.list({
      filters: { label: [this.#owned, `${LABELS.pod}=${podId}`] },
    });
    for (const volume of volumes) {
      await ignoreNotFound(this.#docker.volumes.remove(volume.Name, { force: true }));
    }
  }

  /** @inheritdoc */
  async listTenantNetworks(): Promise<{ name: string; tenant: string }[]> {
    const networks = await this.#docker.networks.list({ filters: { label: [this.#owned] } });
    return networks.flatMap((n) => {
      const tenant = n.Labels?.[LABELS.tenant];
      return tenant ? [{ name: n.Name, tenant }] : [];
    });
  }

  /** @inheritdoc */
  ping(): Promise<void> {
    return this.#docker.ping();
  }

  /**
   * The tenant network `name`, created when missing. Concurrent callers share one
   * attempt: the engine's duplicate check races, and two networks with one name make
   * every later use of the name ambiguous.
   */
  ensureNetwork(name: string, tenant: string): Promise<TenantNetwork> {
    const inflight = this.#networks.get(name);
    if (inflight) return inflight;
    const attempt = this.#findOrCreateNetwork(name, tenant).finally(() =>
      this.#networks.delete(name)
    );
    this.#networks.set(name, attempt);
    return attempt;
  }

  async #findOrCreateNetwork(name: string, tenant: string): Promise<TenantNetwork> {
    const existing = await this.#networksNamed(name);
    if (existing[0]) return await this.#tenantNetwork(existing[0]);
    try {
      const created = await this.#docker.networks.create({
        Name: name,
        Labels: {
          [LABELS.managed]: "true",
          [LABELS.instance]: this.#instance,
          [LABELS.tenant]: tenant,
        },
      });
      return await this.#tenantNetwork(await this.#docker.networks.inspect(created.Id));
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const raced = await this.#networksNamed(name); // another process made it meanwhile
      if (!raced[0]) throw error;
      return await this.#tenantNetwork(raced[0]);
    }
  }

  /** Networks called exactly `name`, ours first. */
  async #networksNamed(name: string) {
    const found = await this.#docker.networks.list({ filters: { name: [name] } });
    return found
      .filter((n) => n.Name === name)
      .sort((a, b) => Number(this.#isOurs(b)) - Number(this.#isOurs(a)));
  }

  async #tenantNetwork(network: Network): Promise<TenantNetwork> {
    const { gateway } = await lookupNetworkGateway(this.#docker, network);
    return { id: network.Id, gateway };
  }

  #isOurs(network: { Labels: Record<string, string> | null }): boolean {
    return network.Labels?.[LABELS.instance] === this.#instance;
  }
}

/** An engine timestamp in ms; null for Go's zero time (never happened). */
function engineTime(value: string | undefined): number | null {
  if (!value || value.startsWith("0001-")) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Go's `os.FileMode` type bits (dir, symlink, device, pipe, socket, char device,
 * irregular): none set is a regular file.
 */
const GO_MODE_TYPE = 2 ** 31 + 2 ** 27 + 2 ** 26 + 2 ** 25 + 2 ** 24 + 2 ** 21 + 2 ** 19;

function isRegularFile(mode: number): boolean {
  return (mode & GO_MODE_TYPE) === 0;
}

async function ignoreNotFound(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}
