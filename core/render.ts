/**
 * From a stored pod to the container request the runtime gets: merge its sealed
 * secrets back into the config, let the adapter render, name everything
 * deterministically and fingerprint the result (the spec hash).
 * @module
 */
import type { AgentAdapter, RenderedFile } from "./adapter.ts";
import { containerHostname, containerName, tenantNetworkName, volumeName } from "./naming.ts";
import type { PodContainerRequest } from "./runtime.ts";
import { mergeSensitive, type PodSecrets } from "./secrets.ts";
import { specHash } from "./spec_hash.ts";
import type { PodRecord } from "./store.ts";

/** How public hosts of pods are formed and how traffic reaches them. */
export interface RoutingSettings {
  /** Base domain (`example.com`); hosts are `<pod>.<tenant>.<domain>`. */
  domain: string;
  /** Proxies (CIDRs) trusted besides the tenant network's gateway; none by default. */
  trustedProxies?: string[];
}

/** The public host of a pod. */
export function podHost(tenant: string, pod: string, routing: RoutingSettings): string {
  return `${pod}.${tenant}.${routing.domain}`;
}

/** Origins a browser may use to reach a pod. */
export function podOrigins(tenant: string, pod: string, routing: RoutingSettings): string[] {
  const host = podHost(tenant, pod, routing);
  return [`https://${host}`, `http://${host}`];
}

/** A rendered pod: what to create, and its fingerprints. */
export interface RenderedPodRequest {
  /** The runtime request. */
  request: PodContainerRequest;
  /** Files for config changes. */
  files: RenderedFile[];
  /** Fingerprint of the files (paths, contents, modes, owners). */
  filesHash: string;
}

/**
 * The proxies a pod should trust to forward client addresses: the gateway of its
 * tenant network (every connection through a port published on the host, Traefik's
 * and the control plane's probe alike, arrives from it) and the configured extras.
 */
export function podTrustedProxies(gateway: string | null, routing: RoutingSettings): string[] {
  const own = gateway === null ? [] : [gateway.includes(":") ? `${gateway}/128` : `${gateway}/32`];
  return [...new Set([...own, ...(routing.trustedProxies ?? [])])];
}

/**
 * Renders `pod` with its opened secrets through its adapter. `gateway` is its tenant
 * network's gateway once the network exists (files depend on it, the hash does not).
 */
export function renderPodRequest(
  pod: PodRecord,
  adapter: AgentAdapter,
  secrets: PodSecrets,
  routing: RoutingSettings,
  gateway: string | null = null,
): RenderedPodRequest {
  const config = adapter.configSchema.parse(mergeSensitive(pod.spec.config, secrets.values));
  const rendered = adapter.render(config, {
    ref: `${pod.tenant}/${pod.name}`,
    // An upgrade pins the image id it checked: a tag moved later changes nothing.
    image: pod.spec.imageId ?? pod.spec.image,
    resources: pod.spec.resources,
    token: secrets.token,
    publicOrigins: podOrigins(pod.tenant, pod.name, routing),
    trustedProxies: podTrustedProxies(gateway, routing),
    ...(secrets.imported ? { importedConfig: secrets.imported } : {}),
  });
  const base = {
    podId: pod.id,
    tenant: pod.tenant,
    pod: pod.name,
    containerName: containerName(pod.tenant, pod.name),
    // An adopted agent's successor keeps its hostname (OpenClaw leases its state by it).
    hostname: pod.adoption?.hostname ?? containerHostname(pod.tenant, pod.name),
    network: tenantNetworkName(pod.tenant),
    volume: volumeName(pod.id, pod.spec.volumeEpoch),
    hostPort: pod.hostPort,
    spec: rendered.container,
  };
  // Files are not in the container's hash: a change to them is applied by rewriting
  // them in the volume (their own hash, kept in the pod's status), not by recreating.
  const hash = specHash({
    spec: base.spec,
    hostPort: base.hostPort,
    hostname: base.hostname,
    network: base.network,
    volume: base.volume,
  });
  return {
    request: { ...base, specHash: hash, files: rendered.files },
    files: rendered.files,
    filesHash: specHash(rendered.files),
  };
}
