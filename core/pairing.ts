/**
 * A pod's own clients, from AgentPod: the devices paired with its agent and the pending
 * pairing requests (approve, reject), and a one-time owner link to the agent's own UI.
 * Each goes through a command run in the pod's running container, as the adapter says;
 * decisions and links are recorded as events with who asked.
 * @module
 */
import type { AgentAdapter, DevicePairing, OwnerLink } from "./adapter.ts";
import { ConflictError, ValidationError } from "./errors.ts";
import type { PodRecord, Store } from "./store.ts";
import type { ContainerRuntime } from "./runtime.ts";
import { podHost, type RoutingSettings } from "./render.ts";

/** How long one command in the agent's container may take (a CLI start included). */
const EXEC_TIMEOUT_MS = 30_000;

/** What the pairing use cases need. */
export interface PairingDeps {
  store: Store;
  runtime: Pick<ContainerRuntime, "exec">;
  adapterById(id: string): AgentAdapter;
  routing: RoutingSettings;
  /** The pod (NotFoundError when there is none). */
  pod(tenant: string, name: string): Promise<PodRecord>;
  /** Who the current request runs as, or null. */
  actor(): string | null;
}

/** Pairing and owner links. */
export class PairingService {
  readonly #d: PairingDeps;

  constructor(deps: PairingDeps) {
    this.#d = deps;
  }

  /** Paired devices and pending requests of a running pod's agent. */
  async devices(tenant: string, name: string): Promise<DevicePairing> {
    const { pod, adapter, exec } = await this.#running(tenant, name, "pairing");
    return await adapter.pairing!.list(exec, stateDir(pod, adapter));
  }

  /** Approves or rejects a pending pairing request. */
  async decide(
    tenant: string,
    name: string,
    requestId: string,
    approve: boolean,
  ): Promise<{ pod: string; requestId: string; decision: "approved" | "rejected" }> {
    const { pod, adapter, exec } = await this.#running(tenant, name, "pairing");
    await adapter.pairing!.decide(exec, stateDir(pod, adapter), requestId, approve);
    await this.#event(
      pod,
      approve ? "DeviceApproved" : "DeviceRejected",
      `Pairing request ${requestId} ${approve ? "approved" : "rejected"}`,
    );
    return { pod: `${tenant}/${name}`, requestId, decision: approve ? "approved" : "rejected" };
  }

  /** A one-time link that opens the agent's own UI on the pod's public host as its owner. */
  async ownerLink(tenant: string, name: string): Promise<OwnerLink & { pod: string }> {
    const { pod, adapter, exec } = await this.#running(tenant, name, "ownerLink");
    const link = await adapter.ownerLink!(
      exec,
      `https://${podHost(tenant, name, this.#d.routing)}`,
    );
    await this.#event(pod, "OwnerLinkIssued", "One-time owner link to the agent's UI issued");
    return { pod: `${tenant}/${name}`, ...link };
  }

  async #running(tenant: string, name: string, feature: "pairing" | "ownerLink") {
    const pod = await this.#d.pod(tenant, name);
    const adapter = this.#d.adapterById(pod.spec.adapter);
    if (!adapter[feature]) {
      throw new ValidationError(
        `Pods of type "${adapter.id}" have no ${
          feature === "pairing" ? "device pairing" : "owner link"
        }`,
      );
    }
    const containerId = pod.status.containerId;
    if (pod.status.phase !== "running" || !containerId) {
      throw new ConflictError(`Pod "${tenant}/${name}" is not running (${pod.status.phase})`);
    }
    // Bounded: a hung agent CLI must not hold the request (or the dashboard) for ever.
    const exec = (command: string[]) =>
      this.#d.runtime.exec(containerId, command, AbortSignal.timeout(EXEC_TIMEOUT_MS));
    return { pod, adapter, exec };
  }

  async #event(pod: PodRecord, reason: string, message: string): Promise<void> {
    await this.#d.store.events.append({
      tenant: pod.tenant,
      podId: pod.id,
      podName: pod.name,
      type: "Normal",
      reason,
      message,
      actor: this.#d.actor(),
    });
  }
}

function stateDir(pod: PodRecord, adapter: AgentAdapter): string {
  return pod.adoption?.active ? pod.adoption.stateDir.path : adapter.volumePath;
}
