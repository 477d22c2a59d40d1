/**
 * End to end: per-tenant usage with a real control plane and real Docker. Two tenants
 * for about half a minute, one of them busy-looping: its CPU-seconds are at least ten
 * times the other's; uptime equals what the engine's own start and die events say
 * (within 2 s); CPU-seconds and uptime never go back across a pod restart and a control
 * plane killed and started again; `usage --format csv` has one row per pod and day.
 * @module
 */
import assert from "node:assert/strict";
import {
  createFixturePods,
  dockerCli,
  waitFor,
  waitForRunningPods,
  withPlane,
} from "./_harness.ts";

interface Report {
  pods: {
    tenant: string;
    pod: string;
    cpuSeconds: number;
    uptimeSeconds: number;
    restarts: number;
    memoryPeakMb: number | null;
  }[];
  total: { cpuSeconds: number; uptimeSeconds: number; restarts: number };
}

/** Uptime (s) of a container from the engine's start and die events since `since`. */
async function uptimeFromEngine(name: string, since: number): Promise<number> {
  const out = await dockerCli(
    "events",
    "--since",
    String(Math.floor(since / 1000) - 1),
    "--until",
    String(Math.ceil(Date.now() / 1000)),
    "--filter",
    `container=${name}`,
    "--filter",
    "event=start",
    "--filter",
    "event=die",
    "--format",
    "{{.Action}} {{.TimeNano}}",
  );
  assert.equal(out.code, 0, out.stderr);
  let total = 0;
  let open: number | null = null;
  for (const line of out.stdout.trim().split("\n").filter(Boolean)) {
    const [action, nanos] = line.split(" ");
    const ms = Number(BigInt(nanos!) / 1_000_000n);
    if (action === "start") open = ms;
    else if (action === "die" && open !== null) {
      total += ms - open;
      open = null;
    }
  }
  if (open !== null) total += Date.now() - open;
  return total / 1000;
}

Deno.test("usage: a busy tenant's CPU-seconds, exact uptime, monotonic across restarts", async () => {
  await withPlane({ AGENTPOD_USAGE_INTERVAL: "2s" }, async (plane) => {
    const since = Date.now();
    for (const tenant of ["busy", "idle"]) {
      assert.equal((await plane.cli("tenant", "create", tenant)).code, 0);
    }
    await createFixturePods(plane, "busy", ["loop"], () => ({
      command: ["sh", "-c", "httpd -f -p 8080 -h /www & while :; do :; done"],
    }));
    await createFixturePods(plane, "idle", ["web"]);
    await waitForRunningPods(plane, 2);
    const report = (tenant: string) => plane.json<Report>("usage", "--tenant", tenant);

    await waitFor(
      "10 CPU-seconds of the busy loop",
      async () => {
        return (await report("busy")).total.cpuSeconds >= 10;
      },
      90_000,
      1_000,
    );
    const busy = await report("busy");
    const idle = await report("idle");
    console.log(`cpu busy ${busy.total.cpuSeconds} s, idle ${idle.total.cpuSeconds} s`);
    assert.ok(
      busy.total.cpuSeconds >= 10 * idle.total.cpuSeconds,
      `busy ${busy.total.cpuSeconds} s vs idle ${idle.total.cpuSeconds} s`,
    );
    assert.ok(idle.pods[0]!.memoryPeakMb !== null, "memory sampled");

    // A restart of the pod, then the control plane killed and started again.
    assert.equal((await plane.cli("pod", "restart", "busy/loop")).code, 0);
    await waitForRunningPods(plane, 2);
    const afterRestart = await report("busy");
    await plane.kill("SIGKILL");
    await plane.restart();
    await waitFor(
      "sampling again after the restart",
      async () => {
        return (await report("busy")).total.cpuSeconds > afterRestart.total.cpuSeconds + 2;
      },
      60_000,
      1_000,
    );
    const later = await report("busy");
    assert.ok(afterRestart.total.cpuSeconds >= busy.total.cpuSeconds, "CPU never goes back");
    assert.ok(later.total.uptimeSeconds >= afterRestart.total.uptimeSeconds, "nor uptime");
    assert.equal(later.total.restarts, 1, "the pod's restart, once");

    const engine = await uptimeFromEngine("agentpod-busy-loop", since);
    const ours = (await report("busy")).total.uptimeSeconds;
    assert.ok(Math.abs(engine - ours) <= 2, `uptime ${ours} s vs the engine's events ${engine} s`);
    console.log(`uptime ${ours} s; from the engine's events ${engine.toFixed(3)} s`);

    const csv = await plane.cli("usage", "--format", "csv");
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trim().split("\r\n");
    assert.equal(lines[0]!.split(",")[0], "day");
    assert.deepEqual(lines.slice(1).map((l) => l.split(",").slice(1, 3).join("/")).sort(), [
      "busy/loop",
      "idle/web",
    ]);
  });
});
