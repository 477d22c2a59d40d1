/**
 * The controller core against the real engine, through the CLI and the API of a real
 * control plane: a process killed inside its container (Docker restarts it: counted, no
 * second start by AgentPod), a crash loop (declared failed, left stopped, cleared by a
 * fix and a restart), a stored config that no longer validates (the container keeps
 * running untouched), `config set` to an image that does not exist (refused), a second
 * `serve` on one PGlite directory (refused in one line), and oversized bodies (413).
 * Uses the busybox fixture image for speed.
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import {
  createFixturePods,
  dockerCli,
  FIXTURE_IMAGE,
  freePort,
  waitFor,
  waitForRunningPods,
  withPlane,
  withTestDatabase,
} from "./_harness.ts";

interface PodJson {
  pod: string;
  status: string;
  health: string | null;
  restarts: number;
  lastError: string | null;
  conditions: { type: string; status: string; reason: string; message: string }[];
}

const ROOT = new URL("../../", import.meta.url).pathname;

async function inspect(container: string) {
  const out = await dockerCli("inspect", container);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout)[0] as {
    Id: string;
    RestartCount: number;
    State: { Status: string; StartedAt: string };
  };
}

/** The engine's own record of a container's actions between two times (seconds). */
async function engineActions(container: string, since: number, until: number) {
  const out = await dockerCli(
    "events",
    "--since",
    String(since),
    "--until",
    String(until),
    "--filter",
    `container=${container}`,
    "--format",
    "{{.Action}}",
  );
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.split("\n").filter(Boolean);
}

const condition = (pod: PodJson, type: string) => pod.conditions.find((c) => c.type === type);

Deno.test("a process killed inside its container: Docker restarts it, AgentPod counts it once", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    await createFixturePods(plane, "acme", ["web"]);
    await waitForRunningPods(plane, 1);
    const name = "agentpod-acme-web";
    const before = await inspect(name);
    const since = Math.floor(Date.now() / 1000);
    const killed = await dockerCli("exec", name, "kill", "-9", "-1");
    assert.equal(killed.code, 0, killed.stderr);
    await waitFor("the crash to be counted", async () => {
      const pod = await plane.json<PodJson>("pod", "status", "acme/web");
      return pod.restarts === 1 && pod.status === "running";
    }, 30_000);
    await waitFor("health back to ok", async () => {
      return (await plane.json<PodJson>("pod", "status", "acme/web")).health === "ok";
    }, 30_000);
    const after = await inspect(name);
    assert.equal(after.Id, before.Id, "the same container");
    assert.equal(after.RestartCount, 1, "restarted by Docker's policy");
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // any stray action would show
    const all = await engineActions(after.Id, since, Math.ceil(Date.now() / 1000));
    // `since` has one-second granularity: the pod's first start may fall in the same second,
    // so only what follows the kill counts.
    const kill = all.findIndex((a) => a.startsWith("exec_create: kill"));
    assert.ok(kill >= 0, all.join(" "));
    const actions = all.slice(kill);
    assert.deepEqual(actions.filter((a) => a === "start"), ["start"], all.join(" "));
    const events = await plane.json<{ reason: string; message: string }[]>(
      "events",
      "--tail",
      "5",
    );
    const crashed = events.filter((e) => e.reason === "Crashed");
    assert.equal(crashed.length, 1, JSON.stringify(events));
    assert.match(crashed[0]!.message, /Docker restart/);
    assert.ok(!events.some((e) => e.reason === "Restarted"), "AgentPod did not restart it");
  });
});

Deno.test("a crash loop: failed with RecoveryFailed, left stopped; a fix and a restart bring it back", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    await createFixturePods(plane, "acme", ["loop"], () => ({
      command: ["sh", "-c", "sleep 3; exit 3"],
    }));
    const started = Date.now();
    await waitFor(
      "the pod to fail",
      async () => {
        return (await plane.json<PodJson>("pod", "status", "acme/loop")).status === "failed";
      },
      60_000,
      500,
    );
    const failedAfterMs = Date.now() - started;
    const failed = await plane.json<PodJson>("pod", "status", "acme/loop");
    assert.equal(condition(failed, "Failed")?.status, "True");
    assert.equal(condition(failed, "Failed")?.reason, "RecoveryFailed");
    assert.match(condition(failed, "Failed")!.message, /exit code was 3/);
    const events = await plane.json<{ reason: string }[]>("events", "--tail", "30");
    assert.equal(events.filter((e) => e.reason === "RecoveryFailed").length, 1);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const stopped = await inspect("agentpod-acme-loop");
    assert.equal(stopped.State.Status, "exited", "left stopped");
    const later = await plane.json<PodJson>("pod", "status", "acme/loop");
    assert.equal(later.restarts, failed.restarts, "the count is stable");
    console.log(`crash loop → failed in ${failedAfterMs} ms`);

    const fixed = await plane.cli(
      "config",
      "set",
      "acme/loop",
      "--key",
      "command",
      "--value",
      JSON.stringify(["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]),
    );
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal((await plane.cli("pod", "restart", "acme/loop")).code, 0);
    await waitForRunningPods(plane, 1);
    const back = await plane.json<PodJson>("pod", "status", "acme/loop");
    assert.equal(condition(back, "Failed")?.status, "False");
    assert.equal(back.lastError, null);
  });
});

