/**
 * The Traefik dynamic configuration AgentPod serves to Traefik's HTTP provider: one
 * router per entry point and one service for every pod that should receive traffic,
 * plus shared middlewares. Pure and deterministic (sorted keys, names from ids):
 * Traefik hashes the body and skips configurations it has already applied.
 * @module
 */
import { canonicalJson } from "./spec_hash.ts";
import { podHost, type RoutingSettings } from "./render.ts";

/** How routes are built. */
export interface TraefikSettings extends RoutingSettings {
  /** Plain-HTTP entry point name (`web`), or empty for none. */
  webEntryPoint: string;
  /** TLS entry point name (`websecure`), or empty for none. */
  tlsEntryPoint: string;
  /** Certificate resolver for TLS routers (ACME), or empty for Traefik's default certificate. */
  certResolver: string;
  /** Ask for one wildcard certificate per tenant (`*.<tenant>.<domain>`, needs DNS-01). */
  wildcardPerTenant: boolean;
  /** `host`: Traefik on the host reaches the published 127.0.0.1 port; `network`: Traefik
   * in Docker reaches the container by name on the tenant network. */
  backend: "host" | "network";
}

/** Defaults: plain HTTP and TLS entry points, Traefik on the host. */
export const DEFAULT_TRAEFIK_SETTINGS: Omit<TraefikSettings, "domain"> = {
  webEntryPoint: "web",
  tlsEntryPoint: "websecure",
  certResolver: "",
  wildcardPerTenant: false,
  backend: "host",
};

/** What the builder needs of a pod. */
export interface RoutablePod {
  /** Tenant id. */
  tenant: string;
  /** Pod name. */
  name: string;
  /** Desired state: only `running` pods are routed. */
  desiredState: string;
  /** Host port on 127.0.0.1. */
  hostPort: number;
  /** The agent's port inside the container. */
  containerPort: number;
  /** Container name (for the `network` backend). */
  containerName: string;
}

/** Shared middleware that tells agents the original scheme was HTTPS. */
export const FORWARDED_HTTPS = "agentpod-forwarded-https";

/** The dynamic configuration for `pods`, as a plain object. */
export function buildTraefikConfig(
  pods: readonly RoutablePod[],
  settings: TraefikSettings,
): Record<string, unknown> {
  const routers: Record<string, unknown> = {};
  const services: Record<string, unknown> = {};
  const routed = pods.filter((p) => p.desiredState === "running");
  for (const pod of routed) {
    // DNS labels never contain "_", so "<tenant>__<pod>" cannot collide.
    const name = `${pod.tenant}__${pod.name}`;
    const rule = `Host(\`${podHost(pod.tenant, pod.name, settings)}\`)`;
    const url = settings.backend === "host"
      ? `http://127.0.0.1:${pod.hostPort}`
      : `http://${pod.containerName}:${pod.containerPort}`;
    // No compress, buffering or retry middleware: they break WebSocket and SSE.
    services[name] = { loadBalancer: { passHostHeader: true, servers: [{ url }] } };
    if (settings.webEntryPoint) {
      routers[name] = { entryPoints: [settings.webEntryPoint], rule, service: name };
    }
    if (settings.tlsEntryPoint) {
      const tls: Record<string, unknown> = {};
      if (settings.certResolver) tls.certResolver = settings.certResolver;
      if (settings.wildcardPerTenant) {
        tls.domains = [{ main: `*.${pod.tenant}.${settings.domain}` }];
      }
      routers[`${name}-tls`] = {
        entryPoints: [settings.tlsEntryPoint],
        middlewares: [FORWARDED_HTTPS],
        rule,
        service: name,
        tls,
      };
    }
  }
  // The middleware is always there: Traefik skips a configuration it finds empty, so
  // with no pod left it would keep serving the last pod's route. An empty map is left
  // out: Traefik refuses the whole configuration for one ("routers cannot be a
  // standalone element") and keeps the routes it had.
  const middlewares = {
    [FORWARDED_HTTPS]: { headers: { customRequestHeaders: { "X-Forwarded-Proto": "https" } } },
  };
  const http: Record<string, unknown> = { middlewares };
  if (Object.keys(routers).length > 0) http.routers = routers;
  if (Object.keys(services).length > 0) http.services = services;
  return { http };
}

/** The configuration as the exact bytes served (sorted keys). */
export function renderTraefikConfig(
  pods: readonly RoutablePod[],
  settings: TraefikSettings,
): string {
  return canonicalJson(buildTraefikConfig(pods, settings));
}

/** A Traefik static configuration (YAML) that polls this control plane. */
export function traefikStaticConfig(options: {
  endpoint: string;
  token: string;
  webAddress: string;
  tlsAddress: string;
  pollIntervalSeconds: number;
  settings: Omit<TraefikSettings, "domain">;
  /**
   * Hops in front of Traefik (a load balancer; 127.0.0.1 for local clients) whose
   * X-Forwarded-For Traefik keeps. Without it Traefik replaces the header with the
   * sender's address, and an agent that trusts Traefik sees only that.
   */
  trustedIPs?: readonly string[];
}): string {
  const { settings } = options;
  const lines = [
    "# Traefik static configuration for AgentPod (generated by `agentpod traefik config`).",
    "global:",
    "  checkNewVersion: false",
    "  sendAnonymousUsage: false",
    "entryPoints:",
  ];
  // Long-lived WebSockets: no read or idle timeout on the agent entry points.
  const entryPoint = (name: string, address: string) => [
    `  ${name}:`,
    `    address: "${address}"`,
    "    transport:",
    "      respondingTimeouts:",
    "        readTimeout: 0s",
    "        writeTimeout: 0s",
    "        idleTimeout: 3600s",
    ...(options.trustedIPs && options.trustedIPs.length > 0
      ? [
        "    forwardedHeaders:",
        "      trustedIPs:",
        ...options.trustedIPs.map((ip) => `        - "${ip}"`),
      ]
      : []),
  ];
  if (settings.webEntryPoint) lines.push(...entryPoint(settings.webEntryPoint, options.webAddress));
  if (settings.tlsEntryPoint) lines.push(...entryPoint(settings.tlsEntryPoint, options.tlsAddress));
  lines.push(
    "providers:",
    "  http:",
    `    endpoint: "${options.endpoint}"`,
    `    pollInterval: ${options.pollIntervalSeconds}s`,
    "    pollTimeout: 5s",
    "    headers:",
    `      X-AgentPod-Token: "${options.token}"`,
    "log:",
    "  level: INFO",
    "",
  );
  return lines.join("\n");
}
