/**
 * The server driver: PostgreSQL through postgres.js, used when `DATABASE_URL` is set.
 * Opening fails fast (one `select 1` under a deadline) with an error that names the
 * server and shows the URL with its password masked, so a typo in `DATABASE_URL` stops
 * the process at start instead of surfacing later as failed requests.
 * @module
 */

import postgres from "postgres";
import { UnavailableError } from "../../core/errors.ts";
import type { AdvisoryLease, SqlDatabase, SqlSession, SqlValue } from "./database.ts";
import { checkChannel, enterTenantScope, toAdvisoryKey } from "./database.ts";
import { parseDatabaseUrl } from "./database_url.ts";
import { parseBytea, parseInt8, PG_OID, serializeBytea, serializeJson } from "./_pg_types.ts";
import { abortedTransactionError, connectionFailureReason, toStoreError } from "./sql_errors.ts";

/** Tuning for {@linkcode openPostgres}; the defaults suit the control plane. */
export interface PostgresOptions {
  /** How long opening may take before it fails, in milliseconds (default 5000). */
  connectTimeoutMs?: number;
  /** Pool size (default 10). Each advisory lease opens one more connection of its own. */
  maxConnections?: number;
}

type Client = postgres.Sql<Record<string, unknown>>;

/**
 * postgres.js sends a query without parameters over the simple protocol, which accepts
 * several statements; PGlite's query() accepts one. `simple` is a runtime option of
 * `unsafe()` that its type declarations leave out.
 */
const ONE_STATEMENT = { simple: false } as postgres.UnsafeQueryOptions;
type Runner = Pick<Client, "unsafe">;

/** Statements on the pool, in a transaction, or on a lease's own client. */
class PostgresSession implements SqlSession {
  /** Set when a statement failed, so the transaction can refuse to commit. */
  failed: unknown = undefined;

  constructor(private readonly sql: Runner, private readonly where: string) {}

  async query<T>(text: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      const rows = await this.sql.unsafe(text, params as never[], ONE_STATEMENT);
      return Array.from(rows) as T[];
    } catch (error) {
      this.failed ??= error;
      throw toStoreError(error, this.where);
    }
  }

  async exec(script: string): Promise<void> {
    try {
      await this.sql.unsafe(script).simple();
    } catch (error) {
      this.failed ??= error;
      throw toStoreError(error, this.where);
    }
  }
}

class PostgresDatabase implements SqlDatabase {
  readonly dialect = "postgres" as const;
  readonly location: string;
  readonly #sql: Client;
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #session: PostgresSession;
  readonly #leases = new Set<AdvisoryLease>();
  #closed = false;

  constructor(sql: Client, url: string, timeoutMs: number, location: string) {
    this.#sql = sql;
    this.#url = url;
    this.#timeoutMs = timeoutMs;
    this.location = location;
    this.#session = new PostgresSession(sql, location);
  }

  query<T>(text: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#session.query<T>(text, params);
  }

  exec(script: string): Promise<void> {
    return this.#session.exec(script);
  }

