/**
 * Island: a rollout's state and each pod's progress (state, downtime, message), kept
 * current by the live feed while the leader carries it out.
 * @module
 */
import type { Rollout } from "../core/rollout.ts";
import { formatTime } from "../components/pod_format.ts";
import { fetchJson, useLive } from "./live.ts";

/** Props: the rollout at render time. */
export interface RolloutProgressProps {
  rollout: Rollout;
}

/** Seconds between a pod's stop and its new container's first good probe. */
function downtime(item: Rollout["items"][number]): string {
  if (!item.stoppedAt || !item.readyAt) return "-";
  return `${((Date.parse(item.readyAt) - Date.parse(item.stoppedAt)) / 1000).toFixed(1)} s`;
}

/** Live progress of one rollout. */
export function RolloutProgress(props: RolloutProgressProps) {
  const [rollout] = useLive<Rollout>(
    props.rollout,
    (current, message) =>
      message.type === "rollout" && message.data.id === current.id ? message.data : current,
    async () => await fetchJson<Rollout>(`/live/rollouts/${props.rollout.id}`) ?? props.rollout,
  );
  return (
    <section class="card" aria-labelledby="progress-heading">
      <h2 id="progress-heading">Progress</h2>
      <dl class="facts">
        <dt>State</dt>
        <dd data-testid="rollout-state">{rollout.state}</dd>
        <dt>Image</dt>
        <dd>
          {rollout.image}
          {rollout.imageId ? <span class="muted">{` ${rollout.imageId.slice(0, 19)}`}</span> : null}
        </dd>
        <dt>Message</dt>
        <dd data-testid="rollout-message">{rollout.message ?? "-"}</dd>
        <dt>Started</dt>
        <dd>{formatTime(rollout.createdAt)}</dd>
      </dl>
      <div class="table-wrap">
        <table class="table" data-testid="rollout-pods">
          <thead>
            <tr>
              <th>Pod</th>
              <th>State</th>
              <th>Down</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {rollout.items.map((item) => (
              <tr key={item.podId} data-pod={`${item.tenant}/${item.pod}`}>
                <td>
                  <a href={`/pods/${item.tenant}/${item.pod}`}>{`${item.tenant}/${item.pod}`}</a>
                  {item.canary ? <span class="muted">canary</span> : null}
                </td>
                <td data-testid="item-state">{item.state}</td>
                <td>{downtime(item)}</td>
                <td>{item.message ?? "-"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
