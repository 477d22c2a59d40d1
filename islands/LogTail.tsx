/**
 * Island: the live tail of a pod's logs, streamed as Server-Sent Events from
 * `/pods/<tenant>/<pod>/logs`. The stream ends when the container stops; it reopens
 * when the live feed reports the pod running again.
 * @module
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { subscribe } from "./live.ts";

/** Props: the pod's address and id. */
export interface LogTailProps {
  /** `<tenant>/<pod>`. */
  pod: string;
  /** Pod uuid (to match live feed messages). */
  podId: string;
  /** Lines fetched when the stream opens. */
  tail: number;
}

interface Line {
  stream: string;
  text: string;
}

const MAX_LINES = 1_000;

/** The live log tail. */
export function LogTail(props: LogTailProps) {
  const [lines, setLines] = useState<Line[]>([]);
  const [state, setState] = useState<"idle" | "following" | "ended">("idle");
  const [follow, setFollow] = useState(true);
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    let source: EventSource | undefined;
    const open = () => {
      source?.close();
      const es = source = new EventSource(`/pods/${props.pod}/logs?tail=${props.tail}`);
      es.addEventListener("reset", () => {
        setLines([]);
        setState("following");
      });
      es.addEventListener("line", (e) => {
        const line = JSON.parse((e as MessageEvent).data) as Line;
        setLines((current) => [...current.slice(-(MAX_LINES - 1)), line]);
      });
      es.addEventListener("end", () => {
        es.close();
        setState("ended");
      });
      es.addEventListener("error", () => {
        if (es.readyState === 2) setState("ended");
      });
    };
    open();
    const unsubscribe = subscribe((message) => {
      if (message.type !== "pod" || message.data.id !== props.podId) return;
      if ("deleted" in message.data) return source?.close();
      if (message.data.status === "running" && source?.readyState === 2) open();
    });
    return () => {
      unsubscribe();
      source?.close();
    };
  }, []);

  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [lines, follow]);

  return (
    <div class="log">
      <div class="log-head">
        <span class="muted" data-testid="log-state" data-state={state}>
          {state === "following"
            ? "Following"
            : state === "ended"
            ? "Not running: the log resumes when the pod runs"
            : "Connecting…"}
        </span>
        <label class="inline">
          <input
            type="checkbox"
            checked={follow}
            onChange={(e) => setFollow((e.target as HTMLInputElement).checked)}
          />{" "}
          Scroll with new lines
        </label>
      </div>
      <pre class="log-lines" data-testid="log-tail" tabIndex={0} aria-label="Log lines" ref={pre}>
        {lines.map((line, i) => (
          <span key={i} class={line.stream === "stderr" ? "stderr" : undefined}>
            {line.text}
            {"\n"}
          </span>
        ))}
      </pre>
    </div>
  );
}
