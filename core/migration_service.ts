/**
 * `MigrationService`: finds the OpenClaw gateways on the engine that AgentPod did not
 * make (`migrate discover`). Read-only: it lists and inspects containers, reads each
 * gateway's `openclaw.json` through the archive API and proves the token it found with
 * the adapter's probe; it never changes a container and never reports a token.
 * @module
 */
import type { ProbeResult } from "./adapter.ts";
import { errorMessage } from "./errors.ts";
import {
  describeGateway,
  type DiscoveredGateway,
  type EngineContainer,
  type GatewayConfigFacts,
  gatewaySignals,
  gatewayToken,
  isGateway,
  parseGatewayConfig,
  stateDirPath,
} from "./migration.ts";
import type { ContainerRuntime } from "./runtime.ts";

/** The largest `openclaw.json` read (the gateway's own stay far below). */
export const MAX_GATEWAY_CONFIG_BYTES = 1024 * 1024;
/** Gateways probed at once (each probe is one `/readyz` and one WebSocket handshake). */
const PROBE_CONCURRENCY = 4;

/** What the service needs. */
export interface MigrationDeps {
  runtime: ContainerRuntime;
  /** This control plane's instance id. */
  instance: string;
  /** Ids of containers this instance adopted. */
  adoptedIds(): Promise<ReadonlySet<string>>;
  /**
   * Probes a gateway made by hand at `baseUrl` with `token` (such gateways trust no
   * proxy, so the probe must not claim to forward a client).
   */
  probe(baseUrl: string, token: string, signal: AbortSignal): Promise<ProbeResult>;
}

/** A discovered gateway and, kept apart from what is reported, its token. */
export interface FoundGateway {
  gateway: DiscoveredGateway;
  container: EngineContainer;
  /** The token found (never reported). */
  token?: string;
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
      found.push({ gateway, container, token: gatewayToken(container, config).token });
    }
    found.sort((a, b) => a.gateway.name.localeCompare(b.gateway.name));
    if (options.probe !== false) await this.#probeAll(found, options.signal);
    return found;
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
