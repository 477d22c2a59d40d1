import assert from "node:assert/strict";
import { z } from "zod";
import type { RenderContext } from "../core/adapter.ts";
import { ValidationError } from "../core/errors.ts";
import {
  openClawAdapter,
  type OpenClawConfig,
  openClawConfigSchema,
  renderOpenClaw,
} from "./openclaw.ts";

const TOKEN = "9f2c1e0d8b7a6f5e4d3c2b1a0f9e8d7c";

const ctx: RenderContext = {
  ref: "acme/aria",
  image: "agentpod/openclaw:2026.9.6",
  resources: { memoryMB: 1024, cpus: 1, pids: 512 },
  token: TOKEN,
  publicOrigins: ["https://aria.acme.example.com"],
  trustedProxies: [],
};

const full: OpenClawConfig = {
  agentName: "Aria",
  personality: "You are Aria.\r\nBe brief.",
  model: "anthropic/claude-opus-4-6",
  providers: { anthropic: { apiKey: "sk-ant-1" }, openai: { apiKey: "sk-oa-2" } },
  channels: { telegram: { botToken: "123:tg" }, discord: { token: "dc.tok" } },
};

function configJson(config: OpenClawConfig, context = ctx): unknown {
  return JSON.parse(renderOpenClaw(config, context).files[0]!.content);
}

Deno.test("render() of {} writes the minimal gateway config and no SOUL.md", () => {
  const rendered = renderOpenClaw(openClawConfigSchema.parse({}), ctx);
  assert.deepEqual(configJson({}), {
    agents: { defaults: { workspace: "/home/node/.openclaw/workspace" } },
    discovery: { mdns: { mode: "off" } },
    gateway: {
      auth: { mode: "token", token: TOKEN },
      bind: "lan",
      controlUi: { allowedOrigins: ["https://aria.acme.example.com"] },
      mode: "local",
      port: 18789,
    },
    update: { checkOnStart: false },
  });
  assert.deepEqual(rendered.files.map(({ path, mode, uid }) => ({ path, mode, uid })), [
    { path: "openclaw.json", mode: 0o600, uid: 1000 },
  ]);
  assert.deepEqual(rendered.container, {
    image: "agentpod/openclaw:2026.9.6",
    command: ["node", "openclaw.mjs", "gateway", "--bind", "lan", "--port", "18789"],
    env: {},
    user: "1000",
    port: 18789,
    volumePath: "/home/node/.openclaw",
    resources: { memoryMB: 1024, cpus: 1, pids: 512 },
  });
});

Deno.test("render() of an adopted gateway keeps its own settings under AgentPod's keys", () => {
  const importedConfig = {
    gateway: {
      mode: "local",
      port: 19999,
      auth: { mode: "password", password: "p" },
      trustedProxies: ["172.17.0.1/32"],
      controlUi: { allowedOrigins: ["http://127.0.0.1:18789"], basePath: "/ui" },
    },
    agents: { defaults: { model: { primary: "openai/gpt-5" } } },
    channels: { telegram: { enabled: true, botToken: "from-the-owner" } },
  };
  const json = configJson({}, { ...ctx, importedConfig }) as {
    gateway: Record<string, unknown>;
    agents: { defaults: Record<string, unknown> };
    channels: unknown;
  };
  assert.deepEqual(json.channels, importedConfig.channels, "the owner's channels stay");
  assert.deepEqual(json.agents.defaults.model, { primary: "openai/gpt-5" });
  assert.equal(json.gateway.port, 18789, "AgentPod's port wins");
  assert.deepEqual(json.gateway.auth, { mode: "token", token: TOKEN, password: "p" });
  assert.equal(json.gateway.trustedProxies, undefined, "no proxy of the old container");
  assert.equal((json.gateway.controlUi as { basePath: string }).basePath, "/ui");
  assert.deepEqual(
    (json.gateway.controlUi as { allowedOrigins: string[] }).allowedOrigins,
    ["https://aria.acme.example.com"],
    "arrays are replaced",
  );
  const known = configJson({}, { ...ctx, importedConfig, trustedProxies: ["172.30.0.1/32"] }) as {
    gateway: { trustedProxies: string[] };
  };
  assert.deepEqual(known.gateway.trustedProxies, ["172.30.0.1/32"]);
});

Deno.test("render() maps identity, model and channels to the verified keys", () => {
  assert.deepEqual(configJson(full), {
    agents: {
      defaults: {
        model: { primary: "anthropic/claude-opus-4-6" },
        workspace: "/home/node/.openclaw/workspace",
      },
      entries: { main: { identity: { name: "Aria" }, name: "Aria" } },
    },
    channels: {
      discord: {
        enabled: true,
        token: { id: "DISCORD_BOT_TOKEN", provider: "default", source: "env" },
      },
      telegram: {
        botToken: { id: "TELEGRAM_BOT_TOKEN", provider: "default", source: "env" },
        enabled: true,
      },
    },
    discovery: { mdns: { mode: "off" } },
    gateway: {
      auth: { mode: "token", token: TOKEN },
      bind: "lan",
      controlUi: { allowedOrigins: ["https://aria.acme.example.com"] },
      mode: "local",
      port: 18789,
    },
    plugins: { load: { paths: ["/app/node_modules/@openclaw/discord"] } },
    update: { checkOnStart: false },
  });
});

