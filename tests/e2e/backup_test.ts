/**
 * Backups on the real engine with the generic fixture (busybox httpd, non-root, state in
 * /data): pause–archive–unpause keeps the same process and reports the pause; restore
 * goes back in time onto a new copy of the volume and keeps the old one; a drill boots
 * the archive with no network; a corrupted archive fails its drill with a warning event;
 * a size limit refuses the backup and leaves no file; hostile archives (`../x`, a
 * symlink) are refused and change nothing; a schedule with keep 3 leaves exactly 3.
 * @module
 */
import assert from "node:assert/strict";
// @ts-types="@types/tar-stream"
import tar from "tar-stream";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import {
  createFixturePods,
  dockerCli,
  type Plane,
  waitFor,
  waitForRunningPods,
  withPlane,
} from "./_harness.ts";

interface Task {
  id: string;
  state: string;
  message: string | null;
  backupId: string;
  result: Record<string, unknown>;
  backup?: { id: string; method: string; downtimeMs: number; bytes: number; entries: number };
}

/**
 * Tenant `tenant` with one fixture pod `g` running `script` (then httpd on 8080) and
 * healthy; resolves its container name.
 */
async function fixturePod(
  plane: Plane,
  tenant: string,
  script: string,
  timeoutMs = 60_000,
): Promise<string> {
  assert.equal((await plane.cli("tenant", "create", tenant)).code, 0);
  const command = ["/bin/sh", "-c", `${script}; exec /bin/httpd -f -p 8080 -h /www`];
  await createFixturePods(plane, tenant, ["g"], () => ({ command }));
  await waitForRunningPods(plane, 1, { health: true, timeoutMs });
  return `agentpod-${tenant}-g`;
}

/** The id of container `name`. */
async function containerId(name: string): Promise<string> {
  return (await dockerCli("inspect", name, "--format", "{{.Id}}")).stdout.trim();
}

async function pid(name: string): Promise<string> {
  return (await dockerCli("inspect", name, "--format", "{{.State.Pid}} {{.State.StartedAt}}"))
    .stdout.trim();
}

async function sh(name: string, script: string) {
  return await dockerCli("exec", name, "/bin/sh", "-c", script);
}

async function events(plane: Plane, ref: string) {
  return await plane.json<{ type: string; reason: string; message: string }[]>(
    "events",
    "--pod",
    ref,
    "--tail",
    "100",
  );
}

/** A tar of `entries`. */
async function tarOf(
  entries: {
    name: string;
    data?: string;
    type?: "file" | "directory" | "symlink";
    linkname?: string;
  }[],
): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    pack.entry({ name: e.name, type: e.type ?? "file", linkname: e.linkname }, e.data ?? "");
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** An archive with a valid manifest (checksum and count right) around a hostile payload. */
async function hostileArchive(
  podId: string,
  payloadEntries: Parameters<typeof tarOf>[0],
): Promise<Uint8Array> {
  const payload = await tarOf(payloadEntries);
  const manifest = {
    format: 1,
    id: crypto.randomUUID(),
    pod: "bk/g",
    podId,
    adapter: "generic",
    method: "pause",
    image: "agentpod-fixture:1",
    imageId: null,
    appVersion: null,
    createdAt: new Date().toISOString(),
    downtimeMs: 0,
    payload: {
      bytes: payload.length,
      sha256: createHash("sha256").update(payload).digest("hex"),
      entries: payloadEntries.length,
    },
  };
  const outer = tar.pack();
  outer.entry({ name: "manifest.json" }, JSON.stringify(manifest));
  outer.entry({ name: "payload.tar" }, payload);
  outer.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of outer) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

