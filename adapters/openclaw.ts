/**
 * The OpenClaw adapter: one OpenClaw gateway (npm `openclaw`, 2026.9.x) per pod. Owns the
 * config schema users fill in, the `openclaw.json` and `SOUL.md` it renders into the pod's
 * volume, and what a config change costs. Every key rendered here exists in the
 * gateway's strict schema (`openclaw config schema`; an unknown key exits with code 78);
 * tests/integration/openclaw_adapter_test.ts boots the real image with them.
 * Secrets (provider keys, channel tokens) travel as environment variables, never in
 * `openclaw.json`, because the gateway rewrites that file itself.
 * @module
 */
import { openClawBackup } from "./openclaw_backup.ts";
import { drainOpenClaw } from "./openclaw_drain.ts";
import { moveFilesCommand } from "./openclaw_files.ts";
import {
  decideOpenClawDevice,
  listOpenClawDevices,
  openClawOwnerLink,
} from "./openclaw_devices.ts";
import { openClawUsage } from "./openclaw_usage.ts";
import { z } from "zod";
import type {
  AgentAdapter,
  ConfigChangeEffect,
  RenderContext,
  RenderedPod,
} from "../core/adapter.ts";
import { ValidationError } from "../core/errors.ts";
import { probeOpenClaw } from "./openclaw_probe.ts";

/** The gateway's port inside the container. */
export const OPENCLAW_PORT = 18789;
/** The gateway's state dir (the image's user `node`, uid 1000). */
export const OPENCLAW_STATE_DIR = "/home/node/.openclaw";
/** Workspace holding SOUL.md and the other bootstrap files, relative to the state dir. */
export const OPENCLAW_WORKSPACE = "workspace";
/** The uid the image runs as; rendered files must belong to it. */
export const OPENCLAW_UID = 1000;

/** Provider id → the environment variable the gateway reads its API key from. */
export const PROVIDER_ENV = {
  anthropic: "ANTHROPIC_API_KEY",
  deepseek: "DEEPSEEK_API_KEY",
  google: "GEMINI_API_KEY",
  groq: "GROQ_API_KEY",
  mistral: "MISTRAL_API_KEY",
  openai: "OPENAI_API_KEY",
  openrouter: "OPENROUTER_API_KEY",
  xai: "XAI_API_KEY",
} as const;

/**
 * Where the image keeps the Discord channel plugin. Discord is not bundled with
 * `openclaw`: it is the separate npm package `@openclaw/discord`, which the image build
 * installs beside it. Without the plugin a Discord config makes the gateway exit 78.
 */
export const OPENCLAW_DISCORD_PLUGIN = "/app/node_modules/@openclaw/discord";

/** Channel → the config key of its token, the variable carrying it, a plugin to load. */
export const CHANNEL_ENV: Record<"discord" | "telegram", {
  key: string;
  env: string;
  plugin?: string;
}> = {
  discord: { key: "token", env: "DISCORD_BOT_TOKEN", plugin: OPENCLAW_DISCORD_PLUGIN },
  telegram: { key: "botToken", env: "TELEGRAM_BOT_TOKEN" },
};

const PROVIDER_LABELS: Record<keyof typeof PROVIDER_ENV, string> = {
  anthropic: "Anthropic",
  deepseek: "DeepSeek",
  google: "Google Gemini",
  groq: "Groq",
  mistral: "Mistral",
  openai: "OpenAI",
  openrouter: "OpenRouter",
  xai: "xAI",
};

// Marked both ways: `format: "password"` for generic form renderers, `x-sensitive` for ours.
function secret(title: string, description: string) {
  return z.string().regex(/^\S+$/, "Must be one word without spaces").optional()
    .meta({ title, description, format: "password", writeOnly: true, "x-sensitive": true });
}

function providerSchema(id: keyof typeof PROVIDER_ENV) {
  const label = PROVIDER_LABELS[id];
  return z.strictObject({
    apiKey: secret(`${label} API key`, `Passed to the gateway as ${PROVIDER_ENV[id]}.`),
  }).optional().meta({ title: label });
}

