/**
 * The `AgentAdapter` contract: everything AgentPod knows about one agent type (image,
 * ports, config schema, how to render config files, what a config change needs, how
 * to probe it). Adapters live in `adapters/`, one file each; core only sees this type.
 * @module
 */
import type { z } from "zod";

/** Resource limits of a pod's container. */
export interface Resources {
  /** Memory limit in MiB. */
  memoryMB: number;
  /** CPU limit in cores (0.5 = half a core). */
  cpus: number;
  /** Process limit. */
  pids: number;
}

/** A file the adapter writes into the pod's volume before the container starts. */
export interface RenderedFile {
  /** Path relative to the volume's mount path (`openclaw.json`, `workspace/SOUL.md`). */
  path: string;
  /** UTF-8 content. */
  content: string;
  /** Permission bits. */
  mode: number;
  /** Owner uid (and gid). */
  uid: number;
}

/** The container an adapter asks for, independent of the runtime that runs it. */
export interface ContainerSpec {
  /** Image reference. */
  image: string;
  /** Command; the image's default when omitted. */
  command?: string[];
  /** Environment variables. */
  env: Record<string, string>;
  /** User to run as (`1000`); the image's default when omitted. */
  user?: string;
  /** The container port that serves the agent (published on 127.0.0.1). */
  port: number;
  /** Where the pod's volume is mounted. */
  volumePath: string;
  /**
   * Who owns the volume's root, set when the container is made, so a non-root agent
   * can write its own state; the volume's own (root) when omitted.
   */
  volumeOwner?: { uid: number; gid: number };
  /** Limits. */
  resources: Resources;
}

/** What `render` returns: the container, and the files to put in its volume. */
export interface RenderedPod {
  /** The container to run. */
  container: ContainerSpec;
  /** Files written into the volume before the first start and on config changes. */
  files: RenderedFile[];
}

/** What a pod is to an adapter while rendering. */
export interface RenderContext {
  /** `<tenant>/<pod>`. */
  ref: string;
  /** Image chosen for the pod (adapter default unless overridden). */
  image: string;
  /** Resource limits chosen for the pod. */
  resources: Resources;
  /** The pod's gateway token (generated per pod, secret). */
  token: string;
  /** Public origins of the pod (`https://agent.acme.example.com`). */
  publicOrigins: string[];
  /**
   * Addresses (CIDRs) of the proxies in front of the pod whose forwarded client
   * addresses the agent may believe: the tenant network's gateway, through which
   * published ports reach the container, plus configured extras. Empty until known.
   */
  trustedProxies: string[];
  /**
   * The agent's own config file as it was when AgentPod adopted it (`migrate adopt`):
   * what AgentPod does not set itself is kept from it when it renders the agent's files.
   */
  importedConfig?: Record<string, unknown>;
}

/** What a config change requires of a running pod. */
export type ConfigChangeEffect = "none" | "hot-reload" | "restart" | "recreate";

/** Where and how to reach a running pod for a probe. */
export interface ProbeContext {
  /** Base URL through the port published on 127.0.0.1 (`http://127.0.0.1:20001`). */
  baseUrl: string;
  /** The pod's token. */
  token: string;
  /** The pod's config without its secrets (e.g. a health path). */
  config?: Record<string, unknown>;
  /** Aborts the probe. */
  signal: AbortSignal;
  /**
   * The agent trusts no proxy in front of it (a gateway made by hand, not rendered by
   * AgentPod): the probe must not claim to forward a client.
   */
  direct?: boolean;
}

