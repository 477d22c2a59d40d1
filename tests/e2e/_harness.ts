/**
 * End-to-end harness: the control plane and the CLI as real processes, against the real
 * Docker Engine. A `Plane` owns a fresh data directory (embedded PGlite unless a
 * DATABASE_URL is given), a free port, and cleans up every container, volume and
 * network its instance created.
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { createDockerClient } from "../../providers/docker/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const decoder = new TextDecoder();

/** The outcome of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Polls `fn` until it returns a truthy value; fails with `what` and the last value. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}; last: ${Deno.inspect(last)}`,
  );
}

/** Runs `docker` (the CLI, as an operator would) and returns its output. */
export async function dockerCli(...args: string[]): Promise<CliResult> {
  const out = await new Deno.Command("docker", { args, stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** A control-plane process and a CLI pointed at it. */
export class Plane {
  readonly dataDir: string;
  readonly port: number;
  readonly url: string;
  readonly env: Record<string, string>;
  #child: Deno.ChildProcess | undefined;
  #log = "";
  #instance = "";

  private constructor(dataDir: string, env: Record<string, string>) {
    this.dataDir = dataDir;
    this.port = freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    this.env = {
      AGENTPOD_DATA_DIR: dataDir,
      AGENTPOD_LISTEN: `127.0.0.1:${this.port}`,
      AGENTPOD_URL: this.url,
      NO_COLOR: "1",
      ...env,
    };
  }

  /** Starts a control plane on a new data directory and waits until it is ready. */
  static async start(env: Record<string, string> = {}): Promise<Plane> {
    const dir = await Deno.makeTempDir({ prefix: "agentpod-e2e-" });
    const plane = new Plane(dir, env);
    await plane.restart();
    return plane;
  }

  /** Starts (again) the server process on the same data directory and port. */
  async restart(): Promise<void> {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}main.ts`],
      env: this.env,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    void (async () => {
      for await (const chunk of child.stderr) this.#log += decoder.decode(chunk);
    })().catch(() => {});
    let exited: Deno.CommandStatus | undefined;
    child.status.then((status) => exited = status);
    await waitFor(
      "the control plane to listen",
      async () => {
        if (exited) return "exited";
        const res = await fetch(`${this.url}/healthz`);
        await res.body?.cancel();
        return res.ok;
      },
      90_000,
      100,
    );
    if (exited) throw new Error(`The control plane exited on start:\n${this.#log}`);
    this.#instance = await this.instance();
  }

  /** The server's process id (the deno binary itself). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The server's log so far. */
  get log(): string {
    return this.#log;
  }

  /** Kills the server with `signal` and waits for it to exit. */
  async kill(signal: Deno.Signal = "SIGTERM"): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    try {
      child.kill(signal);
    } catch { /* already gone */ }
    await child.status;
  }

  /** Runs the CLI with `args`. */
  async cli(...args: string[]): Promise<CliResult> {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}cli.ts`, ...args],
      env: this.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  }

  /** Runs the CLI and parses `--format json` output; fails on a non-zero exit. */
  async json<T = unknown>(...args: string[]): Promise<T> {
    const result = await this.cli(...args, "--format", "json");
    assert.equal(result.code, 0, `agentpod ${args.join(" ")} failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** The admin token. */
  async token(): Promise<string> {
    if (this.env.AGENTPOD_TOKEN) return this.env.AGENTPOD_TOKEN;
    return (await Deno.readTextFile(`${this.dataDir}/admin-token`)).trim();
  }

  /** Calls `/api/v1<path>` with the admin token; throws with status and body on an error. */
  async api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.token()}`,
        "content-type": "application/json",
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** This plane's instance id (the label on its containers), from `doctor`. */
  async instance(): Promise<string> {
    const res = await fetch(`${this.url}/api/v1/doctor`, {
      headers: { authorization: `Bearer ${await this.token()}` },
    });
    return (await res.json()).instance;
  }

  /** Containers, volumes and networks of this plane's instance. */
  async resources(instance?: string) {
    const label = `agentpod.instance=${instance ?? await this.instance()}`;
    using docker = createDockerClient();
    return {
      containers: await docker.containers.list({ all: true, filters: { label: [label] } }),
      volumes: await docker.volumes.list({ filters: { label: [label] } }),
      networks: await docker.networks.list({ filters: { label: [label] } }),
    };
  }

  /** Stops the server and removes everything its instance created, then its data. */
  async destroy(): Promise<void> {
    const instance = this.#child ? await this.instance().catch(() => "") : this.#instance;
    await this.kill("SIGKILL");
    if (instance) {
      const found = await this.resources(instance);
      using docker = createDockerClient();
      for (const c of found.containers) {
        await docker.containers.remove(c.Id, { force: true }).catch(() => {});
      }
      for (const v of found.volumes) {
        await docker.volumes.remove(v.Name, { force: true }).catch(() => {});
      }
      for (const n of found.networks) await docker.networks.remove(n.Id).catch(() => {});
    }
    await Deno.remove(this.dataDir, { recursive: true }).catch(() => {});
  }
}

/** Runs `fn` with a fresh plane; on failure prints the server's log tail; always cleans up. */
export async function withPlane(
  env: Record<string, string>,
  fn: (plane: Plane) => Promise<void>,
): Promise<void> {
  const plane = await Plane.start(env);
  try {
    await fn(plane);
  } catch (error) {
    console.error(`--- control-plane log (tail) ---\n${plane.log.slice(-4000)}`);
    throw error;
  } finally {
    await plane.destroy();
  }
}

/** The busybox httpd fixture image (tests/env/images.sh). */
export const FIXTURE_IMAGE = "agentpod-fixture:1";

/** Creates generic fixture pods `<tenant>/<name>` through the CLI (optionally with a config). */
export async function createFixturePods(
  plane: Plane,
  tenant: string,
  names: string[],
  config?: (name: string) => Record<string, unknown>,
): Promise<void> {
  for (const name of names) {
    const args = [
      "pod",
      "create",
      `${tenant}/${name}`,
      "--type",
      "generic",
      "--image",
      FIXTURE_IMAGE,
    ];
    if (config) {
      const file = `${plane.dataDir}/${tenant}-${name}.json`;
      await Deno.writeTextFile(file, JSON.stringify(config(name)));
      args.push("--config", file);
    }
    const created = await plane.cli(...args);
    assert.equal(created.code, 0, created.stderr);
  }
}

/** The fixture with another command and a version label, as `docker commit` makes it. */
export async function commitFixtureVariant(
  ref: string,
  version: string,
  script: string,
): Promise<void> {
  const made = await dockerCli("create", FIXTURE_IMAGE, "true");
  assert.equal(made.code, 0, made.stderr);
  const id = made.stdout.trim();
  try {
    const out = await dockerCli(
      "commit",
      "--change",
      `CMD ["/bin/sh","-c",${JSON.stringify(script)}]`,
      "--change",
      `LABEL org.opencontainers.image.version=${version}`,
      id,
      ref,
    );
    assert.equal(out.code, 0, out.stderr);
  } finally {
    await dockerCli("rm", "-f", id);
  }
}

/**
 * Samples every 200 ms how many of the containers are not running; `stop()` ends it and
 * gives the most seen at once.
 */
export function downSampler(names: string[]): { stop(): Promise<number> } {
  const docker = createDockerClient();
  let worst = 0;
  let sampling = true;
  const run = (async () => {
    while (sampling) {
      let down = 0;
      for (const name of names) {
        const c = await docker.containers.inspect(name).catch(() => undefined);
        if (c?.State.Status !== "running") down++;
      }
      worst = Math.max(worst, down);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    async stop() {
      if (!sampling) return worst;
      sampling = false;
      await run;
      docker.close();
      return worst;
    },
  };
}

/** Polls `/readyz` on each port every 100 ms; `stop()` gives the failures per port. */
export function readyzSampler(
  ports: number[],
  headers: Record<string, string> = {},
): { stop(): Promise<Map<number, string[]>> } {
  const failures = new Map<number, string[]>(ports.map((p) => [p, []]));
  let sampling = true;
  let samples = 0;
  const loop = (async () => {
    while (sampling) {
      await Promise.all(ports.map(async (port) => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/readyz`, {
            signal: AbortSignal.timeout(2_000),
            headers,
          });
          await res.body?.cancel();
          if (res.status !== 200) failures.get(port)!.push(`${res.status}`);
        } catch (error) {
          failures.get(port)!.push(String(error));
        }
      }));
      samples++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      console.log(`readyz sampler: ${samples} rounds over ${ports.length} gateways`);
      return failures;
    },
  };
}

