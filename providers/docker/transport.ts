/**
 * The one HTTP path to the Docker Engine: owns the single reused `Deno.HttpClient`,
 * negotiates the API version once, turns failures into AgentPod errors and makes sure
 * every response body is consumed or cancelled. It knows no endpoints.
 * @module
 */
import { AgentPodError, UnavailableError } from "../../core/errors.ts";
import type { DockerEndpoint } from "./docker_host.ts";
import { engineError, unreachableError } from "./engine_errors.ts";
import { encodeQuery, type QueryParams } from "./query.ts";
import { rawGet } from "./raw_get.ts";

/** The oldest Engine API we speak (Docker 20.10). */
export const MIN_API_VERSION = "1.41";
/** The newest Engine API we know; newer engines are spoken to at this version. */
export const MAX_API_VERSION = "1.47";

/** Options for one request. */
export interface RequestOptions {
  /** Query parameters; `filters` objects are JSON-encoded. */
  query?: QueryParams;
  /** A value sent as a JSON body. */
  json?: unknown;
  /** A raw body (e.g. a tar archive, or a stream of one); pair it with `contentType`. */
  body?: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>;
  /** Content type of `body`. */
  contentType?: string;
  /** Cancels the request and, for streams, the body. */
  signal?: AbortSignal;
  /** Replaces the `Docker` prefix of error messages (`Cannot pull image "x"`). */
  errorContext?: string;
}

const JSON_HEADERS: HeadersInit = { "content-type": "application/json" };

/** Compares dotted API versions numerically: negative when `a` is older than `b`. */
export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split(".").map(Number);
  const [bMajor = 0, bMinor = 0] = b.split(".").map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

/** Told of every request's time to its answer (seconds) and whether it failed. */
export type DockerObserver = (
  method: string,
  path: string,
  seconds: number,
  failed: boolean,
) => void;

/** Sends requests to one engine; create one per process and reuse it. */
export class DockerTransport {
  /** The engine address, as used in error messages. */
  readonly host: string;
  readonly #origin: string;
  readonly #client: Deno.HttpClient;
  readonly #socketPath: string | undefined;
  #prefix: string | undefined;
  #negotiating: Promise<string> | undefined;
  readonly #observe: DockerObserver | undefined;

