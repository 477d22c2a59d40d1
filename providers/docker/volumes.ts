/**
 * Named volume operations: create, inspect, list, remove. Pods keep their state in
 * one labelled volume each.
 * @module
 */
import type { Filters } from "./query.ts";
import type { DockerTransport } from "./transport.ts";

/** A volume as the engine describes it. */
export interface Volume {
  /** Volume name. */
  Name: string;
  /** Driver (`local`). */
  Driver: string;
  /** Host path of the data (engine-side; do not touch it directly). */
  Mountpoint: string;
  /** Labels. */
  Labels: Record<string, string> | null;
  /** `local` or `global`. */
  Scope: string;
  /** RFC 3339 creation time. */
  CreatedAt?: string;
  [key: string]: unknown;
}

/** What to create. */
export interface VolumeCreateRequest {
  /** Volume name; the engine generates one when omitted. */
  Name?: string;
  /** Labels. */
  Labels?: Record<string, string>;
  /** Driver; `local` by default. */
  Driver?: string;
  /** Driver options. */
  DriverOpts?: Record<string, string>;
}

/** Operations on volumes; reach it as `docker.volumes`. */
export class VolumeApi {
  readonly #t: DockerTransport;

  /** Use {@linkcode DockerClient} rather than constructing this directly. */
  constructor(transport: DockerTransport) {
    this.#t = transport;
  }

  /**
   * Creates a volume. The engine answers an existing name with that volume rather than
   * an error, so creating is idempotent; compare labels if ownership matters.
   */
  create(request: VolumeCreateRequest): Promise<Volume> {
    return this.#t.json<Volume>("POST", "/volumes/create", { json: request });
  }

  /** Inspects a volume; throws `NotFoundError` when absent. */
  inspect(name: string): Promise<Volume> {
    return this.#t.json<Volume>("GET", `/volumes/${encodeURIComponent(name)}`);
  }

  /** Lists volumes, optionally filtered (`{label: ["agentpod.managed=true"]}`). */
  async list(options: { filters?: Filters } = {}): Promise<Volume[]> {
    const answer = await this.#t.json<{ Volumes: Volume[] | null }>("GET", "/volumes", {
      query: { filters: options.filters },
    });
    return answer.Volumes ?? [];
  }

  /**
   * Bytes each volume holds (the engine walks them: seconds on a big host, so call it
   * rarely); -1 where the engine could not tell.
   */
  async sizes(): Promise<Map<string, number>> {
    const answer = await this.#t.json<{ Volumes?: (Volume & { UsageData?: { Size: number } })[] }>(
      "GET",
      "/system/df",
      { query: { type: "volume" } },
    );
    return new Map((answer.Volumes ?? []).map((v) => [v.Name, v.UsageData?.Size ?? -1]));
  }

  /** Removes a volume; one still used by a container throws `ConflictError`. */
  async remove(name: string, options: { force?: boolean } = {}): Promise<void> {
    await this.#t.send("DELETE", `/volumes/${encodeURIComponent(name)}`, {
      query: { force: options.force },
    });
  }
}
