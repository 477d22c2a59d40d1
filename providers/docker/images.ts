/**
 * Image operations: inspect, list, remove and pull with progress. A pull reports
 * failures two ways (an error status before streaming, or an `error` line inside a 200
 * stream); both surface as thrown errors that name the image.
 * @module
 */
import { DockerApiError } from "../../core/errors.ts";
import type { Filters } from "./query.ts";
import type { DockerTransport } from "./transport.ts";

/** The answer of `GET /images/{name}/json` (fields we use). */
export interface ImageInspect {
  /** Image id (`sha256:…`). */
  Id: string;
  /** Tags pointing at it. */
  RepoTags: string[] | null;
  /** Digests from registries. */
  RepoDigests: string[] | null;
  /** RFC 3339 creation time. */
  Created: string;
  /** Size in bytes. */
  Size: number;
  /** Default run settings baked into the image. */
  Config: {
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    Env?: string[] | null;
    User?: string;
    WorkingDir?: string;
    ExposedPorts?: Record<string, unknown> | null;
    Labels?: Record<string, string> | null;
    [key: string]: unknown;
  } | null;
  [key: string]: unknown;
}

/** The answer of `GET /distribution/{name}/json` (fields we use). */
export interface DistributionInspect {
  /** The manifest the registry serves for the reference. */
  Descriptor: { mediaType: string; digest: string; size: number };
  [key: string]: unknown;
}

/** A row of `GET /images/json`. */
export interface ImageSummary {
  /** Image id. */
  Id: string;
  /** Tags. */
  RepoTags: string[] | null;
  /** Creation time in Unix seconds. */
  Created: number;
  /** Size in bytes. */
  Size: number;
  /** Labels. */
  Labels: Record<string, string> | null;
  [key: string]: unknown;
}

/** One line of pull progress. */
export interface PullProgress {
  /** What is happening (`Pulling fs layer`, `Download complete`, `Status: …`). */
  status?: string;
  /** Layer id the line is about. */
  id?: string;
  /** Byte counts of the current step. */
  progressDetail?: { current?: number; total?: number };
  /** Failure text; the stream ends after it. */
  error?: string;
  /** Structured failure. */
  errorDetail?: { message?: string; code?: number };
  [key: string]: unknown;
}

/** An image reference split the way the pull endpoint wants it. */
export interface ImageRef {
  /** Repository, with registry and path (`registry:5000/team/app`). */
  name: string;
  /** Tag; `latest` when the reference has neither tag nor digest. */
  tag?: string;
  /** Digest (`sha256:…`), when pinned. */
  digest?: string;
}

/**
 * Splits `[registry[:port]/]path[:tag][@digest]`. A colon counts as a tag separator
 * only after the last slash, so a registry port is not mistaken for a tag.
 */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf("@");
  const withoutDigest = at === -1 ? ref : ref.slice(0, at);
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  const colon = withoutDigest.lastIndexOf(":");
  const hasTag = colon > withoutDigest.lastIndexOf("/");
  const name = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
  const tag = hasTag ? withoutDigest.slice(colon + 1) : undefined;
  if (digest !== undefined) return tag === undefined ? { name, digest } : { name, tag, digest };
  return { name, tag: tag ?? "latest" };
}

/** Operations on images; reach it as `docker.images`. */
export class ImageApi {
  readonly #t: DockerTransport;

  /** Use {@linkcode DockerClient} rather than constructing this directly. */
  constructor(transport: DockerTransport) {
    this.#t = transport;
  }

  /** Inspects an image by reference or id; throws `NotFoundError` when absent. */
  inspect(ref: string): Promise<ImageInspect> {
    return this.#t.json<ImageInspect>("GET", `/images/${encodeURIComponent(ref)}/json`);
  }

  /**
   * What a registry says of `ref` (`GET /distribution/{name}/json`): its manifest
   * descriptor. Read-only; throws with the engine's message when no registry has it.
   */
  distribution(ref: string): Promise<DistributionInspect> {
    // The engine routes `{name:.*}`: slashes stay, each segment is escaped.
    const path = ref.split("/").map(encodeURIComponent).join("/");
    return this.#t.json<DistributionInspect>("GET", `/distribution/${path}/json`);
  }

  /** Lists images, optionally filtered (`{reference: ["agentpod-*"]}`). */
  list(options: { all?: boolean; filters?: Filters } = {}): Promise<ImageSummary[]> {
    return this.#t.json<ImageSummary[]>("GET", "/images/json", {
      query: { all: options.all, filters: options.filters },
    });
  }

  /** Removes an image; an image in use throws `ConflictError` unless `force`. */
  async remove(ref: string, options: { force?: boolean } = {}): Promise<void> {
    await this.#t.send("DELETE", `/images/${encodeURIComponent(ref)}`, {
      query: { force: options.force },
    });
  }

  /** Pulls an image, yielding progress lines; an error line is thrown. */
  async *pullProgress(
    ref: string,
    options: { platform?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<PullProgress> {
    const { name, tag, digest } = parseImageRef(ref);
    const context = `Cannot pull image "${ref}"`;
    const response = await this.#t.request("POST", "/images/create", {
      // The engine takes a digest in the `tag` parameter.
      query: { fromImage: name, tag: digest ?? tag, platform: options.platform },
      signal: options.signal,
      errorContext: context,
    });
    for await (const line of this.#t.lines(response, options.signal)) {
      const progress = JSON.parse(line) as PullProgress;
      if (progress.error !== undefined || progress.errorDetail?.message !== undefined) {
        const engineMessage = progress.errorDetail?.message ?? progress.error ?? "unknown error";
        // The stream already said 200; the failure is the engine's, so report it as a 500.
        throw new DockerApiError(500, `${context}: ${engineMessage}`, {
          details: { status: 500, engineMessage, image: ref },
        });
      }
      yield progress;
    }
  }

  /** Pulls an image to completion, passing each progress line to `onProgress`. */
  async pull(
    ref: string,
    options: {
      onProgress?: (progress: PullProgress) => void;
      platform?: string;
      signal?: AbortSignal;
    } = {},
  ): Promise<void> {
    for await (const progress of this.pullProgress(ref, options)) options.onProgress?.(progress);
  }
}
