/**
 * The adapters against real containers: what `render()` produces must boot the real
 * OpenClaw image (a strict config: an unknown key exits with code 78) and `probe()` must
 * see the gateway through its protocol handshake; the generic adapter must run the busybox
 * fixture. Containers publish on 127.0.0.1 only and are removed with their volumes.
 * Probes always carry the right token (the gateway locks out 127.0.0.1 after bad ones).
 * @module
 */
import assert from "node:assert/strict";
import type { ProbeResult, RenderContext, RenderedPod } from "../../core/adapter.ts";
import { genericAdapter, probeGeneric } from "../../adapters/generic.ts";
import {
  OPENCLAW_DISCORD_PLUGIN,
  openClawAdapter,
  type OpenClawConfig,
} from "../../adapters/openclaw.ts";
import {
  createDockerClient,
  type DockerClient,
  lookupNetworkGateway,
  readTar,
  type TarInput,
} from "../../providers/docker/mod.ts";

const OPENCLAW_IMAGE = Deno.env.get("AGENTPOD_OPENCLAW_IMAGE") ?? openClawAdapter.defaultImage;
const FIXTURE_IMAGE = "agentpod-fixture:1";
const READY_TIMEOUT_MS = 90_000;
const HAS_DISCORD_PLUGIN = await imageHasFile(
  OPENCLAW_IMAGE,
  `${OPENCLAW_DISCORD_PLUGIN}/package.json`,
);

interface RunningPod {
  id: string;
  name: string;
  volume: string;
  baseUrl: string;
}

function context(
  image: string,
  resources = openClawAdapter.defaultResources,
  trustedProxies: string[] = [],
): RenderContext {
  return {
    ref: "test/adapter",
    image,
    resources,
    token: crypto.randomUUID().replaceAll("-", ""),
    publicOrigins: ["https://agent-test.example.com"],
    trustedProxies,
  };
}

/**
 * The default bridge's gateway as a trusted proxy: these containers run on it, and the
 * probe (through the published port) arrives from that address, as in a tenant network.
 */
async function bridgeGateway(docker: DockerClient): Promise<string[]> {
  // The product's own lookup: a fresh daemon lists the bridge with no Gateway field.
  const { gateway } = await lookupNetworkGateway(docker, await docker.networks.inspect("bridge"));
  return [`${gateway}/32`];
}

/** Parent directories first, owned like the files, so the agent can write beside them. */
function archiveEntries(rendered: RenderedPod): TarInput[] {
  const entries: TarInput[] = [];
  const dirs = new Set<string>();
  for (const file of rendered.files) {
    const parts = file.path.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      entries.push({ name: dir, type: "directory", mode: 0o755, uid: file.uid, gid: file.uid });
    }
    entries.push({
      name: file.path,
      data: file.content,
      mode: file.mode,
      uid: file.uid,
      gid: file.uid,
    });
  }
  return entries;
}

/** Creates the volume and the hardened container, writes the files, starts it. */
async function startPod(docker: DockerClient, rendered: RenderedPod): Promise<RunningPod> {
  const name = `agentpod-test-adapter-${crypto.randomUUID().slice(0, 8)}`;
  const { container } = rendered;
  const port = `${container.port}/tcp`;
  await docker.volumes.create({ Name: name, Labels: { "agentpod.test": "true" } });
  const { Id: id } = await docker.containers.create({
    Image: container.image,
    ...(container.command ? { Cmd: container.command } : {}),
    Env: Object.entries(container.env).map(([key, value]) => `${key}=${value}`),
    ...(container.user ? { User: container.user } : {}),
    Hostname: name,
    Labels: { "agentpod.test": "true" },
    ExposedPorts: { [port]: {} },
    HostConfig: {
      Init: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Memory: container.resources.memoryMB * 1024 * 1024,
      NanoCpus: Math.round(container.resources.cpus * 1e9),
      PidsLimit: container.resources.pids,
      PortBindings: { [port]: [{ HostIp: "127.0.0.1", HostPort: "" }] },
      Mounts: [{ Type: "volume", Source: name, Target: container.volumePath }],
    },
  }, { name });
  if (rendered.files.length > 0) {
    await docker.containers.putArchive(id, container.volumePath, archiveEntries(rendered));
  }
  await docker.containers.start(id);
  const binding = (await docker.containers.inspect(id)).NetworkSettings.Ports?.[port]?.[0];
  assert.equal(binding?.HostIp, "127.0.0.1");
  return { id, name, volume: name, baseUrl: `http://127.0.0.1:${binding?.HostPort}` };
}

