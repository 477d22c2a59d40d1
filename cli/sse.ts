/**
 * A Server-Sent Events parser following the WHATWG event-stream rules: `event`,
 * `data` (several lines joined with LF), `id` and `retry` fields, `:` comments, a
 * blank line dispatches, an event without data is dropped, and an unfinished event at
 * the end of the stream is discarded. Chunk boundaries may fall anywhere.
 * @module
 */
import { LineSplitter } from "./ndjson.ts";

/** One dispatched event. */
export interface SseMessage {
  /** The `event` field, `message` when absent. */
  event: string;
  /** The `data` lines joined with LF. */
  data: string;
  /** The last `id` seen on the stream (it persists across events). */
  id: string;
  /** A `retry` value in milliseconds, when this event carried one. */
  retry?: number;
}

/** Incremental parser: feed text chunks, get complete events back. */
export class SseParser {
  #lines = new LineSplitter();
  #first = true;
  #event = "";
  #data: string[] = [];
  #lastId = "";
  #retry: number | undefined;

  /** Feeds one chunk of the stream; returns the events it completed. */
  push(chunk: string): SseMessage[] {
    if (this.#first && chunk.length > 0) {
      this.#first = false;
      if (chunk.startsWith("\uFEFF")) chunk = chunk.slice(1);
    }
    const out: SseMessage[] = [];
    for (const line of this.#lines.push(chunk)) {
      const message = this.#line(line);
      if (message) out.push(message);
    }
    return out;
  }

  #line(line: string): SseMessage | undefined {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.#event = value;
        break;
      case "data":
        this.#data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.#lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.#retry = Number(value);
        break;
    }
    return undefined;
  }

  #dispatch(): SseMessage | undefined {
    const event = this.#event || "message";
    const data = this.#data;
    const retry = this.#retry;
    this.#event = "";
    this.#data = [];
    this.#retry = undefined;
    if (data.length === 0) return undefined;
    const message: SseMessage = { event, data: data.join("\n"), id: this.#lastId };
    if (retry !== undefined) message.retry = retry;
    return message;
  }
}

/** Yields the events of an SSE byte stream. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const parser = new SseParser();
  // The cast keeps this valid under the DOM lib too (the dashboard brings it in).
  for await (
    const chunk of body.pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
  ) {
    yield* parser.push(chunk);
  }
}
