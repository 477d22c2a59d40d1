/**
 * Migration, the pure part: which containers on an engine are OpenClaw gateways made by
 * hand (or by `openclaw fleet`, or compose), what they look like, where their token and
 * state live, and whether AgentPod can adopt them as they run. The engine calls, the
 * file read and the probe happen in `MigrationService` (core/migration_service.ts)
 * through `ContainerRuntime`; nothing here does I/O.
 * @module
 */
import JSON5 from "json5";
import { errorMessage } from "./errors.ts";
import { LABELS } from "./naming.ts";

/** The gateway's port inside its container (OpenClaw's default). */
export const OPENCLAW_PORT = 18789;
/** Where OpenClaw keeps its state (config, sessions, workspace) in its image. */
export const OPENCLAW_STATE_DIR = "/home/node/.openclaw";

/** Any container on the engine, as an inspect shows it (in domain terms). */
export interface EngineContainer {
  id: string;
  /** Name without the leading slash. */
  name: string;
  /** The image reference it was created from (`ghcr.io/openclaw/openclaw:2026.9.6`). */
  image: string;
  /** `sha256:…`. */
  imageId: string;
  /** The image's `org.opencontainers.image.version` label, when it has one. */
  imageVersion?: string;
  /** `running`, `exited`, `restarting`, `paused`, `created`, `dead`. */
  state: string;
  /** Main process id (0 when not running). */
  pid: number;
  /** RFC 3339 start time. */
  startedAt: string;
  restartCount: number;
  /** Entrypoint and command, as the process was started. */
  command: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  /** Ports the image or container exposes (`18789/tcp`). */
  exposedPorts: string[];
  /** Bindings of container ports to the host. */
  published: { containerPort: number; hostIp: string; hostPort: number }[];
  hostname: string;
  /** Network names. */
  networks: string[];
  /** `no`, `always`, `unless-stopped`, `on-failure` ('' is `no`). */
  restartPolicy: string;
  /** Started with `--rm`. */
  autoRemove: boolean;
  /** Memory limit in bytes (0: none). */
  memoryBytes: number;
  /** CPU limit in billionths of a CPU (0: none). */
  nanoCpus: number;
  /** Pids limit (0 or null: none). */
  pidsLimit: number | null;
  mounts: { type: string; source: string; name?: string; destination: string; rw: boolean }[];
}

/** Why a container looks like an OpenClaw gateway. */
export type GatewaySignal = "image" | "command" | "port" | "env";

/** Where the gateway's token comes from (the token itself is never reported). */
export type TokenSource = "config" | "env" | "command" | "none";

/** What AgentPod can do with a discovered gateway. */
export type MigrationVerdict =
  | "adoptable"
  | "fleet-cell"
  | "needs-token"
  | "managed"
  | "managed-elsewhere"
  | "compose-service"
  | "auto-remove"
  | "not-running"
  | "not-published";

/** Verdicts `migrate adopt --all` takes; the others need a fix or an explicit name. */
export const ADOPTED_BY_ALL: ReadonlySet<MigrationVerdict> = new Set(["adoptable", "fleet-cell"]);
/** Verdicts adopt refuses whatever is asked. */
export const NEVER_ADOPTED: ReadonlySet<MigrationVerdict> = new Set([
  "needs-token",
  "managed",
  "managed-elsewhere",
  "auto-remove",
  "not-published",
]);

/** What the config file inside the container says (read through the archive API). */
export interface GatewayConfigFacts {
  /** The file was found and parsed. */
  found: boolean;
  /** `gateway.auth.mode`. */
  authMode?: string;
  /** `gateway.auth.token` (kept in memory only, sealed when adopted). */
  token?: string;
  /** `gateway.port`. */
  port?: number;
  /** `gateway.trustedProxies`. */
  trustedProxies?: string[];
  /** Why it could not be read, when it could not. */
  error?: string;
  /** The whole document (kept in memory, sealed when adopted; never reported). */
  document?: Record<string, unknown>;
}

/** Reads what AgentPod needs from an `openclaw.json` (JSON5, as the gateway reads it). */
export function parseGatewayConfig(text: string): GatewayConfigFacts {
  let doc: unknown;
  try {
    doc = JSON5.parse(text);
  } catch (error) {
    return { found: true, error: `openclaw.json is not valid JSON5: ${errorMessage(error)}` };
  }
  const gateway = (doc as { gateway?: Record<string, unknown> } | null)?.gateway ?? {};
  const auth = (gateway.auth ?? {}) as Record<string, unknown>;
  const facts: GatewayConfigFacts = { found: true };
  if (typeof doc === "object" && doc !== null && !Array.isArray(doc)) {
    facts.document = doc as Record<string, unknown>;
  }
  if (typeof auth.mode === "string") facts.authMode = auth.mode;
  if (typeof auth.token === "string" && auth.token !== "") facts.token = auth.token;
  if (typeof gateway.port === "number") facts.port = gateway.port;
  if (Array.isArray(gateway.trustedProxies)) {
    facts.trustedProxies = gateway.trustedProxies.filter((p): p is string => typeof p === "string");
  }
  return facts;
}

