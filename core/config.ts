/**
 * The control plane's configuration, read from an environment record passed in
 * (pure: callers hand over `Deno.env.toObject()`). Every variable is documented in
 * the README; a bad value is a ValidationError naming the variable.
 * @module
 */
import { DEFAULT_BACKUP_LIMITS } from "./backup.ts";
import { DELIVERY_DEFAULTS, type DeliveryOptions } from "./alerts.ts";
import { ValidationError } from "./errors.ts";
import { DEFAULT_PORT_RANGE, parsePortRange, type PortRange } from "./ports.ts";
import { parseDuration } from "./rollout.ts";
import { DEFAULT_TRAEFIK_SETTINGS, type TraefikSettings } from "./traefik.ts";

/** Where and how the control plane runs. */
export interface ServerConfig {
  /** Directory for the embedded database, the key file and the admin token file. */
  dataDir: string;
  /** A real PostgreSQL server; undefined means embedded PGlite under `dataDir`. */
  databaseUrl?: string;
  /** Address the HTTP server binds. */
  listen: { hostname: string; port: number };
  /** Docker Engine endpoint: `unix:///path` or `tcp://host:port`. */
  dockerHost: string;
  /** Base domain of pod hosts (`<pod>.<tenant>.<domain>`). */
  domain: string;
  /** Host ports given to pods. */
  portRange: PortRange;
  /** `auto`: heal on timer and engine events; `manual`: only on API writes and `reconcile`. */
  reconcileMode: "auto" | "manual";
  /** A container of ours that belongs to no pod is removed after this long (ms). */
  orphanGraceMs: number;
  /** An upgraded pod's old container and state copy are kept this long to roll back to (ms). */
  rollbackRetentionMs: number;
  /** Backups: where archives are written, and the bounds on one archive. */
  backup: { dir: string; maxBytes: number; maxEntries: number };
  /** Alert deliveries: timeout and retries. */
  alerts: DeliveryOptions;
  /** How often the leader samples each running pod's CPU and memory (ms). */
  usageIntervalMs: number;
  /** A bearer token that reads `/metrics` only (API tokens with the viewer role also do). */
  metricsToken?: string;
  /** How Traefik routes are built (the domain is `domain`). */
  traefik: Omit<TraefikSettings, "domain">;
  /**
   * Extra addresses (CIDRs) agents trust to forward client addresses, beside the tenant
   * network's gateway (e.g. Traefik's container address when it runs in Docker).
   */
  trustedProxies: string[];
}

/** Default Docker Engine endpoint. */
export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
/** Default listen address: loopback only. */
export const DEFAULT_LISTEN = "127.0.0.1:7070";

/** Reads the configuration from environment variables. */
export function parseServerConfig(env: Record<string, string | undefined>): ServerConfig {
  const home = env.HOME;
  const dataDir = nonEmpty(env.AGENTPOD_DATA_DIR) ??
    (nonEmpty(env.XDG_DATA_HOME) ? `${env.XDG_DATA_HOME}/agentpod` : undefined) ??
    (home ? `${home}/.local/share/agentpod` : ".agentpod");
  const databaseUrl = nonEmpty(env.DATABASE_URL);
  const dockerHost = nonEmpty(env.DOCKER_HOST) ?? DEFAULT_DOCKER_HOST;
  if (!/^(unix|tcp):\/\//.test(dockerHost)) {
    throw new ValidationError(
      `Invalid DOCKER_HOST "${dockerHost}": expected unix:///path or tcp://host:port`,
    );
  }
  return {
    dataDir,
    databaseUrl,
    listen: parseListen(nonEmpty(env.AGENTPOD_LISTEN) ?? DEFAULT_LISTEN),
    dockerHost,
    domain: parseDomain(nonEmpty(env.AGENTPOD_DOMAIN) ?? "localhost"),
    portRange: env.AGENTPOD_PORT_RANGE
      ? parsePortRange(env.AGENTPOD_PORT_RANGE)
      : DEFAULT_PORT_RANGE,
    reconcileMode: parseReconcileMode(nonEmpty(env.AGENTPOD_RECONCILE) ?? "auto"),
    traefik: parseTraefik(env),
    trustedProxies: parseTrustedProxies(env.AGENTPOD_TRUSTED_PROXIES ?? ""),
    orphanGraceMs:
      parseSeconds(nonEmpty(env.AGENTPOD_ORPHAN_GRACE) ?? "60", "AGENTPOD_ORPHAN_GRACE") *
      1000,
    rollbackRetentionMs: parseDuration(
      nonEmpty(env.AGENTPOD_ROLLBACK_RETENTION) ?? "24h",
      "AGENTPOD_ROLLBACK_RETENTION",
    ),
    backup: {
      dir: nonEmpty(env.AGENTPOD_BACKUP_DIR) ?? `${dataDir}/backups`,
      maxBytes: parseCount(
        env.AGENTPOD_BACKUP_MAX_BYTES,
        DEFAULT_BACKUP_LIMITS.maxBytes,
        "AGENTPOD_BACKUP_MAX_BYTES",
      ),
      maxEntries: parseCount(
        env.AGENTPOD_BACKUP_MAX_ENTRIES,
        DEFAULT_BACKUP_LIMITS.maxEntries,
        "AGENTPOD_BACKUP_MAX_ENTRIES",
      ),
    },
    ...(nonEmpty(env.AGENTPOD_METRICS_TOKEN) ? { metricsToken: env.AGENTPOD_METRICS_TOKEN! } : {}),
    usageIntervalMs: optionalDuration(
      env.AGENTPOD_USAGE_INTERVAL,
      10_000,
      "AGENTPOD_USAGE_INTERVAL",
    ),
    alerts: {
      timeoutMs: optionalDuration(
        env.AGENTPOD_ALERT_TIMEOUT,
        DELIVERY_DEFAULTS.timeoutMs,
        "AGENTPOD_ALERT_TIMEOUT",
      ),
      retryBaseMs: optionalDuration(
        env.AGENTPOD_ALERT_RETRY_BASE,
        DELIVERY_DEFAULTS.retryBaseMs,
        "AGENTPOD_ALERT_RETRY_BASE",
      ),
      retryMaxMs: optionalDuration(
        env.AGENTPOD_ALERT_RETRY_MAX,
        DELIVERY_DEFAULTS.retryMaxMs,
        "AGENTPOD_ALERT_RETRY_MAX",
      ),
      maxAttempts: parseCount(
        env.AGENTPOD_ALERT_MAX_ATTEMPTS,
        DELIVERY_DEFAULTS.maxAttempts,
        "AGENTPOD_ALERT_MAX_ATTEMPTS",
      ),
    },
  };
}

