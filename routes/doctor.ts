/**
 * `doctor`: checks what the control plane depends on and says, per check, what is
 * wrong and what to do. Read-only.
 * @module
 */
import type { AgentAdapter } from "../core/adapter.ts";
import type { ServerConfig } from "../core/config.ts";
import { errorMessage } from "../core/errors.ts";
import type { Store } from "../core/store.ts";
import type { DockerClient } from "../providers/docker/mod.ts";
import type { SqlDatabase } from "../providers/store/mod.ts";

/** One check's outcome. */
export interface DoctorCheck {
  /** What was checked. */
  name: string;
  /** Whether it passed. */
  ok: boolean;
  /** What was found, or what to do. */
  message: string;
}

/** What doctor looks at. */
export interface DoctorDeps {
  docker: DockerClient;
  db: SqlDatabase;
  store: Store;
  adapters: AgentAdapter[];
  config: ServerConfig;
  leader(): boolean;
  /** This control plane's instance id (the label on its containers). */
  instance: string;
  /** When Traefik last polled `/traefik/dynamic`. */
  traefikPolls: { last?: Date; count: number };
}

async function check(name: string, fn: () => Promise<string>): Promise<DoctorCheck> {
  try {
    return { name, ok: true, message: await fn() };
  } catch (error) {
    return { name, ok: false, message: errorMessage(error) };
  }
}

/** Runs every check. */
export async function runDoctor(
  d: DoctorDeps,
): Promise<{ ok: boolean; instance: string; checks: DoctorCheck[] }> {
  const checks = await Promise.all([
    check("docker", async () => {
      const version = await d.docker.version();
      return `Engine ${version.Version}, API ${await d.docker
        .apiVersion()} at ${d.config.dockerHost}`;
    }),
    check("database", async () => {
      await d.db.query("select 1");
      const [row] = await d.db.query<{ n: number }>(
        "select count(*)::int as n from schema_migrations",
      );
      return `${d.db.dialect} at ${d.db.location}, ${row?.n ?? 0} migration(s) applied`;
    }),
    ...d.adapters.filter((adapter) => adapter.defaultImage !== "").map((adapter) =>
      check(`image ${adapter.defaultImage}`, async () => {
        try {
          const image = await d.docker.images.inspect(adapter.defaultImage);
          return `present (${Math.round(image.Size / 1024 / 1024)} MB) for adapter ${adapter.id}`;
        } catch (error) {
          throw new Error(
            `missing for adapter ${adapter.id}: ${errorMessage(error)}` +
              (adapter.id === "openclaw" ? " (build it: deploy/openclaw/build-image.sh)" : ""),
          );
        }
      })
    ),
    check("ports", async () => {
      const { from, to } = d.config.portRange;
      const used = await d.store.pods.allocatedPorts();
      const free = to - from + 1 - used.size;
      if (free <= 0) throw new Error(`no free host port left in ${from}-${to}`);
      return `${used.size} of ${to - from + 1} host ports in ${from}-${to} allocated`;
    }),
    check("traefik", () => {
      const { last, count } = d.traefikPolls;
      // Not an error: AgentPod works without Traefik, pods are just not routed yet.
      if (!last) {
        return Promise.resolve(
          "not polled yet: pods are not routed (set Traefik up with `agentpod traefik config`)",
        );
      }
      const ago = Math.round((Date.now() - last.getTime()) / 1000);
      return Promise.resolve(`last polled ${ago} s ago (${count} polls since start)`);
    }),
    check("reconciler", () => {
      if (!d.leader()) {
        return Promise.reject(new Error("another control plane holds the leader lock"));
      }
      const mode = d.config.reconcileMode === "auto"
        ? "heals on engine events and every 30 s"
        : "manual: acts on API writes and `reconcile` only";
      return Promise.resolve(`this process leads (instance ${d.instance}); ${mode}`);
    }),
  ]);
  return { ok: checks.every((c) => c.ok), instance: d.instance, checks };
}
