import assert from "node:assert/strict";
import {
  commandFlag,
  describeGateway,
  dnsLabel,
  type EngineContainer,
  gatewaySignals,
  gatewayToken,
  isGateway,
  parseGatewayConfig,
} from "./migration.ts";

const CONTEXT = { instance: "inst-1", adopted: new Set<string>() };
const NO_CONFIG = { found: false };

/** A gateway as OpenClaw's Docker guide starts it. */
function gateway(over: Partial<EngineContainer> = {}): EngineContainer {
  return {
    id: "c1",
    name: "openclaw",
    image: "ghcr.io/openclaw/openclaw:2026.9.6",
    imageId: "sha256:aa",
    state: "running",
    pid: 42,
    startedAt: "2026-12-01T10:00:00Z",
    restartCount: 0,
    command: ["node", "dist/index.js", "gateway", "--bind", "lan", "--port", "18789"],
    env: { OPENCLAW_GATEWAY_TOKEN: "secret-token", HOME: "/home/node" },
    labels: {},
    exposedPorts: ["18789/tcp"],
    published: [{ containerPort: 18789, hostIp: "127.0.0.1", hostPort: 18789 }],
    hostname: "a1b2c3",
    networks: ["bridge"],
    restartPolicy: "unless-stopped",
    autoRemove: false,
    memoryBytes: 2 * 1024 ** 3,
    nanoCpus: 0,
    pidsLimit: null,
    mounts: [{
      type: "volume",
      name: "openclaw-state",
      source: "/var/lib/docker/volumes/openclaw-state/_data",
      destination: "/home/node/.openclaw",
      rw: true,
    }],
    ...over,
  };
}

Deno.test("gatewaySignals() sees image, command, port and environment", () => {
  assert.deepEqual(gatewaySignals(gateway()), ["image", "command", "port", "env"]);
  const plain = gateway({
    image: "my/agent:1",
    command: ["node", "openclaw.mjs", "gateway"],
    env: {},
    exposedPorts: [],
    published: [],
  });
  assert.deepEqual(gatewaySignals(plain), ["command"]);
  assert.equal(isGateway(gatewaySignals(plain)), true, "the command alone is enough");
});

Deno.test("isGateway() wants the command or two signals: a busybox or a lone image name is no gateway", () => {
  const busybox = gateway({
    image: "busybox",
    command: ["sh", "-c", "sleep 1d"],
    env: {},
    exposedPorts: [],
    published: [],
  });
  assert.equal(isGateway(gatewaySignals(busybox)), false);
  const shell = gateway({ command: ["sh"], env: {}, exposedPorts: [], published: [] });
  assert.deepEqual(gatewaySignals(shell), ["image"]);
  assert.equal(isGateway(gatewaySignals(shell)), false);
  assert.equal(describeGateway(busybox, NO_CONFIG, CONTEXT), undefined);
});

Deno.test("gatewayToken(): the config file wins over the command line and the environment", () => {
  const c = gateway({ command: ["openclaw", "gateway", "--token=from-flag"] });
  assert.deepEqual(gatewayToken(c, { found: true, token: "from-file" }), {
    source: "config",
    token: "from-file",
  });
  assert.deepEqual(gatewayToken(c, NO_CONFIG), { source: "command", token: "from-flag" });
  assert.deepEqual(gatewayToken(gateway(), NO_CONFIG), { source: "env", token: "secret-token" });
  assert.deepEqual(gatewayToken(gateway({ env: {} }), NO_CONFIG), { source: "none" });
});

Deno.test("commandFlag() reads --flag value and --flag=value", () => {
  assert.equal(commandFlag(["a", "--port", "1"], "--port"), "1");
  assert.equal(commandFlag(["--port=2"], "--port"), "2");
  assert.equal(commandFlag(["--portal", "3"], "--port"), undefined);
});

Deno.test("describeGateway(): the guide's container is adoptable, with its facts and no token", () => {
  const d = describeGateway(gateway(), NO_CONFIG, CONTEXT)!;
  assert.equal(d.verdict, "adoptable");
  assert.deepEqual(d.stateDir, {
    kind: "volume",
    source: "openclaw-state",
    path: "/home/node/.openclaw",
  });
  assert.deepEqual(d.address, { hostIp: "127.0.0.1", hostPort: 18789 });
  assert.equal(d.tokenSource, "env");
  assert.equal(d.authMode, "token");
  assert.equal(d.version, "2026.9.6");
  assert.deepEqual(d.warnings, []);
  assert.ok(!JSON.stringify(d).includes("secret-token"), "the token is never reported");
});

