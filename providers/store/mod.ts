/**
 * The storage provider: PostgreSQL (server via postgres.js, or embedded PGlite), its
 * migrations and row-level security. Repositories built on it (tenants, pods, events)
 * take a {@linkcode SqlDatabase}; only `openDatabase` knows which driver runs.
 *
 * ```ts
 * const db = await openDatabase({ databaseUrl: Deno.env.get("DATABASE_URL"), dataDir });
 * const pods = await db.withTenant("acme", (tx) => tx.query("SELECT * FROM pods"));
 * ```
 * @module
 */

export type {
  AdvisoryLease,
  Dialect,
  SqlDatabase,
  SqlRow,
  SqlSession,
  SqlValue,
} from "./database.ts";
export { TENANT_ROLE, TENANT_SETTING } from "./database.ts";
export { type DatabaseTarget, maskDatabaseUrl, parseDatabaseUrl } from "./database_url.ts";
export {
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
  type Migration,
  MigrationError,
  type MigrationReport,
  type MigrationsFrom,
  type MigrationSource,
  readMigrationSources,
  SHIPPED_MIGRATIONS,
} from "./migrate.ts";
export { openDatabase, type OpenDatabaseOptions } from "./open_database.ts";
export { openPglite } from "./pglite.ts";
export { openPostgres, type PostgresOptions } from "./postgres.ts";
export { SqlError } from "./sql_errors.ts";
