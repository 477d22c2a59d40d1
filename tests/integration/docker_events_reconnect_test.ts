/**
 * The reconnecting event watch against a fake engine on a Unix socket: the stream is
 * closed by the engine, then the engine goes away and comes back on the same path.
 * The consumer must see every event once, in order.
 * @module
 */
import assert from "node:assert/strict";
import { UnavailableError } from "../../core/errors.ts";
import {
  createDockerClient,
  type DockerEvent,
  type ReconnectInfo,
} from "../../providers/docker/mod.ts";

const T1 = 1_764_000_000_100_000_001n;
const T2 = 1_764_000_000_200_000_002n;
const T3 = 1_764_000_003_000_000_003n;

function eventLine(action: string, timeNano: bigint): string {
  return `{"Type":"container","Action":"${action}","Actor":{"ID":"c1","Attributes":{"agentpod.pod":"p"}},` +
    `"scope":"local","time":${timeNano / 1_000_000_000n},"timeNano":${timeNano}}\n`;
}

/** A streaming response; `end()` closes it cleanly, `fail()` breaks it like a dying engine. */
function eventResponse(lines: string[]) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      for (const line of lines) c.enqueue(new TextEncoder().encode(line));
    },
  });
  return {
    response: new Response(body, { headers: { "content-type": "application/json" } }),
    end: () => controller.close(),
    fail: () => controller.error(new Error("engine died")),
  };
}

/** A fake engine answering `/version` and handing each `/events` request to `onEvents`. */
function fakeEngine(path: string, onEvents: (url: URL) => Response) {
  return Deno.serve({ path, onListen() {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/version") return Response.json({ ApiVersion: "1.41" });
    if (url.pathname === "/v1.41/events") return onEvents(url);
    return Response.json({ message: `page not found: ${url.pathname}` }, { status: 404 });
  });
}

function socketPath(): string {
  return `/tmp/agentpod-fake-${crypto.randomUUID().slice(0, 8)}.sock`;
}

async function collect(
  events: AsyncIterable<DockerEvent>,
  count: number,
  onEach?: (n: number) => void,
) {
  const seen: DockerEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    onEach?.(seen.length);
    if (seen.length === count) break;
  }
  return seen;
}

Deno.test("watch() resumes with since= after the engine closes the stream, without duplicates", async () => {
  const path = socketPath();
  const requests: URL[] = [];
  const server = fakeEngine(path, (url) => {
    requests.push(url);
    if (requests.length === 1) {
      const stream = eventResponse([eventLine("start", T1), eventLine("die", T2)]);
      stream.end();
      return stream.response;
    }
    // The engine replays buffered events at or after `since`, so the boundary repeats.
    return eventResponse([eventLine("die", T2), eventLine("destroy", T3)]).response;
  });
  try {
    using docker = createDockerClient({ host: `unix://${path}` });
    const events = await collect(
      docker.events.watch({ filters: { label: ["agentpod.pod=p"] }, initialDelayMs: 10 }),
      3,
    );
    assert.deepEqual(events.map((e) => e.Action), ["start", "die", "destroy"]);
    assert.equal(requests.length, 2);
    assert.equal(requests[0]!.searchParams.get("since"), null);
    assert.equal(requests[1]!.searchParams.get("since"), "1764000000.200000002");
    for (const url of requests) {
      assert.deepEqual(JSON.parse(url.searchParams.get("filters") ?? "null"), {
        label: ["agentpod.pod=p"],
      });
    }
  } finally {
    await server.shutdown();
  }
});

/**
 * An engine that can be killed: a raw socket server writing a chunked `/events` answer
 * that `kill()` cuts off mid-stream (closing the listener also removes the socket file).
 */
function killableEngine(path: string, lines: string[]) {
  const listener = Deno.listen({ transport: "unix", path });
  const conns: Deno.Conn[] = [];
  const sinces: (string | null)[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      const head = await readHead(conn);
      const url = new URL(head.split(" ")[1] ?? "/", "http://localhost");
      const encoder = new TextEncoder();
      if (url.pathname === "/version") {
        const body = '{"ApiVersion":"1.41"}';
        await conn.write(encoder.encode(
          `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
            `Connection: close\r\n\r\n${body}`,
        ));
        conn.close();
        continue;
      }
      sinces.push(url.searchParams.get("since"));
      let out =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
      for (const line of lines) out += `${line.length.toString(16)}\r\n${line}\r\n`;
      await conn.write(encoder.encode(out));
    }
  })();
  return {
    sinces,
    async kill() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Closed already (the /version connection).
        }
      }
      await serving.catch(() => {});
    },
  };
}

async function readHead(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(4096);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) break;
    head += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return head;
}

Deno.test("watch() survives the engine dying mid-stream and coming back on the same socket", async () => {
  const path = socketPath();
  const engine1 = killableEngine(path, [eventLine("start", T1), eventLine("die", T2)]);
  const sinces: (string | null)[] = [];
  let engine2: Deno.HttpServer | undefined;
  let restarted: Promise<void> | undefined;
  const reconnects: ReconnectInfo[] = [];
  try {
    using docker = createDockerClient({ host: `unix://${path}` });
    const events = await collect(
      docker.events.watch({
        initialDelayMs: 20,
        maxDelayMs: 80,
        onReconnect: (info) => reconnects.push(info),
      }),
      3,
      (n) => {
        if (n !== 2) return;
        // Both events are in: the engine crashes, and is back 300 ms later.
        restarted = engine1.kill().then(async () => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          engine2 = fakeEngine(path, (url) => {
            sinces.push(url.searchParams.get("since"));
            return eventResponse([eventLine("die", T2), eventLine("destroy", T3)]).response;
          });
        });
      },
    );
    assert.deepEqual(events.map((e) => e.Action), ["start", "die", "destroy"]);
    assert.deepEqual(engine1.sinces, [null]);
    assert.deepEqual(sinces, ["1764000000.200000002"]);
    // The cut stream, then refused connections while the engine was down.
    assert.ok(reconnects.length >= 2, `reconnects: ${reconnects.length}`);
    assert.ok(
      reconnects.every((r) => r.error instanceof UnavailableError),
      String(reconnects.map((r) => r.error)),
    );
    assert.ok(reconnects.every((r) => r.delayMs <= 80));
  } finally {
    await restarted;
    await engine2?.shutdown();
  }
});

Deno.test("stream() ends when the engine closes it and quietly when aborted", async () => {
  const path = socketPath();
  let calls = 0;
  const server = fakeEngine(path, () => {
    const stream = eventResponse([eventLine("start", T1)]);
    if (++calls === 1) stream.end();
    return stream.response;
  });
  try {
    using docker = createDockerClient({ host: `unix://${path}` });
    const closed = [];
    for await (const event of docker.events.stream()) closed.push(event.Action);
    assert.deepEqual(closed, ["start"]);

    const controller = new AbortController();
    const open = [];
    for await (const event of docker.events.stream({ signal: controller.signal })) {
      open.push(event.Action);
      controller.abort();
    }
    assert.deepEqual(open, ["start"]);
  } finally {
    await server.shutdown();
  }
});