Deno.test("render() passes secrets as environment variables, never in openclaw.json", () => {
  const rendered = renderOpenClaw(full, ctx);
  assert.deepEqual(rendered.container.env, {
    ANTHROPIC_API_KEY: "sk-ant-1",
    DISCORD_BOT_TOKEN: "dc.tok",
    OPENAI_API_KEY: "sk-oa-2",
    TELEGRAM_BOT_TOKEN: "123:tg",
  });
  const json = rendered.files[0]!.content;
  for (const secret of ["sk-ant-1", "sk-oa-2", "123:tg", "dc.tok"]) {
    assert.ok(!json.includes(secret), `${secret} leaked into openclaw.json`);
  }
});

Deno.test("render() writes the personality to workspace/SOUL.md with LF line ends", () => {
  const soul = renderOpenClaw(full, ctx).files[1];
  assert.deepEqual(soul, {
    path: "workspace/SOUL.md",
    content: "You are Aria.\nBe brief.\n",
    mode: 0o644,
    uid: 1000,
  });
});

Deno.test("render() is deterministic: same input, same bytes, whatever the key order", () => {
  const reordered: OpenClawConfig = {
    channels: { discord: { token: "dc.tok" }, telegram: { botToken: "123:tg" } },
    providers: { openai: { apiKey: "sk-oa-2" }, anthropic: { apiKey: "sk-ant-1" } },
    model: full.model,
    personality: full.personality,
    agentName: full.agentName,
  };
  const a = renderOpenClaw(full, ctx);
  const b = renderOpenClaw(reordered, ctx);
  assert.equal(JSON.stringify(a), JSON.stringify(b));
  assert.equal(a.files[0]!.content, renderOpenClaw(full, ctx).files[0]!.content);
  assert.ok(a.files[0]!.content.endsWith("}\n"));
});

Deno.test("render() sorts and deduplicates origins and rejects anything but an origin", () => {
  const origins = ["https://b.example.com", "http://a.example.com:8080", "https://b.example.com"];
  const json = configJson({}, { ...ctx, publicOrigins: origins }) as {
    gateway: { controlUi: { allowedOrigins: string[] } };
  };
  assert.deepEqual(json.gateway.controlUi.allowedOrigins, [
    "http://a.example.com:8080",
    "https://b.example.com",
  ]);
  for (const bad of ["https://a.example.com/", "a.example.com", "https://a.example.com/x"]) {
    assert.throws(() => renderOpenClaw({}, { ...ctx, publicOrigins: [bad] }), ValidationError);
  }
});

Deno.test("render() trusts exactly the given proxies, sorted, and none when there are none", () => {
  const json = configJson({}, {
    ...ctx,
    trustedProxies: ["172.23.0.1/32", "10.0.0.5/32", "172.23.0.1/32"],
  }) as { gateway: { trustedProxies?: string[]; allowRealIpFallback?: unknown } };
  assert.deepEqual(json.gateway.trustedProxies, ["10.0.0.5/32", "172.23.0.1/32"]);
  // Falling back to X-Real-IP would let any client claim an address.
  assert.equal(json.gateway.allowRealIpFallback, undefined);
  const none = configJson({}) as { gateway: Record<string, unknown> };
  assert.equal("trustedProxies" in none.gateway, false);
});

Deno.test("render() refuses a short gateway token", () => {
  assert.throws(() => renderOpenClaw({}, { ...ctx, token: "short" }), {
    name: "ValidationError",
    message: 'Cannot render pod "acme/aria": its gateway token is too short',
  });
});

Deno.test("the config schema accepts {} and the full config", () => {
  assert.deepEqual(openClawConfigSchema.parse({}), {});
  assert.deepEqual(openClawConfigSchema.parse(full), full);
});

Deno.test("the config schema rejects unknown keys at every level", () => {
  const cases: unknown[] = [
    { agentname: "typo" },
    { providers: { anthropic: { apikey: "x" } } },
    { providers: { cohere: { apiKey: "x" } } },
    { channels: { telegram: { token: "x" } } },
    { channels: { slack: {} } },
  ];
  for (const config of cases) {
    const result = openClawConfigSchema.safeParse(config);
    assert.equal(result.success, false, JSON.stringify(config));
    assert.equal(result.error?.issues[0]?.code, "unrecognized_keys");
  }
});

