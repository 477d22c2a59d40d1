/**
 * Fresh, isolated databases for the store suite, one per test: a new database on the
 * test PostgreSQL server (created from the admin database, dropped after), or a new
 * PGlite directory. PGlite's initdb costs seconds and ~1 GB of memory, so it runs once
 * per test run into a template directory that each test copies (a cold copy of a
 * cleanly closed cluster, like `cp -a` of any stopped PostgreSQL data directory).
 * @module
 */

import type { Dialect, OpenDatabaseOptions, SqlDatabase } from "../../providers/store/mod.ts";
import { openDatabase, openPglite, openPostgres } from "../../providers/store/mod.ts";
import { pgliteDataPath } from "../../providers/store/pglite.ts";

/** The admin URL of the test server (see tests/env/postgres.sh). */
export const TEST_DATABASE_URL = Deno.env.get("AGENTPOD_TEST_DATABASE_URL") ??
  "postgres://agentpod@127.0.0.1:55432/agentpod_test";

/** A database nobody else uses; disposing it closes every handle and deletes it. */
export interface FreshDatabase extends AsyncDisposable {
  /** Options that open this database (migrations on unless overridden). */
  readonly options: OpenDatabaseOptions;
  /** Opens a handle, closed on dispose if the test did not close it. */
  open(overrides?: Partial<OpenDatabaseOptions>): Promise<SqlDatabase>;
}

/** Creates fresh databases for one driver. */
export interface StoreFixture {
  /** The driver under test, used in test names. */
  readonly dialect: Dialect;
  /** A new empty (unmigrated) database. */
  fresh(): Promise<FreshDatabase>;
}

function trackHandles(options: OpenDatabaseOptions, drop: () => Promise<void>): FreshDatabase {
  const handles: SqlDatabase[] = [];
  return {
    options,
    async open(overrides = {}) {
      const db = await openDatabase({ ...options, ...overrides });
      handles.push(db);
      return db;
    },
    async [Symbol.asyncDispose]() {
      for (const db of handles) await db.close();
      await drop();
    },
  };
}

let template: Promise<string> | undefined;

/** Builds the PGlite template once per run; removed when the test process exits. */
function pgliteTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "agentpod-pglite-template-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const db = await openPglite(dir);
    await db.close();
    return dir;
  })();
  return template;
}

/** Fresh PGlite directories, each a copy of the template. */
export const pgliteFixture: StoreFixture = {
  dialect: "pglite",
  async fresh() {
    const source = pgliteDataPath(await pgliteTemplate());
    const dataDir = await Deno.makeTempDir({ prefix: "agentpod-pglite-" });
    const copy = await new Deno.Command("cp", { args: ["-a", source, pgliteDataPath(dataDir)] })
      .output();
    if (!copy.success) throw new Error(new TextDecoder().decode(copy.stderr));
    return trackHandles({ dataDir }, () => Deno.remove(dataDir, { recursive: true }));
  },
};

/** Runs `sql` on the admin database of the test server with a short-lived handle. */
async function onAdminDatabase(statements: string[]): Promise<void> {
  let admin: SqlDatabase;
  try {
    admin = await openPostgres(TEST_DATABASE_URL);
  } catch (error) {
    throw new Error(
      `The PostgreSQL test server is not reachable (${
        error instanceof Error ? error.message : error
      }): run \`bash tests/env/postgres.sh\`, or set AGENTPOD_TEST_DATABASE_URL`,
      { cause: error },
    );
  }
  try {
    for (const statement of statements) await admin.query(statement);
  } finally {
    await admin.close();
  }
}

/** The test server's URL pointing at another database and, optionally, user. */
export function testServerUrl(database: string, user?: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${database}`;
  if (user) url.username = user;
  return url.href;
}

/** A random suffix for database and role names. */
export function randomSuffix(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 12);
}

/** Fresh databases on the test server, named `agentpod_t_<random>`. */
export const postgresFixture: StoreFixture = {
  dialect: "postgres",
  async fresh() {
    const name = `agentpod_t_${randomSuffix()}`;
    await onAdminDatabase([`CREATE DATABASE ${name}`]);
    return trackHandles(
      { databaseUrl: testServerUrl(name), dataDir: "/nonexistent-unused-with-postgres" },
      () => onAdminDatabase([`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]),
    );
  },
};

/** Creates a database owned by a new non-superuser role; both are dropped on dispose. */
export async function freshNonSuperuserDatabase(): Promise<FreshDatabase> {
  const suffix = randomSuffix();
  const owner = `agentpod_t_owner_${suffix}`;
  const name = `agentpod_t_${suffix}`;
  await onAdminDatabase([
    // CREATEROLE lets it create agentpod_tenant, or grant itself membership in it.
    `CREATE ROLE ${owner} LOGIN NOSUPERUSER CREATEROLE`,
    `CREATE DATABASE ${name} OWNER ${owner}`,
  ]);
  return trackHandles(
    { databaseUrl: testServerUrl(name, owner), dataDir: "/nonexistent-unused-with-postgres" },
    () => onAdminDatabase([`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, `DROP ROLE ${owner}`]),
  );
}

/** Writes migration files into a new temporary directory. */
export async function migrationDir(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "agentpod-migrations-" });
  for (const [name, sql] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${name}`, sql);
  return dir;
}
