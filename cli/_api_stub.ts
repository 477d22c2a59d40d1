/**
 * Test-only: a tiny in-memory fake of the REST API (docs/api.md) on 127.0.0.1, port
 * 0, for the CLI's in-process tests. It implements the tenant and pod endpoints, logs
 * (NDJSON), events (JSON and SSE), health, reconcile and doctor, with the contract's
 * error shape. The real server is exercised by the end-to-end suite.
 * @module
 */
import type { PodEvent, PodView, Tenant } from "./api_types.ts";

/** The token the stub accepts. */
export const STUB_TOKEN = "test-token";

/** A running stub and its state, which tests may inspect or change. */
export interface ApiStub {
  /** Base URL (`http://127.0.0.1:<port>`). */
  url: string;
  /** Every request received: `METHOD /path?query` and its JSON body. */
  requests: { line: string; body?: unknown }[];
  /** Tenants by id. */
  tenants: Map<string, Tenant>;
  /** Pods by `<tenant>/<pod>`. */
  pods: Map<string, PodView>;
  /** Events, oldest first. */
  events: PodEvent[];
  /** Events the SSE stream sends after connecting (raw chunks, split as given). */
  streamChunks: string[];
  /** Doctor checks. */
  checks: { name: string; ok: boolean; message: string }[];
  /** Stops the server. */
  close(): Promise<void>;
}

/** Starts the stub. */
export function startApiStub(): ApiStub {
  const stub: Omit<ApiStub, "url" | "close"> = {
    requests: [],
    tenants: new Map(),
    pods: new Map(),
    events: [],
    streamChunks: [],
    checks: [{ name: "docker", ok: true, message: "Engine 20.10.24, API 1.41" }],
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => handle(stub, request),
  );
  return Object.assign(stub, {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  });
}

function error(status: number, code: string, message: string, details?: unknown): Response {
  return Response.json({ error: { code, message, details } }, { status });
}

