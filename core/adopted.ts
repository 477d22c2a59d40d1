/**
 * `AdoptedContainers`: which containers this control plane adopted (container id → pod
 * id). Docker cannot label a running container, so the runtime learns from this map
 * which unlabelled containers are pods' containers; the reconciler keeps it in step
 * with the pod rows (the database is the truth), and adoption and release update it at
 * once. Pure state, no I/O.
 * @module
 */

/** The spec hash an adopted container reports: AgentPod did not render it. */
export const ADOPTED_SPEC_HASH = "adopted";

/** Adopted containers by id. */
export class AdoptedContainers {
  readonly #pods = new Map<string, string>();

  /** Records that pod `podId` runs container `containerId`. */
  set(containerId: string, podId: string): void {
    this.#pods.set(containerId, podId);
  }

  /** Forgets a container (released, or its pod moved to a container AgentPod made). */
  delete(containerId: string): void {
    this.#pods.delete(containerId);
  }

  /** The pod that adopted `containerId`, if any. */
  podOf(containerId: string): string | undefined {
    return this.#pods.get(containerId);
  }

  /** Adopted container ids, of one pod or all. */
  containers(podId?: string): string[] {
    return [...this.#pods].filter(([, pod]) => podId === undefined || pod === podId)
      .map(([id]) => id);
  }

  /** Replaces every entry (from the pod rows of a full read). */
  replaceAll(entries: Iterable<[containerId: string, podId: string]>): void {
    this.#pods.clear();
    for (const [containerId, podId] of entries) this.#pods.set(containerId, podId);
  }
}
