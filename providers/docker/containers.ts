/**
 * Container operations: list, inspect, create, lifecycle, wait, logs, stats and the
 * archive endpoints. Lifecycle calls are idempotent where the engine allows it
 * (`start`/`stop` of a container already in that state resolve `false`).
 * @module
 */
import type {
  ContainerCreateRequest,
  ContainerInspect,
  ContainerSummary,
  ContainerWaitResult,
  HostConfig,
} from "./container_types.ts";
import { type LogLine, type LogOptions, readContainerLogs } from "./logs.ts";
import type { Filters } from "./query.ts";
import { type ContainerStats, readContainerStats } from "./stats.ts";
import { createTar, type TarInput } from "./tar.ts";
import type { DockerTransport } from "./transport.ts";

/** The engine's description of a path, sent with archive downloads. */
export interface PathStat {
  /** Base name. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** Go `os.FileMode` bits (type bits above the permission bits). */
  mode: number;
  /** RFC 3339 modification time. */
  mtime: string;
  /** Symlink target, or `""`. */
  linkTarget: string;
}

/** Operations on containers; reach it as `docker.containers`. */
export class ContainerApi {
  readonly #t: DockerTransport;

  /** Use {@linkcode DockerClient} rather than constructing this directly. */
  constructor(transport: DockerTransport) {
    this.#t = transport;
  }

