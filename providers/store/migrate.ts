/**
 * Schema migrations: plain `.sql` files named `NNNN_name.sql`, applied in version order,
 * each in its own transaction together with its row in `schema_migrations`, so a failed
 * migration leaves no trace. A transaction-level advisory lock lets two processes start
 * at once without racing. Applied files must never change: a checksum catches edits.
 * @module
 */

import { ValidationError } from "../../core/errors.ts";
import type { SqlDatabase, SqlSession } from "./database.ts";
import { type MigrationSource, SHIPPED_MIGRATIONS } from "./migrations/mod.ts";

export type { MigrationSource };
export { SHIPPED_MIGRATIONS };

/** The folder the shipped migrations are written in (read only by tests and tools). */
export const DEFAULT_MIGRATIONS_DIR: URL = new URL("./migrations/", import.meta.url);

/**
 * Where migrations come from: the shipped list (the default, part of the module graph),
 * another list, or a folder on disk (tests write broken ones there).
 */
export type MigrationsFrom = readonly MigrationSource[] | URL | string;

/** The advisory lock key migrations serialise on: the ASCII bytes of "AGPDMIG". */
export const MIGRATION_LOCK_KEY = 0x4147_5044_4d49_47n;

/** One migration file. */
export interface Migration {
  /** The number the file name starts with. */
  readonly version: number;
  /** The file name, e.g. `0001_init.sql`. */
  readonly name: string;
  /** The SQL script. */
  readonly sql: string;
  /** SHA-256 hex of the script with line endings normalised. */
  readonly checksum: string;
}

/** What {@linkcode migrate} did. */
export interface MigrationReport {
  /** Files applied by this call, in order. */
  readonly applied: string[];
  /** The highest version now recorded, 0 for none. */
  readonly version: number;
}

/** A migration failed to apply or does not match what was applied before. */
export class MigrationError extends Error {
  override readonly name = "MigrationError";
  /** The migration file concerned. */
  readonly file: string;

  constructor(file: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.file = file;
  }
}

const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.sql$/;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Checks and sorts migration sources: every name must be `NNNN_lower_snake.sql` and
 * versions must not repeat. Line endings are normalised before the checksum, so a Windows
 * checkout does not look like an edited file.
 */
async function toMigrations(sources: readonly MigrationSource[]): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const source of sources) {
    const match = FILE_PATTERN.exec(source.name);
    if (!match) {
      throw new ValidationError(
        `Invalid migration file name "${source.name}": expected NNNN_lower_snake.sql`,
      );
    }
    const sql = source.sql.replaceAll("\r\n", "\n");
    migrations.push({
      version: Number(match[1]),
      name: source.name,
      sql,
      checksum: await sha256Hex(sql),
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new ValidationError(
        `Migrations "${migrations[i - 1]!.name}" and "${migrations[i]!.name}" share version ${
          migrations[i]!.version
        }`,
      );
    }
  }
  return migrations;
}

/** Reads the `.sql` files of a folder (other files are ignored). */
export async function readMigrationSources(dir: URL | string): Promise<MigrationSource[]> {
  const base = typeof dir === "string" ? dir.replace(/\/*$/, "/") : dir;
  const sources: MigrationSource[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
    const path = typeof base === "string" ? base + entry.name : new URL(entry.name, base);
    sources.push({ name: entry.name, sql: await Deno.readTextFile(path) });
  }
  return sources;
}

/**
 * The migrations to apply, sorted by version: the shipped ones by default, or those of a
 * list or a folder. A `.sql` file with a malformed name or a repeated version is an error
 * rather than skipped.
 */
export async function loadMigrations(from: MigrationsFrom = SHIPPED_MIGRATIONS): Promise<
  Migration[]
> {
  return await toMigrations(
    Array.isArray(from) ? from : await readMigrationSources(from as URL | string),
  );
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

async function lockMigrations(tx: SqlSession): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock($1::int8)", [MIGRATION_LOCK_KEY]);
}

function checkUnchanged(file: Migration, applied: AppliedRow): void {
  if (applied.checksum === file.checksum) return;
  throw new MigrationError(
    file.name,
    `Migration "${file.name}" changed after it was applied (checksum ${
      applied.checksum.slice(0, 12)
    }… in the database, ${
      file.checksum.slice(0, 12)
    }… in this AgentPod): restore the file and put the change in a new migration`,
  );
}

/**
 * Brings the schema of `db` up to date with the shipped migrations (or those `from`
 * names). Already-applied migrations are checked, not rerun; a database that has
 * migrations this code does not know (a newer AgentPod wrote them) is refused.
 */
export async function migrate(
  db: SqlDatabase,
  from: MigrationsFrom = SHIPPED_MIGRATIONS,
): Promise<MigrationReport> {
  const files = await loadMigrations(from);
  await db.transaction(async (tx) => {
    await lockMigrations(tx);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  });

  const known = new Map(files.map((file) => [file.version, file]));
  const recorded = await db.query<AppliedRow>(
    "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
  );
  for (const row of recorded) {
    const file = known.get(row.version);
    if (!file) {
      throw new MigrationError(
        row.name,
        `Database has migration "${row.name}" that this AgentPod does not know: it was written by a newer version`,
      );
    }
    checkUnchanged(file, row);
  }

  const appliedNow: string[] = [];
  const done = new Set(recorded.map((row) => row.version));
  for (const file of files.filter((f) => !done.has(f.version))) {
    const applied = await db.transaction(async (tx) => {
      await lockMigrations(tx);
      // Another process may have applied it while we waited for the lock.
      const [row] = await tx.query<AppliedRow>(
        "SELECT version, name, checksum FROM schema_migrations WHERE version = $1",
        [file.version],
      );
      if (row) {
        checkUnchanged(file, row);
        return false;
      }
      try {
        await tx.exec(file.sql);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new MigrationError(file.name, `Migration "${file.name}" failed: ${reason}`, {
          cause: error,
        });
      }
      await tx.query(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
        [file.version, file.name, file.checksum],
      );
      return true;
    });
    if (applied) appliedNow.push(file.name);
  }

  const [last] = await db.query<{ version: number }>(
    "SELECT coalesce(max(version), 0) AS version FROM schema_migrations",
  );
  return { applied: appliedNow, version: last?.version ?? 0 };
}