Deno.test("the config schema rejects wrong types and malformed values", () => {
  const cases: unknown[] = [
    { agentName: 5 },
    { agentName: "   " },
    { agentName: "two\nlines" },
    { model: "claude-opus" },
    { model: "anthropic/claude opus" },
    { personality: "" },
    { providers: { anthropic: { apiKey: "has space" } } },
    { channels: { discord: { token: 42 } } },
    { providers: "anthropic" },
  ];
  for (const config of cases) {
    assert.equal(openClawConfigSchema.safeParse(config).success, false, JSON.stringify(config));
  }
});

Deno.test("sensitiveFields lists every provider key and channel token", () => {
  assert.deepEqual([...openClawAdapter.sensitiveFields].sort(), [
    "channels.discord.token",
    "channels.telegram.botToken",
    "providers.anthropic.apiKey",
    "providers.deepseek.apiKey",
    "providers.google.apiKey",
    "providers.groq.apiKey",
    "providers.mistral.apiKey",
    "providers.openai.apiKey",
    "providers.openrouter.apiKey",
    "providers.xai.apiKey",
  ]);
});

Deno.test("the JSON Schema has titled fields and marks exactly the sensitive ones", () => {
  const schema = z.toJSONSchema(openClawConfigSchema) as JsonSchema;
  assert.equal(schema.additionalProperties, false);
  for (const key of ["agentName", "personality", "model", "providers", "channels"]) {
    assert.equal(typeof schema.properties?.[key]?.title, "string", key);
  }
  const marked: string[] = [];
  walk(schema, "", (path, node) => {
    if (node["x-sensitive"] === true) {
      assert.equal(node.format, "password", path);
      marked.push(path);
    }
  });
  assert.deepEqual(marked.sort(), [...openClawAdapter.sensitiveFields].sort());
});

Deno.test("onConfigChange() follows what the gateway does with each kind of change", () => {
  const table: [string, OpenClawConfig, OpenClawConfig, string][] = [
    ["nothing changed", full, structuredClone(full), "none"],
    ["name changed", {}, { agentName: "Bea" }, "hot-reload"],
    ["model changed", { model: "a/b" }, { model: "a/c" }, "hot-reload"],
    ["personality changed", {}, { personality: "Calm." }, "hot-reload"],
    ["personality removed", { personality: "Calm." }, {}, "hot-reload"],
    ["provider key added", {}, { providers: { openai: { apiKey: "k" } } }, "recreate"],
    [
      "provider key rotated",
      { providers: { openai: { apiKey: "k1" } } },
      { providers: { openai: { apiKey: "k2" } } },
      "recreate",
    ],
    ["channel enabled", {}, { channels: { telegram: { botToken: "1:a" } } }, "recreate"],
    [
      "channel token rotated and name changed",
      { agentName: "A", channels: { discord: { token: "a" } } },
      { agentName: "B", channels: { discord: { token: "b" } } },
      "recreate",
    ],
    ["empty provider object", {}, { providers: { openai: {} } }, "none"],
  ];
  for (const [label, before, after, expected] of table) {
    assert.equal(openClawAdapter.onConfigChange(before, after), expected, label);
  }
});

Deno.test("the adapter's defaults boot the gateway (512 MB is OOM-killed at boot)", () => {
  assert.equal(openClawAdapter.id, "openclaw");
  assert.equal(openClawAdapter.port, 18789);
  assert.equal(openClawAdapter.volumePath, "/home/node/.openclaw");
  assert.ok(openClawAdapter.defaultResources.memoryMB >= 768);
  assert.equal(openClawAdapter.defaultResources.pids, 512);
});

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  additionalProperties?: unknown;
  title?: string;
  format?: string;
  [key: string]: unknown;
}

function walk(node: JsonSchema, path: string, visit: (path: string, node: JsonSchema) => void) {
  visit(path, node);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    walk(child, path ? `${path}.${key}` : key, visit);
  }
}

Deno.test("moveFilesCommand() moves staged files over the old ones, new directories too, no content on the line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/openclaw.json`, "old");
    await Deno.mkdir(`${dir}/.stage/workspace`, { recursive: true });
    await Deno.writeTextFile(`${dir}/.stage/openclaw.json`, '{"a":"é"}\n', { mode: 0o600 });
    await Deno.writeTextFile(`${dir}/.stage/workspace/SOUL.md`, "be kind\n", { mode: 0o644 });
    const command = openClawAdapter.moveFilesCommand!(dir, ".stage", [
      "openclaw.json",
      "workspace/SOUL.md",
    ]);
    assert.equal(command[0], "node");
    assert.ok(!command.join(" ").includes("be kind"), "paths only on the command line");
    // The host's Node runs the same script the gateway's Node runs inside its container.
    const out = await new Deno.Command("node", { args: command.slice(1) }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(await Deno.readTextFile(`${dir}/openclaw.json`), '{"a":"é"}\n');
    assert.equal((await Deno.stat(`${dir}/openclaw.json`)).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(`${dir}/workspace/SOUL.md`), "be kind\n");
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(left, ["openclaw.json", "workspace"], "the staging directory is gone");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
