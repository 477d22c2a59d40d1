/**
 * Benchmark: AgentPod's Docker client against dockerode (npm, under Node) on the same
 * engine in the same run. Creates 20 labelled fixture containers, then measures
 * requests/s of `GET /containers/json` (label-filtered, all 20) and of container
 * inspect, sequentially and with 8 requests in flight. Prints a JSON line per figure.
 *
 *   deno run -A tests/bench/docker_client.ts [--seconds 3]
 * Needs Node (for dockerode) and the fixture image (bash tests/env/images.sh).
 * @module
 */
import { createDockerClient } from "../../providers/docker/mod.ts";

const SECONDS = Number(argValue("--seconds") ?? 3);
const IMAGE = "agentpod-fixture:1";
const LABEL = "agentpod.bench=docker-client";
const COUNT = 20;
const here = new URL(".", import.meta.url).pathname;
const nodeDir = `${here}../../.cache/bench-node`;

function argValue(flag: string): string | undefined {
  const at = Deno.args.indexOf(flag);
  return at >= 0 ? Deno.args[at + 1] : undefined;
}

async function ensureDockerode(): Promise<void> {
  try {
    await Deno.stat(`${nodeDir}/node_modules/dockerode/package.json`);
  } catch {
    await Deno.mkdir(nodeDir, { recursive: true });
    const out = await new Deno.Command("npm", {
      args: ["install", "--prefix", nodeDir, "--no-audit", "--no-fund", "dockerode@5.0.1"],
      stdout: "null",
    }).output();
    if (!out.success) throw new Error("npm install dockerode failed");
  }
}

/** Runs `op` for `seconds` with `inFlight` concurrent loops; returns requests/s. */
async function measure(op: () => Promise<unknown>, inFlight: number): Promise<number> {
  for (let i = 0; i < 50; i++) await op(); // warm up the connection pool and the JIT
  let done = 0;
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      await op();
      done++;
    }
  }));
  return done / ((performance.now() - start) / 1000);
}

const docker = createDockerClient();
await ensureDockerode();
const ids: string[] = [];
try {
  for (let i = 0; i < COUNT; i++) {
    const { Id } = await docker.containers.create({
      name: `agentpod-bench-${i}-${crypto.randomUUID().slice(0, 6)}`,
      Image: IMAGE,
      Labels: { "agentpod.bench": "docker-client" },
    });
    ids.push(Id);
  }
  const target = ids[0]!;
  const filters = { label: [LABEL] };
  const listed = await docker.containers.list({ all: true, filters });
  if (listed.length !== COUNT) {
    throw new Error(`expected ${COUNT} containers, saw ${listed.length}`);
  }

  const results: Record<string, unknown>[] = [];
  for (const inFlight of [1, 8]) {
    results.push({
      client: "agentpod",
      op: "list",
      inFlight,
      rps: Math.round(
        await measure(() => docker.containers.list({ all: true, filters }), inFlight),
      ),
    });
    results.push({
      client: "agentpod",
      op: "inspect",
      inFlight,
      rps: Math.round(await measure(() => docker.containers.inspect(target), inFlight)),
    });
  }
  const node = await new Deno.Command("node", {
    args: [`${here}dockerode_peer.mjs`, target, LABEL, String(SECONDS)],
    env: { NODE_PATH: `${nodeDir}/node_modules` },
    stderr: "inherit",
  }).output();
  if (!node.success) throw new Error("the dockerode peer failed");
  for (const line of new TextDecoder().decode(node.stdout).trim().split("\n")) {
    results.push(JSON.parse(line));
  }
  for (const r of results) console.log(JSON.stringify(r));
} finally {
  await Promise.all(ids.map((id) => docker.containers.remove(id, { force: true })));
  docker.close();
}