async function handle(stub: Omit<ApiStub, "url" | "close">, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const text = await request.text();
  const body = text ? JSON.parse(text) : undefined;
  stub.requests.push({ line: `${request.method} ${url.pathname}${url.search}`, body });
  if (request.headers.get("authorization") !== `Bearer ${STUB_TOKEN}`) {
    return error(401, "unauthorized", "Missing or invalid token");
  }
  const path = url.pathname.replace(/^\/api\/v1/, "");
  const route = `${request.method} ${path}`;
  let m: RegExpMatchArray | null;

  if (route === "GET /tenants") return Response.json([...stub.tenants.values()]);
  if (route === "POST /tenants") {
    const { id, name } = body as { id: string; name?: string };
    if (id === "bad") {
      return error(400, "validation", "Invalid tenant", [{ path: ["id"], message: "Reserved" }]);
    }
    if (stub.tenants.has(id)) return error(409, "conflict", `Tenant "${id}" already exists`);
    const tenant = { id, name: name ?? id, createdAt: "2026-09-06T12:00:00.000Z", pods: 0 };
    stub.tenants.set(id, tenant);
    return Response.json(tenant, { status: 201 });
  }
  if ((m = route.match(/^GET \/tenants\/([^/]+)$/))) {
    const tenant = stub.tenants.get(m[1]!);
    if (!tenant) return error(404, "not_found", `Tenant "${m[1]}" not found`);
    const pods = [...stub.pods.values()].filter((p) => p.tenant === tenant.id);
    return Response.json({ tenant, pods });
  }
  if ((m = route.match(/^DELETE \/tenants\/([^/]+)$/))) {
    const id = m[1]!;
    if (!stub.tenants.has(id)) return error(404, "not_found", `Tenant "${id}" not found`);
    const pods = [...stub.pods.values()].filter((p) => p.tenant === id);
    if (pods.length && url.searchParams.get("force") !== "true") {
      return error(409, "conflict", `Cannot delete tenant "${id}": it has ${pods.length} pods`);
    }
    for (const p of pods) stub.pods.delete(p.pod);
    stub.tenants.delete(id);
    return Response.json({ deleted: id, pods: pods.length });
  }
  if (route === "GET /pods") {
    const tenant = url.searchParams.get("tenant");
    return Response.json([...stub.pods.values()].filter((p) => !tenant || p.tenant === tenant));
  }
  if ((m = route.match(/^POST \/tenants\/([^/]+)\/pods$/))) {
    const tenant = m[1]!;
    if (!stub.tenants.has(tenant)) return error(404, "not_found", `Tenant "${tenant}" not found`);
    const { name, adapter, image } = body as { name: string; adapter: string; image?: string };
    const view: PodView = {
      pod: `${tenant}/${name}`,
      tenant,
      name,
      adapter,
      image: image ?? "agentpod/openclaw:2026.9.6",
      desiredState: "running",
      status: "pending",
      health: null,
      cpu: null,
      memoryMB: null,
      restarts: 0,
      lastError: null,
      conditions: [],
    };
    stub.pods.set(view.pod, view);
    return Response.json(view, { status: 201 });
  }
  if ((m = path.match(/^\/tenants\/([^/]+)\/pods\/([^/]+)(\/[a-z]+)?$/))) {
    const key = `${m[1]}/${m[2]}`;
    const view = stub.pods.get(key);
    if (!view) return error(404, "not_found", `Pod "${key}" not found`);
    const action = `${request.method} ${m[3] ?? ""}`;
    if (action === "GET ") return Response.json(advance(view));
    if (action === "DELETE ") {
      return Response.json({ ...view, desiredState: "deleted" }, { status: 202 });
    }
    if (action === "GET /logs") return logs(url);
    if (action === "POST /restart") return Response.json(view, { status: 202 });
    if (action === "GET /config") {
      return Response.json({ pod: key, adapter: view.adapter, config: { token: "********" } });
    }
  }
  if (route === "GET /events") {
    const tail = Number(url.searchParams.get("tail") ?? 10);
    return Response.json(stub.events.slice(-tail));
  }
  if (route === "GET /events/stream") return sse(stub.streamChunks);
  if (route === "POST /reconcile") {
    const dryRun = url.searchParams.get("dryRun") === "true";
    const actions = [...stub.pods.values()].filter((p) => p.status === "stopped").map((p) => ({
      kind: "start",
      pod: p.pod,
      reason: "Container is exited",
    }));
    return Response.json({ dryRun, actions });
  }
  if (route === "GET /doctor") {
    return Response.json({ ok: stub.checks.every((c) => c.ok), checks: stub.checks });
  }
  if (route === "POST /health") {
    return Response.json(
      [...stub.pods.values()].map((p) => ({ pod: p.pod, health: p.health, message: "Probed" })),
    );
  }
  if (route === "GET /unavailable") return error(503, "unavailable", "Docker is unreachable");
  return error(404, "not_found", `No route for "${url.pathname}"`);
}

/** Moves a pod one step towards running and healthy on each read, as a real start does. */
function advance(view: PodView): PodView {
  if (view.image === "stuck") return view;
  const next: Record<string, Partial<PodView>> = {
    pending: { status: "creating" },
    creating: { status: "starting", health: "starting" },
    starting: { status: "running", health: "ok", cpu: 3, memoryMB: 180 },
  };
  Object.assign(view, next[view.status] ?? {});
  return view;
}

function logs(url: URL): Response {
  const lines = [
    { stream: "stdout", text: "gateway listening", time: "2026-09-06T12:00:00Z" },
    { stream: "stderr", text: "warning: slow disk\n", time: "2026-09-06T12:00:01Z" },
  ];
  const timestamps = url.searchParams.get("timestamps") === "true";
  const text = lines.map((l) => JSON.stringify(timestamps ? l : { ...l, time: undefined }))
    .join("\n") + "\n";
  // Split mid-line so the client must reassemble.
  return new Response(
    ReadableStream.from([text.slice(0, 30), text.slice(30)]).pipeThrough(
      new TextEncoderStream(),
    ),
    { headers: { "content-type": "application/x-ndjson" } },
  );
}

/** How long an event stream stays open after its scripted chunks. */
const IDLE_STREAM_MS = 2_000;

function sse(chunks: string[]): Response {
  const encoder = new TextEncoder();
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = chunks[index++];
      // After the scripted chunks the stream stays open a while, as a live stream does,
      // then ends: a client that never hangs up must not keep the stub (and the test
      // run) from shutting down.
      if (chunk === undefined) {
        await new Promise((resolve) => setTimeout(resolve, IDLE_STREAM_MS));
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(chunk));
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}
