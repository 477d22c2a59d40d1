/**
 * Island: the devices paired with a pod's agent and its pending pairing requests, with
 * Approve and Reject (plain forms that also work without JavaScript). Pairing lives in
 * the agent, not in AgentPod's feed, so the island asks again every few seconds while
 * the page is visible.
 * @module
 */
import { useEffect, useState } from "preact/hooks";
import type { DevicePairing } from "../core/adapter.ts";
import { CsrfField } from "../components/CsrfField.tsx";
import { formatTime } from "../components/pod_format.ts";

/** Props: the pod's page path and the CSRF token. */
export interface PodDevicesProps {
  base: string;
  csrf: string;
}

const EVERY_MS = 3_000;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Pending requests and paired devices of one pod. */
export function PodDevices(props: PodDevicesProps) {
  const [state, setState] = useState<{ pairing: DevicePairing | null; error: string | null }>(
    { pairing: null, error: null },
  );
  useEffect(() => {
    let stopped = false;
    const tick = async () => {
      if (document.visibilityState === "visible") {
        try {
          const res = await fetch(`/live${props.base}/devices`, {
            headers: { accept: "application/json" },
          });
          const body = await res.json();
          if (stopped) return;
          // The agent's answer, or why there is none (the pod is stopped, say).
          if (res.ok && !body.unavailable) {
            setState({ pairing: body as DevicePairing, error: null });
          } else {
            setState({ pairing: null, error: body.unavailable ?? body.error?.message ?? "" });
          }
        } catch (error) {
          if (!stopped) setState((s) => ({ ...s, error: messageOf(error) }));
        }
      }
      if (!stopped) timer = setTimeout(tick, EVERY_MS);
    };
    let timer = setTimeout(tick, 0);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [props.base]);
  const { pairing, error } = state;
  return (
    <div data-testid="pod-devices">
      <h3>Pairing requests</h3>
      {!pairing && !error && <p class="muted">Asking the agent…</p>}
      {error && <p class="muted" data-testid="devices-error">{error}</p>}
      {pairing && pairing.pending.length === 0 && (
        <p class="muted" data-testid="devices-none">No pending requests.</p>
      )}
      {pairing && pairing.pending.length > 0 && (
        <ul class="plain">
          {pairing.pending.map((r) => (
            <li key={r.requestId} data-testid="device-request" data-request={r.requestId}>
              <strong>{r.name ?? r.client ?? "A client"}</strong>{" "}
              <span class="muted">
                {r.origin ?? ""} {r.address ? `from ${r.address}` : ""}{" "}
                {r.requestedAt ? formatTime(r.requestedAt) : ""}
              </span>
              <div class="actions">
                {(["approve", "reject"] as const).map((decision) => (
                  <form
                    method="post"
                    action={`${props.base}/devices/${encodeURIComponent(r.requestId)}/${decision}`}
                  >
                    <CsrfField token={props.csrf} />
                    <button
                      type="submit"
                      class={`button${decision === "reject" ? " danger" : ""}`}
                      data-testid={`device-${decision}`}
                    >
                      {decision === "approve" ? "Approve" : "Reject"}
                    </button>
                  </form>
                ))}
              </div>
            </li>
          ))}
        </ul>
      )}
      {pairing && pairing.paired.length > 0 && (
        <>
          <h3>Paired devices</h3>
          <ul class="plain" data-testid="devices-paired">
            {pairing.paired.map((d) => (
              <li key={d.deviceId}>
                {d.name ?? d.client ?? d.deviceId.slice(0, 12)}{" "}
                <span class="muted">
                  {d.role ?? ""} {d.connected ? "· connected" : ""}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
