/**
 * Benchmark: migration of hand-made OpenClaw gateways on the real engine. Five gateways
 * started as OpenClaw's Docker guide does (token in the environment, a named volume,
 * 127.0.0.1 port), then, timed through the CLI: `migrate discover` (scan, config reads,
 * token probes), `migrate adopt --all` (as they run), and the same with the live steps
 * `--restart-policy --limits`. A 10 Hz `/readyz` probe runs on every gateway during each
 * adoption: its failures are printed (they must be 0), and so is whether any container's
 * PID, StartedAt or RestartCount changed. Prints one JSON line per figure.
 *
 *   deno run -A tests/bench/migrate.ts [--trials 3] [--gateways 5]
 * @module
 */
import { dockerCli, freePort, Plane, readyzSampler, waitReadyz } from "../e2e/_harness.ts";

const arg = (flag: string, fallback: number) => {
  const at = Deno.args.indexOf(flag);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
};
const TRIALS = arg("--trials", 3);
const GATEWAYS = arg("--gateways", 5);
const IMAGE = Deno.env.get("AGENTPOD_OPENCLAW_IMAGE") ?? "agentpod/openclaw:2026.9.6";
const RUN = crypto.randomUUID().slice(0, 6);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function runIds(names: string[]): Promise<string> {
  const out = await dockerCli(
    "inspect",
    "-f",
    "{{.State.Pid}} {{.State.StartedAt}} {{.RestartCount}}",
    ...names,
  );
  return out.stdout.trim();
}

const names = Array.from({ length: GATEWAYS }, (_, i) => `bench-hand-${RUN}-${i}`);
const ports = names.map(() => freePort());
try {
  for (const [i, name] of names.entries()) {
    const out = await dockerCli(
      "run",
      "-d",
      "--name",
      name,
      "-e",
      `OPENCLAW_GATEWAY_TOKEN=${crypto.randomUUID().replaceAll("-", "")}`,
      "-v",
      `${name}:/home/node/.openclaw`,
      "-p",
      `127.0.0.1:${ports[i]}:18789`,
      IMAGE,
      "node",
      "openclaw.mjs",
      "gateway",
      "--bind",
      "lan",
      "--port",
      "18789",
      "--allow-unconfigured",
    );
    if (out.code !== 0) throw new Error(out.stderr);
  }
  await Promise.all(ports.map((port) => waitReadyz(port, 300_000)));

  const discover: number[] = [];
  const adopt: number[] = [];
  const adoptLive: number[] = [];
  let failures = 0;
  let restarted = 0;
  for (let trial = 1; trial <= TRIALS; trial++) {
    for (const live of [false, true]) {
      const plane = await Plane.start({});
      try {
        const before = await runIds(names);
        let t0 = performance.now();
        const found = await plane.cli("migrate", "discover", "--format", "json");
        if (found.code !== 0) throw new Error(found.stderr);
        if (!live) discover.push(performance.now() - t0);
        const sampler = readyzSampler(ports);
        t0 = performance.now();
        const flags = live ? ["--restart-policy", "--limits"] : [];
        const adopted = await plane.cli("migrate", "adopt", ...names, ...flags, "--format", "json");
        (live ? adoptLive : adopt).push(performance.now() - t0);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const seen = await sampler.stop();
        if (adopted.code !== 0) throw new Error(adopted.stderr);
        failures += [...seen.values()].reduce((n, list) => n + list.length, 0);
        if ((await runIds(names)) !== before) restarted++;
        const pods = JSON.parse(adopted.stdout) as { pod: string }[];
        for (const p of pods) await plane.cli("migrate", "release", p.pod);
      } finally {
        await plane.destroy();
      }
    }
  }
  const line = (what: string, values: number[]) =>
    console.log(JSON.stringify({
      bench: "migrate",
      what,
      gateways: GATEWAYS,
      trials: values.length,
      medianMs: Math.round(median(values)),
      minMs: Math.round(Math.min(...values)),
      maxMs: Math.round(Math.max(...values)),
    }));
  line("migrate discover (with token probes)", discover);
  line("migrate adopt (as they run)", adopt);
  line("migrate adopt --restart-policy --limits", adoptLive);
  console.log(JSON.stringify({
    bench: "migrate",
    what: "10 Hz /readyz failures during adoption, and adoptions that restarted a container",
    probeFailures: failures,
    restartedAdoptions: restarted,
  }));
} finally {
  for (const name of names) {
    await dockerCli("rm", "-f", name);
    await dockerCli("volume", "rm", "-f", name);
  }
}
