/**
 * `MigrationService`: finds the OpenClaw gateways on the engine that AgentPod did not
 * make (`migrate discover`) and brings them under management as they run
 * (`migrate adopt`), or lets them go (`migrate release`).
 *
 * Discovery is read-only: it lists and inspects containers, reads each gateway's
 * `openclaw.json` through the archive API and proves the token it found with the
 * adapter's probe; it never reports a token. Adoption never restarts a container:
 * ownership is recorded in the database (labels cannot change on a live container).
 * @module
 */
import type { ProbeResult } from "./adapter.ts";
import type { AdoptedContainers } from "./adopted.ts";
import { ConflictError, errorMessage, NotFoundError, ValidationError } from "./errors.ts";
import { parsePodRef, parseTenantId } from "./ids.ts";
import {
  ADOPTED_BY_ALL,
  describeGateway,
  type DiscoveredGateway,
  type EngineContainer,
  type GatewayConfigFacts,
  gatewaySignals,
  gatewayToken,
  isGateway,
  NEVER_ADOPTED,
  parseGatewayConfig,
  stateDirPath,
} from "./migration.ts";
import { applyLiveSteps } from "./adoption_steps.ts";
import type { ContainerRuntime } from "./runtime.ts";
import type { ControlPlaneService } from "./service.ts";
import type { Store } from "./store.ts";

/** The largest `openclaw.json` read (the gateway's own stay far below). */
export const MAX_GATEWAY_CONFIG_BYTES = 1024 * 1024;
/** Gateways probed at once (each probe is one `/readyz` and one WebSocket handshake). */
const PROBE_CONCURRENCY = 4;

/** What the service needs. */
export interface MigrationDeps {
  runtime: ContainerRuntime;
  /** Records adopted pods (absent: discovery only). */
  service?: ControlPlaneService;
  store?: Store;
  /** Shared with the runtime: an adopted container is a pod's from the moment it is. */
  adopted?: AdoptedContainers;
  /** This control plane's instance id. */
  instance: string;
  /** Ids of containers this instance adopted. */
  adoptedIds(): Promise<ReadonlySet<string>>;
  /**
   * Probes a gateway made by hand at `baseUrl` with `token`; `direct` (the default): it
   * trusts no proxy, so the probe must not claim to forward a client.
   */
  probe(
    baseUrl: string,
    token: string,
    signal: AbortSignal,
    direct?: boolean,
  ): Promise<ProbeResult>;
  /**
   * Makes a running gateway trust `proxy` and accept `origins` without a restart (the
   * OpenClaw adapter's config edit, run inside the container).
   */
  trustProxy?(
    containerId: string,
    stateDir: string,
    proxy: string,
    origins: string[],
  ): Promise<void>;
  /** The public origins of a pod (`https://<pod>.<tenant>.<domain>`, …). */
  origins?(tenant: string, pod: string): string[];
}

/** What `migrate adopt` is asked. */
export interface AdoptRequest {
  /** Container names or ids (at least 12 hex digits); or `all`. */
  containers?: string[];
  /** Every gateway whose verdict is adoptable (fleet cells included). */
  all?: boolean;
  /** The tenant (created when missing); default: each container's suggestion. */
  tenant?: string;
  /** The pod name (one container only); default: its suggestion. */
  pod?: string;
  /** Only say what would happen. */
  dryRun?: boolean;
  /**
   * Also route it through Traefik: its gateway is made to trust the route's proxy (a hot
   * reload, no restart). From then on a client of its published port must come through
   * the route or send X-Forwarded-For: OpenClaw refuses unattributed requests from a
   * trusted proxy's address, and every client of that port arrives from it.
   */
  route?: boolean;
  /** Live-safe: give it restart policy `unless-stopped`. */
  restartPolicy?: boolean;
  /** Live-safe: the adapter's limits (memory never below what it uses now, plus room). */
  limits?: boolean;
  /**
   * Join the tenant's network (live; the engine may then forward the published port
   * through it, so sessions through that port can drop once).
   */
  connectNetwork?: boolean;
  /** Live-safe: rename it `agentpod-<tenant>-<pod>`. */
  rename?: boolean;
}

/** What adopt did (or would do) with one container. */
export interface AdoptOutcome {
  container: string;
  containerId: string;
  /** `<tenant>/<pod>`. */
  pod: string;
  /**
   * `adopted`, `already` (adopted before: nothing to do), `would-adopt` (dry run),
   * `failed` (not adopted; others of the same call were).
   */
  result: "adopted" | "already" | "would-adopt" | "failed";
  message: string;
  /** A live step that failed after the container was adopted (it stays adopted). */
  error?: string;
}