/** The config users give an OpenClaw pod; `{}` is valid. */
export const openClawConfigSchema = z.strictObject({
  agentName: z.string().trim().min(1).max(64).regex(/^[^\p{Cc}]+$/u, "No control characters")
    .optional().meta({
      title: "Agent name",
      description: "Display name of the agent in channels and the Control UI.",
    }),
  personality: z.string().trim().min(1).max(50_000).optional().meta({
    title: "Personality",
    description: "Persona, tone and boundaries, written to the workspace's SOUL.md.",
    "x-multiline": true,
  }),
  model: z.string().regex(/^[a-z0-9][a-z0-9._-]*\/\S+$/, "Expected provider/model")
    .optional().meta({
      title: "Model",
      description: "Default model as provider/model, e.g. anthropic/claude-opus-4-6.",
    }),
  providers: z.strictObject({
    anthropic: providerSchema("anthropic"),
    deepseek: providerSchema("deepseek"),
    google: providerSchema("google"),
    groq: providerSchema("groq"),
    mistral: providerSchema("mistral"),
    openai: providerSchema("openai"),
    openrouter: providerSchema("openrouter"),
    xai: providerSchema("xai"),
  }).optional().meta({ title: "Model providers", description: "API keys of LLM providers." }),
  channels: z.strictObject({
    telegram: z.strictObject({
      botToken: secret("Telegram bot token", "From BotFather; enables the Telegram channel."),
    }).optional().meta({ title: "Telegram" }),
    discord: z.strictObject({
      token: secret("Discord bot token", "From the Developer Portal; enables Discord."),
    }).optional().meta({ title: "Discord" }),
  }).optional().meta({ title: "Channels", description: "Chat channels the agent answers on." }),
}).meta({ title: "OpenClaw", description: "Settings of an OpenClaw gateway." });

/** A validated OpenClaw pod config. */
export type OpenClawConfig = z.infer<typeof openClawConfigSchema>;

/** Dot paths of the secret fields of {@linkcode OpenClawConfig}. */
export const OPENCLAW_SENSITIVE_FIELDS: string[] = [
  ...Object.keys(PROVIDER_ENV).map((id) => `providers.${id}.apiKey`),
  ...Object.entries(CHANNEL_ENV).map(([id, channel]) => `channels.${id}.${channel.key}`),
];

/** The environment of the gateway: provider keys and channel tokens that are set. */
export function renderOpenClawEnv(config: OpenClawConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [id, name] of Object.entries(PROVIDER_ENV)) {
    const key = config.providers?.[id as keyof typeof PROVIDER_ENV]?.apiKey;
    if (key) env[name] = key;
  }
  const telegram = config.channels?.telegram?.botToken;
  if (telegram) env[CHANNEL_ENV.telegram.env] = telegram;
  const discord = config.channels?.discord?.token;
  if (discord) env[CHANNEL_ENV.discord.env] = discord;
  return sortKeys(env) as Record<string, string>;
}

/** The `openclaw.json` object: gateway, agent identity and model, enabled channels. */
export function renderOpenClawConfig(
  config: OpenClawConfig,
  context: Pick<
    RenderContext,
    "ref" | "token" | "publicOrigins" | "trustedProxies" | "importedConfig"
  >,
): Record<string, unknown> {
  const rendered = renderOwnConfig(config, context);
  if (!context.importedConfig) return rendered;
  // An adopted gateway's own settings stay; AgentPod's keys win where both set one.
  const merged = mergeOver(context.importedConfig, rendered) as {
    gateway: Record<string, unknown>;
  };
  // Which proxies to trust is AgentPod's alone: the old container's proxy is not this one's.
  if (!("trustedProxies" in (rendered.gateway as object))) delete merged.gateway.trustedProxies;
  return sortKeys(merged) as Record<string, unknown>;
}

/** Objects merged key by key; anything else (arrays too) is replaced by `over`. */
function mergeOver(base: unknown, over: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(base) || !isObject(over)) return over;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) merged[key] = mergeOver(base[key], value);
  return merged;
}

function renderOwnConfig(
  config: OpenClawConfig,
  context: Pick<RenderContext, "ref" | "token" | "publicOrigins" | "trustedProxies">,
): Record<string, unknown> {
  if (context.token.length < 16) {
    throw new ValidationError(`Cannot render pod "${context.ref}": its gateway token is too short`);
  }
  const env = renderOpenClawEnv(config);
  const channels: Record<string, unknown> = {};
  const pluginPaths: string[] = [];
  for (const [id, channel] of Object.entries(CHANNEL_ENV)) {
    if (!env[channel.env]) continue;
    // An env SecretRef: the token stays out of the file the gateway rewrites.
    const ref = { id: channel.env, provider: "default", source: "env" };
    channels[id] = { enabled: true, [channel.key]: ref };
    if (channel.plugin) pluginPaths.push(channel.plugin);
  }
  const agents: Record<string, unknown> = {
    defaults: {
      ...(config.model ? { model: { primary: config.model } } : {}),
      workspace: `${OPENCLAW_STATE_DIR}/${OPENCLAW_WORKSPACE}`,
    },
  };
  if (config.agentName) {
    // `main` is the id the gateway gives a sole agent; keep it so sessions stay attached.
    const name = config.agentName;
    agents.entries = { main: { identity: { name }, name } };
  }
  return sortKeys({
    agents,
    ...(Object.keys(channels).length > 0 ? { channels } : {}),
    // mDNS inside a container bridge only leaks metadata to neighbouring pods.
    discovery: { mdns: { mode: "off" } },
    gateway: {
      auth: { mode: "token", token: context.token },
      bind: "lan",
      controlUi: { allowedOrigins: normalizeOrigins(context.ref, context.publicOrigins) },
      mode: "local",
      port: OPENCLAW_PORT,
      // Connections through published ports (Traefik's, the probe's) arrive from the
      // tenant network's gateway. Trusting it (and only it, not the subnet, where other
      // pods could forge headers) lets the gateway attribute proxied clients instead of
      // refusing them with proxy_attribution_required; see docs/websocket-through-traefik.md.
      ...(context.trustedProxies.length > 0
        ? { trustedProxies: [...new Set(context.trustedProxies)].sort() }
        : {}),
    },
    ...(pluginPaths.length > 0 ? { plugins: { load: { paths: pluginPaths.sort() } } } : {}),
    // The image pins the version; upgrades are image rollouts by the control plane.
    update: { checkOnStart: false },
  }) as Record<string, unknown>;
}