async function removePod(docker: DockerClient, pod: RunningPod | undefined): Promise<void> {
  if (!pod) return;
  await docker.containers.remove(pod.id, { force: true, volumes: true }).catch(() => {});
  await docker.volumes.remove(pod.volume, { force: true }).catch(() => {});
}

/** Probes once a second until healthy; returns every result seen. */
async function waitHealthy(
  probe: (signal: AbortSignal) => Promise<ProbeResult>,
): Promise<ProbeResult[]> {
  const seen: ProbeResult[] = [];
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const result = await probe(new AbortController().signal);
    seen.push(result);
    if (result.healthy) return seen;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return seen;
}

/** Whether an image holds a file, read from a created (never started) container. */
async function imageHasFile(image: string, path: string): Promise<boolean> {
  const docker = createDockerClient();
  let id: string | undefined;
  try {
    id = (await docker.containers.create({ Image: image, Labels: { "agentpod.test": "true" } })).Id;
    return await docker.containers.getArchive(id, path).then(() => true, () => false);
  } catch {
    return false;
  } finally {
    if (id) await docker.containers.remove(id, { force: true }).catch(() => {});
    docker.close();
  }
}

async function logTail(docker: DockerClient, id: string, tail = 40): Promise<string> {
  const lines: string[] = [];
  for await (const line of docker.containers.logs(id, { tail })) lines.push(line.line);
  return lines.join("\n");
}

async function readVolumeFile(docker: DockerClient, id: string, path: string): Promise<string> {
  const { archive } = await docker.containers.getArchive(id, path);
  const entry = readTar(archive).find((item) => item.type === "file");
  return new TextDecoder().decode(entry?.data);
}

async function assertBootsAndProbes(config: OpenClawConfig) {
  const docker = createDockerClient();
  let pod: RunningPod | undefined;
  try {
    await docker.images.inspect(OPENCLAW_IMAGE).catch((error) => {
      throw new Error(`Image "${OPENCLAW_IMAGE}" is missing: run bash tests/env/images.sh`, {
        cause: error,
      });
    });
    const ctx = context(
      OPENCLAW_IMAGE,
      openClawAdapter.defaultResources,
      await bridgeGateway(docker),
    );
    const parsed = openClawAdapter.configSchema.parse(config);
    const rendered = openClawAdapter.render(parsed, ctx);
    pod = await startPod(docker, rendered);
    const running = pod;
    const probe = (signal: AbortSignal) =>
      openClawAdapter.probe({ baseUrl: running.baseUrl, token: ctx.token, signal });
    const seen = await waitHealthy(probe);
    const last = seen.at(-1);
    assert.ok(
      last?.healthy,
      `never healthy: ${JSON.stringify(last)}\n${await logTail(docker, pod.id)}`,
    );
    assert.match(last.message, /^Gateway is ready \(OpenClaw 2026\.9\.6, protocol 4\)$/);
    // Everything before hello-ok must have been read as "still starting", not as a failure.
    for (const result of seen.slice(0, -1)) assert.equal(result.starting, true, result.message);
    return { docker, pod, ctx, parsed, probe };
  } catch (error) {
    await removePod(docker, pod);
    docker.close();
    throw error;
  }
}

Deno.test("OpenClaw adapter: the rendered default config boots and probe() sees hello-ok", async () => {
  const { docker, pod } = await assertBootsAndProbes({});
  try {
    const state = (await docker.containers.inspect(pod.id)).State;
    assert.equal(state.Running, true);
    assert.equal(state.OOMKilled, false);
  } finally {
    await removePod(docker, pod);
    docker.close();
  }
});

