/**
 * A GET over the engine's Unix socket on a plain connection, for large bodies: Deno's
 * fetch hands a streamed body over in ~2.6 KB pieces and reads an archive at ~35 MB/s
 * here, where a socket read of 256 KB at a time gets ~250 MB/s (BENCHMARKS.md). A backup
 * pauses a generic agent for as long as its volume streams out, so this is its path.
 * HTTP/1.0: the engine answers without chunking and ends the body by closing.
 * @module
 */
import { engineError } from "./engine_errors.ts";

const MAX_HEAD = 64 * 1024;
const READ_SIZE = 256 * 1024;

/** The status, headers and body (a stream; cancel it to close the connection). */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: ReadableStream<Uint8Array>;
}

/** GETs `target` (path and query) over the Unix socket at `socketPath`. */
export async function rawGet(socketPath: string, target: string): Promise<RawResponse> {
  const conn = await Deno.connect({ transport: "unix", path: socketPath });
  try {
    // A socket write may take part of the bytes: write until all are sent.
    const request = new TextEncoder().encode(
      `GET ${target} HTTP/1.0\r\nHost: docker\r\nUser-Agent: agentpod\r\n\r\n`,
    );
    for (let sent = 0; sent < request.length;) sent += await conn.write(request.subarray(sent));
    const buffer = new Uint8Array(READ_SIZE);
    let head = new Uint8Array(0);
    let end = -1;
    while (end < 0) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("The engine closed the connection before answering");
      const joined = new Uint8Array(head.length + n);
      joined.set(head);
      joined.set(buffer.subarray(0, n), head.length);
      head = joined;
      end = indexOfBlankLine(head);
      if (end < 0 && head.length > MAX_HEAD) {
        throw new Error("The engine's answer has no end of headers");
      }
    }
    const lines = new TextDecoder().decode(head.subarray(0, end)).split("\r\n");
    const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(lines[0] ?? "")?.[1] ?? NaN);
    if (!Number.isInteger(status)) throw new Error(`The engine answered "${lines[0]}"`);
    const headers = new Headers();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    const rest = head.slice(end + 4);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch { /* already closed */ }
    };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        if (rest.length > 0) controller.enqueue(rest);
      },
      async pull(controller) {
        try {
          const n = await conn.read(buffer);
          if (n === null) {
            close();
            controller.close();
          } else controller.enqueue(buffer.slice(0, n));
        } catch (error) {
          close();
          controller.error(error);
        }
      },
      cancel: close,
    });
    if (status >= 400) {
      const text = await new Response(body).text().catch(() => "");
      throw engineError(status, text);
    }
    return { status, headers, body };
  } catch (error) {
    try {
      conn.close();
    } catch { /* already closed */ }
    throw error;
  }
}

function indexOfBlankLine(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}
