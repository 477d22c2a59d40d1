/**
 * The registry of agent adapters: the only place that knows which agent types exist.
 * Callers look adapters up by the id stored in a pod's spec.
 * @module
 */
import type { AgentAdapter } from "../core/adapter.ts";
import { ValidationError } from "../core/errors.ts";
import { genericAdapter } from "./generic.ts";
import { openClawAdapter } from "./openclaw.ts";

export { genericAdapter, type GenericConfig, genericConfigSchema } from "./generic.ts";
export { openClawAdapter, type OpenClawConfig, openClawConfigSchema } from "./openclaw.ts";

// Held under the config-agnostic type: callers parse a config with the adapter's own
// `configSchema` before handing it to `render`.
const ADAPTERS: readonly AgentAdapter[] = [
  openClawAdapter,
  genericAdapter,
];

/** Every adapter, in display order (OpenClaw first). */
export function listAdapters(): AgentAdapter[] {
  return [...ADAPTERS];
}

/** The adapter with this id; a ValidationError for an unknown one. */
export function adapterById(id: string): AgentAdapter {
  const adapter = ADAPTERS.find((candidate) => candidate.id === id);
  if (!adapter) {
    const known = ADAPTERS.map((candidate) => candidate.id).join(", ");
    throw new ValidationError(`Unknown adapter "${id}": expected one of ${known}`, {
      details: { adapter: id, expected: ADAPTERS.map((candidate) => candidate.id) },
    });
  }
  return adapter;
}
