/**
 * Network operations: create, inspect, list, connect, disconnect, remove. Each tenant
 * gets its own labelled bridge network.
 * @module
 */
import type { EndpointSettings } from "./container_types.ts";
import type { Filters } from "./query.ts";
import type { DockerTransport } from "./transport.ts";

/** A network as the engine describes it. */
export interface Network {
  /** Network id. */
  Id: string;
  /** Network name. */
  Name: string;
  /** Driver (`bridge`). */
  Driver: string;
  /** `local`, `swarm` or `global`. */
  Scope: string;
  /** No route to the outside world. */
  Internal: boolean;
  /** Labels. */
  Labels: Record<string, string> | null;
  /** Attached containers by id (filled by inspect, empty in lists). */
  Containers?: Record<string, { Name: string; IPv4Address: string }> | null;
  [key: string]: unknown;
}

/** What to create. */
export interface NetworkCreateRequest {
  /** Network name. */
  Name: string;
  /** Labels. */
  Labels?: Record<string, string>;
  /** Driver; `bridge` by default. */
  Driver?: string;
  /** Cut the network off from the outside world. */
  Internal?: boolean;
  /** Driver options. */
  Options?: Record<string, string>;
}

/** Operations on networks; reach it as `docker.networks`. */
export class NetworkApi {
  readonly #t: DockerTransport;

  /** Use {@linkcode DockerClient} rather than constructing this directly. */
  constructor(transport: DockerTransport) {
    this.#t = transport;
  }

  /** Creates a bridge network (unless `Driver` says otherwise); a taken name throws `ConflictError`. */
  create(request: NetworkCreateRequest): Promise<{ Id: string; Warning?: string }> {
    // Without CheckDuplicate the engine happily creates two networks with one name.
    return this.#t.json("POST", "/networks/create", {
      json: { Driver: "bridge", ...request, CheckDuplicate: true },
    });
  }

  /** Inspects a network by id or name; throws `NotFoundError` when absent. */
  inspect(id: string): Promise<Network> {
    return this.#t.json<Network>("GET", `/networks/${encodeURIComponent(id)}`);
  }

  /** Lists networks, optionally filtered (`{label: ["agentpod.managed=true"]}`). */
  list(options: { filters?: Filters } = {}): Promise<Network[]> {
    return this.#t.json<Network[]>("GET", "/networks", { query: { filters: options.filters } });
  }

  /** Attaches a container, optionally with extra DNS aliases on this network. */
  async connect(
    network: string,
    container: string,
    options: { aliases?: string[] } = {},
  ): Promise<void> {
    const endpoint: EndpointSettings = {};
    if (options.aliases !== undefined) endpoint.Aliases = options.aliases;
    await this.#t.send("POST", `/networks/${encodeURIComponent(network)}/connect`, {
      json: { Container: container, EndpointConfig: endpoint },
    });
  }

  /** Detaches a container; `force` also works when the container is not running. */
  async disconnect(
    network: string,
    container: string,
    options: { force?: boolean } = {},
  ): Promise<void> {
    await this.#t.send("POST", `/networks/${encodeURIComponent(network)}/disconnect`, {
      json: { Container: container, Force: options.force ?? false },
    });
  }

  /** Removes a network; one with attached containers throws an error. */
  async remove(id: string): Promise<void> {
    await this.#t.send("DELETE", `/networks/${encodeURIComponent(id)}`);
  }
}
