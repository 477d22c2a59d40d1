/**
 * The IPv4 gateway of a Docker network: the address a container on it sees traffic from
 * when that traffic arrives through a port published on the host (docker-proxy and the
 * hairpin NAT both source it from the bridge's own address). The engine does not always
 * say: a daemon started for the first time lists the default `bridge` with a `Subnet`
 * and no `Gateway`. So the answer comes, in order, from the IPAM config's `Gateway`, from
 * the endpoint of a container attached to the network, and from the rule Docker's
 * default IPAM follows when it picks one itself (the first host address of the range it
 * allocates from). `lookupNetworkGateway` makes the engine calls; the rest is pure.
 * @module
 */
import { DockerApiError } from "../../core/errors.ts";
import type { DockerClient } from "./client.ts";
import type { Network } from "./networks.ts";

/** One IPAM pool as the engine lists it. */
export interface IpamPool {
  /** `172.17.0.0/16`. */
  Subnet?: string;
  /** Sub-range addresses are allocated from. */
  IPRange?: string;
  /** The gateway, when the engine recorded one. */
  Gateway?: string;
}

/** Where a gateway came from (for logs and tests). */
export type GatewaySource = "ipam" | "endpoint" | "subnet";

/** The IPv4 gateway recorded in an IPAM config, if any. */
export function ipamGateway(config: readonly IpamPool[] | null | undefined): string | null {
  for (const pool of config ?? []) {
    const gateway = stripPrefix(pool.Gateway);
    if (gateway && isIPv4(gateway)) return gateway;
  }
  return null;
}

/**
 * The gateway Docker's default IPAM assigns when none is configured: the first host
 * address of the pool's `IPRange`, else of its `Subnet` (IPv4 only).
 */
export function derivedGateway(config: readonly IpamPool[] | null | undefined): string | null {
  for (const pool of config ?? []) {
    const range = pool.IPRange || pool.Subnet;
    const first = range ? firstHost(range) : null;
    if (first) return first;
  }
  return null;
}

/**
 * The gateway from what is known, best source first: the IPAM config, an attached
 * container's endpoint gateway (what that container actually routes through), the
 * subnet rule. Null when there is no IPv4 pool at all.
 */
export function resolveGateway(
  config: readonly IpamPool[] | null | undefined,
  endpointGateway?: string | null,
): { gateway: string; source: GatewaySource } | null {
  const recorded = ipamGateway(config);
  if (recorded) return { gateway: recorded, source: "ipam" };
  if (endpointGateway && isIPv4(endpointGateway)) {
    return { gateway: endpointGateway, source: "endpoint" };
  }
  const derived = derivedGateway(config);
  return derived ? { gateway: derived, source: "subnet" } : null;
}

/** `a.b.c.d` with each part 0–255. */
function isIPv4(value: string): boolean {
  const parts = value.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** `172.17.0.1/16` → `172.17.0.1` (some engines write the gateway with its prefix). */
function stripPrefix(value: string | undefined): string | undefined {
  return value?.split("/")[0]?.trim() || undefined;
}

/** The first host address of an IPv4 CIDR (`172.17.0.0/16` → `172.17.0.1`). */
function firstHost(cidr: string): string | null {
  const [address, bits] = cidr.split("/");
  if (!address || !isIPv4(address) || bits === undefined || !/^\d{1,2}$/.test(bits)) return null;
  const prefix = Number(bits);
  if (prefix > 30) return null; // no room for a gateway and a container
  const value = address.split(".").reduce((n, p) => n * 256 + Number(p), 0);
  const size = 2 ** (32 - prefix);
  const network = value - (value % size);
  const host = network + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(host / 2 ** shift) % 256).join(".");
}

/**
 * The IPv4 gateway of `network` (as listed or inspected): the IPAM config, else the
 * endpoint of a container attached to it, else the subnet rule. A network with no IPv4
 * pool at all is an error that says so: pods on it cannot tell their proxy's address.
 */
export async function lookupNetworkGateway(
  docker: DockerClient,
  network: Network,
): Promise<{ gateway: string; source: GatewaySource }> {
  const config = (network.IPAM as { Config?: IpamPool[] | null } | undefined)?.Config;
  let endpoint: string | null = null;
  if (!ipamGateway(config)) endpoint = await attachedEndpointGateway(docker, network);
  const found = resolveGateway(config, endpoint);
  if (found) return found;
  throw new DockerApiError(
    200,
    `Cannot determine the IPv4 gateway of network "${network.Name}": its IPAM config has no IPv4 gateway or subnet (${
      JSON.stringify(config ?? null)
    })`,
  );
}

/** The gateway a running container on the network reports for its endpoint, if any. */
async function attachedEndpointGateway(
  docker: DockerClient,
  network: Network,
): Promise<string | null> {
  const inspected = network.Containers ? network : await docker.networks.inspect(network.Id);
  for (const id of Object.keys(inspected.Containers ?? {})) {
    try {
      const container = await docker.containers.inspect(id);
      const endpoint = Object.values(container.NetworkSettings.Networks ?? {}).find((n) =>
        n.NetworkID === network.Id
      ) as { Gateway?: string } | undefined;
      if (endpoint?.Gateway) return endpoint.Gateway;
    } catch {
      // Gone meanwhile: try the next one.
    }
  }
  return null;
}
