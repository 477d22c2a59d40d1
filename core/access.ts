/**
 * Who may do what: API token roles, the principal a request runs as, and the one rule
 * that decides between "who are you" (401, `AuthError`) and "not allowed" (403,
 * `ForbiddenError`). Pure: no I/O.
 * @module
 */
import { AuthError, ForbiddenError, ValidationError } from "./errors.ts";

/** Token roles, weakest first. */
export const ROLES = ["viewer", "operator", "admin"] as const;

/** `viewer` reads; `operator` also starts, stops, restarts and reconfigures pods; `admin` all. */
export type Role = typeof ROLES[number];

/** What a request needs. */
export type Permission = Role;

/** Who a request runs as. */
export interface Principal {
  /** Token id, or null for the dashboard's signed-in admin. */
  tokenId: string | null;
  /** What events record as the actor: the token's name, or `dashboard`. */
  name: string;
  /** The token's role. */
  role: Role;
  /** The only tenant it may see, or null for every tenant. */
  tenant: string | null;
}

/** The dashboard's signed-in admin. */
export const DASHBOARD_ADMIN: Principal = {
  tokenId: null,
  name: "dashboard",
  role: "admin",
  tenant: null,
};

/** A stored API token as access control sees it (never its secret). */
export interface ApiToken {
  /** Uuid. */
  id: string;
  /** Name (what events record). */
  name: string;
  /** Role. */
  role: Role;
  /** Tenant it is limited to, or null. */
  tenant: string | null;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601, or null when it never expires. */
  expiresAt: string | null;
  /** ISO 8601, or null. */
  revokedAt: string | null;
  /** ISO 8601 of the last request made with it (to the minute), or null. */
  lastUsedAt: string | null;
}

/** Parses a role name. */
export function parseRole(value: string): Role {
  if ((ROLES as readonly string[]).includes(value)) return value as Role;
  throw new ValidationError(`Invalid role "${value}": expected ${ROLES.join(", ")}`);
}

const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * When a token made at `now` with `--expires <value>` expires: a duration (`90m`,
 * `12h`, `30d`, `2w`) or a date/time (ISO 8601) in the future.
 */
export function parseExpiry(value: string, now: Date): Date {
  const duration = /^(\d{1,6})([mhdw])$/.exec(value.trim());
  if (duration) {
    const amount = Number(duration[1]);
    if (amount === 0) throw new ValidationError(`Invalid expiry "${value}": it must be above 0`);
    return new Date(now.getTime() + amount * UNIT_MS[duration[2]!]!);
  }
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(at.getTime())) {
    throw new ValidationError(
      `Invalid expiry "${value}": expected a duration such as 30d, 12h, 90m, 2w, or a date (2027-01-31)`,
    );
  }
  if (at.getTime() <= now.getTime()) {
    throw new ValidationError(`Invalid expiry "${value}": it is in the past`);
  }
  return at;
}

/** The principal of a stored token at `now`, or the reason it is refused (401). */
export function principalOf(token: ApiToken | undefined, now: Date): Principal {
  if (!token) throw new AuthError("Invalid token");
  if (token.revokedAt !== null) throw new AuthError(`Token "${token.name}" was revoked`);
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now.getTime()) {
    throw new AuthError(`Token "${token.name}" expired at ${token.expiresAt}`);
  }
  return { tokenId: token.id, name: token.name, role: token.role, tenant: token.tenant };
}

/**
 * Checks that `principal` may do what needs `permission`; `global` marks control-plane
 * work outside any one tenant (tenants, rollouts, migration, tokens…), which a
 * tenant-scoped token never does. Throws `ForbiddenError` (403).
 */
export function authorize(
  principal: Principal,
  permission: Permission,
  scope: "tenant" | "global",
): void {
  if (ROLES.indexOf(principal.role) < ROLES.indexOf(permission)) {
    throw new ForbiddenError(
      `Token "${principal.name}" is a ${principal.role}: this needs the ${permission} role`,
    );
  }
  if (scope === "global" && principal.tenant !== null) {
    throw new ForbiddenError(
      `Token "${principal.name}" is limited to tenant "${principal.tenant}": this is not tenant work`,
    );
  }
}
