/**
 * Alerts as use cases: webhook endpoints (added with a signing secret shown once), a
 * test message, and what was sent. Works the same on any control plane; the leader's
 * sender (`alert_sender.ts`) delivers.
 * @module
 */
import { type AlertEndpoint, type AlertView, parseAlertTypes } from "./alerts.ts";
import { NotFoundError, ValidationError } from "./errors.ts";
import { isUuid, parseTenantId } from "./ids.ts";
import type { SecretBox } from "./secrets.ts";
import type { Store } from "./store.ts";

/** What the alert use cases need. */
export interface AlertServiceDeps {
  store: Store;
  secrets: SecretBox;
  /** A new signing secret (`whsec_…`). */
  newSecret(): string;
  /** Tells the sender there is work (on the leader). */
  wake(): void;
  sleep(ms: number): Promise<void>;
  actor?(): string | null;
}

/** What `endpoint add` takes. */
export interface EndpointInput {
  url: string;
  /** Alert types; empty or absent: all. */
  events?: string[];
  /** Only this tenant's alerts. */
  tenant?: string;
}

/** How long `endpoint test` waits for the first attempt's outcome. */
const TEST_WAIT_MS = 12_000;

/** Alerts as use cases. */
export class AlertService {
  readonly #d: AlertServiceDeps;

  constructor(deps: AlertServiceDeps) {
    this.#d = deps;
  }

  /** Adds an endpoint; the secret is returned here and never again. */
  async addEndpoint(input: EndpointInput): Promise<AlertEndpoint & { secret: string }> {
    const url = parseEndpointUrl(input.url);
    let events: string[];
    try {
      events = parseAlertTypes(input.events ?? []);
    } catch (error) {
      throw new ValidationError((error as Error).message);
    }
    let tenant: string | null = null;
    if (input.tenant !== undefined) {
      tenant = parseTenantId(input.tenant);
      await this.#d.store.tenants.get(tenant); // NotFoundError when absent
    }
    const secret = this.#d.newSecret();
    const endpoint = await this.#d.store.alerts.addEndpoint(
      { url, events, tenant, actor: this.#d.actor?.() ?? null },
      await this.#d.secrets.seal(secret),
    );
    return { ...endpoint, secret };
  }

  listEndpoints(): Promise<AlertEndpoint[]> {
    return this.#d.store.alerts.listEndpoints();
  }

  async removeEndpoint(id: string): Promise<void> {
    if (!(await this.#d.store.alerts.removeEndpoint(this.#id(id)))) {
      throw new NotFoundError(`Alert endpoint "${id}" does not exist`);
    }
  }

  /** Sends a test message to one endpoint; returns it after its first attempt (or 12 s). */
  async test(id: string): Promise<AlertView> {
    const endpoint = await this.#d.store.alerts.getEndpoint(this.#id(id));
    if (!endpoint) throw new NotFoundError(`Alert endpoint "${id}" does not exist`);
    const alert = await this.#d.store.alerts.raiseTest(
      endpoint.id,
      "A test message from AgentPod: this endpoint receives its alerts",
    );
    this.#d.wake();
    let view: AlertView | undefined;
    for (let waited = 0; waited < TEST_WAIT_MS; waited += 250) {
      view = await this.#d.store.alerts.get(alert.id);
      if (view?.deliveries.some((d) => d.attempts > 0)) return view;
      await this.#d.sleep(250);
    }
    return view ?? { ...alert, deliveries: [] };
  }

  /** The last `tail` alerts (default 50), oldest first. */
  list(filter: { tail?: number; tenant?: string } = {}): Promise<AlertView[]> {
    const tail = filter.tail ?? 50;
    if (!Number.isInteger(tail) || tail < 1 || tail > 1000) {
      throw new ValidationError(`Invalid tail ${tail}: expected 1 to 1000`);
    }
    return this.#d.store.alerts.list({
      tail,
      ...(filter.tenant === undefined ? {} : { tenant: parseTenantId(filter.tenant) }),
    });
  }

  #id(id: string): string {
    if (!isUuid(id)) throw new ValidationError(`"${id}" is not an alert endpoint id (a uuid)`);
    return id.toLowerCase();
  }
}

/** An endpoint URL: absolute http(s), no credentials in it. */
export function parseEndpointUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError(`Invalid endpoint URL "${raw}": expected http(s)://host/path`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ValidationError(`Invalid endpoint URL "${raw}": only http and https are sent to`);
  }
  if (url.username || url.password) {
    throw new ValidationError(
      `Invalid endpoint URL: put no credentials in it (the signature authenticates AgentPod)`,
    );
  }
  return url.toString();
}
