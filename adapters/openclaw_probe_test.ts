import assert from "node:assert/strict";
import type { ProbeResult } from "../core/adapter.ts";
import { probeOpenClaw } from "./openclaw_probe.ts";

const TOKEN = "probe-test-token-0123456789";

/** What the fake gateway does once a client has sent `connect`. */
type ConnectReply = (socket: WebSocket, request: { id: string }) => void;

interface FakeGateway {
  baseUrl: string;
  connects: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A local stand-in speaking the gateway's HTTP and WebSocket surface. */
function fakeGateway(readyz: number, reply: ConnectReply): FakeGateway {
  const connects: Record<string, unknown>[] = [];
  const sockets = new Set<WebSocket>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    if (new URL(request.url).pathname === "/readyz") {
      return new Response(readyz === 200 ? '{"ready":true}' : "{}", { status: readyz });
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    sockets.add(socket);
    socket.onclose = () => sockets.delete(socket);
    socket.onopen = () =>
      socket.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: {} }));
    socket.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      connects.push(frame);
      reply(socket, frame);
    };
    return response;
  });
  return {
    baseUrl: `http://127.0.0.1:${server.addr.port}`,
    connects,
    async close() {
      for (const socket of sockets) socket.close();
      await server.shutdown();
    },
  };
}

async function probeFake(
  readyz: number,
  reply: ConnectReply,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ result: ProbeResult; connects: Record<string, unknown>[] }> {
  const gateway = fakeGateway(readyz, reply);
  try {
    const result = await probeOpenClaw(
      {
        baseUrl: gateway.baseUrl,
        token: TOKEN,
        signal: options.signal ?? new AbortController().signal,
      },
      options.timeoutMs,
    );
    return { result, connects: gateway.connects };
  } finally {
    await gateway.close();
  }
}

const helloOk: ConnectReply = (socket, request) =>
  socket.send(JSON.stringify({
    type: "res",
    id: request.id,
    ok: true,
    payload: { type: "hello-ok", protocol: 4, server: { version: "2026.9.6" } },
  }));

Deno.test("probeOpenClaw() is healthy on hello-ok and sends one well-formed connect", async () => {
  const { result, connects } = await probeFake(200, helloOk);
  assert.deepEqual(result, {
    healthy: true,
    message: "Gateway is ready (OpenClaw 2026.9.6, protocol 4)",
  });
  assert.equal(connects.length, 1);
  const { id, ...connect } = connects[0]!;
  assert.match(String(id), /^[0-9a-f-]{36}$/);
  assert.deepEqual(connect, {
    type: "req",
    method: "connect",
    params: {
      minProtocol: 4,
      maxProtocol: 4,
      client: { id: "openclaw-probe", version: "1.0.0", platform: "linux", mode: "probe" },
      role: "operator",
      scopes: [],
      caps: [],
      auth: { token: TOKEN },
    },
  });
});

Deno.test("probeOpenClaw() reads /readyz 503 as starting, without opening a socket", async () => {
  const { result, connects } = await probeFake(503, helloOk);
  assert.deepEqual(result, {
    healthy: false,
    starting: true,
    message: "Gateway is starting: /readyz answered 503",
  });
  assert.equal(connects.length, 0);
});

Deno.test("probeOpenClaw() reports another /readyz status as unhealthy", async () => {
  const { result } = await probeFake(403, helloOk);
  assert.deepEqual(result, { healthy: false, message: "Gateway /readyz answered 403: {}" });
});

Deno.test("probeOpenClaw() reads a refused connection as starting", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const result = await probeOpenClaw({
    baseUrl: `http://127.0.0.1:${port}`,
    token: TOKEN,
    signal: new AbortController().signal,
  });
  assert.equal(result.healthy, false);
  assert.equal(result.starting, true);
  assert.match(result.message, /^Gateway is not accepting connections yet: /);
});

Deno.test("probeOpenClaw() reads UNAVAILABLE as starting", async () => {
  const { result } = await probeFake(200, (socket, request) =>
    socket.send(JSON.stringify({
      type: "res",
      id: request.id,
      ok: false,
      error: { code: "UNAVAILABLE", message: "gateway starting", retryAfterMs: 500 },
    })));
  assert.deepEqual(result, {
    healthy: false,
    starting: true,
    message: "Gateway is starting (UNAVAILABLE: gateway starting)",
  });
});

Deno.test("probeOpenClaw() reports a refused connect as unhealthy, not starting", async () => {
  const { result } = await probeFake(200, (socket, request) => {
    socket.send(JSON.stringify({
      type: "res",
      id: request.id,
      ok: false,
      error: { code: "AUTH_TOKEN_MISMATCH", message: "unauthorized" },
    }));
    socket.close(1008, "unauthorized");
  });
  assert.deepEqual(result, {
    healthy: false,
    message: "Gateway refused connect (AUTH_TOKEN_MISMATCH: unauthorized)",
  });
});

Deno.test("probeOpenClaw() reports a socket closed before any answer", async () => {
  const { result } = await probeFake(200, (socket) => socket.close(1011, "boom"));
  assert.deepEqual(result, {
    healthy: false,
    message: "Gateway closed the WebSocket before answering connect (code 1011: boom)",
  });
});

Deno.test("probeOpenClaw() ignores other frames and times out when connect gets no answer", async () => {
  const started = Date.now();
  const { result } = await probeFake(200, (socket) => {
    socket.send(JSON.stringify({ type: "event", event: "tick", payload: {} }));
    socket.send("not json");
  }, { timeoutMs: 300 });
  assert.deepEqual(result, { healthy: false, message: "Gateway did not answer within 300 ms" });
  assert.ok(Date.now() - started < 3_000);
});

Deno.test("probeOpenClaw() stops when the caller aborts", async () => {
  const controller = new AbortController();
  const { result } = await probeFake(200, () => controller.abort(), {
    signal: controller.signal,
  });
  assert.deepEqual(result, { healthy: false, message: "Probe was cancelled" });
});

Deno.test("probeOpenClaw() without a token never connects", async () => {
  const result = await probeOpenClaw({
    baseUrl: "http://127.0.0.1:9",
    token: "",
    signal: new AbortController().signal,
  });
  assert.deepEqual(result, { healthy: false, message: "No gateway token to probe with" });
});
