/**
 * Island: the overview's pod counters by state and its list of pods that need a look
 * (failed, failing health, or an error), live.
 * @module
 */
import type { PodView } from "../core/service.ts";
import { HealthBadge, StatusBadge } from "../components/Badge.tsx";
import { applyPod, fetchJson, useLive } from "./live.ts";

/** Props: every pod at render time. */
export interface OverviewPodsProps {
  pods: PodView[];
}

const TILES: { id: string; label: string; phases: string[] }[] = [
  { id: "running", label: "Running", phases: ["running"] },
  { id: "starting", label: "Starting", phases: ["pending", "creating", "starting", "upgrading"] },
  { id: "stopped", label: "Stopped", phases: ["stopped", "stopping"] },
  { id: "failed", label: "Failed", phases: ["failed"] },
  { id: "deleting", label: "Deleting", phases: ["deleting"] },
];

/** Whether a pod needs attention. */
export function isUnhealthy(pod: PodView): boolean {
  return pod.status === "failed" || pod.health === "failing" ||
    (pod.lastError !== null && pod.desiredState !== "deleted");
}

/** Live counters and unhealthy pods. */
export function OverviewPods(props: OverviewPodsProps) {
  const [pods] = useLive(
    props.pods,
    (state, message) => message.type === "pod" ? applyPod(state, message.data) : state,
    async () => await fetchJson<PodView[]>("/live/pods") ?? [],
  );
  const unhealthy = pods.filter(isUnhealthy);
  return (
    <>
      <ul class="stats" aria-label="Pods by state">
        <li class="stat" data-testid="count-total">
          <span class="stat-value">{pods.length}</span>
          <span class="stat-label">Pods</span>
        </li>
        {TILES.map((tile) => (
          <li key={tile.id} class={`stat stat-${tile.id}`} data-testid={`count-${tile.id}`}>
            <span class="stat-value">
              {pods.filter((p) =>
                tile.phases.includes(p.status)
              ).length}
            </span>
            <span class="stat-label">{tile.label}</span>
          </li>
        ))}
      </ul>
      <section class="card" aria-labelledby="unhealthy-heading">
        <h2 id="unhealthy-heading">Pods needing attention</h2>
        {unhealthy.length === 0
          ? <p class="muted" data-testid="unhealthy-none">Every pod is healthy.</p>
          : (
            <ul class="plain-list" data-testid="unhealthy-pods">
              {unhealthy.map((pod) => (
                <li key={pod.id} data-pod={pod.pod}>
                  <a href={`/pods/${pod.tenant}/${pod.name}`}>{pod.pod}</a>{" "}
                  <StatusBadge status={pod.status} /> <HealthBadge health={pod.health} />
                  {pod.lastError && <span class="muted">{pod.lastError}</span>}
                </li>
              ))}
            </ul>
          )}
      </section>
    </>
  );
}
