/**
 * Island: the events timeline (newest first) of one pod or of everything, growing live
 * as the control plane records events.
 * @module
 */
import type { PodEvent } from "../core/store.ts";
import { formatTime } from "../components/pod_format.ts";
import { fetchJson, useLive } from "./live.ts";

/** Props: the events at render time, an optional pod filter, how many to keep. */
export interface EventsTimelineProps {
  events: PodEvent[];
  /** `<tenant>/<pod>`: only this pod's events. */
  pod?: string;
  limit: number;
}

/** The live events timeline. */
export function EventsTimeline(props: EventsTimelineProps) {
  const query = `tail=${props.limit}${props.pod ? `&pod=${encodeURIComponent(props.pod)}` : ""}`;
  const [events] = useLive(
    props.events,
    (state, message) => {
      if (message.type !== "pod-event") return state;
      const event = message.data;
      if (props.pod && event.pod !== props.pod) return state;
      if (state.some((e) => e.id === event.id)) return state;
      return [...state, event].slice(-props.limit);
    },
    async () => await fetchJson<PodEvent[]>(`/live/events?${query}`) ?? [],
  );
  if (events.length === 0) {
    return <p class="muted" data-testid="events-empty">No events yet.</p>;
  }
  return (
    <ol class="timeline" data-testid="events">
      {[...events].reverse().map((e) => (
        <li key={e.id} data-testid="event" data-reason={e.reason} data-type={e.type}>
          <span class={`dot dot-${e.type === "Warning" ? "bad" : "ok"}`} aria-hidden="true" />
          <div>
            <p class="event-head">
              <strong>{e.reason}</strong>
              {!props.pod && e.pod && <a href={`/pods/${e.pod}`}>{e.pod}</a>}
              {!props.pod && !e.pod && <span class="muted">{e.tenant}</span>}
              <time dateTime={e.time} class="muted">{formatTime(e.time)}</time>
            </p>
            <p class="event-message">{e.message}</p>
          </div>
        </li>
      ))}
    </ol>
  );
}