/** Waits until `/readyz` on 127.0.0.1:`port` answers 200 (a gateway booting resets until then). */
export async function waitReadyz(port: number, timeoutMs = 180_000): Promise<void> {
  await waitFor(
    `/readyz on ${port}`,
    async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        await res.body?.cancel();
        return res.status === 200;
      } catch {
        return false;
      }
    },
    timeoutMs,
    500,
  );
}

/** Waits until the plane lists `count` pods, all running (and healthy unless `health` is false). */
export async function waitForRunningPods(
  plane: Plane,
  count: number,
  options: { health?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const health = options.health ?? true;
  await waitFor(`${count} running pods`, async () => {
    const pods = await plane.json<{ status: string; health: string | null }[]>("pod", "list");
    return pods.length === count &&
      pods.every((p) => p.status === "running" && (!health || p.health === "ok"));
  }, options.timeoutMs ?? 60_000);
}

/** Waits until pod `ref` is running and its probe says ok (an OpenClaw gateway: 10–20 s). */
export async function waitPodHealthy(
  plane: Plane,
  ref: string,
  timeoutMs = 180_000,
): Promise<void> {
  await waitFor(
    `${ref} running and healthy`,
    async () => {
      const pod = await plane.json<{ status: string; health: string | null }>("pod", "status", ref);
      return pod.status === "running" && pod.health === "ok";
    },
    timeoutMs,
    500,
  );
}

/** Runs `fn` with the URL of a new database on the test PostgreSQL server; drops it after. */
export async function withTestDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const adminUrl = Deno.env.get("AGENTPOD_TEST_DATABASE_URL") ??
    "postgres://agentpod@127.0.0.1:55432/agentpod_test";
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const name = `agentpod_e2e_${crypto.randomUUID().slice(0, 8)}`;
  await admin.unsafe(`create database ${name}`);
  try {
    return await fn(adminUrl.replace(/\/[^/]*$/, `/${name}`));
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** Whether the engine pulled any image since `since` (Unix seconds). */
export async function pulledSince(since: string): Promise<boolean> {
  const events = await dockerCli(
    "events",
    "--since",
    since,
    "--until",
    (Date.now() / 1000).toFixed(3),
    "--filter",
    "type=image",
    "--format",
    "{{.Action}}",
  );
  return events.stdout.includes("pull");
}
