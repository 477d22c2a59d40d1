/**
 * The control plane's use cases, shared by the REST API and the dashboard: validate,
 * write desired state, record an event, wake the reconciler. No HTTP and no SQL here;
 * the store, runtime and secret box are injected.
 * @module
 */
import type { AgentAdapter, ConfigChangeEffect, Resources } from "./adapter.ts";
import {
  applyConfigPatch,
  changedPaths,
  type ConfigPatch,
  describeConfigEffect,
  keepMaskedSecrets,
} from "./config_patch.ts";
import {
  ConflictError,
  errorMessage,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from "./errors.ts";
import { parsePodRef, parseTenantId } from "./ids.ts";
import { containerName } from "./naming.ts";
import { type Adoption, findCondition, type Pod } from "./pod.ts";
import { allocateHostPort, type PortRange } from "./ports.ts";
import type { PlannedAction, Reconciler } from "./reconciler.ts";
import { podHost, renderPodRequest, type RoutingSettings } from "./render.ts";
import type { ContainerRuntime, ContainerUsage, RuntimeLogLine } from "./runtime.ts";
import { secretMasker } from "./secret_mask.ts";
import {
  maskSensitive,
  mergeSensitive,
  type PodSecrets,
  type SecretBox,
  splitSensitive,
} from "./secrets.ts";
import type { NewPodEvent, PodEvent, PodRecord, Store, Tenant } from "./store.ts";

/** A pod as the API and CLI show it (field names of PRODUCT.md). */
export interface PodView {
  pod: string;
  id: string;
  tenant: string;
  name: string;
  adapter: string;
  image: string;
  desiredState: string;
  status: string;
  health: "ok" | "failing" | "starting" | null;
  cpu: number | null;
  memoryMB: number | null;
  hostPort: number;
  url: string;
  restarts: number;
  generation: number;
  observedGeneration: number;
  lastError: string | null;
  conditions: Pod["status"]["conditions"];
  /** The container it was adopted with, while it runs it (`migrate adopt`); else null. */
  adopted: Adoption | null;
  createdAt: string;
}

/** What creating a pod takes. */
export interface CreatePodInput {
  /** Pod name. */
  name: string;
  /** Adapter id. */
  adapter: string;
  /** Image; the adapter's default when absent. */
  image?: string;
  /** Adapter config (validated by the adapter's schema). */
  config?: Record<string, unknown>;
  /** Limits; the adapter's defaults fill the gaps. */
  resources?: Partial<Resources>;
}

/** What a config change did. */
export interface ConfigUpdate {
  /** The pod afterwards. */
  pod: PodView;
  /** What applying it took. */
  effect: ConfigChangeEffect;
  /** Dot paths that changed (empty: nothing to do). */
  changed: string[];
  /** Set when the change is stored but could not be applied yet (it is retried). */
  warning?: string;
}

/** What the service works with. */
export interface ServiceDeps {
  store: Store;
  runtime: ContainerRuntime;
  reconciler: Reconciler;
  secrets: SecretBox;
  adapterById(id: string): AgentAdapter;
  routing: RoutingSettings;
  portRange: PortRange;
  /** Whether a host port is free on 127.0.0.1. */
  isPortFree(port: number): Promise<boolean>;
  /** A new random token. */
  newToken(): string;
  /** Latest usage samples by pod id. */
  usage(podId: string): ContainerUsage | undefined;
  /** Runs reconcile work in the background (errors are logged by the caller). */
  background(work: Promise<unknown>): void;
  /** Tells listeners (the live feed) that a user's write changed a pod. */
  onPodChanged?(podId: string): void;
  /** Who the current request runs as (events record it), or null. */
  actor?(): string | null;
}

/** Turns a stored pod into its view. */
export function podView(pod: PodRecord, routing: RoutingSettings, usage?: ContainerUsage): PodView {
  const healthy = findCondition(pod.status, "Healthy");
  const running = pod.status.phase === "running";
  const health = !running || !healthy
    ? null
    : healthy.status === "True"
    ? "ok"
    : healthy.status === "False"
    ? "failing"
    : "starting";
  return {
    pod: `${pod.tenant}/${pod.name}`,
    id: pod.id,
    tenant: pod.tenant,
    name: pod.name,
    adapter: pod.spec.adapter,
    image: pod.spec.image,
    desiredState: pod.spec.desiredState,
    status: pod.status.phase,
    health,
    cpu: running && usage ? usage.cpu : null,
    memoryMB: running && usage ? usage.memoryMB : null,
    hostPort: pod.hostPort,
    url: `https://${podHost(pod.tenant, pod.name, routing)}`,
    restarts: pod.status.restartCount,
    generation: pod.generation,
    observedGeneration: pod.status.observedGeneration,
    lastError: pod.status.lastError,
    conditions: pod.status.conditions,
    adopted: pod.adoption?.active ? pod.adoption : null,
    createdAt: pod.createdAt,
  };
}

/** The use cases. */
export class ControlPlaneService {
  readonly #d: ServiceDeps;

  constructor(deps: ServiceDeps) {
    this.#d = deps;
  }

  /** Creates a tenant. */
  async createTenant(id: string, name?: string): Promise<Tenant> {
    parseTenantId(id);
    const tenant = await this.#d.store.tenants.create(id, name ?? id);
    await this.#event({
      tenant: id,
      type: "Normal",
      reason: "TenantCreated",
      message: `Tenant "${id}" created`,
    });
    return tenant;
  }

  /** Deletes a tenant; with `force` its pods first (waiting for their removal). */
  async deleteTenant(id: string, force: boolean): Promise<{ deleted: string; pods: number }> {
    parseTenantId(id);
    await this.#d.store.tenants.get(id);
    const pods = await this.#d.store.pods.list({ tenant: id });
    const live = pods.filter((p) => p.spec.desiredState !== "deleted");
    if (live.length > 0 && !force) {
      throw new ConflictError(
        `Cannot delete tenant "${id}": it has ${live.length} pod(s); delete them or use --force`,
        { details: { pods: live.map((p) => `${p.tenant}/${p.name}`) } },
      );
    }
    for (const pod of pods) {
      if (pod.spec.desiredState !== "deleted") {
        await this.#d.store.pods.setDesiredState(pod.id, "deleted");
      }
      if (force) this.#d.reconciler.forceDelete(pod.id);
    }
    await this.#d.reconciler.removePods(pods.map((p) => p.id));
    const left = await this.#d.store.pods.list({ tenant: id });
    if (left.length > 0) {
      throw new ConflictError(
        `Cannot delete tenant "${id}": ${left.length} pod(s) could not be removed yet`,
        { details: { errors: left.map((p) => p.status.lastError) } },
      );
    }
    await this.#d.store.tenants.delete(id);
    await this.#d.reconciler.tenantDeleted(id);
    await this.#event({
      tenant: id,
      type: "Normal",
      reason: "TenantDeleted",
      message: `Tenant "${id}" deleted with ${live.length} pod(s)`,
    });
    return { deleted: id, pods: live.length };
  }

  /** Creates a pod and starts reconciling it. */
  async createPod(tenant: string, input: CreatePodInput): Promise<PodView> {
    const ref = parsePodRef(`${tenant}/${input.name}`);
    const adapter = this.#d.adapterById(input.adapter);
    const parsed = adapter.configSchema.safeParse(input.config ?? {});
    if (!parsed.success) {
      throw new ValidationError(`Invalid config for adapter "${adapter.id}"`, {
        details: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      });
    }
    const resources = { ...adapter.defaultResources, ...input.resources };
    validateResources(resources);
    const image = input.image ?? adapter.defaultImage;
    if (image === "") {
      throw new ValidationError(`Adapter "${adapter.id}" has no default image: give one (--image)`);
    }
    await this.#d.store.tenants.get(ref.tenant);
    if ((await this.#d.store.pods.list({ tenant: ref.tenant })).some((p) => p.name === ref.pod)) {
      throw new ConflictError(`Pod "${ref.tenant}/${ref.pod}" already exists`);
    }
    await this.#d.reconciler.prepareImage(image);
    const name = containerName(ref.tenant, ref.pod);
    const clash = (await this.#d.store.pods.list()).find((p) =>
      containerName(p.tenant, p.name) === name && p.name !== ref.pod
    );
    if (clash) {
      throw new ConflictError(
        `Cannot create pod "${ref.tenant}/${ref.pod}": its container name "${name}" is taken by pod "${clash.tenant}/${clash.name}"`,
      );
    }
    const holder = await this.#d.runtime.containerNamed(name);
    if (holder && !holder.ours) {
      throw new ConflictError(
        `Cannot create pod "${ref.tenant}/${ref.pod}": a container named "${name}" (${
          holder.id.slice(0, 12)
        }) exists on this host and this AgentPod did not make it: rename or remove it, or adopt it (agentpod migrate adopt ${name})`,
      );
    }
    const { plain, values } = splitSensitive(
      parsed.data as Record<string, unknown>,
      adapter.sensitiveFields,
    );
    const secrets: PodSecrets = { token: this.#d.newToken(), values };
    const sealed = await this.#d.secrets.seal(secrets);
    const pod = await this.#withFreePort((hostPort) =>
      this.#d.store.pods.create({
        tenant: ref.tenant,
        name: ref.pod,
        adapter: adapter.id,
        image,
        config: plain,
        secrets: sealed,
        resources,
        hostPort,
      })
    );
    const hostPort = pod.hostPort;
    await this.#event({
      tenant: pod.tenant,
      podId: pod.id,
      podName: pod.name,
      type: "Normal",
      reason: "Created",
      message: `Pod created (${adapter.id}, ${pod.spec.image}, port ${hostPort})`,
    });
    this.#d.onPodChanged?.(pod.id);
    this.#d.background(this.#d.reconciler.reconcilePod(pod.id));
    return this.view(pod);
  }

  /**
   * Records a pod for a container AgentPod did not make (`migrate adopt`): its token
   * sealed like any other, its published port reserved (in the range or not), the
   * container untouched. The reconciler then heals the same container.
   */
  async adoptPod(tenant: string, input: {
    name: string;
    adapter: string;
    image: string;
    hostPort: number;
    token: string;
    /** Its own config file, kept for when AgentPod renders its files (sealed). */
    imported?: Record<string, unknown>;
    adoption: Adoption;
  }): Promise<PodView> {
    const ref = parsePodRef(`${tenant}/${input.name}`);
    const adapter = this.#d.adapterById(input.adapter);
    await this.#d.store.tenants.get(ref.tenant);
    const taken = (await this.#d.store.pods.list()).find((p) =>
      (p.tenant === ref.tenant && p.name === ref.pod) || p.hostPort === input.hostPort
    );
    if (taken?.name === ref.pod && taken.tenant === ref.tenant) {
      throw new ConflictError(`Cannot adopt as "${ref.tenant}/${ref.pod}": that pod exists`);
    }
    if (taken) {
      throw new ConflictError(
        `Cannot adopt "${input.adoption.containerName}": host port ${input.hostPort} is given to pod "${taken.tenant}/${taken.name}"`,
      );
    }
    const sealed = await this.#d.secrets.seal({
      token: input.token,
      values: {},
      ...(input.imported ? { imported: input.imported } : {}),
    });
    const pod = await this.#d.store.pods.create({
      tenant: ref.tenant,
      name: ref.pod,
      adapter: adapter.id,
      image: input.image,
      config: {},
      secrets: sealed,
      resources: adapter.defaultResources,
      hostPort: input.hostPort,
      adoption: input.adoption,
    });
    await this.#event({
      tenant: pod.tenant,
      podId: pod.id,
      podName: pod.name,
      type: "Normal",
      reason: "Adopted",
      message: `Adopted container "${input.adoption.containerName}" (${
        input.adoption.containerId.slice(0, 12)
      }) as it runs: ${input.image}, port ${input.hostPort}`,
    });
    this.#d.onPodChanged?.(pod.id);
    this.#d.background(this.#d.reconciler.reconcilePod(pod.id));
    return this.view(pod);
  }

  /**
   * Stops managing an adopted pod (`migrate release`): its row goes, its container stays
   * exactly as it is. A pod AgentPod made cannot be released (delete it instead).
   */
  async releasePod(tenant: string, name: string): Promise<{ pod: string; container: string }> {
    const pod = await this.#pod(tenant, name);
    if (!pod.adoption?.active) {
      throw new ValidationError(
        `Cannot release "${tenant}/${name}": AgentPod made its container (delete it instead)`,
      );
    }
    if (pod.operationId !== null) {
      throw new ConflictError(`Cannot release "${tenant}/${name}": an upgrade is under way`);
    }
    if (!(await this.#d.store.pods.forgetAdopted(pod.id))) {
      const now = await this.#d.store.pods.getById(pod.id);
      if (now?.operationId) {
        throw new ConflictError(`Cannot release "${tenant}/${name}": an upgrade is under way`);
      }
      throw new NotFoundError(`Pod "${tenant}/${name}" is not adopted (any more)`);
    }
    await this.#event({
      tenant: pod.tenant,
      type: "Normal",
      reason: "Released",
      message: `Pod "${tenant}/${name}" released: container "${pod.adoption.containerName}" (${
        pod.adoption.containerId.slice(0, 12)
      }) is no longer managed and was left as it is`,
    });
    this.#d.onPodChanged?.(pod.id);
    this.#d.background(this.#d.reconciler.reconcilePod(pod.id));
    return { pod: `${tenant}/${name}`, container: pod.adoption.containerId };
  }

  /**
   * Runs `create` with a free host port; when another create took that port meanwhile
   * (the database's unique constraint says so), tries the next free one.
   */
  async #withFreePort(create: (hostPort: number) => Promise<PodRecord>): Promise<PodRecord> {
    const tried = new Set<number>();
    for (let attempt = 1;; attempt++) {
      const taken = await this.#d.store.pods.allocatedPorts();
      for (const port of tried) taken.add(port);
      const hostPort = await allocateHostPort(
        this.#d.portRange,
        taken,
        (p) => this.#d.isPortFree(p),
      );
      try {
        return await create(hostPort);
      } catch (error) {
        const portClash = error instanceof ConflictError &&
          (error.details as { field?: string } | undefined)?.field === "hostPort";
        if (!portClash || attempt >= 10) throw error;
        tried.add(hostPort);
      }
    }
  }

  /**
   * Marks a pod deleted; the reconciler stops and removes its container, then its volume.
   * `force` kills the container at once instead of waiting for a graceful stop.
   */
  async deletePod(
    tenant: string,
    name: string,
    options: { force?: boolean } = {},
  ): Promise<PodView> {
    const pod = await this.#pod(tenant, name);
    const updated = await this.#d.store.pods.setDesiredState(pod.id, "deleted");
    if (pod.spec.desiredState !== "deleted") {
      await this.#event({
        tenant,
        podId: pod.id,
        podName: name,
        type: "Normal",
        reason: "DeleteRequested",
        message: options.force ? "Delete requested (force)" : "Delete requested",
      });
    }
    if (options.force) this.#d.reconciler.forceDelete(pod.id);
    this.#d.onPodChanged?.(pod.id);
    this.#d.background(this.#d.reconciler.reconcilePod(pod.id));
    return this.view(updated);
  }

  /** Sets a pod's desired state to running or stopped. */
  async setRunning(tenant: string, name: string, running: boolean): Promise<PodView> {
    const pod = await this.#pod(tenant, name);
    if (pod.spec.desiredState === "deleted") {
      throw new ConflictError(`Pod "${tenant}/${name}" is being deleted`);
    }
    const updated = await this.#d.store.pods.setDesiredState(
      pod.id,
      running ? "running" : "stopped",
    );
    await this.#event({
      tenant,
      podId: pod.id,
      podName: name,
      type: "Normal",
      reason: running ? "StartRequested" : "StopRequested",
      message: running ? "Start requested" : "Stop requested",
    });
    this.#d.onPodChanged?.(pod.id);
    this.#d.background(this.#d.reconciler.reconcilePod(pod.id));
    return this.view(updated);
  }

  /** Restarts a pod's container (stop, then start). */
  async restartPod(tenant: string, name: string): Promise<PodView> {
    const pod = await this.#pod(tenant, name);
    if (pod.spec.desiredState !== "running") {
      throw new ConflictError(
        `Cannot restart pod "${tenant}/${name}": it is ${pod.spec.desiredState}`,
      );
    }
    // A restart is desired state too: one more requested than carried out. It bumps the
    // generation, so it also clears a crash loop's Failed.
    await this.#d.store.pods.requestRestart(pod.id);
    await this.#event({
      tenant,
      podId: pod.id,
      podName: name,
      type: "Normal",
      reason: "RestartRequested",
      message: "Restart requested",
    });
    this.#d.onPodChanged?.(pod.id);
    await this.#d.reconciler.reconcilePod(pod.id);
    return this.view(await this.#pod(tenant, name));
  }

  /** One pod's view. */
  async getPod(tenant: string, name: string): Promise<PodView> {
    return this.view(await this.#pod(tenant, name));
  }

  /** Pods of a tenant or all (those being deleted included). */
  async listPods(tenant?: string): Promise<PodView[]> {
    if (tenant !== undefined) {
      parseTenantId(tenant);
      await this.#d.store.tenants.get(tenant);
    }
    return (await this.#d.store.pods.list({ tenant })).map((p) => this.view(p));
  }

  /** A pod's config with secrets masked. */
  async getConfig(tenant: string, name: string) {
    const pod = await this.#pod(tenant, name);
    const secrets = pod.secrets ? await this.#d.secrets.open<PodSecrets>(pod.secrets) : undefined;
    return {
      pod: `${tenant}/${name}`,
      adapter: pod.spec.adapter,
      image: pod.spec.image,
      resources: pod.spec.resources,
      config: maskSensitive(pod.spec.config, secrets?.values ?? {}),
    };
  }

  /**
   * Changes a pod's config: applies `patch` to the current config (secrets included),
   * validates it with the adapter's schema, stores it (secrets sealed) and applies it
   * the way the adapter says a change needs (nothing, hot reload, restart, recreate).
   * Secrets sent back as the mask keep their value. Changed paths go into an event,
   * never values. With `expectGeneration`, a pod changed since (another editor) is a
   * ConflictError rather than a silent overwrite.
   */
  async updateConfig(
    tenant: string,
    name: string,
    patch: ConfigPatch,
    options: {
      expectGeneration?: number;
      /** Dot paths this caller may not change (ForbiddenError, nothing stored). */
      lockedPaths?: string[];
    } = {},
  ): Promise<ConfigUpdate> {
    const pod = await this.#pod(tenant, name);
    if (pod.spec.desiredState === "deleted") {
      throw new ConflictError(`Pod "${tenant}/${name}" is being deleted`);
    }
    if (pod.adoption?.active) {
      // Its container runs the config it was made with; AgentPod writes nothing into it.
      throw new ConflictError(
        `Cannot change the config of "${tenant}/${name}": it runs the container it was adopted with, as it was made. Upgrade it (pod upgrade) to move it to a container AgentPod makes, then change its config`,
      );
    }
    const expected = options.expectGeneration;
    if (expected !== undefined && expected !== pod.generation) {
      throw new ConflictError(
        `Pod "${tenant}/${name}" changed since this was read (generation ${expected}, now ${pod.generation}): reload and try again`,
      );
    }
    const adapter = this.#d.adapterById(pod.spec.adapter);
    const secrets = pod.secrets
      ? await this.#d.secrets.open<PodSecrets>(pod.secrets)
      : { token: this.#d.newToken(), values: {} };
    const current = mergeSensitive(pod.spec.config, secrets.values);
    const next = keepMaskedSecrets(
      applyConfigPatch(current, patch),
      current,
      adapter.sensitiveFields,
    );
    const parsed = adapter.configSchema.safeParse(next);
    if (!parsed.success) {
      throw new ValidationError(`Invalid config for adapter "${adapter.id}"`, {
        details: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      });
    }
    const after = parsed.data as Record<string, unknown>;
    const before = adapter.configSchema.safeParse(current);
    const changed = changedPaths(
      before.success ? before.data as Record<string, unknown> : current,
      after,
    );
    if (changed.length === 0) return { pod: this.view(pod), effect: "none", changed };
    const locked = changed.find((path) =>
      (options.lockedPaths ?? []).some((l) => path === l || path.startsWith(`${l}.`))
    );
    if (locked) {
      throw new ForbiddenError(
        `Changing "${locked}" needs an admin token for every tenant: this token may not`,
      );
    }
    const effect = before.success ? adapter.onConfigChange(before.data, after) : "recreate";
    const { plain, values } = splitSensitive(after, adapter.sensitiveFields);
    // A new image must be on the host (or pullable) before it is stored: a recreate
    // onto an image that does not exist must never be planned.
    // Everything else sealed with the pod stays (an adopted gateway's own config).
    const sealed: PodSecrets = { ...secrets, values };
    const rendered = renderPodRequest(
      { ...pod, spec: { ...pod.spec, config: plain } },
      adapter,
      sealed,
      this.#d.routing,
    );
    await this.#d.reconciler.prepareImage(rendered.request.spec.image);
    const secret = new Set(adapter.sensitiveFields);
    return await this.#applySpec(pod, plain, sealed, effect, {
      reason: "ConfigChanged",
      message: `Config changed (${
        changed.map((p) => secret.has(p) ? `${p} (secret)` : p).join(", ")
      }): ${describeConfigEffect(effect)}`,
    }, changed);
  }

  /**
   * The pod's gateway token, in clear (admin only; a `TokenRevealed` event records who
   * asked). An adopted pod's token is its owner's, kept with it at adoption.
   */
  async revealToken(tenant: string, name: string): Promise<{ pod: string; token: string }> {
    const pod = await this.#pod(tenant, name);
    if (!pod.secrets) throw new NotFoundError(`Pod "${tenant}/${name}" has no gateway token`);
    const secrets = await this.#d.secrets.open<PodSecrets>(pod.secrets);
    await this.#event({
      tenant,
      podId: pod.id,
      podName: name,
      type: "Normal",
      reason: "TokenRevealed",
      message: "Gateway token revealed",
    });
    return { pod: `${tenant}/${name}`, token: secrets.token };
  }

  /**
   * Replaces the pod's gateway token and applies it: the config files are rendered with
   * the new one and the container restarts (clients connected with the old token are
   * cut off and must reconnect with the new one; the old one is refused from then on).
   */
  async rotateToken(
    tenant: string,
    name: string,
  ): Promise<ConfigUpdate & { token: string }> {
    const pod = await this.#pod(tenant, name);
    if (pod.spec.desiredState === "deleted") {
      throw new ConflictError(`Pod "${tenant}/${name}" is being deleted`);
    }
    if (pod.adoption?.active) {
      throw new ConflictError(
        `Cannot rotate the token of "${tenant}/${name}": it runs the container it was adopted with, whose config AgentPod does not write. Upgrade it (pod upgrade) first`,
      );
    }
    const secrets = pod.secrets
      ? await this.#d.secrets.open<PodSecrets>(pod.secrets)
      : { token: "", values: {} };
    const token = this.#d.newToken();
    const result = await this.#applySpec(pod, pod.spec.config, { ...secrets, token }, "restart", {
      reason: "TokenRotated",
      message: `Gateway token rotated: ${describeConfigEffect("restart")}`,
    }, ["token"]);
    return { ...result, token };
  }

  /**
   * Stores a new spec (config without secrets, sealed secrets), records why, and applies
   * it the way `effect` says. Stored first: from then on the change is level-triggered
   * (the planner compares hashes), so a failure to apply it now is reported, not thrown,
   * and later passes retry it.
   */
  async #applySpec(
    pod: PodRecord,
    plain: Record<string, unknown>,
    sealed: PodSecrets,
    effect: ConfigChangeEffect,
    event: { reason: string; message: string },
    changed: string[],
  ): Promise<ConfigUpdate> {
    const updated = await this.#d.store.pods.updateSpec(pod.id, pod.generation, {
      config: plain,
      secrets: await this.#d.secrets.seal(sealed),
    });
    await this.#event({
      tenant: pod.tenant,
      podId: pod.id,
      podName: pod.name,
      type: "Normal",
      ...event,
    });
    if (effect === "restart" && pod.spec.desiredState === "running") {
      await this.#d.store.pods.requestRestart(pod.id);
    }
    this.#d.onPodChanged?.(pod.id);
    let failure: string | undefined;
    try {
      await this.#d.reconciler.applyConfig(pod.id, effect);
    } catch (error) {
      failure = errorMessage(error);
    }
    const now = (await this.#d.store.pods.getById(pod.id)) ?? updated;
    const applied = failure === undefined && now.status.observedGeneration >= now.generation;
    return {
      pod: this.view(now),
      effect,
      changed,
      ...(applied || pod.spec.desiredState !== "running" ? {} : {
        warning: `Saved, but not applied yet: ${
          failure ?? now.status.lastError ?? "the reconciler retries"
        }`,
      }),
    };
  }

  /** Events, oldest first. */
  async listEvents(filter: { tail: number; tenant?: string; pod?: string }): Promise<PodEvent[]> {
    let podId: string | undefined;
    if (filter.pod !== undefined) {
      const ref = parsePodRef(filter.pod);
      podId = (await this.#pod(ref.tenant, ref.pod)).id;
    }
    return await this.#d.store.events.list({ tail: filter.tail, tenant: filter.tenant, podId });
  }

  /** Runs (or with `dryRun` only plans) a reconcile pass; a run waits for its reconciles. */
  async reconcile(dryRun: boolean): Promise<PlannedAction[]> {
    if (!dryRun) {
      await this.#event({
        tenant: null,
        type: "Normal",
        reason: "ReconcileRequested",
        message: "Reconcile pass requested",
      });
    }
    return await this.#d.reconciler.reconcileAll({ dryRun, wait: !dryRun });
  }

  /** A pod's stored record (its secrets still sealed). */
  async podRecord(tenant: string, name: string): Promise<PodRecord> {
    return await this.#pod(tenant, name);
  }

  /**
   * A pod's log lines (none when it has no container yet), with its gateway token and
   * sealed config values masked: the one way the API and the dashboard read logs.
   */
  async podLogs(
    tenant: string,
    name: string,
    options: {
      tail?: number;
      /** Keep following new lines; `if-running`: only while the pod runs. */
      follow?: boolean | "if-running";
      timestamps?: boolean;
      signal?: AbortSignal;
    },
  ): Promise<{ pod: PodRecord; lines?: AsyncIterable<RuntimeLogLine> }> {
    const pod = await this.#pod(tenant, name);
    const containerId = pod.status.containerId;
    if (!containerId) return { pod };
    const mask = secretMasker(
      pod.secrets ? await this.#d.secrets.open<PodSecrets>(pod.secrets) : { token: "", values: {} },
    );
    const follow = options.follow === "if-running"
      ? pod.status.phase === "running"
      : options.follow;
    const source = this.#d.runtime.logs(containerId, { ...options, follow });
    const lines = (async function* () {
      for await (const line of source) yield { ...line, text: mask(line.text) };
    })();
    return { pod, lines };
  }

  /** The view of a record. */
  view(pod: PodRecord): PodView {
    return podView(pod, this.#d.routing, this.#d.usage(pod.id));
  }

  /** Records an event of a user's request, with who asked. */
  async #event(event: NewPodEvent): Promise<void> {
    await this.#d.store.events.append({ ...event, actor: this.#d.actor?.() ?? null });
  }

  async #pod(tenant: string, name: string): Promise<PodRecord> {
    parsePodRef(`${tenant}/${name}`);
    try {
      return await this.#d.store.pods.get(tenant, name);
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new NotFoundError(`Pod "${tenant}/${name}" does not exist`, { cause: error });
      }
      throw error;
    }
  }
}

function validateResources(r: Resources): void {
  if (!Number.isInteger(r.memoryMB) || r.memoryMB < 64 || r.memoryMB > 1024 * 1024) {
    throw new ValidationError(`Invalid memory limit ${r.memoryMB} MB: expected 64 or more`);
  }
  if (!(r.cpus > 0 && r.cpus <= 256)) {
    throw new ValidationError(`Invalid CPU limit ${r.cpus}: expected a number above 0`);
  }
  if (!Number.isInteger(r.pids) || r.pids < 16) {
    throw new ValidationError(`Invalid process limit ${r.pids}: expected 16 or more`);
  }
}
