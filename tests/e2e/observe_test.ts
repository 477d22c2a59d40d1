/**
 * Watching pods from the CLI: logs with stdout and stderr (tail and follow), events as
 * they happen (`events --follow` over SSE), `config get` with secrets masked, the
 * OpenAPI document, and one reconciler per database (leader election on PostgreSQL).
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { createFixturePods, Plane, waitFor, withPlane } from "./_harness.ts";

const FIXTURE = "agentpod-fixture:1";
const ROOT = new URL("../../", import.meta.url).pathname;

/** Starts `agentpod <args>` and collects its stdout until `stop()`. */
function follow(plane: Plane, ...args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}cli.ts`, ...args],
    env: plane.env,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let text = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) text += decoder.decode(chunk);
  })();
  return {
    output: () => text,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await reading.catch(() => {});
    },
  };
}

Deno.test("logs, events --follow, config get and the OpenAPI document", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    const events = follow(plane, "events", "--follow", "--format", "json");
    try {
      const config = {
        command: [
          "/bin/sh",
          "-c",
          "echo hello-out; echo hello-err >&2; exec httpd -f -p 8080 -h /www",
        ],
        env: { API_KEY: "sk-very-secret" },
      };
      const file = `${plane.dataDir}/web.json`;
      await Deno.writeTextFile(file, JSON.stringify(config));
      const created = await plane.cli(
        "pod",
        "create",
        "acme/web",
        "--type",
        "generic",
        "--image",
        FIXTURE,
        "--config",
        file,
      );
      assert.equal(created.code, 0, created.stderr);
      await waitFor("Created and Started on the event stream", () =>
        Promise.resolve(
          /"reason":"Created"/.test(events.output()) && /"reason":"Started"/.test(events.output()),
        ), 30_000);
    } finally {
      await events.stop();
    }

    // `--format json` prints NDJSON: one {stream, text} object per line.
    const logs = await waitFor("both log lines", async () => {
      const result = await plane.cli("pod", "logs", "acme/web", "--tail", "10", "--format", "json");
      const lines = result.stdout.trim().split("\n").filter(Boolean).map((l) =>
        JSON.parse(l) as { stream: string; text: string }
      );
      return lines.length >= 2 ? lines : undefined;
    }, 30_000);
    assert.ok(
      logs.some((l) => l.stream === "stdout" && l.text === "hello-out"),
      Deno.inspect(logs),
    );
    assert.ok(
      logs.some((l) => l.stream === "stderr" && l.text === "hello-err"),
      Deno.inspect(logs),
    );
    const table = await plane.cli("pod", "logs", "acme/web", "--tail", "10");
    assert.equal(table.code, 0);
    assert.match(table.stdout, /hello-out/);

    const shown = await plane.cli("config", "get", "acme/web", "--format", "json");
    assert.equal(shown.code, 0, shown.stderr);
    assert.doesNotMatch(shown.stdout, /sk-very-secret/);
    assert.equal(JSON.parse(shown.stdout).config.env, "********");

    const res = await fetch(`${plane.url}/api/v1/openapi.json`);
    const doc = await res.json();
    assert.equal(doc.openapi, "3.1.0");
    assert.ok(doc.paths["/tenants/{tenant}/pods"].post.requestBody);
  });
});

Deno.test("one reconciler per database: a second control plane on the same PostgreSQL waits", async () => {
  const adminUrl = Deno.env.get("AGENTPOD_TEST_DATABASE_URL") ??
    "postgres://agentpod@127.0.0.1:55432/agentpod_test";
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const name = `agentpod_e2e_${crypto.randomUUID().slice(0, 8)}`;
  await admin.unsafe(`create database ${name}`);
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  try {
    // Control planes sharing a database share its master key (secrets are sealed with it).
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    await withPlane({ DATABASE_URL: url, AGENTPOD_SECRET_KEY: key }, async (first) => {
      // The admin token lives in the shared database: the first start wrote it out.
      const second = await Plane.start({
        DATABASE_URL: url,
        AGENTPOD_SECRET_KEY: key,
        AGENTPOD_TOKEN: await first.token(),
      });
      try {
        const leader = await first.json<{ checks: { name: string; ok: boolean }[] }>("doctor");
        assert.ok(leader.checks.find((c) => c.name === "reconciler")?.ok);
        const follower = await second.cli("doctor", "--format", "json");
        assert.equal(follower.code, 1);
        const check = JSON.parse(follower.stdout).checks.find((c: { name: string }) =>
          c.name === "reconciler"
        );
        assert.equal(check.ok, false);
        assert.match(check.message, /another control plane holds the leader lock/);

        await first.kill("SIGTERM");
        await waitFor(
          "the second plane to take over",
          async () => {
            const result = await second.cli("doctor", "--format", "json");
            return result.code === 0;
          },
          30_000,
          1000,
        );
      } finally {
        await second.destroy();
      }
    });
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});

Deno.test("pod stop, start and restart from the CLI", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    await createFixturePods(plane, "acme", ["web"]);
    const phase = (want: string) =>
      waitFor(`acme/web ${want}`, async () => {
        const pod = await plane.json<{ status: string; health: string | null }>(
          "pod",
          "status",
          "acme/web",
        );
        return pod.status === want && (want !== "running" || pod.health === "ok");
      }, 30_000);
    await phase("running");

    assert.equal((await plane.cli("pod", "stop", "acme/web")).code, 0);
    await phase("stopped");
    const stopped = await new Deno.Command("docker", {
      args: ["inspect", "-f", "{{.State.Running}}", "agentpod-acme-web"],
    }).output();
    assert.equal(new TextDecoder().decode(stopped.stdout).trim(), "false");

    assert.equal((await plane.cli("pod", "start", "acme/web")).code, 0);
    await phase("running");
    const restarted = await plane.cli("pod", "restart", "acme/web");
    assert.equal(restarted.code, 0, restarted.stderr);
    await phase("running");

    const reasons =
      (await plane.json<{ reason: string }[]>("events", "--pod", "acme/web", "--tail", "20"))
        .map((e) => e.reason);
    assert.deepEqual(reasons.filter((r) => r !== "Healthy"), [
      "Created",
      "Started",
      "StopRequested",
      "Stopped",
      "StartRequested",
      "Started",
      "RestartRequested",
      "Restarted",
    ]);
    // No crash was reported for stops and restarts we made ourselves.
    assert.ok(!reasons.includes("Crashed"), reasons.join(", "));
  });
});
