import assert from "node:assert/strict";
import {
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  readMigrationSources,
  SHIPPED_MIGRATIONS,
} from "./migrate.ts";

Deno.test("the embedded migrations are exactly the files of the migrations folder", async () => {
  const onDisk = await readMigrationSources(DEFAULT_MIGRATIONS_DIR);
  onDisk.sort((a, b) => a.name.localeCompare(b.name));
  assert.deepEqual(SHIPPED_MIGRATIONS.map((m) => m.name), onDisk.map((m) => m.name));
  for (const [i, m] of SHIPPED_MIGRATIONS.entries()) assert.equal(m.sql, onDisk[i]!.sql);
});

Deno.test("shipped migrations load in version order with stable checksums", async () => {
  const migrations = await loadMigrations();
  assert.deepEqual(migrations.map((m) => m.version), migrations.map((_, i) => i + 1));
  const again = await loadMigrations([{
    name: "0001_init.sql",
    sql: SHIPPED_MIGRATIONS[0]!.sql.replaceAll("\n", "\r\n"),
  }]);
  assert.equal(again[0]!.checksum, migrations[0]!.checksum);
});

Deno.test("a malformed name or a repeated version is refused", async () => {
  await assert.rejects(
    loadMigrations([{ name: "1_x.sql", sql: "" }]),
    /Invalid migration file name/,
  );
  await assert.rejects(
    loadMigrations([{ name: "0001_a.sql", sql: "" }, { name: "0001_b.sql", sql: "" }]),
    /share version 1/,
  );
});
