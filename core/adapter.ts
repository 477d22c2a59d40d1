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
   * Uid (and gid) that owns the volume's root, set when the container is made, so a
   * non-root agent can write its own state; the volume's own (root) when omitted.
   */
  volumeOwner?: number;
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
}
