/**
 * Benchmark: control-plane start time and memory, embedded PGlite against PostgreSQL.
 * Starts `main.ts` as a process (the deno binary itself, so its pid is the server's),
 * times spawn → `/readyz` 200, then reads VmRSS (now) and VmHWM (peak) from /proc.
 * Cases: PGlite on a new data dir (creates the cluster), PGlite reopened, PostgreSQL 15
 * on a new database (migrations run) and reopened.
 *
 *   deno run -A tests/bench/startup.ts [--runs 3] [--bundle]
 * `--bundle` starts the shipped single file instead (`deploy/bundle.sh`, built into a
 * temporary directory first): `deno run --no-config agentpod.js serve`.
 * PostgreSQL: the test server of tests/env/postgres.sh (AGENTPOD_TEST_DATABASE_URL).
 * @module
 */
import postgres from "postgres";

const RUNS = Number(Deno.args[Deno.args.indexOf("--runs") + 1] || 3);
const ADMIN_URL = Deno.env.get("AGENTPOD_TEST_DATABASE_URL") ??
  "postgres://agentpod@127.0.0.1:55432/agentpod_test";
const ROOT = new URL("../../", import.meta.url).pathname;
const BUNDLE = Deno.args.includes("--bundle");

/** What to run: main.ts from the source tree, or the bundle built into a temporary directory. */
async function entryArgs(): Promise<string[]> {
  if (!BUNDLE) return ["run", "-A", `${ROOT}main.ts`];
  const dir = await Deno.makeTempDir({ prefix: "agentpod-bench-bundle-" });
  const built = await new Deno.Command("bash", { args: [`${ROOT}deploy/bundle.sh`, dir] }).output();
  if (!built.success) throw new Error("deploy/bundle.sh failed");
  return ["run", "-A", "--no-config", `${dir}/agentpod.js`, "serve"];
}
const entry = await entryArgs();

interface Sample {
  readyMs: number;
  rssMB: number;
  peakMB: number;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function memoryMB(pid: number): { rssMB: number; peakMB: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMB: Math.round(kb("VmRSS") / 1024), peakMB: Math.round(kb("VmHWM") / 1024) };
}

async function startOnce(env: Record<string, string>): Promise<Sample> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: entry,
    env: { ...env, AGENTPOD_LISTEN: `127.0.0.1:${port}` },
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    while (true) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        await res.body?.cancel();
        if (res.status === 200) break;
      } catch { /* not listening yet */ }
      if (performance.now() - started > 120_000) throw new Error("not ready after 120 s");
      await new Promise((r) => setTimeout(r, 20));
    }
    const readyMs = Math.round(performance.now() - started);
    await new Promise((r) => setTimeout(r, 1000)); // let start-up garbage settle
    return { readyMs, ...memoryMB(child.pid) };
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function runCase(name: string, make: () => Promise<Record<string, string>>) {
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await startOnce(await make()));
  console.log(JSON.stringify({
    case: BUNDLE ? `bundle-${name}` : name,
    runs: RUNS,
    readyMsMedian: median(samples.map((s) => s.readyMs)),
    rssMBMedian: median(samples.map((s) => s.rssMB)),
    peakMBMedian: median(samples.map((s) => s.peakMB)),
  }));
}

const dirs: string[] = [];
const reusedDir = await Deno.makeTempDir({ prefix: "agentpod-bench-" });
dirs.push(reusedDir);
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
const databases: string[] = [];
try {
  await runCase("pglite-new", async () => {
    const dir = await Deno.makeTempDir({ prefix: "agentpod-bench-" });
    dirs.push(dir);
    return { AGENTPOD_DATA_DIR: dir };
  });
  await startOnce({ AGENTPOD_DATA_DIR: reusedDir }); // create once, then measure reopening
  await runCase("pglite-reopen", () => Promise.resolve({ AGENTPOD_DATA_DIR: reusedDir }));
  const url = (db: string) => ADMIN_URL.replace(/\/[^/]*$/, `/${db}`);
  await runCase("postgres-new", async () => {
    const db = `agentpod_bench_${crypto.randomUUID().slice(0, 8)}`;
    databases.push(db);
    await admin.unsafe(`create database ${db}`);
    return { AGENTPOD_DATA_DIR: reusedDir, DATABASE_URL: url(db) };
  });
  await runCase(
    "postgres-reopen",
    () => Promise.resolve({ AGENTPOD_DATA_DIR: reusedDir, DATABASE_URL: url(databases[0]!) }),
  );
} finally {
  for (const db of databases) await admin.unsafe(`drop database if exists ${db} with (force)`);
  await admin.end();
  for (const dir of dirs) await Deno.remove(dir, { recursive: true });
}
