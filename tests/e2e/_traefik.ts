/**
 * A real Traefik (built by tests/env/traefik.sh) on 127.0.0.1 ports, configured by the
 * plane's own `agentpod traefik config`, for the routing end-to-end tests.
 * @module
 */
import assert from "node:assert/strict";
import WebSocket from "ws";
import type { ProbeResult } from "../../core/adapter.ts";
import { openClawHandshake } from "../../adapters/openclaw_probe.ts";
import { httpGet } from "../raw_http.ts";
import { type Plane, waitFor } from "./_harness.ts";

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
  /** Address the TLS entry point binds instead of 127.0.0.1 (an outside client's link). */
  websecureHost?: string;
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
    `${options.websecureHost ?? "127.0.0.1"}:${options.websecure}`,
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

/** A public client address (TEST-NET-3) that requests through Traefik say they forward. */
export const FORWARDED_CLIENT = "203.0.113.77";

/**
 * Waits until `/readyz` of `host` answers 200 through Traefik on port `web`, then does
 * the OpenClaw WebSocket `connect` handshake there with `token`; returns what it saw.
 */
export async function openClawThroughTraefik(
  web: number,
  host: string,
  token: string,
  origin?: string,
): Promise<ProbeResult> {
  await waitFor(
    `/readyz of ${host} through Traefik`,
    async () => {
      const r = await httpGet(web, host, "/readyz", { "X-Forwarded-For": FORWARDED_CLIENT });
      return r.status === 200;
    },
    30_000,
    250,
  );
  return await openClawHandshake({
    open: () =>
      new WebSocket(`ws://127.0.0.1:${web}/`, {
        headers: {
          Host: host,
          "X-Forwarded-For": FORWARDED_CLIENT,
          ...(origin ? { Origin: origin } : {}),
        },
      }),
    token,
    signal: AbortSignal.timeout(15_000),
    timeoutMs: 15_000,
  });
}
