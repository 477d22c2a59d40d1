/**
 * Deterministic names of everything AgentPod creates for a pod, and the labels that
 * mark a container as ours. Names derive from ids alone, so a restarted control plane
 * finds what it made before.
 * @module
 */

/** Label keys on containers, volumes and networks AgentPod owns. */
export const LABELS = {
  managed: "agentpod.managed",
  instance: "agentpod.instance",
  pod: "agentpod.pod",
  tenant: "agentpod.tenant",
  name: "agentpod.name",
  specHash: "agentpod.spec-hash",
  /** On the short-lived container of an upgrade's smoke run. */
  smoke: "agentpod.smoke",
  /** On a drill's scratch container and volume (the task id). */
  drill: "agentpod.drill",
} as const;

/** Container name of a pod (`agentpod-acme-agent`). */
export function containerName(tenant: string, pod: string): string {
  return `agentpod-${tenant}-${pod}`;
}

/** What an upgrade appends to the old container's name: it is kept to roll back to. */
export const ROLLBACK_SUFFIX = ".rollback";

/** Whether a container is an upgrade's rollback handle (kept stopped, not the pod's). */
export function isRollbackHandle(container: { name: string }): boolean {
  return container.name.endsWith(ROLLBACK_SUFFIX);
}

/**
 * Volume name of a pod; keyed on the pod's uuid so a re-created pod starts empty. Each
 * upgrade copies the state into the next epoch's volume (`…-e1`, `…-e2`): the old
 * container keeps the old copy, untouched, to roll back to.
 */
export function volumeName(podId: string, epoch = 0): string {
  return epoch === 0 ? `agentpod-pod-${podId}` : `agentpod-pod-${podId}-e${epoch}`;
}

/**
 * The container's hostname: stable for the pod's life (OpenClaw keys an owner lease on
 * it, so a replacement container with another hostname would be locked out).
 */
export function containerHostname(tenant: string, pod: string): string {
  return `${tenant}-${pod}`.slice(0, 63).replace(/-+$/, "");
}

/** The bridge network of a tenant (`agentpod-t-acme`). */
export function tenantNetworkName(tenant: string): string {
  return `agentpod-t-${tenant}`;
}

/**
 * Labels of a pod's container. `instance` names the control plane (one per database)
 * that owns it, so two installations on one engine never touch each other's pods.
 */
export function podLabels(
  pod: { id: string; tenant: string; name: string },
  specHash: string,
  instance: string,
): Record<string, string> {
  return {
    [LABELS.managed]: "true",
    [LABELS.instance]: instance,
    [LABELS.pod]: pod.id,
    [LABELS.tenant]: pod.tenant,
    [LABELS.name]: `${pod.tenant}/${pod.name}`,
    [LABELS.specHash]: specHash,
  };
}