/** A discovered gateway and, kept apart from what is reported, its token. */
export interface FoundGateway {
  gateway: DiscoveredGateway;
  container: EngineContainer;
  /** The token found (never reported). */
  token?: string;
  /** Its `openclaw.json` as found (never reported; sealed when adopted). */
  config?: Record<string, unknown>;
}

/** Discovery (and, next, adoption) of gateways AgentPod did not make. */
export class MigrationService {
  readonly #d: MigrationDeps;

  constructor(deps: MigrationDeps) {
    this.#d = deps;
  }

  /** Every OpenClaw gateway on the engine, with its verdict; probes the adoptable ones. */
  async discover(options: { probe?: boolean; signal?: AbortSignal } = {}): Promise<
    DiscoveredGateway[]
  > {
    return (await this.find(options)).map((f) => f.gateway);
  }

  /** As `discover`, keeping each gateway's container and token for adoption. */
  async find(options: { probe?: boolean; signal?: AbortSignal } = {}): Promise<FoundGateway[]> {
    const { runtime } = this.#d;
    const [containers, adopted] = await Promise.all([
      runtime.listEngineContainers(),
      this.#d.adoptedIds(),
    ]);
    const context = { instance: this.#d.instance, adopted };
    const found: FoundGateway[] = [];
    for (const container of containers) {
      if (!isGateway(gatewaySignals(container))) continue;
      const config = await this.#readConfig(container);
      const gateway = describeGateway(container, config, context);
      if (!gateway) continue;
      found.push({
        gateway,
        container,
        token: gatewayToken(container, config).token,
        config: config.document,
      });
    }
    found.sort((a, b) => a.gateway.name.localeCompare(b.gateway.name));
    if (options.probe !== false) await this.#probeAll(found, options.signal);
    return found;
  }

  /**
   * Adopts gateways as they run: every one `all` selects, or those named. Refuses, with
   * the reason and before any change, a container whose verdict forbids it; one adopted
   * before is reported `already` (adopt is idempotent).
   */
  async adopt(request: AdoptRequest): Promise<AdoptOutcome[]> {
    const { service, store } = this.#d;
    if (!service || !store) throw new Error("Adoption is not wired in this process");
    if (!request.all && !request.containers?.length) {
      throw new ValidationError("Name the containers to adopt, or pass --all");
    }
    if (request.tenant !== undefined) parseTenantId(request.tenant);
    const found = await this.find({ probe: true });
    const chosen = request.all
      ? found.filter((f) => ADOPTED_BY_ALL.has(f.gateway.verdict))
      : request.containers!.map((ref) => pick(found, ref));
    if (request.pod !== undefined && chosen.length !== 1) {
      throw new ValidationError("--pod names one pod: adopt one container with it");
    }
    for (const f of chosen) {
      const { verdict, reason, name } = f.gateway;
      if (NEVER_ADOPTED.has(verdict) && verdict !== "managed") {
        throw new ValidationError(`Cannot adopt "${name}" (${verdict}): ${reason}`);
      }
    }
    const outcomes: AdoptOutcome[] = [];
    for (const f of chosen) {
      const g = f.gateway;
      if (g.verdict === "managed") {
        const pod = await store.pods.findAdopted(g.id);
        const steps = pod && !request.dryRun ? await applyLiveSteps(this.#d, pod, f, request) : [];
        outcomes.push({
          container: g.name,
          containerId: g.id,
          pod: pod ? `${pod.tenant}/${pod.name}` : "-",
          result: "already",
          message: steps.length
            ? `Adopted before; ${steps.join("; ")}`
            : (pod ? "Adopted before: nothing to do" : g.reason),
        });
        continue;
      }
      const tenant = request.tenant ?? g.suggested.tenant;
      const name = request.pod ?? g.suggested.pod;
      const ref = parsePodRef(`${tenant}/${name}`);
      if (request.dryRun) {
        outcomes.push({
          container: g.name,
          containerId: g.id,
          pod: `${ref.tenant}/${ref.pod}`,
          result: "would-adopt",
          message: `Would adopt as it runs (${g.verdict}): port ${g.address!.hostPort}`,
        });
        continue;
      }
      if (!(await store.tenants.list()).some((t) => t.id === ref.tenant)) {
        await service.createTenant(ref.tenant).catch((error) => {
          if (!(error instanceof ConflictError)) throw error;
        });
      }
      const c = f.container;
      let view;
      try {
        view = await service.adoptPod(ref.tenant, {
          name: ref.pod,
          adapter: "openclaw",
          image: c.image,
          hostPort: g.address!.hostPort,
          token: f.token!,
          imported: f.config,
          adoption: {
            containerId: c.id,
            containerName: c.name,
            imageId: c.imageId,
            stateDir: g.stateDir,
            hostname: c.hostname,
            containerPort: g.address ? portOf(c, g.address.hostPort) : 18789,
            networks: c.networks,
            restartPolicy: g.restartPolicy,
            adoptedAt: new Date().toISOString(),
            active: true,
          },
        });
      } catch (error) {
        if (outcomes.some((o) => o.result === "adopted")) {
          // Those are adopted already: say so with the error rather than lose them.
          outcomes.push({
            container: g.name,
            containerId: g.id,
            pod: `${ref.tenant}/${ref.pod}`,
            result: "failed",
            message: errorMessage(error),
          });
          continue;
        }
        throw error;
      }
      this.#d.adopted?.set(c.id, view.id);
      let message = `Adopted as it runs (${g.verdict}); ${g.warnings.length} warning(s)`;
      let failed: string | undefined;
      try {
        const pod = await store.pods.getById(view.id);
        const steps = pod ? await applyLiveSteps(this.#d, pod, f, request) : [];
        if (steps.length) message += `; ${steps.join("; ")}`;
      } catch (error) {
        failed = errorMessage(error);
        message += `; a live step failed: ${failed}`;
      }
      if (!request.route) {
        message += "; not routed (its gateway trusts no proxy: adopt it again with --route)";
      }
      outcomes.push({
        container: g.name,
        containerId: g.id,
        pod: view.pod,
        result: "adopted",
        message,
        ...(failed ? { error: failed } : {}),
      });
    }
    return outcomes;
  }

  /** Stops managing an adopted pod; its container is left exactly as it is. */
  async release(tenant: string, pod: string): Promise<{ pod: string; container: string }> {
    if (!this.#d.service) throw new Error("Adoption is not wired in this process");
    return await this.#d.service.releasePod(tenant, pod);
  }

  async #readConfig(c: EngineContainer): Promise<GatewayConfigFacts> {
    try {
      const bytes = await this.#d.runtime.readContainerFile(
        c.id,
        `${stateDirPath(c)}/openclaw.json`,
        MAX_GATEWAY_CONFIG_BYTES,
      );
      if (!bytes) return { found: false };
      return parseGatewayConfig(new TextDecoder().decode(bytes));
    } catch (error) {
      return { found: false, error: errorMessage(error) };
    }
  }

  /** Proves each running gateway's token; a refused token makes it `needs-token`. */
  async #probeAll(found: FoundGateway[], signal?: AbortSignal): Promise<void> {
    const queue = found.filter((f) =>
      f.token && f.gateway.address && f.gateway.state === "running" &&
      f.gateway.verdict !== "managed" && f.gateway.verdict !== "managed-elsewhere"
    );
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        const { hostIp, hostPort } = f.gateway.address!;
        const host = hostIp === "" || hostIp === "0.0.0.0"
          ? "127.0.0.1"
          : hostIp === "::"
          ? "[::1]"
          : hostIp.includes(":")
          ? `[${hostIp}]`
          : hostIp;
        const result = await this.#d.probe(
          `http://${host}:${hostPort}`,
          f.token!,
          signal ?? AbortSignal.timeout(30_000),
        );
        f.gateway.probe = { healthy: result.healthy, message: result.message };
        if (/AUTH_TOKEN_MISMATCH|token mismatch|unauthori[sz]ed/i.test(result.message)) {
          f.gateway.verdict = "needs-token";
          f.gateway.reason =
            `The token found (${f.gateway.tokenSource}) was refused: ${result.message}`;
        }
      }
    };
    await Promise.all(Array.from({ length: PROBE_CONCURRENCY }, worker));
  }
}

/** The container a name or id (12+ hex digits) means; NotFoundError otherwise. */
function pick(found: FoundGateway[], ref: string): FoundGateway {
  const match = found.find((f) =>
    f.gateway.name === ref || (/^[0-9a-f]{12,64}$/.test(ref) && f.gateway.id.startsWith(ref))
  );
  if (!match) {
    throw new NotFoundError(
      `No OpenClaw gateway "${ref}" on this host: see \`agentpod migrate discover\``,
    );
  }
  return match;
}

/** The container port published on `hostPort`. */
function portOf(c: EngineContainer, hostPort: number): number {
  return c.published.find((p) => p.hostPort === hostPort)?.containerPort ?? 18789;
}
