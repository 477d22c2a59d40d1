/**
 * OpenClaw's own `openclaw fleet` CLI, run from a helper container of the OpenClaw
 * image (the host's Node is too old for it): root, host network (fleet probes its cell
 * on its own 127.0.0.1), the Docker socket and the host's static docker CLI, and a fresh
 * `HOME` mounted at the same path inside and out (fleet bind-mounts
 * `$HOME/.openclaw/fleet/cells/<tenant>` into the cell, so the paths must agree).
 * Used by the create-vs-fleet benchmark and the migration tests.
 * @module
 */
import { type CliResult, dockerCli } from "./_harness.ts";

/** The host's static docker CLI, mounted into the helper as is. */
const DOCKER_CLI = "/usr/local/bin/docker";

/** A running fleet helper. */
export interface FleetCli extends AsyncDisposable {
  /** The helper's `HOME` (a directory on the host too). */
  home: string;
  /** Runs `openclaw fleet <args>` in the helper. */
  fleet(...args: string[]): Promise<CliResult>;
  /** The owner label fleet gives `tenant`'s cell: sha256 of its data dir, 32 hex digits. */
  ownerOf(tenant: string): Promise<string>;
}

/** Starts a helper container named `name` (labelled `label`) from `image`. */
export async function startFleetCli(
  image: string,
  name: string,
  label: string,
): Promise<FleetCli> {
  const home = await Deno.makeTempDir({ prefix: "fleet-home-" });
  const run = await dockerCli(
    "run",
    "-d",
    "--name",
    name,
    "--label",
    label,
    "--network",
    "host",
    "-u",
    "0",
    "-v",
    "/var/run/docker.sock:/var/run/docker.sock",
    "-v",
    `${DOCKER_CLI}:/usr/local/bin/docker:ro`,
    "-v",
    `${home}:${home}`,
    "-e",
    `HOME=${home}`,
    image,
    "node",
    "-e",
    "setInterval(() => {}, 1 << 30)",
  );
  if (run.code !== 0) {
    await Deno.remove(home, { recursive: true }).catch(() => {});
    throw new Error(`Cannot start the fleet helper: ${run.stderr}`);
  }
  return {
    home,
    fleet: (...args) => dockerCli("exec", name, "node", "openclaw.mjs", "fleet", ...args),
    async ownerOf(tenant) {
      const dataDir = `${home}/.openclaw/fleet/cells/${tenant}`;
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(dataDir));
      return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
        .join("").slice(0, 32);
    },
    async [Symbol.asyncDispose]() {
      await dockerCli("rm", "-f", name);
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}