  /** Pass `apiVersion` to skip negotiation (the engine must support it). */
  constructor(
    endpoint: DockerEndpoint,
    options: { apiVersion?: string; observe?: DockerObserver } = {},
  ) {
    this.#observe = options.observe;
    this.host = endpoint.host;
    this.#origin = endpoint.origin;
    this.#socketPath = endpoint.socketPath;
    // A dedicated client even for TCP, so close() really drops the pooled connections.
    this.#client = Deno.createHttpClient(
      endpoint.socketPath === undefined
        ? {}
        : { proxy: { transport: "unix", path: endpoint.socketPath } },
    );
    if (options.apiVersion !== undefined) this.#prefix = `/v${options.apiVersion}`;
  }

  /** The negotiated API version (`1.41`), asking the engine on first use. */
  async apiVersion(): Promise<string> {
    return (this.#prefix ?? await this.#negotiate()).slice(2);
  }

  /** Sends a versioned request; resolves with a response whose status is below 400. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const prefix = this.#prefix ?? await this.#negotiate();
    return this.#send(method, prefix + path, options);
  }

  /**
   * A versioned GET whose large body is read as a stream: over a Unix socket on a plain
   * connection (see raw_get.ts), else through fetch. Cancel the body to stop early.
   */
  async streamBody(path: string, query?: QueryParams): Promise<ReadableStream<Uint8Array>> {
    const prefix = this.#prefix ?? await this.#negotiate();
    if (this.#socketPath === undefined) {
      const response = await this.#send("GET", prefix + path, { query });
      if (!response.body) throw new Error(`The engine sent no body for ${path}`);
      return response.body;
    }
    try {
      return (await rawGet(this.#socketPath, prefix + path + encodeQuery(query))).body;
    } catch (error) {
      if (error instanceof AgentPodError) throw error;
      throw unreachableError(this.host, error);
    }
  }

  /** Sends a request outside the versioned tree (`/_ping`, `/version`). */
  requestUnversioned(method: string, path: string, options: RequestOptions = {}) {
    return this.#send(method, path, options);
  }

  /** Sends a versioned request and parses its JSON answer. */
  async json<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
    const response = await this.request(method, path, options);
    return await response.json() as T;
  }

  /** Sends a versioned request, drains the answer and resolves with its status. */
  async send(method: string, path: string, options?: RequestOptions): Promise<number> {
    const response = await this.request(method, path, options);
    // Reading (not cancelling) lets the pooled connection be reused.
    if (response.body !== null) await response.arrayBuffer();
    return response.status;
  }

  /**
   * Yields a response body's chunks. Ends quietly when `signal` aborts; a connection
   * lost mid-stream becomes an `UnavailableError`. The body is always released.
   */
  async *chunks(response: Response, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    if (response.body === null) return;
    const reader = response.body.getReader();
    try {
      while (true) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          if (signal?.aborted) return;
          throw unreachableError(this.host, error);
        }
        if (result.done) return;
        yield result.value;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  /** Yields the non-empty lines of a newline-delimited body (JSON lines streams). */
  async *lines(response: Response, signal?: AbortSignal): AsyncGenerator<string> {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of this.chunks(response, signal)) {
      pending += decoder.decode(chunk, { stream: true });
      let start = 0;
      let newline: number;
      while ((newline = pending.indexOf("\n", start)) !== -1) {
        const line = pending.slice(start, newline).trim();
        start = newline + 1;
        if (line !== "") yield line;
      }
      pending = pending.slice(start);
    }
    const last = (pending + decoder.decode()).trim();
    if (last !== "" && !signal?.aborted) yield last;
  }

  /** Releases the connection pool. */
  close(): void {
    this.#client.close();
  }

  async #send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const init: RequestInit & { client?: Deno.HttpClient } = { method, client: this.#client };
    if (options.json !== undefined) {
      init.headers = JSON_HEADERS;
      init.body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      init.headers = { "content-type": options.contentType ?? "application/octet-stream" };
      init.body = options.body;
    }
    if (options.signal !== undefined) init.signal = options.signal;
    const url = this.#origin + path + encodeQuery(options.query);
    let response: Response;
    const started = performance.now();
    const observe = (failed: boolean) =>
      this.#observe?.(method, path, (performance.now() - started) / 1000, failed);
    try {
      response = await fetch(url, init);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      observe(true);
      throw unreachableError(this.host, error);
    }
    observe(response.status >= 500);
    if (response.status >= 400) {
      const text = await response.text().catch(() => "");
      throw engineError(response.status, text, options.errorContext);
    }
    return response;
  }

  #negotiate(): Promise<string> {
    // Concurrent first calls share one /version request; a failure is not cached so a
    // later call can succeed once the engine is back.
    this.#negotiating ??= this.#fetchVersion().then(
      (version) => (this.#prefix = `/v${version}`),
      (error) => {
        this.#negotiating = undefined;
        throw error;
      },
    );
    return this.#negotiating;
  }

  async #fetchVersion(): Promise<string> {
    const response = await this.#send("GET", "/version", {});
    const { ApiVersion } = await response.json() as { ApiVersion?: unknown };
    if (typeof ApiVersion !== "string" || !/^\d+\.\d+$/.test(ApiVersion)) {
      throw new UnavailableError(
        `Cannot use Docker Engine at "${this.host}": it reported no API version`,
        { details: { host: this.host } },
      );
    }
    if (compareApiVersions(ApiVersion, MIN_API_VERSION) < 0) {
      throw new UnavailableError(
        `Cannot use Docker Engine at "${this.host}": API version "${ApiVersion}" is older ` +
          `than the minimum "${MIN_API_VERSION}"`,
        { details: { host: this.host, apiVersion: ApiVersion } },
      );
    }
    return compareApiVersions(ApiVersion, MAX_API_VERSION) > 0 ? MAX_API_VERSION : ApiVersion;
  }
}
