/**
 * API tokens as a use case: create (the secret shown once, only its hash kept), list
 * (never a secret), revoke (the row stays so events keep naming it), and turning a
 * presented bearer token into the principal a request runs as.
 * @module
 */
import {
  type ApiToken,
  parseExpiry,
  parseRole,
  type Principal,
  principalOf,
  type Role,
} from "./access.ts";
import { ConflictError, NotFoundError, ValidationError } from "./errors.ts";
import { isUuid, parseTenantId } from "./ids.ts";
import type { Store } from "./store.ts";

/** What the token use cases need. */
export interface AccessDeps {
  store: Store;
  /** A new random secret. */
  newSecret(): string;
  /** SHA-256 hex of a secret. */
  hash(secret: string): Promise<string>;
  now(): Date;
  /** Who the current request runs as (for the audit events), or null. */
  actor(): string | null;
}

/** A token just made, with its secret (shown this once). */
export interface CreatedToken extends ApiToken {
  /** The bearer secret. */
  token: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Prefix of every API token AgentPod issues (greppable in a leaked file). */
export const TOKEN_PREFIX = "ap_";

/** API tokens. */
export class AccessService {
  readonly #d: AccessDeps;

  constructor(deps: AccessDeps) {
    this.#d = deps;
  }

  /** The principal of a bearer token; AuthError (401) when unknown, revoked or expired. */
  async authenticate(secret: string): Promise<Principal> {
    const now = this.#d.now();
    const token = await this.#d.store.tokens.findByHash(await this.#d.hash(secret));
    const principal = principalOf(token, now);
    await this.#d.store.tokens.touch(token!.id, now);
    return principal;
  }

  /** Whether the token `id` may still be used now (not revoked, not expired). */
  async stillValid(id: string): Promise<boolean> {
    const token = (await this.#d.store.tokens.list()).find((t) => t.id === id);
    try {
      principalOf(token, this.#d.now());
      return true;
    } catch {
      return false;
    }
  }

  /** Makes a token. Names are unique among tokens not revoked. */
  async create(input: {
    name: string;
    tenant?: string | null;
    role?: string;
    expires?: string | null;
  }): Promise<CreatedToken> {
    if (!NAME.test(input.name)) {
      throw new ValidationError(
        `Invalid token name "${input.name}": use letters, digits, '.', '_' or '-' (at most 63)`,
      );
    }
    const role: Role = parseRole(input.role ?? "viewer");
    const tenant = input.tenant ?? null;
    if (tenant !== null) {
      parseTenantId(tenant);
      await this.#d.store.tenants.get(tenant);
    }
    const now = this.#d.now();
    const expiresAt = input.expires ? parseExpiry(input.expires, now) : null;
    const clash = (await this.#d.store.tokens.list()).find((t) =>
      t.name === input.name && t.revokedAt === null
    );
    if (clash) {
      throw new ConflictError(
        `A token named "${input.name}" exists: revoke it first or choose another name`,
      );
    }
    const secret = `${TOKEN_PREFIX}${this.#d.newSecret()}`;
    const token = await this.#d.store.tokens.create({
      name: input.name,
      hash: await this.#d.hash(secret),
      tenant,
      role,
      expiresAt,
    });
    await this.#event(
      token,
      "TokenCreated",
      `API token "${token.name}" created (${describe(token)})`,
    );
    return { ...token, token: secret };
  }

  /** Every token, revoked ones included (never a secret). */
  async list(): Promise<ApiToken[]> {
    return await this.#d.store.tokens.list();
  }

  /** Revokes a token by name (among those not revoked) or id. */
  async revoke(ref: string): Promise<ApiToken> {
    const tokens = await this.#d.store.tokens.list();
    const found = isUuid(ref)
      ? tokens.find((t) => t.id === ref.toLowerCase())
      : tokens.find((t) => t.name === ref && t.revokedAt === null);
    if (!found) throw new NotFoundError(`No API token "${ref}" (name of one not revoked, or id)`);
    if (found.revokedAt !== null) return found;
    const revoked = await this.#d.store.tokens.revoke(found.id);
    await this.#event(revoked, "TokenRevoked", `API token "${revoked.name}" revoked`);
    return revoked;
  }

  async #event(token: ApiToken, reason: string, message: string): Promise<void> {
    await this.#d.store.events.append({
      tenant: token.tenant,
      type: "Normal",
      reason,
      message,
      actor: this.#d.actor(),
    });
  }
}

function describe(token: ApiToken): string {
  return [
    token.role,
    token.tenant === null ? "every tenant" : `tenant ${token.tenant}`,
    token.expiresAt === null ? "no expiry" : `expires ${token.expiresAt}`,
  ].join(", ");
}
