/**
 * Island: a pod's status, conditions and lifecycle buttons (plain forms that also work
 * without JavaScript), kept current by the live feed; says so when the pod is deleted.
 * @module
 */
import type { PodView } from "../core/service.ts";
import { HealthBadge, StatusBadge } from "../components/Badge.tsx";
import { CsrfField } from "../components/CsrfField.tsx";
import { formatCpu, formatMemory, formatTime } from "../components/pod_format.ts";
import { fetchJson, useLive } from "./live.ts";

/** Props: the pod at render time and the session's CSRF token for the buttons. */
export interface PodStatusProps {
  pod: PodView;
  csrf: string;
}

/** Live status of one pod. */
export function PodStatus(props: PodStatusProps) {
  const base = `/pods/${props.pod.tenant}/${props.pod.name}`;
  const [state] = useLive<{ pod: PodView | null }>(
    { pod: props.pod },
    (current, message) => {
      if (message.type !== "pod" || message.data.id !== props.pod.id) return current;
      return { pod: "deleted" in message.data ? null : message.data };
    },
    async () => ({ pod: await fetchJson<PodView>(`/live${base}`) ?? null }),
  );
  const pod = state.pod;
  if (!pod) {
    return (
      <section class="card" aria-labelledby="status-heading">
        <h2 id="status-heading">Status</h2>
        <p class="notice" role="status" data-testid="pod-deleted">
          This pod has been deleted. <a href="/pods">Back to the pods</a>
        </p>
      </section>
    );
  }
  const running = pod.desiredState === "running";
  const deleting = pod.desiredState === "deleted";
  const button = (action: string, label: string, disabled: boolean, style = "") => (
    <form method="post" action={`${base}/${action}`}>
      <CsrfField token={props.csrf} />
      <button
        type="submit"
        class={`button ${style}`}
        disabled={disabled}
        data-testid={`pod-${action}`}
      >
        {label}
      </button>
    </form>
  );
  return (
    <section class="card" aria-labelledby="status-heading">
      <h2 id="status-heading">Status</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={pod.status} testid="pod-status" />
        </dd>
        <dt>Health</dt>
        <dd>
          <HealthBadge health={pod.health} testid="pod-health" />
        </dd>
        <dt>Desired state</dt>
        <dd data-testid="pod-desired">{pod.desiredState}</dd>
        <dt>CPU / memory</dt>
        <dd>{formatCpu(pod.cpu)} / {formatMemory(pod.memoryMB)}</dd>
        <dt>Restarts</dt>
        <dd data-testid="pod-restarts">{pod.restarts}</dd>
        <dt>Generation</dt>
        <dd>{pod.observedGeneration} of {pod.generation} observed</dd>
        {pod.lastError && (
          <>
            <dt>Last error</dt>
            <dd class="error-text" data-testid="pod-last-error">{pod.lastError}</dd>
          </>
        )}
      </dl>
      <div class="actions" role="group" aria-label="Pod actions">
        {button("start", "Start", running || deleting)}
        {button("stop", "Stop", !running)}
        {button("restart", "Restart", !running)}
        {running && (
          <a class="button" href={`${base}/upgrade`} data-testid="pod-upgrade">Upgrade…</a>
        )}
        {deleting
          ? <span class="button danger" aria-disabled="true">Deleting…</span>
          : (
            <a class="button danger" href={`${base}/delete`} data-testid="pod-delete">
              Delete…
            </a>
          )}
      </div>
      <h3>Conditions</h3>
      {pod.conditions.length === 0
        ? <p class="muted">No conditions reported yet.</p>
        : (
          <div class="table-wrap">
            <table class="table" data-testid="pod-conditions">
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Message</th>
                  <th scope="col" class="hide-narrow">Since</th>
                </tr>
              </thead>
              <tbody>
                {pod.conditions.map((c) => (
                  <tr key={c.type} data-condition={c.type} data-condition-status={c.status}>
                    <td>{c.type}</td>
                    <td>{c.status}</td>
                    <td>{c.reason}</td>
                    <td>{c.message}</td>
                    <td class="hide-narrow">{formatTime(c.lastTransitionTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </section>
  );
}
