/**
 * The live steps of `migrate adopt`, each applied to a running adopted container without
 * restarting it: restart policy, limits, the tenant network, its name, and the route
 * (its gateway made to trust the route's proxy by a hot reload). Checked after them: the
 * same run (StartedAt, RestartCount), or a ConflictError that says a step restarted it.
 * @module
 */
import type { ProbeResult } from "./adapter.ts";
import { ConflictError } from "./errors.ts";
import type { AdoptRequest, FoundGateway, MigrationDeps } from "./migration_service.ts";
import { containerName, tenantNetworkName } from "./naming.ts";
import type { PodRecord } from "./store.ts";

/**
 * The optional steps asked for, each live (the container keeps its run): restart
 * policy, limits, the tenant network, its name, the route. Checked after them all: the
 * same run (StartedAt, RestartCount) or a ConflictError that says a step restarted it.
 */
export async function applyLiveSteps(
  d: MigrationDeps,
  pod: PodRecord,
  f: FoundGateway,
  request: AdoptRequest,
): Promise<string[]> {
  const { runtime, store } = d;
  const adoption = pod.adoption;
  if (!adoption?.active || !store) return [];
  const id = adoption.containerId;
  const before = await runtime.inspectPodContainer(id);
  const done: string[] = [];
  if (request.restartPolicy && f.gateway.restartPolicy !== "unless-stopped") {
    await runtime.updateLive(id, { restartPolicy: "unless-stopped" });
    done.push("restart policy unless-stopped");
  }
  if (request.limits) {
    const defaults = pod.spec.resources;
    const has = f.container;
    const using = before?.state === "running" ? (await runtime.usage(id)).memoryMB : 0;
    // Never below what it uses now (a limit under current usage is refused, or kills it),
    // and never below a limit its owner gave it.
    const memory = Math.max(
      defaults.memoryMB,
      Math.ceil((using * 1.5) / 64) * 64,
      Math.ceil(has.memoryBytes / 1024 / 1024),
    );
    const cpus = Math.max(defaults.cpus, has.nanoCpus / 1e9);
    const pids = Math.max(defaults.pids, has.pidsLimit ?? 0);
    await runtime.updateLive(id, { memoryMB: memory, cpus, pids });
    done.push(`limits ${memory} MB, ${cpus} CPU, ${pids} pids (it used ${Math.round(using)} MB)`);
  }
  let routed = adoption.routed === true;
  if (request.route && !routed) {
    done.push(await route(d, pod, f));
    routed = true;
  }
  if (request.connectNetwork) {
    const network = tenantNetworkName(pod.tenant);
    if (!f.container.networks.includes(network)) {
      const { gateway } = await runtime.ensureNetwork(network, pod.tenant);
      // The engine may forward the published port through the new network from now
      // on: a routed gateway must trust that network's gateway first.
      if (routed) await trust(d, pod, gateway);
      await runtime.connectNetwork(id, network);
      done.push(
        `joined ${network} (sessions through port ${pod.hostPort} may have dropped once)`,
      );
    }
  }
  let name = adoption.containerName;
  if (request.rename) {
    const wanted = containerName(pod.tenant, pod.name);
    if (f.container.name !== wanted) {
      await runtime.rename(id, wanted);
      name = wanted;
      done.push(`renamed ${wanted}`);
    }
  }
  const after = await runtime.inspectPodContainer(id);
  if (after?.startedAt !== before?.startedAt || after?.restartCount !== before?.restartCount) {
    throw new ConflictError(
      `Adopting "${f.gateway.name}": a live step restarted the container (${done.join(", ")})`,
    );
  }
  const current = (await store.pods.getById(pod.id))?.adoption ?? adoption;
  if (name !== current.containerName) {
    await store.pods.setAdoption(pod.id, { ...current, containerName: name });
  }
  return done;
}

/** Makes an adopted gateway trust `proxy` too (and accept the pod's origins). */
async function trust(d: MigrationDeps, pod: PodRecord, proxy: string): Promise<void> {
  const { trustProxy, origins } = d;
  const adoption = pod.adoption!;
  if (!trustProxy || !origins) throw new Error("Routing is not wired in this process");
  const local = [
    `http://127.0.0.1:${adoption.containerPort}`,
    `http://localhost:${adoption.containerPort}`,
  ];
  await trustProxy(adoption.containerId, adoption.stateDir.path, proxy, [
    ...origins(pod.tenant, pod.name),
    ...local,
  ]);
}

/**
 * Routes an adopted gateway through Traefik: it is made to trust the address its
 * published port's traffic arrives from, by a hot reload. Verified: the same run
 * (StartedAt, RestartCount) answers a probe that forwards a client, within 20 s.
 */
async function route(d: MigrationDeps, pod: PodRecord, f: FoundGateway): Promise<string> {
  const { runtime, trustProxy, origins, store } = d;
  const adoption = pod.adoption!;
  if (!trustProxy || !origins || !store) throw new Error("Routing is not wired in this process");
  const before = await runtime.inspectPodContainer(adoption.containerId);
  if (before?.state !== "running") {
    throw new ConflictError(
      `Cannot route "${pod.tenant}/${pod.name}": its container is not running`,
    );
  }
  const proxy = await runtime.publishedSource(adoption.containerId);
  // Recorded first: from the moment its config trusts the proxy the gateway refuses the
  // direct probe, and the health monitor must already probe it as a routed one.
  await store.pods.setAdoption(pod.id, { ...adoption, routed: true });
  try {
    await trust(d, pod, proxy);
  } catch (error) {
    await store.pods.setAdoption(pod.id, adoption); // its config did not change
    throw error;
  }
  const baseUrl = `http://127.0.0.1:${pod.hostPort}`;
  let last: ProbeResult | undefined;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    last = await d.probe(baseUrl, f.token!, AbortSignal.timeout(8_000), false);
    if (last.healthy) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const after = await runtime.inspectPodContainer(adoption.containerId);
  if (after?.startedAt !== before.startedAt || after?.restartCount !== before.restartCount) {
    throw new ConflictError(
      `Routing "${pod.tenant}/${pod.name}" restarted its container: this should not happen; its config kept the change`,
    );
  }
  if (!last?.healthy) {
    throw new ConflictError(
      `Routing "${pod.tenant}/${pod.name}": its config now trusts ${proxy}, but the gateway did not answer a routed probe within 20 s: ${last?.message}`,
    );
  }
  return `routed: it trusts ${proxy} (no restart); clients of port ${pod.hostPort} now come through the route`;
}
