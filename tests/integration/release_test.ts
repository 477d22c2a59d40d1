/**
 * The shipped artifacts read nothing from the source tree: `deploy/bundle.sh`'s single
 * file (the `deno bundle` of `release.ts`, the entry point `deno compile` also builds),
 * copied alone into an empty directory, serves the dashboard's assets from its module
 * graph and migrates a new database, on a PostgreSQL server and on PGlite. The compiled
 * binary itself is tested where `deno compile` can fetch its runtime (denort, from
 * dl.deno.land); elsewhere that test is reported as ignored, with the reason in its name.
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { SHIPPED_MIGRATIONS } from "../../providers/store/mod.ts";
import { openPglite } from "../../providers/store/pglite.ts";
import { postgresFixture } from "./_store_fixtures.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const decoder = new TextDecoder();

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function run(cmd: string, args: string[], cwd = ROOT) {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Builds the bundle into a new directory and copies it alone into an empty one. */
async function bundleInEmptyDir(): Promise<string> {
  const built = await Deno.makeTempDir({ prefix: "agentpod-bundle-" });
  const out = await run("bash", ["deploy/bundle.sh", built]);
  assert.equal(out.code, 0, out.stderr);
  // Deep inside a new directory, so that no `static/` or `migrations/` is anywhere near.
  const empty = await Deno.makeTempDir({ prefix: "agentpod-empty-" });
  const dir = `${empty}/a/b/c`;
  await Deno.mkdir(dir, { recursive: true });
  for (const entry of Deno.readDirSync(built)) {
    await Deno.copyFile(`${built}/${entry.name}`, `${dir}/${entry.name}`);
  }
  await Deno.remove(built, { recursive: true });
  return dir;
}

/** Starts `serve` from an artifact and waits for /readyz; returns its URL and a stop. */
async function serveFrom(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ url: string; stop(): Promise<string> }> {
  const port = freePort();
  const child = new Deno.Command(cmd, {
    args: [...args, "serve"],
    cwd,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: cwd,
      AGENTPOD_LISTEN: `127.0.0.1:${port}`,
      AGENTPOD_RECONCILE: "manual",
      AGENTPOD_ADMIN_PASSWORD: "release-test-password",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]).then(([a, b]) => a + b);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    return await logs;
  };
  const deadline = Date.now() + 60_000;
  while (true) {
    const ready = await fetch(`${url}/readyz`).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }, () => false);
    if (ready) return { url, stop };
    if (Date.now() > deadline) assert.fail(`no /readyz within 60 s:\n${await stop()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The dashboard's assets as the server serves them equal the built files. */
async function assertAssetsServed(url: string): Promise<void> {
  const page = await fetch(`${url}/login`);
  const html = await page.text();
  for (const name of ["islands.js", "styles.css"]) {
    const href = html.match(new RegExp(`/static/${name.replace(".", "\\.")}\\?v=[0-9a-f]+`))?.[0];
    if (name === "styles.css") assert.ok(href, `the login page links ${name}`);
    const served = await fetch(`${url}${href ?? `/static/${name}`}`);
    assert.equal(served.status, 200, name);
    assert.equal(await served.text(), await Deno.readTextFile(`${ROOT}static/${name}`), name);
  }
}

/** Serves from an artifact on a new PGlite database, then checks what it migrated. */
async function serveOnPglite(cmd: string, args: string[], dir: string): Promise<void> {
  const server = await serveFrom(cmd, args, dir, { AGENTPOD_DATA_DIR: `${dir}/data` });
  try {
    await assertAssetsServed(server.url);
  } finally {
    await server.stop();
  }
  const db = await openPglite(`${dir}/data`);
  try {
    const rows = await db.query<{ name: string }>(
      "SELECT name FROM schema_migrations ORDER BY version",
    );
    assert.deepEqual(rows.map((r) => r.name), SHIPPED_MIGRATIONS.map((m) => m.name));
  } finally {
    await db.close();
  }
}

async function appliedMigrations(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`SELECT name FROM schema_migrations ORDER BY version`;
  return rows.map((r) => r.name);
}

Deno.test("the bundle, alone in an empty directory, serves its assets and migrates a new PostgreSQL database", async () => {
  const dir = await bundleInEmptyDir();
  await using db = await postgresFixture.fresh();
  const server = await serveFrom(
    "deno",
    ["run", "--allow-all", "--no-config", "agentpod.js"],
    dir,
    {
      AGENTPOD_DATA_DIR: `${dir}/data`,
      DATABASE_URL: db.options.databaseUrl!,
    },
  );
  try {
    await assertAssetsServed(server.url);
    const sql = postgres(db.options.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      assert.deepEqual(await appliedMigrations(sql), SHIPPED_MIGRATIONS.map((m) => m.name));
    } finally {
      await sql.end();
    }
  } finally {
    await server.stop();
    await Deno.remove(dir.replace(/\/a\/b\/c$/, ""), { recursive: true });
  }
});

Deno.test("the bundle, alone in an empty directory, creates and migrates its PGlite database", async () => {
  const dir = await bundleInEmptyDir();
  try {
    await serveOnPglite("deno", ["run", "--allow-all", "--no-config", "agentpod.js"], dir);
  } finally {
    await Deno.remove(dir.replace(/\/a\/b\/c$/, ""), { recursive: true });
  }
});

Deno.test("release.ts runs under deno run as the CLI (the compiled binary's entry point)", async () => {
  const version = await run("deno", ["run", "--allow-all", "release.ts", "--version"]);
  assert.equal(version.code, 0, version.stderr);
  const cli = await run("deno", ["run", "--allow-all", "cli.ts", "--version"]);
  assert.equal(version.stdout, cli.stdout);
  const bad = await run("deno", ["run", "--allow-all", "release.ts", "no-such-command"]);
  assert.equal(bad.code, 2);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, "a usage error, not a stack trace");
});

/**
 * Whether `deno compile` can get its runtime: denort is downloaded from dl.deno.land
 * unless DENORT_BIN names a local copy. Decided before the test is registered, so that a
 * machine without it reports the test as ignored rather than passed.
 */
async function compileRuntime(): Promise<string | undefined> {
  if (Deno.env.get("DENORT_BIN")) return undefined;
  try {
    const response = await fetch("https://dl.deno.land/", {
      method: "HEAD",
      signal: AbortSignal.timeout(5000),
    });
    await response.body?.cancel();
    return undefined;
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const reason = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0]!
      .replace(/^.*?(dns error|timed out)/, "$1");
    return `dl.deno.land, where deno compile downloads its runtime, is unreachable here (${reason})`;
  }
}

const noRuntime = await compileRuntime();
if (noRuntime) console.warn(`release_test: deno compile test ignored: ${noRuntime}`);

Deno.test({
  name: `deno compile builds a binary that serves its assets and migrates a new database${
    noRuntime ? ` [ignored: ${noRuntime}]` : ""
  }`,
  ignore: noRuntime !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "agentpod-compiled-" });
    try {
      const built = await run("deno", [
        "compile",
        "--allow-all",
        "--output",
        `${dir}/agentpod`,
        "release.ts",
      ]);
      assert.equal(built.code, 0, built.stderr);
      await serveOnPglite(`${dir}/agentpod`, [], dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