/** One discovered gateway, as `migrate discover` reports it. */
export interface DiscoveredGateway {
  id: string;
  name: string;
  image: string;
  /** The OpenClaw version: the image label, or the version in the image tag. */
  version: string | null;
  state: string;
  signals: GatewaySignal[];
  /** Where the state directory lives. */
  stateDir: { kind: "volume" | "bind" | "container"; source: string | null; path: string };
  /** The address the gateway's port is published on, if it is. */
  address: { hostIp: string; hostPort: number } | null;
  hostname: string;
  networks: string[];
  restartPolicy: string;
  limits: { memoryBytes: number; nanoCpus: number; pidsLimit: number | null };
  authMode: string;
  tokenSource: TokenSource;
  verdict: MigrationVerdict;
  /** Why, in a sentence. */
  reason: string;
  /** Things a user should know (a port open to every interface, no restart policy…). */
  warnings: string[];
  /** Tenant and pod names adopt would use without flags. */
  suggested: { tenant: string; pod: string };
  /** What the adapter's probe said with the token found (absent: not probed). */
  probe?: { healthy: boolean; message: string };
}

/** What the caller knows that the container does not say. */
export interface DiscoverContext {
  /** This control plane's instance id. */
  instance: string;
  /** Containers this instance adopted (ownership kept in the database). */
  adopted: ReadonlySet<string>;
}

/** Published addresses AgentPod reaches through 127.0.0.1 (every interface, or loopback). */
const LOOPBACK_OR_ANY = new Set(["", "0.0.0.0", "::", "127.0.0.1"]);

const COMMAND_RE = /(^|\/)openclaw(\.mjs)?$|(^|\/)dist\/index\.js$/;

/** The signals that make `c` look like an OpenClaw gateway (none: it is not one). */
export function gatewaySignals(c: EngineContainer): GatewaySignal[] {
  const signals: GatewaySignal[] = [];
  if (/openclaw/i.test(c.image)) signals.push("image");
  const runsOpenClaw = c.command.some((arg) => COMMAND_RE.test(arg));
  if (runsOpenClaw && c.command.includes("gateway")) signals.push("command");
  const port = `${OPENCLAW_PORT}/tcp`;
  if (c.exposedPorts.includes(port) || c.published.some((p) => p.containerPort === OPENCLAW_PORT)) {
    signals.push("port");
  }
  if (Object.keys(c.env).some((k) => k.startsWith("OPENCLAW_"))) signals.push("env");
  return signals;
}

/**
 * Whether `c` is taken for a gateway: its command runs the gateway, or two other
 * signals agree (an image named openclaw that runs a shell is not enough on its own).
 */
export function isGateway(signals: readonly GatewaySignal[]): boolean {
  return signals.includes("command") || signals.length >= 2;
}

