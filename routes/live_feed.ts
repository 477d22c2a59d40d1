/**
 * The live feed: pod changes and events fanned out to Server-Sent Events subscribers
 * (the CLI's `events --follow`, the dashboard). In-process: the control plane is one
 * process. Slow subscribers are dropped rather than buffered without bound.
 * @module
 */
import type { PodEvent } from "../core/store.ts";

const MAX_QUEUED = 1_000;

/** One message of the feed. */
export type Message = { event: string; data: unknown };

/** Decides what one subscriber gets: the message (or another), or nothing. */
export type MessageFilter = (message: Message) => Promise<Message | undefined>;

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

  /** Publishes a backup task's new state (backup, restore or drill). */
  publishBackupTask(task: unknown): void {
    this.#publish({ event: "backup-task", data: task });
  }

  /** Subscribers right now. */
  get size(): number {
    return this.#subscribers.size;
  }

  #publish(message: Message): void {
    for (const subscriber of this.#subscribers) subscriber(message);
  }

  /**
   * An SSE response that streams until `signal` aborts (the client went away). With
   * `filter`, each message goes through it first, in order.
   */
  sseResponse(signal: AbortSignal, filter?: MessageFilter): Response {
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
        const write = (m: Message) =>
          send(`event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`);
        let chain: Promise<unknown> = Promise.resolve();
        let pending = 0;
        const subscriber = filter
          ? (m: Message) => {
            if (++pending > MAX_QUEUED) return cleanup();
            // A filter that fails ends the stream: it never passes a message unchecked.
            chain = chain.then(() => filter(m)).then((out) => out && write(out))
              .catch(() => cleanup()).finally(() => pending--);
          }
          : write;
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