  async transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
    try {
      const result = await this.#sql.begin(async (raw) => {
        const tx = new PostgresSession(raw, this.location);
        const value = await fn(tx);
        // PostgreSQL answers COMMIT of a failed transaction with a silent ROLLBACK;
        // PGlite throws. Throwing here gives both drivers PGlite's behaviour.
        if (tx.failed !== undefined) throw abortedTransactionError(tx.failed);
        return value;
      });
      return result as T;
    } catch (error) {
      throw toStoreError(error, this.location);
    }
  }

  withTenant<T>(tenantId: string, fn: (tx: SqlSession) => Promise<T>): Promise<T> {
    return this.transaction(async (tx) => {
      await enterTenantScope(tx, tenantId);
      return await fn(tx);
    });
  }

  async tryAdvisoryLock(key: number | bigint): Promise<AdvisoryLease | null> {
    const lockKey = toAdvisoryKey(key);
    // Session locks live on one connection, so each lease gets a client of its own.
    // Not a reserved pool connection: postgres.js crashes the process when a query is
    // sent on a reserved connection the server has closed, and its max_lifetime would
    // recycle the connection (and drop the lock) without telling us.
    let lost = false;
    const client = createClient(this.#url, this.#timeoutMs, {
      max: 1,
      max_lifetime: null,
      onclose: () => {
        lost = true;
      },
    });
    const session = new PostgresSession(client, this.location);
    try {
      const [row] = await session.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock($1::int8) AS locked",
        [lockKey],
      );
      if (!row?.locked) {
        await client.end({ timeout: 0 });
        return null;
      }
    } catch (error) {
      await client.end({ timeout: 0 });
      throw error;
    }
    let released = false;
    const lease: AdvisoryLease = {
      key: lockKey,
      held: async () => {
        if (released || lost) return false;
        try {
          // Ask the server too: a half-open connection is only found out by using it.
          const [found] = await session.query<{ held: boolean }>(
            `SELECT EXISTS (
               SELECT FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND objsubid = 1
                  AND pid = pg_backend_pid()
                  AND ((classid::int8 << 32) | objid::int8) = $1::int8
             ) AS held`,
            [lockKey],
          );
          return found?.held === true && !lost;
        } catch {
          // Any failure on the lock's connection means we cannot vouch for the lock.
          lost = true;
          return false;
        }
      },
      release: async () => {
        if (released) return;
        released = true;
        this.#leases.delete(lease);
        // Unlock before closing so the next holder need not wait for the backend to exit.
        if (!lost) {
          await session.query("SELECT pg_advisory_unlock($1::int8)", [lockKey]).catch(() => {
            lost = true;
          });
        }
        // A broken connection can leave postgres.js waiting for a reply that will never
        // come; end it at once rather than after a grace period.
        await client.end({ timeout: lost ? 0 : 5 });
      },
    };
    this.#leases.add(lease);
    return lease;
  }

  async listen(channel: string, onPayload: (payload: string) => void) {
    // postgres.js keeps one dedicated connection for LISTEN and re-listens after it drops.
    const { unlisten } = await this.#sql.listen(checkChannel(channel), onPayload);
    return async () => await unlisten();
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.query("SELECT pg_notify($1, $2)", [checkChannel(channel), payload]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const lease of [...this.#leases]) await lease.release();
    await this.#sql.end({ timeout: 5 });
  }
}

function createClient(
  url: string,
  timeoutMs: number,
  extra: Pick<postgres.Options<never>, "max" | "max_lifetime" | "onclose">,
): Client {
  return postgres(url, {
    ...extra,
    connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
    onnotice: () => {},
    connection: { application_name: "agentpod" },
    types: {
      int8: { to: PG_OID.int8, from: [PG_OID.int8], serialize: String, parse: parseInt8 },
      bytea: {
        to: PG_OID.bytea,
        from: [PG_OID.bytea],
        serialize: serializeBytea,
        parse: parseBytea,
      },
      json: {
        to: PG_OID.jsonb,
        from: [PG_OID.json, PG_OID.jsonb],
        serialize: serializeJson,
        parse: (text: string) => JSON.parse(text),
      },
    },
  }) as unknown as Client;
}

/** Resolves with `promise`, or rejects once `ms` have passed. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Connects to the server at `url` and checks it answers. Throws `ValidationError` for a
 * URL that cannot be used and `UnavailableError` when the server cannot be reached or
 * refuses us, naming the host and port and masking the password.
 */
export async function openPostgres(
  url: string,
  options: PostgresOptions = {},
): Promise<SqlDatabase> {
  const target = parseDatabaseUrl(url);
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  const sql = createClient(url, timeoutMs, { max: options.maxConnections ?? 10 });
  const probe = sql.unsafe("SELECT 1");
  try {
    await withDeadline(probe, timeoutMs);
  } catch (error) {
    // postgres.js may keep retrying a socket that accepts and then hangs; end it hard.
    probe.catch(() => {});
    await sql.end({ timeout: 0 }).catch(() => {});
    throw new UnavailableError(
      `Cannot connect to PostgreSQL at "${target.address}" (${target.masked}): ${
        connectionFailureReason(error)
      }`,
      { cause: error },
    );
  }
  const location = `PostgreSQL at "${target.address}" (${target.masked})`;
  return new PostgresDatabase(sql, url, timeoutMs, location);
}
