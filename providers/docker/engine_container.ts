/**
 * Any container on the engine in domain terms (`EngineContainer`), from its inspect and
 * its image's labels: what `migrate discover` classifies. Pure mapping, no engine calls.
 * @module
 */
import type { EngineContainer } from "../../core/migration.ts";
import { VERSION_LABEL } from "../../core/rollout_runner.ts";
import type { ContainerInspect } from "./container_types.ts";

/** Maps an inspect (and the labels of its image) to an `EngineContainer`. */
export function toEngineContainer(
  row: ContainerInspect,
  imageLabels: Record<string, string> = {},
): EngineContainer {
  const config = row.Config as ContainerInspect["Config"] & {
    Entrypoint?: string[] | null;
    ExposedPorts?: Record<string, unknown> | null;
  };
  const path = typeof row.Path === "string" ? row.Path : "";
  const args = Array.isArray(row.Args) ? (row.Args as string[]) : [];
  const command = path ? [path, ...args] : [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  const env: Record<string, string> = {};
  for (const entry of config.Env ?? []) {
    const at = entry.indexOf("=");
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  const published: EngineContainer["published"] = [];
  // Bound ports of a running container; the requested bindings otherwise.
  const bound = row.NetworkSettings.Ports ?? {};
  const requested = row.HostConfig.PortBindings ?? {};
  const ports = Object.keys(bound).length > 0 ? bound : requested;
  for (const [key, bindings] of Object.entries(ports)) {
    const [port, proto] = key.split("/");
    if (proto !== "tcp") continue;
    for (const b of bindings ?? []) {
      const hostPort = Number(b.HostPort);
      if (!hostPort) continue;
      // The engine reports a port published on every interface once per family.
      if (b.HostIp === "::" && published.some((p) => p.hostPort === hostPort)) continue;
      published.push({ containerPort: Number(port), hostIp: b.HostIp ?? "", hostPort });
    }
  }
  const version = imageLabels[VERSION_LABEL];
  return {
    id: row.Id,
    name: row.Name.replace(/^\//, ""),
    image: config.Image,
    imageId: row.Image,
    ...(version ? { imageVersion: version } : {}),
    state: row.State.Status,
    pid: row.State.Pid,
    startedAt: row.State.StartedAt,
    restartCount: row.RestartCount,
    command,
    env,
    labels: config.Labels ?? {},
    exposedPorts: Object.keys(config.ExposedPorts ?? {}),
    published,
    hostname: config.Hostname,
    networks: Object.keys(row.NetworkSettings.Networks ?? {}),
    restartPolicy: row.HostConfig.RestartPolicy?.Name ?? "",
    autoRemove: (row.HostConfig as { AutoRemove?: boolean }).AutoRemove === true,
    memoryBytes: row.HostConfig.Memory ?? 0,
    nanoCpus: row.HostConfig.NanoCpus ?? 0,
    pidsLimit: row.HostConfig.PidsLimit || null,
    mounts: row.Mounts.map((m) => ({
      type: m.Type,
      source: m.Source,
      ...(m.Name ? { name: m.Name } : {}),
      destination: m.Destination,
      rw: m.RW,
    })),
  };
}
