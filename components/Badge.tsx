/**
 * Status and health badges: a coloured word with a stable `data-status` /
 * `data-health` attribute for tests and styles.
 * @module
 */
import { healthTone, statusTone } from "./pod_format.ts";

/** A pod phase badge. */
export function StatusBadge(props: { status: string; testid?: string }) {
  return (
    <span
      class={`badge badge-${statusTone(props.status)}`}
      data-testid={props.testid ?? "status"}
      data-status={props.status}
    >
      {props.status}
    </span>
  );
}

/** A health badge; `-` when the pod is not running. */
export function HealthBadge(props: { health: string | null; testid?: string }) {
  return (
    <span
      class={`badge badge-${healthTone(props.health)}`}
      data-testid={props.testid ?? "health"}
      data-health={props.health ?? "none"}
    >
      {props.health ?? "-"}
    </span>
  );
}

/** A pass/fail badge of a check. */
export function CheckBadge(props: { ok: boolean }) {
  return <span class={`badge badge-${props.ok ? "ok" : "bad"}`}>{props.ok ? "ok" : "failing"}
  </span>;
}
