/**
 * Backups of a real OpenClaw gateway: its own `backup create --verify` runs in the running
 * pod while `/readyz` is probed every 100 ms (0 failures, the same process); the archive is
 * 0600 and verifies. Marker A → backup → marker B → restore: A is back, B gone, the token
 * unchanged and `hello-ok` through the pod's port; the previous volume is kept. A drill
 * boots the archive with no network and passes.
 * @module
 */
import assert from "node:assert/strict";
import { PROBE_FORWARDED_FOR, probeOpenClaw } from "../../adapters/openclaw_probe.ts";
import { dockerCli, readyzSampler, waitFor, waitPodHealthy, withPlane } from "./_harness.ts";

const WORKSPACE = "/home/node/.openclaw/workspace";

interface Task {
  state: string;
  message: string | null;
  backupId: string;
  backup?: { method: string; bytes: number; entries: number; downtimeMs: number };
}

Deno.test("OpenClaw pod: online backup, restore back in time, drill; its usage.cost", async (t) => {
  // Usage sampled every second: the gateway's own counters are read every 30 s.
  await withPlane({ AGENTPOD_USAGE_INTERVAL: "1s" }, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "oc")).code, 0);
    const created = await plane.cli("pod", "create", "oc/aria", "--type", "openclaw");
    assert.equal(created.code, 0, created.stderr);
    await waitPodHealthy(plane, "oc/aria");
    const pod = await plane.json<{ id: string; hostPort: number }>("pod", "status", "oc/aria");
    const name = "agentpod-oc-aria";
    const token = (await plane.cli("pod", "token", "oc/aria")).stdout.trim();
    const exec = (script: string) => dockerCli("exec", "-u", "1000", name, "sh", "-c", script);

    let backupId = "";
    await t.step(
      "online backup under a 10 Hz /readyz probe: 0 failures, same process",
      async () => {
        const wroteA = await exec(`mkdir -p ${WORKSPACE} && echo A > ${WORKSPACE}/MARKER_A.md`);
        assert.equal(wroteA.code, 0, wroteA.stderr);
        const before = (await dockerCli("inspect", name, "--format", "{{.State.Pid}}")).stdout
          .trim();
        // An AgentPod gateway trusts the published port's source as a proxy: it wants a client.
        const sampler = readyzSampler([pod.hostPort], { "x-forwarded-for": PROBE_FORWARDED_FOR });
        const started = performance.now();
        const task = await plane.json<Task>("pod", "backup", "oc/aria");
        const took = performance.now() - started;
        const failures = (await sampler.stop()).get(pod.hostPort)!;
        assert.equal(task.state, "succeeded", task.message ?? "");
        assert.equal(task.backup?.method, "agent");
        assert.deepEqual(failures, [], "no /readyz failure during the backup");
        const after = (await dockerCli("inspect", name, "--format", "{{.State.Pid}}")).stdout
          .trim();
        assert.equal(after, before, "the same gateway process");
        backupId = task.backupId;
        const file = await Deno.stat(`${plane.dataDir}/backups/${backupId}.tar`);
        assert.equal(file.mode! & 0o777, 0o600);
        const bytes = await Deno.readFile(`${plane.dataDir}/backups/${backupId}.tar`);
        const text = new TextDecoder("latin1").decode(bytes);
        assert.ok(!text.includes(token), "the pod's token is not in the archive");
        assert.ok(text.includes("openclaw.sqlite"), "the gateway's database is");
        const verified = await plane.cli("backup", "verify", backupId);
        assert.equal(verified.code, 0, verified.stderr);
        console.log(
          `openclaw backup: ${task.backup?.bytes} bytes, ${task.backup?.entries} entries, ${
            Math.round(took)
          } ms (CLI round trip)`,
        );
        const memory = await dockerCli("inspect", name, "--format", "{{.HostConfig.Memory}}");
        assert.equal(Number(memory.stdout.trim()), 1024 * 1024 * 1024, "the limit is put back");
        const left = await exec("ls /tmp | grep agentpod-backup || true");
        assert.equal(left.stdout.trim(), "", "the agent's own archive is removed from the pod");
      },
    );

    await t.step(
      "restore: A back, B gone, same token, hello-ok, previous volume kept",
      async () => {
        assert.equal((await exec(`echo B > ${WORKSPACE}/MARKER_B.md`)).code, 0);
        const task = await plane.json<Task>("pod", "restore", "oc/aria", "--from", backupId);
        assert.equal(task.state, "succeeded", task.message ?? "");
        assert.equal((await exec(`cat ${WORKSPACE}/MARKER_A.md`)).stdout.trim(), "A");
        const b = await exec(`test -e ${WORKSPACE}/MARKER_B.md && echo present || echo absent`);
        assert.equal(b.stdout.trim(), "absent");
        assert.equal((await plane.cli("pod", "token", "oc/aria")).stdout.trim(), token);
        const probe = await probeOpenClaw({
          baseUrl: `http://127.0.0.1:${pod.hostPort}`,
          token,
          signal: AbortSignal.timeout(20_000),
        });
        assert.ok(probe.healthy, probe.message);
        const volumes = (await dockerCli("volume", "ls", "--format", "{{.Name}}")).stdout;
        assert.ok(volumes.includes(`agentpod-pod-${pod.id}\n`), "the previous volume is kept");
      },
    );

    await t.step("a drill of the archive boots it with no network and passes", async () => {
      const drill = await plane.json<Task>("backup", "verify", backupId, "--drill");
      assert.equal(drill.state, "succeeded", drill.message ?? "");
      assert.match(drill.message ?? "", /answered its readiness check/);
    });

    await t.step(
      "the gateway's usage.cost over its WebSocket: totals parse, zeros without traffic",
      async () => {
        interface Usage {
          pods: {
            pod: string;
            day: string;
            tokens: { total: number } | null;
            costUsd: number | null;
          }[];
          total: {
            tokens: { input: number; output: number; total: number } | null;
            costUsd: number | null;
          };
        }
        let usage: Usage | undefined;
        await waitFor(
          "the gateway's counters",
          async () => {
            usage = await plane.json<Usage>("usage", "--tenant", "oc");
            return usage.total.tokens !== null;
          },
          120_000,
          1_000,
        );
        assert.deepEqual(usage!.total.tokens, { input: 0, output: 0, total: 0 });
        assert.equal(usage!.total.costUsd, 0);
        const events = await plane.json<{ reason: string; message: string }[]>(
          "events",
          "--pod",
          "oc/aria",
        );
        // Once per pairing state: a restore to state from before AgentPod paired pairs again.
        const approved = events.filter((e) => e.reason === "DeviceApproved").length;
        assert.ok(approved >= 1 && approved <= 2, `AgentPod paired itself (${approved} times)`);
      },
    );
  });
});