async function archiveFiles(plane: Plane): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(`${plane.dataDir}/backups`)) names.push(e.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

Deno.test("generic pod: backup pauses, restore goes back in time, drills and hostile archives", async (t) => {
  await withPlane({}, async (plane) => {
    const name = await fixturePod(plane, "bk", "echo A > /data/marker-a");
    const pod = await plane.json<{ id: string }>("pod", "status", "bk/g");

    let backupId = "";
    await t.step(
      "pause–archive–unpause: same process, pause time reported, 0600 file",
      async () => {
        const before = await pid(name);
        const task = await plane.json<Task>("pod", "backup", "bk/g");
        assert.equal(task.state, "succeeded", task.message ?? "");
        assert.equal(task.backup?.method, "pause");
        assert.ok(typeof task.backup?.downtimeMs === "number" && task.backup.downtimeMs >= 0);
        assert.equal(await pid(name), before, "the same process, never restarted");
        assert.equal(
          (await dockerCli("inspect", name, "--format", "{{.State.Status}}")).stdout.trim(),
          "running",
        );
        backupId = task.backupId;
        const file = await Deno.stat(`${plane.dataDir}/backups/${backupId}.tar`);
        assert.equal(file.mode! & 0o777, 0o600);
        assert.deepEqual(await archiveFiles(plane), [`${backupId}.tar`], "no temporary file left");
        const listed = await plane.json<{ id: string; downtimeMs: number }[]>(
          "backup",
          "list",
          "--pod",
          "bk/g",
        );
        assert.deepEqual(listed.map((b) => b.id), [backupId]);
        const text = await plane.cli("backup", "list");
        assert.match(text.stdout, /Paused/);
        const verified = await plane.cli("backup", "verify", backupId);
        assert.equal(verified.code, 0, verified.stderr);
        assert.match(verified.stdout, /ok/);
      },
    );

    await t.step("restore: marker A back, B gone, previous volume kept", async () => {
      const wrote = await sh(name, "echo B > /data/marker-b && rm /data/marker-a");
      assert.equal(wrote.code, 0, wrote.stderr);
      const oldId = await containerId(name);
      const task = await plane.json<Task>("pod", "restore", "bk/g", "--from", backupId);
      assert.equal(task.state, "succeeded", task.message ?? "");
      const a = await sh(name, "cat /data/marker-a");
      assert.equal(a.stdout.trim(), "A", a.stderr);
      const b = await sh(name, "test -e /data/marker-b && echo present || echo absent");
      assert.equal(b.stdout.trim(), "absent");
      const newId = await containerId(name);
      assert.notEqual(newId, oldId, "a new container on the new copy");
      const volumes = (await dockerCli("volume", "ls", "--format", "{{.Name}}")).stdout;
      assert.ok(volumes.includes(`agentpod-pod-${pod.id}\n`), "the previous volume is kept");
      assert.ok(volumes.includes(`agentpod-pod-${pod.id}-e1`), "the restored copy");
      const owner = await sh(name, "ls -ln /data/marker-a");
      assert.match(owner.stdout, /\s65532\s+65532\s/, "owned by the pod's user");
      await waitForRunningPods(plane, 1, { health: true });
      assert.ok((await events(plane, "bk/g")).some((e) => e.reason === "Restored"));
    });

    await t.step("a drill passes; a corrupted archive's drill fails with a warning", async () => {
      const drill = await plane.json<Task>("backup", "verify", backupId, "--drill");
      assert.equal(drill.state, "succeeded", drill.message ?? "");
      assert.match(drill.message ?? "", /Drill passed .*answered its readiness check/);
      const scratch = (await dockerCli("ps", "-a", "--format", "{{.Names}}")).stdout;
      assert.ok(!scratch.includes("agentpod-drill-"), "the scratch container is gone");
      // A second archive, then corrupted in place (one byte of its payload flipped).
      const second = await plane.json<Task>("pod", "backup", "bk/g");
      const path = `${plane.dataDir}/backups/${second.backupId}.tar`;
      const bytes = await Deno.readFile(path);
      // The payload starts after the manifest's header and padded body, and its header.
      const manifestSize = parseInt(new TextDecoder().decode(bytes.slice(124, 136)), 8);
      const payloadAt = 512 + Math.ceil(manifestSize / 512) * 512 + 512;
      bytes[payloadAt + 100] = bytes[payloadAt + 100]! ^ 0xff;
      await Deno.writeFile(path, bytes);
      const failed = await plane.cli("backup", "verify", second.backupId, "--drill");
      assert.notEqual(failed.code, 0);
      assert.match(failed.stderr, /Drill|drill|Corrupted|Refused/);
      const warned = (await events(plane, "bk/g")).filter((e) => e.reason === "DrillFailed");
      assert.equal(warned.length, 1);
      assert.equal(warned[0]!.type, "Warning");
      const listed = await plane.json<{ id: string; drill: { ok: boolean } | null }[]>(
        "backup",
        "list",
      );
      assert.equal(listed.find((b) => b.id === second.backupId)?.drill?.ok, false);
      assert.equal(listed.find((b) => b.id === backupId)?.drill?.ok, true);
    });

    await t.step("hostile archives are refused and change nothing", async () => {
      const before = await containerId(name);
      const rowsBefore = (await plane.json<unknown[]>("backup", "list")).length;
      for (
        const entries of [
          [{ name: "../x", data: "escape" }],
          [{ name: "link", type: "symlink" as const, linkname: "/etc/passwd" }],
          [{ name: "/abs", data: "absolute" }],
        ]
      ) {
        const file = `${plane.dataDir}/hostile.tar`;
        await Deno.writeFile(file, await hostileArchive(pod.id, entries));
        const refused = await plane.cli("pod", "restore", "bk/g", "--from", file);
        assert.equal(refused.code, 1, refused.stderr);
        assert.match(refused.stderr, /Refused/);
      }
      assert.equal(await containerId(name), before);
      assert.equal((await plane.json<unknown[]>("backup", "list")).length, rowsBefore);
      assert.ok(!(await archiveFiles(plane)).some((f) => f.endsWith(".tmp")), "no upload left");
    });

    await t.step("another pod's archive needs --clone-from", async () => {
      await createFixturePods(plane, "bk", ["h"]);
      await waitForRunningPods(plane, 2, { health: true });
      const refused = await plane.cli("pod", "restore", "bk/h", "--from", backupId);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /--clone-from bk\/g/);
      const wrong = await plane.cli(
        "pod",
        "restore",
        "bk/h",
        "--from",
        backupId,
        "--clone-from",
        "bk/other",
      );
      assert.notEqual(wrong.code, 0);
      const task = await plane.json<Task>(
        "pod",
        "restore",
        "bk/h",
        "--from",
        backupId,
        "--clone-from",
        "bk/g",
      );
      assert.equal(task.state, "succeeded", task.message ?? "");
      const a = await sh("agentpod-bk-h", "cat /data/marker-a");
      assert.equal(a.stdout.trim(), "A", a.stderr);
    });

    await t.step("pod list --wide shows the last good backup's age", async () => {
      const wide = await plane.json<{ pod: string; lastBackupAt: string | null }[]>(
        "pod",
        "list",
        "--wide",
      );
      assert.ok(wide.find((p) => p.pod === "bk/g")?.lastBackupAt);
      const text = await plane.cli("pod", "list", "--wide");
      assert.match(text.stdout, /Last backup/);
      assert.match(text.stdout, /bk\/g .* \d+s ago/);
    });

    await t.step("tokens of another tenant neither see nor touch these archives", async () => {
      assert.equal((await plane.cli("tenant", "create", "other")).code, 0);
      const made = await plane.json<{ token: string }>(
        "token",
        "create",
        "--name",
        "other-op",
        "--tenant",
        "other",
        "--role",
        "operator",
      );
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${plane.url}/api/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${made.token}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, body: await res.json() };
      };
      assert.deepEqual((await call("GET", "/backups")).body, []);
      assert.deepEqual((await call("GET", "/backups/last")).body, {});
      assert.equal((await call("GET", `/backups/${backupId}`)).status, 404);
      assert.equal(
        (await call("POST", `/backups/${backupId}/verify`, { drill: true })).status,
        404,
      );
      assert.equal((await call("GET", `/backups/${backupId}/file`)).status, 403);
      assert.equal((await call("DELETE", `/backups/${backupId}`)).status, 403);
      assert.equal((await call("POST", "/tenants/bk/pods/g/backups", {})).status, 404);
      assert.equal((await call("POST", "/backups/import", {})).status, 403);
      assert.equal(
        (await call("PUT", "/backup-policies", { every: "1h", keep: 1 })).status,
        403,
      );
      assert.deepEqual((await call("GET", "/backup-tasks")).body, []);
    });

    await t.step("a schedule every 2 s with keep 3 leaves exactly 3 after 5 runs", async () => {
      const set = await plane.cli(
        "backup",
        "policy",
        "set",
        "--pod",
        "bk/g",
        "--every",
        "2s",
        "--keep",
        "3",
      );
      assert.equal(set.code, 0, set.stderr);
      await waitFor(
        "5 scheduled backups",
        async () => {
          const tasks = await plane.json<{ state: string; kind: string; options?: unknown }[]>(
            "backup",
            "tasks",
            "--pod",
            "bk/g",
          );
          const done = (await plane.api<{ options: { origin?: string }; state: string }[]>(
            "GET",
            "/backup-tasks?pod=bk/g",
          )).filter((t) => t.options.origin === "policy" && t.state === "succeeded");
          return tasks.length > 0 && done.length >= 5;
        },
        60_000,
        500,
      );
      assert.equal((await plane.cli("backup", "policy", "unset", "--pod", "bk/g")).code, 0);
      // A run under way when the schedule went still finishes (and prunes): let it.
      await waitFor(
        "no unfinished task",
        async () =>
          (await plane.api<{ state: string }[]>("GET", "/backup-tasks?pod=bk/g"))
            .every((t) => t.state === "succeeded" || t.state === "failed"),
        20_000,
        200,
      );
      const scheduled = (await plane.json<{ origin: string }[]>("backup", "list", "--pod", "bk/g"))
        .filter((b) => b.origin === "policy");
      assert.equal(scheduled.length, 3);
    });
  });
});