Deno.test("OpenClaw adapter: a full config (identity, soul, model, fake keys and channel tokens) boots and hot-reloads", async () => {
  const config: OpenClawConfig = {
    agentName: "Aria",
    personality: "You are Aria, a calm and precise assistant.\nNever share secrets.",
    model: "anthropic/claude-opus-4-6",
    providers: { anthropic: { apiKey: "sk-ant-fake-key-for-tests" } },
    channels: { telegram: { botToken: "123456789:fake-telegram-token-for-tests" } },
  };
  const { docker, pod, ctx, probe } = await assertBootsAndProbes(config);
  try {
    const started = (await docker.containers.inspect(pod.id)).State.StartedAt;
    const soul = await readVolumeFile(docker, pod.id, "/home/node/.openclaw/workspace/SOUL.md");
    assert.equal(soul, `${config.personality}\n`);
    // The fake channel tokens make the gateway fail against the network: it must stay up.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    assert.ok((await probe(new AbortController().signal)).healthy);

    // A file-only change is picked up without the container restarting.
    const changed = { ...config, agentName: "Bea", model: "anthropic/claude-sonnet-4-6" };
    assert.equal(openClawAdapter.onConfigChange(config, changed), "hot-reload");
    const rendered = openClawAdapter.render(changed, ctx);
    await docker.containers.putArchive(pod.id, "/home/node/.openclaw", archiveEntries(rendered));
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const seen = await waitHealthy(probe);
    assert.ok(seen.at(-1)?.healthy, JSON.stringify(seen.at(-1)));
    assert.match(await logTail(docker, pod.id, 400), /config hot reload applied \(agents\./);
    const after = await docker.containers.inspect(pod.id);
    assert.equal(after.State.Running, true);
    assert.equal(after.State.StartedAt, started);
    assert.equal(after.RestartCount, 0);
    const live = JSON.parse(
      await readVolumeFile(docker, pod.id, "/home/node/.openclaw/openclaw.json"),
    );
    assert.equal(live.agents.entries.main.identity.name, "Bea");
  } finally {
    await removePod(docker, pod);
    docker.close();
  }
});

Deno.test({
  name: "OpenClaw adapter: a Discord channel boots with the plugin the image carries",
  // Discord is the separate npm package @openclaw/discord, which
  // deploy/openclaw/build-image.sh installs beside openclaw.
  fn: async () => {
    assert.ok(HAS_DISCORD_PLUGIN, `${OPENCLAW_IMAGE} lacks ${OPENCLAW_DISCORD_PLUGIN}: rebuild it`);
    const { docker, pod, probe } = await assertBootsAndProbes({
      channels: { discord: { token: "fake.discord.token-for-tests" } },
    });
    try {
      // The fake token fails against Discord (no network here): the gateway must stay up.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      assert.ok((await probe(new AbortController().signal)).healthy);
      assert.equal((await docker.containers.inspect(pod.id)).State.Running, true);
      assert.match(await logTail(docker, pod.id, 400), /Discord configured/);
    } finally {
      await removePod(docker, pod);
      docker.close();
    }
  },
});

Deno.test("Generic adapter: the busybox fixture is healthy on its health path", async () => {
  const docker = createDockerClient();
  let pod: RunningPod | undefined;
  try {
    // The command is explicit: fixture images built before tests/env/images.sh set a CMD
    // default to a shell that exits at once.
    const config = genericAdapter.configSchema.parse({
      healthPath: "/index.html",
      command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"],
    });
    pod = await startPod(
      docker,
      genericAdapter.render(config, context(FIXTURE_IMAGE, genericAdapter.defaultResources)),
    );
    const running = pod;
    const seen = await waitHealthy((signal) =>
      probeGeneric({ baseUrl: running.baseUrl, token: "", signal, config })
    );
    assert.deepEqual(seen.at(-1), { healthy: true, message: "GET /index.html answered 200" });
    const missing = await probeGeneric({
      baseUrl: running.baseUrl,
      token: "",
      signal: new AbortController().signal,
      config: { healthPath: "/missing" },
    });
    assert.deepEqual(missing, { healthy: false, message: "GET /missing answered 404" });
  } finally {
    await removePod(docker, pod);
    docker.close();
  }
});
