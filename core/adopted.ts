/**
 * `AdoptedContainers`: which containers this control plane adopted (container id → pod
 * id). Docker cannot label a running container, so the runtime learns from this map
 * which unlabelled containers are pods' containers; the reconciler keeps it in step
 * with the pod rows (the database is the truth), and adoption, release and upgrades
 * update it at once. Pure state, no I/O.
 * @module
 */

/** The spec hash an adopted container reports: AgentPod did not render it. */
export const ADOPTED_SPEC_HASH = "adopted";

/** Adopted containers by id. */
export class AdoptedContainers {
  readonly #pods = new Map<string, string>();
  /** When (in changes) each container was last set or deleted. */
  readonly #changedAt = new Map<string, number>();
  #changes = 0;

  /** Records that pod `podId` runs container `containerId`. */
  set(containerId: string, podId: string): void {
    this.#pods.set(containerId, podId);
    this.#changedAt.set(containerId, ++this.#changes);
  }

  /** Forgets a container (released, or its pod moved to a container AgentPod made). */
  delete(containerId: string): void {
    this.#pods.delete(containerId);
    this.#changedAt.set(containerId, ++this.#changes);
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

  /** A mark to pass to `replaceAll` with what was read after it. */
  version(): number {
    return this.#changes;
  }

  /**
   * Replaces every entry by those of a full read of the rows begun at `readAt` (a
   * `version()`): a container set or deleted since then keeps what that change said,
   * since the read may predate it.
   */
  replaceAll(entries: Iterable<[containerId: string, podId: string]>, readAt = Infinity): void {
    const next = new Map(
      [...entries].filter(([id]) => (this.#changedAt.get(id) ?? 0) <= readAt),
    );
    for (const [id, at] of this.#changedAt) {
      if (at <= readAt) continue;
      const pod = this.#pods.get(id);
      if (pod === undefined) next.delete(id);
      else next.set(id, pod);
    }
    this.#pods.clear();
    for (const [id, pod] of next) this.#pods.set(id, pod);
  }
}
