/**
 * The HTTP client of the REST API (docs/api.md): finds the server and the admin
 * token, sends JSON with a timeout, opens streams (NDJSON logs, SSE events) and turns
 * every failure into a `CliError` with the right exit code. It formats nothing.
 * @module
 */
import { parseServerConfig } from "../core/config.ts";
import { CliError, detailLines, ExitCode, exitCodeForStatus } from "./errors.ts";

/** Where the CLI looks for the server when `AGENTPOD_URL` is unset. */
export const DEFAULT_URL = "http://127.0.0.1:7070";
/** Timeout of a normal (non-streaming) call, and of opening a stream. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** An API token and where it came from (for error messages). */
export interface TokenSource {
  /** The bearer token. */
  token: string;
  /** `AGENTPOD_TOKEN` or the token file's path. */
  from: string;
}

/** Reads a text file; injectable for tests. Resolves undefined when the file is absent. */
export type ReadTextFile = (path: string) => Promise<string | undefined>;

/** The path of the admin token file the server writes on first start. */
export function tokenFilePath(env: Record<string, string | undefined>): string {
  // Only the data dir matters here; variables the CLI does not use must not break it.
  const config = parseServerConfig({ ...env, DOCKER_HOST: undefined, AGENTPOD_LISTEN: undefined });
  return `${config.dataDir}/admin-token`;
}

/** Finds the API token: `AGENTPOD_TOKEN` wins, else `<dataDir>/admin-token`. */
export async function resolveToken(
  env: Record<string, string | undefined>,
  readFile: ReadTextFile = readTextFileIfExists,
): Promise<TokenSource> {
  const fromEnv = env.AGENTPOD_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, from: "AGENTPOD_TOKEN" };
  const path = tokenFilePath(env);
  let text: string | undefined;
  try {
    text = await readFile(path);
  } catch (error) {
    throw new CliError(
      ExitCode.auth,
      `Cannot read the API token from "${path}": ${reasonOf(error)}`,
      { cause: error },
    );
  }
  const token = text?.trim();
  if (!token) {
    throw new CliError(
      ExitCode.auth,
      `No API token: AGENTPOD_TOKEN is not set and "${path}" ${
        text === undefined ? "does not exist" : "is empty"
      }`,
      { details: ["Set AGENTPOD_TOKEN, or AGENTPOD_DATA_DIR to the server's data directory"] },
    );
  }
  return { token, from: `"${path}"` };
}

/** Reads a file, resolving undefined when it does not exist. */
export async function readTextFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The server's base URL from `AGENTPOD_URL`, without a trailing slash. */
export function resolveBaseUrl(env: Record<string, string | undefined>): string {
  const raw = env.AGENTPOD_URL?.trim() || DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL("invalid:");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(
      ExitCode.usage,
      `Invalid AGENTPOD_URL "${raw}": expected http(s)://host:port, e.g. ${DEFAULT_URL}`,
    );
  }
  return raw.replace(/\/+$/, "");
}

/** Query parameters; undefined and false values are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** Options of one call. */
export interface RequestOptions {
  /** Query parameters. */
  query?: Query;
  /** A JSON body. */
  body?: unknown;
  /** Or a raw body (an archive file being uploaded). */
  raw?: { body: ReadableStream<Uint8Array> | Uint8Array; contentType: string };
  /** Error statuses whose JSON body is returned instead of thrown. */
  acceptStatus?: number[];
}

/** A client of `<baseUrl>/api/v1`. */
export class ApiClient {
  /** The server's base URL, as shown in messages. */
  readonly baseUrl: string;
  readonly #token: TokenSource;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, token: TokenSource, timeoutMs = REQUEST_TIMEOUT_MS) {
    this.baseUrl = baseUrl;
    this.#token = token;
    this.#timeoutMs = timeoutMs;
  }

  /** Sends one call and returns its JSON answer. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      const response = await this.#send(method, path, options, controller.signal);
      if (!response.ok && !options.acceptStatus?.includes(response.status)) {
        throw await this.#failure(response);
      }
      const text = await response.text();
      return (text === "" ? undefined : JSON.parse(text)) as T;
    } catch (error) {
      throw this.#networkFailure(error, controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Opens a streaming GET and returns its body. The timeout covers only the wait for
   * the response headers; `signal` ends the stream.
   */
  async stream(
    path: string,
    query: Query = {},
    signal?: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal?.addEventListener("abort", abort, { once: true });
    const timer = setTimeout(abort, this.#timeoutMs);
    try {
      const response = await this.#send("GET", path, { query }, controller.signal);
      if (!response.ok) throw await this.#failure(response);
      if (!response.body) throw new CliError(ExitCode.failure, "The server sent an empty stream");
      return response.body;
    } catch (error) {
      throw this.#networkFailure(error, controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  #send(method: string, path: string, options: RequestOptions, signal: AbortSignal) {
    const url = new URL(`${this.baseUrl}/api/v1${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== false) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token.token}`,
      accept: "application/json",
    };
    if (options.raw !== undefined) {
      headers["content-type"] = options.raw.contentType;
      return fetch(url, { method, headers, body: options.raw.body as BodyInit, signal });
    }
    if (options.body !== undefined) headers["content-type"] = "application/json";
    return fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal,
    });
  }

  async #failure(response: Response): Promise<CliError> {
    const text = await response.text().catch(() => "");
    let message = `The server answered ${response.status} ${response.statusText}`.trim();
    let details: string[] = [];
    try {
      const body = JSON.parse(text) as { error?: { message?: unknown; details?: unknown } };
      if (typeof body.error?.message === "string") message = body.error.message;
      details = detailLines(body.error?.details);
    } catch {
      // Not our JSON error shape (a proxy's page, say): keep the status line.
    }
    if (response.status === 401) {
      message = `Authentication failed: the server rejected the token from ${this.#token.from}` +
        (message.startsWith("The server answered") ? "" : `: ${message}`);
    }
    if (response.status === 403) message = `Not allowed: ${message}`;
    return new CliError(exitCodeForStatus(response.status), message, {
      details,
      status: response.status,
    });
  }

  #networkFailure(error: unknown, signal: AbortSignal): unknown {
    if (error instanceof CliError) return error;
    if (error instanceof SyntaxError) {
      return new CliError(ExitCode.failure, `The server sent malformed JSON: ${error.message}`);
    }
    if (signal.aborted) {
      return new CliError(
        ExitCode.failure,
        `AgentPod at "${this.baseUrl}" did not answer within ${this.#timeoutMs / 1000} s`,
        { cause: error },
      );
    }
    return new CliError(
      ExitCode.failure,
      `Cannot reach AgentPod at "${this.baseUrl}": ${reasonOf(error)} — ` +
        `is "agentpod serve" running?`,
      { cause: error },
    );
  }
}

/** A short lowercase reason for a network or file error. */
export function reasonOf(error: unknown): string {
  const chain: string[] = [];
  for (let e: unknown = error; e !== undefined && chain.length < 5; e = (e as Error).cause) {
    chain.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  const text = chain.join(" ");
  if (/connection refused/i.test(text)) return "connection refused";
  if (/permission denied/i.test(text)) return "permission denied";
  if (/dns|name or service not known|failed to lookup|nodename nor servname/i.test(text)) {
    return "host not found";
  }
  if (/timed? ?out/i.test(text)) return "timed out";
  if (/connection reset/i.test(text)) return "connection reset";
  if (/certificate|tls/i.test(text)) return "TLS error";
  return chain[0] ?? "unknown error";
}
