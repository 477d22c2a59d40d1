/**
 * Identifier rules: tenant and pod ids are DNS labels (1–40 characters of `a-z0-9-`,
 * no leading or trailing hyphen) so they can appear in host names and container names.
 * Pods are addressed `<tenant>/<pod>`.
 * @module
 */
import { ValidationError } from "./errors.ts";

/** Longest tenant or pod id. */
export const MAX_ID_LENGTH = 40;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** A pod's address: its tenant and its name within that tenant. */
export interface PodRef {
  /** Tenant id (`acme`). */
  tenant: string;
  /** Pod name within the tenant (`agent`). */
  pod: string;
}

/** Why `value` is not a valid id, or undefined when it is. */
export function idProblem(value: string): string | undefined {
  if (value.length === 0) return "it is empty";
  if (value.length > MAX_ID_LENGTH) return `it is longer than ${MAX_ID_LENGTH} characters`;
  if (!DNS_LABEL.test(value)) {
    return "use lowercase letters, digits and hyphens, starting and ending with a letter or digit";
  }
  return undefined;
}

/** Returns `value` when it is a valid tenant id; throws a ValidationError otherwise. */
export function parseTenantId(value: string): string {
  const problem = idProblem(value);
  if (problem) throw new ValidationError(`Invalid tenant id "${value}": ${problem}`);
  return value;
}

/** Parses `<tenant>/<pod>`; throws a ValidationError naming the bad part. */
export function parsePodRef(value: string): PodRef {
  const parts = value.split("/");
  if (parts.length !== 2) {
    throw new ValidationError(`Invalid pod address "${value}": expected <tenant>/<pod>`);
  }
  const [tenant, pod] = parts as [string, string];
  parseTenantId(tenant);
  const problem = idProblem(pod);
  if (problem) throw new ValidationError(`Invalid pod name "${pod}" in "${value}": ${problem}`);
  return { tenant, pod };
}

/** Formats a pod address as `<tenant>/<pod>`. */
export function formatPodRef(ref: PodRef): string {
  return `${ref.tenant}/${ref.pod}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a uuid (any case). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
