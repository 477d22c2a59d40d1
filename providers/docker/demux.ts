/**
 * Decoding of the engine's attach/logs byte streams: the incremental demultiplexer for
 * non-TTY streams (8-byte frame headers) and a line assembler for turning byte chunks
 * into lines. Pure: no I/O; both cope with data split anywhere across chunks.
 * @module
 */

/** Which stream a frame belongs to; `system` carries engine-side errors (type 3). */
export type FrameStream = "stdin" | "stdout" | "stderr" | "system";

/** One demultiplexed frame. */
export interface Frame {
  /** The stream named by header byte 0. */
  stream: FrameStream;
  /** The payload; may share memory with the chunk it came from. */
  data: Uint8Array;
}

const HEADER_SIZE = 8;
const STREAMS: readonly FrameStream[] = ["stdin", "stdout", "stderr", "system"];

/**
 * Splits a multiplexed stream into frames. Header: byte 0 is the stream (0–3), bytes
 * 1–3 are zero, bytes 4–7 the big-endian payload length. Feed chunks in order with
 * {@linkcode FrameDemuxer.push}; call {@linkcode FrameDemuxer.finish} at the end.
 */
export class FrameDemuxer {
  readonly #header = new Uint8Array(HEADER_SIZE);
  #headerFill = 0;
  #stream: FrameStream = "stdout";
  #payload: Uint8Array | undefined;
  #payloadFill = 0;

  /** Consumes a chunk and returns the frames it completes, in order. */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#payload === undefined) {
        if (this.#headerFill === 0 && chunk.length - offset >= HEADER_SIZE) {
          // Fast path: a whole header, and often the whole payload, in this chunk.
          const length = this.#readHeader(chunk, offset);
          offset += HEADER_SIZE;
          if (chunk.length - offset >= length) {
            if (length > 0) {
              frames.push({ stream: this.#stream, data: chunk.subarray(offset, offset + length) });
            }
            offset += length;
          } else {
            this.#payload = new Uint8Array(length);
            this.#payloadFill = 0;
          }
          continue;
        }
        const take = Math.min(HEADER_SIZE - this.#headerFill, chunk.length - offset);
        this.#header.set(chunk.subarray(offset, offset + take), this.#headerFill);
        this.#headerFill += take;
        offset += take;
        if (this.#headerFill < HEADER_SIZE) break;
        this.#headerFill = 0;
        const length = this.#readHeader(this.#header, 0);
        if (length > 0) {
          this.#payload = new Uint8Array(length);
          this.#payloadFill = 0;
        }
        continue;
      }
      const payload = this.#payload;
      const take = Math.min(payload.length - this.#payloadFill, chunk.length - offset);
      payload.set(chunk.subarray(offset, offset + take), this.#payloadFill);
      this.#payloadFill += take;
      offset += take;
      if (this.#payloadFill === payload.length) {
        frames.push({ stream: this.#stream, data: payload });
        this.#payload = undefined;
      }
    }
    return frames;
  }

  /** True while a header or payload is partly read. */
  get pending(): boolean {
    return this.#headerFill > 0 || this.#payload !== undefined;
  }

  /** Throws when the stream ended inside a frame (a truncated stream). */
  finish(): void {
    if (this.pending) throw new Error("Docker stream ended inside a frame: output is truncated");
  }

  #readHeader(bytes: Uint8Array, at: number): number {
    const stream = STREAMS[bytes[at]!];
    if (stream === undefined || bytes[at + 1] !== 0 || bytes[at + 2] !== 0 || bytes[at + 3] !== 0) {
      const shown = Array.from(bytes.subarray(at, at + HEADER_SIZE)).join(",");
      throw new Error(`Malformed Docker stream frame header: [${shown}]`);
    }
    this.#stream = stream;
    return ((bytes[at + 4]! << 24) >>> 0) + (bytes[at + 5]! << 16) + (bytes[at + 6]! << 8) +
      bytes[at + 7]!;
  }
}

/** Demultiplexes a complete buffer (an exec's output) into frames. */
export function demuxAll(bytes: Uint8Array): Frame[] {
  const demuxer = new FrameDemuxer();
  const frames = demuxer.push(bytes);
  demuxer.finish();
  return frames;
}

/**
 * Turns UTF-8 byte chunks into lines without the line break (`\n` or `\r\n`). Multi-byte
 * characters and lines may be split across chunks; one assembler per stream.
 */
export class LineAssembler {
  readonly #decoder = new TextDecoder();
  #pending = "";

  /** Consumes a chunk and returns the lines it completes. */
  push(chunk: Uint8Array): string[] {
    const text = this.#pending + this.#decoder.decode(chunk, { stream: true });
    const parts = text.split("\n");
    this.#pending = parts.pop() ?? "";
    return parts.map(stripCarriageReturn);
  }

  /** Returns the last unterminated line, if any, and resets. */
  flush(): string[] {
    const rest = this.#pending + this.#decoder.decode();
    this.#pending = "";
    return rest === "" ? [] : [stripCarriageReturn(rest)];
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
