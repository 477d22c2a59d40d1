/**
 * The dashboard's live data, all behind the session: `/live` (Server-Sent Events of pod
 * changes and events, from the shared LiveFeed), JSON snapshots the islands reload on
 * every connection, and `/pods/:tenant/:pod/logs`, a pod's log tail as SSE (`reset`,
 * then `line`s, then `end` when the container stops).
 * @module
 */
import type { Context, Hono } from "hono";
import type { DashboardSession } from "../../core/store.ts";
import { type DashboardContext, live } from "./_page.tsx";

const HEARTBEAT_MS = 15_000;
const MAX_TAIL = 2_000;

function boundedInt(value: string | undefined, fallback: number, max: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : fallback;
}

/**
 * Aborts when the client goes away or its session ends (sign-out, expiry, a new admin
 * password): a stream opened with a session must not outlive it. Checked every heartbeat.
 */
function whileSignedIn(c: Context, ctx: DashboardContext, session: DashboardSession): AbortSignal {
  const abort = new AbortController();
  const timer = setInterval(async () => {
    const now = new Date((ctx.deps.now ?? Date.now)());
    const still = await ctx.deps.store.sessions.find(session.idHash, now).catch(() => null);
    if (!still) abort.abort();
  }, ctx.deps.streamSessionCheckMs ?? HEARTBEAT_MS);
  const stop = () => {
    clearInterval(timer);
    abort.abort();
  };
  c.req.raw.signal.addEventListener("abort", stop, { once: true });
  abort.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  return abort.signal;
}

/** Mounts `/live`, `/live/*` and the log stream. */
export function liveRoutes(app: Hono, ctx: DashboardContext): void {
  const { service, feed } = ctx.deps;

  app.get("/live", live(ctx, (c, session) => feed.sseResponse(whileSignedIn(c, ctx, session))));
  app.get(
    "/live/pods",
    live(ctx, async (c) => c.json(await service.listPods(c.req.query("tenant") || undefined))),
  );
  app.get(
    "/live/pods/:tenant/:pod",
    live(
      ctx,
      async (c) =>
        c.json(await service.getPod(c.req.param("tenant") ?? "", c.req.param("pod") ?? "")),
    ),
  );
  app.get(
    "/live/rollouts/:id",
    live(ctx, async (c) => c.json(await ctx.deps.upgrades.get(c.req.param("id") ?? ""))),
  );
  app.get(
    "/live/events",
    live(ctx, async (c) =>
      c.json(
        await service.listEvents({
          tail: boundedInt(c.req.query("tail"), 50, 500),
          pod: c.req.query("pod") || undefined,
        }),
      )),
  );

  app.get(
    "/pods/:tenant/:pod/logs",
    live(ctx, async (c, session) => {
      const tail = boundedInt(c.req.query("tail"), 200, MAX_TAIL);
      const abort = new AbortController();
      const found = await service.podLogs(c.req.param("tenant") ?? "", c.req.param("pod") ?? "", {
        tail,
        follow: "if-running",
        signal: abort.signal,
      });
      whileSignedIn(c, ctx, session).addEventListener("abort", () => abort.abort(), {
        once: true,
      });
      const encoder = new TextEncoder();
      const message = (event: string, data: unknown) =>
        encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      let heartbeat: ReturnType<typeof setInterval> | undefined;
      const lines = found.lines?.[Symbol.asyncIterator]();
      const finish = (controller: ReadableStreamDefaultController<Uint8Array>) => {
        clearInterval(heartbeat);
        try {
          controller.enqueue(message("end", {}));
          controller.close();
        } catch { /* the client went away */ }
      };
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode("retry: 3000\n"));
          controller.enqueue(message("reset", {}));
          if (!lines) return finish(controller);
          heartbeat = setInterval(() => {
            try {
              controller.enqueue(encoder.encode(": keep-alive\n\n"));
            } catch {
              clearInterval(heartbeat);
            }
          }, HEARTBEAT_MS);
        },
        async pull(controller) {
          if (!lines) return;
          try {
            const next = await lines.next();
            if (next.done) return finish(controller);
            controller.enqueue(
              message("line", { stream: next.value.stream, text: next.value.text }),
            );
          } catch {
            finish(controller);
          }
        },
        cancel() {
          clearInterval(heartbeat);
          abort.abort();
        },
      });
      return new Response(body, {
        headers: {
          "content-type": "text/event-stream",
          "cache-control": "no-cache",
          "x-accel-buffering": "no",
        },
      });
    }),
  );
}
