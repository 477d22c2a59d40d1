/**
 * Chooses the driver and brings the schema up to date: `DATABASE_URL` set → PostgreSQL
 * server, unset → embedded PGlite under the data directory. The one place that decides,
 * so the rest of AgentPod only sees a {@linkcode SqlDatabase}.
 * @module
 */

import type { SqlDatabase } from "./database.ts";
import { migrate, type MigrationsFrom, SHIPPED_MIGRATIONS } from "./migrate.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";

/** Where the database is and how to open it. */
export interface OpenDatabaseOptions {
  /** A `postgres://` URL; when empty or absent PGlite is used under `dataDir`. */
  databaseUrl?: string;
  /** The AgentPod data directory; PGlite keeps its files in `<dataDir>/pgdata`. */
  dataDir: string;
  /** Apply migrations after opening (default true). */
  migrate?: boolean;
  /** The migrations (default: the shipped ones, embedded in the module graph). */
  migrationsDir?: MigrationsFrom;
  /** Fail opening a server that does not answer within this long (default 5000 ms). */
  connectTimeoutMs?: number;
}

/**
 * Opens the database and applies pending migrations. On any failure the database is
 * closed again before the error propagates.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<SqlDatabase> {
  const url = options.databaseUrl?.trim();
  const db = url
    ? await openPostgres(url, { connectTimeoutMs: options.connectTimeoutMs })
    : await openPglite(options.dataDir);
  if (options.migrate === false) return db;
  try {
    await migrate(db, options.migrationsDir ?? SHIPPED_MIGRATIONS);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
