/**
 * Shared setup of the Docker integration suites: the fixture image, a per-run label,
 * and `withCase`, which gives a test a unique name and removes whatever carries it.
 * @module
 */
import { createDockerClient, type DockerClient } from "../../providers/docker/mod.ts";

/** The busybox fixture image (tests/env/images.sh builds it). */
export const IMAGE = "agentpod-fixture:1";
/** Busybox's multi-call binary: the image has no other commands. */
export const BUSYBOX = "/bin/busybox";
/** This run's id, the value of the `agentpod.test` label. */
export const RUN = crypto.randomUUID().slice(0, 8);

/** Runs `fn` with a client and a unique id, then removes everything labelled with it. */
export async function withCase(
  fn: (docker: DockerClient, id: string) => Promise<void>,
): Promise<void> {
  const id = `agentpod-test-${RUN}-${crypto.randomUUID().slice(0, 6)}`;
  using docker = createDockerClient();
  try {
    await fn(docker, id);
  } finally {
    await removeCase(docker, id);
  }
}

async function removeCase(docker: DockerClient, id: string): Promise<void> {
  const filters = { label: [`agentpod.case=${id}`] };
  for (const c of await docker.containers.list({ all: true, filters })) {
    await docker.containers.remove(c.Id, { force: true, volumes: true });
  }
  for (const n of await docker.networks.list({ filters })) await docker.networks.remove(n.Id);
  for (const v of await docker.volumes.list({ filters })) await docker.volumes.remove(v.Name);
}

/** The labels every test object carries. */
export function labels(id: string): Record<string, string> {
  return { "agentpod.test": RUN, "agentpod.case": id };
}

/** Polls `check` every 5 ms; throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