/** A duration from the environment (`5s`, `500ms`), or `fallback` when unset. */
function optionalDuration(value: string | undefined, fallback: number, name: string): number {
  const text = nonEmpty(value);
  return text === undefined ? fallback : parseDuration(text, name);
}

/** A positive whole number from the environment, or `fallback` when unset. */
function parseCount(value: string | undefined, fallback: number, name: string): number {
  const text = nonEmpty(value);
  if (text === undefined) return fallback;
  if (!/^[1-9][0-9]*$/.test(text)) {
    throw new ValidationError(`Invalid ${name} "${text}": expected a whole number above 0`);
  }
  return Number(text);
}

/** Parses `host:port` (IPv6 as `[::1]:7070`) into its parts. */
export function parseListen(value: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 0 || port > 65535) {
    throw new ValidationError(
      `Invalid AGENTPOD_LISTEN "${value}": expected host:port, e.g. ${DEFAULT_LISTEN}`,
    );
  }
  return { hostname: (match[1] ?? match[2])!, port };
}

function parseTraefik(env: Record<string, string | undefined>): Omit<TraefikSettings, "domain"> {
  const backend = nonEmpty(env.AGENTPOD_TRAEFIK_BACKEND) ?? DEFAULT_TRAEFIK_SETTINGS.backend;
  if (backend !== "host" && backend !== "network") {
    throw new ValidationError(
      `Invalid AGENTPOD_TRAEFIK_BACKEND "${backend}": expected host or network`,
    );
  }
  const wildcard = nonEmpty(env.AGENTPOD_TLS_WILDCARD) ?? "false";
  if (wildcard !== "true" && wildcard !== "false") {
    throw new ValidationError(
      `Invalid AGENTPOD_TLS_WILDCARD "${wildcard}": expected true or false`,
    );
  }
  const entryPoint = (name: string, fallback: string) => {
    const value = env[name] === undefined ? fallback : env[name]!.trim();
    if (value !== "" && !/^[A-Za-z0-9_-]+$/.test(value)) {
      throw new ValidationError(`Invalid ${name} "${value}": expected an entry point name`);
    }
    return value;
  };
  return {
    webEntryPoint: entryPoint("AGENTPOD_TRAEFIK_WEB", DEFAULT_TRAEFIK_SETTINGS.webEntryPoint),
    tlsEntryPoint: entryPoint("AGENTPOD_TRAEFIK_WEBSECURE", DEFAULT_TRAEFIK_SETTINGS.tlsEntryPoint),
    certResolver: nonEmpty(env.AGENTPOD_TLS_CERT_RESOLVER) ?? "",
    wildcardPerTenant: wildcard === "true",
    backend,
  };
}

/** Parses a comma-separated list of IPv4/IPv6 addresses or CIDRs; a bare address gets /32 or /128. */
export function parseTrustedProxies(
  value: string,
  what = "AGENTPOD_TRUSTED_PROXIES",
): string[] {
  return value.split(",").map((v) => v.trim()).filter((v) => v !== "").map((entry) => {
    const [address = "", bits, extra] = entry.split("/");
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
    const v6 = !v4 && /^[0-9a-fA-F:]+$/.test(address) && address.includes(":");
    const max = v4 ? 32 : 128;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    const octetsOk = !v4 || v4.slice(1).every((o) => Number(o) <= 255);
    if ((!v4 && !v6) || !octetsOk || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
      throw new ValidationError(
        `Invalid ${what} entry "${entry}": expected an IP address or CIDR, e.g. 172.30.0.10/32`,
      );
    }
    return `${address.toLowerCase()}/${prefix}`;
  });
}

function parseReconcileMode(value: string): "auto" | "manual" {
  if (value === "auto" || value === "manual") return value;
  throw new ValidationError(`Invalid AGENTPOD_RECONCILE "${value}": expected auto or manual`);
}

function parseSeconds(value: string, name: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new ValidationError(`Invalid ${name} "${value}": expected a number of seconds`);
  }
  return seconds;
}

function parseDomain(value: string): string {
  const domain = value.toLowerCase().replace(/\.$/, "");
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain)) {
    throw new ValidationError(`Invalid AGENTPOD_DOMAIN "${value}": expected a DNS name`);
  }
  return domain;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
