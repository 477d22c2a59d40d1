/**
 * Island: the pods table, grouped by tenant, with state, health, CPU and memory. Follows
 * the live feed (a pod made by the CLI appears, a deleted one goes) and refreshes usage
 * every 10 s. Rows carry `data-pod="<tenant>/<pod>"` and `data-status`.
 * @module
 */
import { useEffect } from "preact/hooks";
import type { PodView } from "../core/service.ts";
import { HealthBadge, StatusBadge } from "../components/Badge.tsx";
import { formatCpu, formatMemory } from "../components/pod_format.ts";
import { applyPod, fetchJson, useLive } from "./live.ts";

/** Props: the pods at render time, and the tenant the page is filtered to. */
export interface PodsTableProps {
  pods: PodView[];
  tenant?: string;
}

const USAGE_REFRESH_MS = 10_000;

/** The live pods table. */
export function PodsTable(props: PodsTableProps) {
  const url = `/live/pods${props.tenant ? `?tenant=${encodeURIComponent(props.tenant)}` : ""}`;
  const [pods, update] = useLive(
    props.pods,
    (state, message) => {
      if (message.type !== "pod") return state;
      const change = message.data;
      if (props.tenant && !("deleted" in change) && change.tenant !== props.tenant) return state;
      return applyPod(state, change);
    },
    async () => await fetchJson<PodView[]>(url) ?? [],
  );
  useEffect(() => {
    // Usage is sampled, not published: refresh CPU and memory only, never the state.
    const timer = setInterval(async () => {
      if (document.hidden) return;
      const fresh = await fetchJson<PodView[]>(url).catch(() => undefined);
      if (!fresh) return;
      const usage = new Map(fresh.map((p) => [p.id, p]));
      update((state) =>
        state.map((p) => {
          const u = usage.get(p.id);
          return u ? { ...p, cpu: u.cpu, memoryMB: u.memoryMB } : p;
        })
      );
    }, USAGE_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  if (pods.length === 0) {
    return (
      <p class="empty" data-testid="pods-empty">
        No pods {props.tenant ? `in tenant "${props.tenant}" ` : ""}yet.{" "}
        <a href={`/pods/new${props.tenant ? `?tenant=${props.tenant}` : ""}`}>Create a pod</a>
      </p>
    );
  }
  const groups = new Map<string, PodView[]>();
  for (const pod of pods) groups.set(pod.tenant, [...groups.get(pod.tenant) ?? [], pod]);
  return (
    <div class="table-wrap">
      <table class="table" data-testid="pods-table">
        <thead>
          <tr>
            <th scope="col">Pod</th>
            <th scope="col">Status</th>
            <th scope="col">Health</th>
            <th scope="col" class="num">CPU</th>
            <th scope="col" class="num">Memory</th>
            <th scope="col" class="num hide-narrow">Restarts</th>
            <th scope="col" class="hide-narrow">Adapter</th>
          </tr>
        </thead>
        {[...groups].map(([tenant, list]) => (
          <tbody key={tenant} data-tenant={tenant}>
            <tr class="group">
              <th scope="colgroup" colSpan={7}>
                <a href={`/pods?tenant=${tenant}`}>{tenant}</a>
              </th>
            </tr>
            {list.map((pod) => (
              <tr key={pod.id} data-testid="pod-row" data-pod={pod.pod} data-status={pod.status}>
                <td>
                  <a href={`/pods/${pod.tenant}/${pod.name}`} data-testid="pod-link">
                    <span class="pod-tenant">{pod.tenant}/</span>
                    {pod.name}
                  </a>
                </td>
                <td>
                  <StatusBadge status={pod.status} />
                </td>
                <td>
                  <HealthBadge health={pod.health} />
                </td>
                <td class="num" data-testid="cpu">{formatCpu(pod.cpu)}</td>
                <td class="num" data-testid="memory">{formatMemory(pod.memoryMB)}</td>
                <td class="num hide-narrow">{pod.restarts}</td>
                <td class="hide-narrow">{pod.adapter}</td>
              </tr>
            ))}
          </tbody>
        ))}
      </table>
    </div>
  );
}