/** The value of `--flag value` or `--flag=value` in a command line. */
export function commandFlag(command: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < command.length; i++) {
    const arg = command[i]!;
    if (arg === flag) return command[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

/** The port the gateway listens on inside its container. */
export function gatewayPort(c: EngineContainer, config?: GatewayConfigFacts): number {
  const fromCommand = Number(commandFlag(c.command, "--port"));
  if (Number.isInteger(fromCommand) && fromCommand > 0) return fromCommand;
  const fromEnv = Number(c.env.OPENCLAW_GATEWAY_PORT);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return config?.port ?? OPENCLAW_PORT;
}

/** The state directory of a gateway: where its config lives. */
export function stateDirPath(c: EngineContainer): string {
  return c.env.OPENCLAW_STATE_DIR ?? OPENCLAW_STATE_DIR;
}

/**
 * Which token the gateway uses and where it comes from: the config file wins over the
 * command line and the environment (as the gateway itself decides).
 */
export function gatewayToken(
  c: EngineContainer,
  config: GatewayConfigFacts,
): { source: TokenSource; token?: string } {
  if (config.token) return { source: "config", token: config.token };
  const flag = commandFlag(c.command, "--token");
  if (flag) return { source: "command", token: flag };
  const env = c.env.OPENCLAW_GATEWAY_TOKEN;
  if (env) return { source: "env", token: env };
  return { source: "none" };
}

/** Makes a DNS label (`My_Bot.1` → `my-bot-1`), or '' when nothing is left. */
export function dnsLabel(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-")
    .replace(/^-|-$/g, "").slice(0, 40).replace(/-$/, "");
}

/** Tenant and pod names for a container: fleet cells by their tenant, compose by project. */
export function suggestedNames(c: EngineContainer): { tenant: string; pod: string } {
  const fleetTenant = c.labels["openclaw.fleet.tenant"];
  if (fleetTenant) return { tenant: dnsLabel(fleetTenant) || "fleet", pod: "gateway" };
  const project = c.labels["com.docker.compose.project"];
  const service = c.labels["com.docker.compose.service"];
  if (project) {
    return { tenant: dnsLabel(project) || "compose", pod: dnsLabel(service ?? "") || "gateway" };
  }
  return { tenant: dnsLabel(c.name) || "migrated", pod: "gateway" };
}

function versionOf(c: EngineContainer): string | null {
  if (c.imageVersion) return c.imageVersion;
  const tag = /:([^:/@]+)$/.exec(c.image)?.[1];
  return tag && /^\d/.test(tag) ? tag : null;
}

/**
 * Describes a gateway and decides its verdict from what inspect and its config file say.
 * Undefined when `c` is not a gateway.
 */
export function describeGateway(
  c: EngineContainer,
  config: GatewayConfigFacts,
  context: DiscoverContext,
): DiscoveredGateway | undefined {
  const signals = gatewaySignals(c);
  if (!isGateway(signals)) return undefined;
  const path = stateDirPath(c);
  const mount = c.mounts.find((m) => m.destination.replace(/\/$/, "") === path);
  const stateDir = mount
    ? {
      kind: mount.type === "bind" ? "bind" as const : "volume" as const,
      source: mount.type === "bind" ? mount.source : (mount.name ?? mount.source),
      path,
    }
    : { kind: "container" as const, source: null, path };
  const port = gatewayPort(c, config);
  const binding = c.published.find((p) => p.containerPort === port);
  const address = binding ? { hostIp: binding.hostIp, hostPort: binding.hostPort } : null;
  const token = gatewayToken(c, config);
  const warnings: string[] = [];
  if (
    address && (address.hostIp === "" || address.hostIp === "0.0.0.0" || address.hostIp === "::")
  ) {
    warnings.push(
      `Port ${address.hostPort} is published on every interface: the gateway is reachable from other hosts`,
    );
  }
  if (stateDir.kind === "container") {
    warnings.push(`Its state (${path}) is in the container's own filesystem: removing it loses it`);
  }
  if (c.restartPolicy === "" || c.restartPolicy === "no") {
    warnings.push("No restart policy: a crash keeps it down until someone starts it");
  }
  if (c.memoryBytes === 0) warnings.push("No memory limit");
  if (/^agentpod-[a-z0-9-]+$/.test(c.name) && c.labels[LABELS.instance] !== context.instance) {
    warnings.push(`Named like an AgentPod container, but not this AgentPod's`);
  }
  if (config.error) warnings.push(`Its config could not be read: ${config.error}`);

  const { verdict, reason } = decideVerdict(c, token.source, address, context);
  return {
    id: c.id,
    name: c.name,
    image: c.image,
    version: versionOf(c),
    state: c.state,
    signals,
    stateDir,
    address,
    hostname: c.hostname,
    networks: c.networks,
    restartPolicy: c.restartPolicy || "no",
    limits: { memoryBytes: c.memoryBytes, nanoCpus: c.nanoCpus, pidsLimit: c.pidsLimit },
    authMode: config.authMode ?? (token.source === "none" ? "none" : "token"),
    tokenSource: token.source,
    verdict,
    reason,
    warnings,
    suggested: suggestedNames(c),
  };
}

function decideVerdict(
  c: EngineContainer,
  tokenSource: TokenSource,
  address: DiscoveredGateway["address"],
  context: DiscoverContext,
): { verdict: MigrationVerdict; reason: string } {
  const owner = c.labels[LABELS.instance];
  if (context.adopted.has(c.id) || (owner !== undefined && owner === context.instance)) {
    return { verdict: "managed", reason: "Already managed by this AgentPod" };
  }
  if (owner !== undefined) {
    return {
      verdict: "managed-elsewhere",
      reason: `Managed by another AgentPod instance (${owner})`,
    };
  }
  if (c.autoRemove) {
    return {
      verdict: "auto-remove",
      reason: "Started with --rm: the engine removes it when it stops, so nothing can heal it",
    };
  }
  if (tokenSource === "none") {
    return {
      verdict: "needs-token",
      reason: "No gateway token found in its config, command line or environment",
    };
  }
  if (!address) {
    return {
      verdict: "not-published",
      reason: "Its gateway port is not published on the host: AgentPod cannot reach it",
    };
  }
  if (!LOOPBACK_OR_ANY.has(address.hostIp)) {
    return {
      verdict: "not-published",
      reason:
        `Its port is published on ${address.hostIp} only: AgentPod reaches pods on 127.0.0.1 (publish it there too)`,
    };
  }
  if (c.state !== "running") {
    return { verdict: "not-running", reason: `It is ${c.state}: adopt it by name to manage it` };
  }
  if (c.labels["com.docker.compose.project"]) {
    return {
      verdict: "compose-service",
      reason: `A compose service (project "${
        c.labels["com.docker.compose.project"]
      }"): compose may recreate it; adopt it by name`,
    };
  }
  if (c.labels["openclaw.fleet.tenant"]) {
    return {
      verdict: "fleet-cell",
      reason: `An openclaw fleet cell (tenant "${c.labels["openclaw.fleet.tenant"]}"); adoptable`,
    };
  }
  return { verdict: "adoptable", reason: "Running, token found, port published" };
}
