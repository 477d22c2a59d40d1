/**
 * What a command runs with: the process's streams and environment (injected, so the
 * whole CLI runs in-process in tests), the chosen output format, colour, prompts and a
 * lazily created API client (commands that need no server never look for a token).
 * @module
 */
import {
  ApiClient,
  type ReadTextFile,
  readTextFileIfExists,
  resolveBaseUrl,
  resolveToken,
} from "./client.ts";
import { CliError, ExitCode } from "./errors.ts";
import { colourEnabled, type Format, paintWord } from "./format.ts";
import { readLines } from "./ndjson.ts";

/** A text sink: stdout or stderr. */
export interface TextWriter {
  /** Writes text as is. */
  write(text: string): void | Promise<void>;
  /** Whether it is a terminal (colour, progress). */
  isTerminal?: boolean;
}

/** The process around `runCli`; everything a command touches outside itself. */
export interface CliIo {
  /** Environment variables (`AGENTPOD_URL`, `AGENTPOD_TOKEN`, `NO_COLOR`, …). */
  env: Record<string, string | undefined>;
  /** Data. */
  stdout: TextWriter;
  /** Diagnostics, prompts, progress. */
  stderr: TextWriter;
  /** Answers to confirmation prompts; prompts are asked only when it is a terminal. */
  stdin?: { readable: ReadableStream<Uint8Array>; isTerminal: boolean };
  /** Runs `agentpod serve` (wired by `cli.ts`; absent in tests). */
  serve?: () => Promise<void>;
  /** Ends streaming commands (`--follow`) when aborted. */
  signal?: AbortSignal;
  /** Reads the token file (tests inject one). */
  readTextFile?: ReadTextFile;
  /** Polling of `pod create --wait`: interval and timeout in milliseconds. */
  wait?: { intervalMs: number; timeoutMs: number };
}

/** Shared state of one `runCli` call, handed to every command. */
export class CliContext {
  /** The injected process. */
  readonly io: CliIo;
  #client?: Promise<ApiClient>;
  #writes: Promise<void> = Promise.resolve();

  constructor(io: CliIo) {
    this.io = io;
  }

  /** The API client, created on first use (finds the URL and token then). */
  client(): Promise<ApiClient> {
    this.#client ??= (async () => {
      const baseUrl = resolveBaseUrl(this.io.env);
      const token = await resolveToken(this.io.env, this.io.readTextFile ?? readTextFileIfExists);
      return new ApiClient(baseUrl, token);
    })();
    return this.#client;
  }

  /** Whether stdout gets colour. */
  get colour(): boolean {
    return colourEnabled(this.io.stdout.isTerminal ?? false, this.io.env);
  }

  /** Colours a status word when colour is on. */
  paint = (text: string): string => paintWord(text, this.colour);

  /** Writes data to stdout, in order. */
  out(text: string): Promise<void> {
    return this.#queue(() => this.io.stdout.write(text));
  }

  /** Writes a diagnostic to stderr, in order with stdout. */
  err(text: string): Promise<void> {
    return this.#queue(() => this.io.stderr.write(text));
  }

  /** Waits for every queued write. */
  flush(): Promise<void> {
    return this.#writes;
  }

  #queue(write: () => void | Promise<void>): Promise<void> {
    this.#writes = this.#writes.then(write);
    return this.#writes;
  }

  /** Whether progress may be shown (stderr is a terminal). */
  get showProgress(): boolean {
    return this.io.stderr.isTerminal ?? false;
  }

  /**
   * Asks a yes/no question on a terminal (default No) unless `yes` is set; proceeds
   * without asking when stdin is not a terminal. Throws a CliError when declined.
   */
  async confirm(question: string, yes: boolean | undefined): Promise<void> {
    const stdin = this.io.stdin;
    if (yes || !stdin?.isTerminal) return;
    await this.err(`${question} [y/N] `);
    let answer = "";
    const lines = readLines(stdin.readable);
    const first = await lines.next();
    if (!first.done) answer = first.value;
    await lines.return(undefined);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError(ExitCode.failure, "Aborted");
  }
}

/** Options every command has. */
export interface FormatOptions {
  /** Output format. */
  format: Format;
}
