/**
 * `agentpod config set` on a real OpenClaw pod: a file-only change (agent name) is
 * hot-reloaded into the same container; a provider key (an environment variable) makes
 * a new container; secrets stay masked and out of events; bad input changes nothing.
 * @module
 */
import assert from "node:assert/strict";
import { dockerCli, type Plane, waitFor, withPlane } from "./_harness.ts";

interface PodJson {
  status: string;
  health: string | null;
  generation: number;
}

const CONTAINER = "agentpod-acme-agent";

async function containerId(): Promise<string> {
  return (await dockerCli("inspect", "-f", "{{.Id}}", CONTAINER)).stdout.trim();
}

async function liveConfig(): Promise<Record<string, unknown>> {
  const out = await dockerCli("exec", CONTAINER, "cat", "/home/node/.openclaw/openclaw.json");
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

function healthy(plane: Plane) {
  return waitFor(
    "acme/agent running and healthy",
    async () => {
      const pod = await plane.json<PodJson>("pod", "status", "acme/agent");
      return pod.status === "running" && pod.health === "ok" ? pod : undefined;
    },
    150_000,
    500,
  );
}

Deno.test("config set: hot reload in place, recreate for a new key, secrets masked, bad input refused", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    const created = await plane.cli("pod", "create", "acme/agent", "--type", "openclaw");
    assert.equal(created.code, 0, created.stderr);
    const first = await healthy(plane);
    const before = await containerId();

    // A file-only change: rewritten in the volume, same container, agent still healthy.
    const renamed = await plane.json<{ effect: string; changed: string[] }>(
      "config",
      "set",
      "acme/agent",
      "--key",
      "agentName",
      "--value",
      "Bea",
    );
    assert.deepEqual(renamed, { ...renamed, effect: "hot-reload", changed: ["agentName"] });
    assert.equal(await containerId(), before, "no new container for a hot reload");
    const live = await liveConfig() as { agents: { entries: { main: { name: string } } } };
    assert.equal(live.agents.entries.main.name, "Bea");
    const afterReload = await healthy(plane);
    assert.equal(afterReload.generation, first.generation + 1);

    const table = await plane.cli(
      "config",
      "set",
      "acme/agent",
      "--key",
      "agentName",
      "--value",
      "Bea",
    );
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout, "Pod acme/agent: config unchanged\n");

    // Bad input: nothing changes, clear errors, non-zero exits.
    const badModel = await plane.cli(
      "config",
      "set",
      "acme/agent",
      "--key",
      "model",
      "--value",
      "x",
    );
    assert.equal(badModel.code, 1, badModel.stdout + badModel.stderr);
    assert.match(badModel.stderr, /Invalid config for adapter "openclaw"[\s\S]*model/);
    const unknown = await plane.cli(
      "config",
      "set",
      "acme/agent",
      "--key",
      "colour",
      "--value",
      "1",
    );
    assert.equal(unknown.code, 1);
    const badPath = await plane.cli("config", "set", "acme/agent", "--key", "a..b", "--value", "1");
    assert.equal(badPath.code, 2);
    assert.match(badPath.stderr, /Invalid config key "a\.\.b"/);
    const unpaired = await plane.cli("config", "set", "acme/agent", "--key", "model");
    assert.equal(unpaired.code, 2);
    assert.doesNotMatch(badModel.stderr + unknown.stderr, /at .*\.ts:\d+/, "no stack trace");
    assert.equal(
      (await plane.json<PodJson>("pod", "status", "acme/agent")).generation,
      afterReload.generation,
    );

    // A provider key is an environment variable: a new container, the key sealed and masked.
    const file = `${plane.dataDir}/patch.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({ providers: { anthropic: { apiKey: "sk-ant-e2e-secret" } } }),
    );
    const keyed = await plane.json<{ effect: string; changed: string[] }>(
      "config",
      "set",
      "acme/agent",
      "--config",
      file,
    );
    assert.equal(keyed.effect, "recreate");
    assert.deepEqual(keyed.changed, ["providers"]);
    await healthy(plane);
    const after = await containerId();
    assert.notEqual(after, before, "a new container for a new environment variable");
    const env = (await dockerCli("inspect", "-f", "{{json .Config.Env}}", CONTAINER)).stdout;
    assert.match(env, /ANTHROPIC_API_KEY=sk-ant-e2e-secret/);
    assert.equal(
      ((await liveConfig()) as { agents: { entries: { main: { name: string } } } }).agents.entries
        .main.name,
      "Bea",
      "the earlier change survives the recreate",
    );
    const shown = await plane.cli("config", "get", "acme/agent");
    assert.doesNotMatch(shown.stdout, /sk-ant-e2e-secret/);
    assert.match(shown.stdout, /"apiKey": "\*{8}"/);
    // Sending the mask back (a config read, edited, written) keeps the secret.
    const masked = await plane.json<{ changed: string[] }>(
      "config",
      "set",
      "acme/agent",
      "--key",
      "providers.anthropic.apiKey",
      "--value",
      "********",
    );
    assert.deepEqual(masked.changed, []);
    const events = await plane.cli("events", "--tail", "20", "--format", "json");
    assert.match(events.stdout, /ConfigChanged/);
    assert.doesNotMatch(events.stdout, /sk-ant-e2e-secret/);
  });
});
