/**
 * The dashboard's live feed in the browser: one shared EventSource on `/live` for every
 * island of a page, and `useLive`, a hook that keeps island state current. On every
 * (re)connection the island reloads a snapshot and replays the messages that arrived
 * meanwhile, so nothing published between the page render and the connection is lost.
 * Sets `<html data-live="connecting|connected|disconnected">` for people and tests.
 * Nothing here runs during server rendering.
 * @module
 */
import { useEffect, useState } from "preact/hooks";
import type { PodView } from "../core/service.ts";
import type { PodEvent } from "../core/store.ts";
import type { Rollout } from "../core/rollout.ts";

/** A pod that is gone. */
export interface DeletedPod {
  id: string;
  deleted: true;
}

/** What the feed delivers. */
export type LiveMessage =
  | { type: "pod"; data: PodView | DeletedPod }
  | { type: "pod-event"; data: PodEvent }
  | { type: "rollout"; data: Rollout };

type Listener = (message: LiveMessage | { type: "open" }) => void;

const listeners = new Set<Listener>();
let source: EventSource | undefined;

function setState(state: string): void {
  document.documentElement.dataset.live = state;
}

function connect(): void {
  if (source) return;
  setState("connecting");
  const es = source = new EventSource("/live");
  const emit = (message: LiveMessage | { type: "open" }) => {
    for (const listener of listeners) listener(message);
  };
  es.addEventListener("open", () => {
    setState("connected");
    emit({ type: "open" });
  });
  es.addEventListener("error", () => setState(es.readyState === 2 ? "disconnected" : "connecting"));
  es.addEventListener(
    "pod",
    (e) => emit({ type: "pod", data: JSON.parse((e as MessageEvent).data) }),
  );
  es.addEventListener(
    "pod-event",
    (e) => emit({ type: "pod-event", data: JSON.parse((e as MessageEvent).data) }),
  );
  es.addEventListener(
    "rollout",
    (e) => emit({ type: "rollout", data: JSON.parse((e as MessageEvent).data) }),
  );
}

/** Listens to the feed; returns the unsubscribe function. */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  connect();
  // Already open: this late listener still needs its first snapshot.
  if (source?.readyState === 1) queueMicrotask(() => listener({ type: "open" }));
  return () => listeners.delete(listener);
}

/** Fetches JSON from the dashboard with the session cookie; undefined on 404. */
export async function fetchJson<T>(url: string): Promise<T | undefined> {
  const res = await fetch(url, { headers: { accept: "application/json" } });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return await res.json() as T;
}

/**
 * State that follows the feed: `reduce` applies a message, `snapshot` (when given)
 * reloads the whole state on every connection. Returns the state and an updater.
 */
export function useLive<T>(
  initial: T,
  reduce: (state: T, message: LiveMessage) => T,
  snapshot?: () => Promise<T>,
): [T, (update: (state: T) => T) => void] {
  const [state, set] = useState(initial);
  useEffect(() => {
    let queue: LiveMessage[] | undefined;
    return subscribe((message) => {
      if (message.type === "open") {
        if (!snapshot) return;
        queue = [];
        snapshot().then((fresh) => fresh, () => undefined).then((fresh) => {
          const replay = queue ?? [];
          queue = undefined;
          set((current) => replay.reduce(reduce, fresh ?? current));
        });
        return;
      }
      if (queue) queue.push(message);
      else set((current) => reduce(current, message));
    });
  }, []);
  return [state, set];
}

/** Puts a changed pod into a list sorted by tenant and name, or takes a deleted one out. */
export function applyPod(pods: PodView[], change: PodView | DeletedPod): PodView[] {
  const rest = pods.filter((p) => p.id !== change.id);
  if ("deleted" in change) return rest;
  return [...rest, change].sort((a, b) =>
    a.tenant === b.tenant ? (a.name < b.name ? -1 : 1) : a.tenant < b.tenant ? -1 : 1
  );
}
