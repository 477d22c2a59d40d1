/**
 * The SQL contract both drivers implement: embedded PGlite and a PostgreSQL server via
 * postgres.js. PostgreSQL is the only dialect, so callers write plain PostgreSQL with
 * `$1` parameters and get the same JS values back from either driver. This module owns
 * the contract and the two behaviours that must not differ between drivers (what a
 * tenant scope is, what an advisory lock key is); it does no I/O itself.
 * @module
 */

import { ValidationError } from "../../core/errors.ts";

/** Which driver is behind a {@linkcode SqlDatabase}. */
export type Dialect = "pglite" | "postgres";

/**
 * A query parameter. jsonb goes in as a JSON string with a `::jsonb` cast in the SQL;
 * bytea as a `Uint8Array`; arrays as JS arrays (`$1::text[]`).
 */
export type SqlValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | null
  | readonly SqlValue[];

/** A row as a driver returns it; narrow it with the `query<T>` type parameter. */
export type SqlRow = Record<string, unknown>;

/**
 * Something that runs statements: the database itself, or a transaction.
 * Rows come back as plain objects with these JS values on both drivers: timestamptz →
 * `Date`, jsonb → parsed value, int2/int4 → `number`, int8 → `number` (a `bigint` only
 * beyond 2^53), numeric → `string`, uuid → `string`, text[] → `string[]`,
 * bytea → `Uint8Array`, SQL NULL → `null`.
 */
export interface SqlSession {
  /** Runs one statement and returns its rows (use `RETURNING` to learn what changed). */
  query<T = SqlRow>(text: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations, fixtures). */
  exec(script: string): Promise<void>;
}

/** A session-level advisory lock held on a connection kept for it alone. */
export interface AdvisoryLease {
  /** The lock key, normalised to PostgreSQL's int8 range. */
  readonly key: bigint;
  /** Whether the lock is still ours: false after release, or once its connection died. */
  held(): Promise<boolean>;
  /** Unlocks and gives the connection back; safe to call twice. */
  release(): Promise<void>;
}

/**
 * An open database. Errors are mapped: unique violations → `ConflictError`, a missing
 * referenced row → `NotFoundError`, a row still referenced → `ConflictError`, check and
 * format violations → `ValidationError`, a lost server → `UnavailableError`, anything
 * else → {@linkcode SqlError} carrying the SQLSTATE.
 */
export interface SqlDatabase extends SqlSession {
  /** The driver in use. */
  readonly dialect: Dialect;
  /** Where the data lives, safe to log (the password is masked). */
  readonly location: string;
  /**
   * Runs `fn` in a transaction: COMMIT when it resolves, ROLLBACK when it throws. Inside
   * `fn` use only `tx` (on PGlite the database itself is blocked until `fn` ends). If a
   * statement failed inside, the transaction is rolled back and rejects even when `fn`
   * caught the error.
   */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in a transaction as the non-superuser role `agentpod_tenant` with
   * `agentpod.tenant_id` set to `tenantId`, so row-level security limits every statement
   * to that tenant's rows.
   */
  withTenant<T>(tenantId: string, fn: (tx: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Takes the session-level advisory lock `key` without waiting: a lease, or null when
   * another holder has it. Used for leader election (one reconciler per database).
   */
  tryAdvisoryLock(key: number | bigint): Promise<AdvisoryLease | null>;
  /**
   * Calls `onPayload` with each NOTIFY on `channel` (a plain identifier) until the returned
   * function is called. Across processes on a server; within the process on PGlite.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** Sends NOTIFY `channel` with `payload` (delivered when the surrounding statement commits). */
  notify(channel: string, payload: string): Promise<void>;
  /** Releases held leases and closes connections; later calls do nothing. */
  close(): Promise<void>;
}

/** The role that tenant-scoped statements run as (created by migration 0001). */
export const TENANT_ROLE = "agentpod_tenant";

/** The setting the row-level security policies read. */
export const TENANT_SETTING = "agentpod.tenant_id";

/**
 * Switches an open transaction into a tenant's scope. `SET LOCAL` and the `true` of
 * `set_config` end with the transaction, so a pooled connection never keeps the role.
 */
export async function enterTenantScope(tx: SqlSession, tenantId: string): Promise<void> {
  if (typeof tenantId !== "string" || tenantId === "") {
    throw new ValidationError("Cannot scope a transaction to a tenant: the tenant id is empty");
  }
  // One round trip: set_config('role', …, true) is SET LOCAL ROLE.
  await tx.query("SELECT set_config('role', $1, true), set_config($2, $3, true)", [
    TENANT_ROLE,
    TENANT_SETTING,
    tenantId,
  ]);
}

/** Checks a LISTEN/NOTIFY channel name: a lower-case identifier, safe to put in SQL. */
export function checkChannel(channel: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new ValidationError(`Invalid notification channel "${channel}"`);
  }
  return channel;
}

const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

/** Checks an advisory lock key and returns it as the int8 PostgreSQL will use. */
export function toAdvisoryKey(key: number | bigint): bigint {
  if (typeof key === "number" && !Number.isSafeInteger(key)) {
    throw new ValidationError(`Invalid advisory lock key ${key}: expected a safe integer`);
  }
  const value = BigInt(key);
  if (value < INT8_MIN || value > INT8_MAX) {
    throw new ValidationError(`Invalid advisory lock key ${value}: outside the int8 range`);
  }
  return value;
}
