/**
 * A client with a non-loopback address, for tests that must look like the outside world
 * to a gateway (see FACTS.md): a `--network none` container joined to the host by a veth
 * pair, the host side `10.99.<n>.1/30`, the container side `10.99.<n>.2/30`. Only this
 * test-made link is used; no other network is touched. Names given in `hosts` resolve to
 * the host side inside the container, so a service bound there (Traefik's TLS entry
 * point) is reached under its public name.
 * @module
 */
import assert from "node:assert/strict";
import { type CliResult, dockerCli } from "./_harness.ts";

/** A client container outside loopback. */
export interface OutsideClient {
  /** The host's address on the link (bind a service here for the client to reach). */
  readonly hostAddress: string;
  /** The client's own address. */
  readonly clientAddress: string;
  /** Runs a command in the client. */
  exec(command: string[], env?: Record<string, string>): Promise<CliResult>;
  /** Removes the container (its end of the link goes with it) and the host's end. */
  remove(): Promise<void>;
}

async function run(command: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
    .output();
  assert.equal(
    out.code,
    0,
    `${command} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
  );
}

/** Starts a client from `image` (it needs /bin/sh) with `hosts` pointing at the host side. */
export async function startOutsideClient(image: string, hosts: string[]): Promise<OutsideClient> {
  const n = 10 + Math.floor(Math.random() * 240);
  const id = crypto.randomUUID().slice(0, 6);
  const hostAddress = `10.99.${n}.1`;
  const clientAddress = `10.99.${n}.2`;
  const name = `agentpod-outside-${id}`;
  const hostEnd = `apo${id}h`;
  const clientEnd = `apo${id}c`;
  const started = await dockerCli(
    "run",
    "-d",
    "--name",
    name,
    "--network",
    "none",
    ...hosts.flatMap((host) => ["--add-host", `${host}:${hostAddress}`]),
    "--entrypoint",
    "/bin/sh",
    image,
    "-c",
    "sleep 3600",
  );
  assert.equal(started.code, 0, started.stderr);
  const remove = async () => {
    await dockerCli("rm", "-f", name);
    await new Deno.Command("ip", { args: ["link", "del", hostEnd], stderr: "null" }).output();
  };
  try {
    const pid = (await dockerCli("inspect", name, "--format", "{{.State.Pid}}")).stdout.trim();
    await run("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", clientEnd);
    await run("ip", "link", "set", clientEnd, "netns", pid);
    await run("ip", "addr", "add", `${hostAddress}/30`, "dev", hostEnd);
    await run("ip", "link", "set", hostEnd, "up");
    await run(
      "nsenter",
      "-t",
      pid,
      "-n",
      "ip",
      "addr",
      "add",
      `${clientAddress}/30`,
      "dev",
      clientEnd,
    );
    await run("nsenter", "-t", pid, "-n", "ip", "link", "set", clientEnd, "up");
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    hostAddress,
    clientAddress,
    exec: (command, env = {}) =>
      dockerCli(
        "exec",
        ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
        name,
        ...command,
      ),
    remove,
  };
}