  /** Lists containers; running ones only unless `all`. Filter by label to see only ours. */
  list(options: { all?: boolean; filters?: Filters; limit?: number } = {}) {
    return this.#t.json<ContainerSummary[]>("GET", "/containers/json", {
      query: { all: options.all, limit: options.limit, filters: options.filters },
    });
  }

  /** Inspects a container by id or name; throws `NotFoundError` when it does not exist. */
  inspect(id: string): Promise<ContainerInspect> {
    return this.#t.json<ContainerInspect>("GET", `${path(id)}/json`);
  }

  /** Creates a container; a taken `name` throws `ConflictError`. */
  create(
    config: ContainerCreateRequest,
    options: { name?: string; platform?: string } = {},
  ): Promise<{ Id: string; Warnings: string[] | null }> {
    return this.#t.json("POST", "/containers/create", {
      query: { name: options.name, platform: options.platform },
      json: config,
    });
  }

  /** Starts a container; resolves `false` when it was already running. */
  async start(id: string): Promise<boolean> {
    return await this.#t.send("POST", `${path(id)}/start`) !== 304;
  }

  /**
   * Stops a container: its stop signal, then SIGKILL after `timeout` seconds (the
   * container's own default when omitted). Resolves `false` when it was not running.
   */
  async stop(id: string, options: { timeout?: number } = {}): Promise<boolean> {
    return await this.#t.send("POST", `${path(id)}/stop`, { query: { t: options.timeout } }) !==
      304;
  }

  /** Sends a signal (SIGKILL by default); a container that is not running throws `ConflictError`. */
  async kill(id: string, options: { signal?: string } = {}): Promise<void> {
    await this.#t.send("POST", `${path(id)}/kill`, { query: { signal: options.signal } });
  }

  /** Freezes every process of a running container (cgroup freezer); not running: `ConflictError`. */
  async pause(id: string): Promise<void> {
    await this.#t.send("POST", `${path(id)}/pause`);
  }

  /** Thaws a paused container. */
  async unpause(id: string): Promise<void> {
    await this.#t.send("POST", `${path(id)}/unpause`);
  }

  /** Restarts a container, waiting up to `timeout` seconds for it to stop. */
  async restart(id: string, options: { timeout?: number } = {}): Promise<void> {
    await this.#t.send("POST", `${path(id)}/restart`, { query: { t: options.timeout } });
  }

  /** Renames a container (running or not); a taken name throws `ConflictError`. */
  /**
   * Changes a container's restart policy and limits in place (`POST /update`): the
   * process keeps running. Labels cannot change this way (the engine ignores them).
   */
  async update(
    id: string,
    changes: Pick<HostConfig, "RestartPolicy" | "Memory" | "NanoCpus" | "PidsLimit"> & {
      MemorySwap?: number;
    },
  ): Promise<void> {
    await this.#t.send("POST", `${path(id)}/update`, { json: changes });
  }

  /** Renames a container (live-safe). */
  async rename(id: string, name: string): Promise<void> {
    await this.#t.send("POST", `${path(id)}/rename`, { query: { name } });
  }

  /** Removes a container; `force` kills it first, `volumes` drops its anonymous volumes. */
  async remove(id: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.#t.send("DELETE", path(id), {
      query: { force: options.force, v: options.volumes },
    });
  }

  /** Waits until the container reaches `condition` (`not-running` by default). */
  wait(
    id: string,
    options: { condition?: "not-running" | "next-exit" | "removed"; signal?: AbortSignal } = {},
  ): Promise<ContainerWaitResult> {
    return this.#t.json<ContainerWaitResult>("POST", `${path(id)}/wait`, {
      query: { condition: options.condition },
      signal: options.signal,
    });
  }

  /** Streams log lines, stdout and stderr kept apart. */
  logs(id: string, options: LogOptions = {}): AsyncGenerator<LogLine> {
    return readContainerLogs(this.#t, id, options, async () => (await this.inspect(id)).Config.Tty);
  }

  /** Reads one stats sample (about 1 s unless `oneShot`); see `summarizeStats`. */
  stats(
    id: string,
    options: { oneShot?: boolean; signal?: AbortSignal } = {},
  ): Promise<ContainerStats> {
    return readContainerStats(this.#t, id, options);
  }

  /**
   * Extracts a tar archive (bytes, or entries to pack) into directory `dest` of a
   * container, which may be created but not started; volumes mounted there receive
   * the files. Owners and modes come from the archive.
   */
  async putArchive(
    id: string,
    dest: string,
    archive: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | readonly TarInput[],
    options: { noOverwriteDirNonDir?: boolean } = {},
  ): Promise<void> {
    const body = archive instanceof Uint8Array || archive instanceof ReadableStream
      ? archive
      : createTar(archive);
    await this.#t.send("PUT", `${path(id)}/archive`, {
      query: { path: dest, noOverwriteDirNonDir: options.noOverwriteDirNonDir },
      body,
      contentType: "application/x-tar",
    });
  }

  /** What is at `source` in a container (a `HEAD` of the archive: nothing is sent). */
  async statPath(id: string, source: string): Promise<PathStat> {
    const response = await this.#t.request("HEAD", `${path(id)}/archive`, {
      query: { path: source },
    });
    await response.body?.cancel();
    const header = response.headers.get("x-docker-container-path-stat");
    if (header === null) throw new Error(`The engine sent no stat of "${source}"`);
    return decodePathStat(header);
  }

  /**
   * A directory (or file) of a container as a tar stream, not buffered: a backup's
   * payload may be larger than memory should hold. Cancel the stream to stop early.
   */
  streamArchive(id: string, source: string): Promise<ReadableStream<Uint8Array>> {
    return this.#t.streamBody(`${path(id)}/archive`, { path: source });
  }

  /** Downloads a file or directory of a container as a tar archive (see `readTar`). */
  async getArchive(id: string, source: string): Promise<{ archive: Uint8Array; stat?: PathStat }> {
    const response = await this.#t.request("GET", `${path(id)}/archive`, {
      query: { path: source },
    });
    const archive = new Uint8Array(await response.arrayBuffer());
    const header = response.headers.get("x-docker-container-path-stat");
    return header === null ? { archive } : { archive, stat: decodePathStat(header) };
  }
}

/** Decodes the base64 JSON stat header; names may be UTF-8, which `atob` alone mangles. */
function decodePathStat(header: string): PathStat {
  const bytes = Uint8Array.from(atob(header), (char) => char.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as PathStat;
}

function path(id: string): string {
  return `/containers/${encodeURIComponent(id)}`;
}