/** The control plane's own key pair, which an agent can pair as a device. */
export interface DeviceIdentity {
  /** The raw public key (Ed25519, 32 bytes). */
  publicKey: Uint8Array;
  /** An Ed25519 signature of `data`. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** What reading an agent's own counters needs beside the probe's reach. */
export interface AgentUsageContext extends ProbeContext {
  identity: DeviceIdentity;
  /** Approves this control plane's own pending pairing request (once per agent). */
  approve(requestId: string): Promise<void>;
}

/** An agent's own counters for one UTC day. */
export interface AgentUsageDay {
  /** `YYYY-MM-DD`. */
  day: string;
  tokens: { input: number; output: number; total: number };
  costUsd: number;
}

/** Outcome of a probe. */
export interface ProbeResult {
  /** The agent is serving. */
  healthy: boolean;
  /** The agent says it is still starting (does not count as a failure). */
  starting?: boolean;
  /** What was seen, as a sentence. */
  message: string;
}

/** One agent type. */
export interface AgentAdapter<Config = Record<string, unknown>> {
  /** Stable id used in pod specs (`openclaw`). */
  id: string;
  /** Human name. */
  label: string;
  /** One sentence for lists. */
  description: string;
  /** Image used when a pod names none. */
  defaultImage: string;
  /** The container port that serves the agent. */
  port: number;
  /** Where the pod's volume is mounted. */
  volumePath: string;
  /** Default limits (ones that really boot the agent). */
  defaultResources: Resources;
  /** Config schema; fields listed in `sensitiveFields` are stored encrypted. */
  configSchema: z.ZodType<Config>;
  /** Dot paths of secret fields (`providers.anthropic.apiKey`). */
  sensitiveFields: string[];
  /** Renders the container and its files from a validated config. */
  render(config: Config, context: RenderContext): RenderedPod;
  /** What changing the config from `before` to `after` needs. */
  onConfigChange(before: Config, after: Config): ConfigChangeEffect;
  /**
   * A command that proves an image of this agent runs at all and exits 0 (an upgrade's
   * smoke run, with no network and no volume). Without one, the image's own command
   * must still run, or have exited 0, after the smoke run's time.
   */
  smokeCommand?: string[];
  /**
   * Asks the running agent to finish its work and take no more before it is stopped for
   * an upgrade (OpenClaw: `gateway.suspend.prepare`), retrying while it is busy, for
   * `timeoutMs` at most. Never throws: an agent that cannot be drained is stopped anyway.
   */
  drain?(
    exec: (command: string[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>,
    options: { timeoutMs: number; now(): number; sleep(ms: number): Promise<void> },
  ): Promise<{ drained: boolean; message: string }>;
  /**
   * A command, run in the agent's running container as its own user, that moves the
   * files at `paths` from the directory `staging` (under `volumePath`, where they were
   * written through the archive API) over the ones they replace, then removes `staging`:
   * a rename is what the agent's file watcher follows reliably (OpenClaw's stops
   * following a file the archive API replaced, after a few times). Paths only: no
   * content reaches the command line.
   */
  moveFilesCommand?(volumePath: string, staging: string, paths: string[]): string[];
  /** Probes the agent at the protocol level. Never sends a wrong token. */
  probe(context: ProbeContext): Promise<ProbeResult>;
  /**
   * The agent's own usage counters per UTC day (tokens and cost), read through its
   * published port like the probe; absent when the agent keeps none.
   */
  agentUsage?(context: AgentUsageContext): Promise<AgentUsageDay[]>;
  /**
   * The agent's own client pairing (OpenClaw: browsers of its Control UI), through a
   * command run in its container; `stateDir` is where its state (config) lives.
   */
  pairing?: {
    list(exec: AgentExec, stateDir: string): Promise<DevicePairing>;
    decide(exec: AgentExec, stateDir: string, requestId: string, approve: boolean): Promise<void>;
  };
  /** A one-time owner link to the agent's own UI at `origin` (`https://<pod host>`). */
  ownerLink?(exec: AgentExec, origin: string): Promise<OwnerLink>;
  /**
   * The agent's own consistent online backup, run in its running container. Without
   * one, a backup pauses the container while its volume is archived.
   */
  backup?: AgentBackup;
  /**
   * Files of the state directory AgentPod renders with its own secrets in them (the
   * gateway token): left out of backups, and rendered again by a restore. A path ending
   * in `*` stands for every path that starts with it (the agent's copies of the file).
   */
  backupExclude?: string[];
  /**
   * A command run in the agent's container that exits 0 once it serves: how a drill,
   * with no network to probe through, sees a restored agent come up.
   */
  readyCommand?(config: Config): string[];
}

/** How an agent backs itself up while it runs. */
export interface AgentBackup {
  /** Writes an archive into directory `output` of the container, printing JSON. */
  command(output: string): string[];
  /**
   * From what it printed: the archive's path in the container, and the path inside the
   * (gzip tar) archive that holds the state directory.
   */
  parse(stdout: string): { path: string; prefix: string };
  /** Who owns the state files (the agent's user). */
  owner: { uid: number; gid: number };
  /** Memory (MiB) the backup process needs beside the agent: added to the limit meanwhile. */
  extraMemoryMB?: number;
}

/** Runs a command in the agent's running container. */
export type AgentExec = (
  command: string[],
) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

/** A client asking to be paired with an agent. */
export interface PendingDevice {
  requestId: string;
  deviceId: string;
  name: string | null;
  platform: string | null;
  /** The client kind (`openclaw-control-ui`…). */
  client: string | null;
  /** A browser's origin. */
  origin: string | null;
  /** The address it connected from, as the agent saw it. */
  address: string | null;
  role: string | null;
  scopes: string[];
  /** ISO 8601. */
  requestedAt: string | null;
}

/** A client paired with an agent. */
export interface PairedDevice {
  deviceId: string;
  name: string | null;
  platform: string | null;
  client: string | null;
  role: string | null;
  roles: string[];
  /** Connected right now. */
  connected: boolean;
  /** ISO 8601. */
  approvedAt: string | null;
}

/** Pending requests and paired devices. */
export interface DevicePairing {
  pending: PendingDevice[];
  paired: PairedDevice[];
}

/** A one-time link that signs its opener in as the agent's owner. */
export interface OwnerLink {
  url: string;
  /** ISO 8601, or null when the agent does not say. */
  expiresAt: string | null;
}
