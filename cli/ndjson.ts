/**
 * Line splitting for streamed text (NDJSON logs): chunks may end mid-line or between
 * a CR and its LF; `LineSplitter` hands back whole lines only.
 * @module
 */

/** Splits a stream of text chunks into lines (LF, CRLF or CR endings). */
export class LineSplitter {
  #rest = "";
  #skipLf = false;

  /** Feeds one chunk; returns the lines it completed, without their endings. */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i];
      if (this.#skipLf) {
        this.#skipLf = false;
        if (ch === "\n") {
          start = i + 1;
          continue;
        }
      }
      if (ch === "\n" || ch === "\r") {
        lines.push(this.#rest + chunk.slice(start, i));
        this.#rest = "";
        start = i + 1;
        this.#skipLf = ch === "\r";
      }
    }
    this.#rest += chunk.slice(start);
    return lines;
  }

  /** Ends the input; returns the last line when it had no ending. */
  flush(): string[] {
    const rest = this.#rest;
    this.#rest = "";
    this.#skipLf = false;
    return rest === "" ? [] : [rest];
  }
}

/** Yields the lines of a byte stream. */
export async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const splitter = new LineSplitter();
  // The cast keeps this valid under the DOM lib too (the dashboard brings it in).
  for await (
    const chunk of body.pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
  ) {
    yield* splitter.push(chunk);
  }
  yield* splitter.flush();
}

/** Yields one parsed value per non-blank line of an NDJSON byte stream. */
export async function* readNdjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  for await (const line of readLines(body)) {
    if (line.trim() === "") continue;
    try {
      yield JSON.parse(line);
    } catch {
      throw new SyntaxError(`Malformed NDJSON line from the server: ${line.slice(0, 200)}`);
    }
  }
}