Deno.test("a backup over the size limit is refused and leaves no file", async () => {
  await withPlane({ AGENTPOD_BACKUP_MAX_BYTES: "20000" }, async (plane) => {
    await fixturePod(plane, "lim", "head -c 200000 /dev/zero > /data/big");
    const before = await pid("agentpod-lim-g");
    const result = await plane.cli("pod", "backup", "lim/g");
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, /size limit/);
    assert.deepEqual(await archiveFiles(plane), [], "no archive, no temporary file");
    assert.equal(await pid("agentpod-lim-g"), before, "unpaused, same process");
    assert.equal(
      (await dockerCli("inspect", "agentpod-lim-g", "--format", "{{.State.Status}}")).stdout.trim(),
      "running",
    );
    const failed = (await events(plane, "lim/g")).find((e) => e.reason === "BackupFailed");
    assert.equal(failed?.type, "Warning");
  });
});

Deno.test("a control plane killed while a pod is paused for its backup thaws it on restart", async () => {
  await withPlane({}, async (plane) => {
    // Enough state that archiving it takes a few seconds.
    const name = await fixturePod(
      plane,
      "kb",
      "head -c 1500000000 /dev/urandom > /data/big",
      120_000,
    );
    const before = await pid(name);
    const queued = await plane.json<Task & { id: string }>("pod", "backup", "kb/g", "--no-wait");
    // (While the engine streams a container's archive it holds the container: an inspect
    // waits for the end. The task's step says when the pause begins.)
    await waitFor(
      "the pod paused for its backup",
      async () => {
        const task = await plane.api<{ step: string | null }>("GET", `/backup-tasks/${queued.id}`);
        return task.step === "paused";
      },
      30_000,
      20,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await plane.kill("SIGKILL");
    // With nobody to thaw it, the agent stays frozen…
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(
      (await dockerCli("inspect", name, "--format", "{{.State.Status}}")).stdout.trim(),
      "paused",
    );
    // …until the next leader undoes the half-done task.
    await plane.restart();
    await waitFor(
      "the pod running again",
      async () => {
        const status = (await dockerCli("inspect", name, "--format", "{{.State.Status}}")).stdout;
        return status.trim() === "running";
      },
      30_000,
      200,
    );
    assert.equal(await pid(name), before, "thawed, not restarted");
    const task = await plane.api<{ state: string; message: string }>(
      "GET",
      `/backup-tasks/${queued.id}`,
    );
    assert.equal(task.state, "failed");
    assert.match(task.message, /stopped in the middle/);
    assert.deepEqual(await archiveFiles(plane), [], "no partial archive");
    await waitForRunningPods(plane, 1, { health: true });
  });
});

Deno.test("a control plane killed in the middle of a restore puts the pod back as it was", async () => {
  await withPlane({}, async (plane) => {
    // Slow to serve (5 s), so the restore's gate is still waiting when the plane dies.
    const name = await fixturePod(plane, "kr", "echo A > /data/marker-a; sleep 5");
    const pod = await plane.json<{ id: string }>("pod", "status", "kr/g");
    const backup = await plane.json<Task>("pod", "backup", "kr/g");
    assert.equal(backup.state, "succeeded", backup.message ?? "");
    assert.equal((await sh(name, "echo B > /data/marker-b")).code, 0);
    const oldId = await containerId(name);
    const queued = await plane.json<Task & { id: string }>(
      "pod",
      "restore",
      "kr/g",
      "--from",
      backup.backupId,
      "--no-wait",
    );
    await waitFor(
      "the restored container started",
      async () => {
        const task = await plane.api<{ step: string | null }>("GET", `/backup-tasks/${queued.id}`);
        return task.step === "started";
      },
      30_000,
      50,
    );
    await plane.kill("SIGKILL");
    await plane.restart();
    await waitFor(
      "the restore undone",
      async () => {
        const task = await plane.api<{ state: string }>("GET", `/backup-tasks/${queued.id}`);
        return task.state === "failed";
      },
      30_000,
      200,
    );
    await waitForRunningPods(plane, 1, { health: true });
    const now = await containerId(name);
    assert.equal(now, oldId, "the old container, with its name back");
    const b = await sh(name, "cat /data/marker-b");
    assert.equal(b.stdout.trim(), "B", "the state as it was before the restore");
    const volumes = (await dockerCli("volume", "ls", "--format", "{{.Name}}")).stdout;
    assert.ok(!volumes.includes(`agentpod-pod-${pod.id}-e1`), "the half-made copy is gone");
    const containers = (await dockerCli("ps", "-a", "--format", "{{.Names}}")).stdout;
    assert.ok(!containers.includes("pre-restore"), containers);
  });
});
