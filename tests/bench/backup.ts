/**
 * Benchmark: backups on the real engine.
 *  1. Generic fixture pods with 10 MB and 100 MB of state: pause time (the pod frozen) and
 *     the whole backup task, and the archive size.
 *  2. An OpenClaw gateway: its online backup (task time, archive size), restore to healthy
 *     (the task, and the pod's downtime in it), and a drill (scratch boot with no network).
 * Task times are the server's (started → finished); pause and downtime are measured by the
 * runner. Prints one JSON line per figure.
 *
 *   deno run -A tests/bench/backup.ts [--trials 3]
 * @module
 */
import { Plane, waitFor, waitPodHealthy } from "../e2e/_harness.ts";
import { createFixturePods } from "../e2e/_harness.ts";

const at = Deno.args.indexOf("--trials");
const TRIALS = at >= 0 ? Number(Deno.args[at + 1]) : 3;

interface Task {
  id: string;
  state: string;
  message: string | null;
  backupId: string;
  startedAt: string | null;
  finishedAt: string | null;
  result: { downtimeMs?: number; downMs?: number; drillMs?: number };
  backup?: { bytes: number; entries: number; downtimeMs: number };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const taskMs = (t: Task) => Date.parse(t.finishedAt!) - Date.parse(t.startedAt!);

async function run(plane: Plane, ...args: string[]): Promise<Task> {
  const task = await plane.json<Task>(...args);
  if (task.state !== "succeeded") throw new Error(`${args.join(" ")}: ${task.message}`);
  return task;
}

function print(figure: Record<string, unknown>): void {
  console.log(JSON.stringify(figure));
}

const plane = await Plane.start({});
try {
  await plane.cli("tenant", "create", "bench");
  for (const mb of [10, 100]) {
    const name = `g${mb}`;
    const command = [
      "/bin/sh",
      "-c",
      `head -c ${
        mb * 1024 * 1024
      } /dev/urandom > /data/state && exec /bin/httpd -f -p 8080 -h /www`,
    ];
    await createFixturePods(plane, "bench", [name], () => ({ command }));
    await waitFor(
      `bench/${name} running`,
      async () => {
        const pod = await plane.json<{ status: string; health: string | null }>(
          "pod",
          "status",
          `bench/${name}`,
        );
        return pod.status === "running" && pod.health === "ok";
      },
      120_000,
      500,
    );
    const pauses: number[] = [];
    const totals: number[] = [];
    let bytes = 0;
    for (let i = 0; i < TRIALS; i++) {
      const task = await run(plane, "pod", "backup", `bench/${name}`);
      pauses.push(task.backup!.downtimeMs);
      totals.push(taskMs(task));
      bytes = task.backup!.bytes;
    }
    print({
      figure: `generic pod, ${mb} MB of state: pause`,
      pauseMsMedian: median(pauses),
      pauseMs: pauses,
      taskMsMedian: median(totals),
      archiveBytes: bytes,
    });
  }

  await plane.cli("pod", "create", "bench/oc", "--type", "openclaw");
  await waitPodHealthy(plane, "bench/oc");
  const backups: number[] = [];
  let last: Task | undefined;
  for (let i = 0; i < TRIALS; i++) {
    last = await run(plane, "pod", "backup", "bench/oc");
    backups.push(taskMs(last));
  }
  print({
    figure: "OpenClaw online backup (openclaw backup create --verify, copied out)",
    taskMsMedian: median(backups),
    taskMs: backups,
    archiveBytes: last!.backup!.bytes,
    entries: last!.backup!.entries,
  });
  const restores: number[] = [];
  const downs: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const task = await run(plane, "pod", "restore", "bench/oc", "--from", last!.backupId);
    restores.push(taskMs(task));
    downs.push(task.result.downMs!);
  }
  print({
    figure: "OpenClaw restore to healthy (verify, extract, stop, start, probe ok)",
    taskMsMedian: median(restores),
    downMsMedian: median(downs),
    taskMs: restores,
    downMs: downs,
  });
  const drills: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const task = await run(plane, "backup", "verify", last!.backupId, "--drill");
    drills.push(task.result.drillMs!);
  }
  print({
    figure: "OpenClaw drill (scratch volume, no network, /readyz from inside)",
    drillMsMedian: median(drills),
    drillMs: drills,
  });
} finally {
  await plane.destroy();
}
