/**
 * A real Traefik (built by tests/env/traefik.sh) on 127.0.0.1 ports, configured by the
 * plane's own `agentpod traefik config`, for the routing end-to-end tests.
 * @module
 */
import assert from "node:assert/strict";
import type { Plane } from "./_harness.ts";

/** The Traefik binary: `AGENTPOD_TRAEFIK_BIN` (set by tests/run.sh) or built now. */
export async function traefikBinary(): Promise<string> {
  const fromEnv = Deno.env.get("AGENTPOD_TRAEFIK_BIN");
  if (fromEnv) return fromEnv;
  const out = await new Deno.Command("bash", {
    args: [new URL("../env/traefik.sh", import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success, "tests/env/traefik.sh failed");
  return new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
}

/** Where Traefik listens and how it polls. */
export interface TraefikOptions {
  /** Port of the plain HTTP entry point on 127.0.0.1. */
  web: number;
  /** Port of the TLS entry point on 127.0.0.1 (Traefik's default certificate). */
  websecure: number;
  /** Seconds between polls of `/traefik/dynamic`. */
  pollSeconds: number;
  /** `--trusted-ips` of `agentpod traefik config`. */
  trustedIps?: string;
}

/** A running Traefik. */
export interface RunningTraefik {
  /** Everything it logged so far. */
  log(): string;
  /** SIGTERM, then waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts Traefik with the static configuration the plane prints. */
export async function startTraefik(plane: Plane, options: TraefikOptions): Promise<RunningTraefik> {
  const result = await plane.cli(
    "traefik",
    "config",
    "--web",
    `127.0.0.1:${options.web}`,
    "--websecure",
    `127.0.0.1:${options.websecure}`,
    "--poll-interval",
    String(options.pollSeconds),
    ...(options.trustedIps ? ["--trusted-ips", options.trustedIps] : []),
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /providers:\n {2}http:/);
  const file = `${plane.dataDir}/traefik.yml`;
  await Deno.writeTextFile(file, result.stdout);
  const child = new Deno.Command(await traefikBinary(), {
    args: [`--configFile=${file}`],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) log += decoder.decode(chunk);
  };
  const pumping = Promise.all([pump(child.stdout), pump(child.stderr)]).catch(() => {});
  return {
    log: () => log,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await pumping;
    },
  };
}
