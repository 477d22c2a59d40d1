/**
 * The live feed: pod changes and events fanned out to Server-Sent Events subscribers
 * (the CLI's `events --follow`, the dashboard). In-process: the control plane is one
 * process. Slow subscribers are dropped rather than buffered without bound.
 * @module
 */
import type { PodEvent } from "../core/store.ts";

const MAX_QUEUED = 1_000;

type Message = { event: string; data: unknown };

/** Fans out messages to SSE subscribers. */
export class LiveFeed {
  readonly #subscribers = new Set<(message: Message) => void>();

  /** Publishes an event record. */
  publishEvent(event: PodEvent): void {
    this.#publish({ event: "pod-event", data: event });
  }

  /** Publishes a pod's new view (or its deletion). */
  publishPod(view: unknown): void {
    this.#publish({ event: "pod", data: view });
  }

  /** Publishes a rollout's new state (with its pods). */
  publishRollout(rollout: unknown): void {
    this.#publish({ event: "rollout", data: rollout });
  }

  /** Subscribers right now. */
  get size(): number {
    return this.#subscribers.size;
  }

  #publish(message: Message): void {
    for (const subscriber of this.#subscribers) subscriber(message);
  }

  /** An SSE response that streams until `signal` aborts (the client went away). */
  sseResponse(signal: AbortSignal): Response {
    const encoder = new TextEncoder();
    let cleanup = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        let queued = 0;
        const send = (text: string) => {
          if (queued > MAX_QUEUED) return cleanup();
          queued = controller.desiredSize !== null && controller.desiredSize < 0 ? queued + 1 : 0;
          controller.enqueue(encoder.encode(text));
        };
        const subscriber = (m: Message) =>
          send(`event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`);
        const heartbeat = setInterval(() => send(": keep-alive\n\n"), 15_000);
        cleanup = () => {
          clearInterval(heartbeat);
          this.#subscribers.delete(subscriber);
          try {
            controller.close();
          } catch { /* already closed */ }
        };
        this.#subscribers.add(subscriber);
        send(": connected\n\n");
        signal.addEventListener("abort", () => cleanup(), { once: true });
      },
      cancel: () => cleanup(),
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      },
    });
  }
}
