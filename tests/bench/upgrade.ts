/**
 * Benchmark: upgrades on the real engine.
 *  1. Per-pod downtime of `pod upgrade` (old container stopped → new one first passes its
 *     probe) and the whole command, fixture pods, alternating between two image variants.
 *  2. Rollback: an image that never passes its probe, from the command's start to the old
 *     container serving again (progress deadline 5 s, so ~5 s of it is the wait).
 *  3. A fleet of 6 fixture pods at --max-unavailable 1 and 2 (min-ready 1 s).
 *  4. With `--openclaw`: OpenClaw 2026.9.5 → 2026.9.6 downtime (both images built locally).
 * `openclaw fleet upgrade` cannot run here: it always pulls and no registry is reachable.
 * Prints one JSON line per figure.
 *
 *   deno run -A tests/bench/upgrade.ts [--trials 5] [--openclaw]
 * @module
 */
import { FIXTURE_IMAGE, Plane, waitFor } from "../e2e/_harness.ts";
import { dockerCli } from "../e2e/_harness.ts";

const at = Deno.args.indexOf("--trials");
const TRIALS = at >= 0 ? Number(Deno.args[at + 1]) : 5;
const OPENCLAW = Deno.args.includes("--openclaw");
const RUN = crypto.randomUUID().slice(0, 6);
const A = `agentpod-fixture:bench-a-${RUN}`;
const B = `agentpod-fixture:bench-b-${RUN}`;
const HANGS = `agentpod-fixture:bench-hangs-${RUN}`;

async function variant(ref: string, script: string): Promise<void> {
  const id = (await dockerCli("create", FIXTURE_IMAGE, "true")).stdout.trim();
  await dockerCli("commit", "--change", `CMD ["/bin/sh","-c",${JSON.stringify(script)}]`, id, ref);
  await dockerCli("rm", "-f", id);
}

interface RolloutJson {
  state: string;
  items: { stoppedAt: string | null; readyAt: string | null; state: string }[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function upgrade(plane: Plane, target: string, image: string, ...flags: string[]) {
  const t0 = performance.now();
  const out = await plane.cli(
    "pod",
    "upgrade",
    ...(target === "--all" ? ["--all", "--tenant", "bench"] : [target]),
    "--image",
    image,
    "--format",
    "json",
    ...flags,
  );
  if (!out.stdout.trim()) throw new Error(`pod upgrade ${target} ${image}: ${out.stderr}`);
  return { ms: performance.now() - t0, rollout: JSON.parse(out.stdout) as RolloutJson };
}

const downtime = (r: RolloutJson) =>
  r.items.map((i) => Date.parse(i.readyAt!) - Date.parse(i.stoppedAt!));

const HTTPD = "exec /bin/httpd -f -p 8080 -h /www";
await variant(A, HTTPD);
await variant(B, HTTPD);
await variant(HANGS, "exec sleep 3600");
const plane = await Plane.start({});
try {
  await plane.cli("tenant", "create", "bench");
  for (const name of ["one", "f1", "f2", "f3", "f4", "f5"]) {
    await plane.api("POST", "/tenants/bench/pods", {
      name,
      adapter: "generic",
      image: FIXTURE_IMAGE,
    });
  }
  await waitFor(
    "six running pods",
    async () => {
      const pods = await plane.api<{ status: string }[]>("GET", "/pods?tenant=bench");
      return pods.filter((p) => p.status === "running").length === 6;
    },
    60_000,
    250,
  );

  const down: number[] = [];
  const command: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const { ms, rollout } = await upgrade(plane, "bench/one", i % 2 ? A : B, "--min-ready", "1s");
    if (rollout.state !== "succeeded") throw new Error(`trial ${i}: ${rollout.state}`);
    down.push(...downtime(rollout));
    command.push(ms);
  }
  console.log(JSON.stringify({
    figure: "fixture pod upgrade",
    trials: TRIALS,
    downtimeMsMedian: Math.round(median(down)),
    downtimeMsMax: Math.round(Math.max(...down)),
    commandMsMedian: Math.round(median(command)),
  }));

  const back: number[] = [];
  for (let i = 0; i < Math.min(TRIALS, 3); i++) {
    const { ms, rollout } = await upgrade(
      plane,
      "bench/one",
      HANGS,
      "--min-ready",
      "1s",
      "--progress-deadline",
      "5s",
    );
    if (rollout.items[0]?.state !== "rolled-back") throw new Error(`rollback: ${rollout.state}`);
    back.push(ms);
  }
  console.log(JSON.stringify({
    figure: "rollback (never ready, 5 s deadline)",
    trials: back.length,
    commandMsMedian: Math.round(median(back)),
  }));

  for (const mu of ["1", "2"]) {
    const image = mu === "1" ? A : B;
    const { ms, rollout } = await upgrade(
      plane,
      "--all",
      image,
      "--max-unavailable",
      mu,
      "--min-ready",
      "1s",
    );
    console.log(JSON.stringify({
      figure: `fleet of 6, --max-unavailable ${mu}`,
      state: rollout.state,
      totalMs: Math.round(ms),
      downtimeMsMedian: Math.round(median(downtime(rollout).filter((d) => !Number.isNaN(d)))),
    }));
  }

  if (OPENCLAW) {
    await plane.cli(
      "pod",
      "create",
      "bench/oc",
      "--type",
      "openclaw",
      "--image",
      "agentpod/openclaw:2026.9.5",
      "--wait",
    );
    const { ms, rollout } = await upgrade(
      plane,
      "bench/oc",
      "agentpod/openclaw:2026.9.6",
      "--min-ready",
      "5s",
    );
    console.log(JSON.stringify({
      figure: "OpenClaw 2026.9.5 → 2026.9.6",
      state: rollout.state,
      downtimeMs: Math.round(downtime(rollout)[0]!),
      commandMs: Math.round(ms),
    }));
  }
} finally {
  await plane.destroy();
  await dockerCli("rmi", "-f", A, B, HANGS);
}
Deno.exit(0);
