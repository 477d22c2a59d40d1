/**
 * Container logs as lines: reads `/containers/{id}/logs`, demultiplexes non-TTY output
 * into stdout and stderr, keeps TTY output (one raw stream) as stdout, and splits off
 * timestamps. {@linkcode LogDecoder} is the pure part.
 * @module
 */
import { FrameDemuxer, LineAssembler } from "./demux.ts";
import type { DockerTransport } from "./transport.ts";

/** One log line. */
export interface LogLine {
  /** The stream it was written to. */
  stream: "stdout" | "stderr";
  /** The text, without the line break. */
  line: string;
  /** RFC 3339 (nanosecond) time the engine recorded, when `timestamps` was asked for. */
  timestamp?: string;
}

/** Which logs to read. */
export interface LogOptions {
  /** Keep the stream open and yield new lines as they are written. */
  follow?: boolean;
  /** Only the last N lines (default: all). */
  tail?: number | "all";
  /** Ask the engine for a timestamp per line. */
  timestamps?: boolean;
  /** Include stdout (default true). */
  stdout?: boolean;
  /** Include stderr (default true). */
  stderr?: boolean;
  /** Only lines after this Unix time in seconds. */
  since?: number;
  /** Only lines before this Unix time in seconds. */
  until?: number;
  /** Whether the container has a TTY; looked up with an inspect when omitted. */
  tty?: boolean;
  /** Ends the stream quietly. */
  signal?: AbortSignal;
}

/** Turns raw log chunks into {@linkcode LogLine}s. Pure and incremental. */
export class LogDecoder {
  readonly #demuxer: FrameDemuxer | undefined;
  readonly #timestamps: boolean;
  readonly #out = new LineAssembler();
  readonly #err = new LineAssembler();

  /** `tty` means the stream is raw, not multiplexed. */
  constructor(options: { tty: boolean; timestamps: boolean }) {
    this.#demuxer = options.tty ? undefined : new FrameDemuxer();
    this.#timestamps = options.timestamps;
  }

  /** Consumes a chunk and returns the lines it completes. */
  push(chunk: Uint8Array): LogLine[] {
    if (this.#demuxer === undefined) return this.#lines("stdout", this.#out.push(chunk));
    const lines: LogLine[] = [];
    for (const frame of this.#demuxer.push(chunk)) {
      const stream = frame.stream === "stderr" || frame.stream === "system" ? "stderr" : "stdout";
      const assembler = stream === "stderr" ? this.#err : this.#out;
      lines.push(...this.#lines(stream, assembler.push(frame.data)));
    }
    return lines;
  }

  /** Returns unterminated last lines; throws if the stream stopped inside a frame. */
  finish(): LogLine[] {
    this.#demuxer?.finish();
    return [
      ...this.#lines("stdout", this.#out.flush()),
      ...this.#lines("stderr", this.#err.flush()),
    ];
  }

  #lines(stream: "stdout" | "stderr", texts: string[]): LogLine[] {
    return texts.map((text) => {
      if (!this.#timestamps) return { stream, line: text };
      const split = splitTimestamp(text);
      return split.timestamp === undefined ? { stream, line: split.line } : { stream, ...split };
    });
  }
}

/** Splits `2026-01-02T03:04:05.123456789Z text` into its timestamp and text. */
export function splitTimestamp(text: string): { timestamp?: string; line: string } {
  const match = /^(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d))(?: |$)/.exec(text);
  if (match === null) return { line: text };
  return { timestamp: match[1]!, line: text.slice(match[0].length) };
}

/** Reads a container's logs as lines; `isTty` is called only when `options.tty` is unset. */
export async function* readContainerLogs(
  transport: DockerTransport,
  id: string,
  options: LogOptions,
  isTty: () => Promise<boolean>,
): AsyncGenerator<LogLine> {
  const tty = options.tty ?? await isTty();
  let response: Response;
  try {
    response = await transport.request("GET", `/containers/${encodeURIComponent(id)}/logs`, {
      query: {
        follow: options.follow ?? false,
        stdout: options.stdout ?? true,
        stderr: options.stderr ?? true,
        timestamps: options.timestamps ?? false,
        tail: options.tail,
        since: options.since,
        until: options.until,
      },
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) return;
    throw error;
  }
  const decoder = new LogDecoder({ tty, timestamps: options.timestamps ?? false });
  for await (const chunk of transport.chunks(response, options.signal)) {
    yield* decoder.push(chunk);
  }
  if (options.signal?.aborted) return;
  yield* decoder.finish();
}