Deno.test("describeGateway(): a bind-mounted state dir with the token only in openclaw.json", () => {
  const c = gateway({
    env: {},
    mounts: [{
      type: "bind",
      source: "/srv/oc",
      destination: "/home/node/.openclaw",
      rw: true,
    }],
  });
  const d = describeGateway(c, { found: true, authMode: "token", token: "t" }, CONTEXT)!;
  assert.equal(d.verdict, "adoptable");
  assert.equal(d.tokenSource, "config");
  assert.deepEqual(d.stateDir, { kind: "bind", source: "/srv/oc", path: "/home/node/.openclaw" });
});

Deno.test("describeGateway() verdicts, first match wins", () => {
  const verdict = (over: Partial<EngineContainer>, adopted: string[] = []) =>
    describeGateway(gateway(over), NO_CONFIG, { instance: "inst-1", adopted: new Set(adopted) })!
      .verdict;
  assert.equal(verdict({}, ["c1"]), "managed");
  assert.equal(verdict({ labels: { "agentpod.instance": "inst-1" } }), "managed");
  assert.equal(verdict({ labels: { "agentpod.instance": "other" } }), "managed-elsewhere");
  assert.equal(verdict({ autoRemove: true }), "auto-remove");
  assert.equal(verdict({ env: {} }), "needs-token");
  assert.equal(verdict({ published: [] }), "not-published");
  assert.equal(
    verdict({ published: [{ containerPort: 18789, hostIp: "10.0.0.5", hostPort: 18789 }] }),
    "not-published",
    "AgentPod probes and routes through 127.0.0.1",
  );
  assert.equal(verdict({ state: "exited" }), "not-running");
  assert.equal(verdict({ labels: { "com.docker.compose.project": "shop" } }), "compose-service");
  assert.equal(verdict({ labels: { "openclaw.fleet.tenant": "acme" } }), "fleet-cell");
});

Deno.test("describeGateway() warns of an open port, state in the container, no policy, a name like ours", () => {
  const d = describeGateway(
    gateway({
      name: "agentpod-acme-agent",
      published: [{ containerPort: 18789, hostIp: "0.0.0.0", hostPort: 18789 }],
      mounts: [],
      restartPolicy: "no",
    }),
    NO_CONFIG,
    CONTEXT,
  )!;
  assert.equal(d.warnings.length, 4, d.warnings.join("\n"));
  assert.match(d.warnings[0]!, /every interface/);
  assert.match(d.warnings[1]!, /container's own filesystem/);
  assert.match(d.warnings[2]!, /No restart policy/);
  assert.match(d.warnings[3]!, /Named like an AgentPod container/);
});

Deno.test("describeGateway() finds the published port the gateway really listens on", () => {
  const d = describeGateway(
    gateway({
      command: ["openclaw", "gateway", "--port", "19000"],
      published: [
        { containerPort: 18789, hostIp: "127.0.0.1", hostPort: 1 },
        { containerPort: 19000, hostIp: "127.0.0.1", hostPort: 2 },
      ],
    }),
    NO_CONFIG,
    CONTEXT,
  )!;
  assert.deepEqual(d.address, { hostIp: "127.0.0.1", hostPort: 2 });
});

Deno.test("suggested names: fleet cells by tenant label, compose by project and service, else the name", () => {
  const names = (over: Partial<EngineContainer>) =>
    describeGateway(gateway(over), NO_CONFIG, CONTEXT)!.suggested;
  assert.deepEqual(names({ labels: { "openclaw.fleet.tenant": "Acme" } }), {
    tenant: "acme",
    pod: "gateway",
  });
  assert.deepEqual(
    names({
      labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": "oc_gw" },
    }),
    { tenant: "shop", pod: "oc-gw" },
  );
  assert.deepEqual(names({ name: "My_Bot.1" }), { tenant: "my-bot-1", pod: "gateway" });
  assert.equal(dnsLabel("---"), "");
});

Deno.test("parseGatewayConfig() reads JSON5 as the gateway does, and says what is wrong", () => {
  const facts = parseGatewayConfig(`{
    // written by hand
    gateway: { mode: "local", port: 18789, auth: { mode: "token", token: "t0k", },
      trustedProxies: ["10.0.0.1/32"] },
  }`);
  const { document, ...rest } = facts;
  assert.deepEqual(rest, {
    found: true,
    authMode: "token",
    token: "t0k",
    port: 18789,
    trustedProxies: ["10.0.0.1/32"],
  });
  assert.equal((document?.gateway as { mode: string }).mode, "local", "the whole document kept");
  assert.deepEqual(parseGatewayConfig("{}"), { found: true, document: {} });
  assert.match(parseGatewayConfig("{gateway:").error!, /not valid JSON5/);
});