Deno.test("an agent killed by the OOM killer is reported as OOMKilled", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "oom")).code, 0);
    // 64 MiB limit; dd (the container's process) reads 256 MiB of zeros into one buffer;
    // restarted after the kill, the container serves HTTP.
    // The buffer is filled inside read(2), so the kernel charges page after page with no
    // user code in between: a shell doubling a string in user space sometimes kept the
    // kernel reclaiming its own text pages for over a minute (cgroup v1, CI) instead of
    // killing it.
    const hog = `[ -f /tmp/done ] && exec httpd -f -p 8080 -h /www; touch /tmp/done; ` +
      `exec dd if=/dev/zero of=/dev/null bs=256M count=1`;
    const created = await plane.api("POST", "/tenants/oom/pods", {
      name: "hog",
      adapter: "generic",
      image: FIXTURE_IMAGE,
      config: { command: ["sh", "-c", hog] },
      resources: { memoryMB: 64 },
    });
    assert.ok(created);
    let events: { reason: string; message: string }[] = [];
    await waitFor(
      "the OOM kill to be reported",
      async () => {
        events = await plane.json("events", "--pod", "oom/hog", "--tail", "20");
        return events.some((e) => e.reason === "OOMKilled" && /out of memory/.test(e.message));
      },
      60_000,
      500,
    ).catch(async (error) => {
      const state = await dockerCli(
        "inspect",
        "-f",
        "{{json .State}} restarts={{.RestartCount}}",
        "agentpod-oom-hog",
      );
      throw new Error(
        `${error.message}; events: ${JSON.stringify(events)}; container: ${state.stdout}`,
      );
    });
    // The event is written as the crash is seen; the status with it a moment later.
    await waitFor(
      "the restart to be counted",
      async () => {
        const pod = await plane.json<PodJson>("pod", "status", "oom/hog");
        return pod.restarts >= 1;
      },
      10_000,
      200,
    );
  });
});

Deno.test("a stored config that no longer validates never takes the running container down", async () => {
  await withTestDatabase(async (url) => {
    const db = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await withPlane({ DATABASE_URL: url }, async (plane) => {
        assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
        await createFixturePods(plane, "acme", ["web"]);
        await waitForRunningPods(plane, 1);
        const before = await inspect("agentpod-acme-web");
        // An AgentPod upgrade with a stricter schema, a hand edit, a corrupt row.
        await db.unsafe(`UPDATE pods SET config = '{"port":"x"}', generation = generation + 1`);
        const plan = await plane.json<{ actions: { kind: string; reason: string }[] }>(
          "reconcile",
          "--dry-run",
        );
        assert.deepEqual(plan.actions.map((a) => a.kind), ["hold"]);
        assert.match(plan.actions[0]!.reason, /kept as it is/);
        for (let pass = 0; pass < 3; pass++) {
          assert.equal((await plane.cli("reconcile")).code, 0);
        }
        const after = await inspect("agentpod-acme-web");
        assert.equal(after.Id, before.Id);
        assert.equal(after.State.StartedAt, before.State.StartedAt);
        assert.equal(after.State.Status, "running");
        const pod = await plane.json<PodJson>("pod", "status", "acme/web");
        assert.equal(condition(pod, "Ready")?.reason, "RenderFailed");
        assert.match(pod.lastError ?? "", /port/);
        const shown = await plane.cli("pod", "status", "acme/web");
        assert.match(shown.stdout, /RenderFailed/);
      });
    } finally {
      await db.end();
    }
  });
});

Deno.test("config set image to one that does not exist: refused, the pod keeps running", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    await createFixturePods(plane, "acme", ["web"]);
    await waitForRunningPods(plane, 1);
    const before = await inspect("agentpod-acme-web");
    const set = await plane.cli(
      "config",
      "set",
      "acme/web",
      "--key",
      "image",
      "--value",
      "nosuch:1",
    );
    assert.notEqual(set.code, 0);
    assert.match(set.stderr, /nosuch:1/);
    assert.doesNotMatch(set.stderr, /at .*\.ts:\d+/, "no stack trace");
    const after = await inspect("agentpod-acme-web");
    assert.equal(after.Id, before.Id);
    assert.equal(after.State.Status, "running");
    const config = await plane.json<{ image: string }>("config", "get", "acme/web");
    assert.equal(config.image, FIXTURE_IMAGE);
  });
});

Deno.test("a second serve on the same PGlite data directory exits with one clear line", async () => {
  await withPlane({}, async (plane) => {
    const port = freePort();
    const second = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}main.ts`],
      env: { ...plane.env, AGENTPOD_LISTEN: `127.0.0.1:${port}`, AGENTPOD_URL: "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.notEqual(second.code, 0);
    const lines = new TextDecoder().decode(second.stderr).split("\n").filter((l) =>
      l.startsWith("{")
    );
    const errors = lines.filter((l) => JSON.parse(l).level === "error");
    assert.equal(errors.length, 1, lines.join("\n"));
    assert.match(errors[0]!, /Another process has the embedded database/);
    // The first one did not notice.
    assert.equal((await plane.cli("tenant", "list")).code, 0);
  });
});

Deno.test("oversized bodies get 413 on the API and on /login", async () => {
  await withPlane({}, async (plane) => {
    const big = "x".repeat(2 * 1024 * 1024);
    const api = await fetch(`${plane.url}/api/v1/tenants`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await plane.token()}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ id: "acme", name: big }),
    });
    assert.equal(api.status, 413);
    assert.equal((await api.json()).error.code, "too_large");
    const login = await fetch(`${plane.url}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `password=${"y".repeat(100 * 1024)}`,
    });
    assert.equal(login.status, 413);
    await login.body?.cancel();
    assert.equal((await plane.json<unknown[]>("tenant", "list")).length, 0, "nothing stored");
  });
});
