/**
 * Masking a pod's secrets in text AgentPod passes on (its container's log lines): the
 * gateway token and every sealed config value are replaced by the mask wherever they
 * appear, as `openclaw fleet` redacts its token. Pure.
 * @module
 */
import { type PodSecrets, SECRET_MASK } from "./secrets.ts";

/** Shorter values are not masked: they would mask ordinary words and numbers. */
const MIN_SECRET_LENGTH = 6;

/** Every string of a value, nested in objects and arrays. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) { for (const v of value) strings(v, out); }
  else if (value && typeof value === "object") {
    for (const v of Object.values(value)) strings(v, out);
  }
  return out;
}

/** A function that masks the pod's secrets in a text (identity when it has none). */
export function secretMasker(
  secrets: Pick<PodSecrets, "token" | "values">,
): (text: string) => string {
  const values = [...new Set([secrets.token, ...strings(secrets.values)])]
    .filter((v) => v.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length); // a secret containing another is masked whole
  if (values.length === 0) return (text) => text;
  const pattern = new RegExp(
    values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"),
    "g",
  );
  return (text) => text.replace(pattern, SECRET_MASK);
}
