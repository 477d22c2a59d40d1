/**
 * The migrations shipped with AgentPod, imported as text so that they are part of the
 * module graph: a `deno compile` binary or a `deno bundle` file carries them and needs no
 * `migrations/` folder on disk. Add a new file here too; a unit test compares this list
 * with the folder.
 * @module
 */
import m0001 from "./0001_init.sql" with { type: "text" };
import m0002 from "./0002_events_outlive_tenants.sql" with { type: "text" };
import m0003 from "./0003_sessions.sql" with { type: "text" };
import m0004 from "./0004_pod_files_hash.sql" with { type: "text" };
import m0005 from "./0005_controller.sql" with { type: "text" };
import m0006 from "./0006_rollouts.sql" with { type: "text" };
import m0007 from "./0007_adoption.sql" with { type: "text" };
import m0008 from "./0008_access.sql" with { type: "text" };
import m0009 from "./0009_backups.sql" with { type: "text" };
import m0010 from "./0010_alerts.sql" with { type: "text" };
import m0011 from "./0011_usage.sql" with { type: "text" };

/** One shipped migration file: its name and its SQL. */
export interface MigrationSource {
  /** The file name, e.g. `0001_init.sql`. */
  readonly name: string;
  /** The SQL script as written. */
  readonly sql: string;
}

/** Every shipped migration, in version order. */
export const SHIPPED_MIGRATIONS: readonly MigrationSource[] = [
  { name: "0001_init.sql", sql: m0001 },
  { name: "0002_events_outlive_tenants.sql", sql: m0002 },
  { name: "0003_sessions.sql", sql: m0003 },
  { name: "0004_pod_files_hash.sql", sql: m0004 },
  { name: "0005_controller.sql", sql: m0005 },
  { name: "0006_rollouts.sql", sql: m0006 },
  { name: "0007_adoption.sql", sql: m0007 },
  { name: "0008_access.sql", sql: m0008 },
  { name: "0009_backups.sql", sql: m0009 },
  { name: "0010_alerts.sql", sql: m0010 },
  { name: "0011_usage.sql", sql: m0011 },
];
