/**
 * The embedded driver: PGlite (PostgreSQL compiled to WASM) persisted under
 * `<dataDir>/pgdata`, used when no `DATABASE_URL` is set. An instance costs hundreds of
 * megabytes, so handles opened on one directory in this process share one instance and
 * the last `close()` shuts it. PGlite is a single session owned by this process: another
 * process must never open the same directory at the same time.
 * @module
 */

import { PGlite, type Transaction } from "@electric-sql/pglite";
import { UnavailableError } from "../../core/errors.ts";
import type { AdvisoryLease, SqlDatabase, SqlSession, SqlValue } from "./database.ts";
import { checkChannel, enterTenantScope, toAdvisoryKey } from "./database.ts";
import { parseInt8, PG_OID } from "./_pg_types.ts";
import { abortedTransactionError, toStoreError } from "./sql_errors.ts";

/** One PGlite instance and the state its handles share. */
interface SharedInstance {
  readonly pg: PGlite;
  /** The exclusive lock on the data directory, held while the instance is open. */
  readonly lock: Deno.FsFile;
  /** Open handles; the instance closes when this drops to zero. */
  handles: number;
  /**
   * Advisory locks held through this instance. PGlite has a single session, where
   * `pg_try_advisory_lock` always succeeds (session locks are re-entrant), so exclusion
   * between handles has to be kept here.
   */
  readonly locks: Set<bigint>;
}

const instances = new Map<string, Promise<SharedInstance>>();
/** Instances still shutting down: a new one on the same directory must wait for them. */
const closing = new Map<string, Promise<void>>();

/** The PGlite data directory inside an AgentPod data directory. */
export function pgliteDataPath(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, "")}/pgdata`;
}

async function acquireInstance(path: string): Promise<SharedInstance> {
  for (;;) {
    const shutdown = closing.get(path);
    if (shutdown) {
      await shutdown;
      continue;
    }
    let pending = instances.get(path);
    if (!pending) {
      pending = lockDataDir(path).then((lock) =>
        PGlite.create({
          dataDir: path,
          parsers: { [PG_OID.int8]: (text: string) => parseInt8(text) },
        }).then(
          (pg) => ({ pg, lock, handles: 0, locks: new Set<bigint>() }),
          (error) => {
            lock.close();
            throw new UnavailableError(
              `Cannot open PGlite at "${path}": ${error instanceof Error ? error.message : error}`,
              { cause: error },
            );
          },
        )
      );
      instances.set(path, pending);
      pending.catch(() => instances.delete(path));
    }
    const shared = await pending;
    // The last handle may have closed the instance while we waited for it.
    if (instances.get(path) !== pending) continue;
    shared.handles++;
    return shared;
  }
}

/** How long a second process waits for the data directory's lock before giving up. */
const LOCK_WAIT_MS = 1_000;

/**
 * Takes an exclusive lock on `<path>.lock` (flock): PGlite is one session in one
 * process, and two processes writing one data directory corrupt it.
 */
async function lockDataDir(path: string): Promise<Deno.FsFile> {
  const file = await Deno.open(`${path}.lock`, { read: true, write: true, create: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"busy">((resolve) => {
    timer = setTimeout(() => resolve("busy"), LOCK_WAIT_MS);
  });
  const locked = file.lock(true).then(() => "locked" as const);
  const result = await Promise.race([locked, timeout]);
  clearTimeout(timer);
  if (result === "busy") {
    // The pending lock call holds this file open; the caller is expected to exit.
    locked.then(() => file.close(), () => {});
    throw new UnavailableError(
      `Another process has the embedded database at "${path}" open (is another "agentpod serve" running on this data directory?); stop it, or use a PostgreSQL server (DATABASE_URL) to run several`,
    );
  }
  return file;
}

async function releaseInstance(path: string, shared: SharedInstance): Promise<void> {
  shared.handles--;
  if (shared.handles > 0) return;
  instances.delete(path);
  const done = shared.pg.close().finally(() => shared.lock.close());
  closing.set(path, done.catch(() => {}).finally(() => closing.delete(path)));
  await done;
}

/** Statements on a PGlite instance or inside one of its transactions. */
class PgliteSession implements SqlSession {
  /** Set when a statement failed, so the transaction can refuse to commit. */
  failed: unknown = undefined;

  constructor(private readonly target: PGlite | Transaction, private readonly where: string) {}

  async query<T>(text: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      const result = await this.target.query<T>(text, params as unknown[]);
      return result.rows;
    } catch (error) {
      this.failed ??= error;
      throw toStoreError(error, this.where);
    }
  }

  async exec(script: string): Promise<void> {
    try {
      await this.target.exec(script);
    } catch (error) {
      this.failed ??= error;
      throw toStoreError(error, this.where);
    }
  }
}

class PgliteDatabase implements SqlDatabase {
  readonly dialect = "pglite" as const;
  readonly location: string;
  readonly #shared: SharedInstance;
  readonly #path: string;
  readonly #session: PgliteSession;
  readonly #leases = new Set<AdvisoryLease>();
  #closed = false;

  constructor(shared: SharedInstance, path: string) {
    this.#shared = shared;
    this.#path = path;
    this.location = `PGlite at "${path}"`;
    this.#session = new PgliteSession(shared.pg, this.location);
  }

  query<T>(text: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#session.query<T>(text, params);
  }

  exec(script: string): Promise<void> {
    return this.#session.exec(script);
  }

  async transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
    try {
      return await this.#shared.pg.transaction(async (raw) => {
        const tx = new PgliteSession(raw, this.location);
        const result = await fn(tx);
        if (tx.failed !== undefined) throw abortedTransactionError(tx.failed);
        return result;
      });
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

  tryAdvisoryLock(key: number | bigint): Promise<AdvisoryLease | null> {
    const lockKey = toAdvisoryKey(key);
    const locks = this.#shared.locks;
    if (this.#closed || locks.has(lockKey)) return Promise.resolve(null);
    locks.add(lockKey);
    let released = false;
    const lease: AdvisoryLease = {
      key: lockKey,
      held: () => Promise.resolve(!released),
      release: () => {
        if (!released) {
          released = true;
          locks.delete(lockKey);
          this.#leases.delete(lease);
        }
        return Promise.resolve();
      },
    };
    this.#leases.add(lease);
    return Promise.resolve(lease);
  }

  async listen(channel: string, onPayload: (payload: string) => void) {
    const unlisten = await this.#shared.pg.listen(checkChannel(channel), onPayload);
    return async () => await unlisten();
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.query("SELECT pg_notify($1, $2)", [checkChannel(channel), payload]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const lease of [...this.#leases]) await lease.release();
    await releaseInstance(this.#path, this.#shared);
  }
}

/**
 * Opens (creating on first use) the PGlite database under `<dataDir>/pgdata`. The first
 * creation runs initdb: several seconds and close to 1 GB of memory at its peak.
 */
export async function openPglite(dataDir: string): Promise<SqlDatabase> {
  await Deno.mkdir(dataDir, { recursive: true });
  const path = pgliteDataPath(await Deno.realPath(dataDir));
  const shared = await acquireInstance(path);
  return new PgliteDatabase(shared, path);
}