/** Renders the container and the files of an OpenClaw pod (deterministic bytes). */
export function renderOpenClaw(config: OpenClawConfig, context: RenderContext): RenderedPod {
  const json = `${JSON.stringify(renderOpenClawConfig(config, context), null, 2)}\n`;
  const files = [{ path: "openclaw.json", content: json, mode: 0o600, uid: OPENCLAW_UID }];
  if (config.personality) {
    files.push({
      path: `${OPENCLAW_WORKSPACE}/SOUL.md`,
      content: `${config.personality.replaceAll("\r\n", "\n")}\n`,
      mode: 0o644,
      uid: OPENCLAW_UID,
    });
  }
  return {
    container: {
      image: context.image,
      command: ["node", "openclaw.mjs", "gateway", "--bind", "lan", "--port", `${OPENCLAW_PORT}`],
      env: renderOpenClawEnv(config),
      user: `${OPENCLAW_UID}`,
      port: OPENCLAW_PORT,
      volumePath: OPENCLAW_STATE_DIR,
      resources: context.resources,
    },
    files,
  };
}

/**
 * What a config change costs. The environment is fixed at container creation, so any
 * change of a key or token (adding a channel included) needs a recreate. Everything else
 * lives in files: the gateway hot-reloads `agents.*` edits of openclaw.json, and reads
 * SOUL.md at the start of each session, so rewriting them is enough.
 */
export function openClawConfigChange(
  before: OpenClawConfig,
  after: OpenClawConfig,
): ConfigChangeEffect {
  if (stableJson(renderOpenClawEnv(before)) !== stableJson(renderOpenClawEnv(after))) {
    return "recreate";
  }
  const files = (config: OpenClawConfig) =>
    stableJson(renderOpenClaw(config, CHANGE_CONTEXT).files);
  return files(before) === files(after) ? "none" : "hot-reload";
}

/** The OpenClaw gateway adapter. */
export const openClawAdapter: AgentAdapter<OpenClawConfig> = {
  id: "openclaw",
  label: "OpenClaw",
  description: "An OpenClaw gateway: a personal AI agent on chat channels, with a web Control UI.",
  defaultImage: "agentpod/openclaw:2026.9.6",
  port: OPENCLAW_PORT,
  volumePath: OPENCLAW_STATE_DIR,
  // The CLI prints its version and exits 0 without state, config or network.
  smokeCommand: ["node", "openclaw.mjs", "--version"],
  drain: (exec, options) => drainOpenClaw(OPENCLAW_PORT, exec, options),
  pairing: { list: listOpenClawDevices, decide: decideOpenClawDevice },
  agentUsage: (context) => openClawUsage(context),
  ownerLink: openClawOwnerLink,
  moveFilesCommand,
  backup: openClawBackup(OPENCLAW_STATE_DIR, OPENCLAW_UID),
  // openclaw.json (and the .bak copies the gateway keeps of it) hold the pod's token; a
  // restore renders it again.
  backupExclude: ["openclaw.json*"],
  // Node is in the image; the gateway answers /readyz on loopback without a token.
  readyCommand: () => [
    "node",
    "-e",
    `fetch("http://127.0.0.1:${OPENCLAW_PORT}/readyz").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
  ],
  // 512 MB is OOM-killed at boot and 768 MB boots with little headroom (FACTS.md).
  defaultResources: { memoryMB: 1024, cpus: 1, pids: 512 },
  configSchema: openClawConfigSchema,
  sensitiveFields: OPENCLAW_SENSITIVE_FIELDS,
  render: renderOpenClaw,
  onConfigChange: openClawConfigChange,
  probe: (context) => probeOpenClaw(context),
};

const CHANGE_CONTEXT: RenderContext = {
  ref: "change/check",
  image: "unused",
  resources: { memoryMB: 1, cpus: 1, pids: 1 },
  token: "0000000000000000",
  publicOrigins: [],
  trustedProxies: [],
};

function normalizeOrigins(ref: string, origins: readonly string[]): string[] {
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch { /* reported below */ }
    if (parsed?.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
      throw new ValidationError(
        `Cannot render pod "${ref}": "${origin}" is not an origin like https://host[:port]`,
      );
    }
  }
  return [...new Set(origins)].sort();
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, inner]) => [key, sortKeys(inner)]));
}

function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}
