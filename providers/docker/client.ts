/**
 * `DockerClient`: the Engine API grouped by resource (`docker.containers.list()`,
 * `docker.images.pull()`), over one shared transport. Holds an HTTP connection pool:
 * call `close()` (or `using`) when done.
 * @module
 */
import { ContainerApi } from "./containers.ts";
import { dockerHostFromEnv, parseDockerHost } from "./docker_host.ts";
import { EventApi } from "./events.ts";
import { ExecApi } from "./exec.ts";
import { ImageApi } from "./images.ts";
import { NetworkApi } from "./networks.ts";
import { type DockerObserver, DockerTransport } from "./transport.ts";
import { VolumeApi } from "./volumes.ts";

/** The answer of `GET /version` (fields we use). */
export interface EngineVersion {
  /** Engine release (`20.10.24`). */
  Version: string;
  /** Newest API version the engine speaks. */
  ApiVersion: string;
  /** Oldest API version the engine speaks. */
  MinAPIVersion?: string;
  /** `linux` or `windows`. */
  Os: string;
  /** CPU architecture. */
  Arch: string;
  [key: string]: unknown;
}

/** The answer of `GET /info` (fields we use). */
export interface EngineInfo {
  /** Engine id. */
  ID: string;
  /** Host name. */
  Name: string;
  /** Containers by state. */
  Containers: number;
  /** Running containers. */
  ContainersRunning: number;
  /** Host CPUs. */
  NCPU: number;
  /** Host memory in bytes. */
  MemTotal: number;
  /** Storage driver. */
  Driver: string;
  /** `1` or `2`. */
  CgroupVersion?: string;
  /** Engine release. */
  ServerVersion: string;
  [key: string]: unknown;
}

/** Options of {@linkcode createDockerClient}. */
export interface DockerClientOptions {
  /** `unix:///path` or `tcp://host:port`; `DOCKER_HOST` or the default socket when omitted. */
  host?: string;
  /** Pin the API version and skip negotiation. */
  apiVersion?: string;
  /** Told of each request's latency (metrics). */
  observe?: DockerObserver;
}

/** A Docker Engine API client. */
export class DockerClient implements Disposable {
  /** Containers, their logs, stats and archives. */
  readonly containers: ContainerApi;
  /** Images and pulls. */
  readonly images: ImageApi;
  /** Named volumes. */
  readonly volumes: VolumeApi;
  /** Networks. */
  readonly networks: NetworkApi;
  /** Commands inside running containers. */
  readonly exec: ExecApi;
  /** The event stream. */
  readonly events: EventApi;
  readonly #t: DockerTransport;

  /** Prefer {@linkcode createDockerClient}. */
  constructor(transport: DockerTransport) {
    this.#t = transport;
    this.containers = new ContainerApi(transport);
    this.images = new ImageApi(transport);
    this.volumes = new VolumeApi(transport);
    this.networks = new NetworkApi(transport);
    this.exec = new ExecApi(transport);
    this.events = new EventApi(transport);
  }

  /** The engine address, as shown in error messages. */
  get host(): string {
    return this.#t.host;
  }

  /** The API version in use, negotiated with the engine on first call. */
  apiVersion(): Promise<string> {
    return this.#t.apiVersion();
  }

  /** Resolves when the engine answers `/_ping`; throws `UnavailableError` otherwise. */
  async ping(options: { signal?: AbortSignal } = {}): Promise<void> {
    const response = await this.#t.requestUnversioned("GET", "/_ping", options);
    await response.arrayBuffer();
  }

  /** The engine's version report. */
  async version(): Promise<EngineVersion> {
    const response = await this.#t.requestUnversioned("GET", "/version");
    return await response.json() as EngineVersion;
  }

  /** System-wide information. */
  info(): Promise<EngineInfo> {
    return this.#t.json<EngineInfo>("GET", "/info");
  }

  /** Closes the connection pool; the client is unusable afterwards. */
  close(): void {
    this.#t.close();
  }

  /** Same as {@linkcode DockerClient.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Creates a client for `options.host`, `DOCKER_HOST`, or the default socket. */
export function createDockerClient(options: DockerClientOptions = {}): DockerClient {
  const endpoint = parseDockerHost(options.host ?? dockerHostFromEnv());
  return new DockerClient(
    new DockerTransport(endpoint, { apiVersion: options.apiVersion, observe: options.observe }),
  );
}
