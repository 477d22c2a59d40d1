/**
 * End to end on the real engine, through the CLI: `pod upgrade` of a fixture pod keeps
 * its port and its data, leaves the old container as the rollback handle and pulls
 * nothing; a version that never passes its probe and one that crashes on the pod's state
 * are rolled back onto the same old container; a broken image, a missing one and a
 * downgrade are refused with every container untouched; a control plane SIGKILLed in the
 * middle of an upgrade finishes or rolls it back on restart, with one container.
 * Variants of the fixture image are made with `docker commit` (no registry here).
 * @module
 */
import assert from "node:assert/strict";
import { createDockerClient } from "../../providers/docker/mod.ts";
import {
  commitFixtureVariant,
  dockerCli,
  downSampler,
  FIXTURE_IMAGE,
  type Plane,
  pulledSince,
  waitFor,
  withPlane,
} from "./_harness.ts";

const RUN = crypto.randomUUID().slice(0, 6);
const variant = (name: string) => `agentpod-fixture:upgrade-${name}-${RUN}`;
const OK = variant("ok");
const OLD = variant("old");
const HANGS = variant("hangs");
const CRASHES = variant("crashes");
const BROKEN = variant("broken");
const HTTPD = `exec /bin/httpd -f -p 8080 -h /www`;

interface RolloutJson {
  id: string;
  state: string;
  message: string | null;
  items: { state: string; step: string | null; message: string | null }[];
}

async function upgrade(plane: Plane, image: string, ...flags: string[]) {
  return await plane.cli(
    "pod",
    "upgrade",
    "up/web",
    "--image",
    image,
    "--min-ready",
    "2s",
    "--progress-deadline",
    "20s",
    "--format",
    "json",
    ...flags,
  );
}

async function inspect(name: string) {
  using docker = createDockerClient();
  return await docker.containers.inspect(name);
}

async function notes(container: string): Promise<string> {
  const out = await dockerCli("exec", container, "cat", "/data/notes.md");
  return out.code === 0 ? out.stdout.trim() : `(${out.stderr.trim()})`;
}

Deno.test("pod upgrade on the real engine: upgrade, rollback, refusals, a kill mid-way", async (t) => {
  await commitFixtureVariant(OK, "2", HTTPD);
  await commitFixtureVariant(OLD, "1", HTTPD);
  await commitFixtureVariant(HANGS, "3", "exec sleep 3600");
  await commitFixtureVariant(CRASHES, "3", `[ -f /data/notes.md ] && exit 4; ${HTTPD}`);
  await commitFixtureVariant(BROKEN, "3", "exit 3");
  try {
    await withPlane({}, async (plane) => {
      assert.equal((await plane.cli("tenant", "create", "up")).code, 0);
      const created = await plane.cli(
        "pod",
        "create",
        "up/web",
        "--type",
        "generic",
        "--image",
        FIXTURE_IMAGE,
        "--wait",
      );
      assert.equal(created.code, 0, created.stderr);
      const first = await inspect("agentpod-up-web");
      const port = first.HostConfig.PortBindings?.["8080/tcp"]?.[0]?.HostPort;
      assert.ok(port);
      assert.equal(
        (await dockerCli("exec", "agentpod-up-web", "sh", "-c", "echo keep > /data/notes.md")).code,
        0,
      );
      const since = (Date.now() / 1000).toFixed(3);

      let current = first.Id;
      await t.step(
        "an upgrade keeps the port and the data; the old container is the handle",
        async () => {
          const t0 = Date.now();
          const out = await upgrade(plane, OK);
          assert.equal(out.code, 0, out.stderr);
          const rollout = JSON.parse(out.stdout) as RolloutJson;
          assert.equal(rollout.state, "succeeded");
          console.log(`fixture upgrade: ${rollout.items[0]!.message} in ${Date.now() - t0} ms`);
          const after = await inspect("agentpod-up-web");
          assert.notEqual(after.Id, first.Id);
          assert.equal(after.State.Status, "running");
          assert.equal(after.HostConfig.PortBindings?.["8080/tcp"]?.[0]?.HostPort, port);
          assert.equal(await notes("agentpod-up-web"), "keep");
          const res = await fetch(`http://127.0.0.1:${port}/`);
          assert.equal(res.status, 200);
          await res.body?.cancel();
          const handle = await inspect("agentpod-up-web.rollback");
          assert.deepEqual([handle.Id, handle.State.Status], [first.Id, "exited"]);
          // No pull on the engine's event stream: the image was local.
          assert.equal(await pulledSince(since), false);
          current = after.Id;
        },
      );

      await t.step(
        "a version that never passes its probe is rolled back onto the same container",
        async () => {
          const out = await upgrade(plane, HANGS, "--progress-deadline", "8s");
          assert.equal(out.code, 1, out.stdout);
          assert.match(out.stderr, /rolled back/i);
          const after = await inspect("agentpod-up-web");
          assert.equal(after.Id, current, "the same container id");
          assert.equal(after.State.Status, "running");
          assert.equal(await notes("agentpod-up-web"), "keep");
          const events = await plane.json<{ reason: string; message: string }[]>(
            "events",
            "--pod",
            "up/web",
            "--tail",
            "10",
          );
          assert.ok(
            events.some((e) => e.reason === "UpgradeRolledBack" && /Not ready/.test(e.message)),
          );
          const pod = await plane.json<
            { conditions: { type: string; status: string; message: string }[] }
          >(
            "pod",
            "status",
            "up/web",
          );
          const upgraded = pod.conditions.find((c) => c.type === "Upgraded");
          assert.equal(upgraded?.status, "False");
        },
      );

      await t.step("a version that crashes on the pod's state is rolled back", async () => {
        const out = await upgrade(plane, CRASHES);
        assert.equal(out.code, 1, out.stdout);
        assert.match(out.stderr, /The new container exited/);
        const after = await inspect("agentpod-up-web");
        assert.equal(after.Id, current);
        assert.equal(await notes("agentpod-up-web"), "keep");
      });

      await t.step(
        "a broken image, a missing one and a downgrade are refused, nothing touched",
        async () => {
          const before = (await inspect("agentpod-up-web")).State.StartedAt;
          const broken = await upgrade(plane, BROKEN);
          assert.equal(broken.code, 1);
          assert.match(broken.stderr, /does not start: its smoke run exited with code 3/);
          const missing = await upgrade(plane, "agentpod-nonexistent:1");
          assert.equal(missing.code, 1);
          assert.match(missing.stderr, /not on this host and cannot be pulled/);
          const down = await upgrade(plane, OLD);
          assert.equal(down.code, 1);
          assert.match(down.stderr, /runs 2, newer than 1: a downgrade/);
          const after = await inspect("agentpod-up-web");
          assert.deepEqual([after.Id, after.State.StartedAt], [current, before]);
          const plan = await plane.json<{ pods: { pod: string; batch: number }[] }>(
            "pod",
            "upgrade",
            "up/web",
            "--image",
            OLD,
            "--dry-run",
          );
          assert.deepEqual(plan.pods, [{ pod: "up/web", position: 0, canary: false, batch: 1 }]);
        },
      );

      await t.step(
        "a control plane killed mid-upgrade finishes or rolls back on restart",
        async () => {
          const started = await plane.api<RolloutJson>("POST", "/rollouts", {
            image: OLD,
            pods: ["up/web"],
            allowDowngrade: true,
            minReadyMs: 3_000,
            progressDeadlineMs: 30_000,
          });
          await waitFor(
            "the new container to start",
            async () => {
              const r = await plane.api<RolloutJson>("GET", `/rollouts/${started.id}`);
              return r.items[0]?.step === "started" || r.items[0]?.step === "created";
            },
            30_000,
            100,
          );
          await plane.kill("SIGKILL");
          await plane.restart();
          const done = await waitFor(
            "the rollout to end",
            async () => {
              const r = await plane.api<RolloutJson>("GET", `/rollouts/${started.id}`);
              return ["succeeded", "failed"].includes(r.state) ? r : undefined;
            },
            60_000,
            250,
          );
          assert.ok(
            ["succeeded", "rolled-back"].includes(done.items[0]!.state),
            done.items[0]!.message ?? "",
          );
          const containers = await dockerCli(
            "ps",
            "-a",
            "--filter",
            "name=agentpod-up-web",
            "--format",
            "{{.Names}} {{.State}}",
          );
          const rows = containers.stdout.trim().split("\n").sort();
          assert.deepEqual(rows.filter((r) => !r.includes(".rollback")), [
            "agentpod-up-web running",
          ]);
          assert.ok(rows.length <= 2, rows.join("; "));
          assert.equal(await notes("agentpod-up-web"), "keep");
        },
      );
    });
  } finally {
    for (const ref of [OK, OLD, HANGS, CRASHES, BROKEN]) await dockerCli("rmi", "-f", ref);
  }
});

Deno.test("pod upgrade --all: at most --max-unavailable pods down; a failure pauses; resume goes on", async () => {
  const FLEET = variant("fleet");
  await commitFixtureVariant(
    FLEET,
    "2",
    `[ "$(cat /data/fail 2>/dev/null)" = yes ] && exit 4; ${HTTPD}`,
  );
  await commitFixtureVariant(OK, "3", HTTPD);
  try {
    await withPlane({}, async (plane) => {
      assert.equal((await plane.cli("tenant", "create", "fl")).code, 0);
      const names = ["p1", "p2", "p3", "p4", "p5", "p6"];
      for (const name of names) {
        const out = await plane.cli(
          "pod",
          "create",
          `fl/${name}`,
          "--type",
          "generic",
          "--image",
          FIXTURE_IMAGE,
        );
        assert.equal(out.code, 0, out.stderr);
      }
      await waitFor(
        "six running pods",
        async () => {
          const pods = await plane.json<{ status: string }[]>("pod", "list");
          return pods.filter((p) => p.status === "running").length === 6;
        },
        60_000,
        250,
      );
      // The third pod's state makes the new version exit at start.
      assert.equal(
        (await dockerCli("exec", "agentpod-fl-p3", "sh", "-c", "echo yes > /data/fail")).code,
        0,
      );
      const ids = new Map<string, string>();
      for (const name of names) ids.set(name, (await inspect(`agentpod-fl-${name}`)).Id);

      const containers = names.map((n) => `agentpod-fl-${n}`);
      const sampler = downSampler(containers);
      const t0 = Date.now();
      const out = await plane.cli(
        "pod",
        "upgrade",
        "--all",
        "--tenant",
        "fl",
        "--image",
        FLEET,
        "--max-unavailable",
        "1",
        "--min-ready",
        "1s",
        "--progress-deadline",
        "20s",
        "--format",
        "json",
      );
      const paused = JSON.parse(out.stdout) as RolloutJson;
      assert.equal(out.code, 1, out.stderr);
      assert.equal(paused.state, "paused", paused.message ?? "");
      assert.deepEqual(paused.items.map((i) => i.state), [
        "succeeded",
        "succeeded",
        "rolled-back",
        "pending",
        "pending",
        "pending",
      ]);
      for (const name of ["p3", "p4", "p5", "p6"]) {
        assert.equal((await inspect(`agentpod-fl-${name}`)).Id, ids.get(name), `${name} untouched`);
      }
      console.log(`fleet of 6, max-unavailable 1: paused after 3 pods in ${Date.now() - t0} ms`);

      // Fixed: the rollout goes on with the untouched pods, now two at a time.
      assert.equal(
        (await dockerCli("exec", "agentpod-fl-p3", "sh", "-c", "echo no > /data/fail")).code,
        0,
      );
      const t1 = Date.now();
      const resumed = await plane.cli("rollout", "resume", paused.id);
      assert.equal(resumed.code, 0, resumed.stderr);
      const status = await plane.cli(
        "rollout",
        "status",
        paused.id,
        "--follow",
        "--format",
        "json",
      );
      const done = JSON.parse(status.stdout) as RolloutJson;
      const worst = await sampler.stop();
      assert.equal(done.state, "failed", "one pod rolled back, so not all upgraded");
      assert.deepEqual(done.items.map((i) => i.state), [
        "succeeded",
        "succeeded",
        "rolled-back",
        "succeeded",
        "succeeded",
        "succeeded",
      ]);
      console.log(
        `resume → the last 3 upgraded in ${Date.now() - t1} ms; most down at once: ${worst}`,
      );
      assert.ok(worst <= 1, `at most 1 pod down at once, saw ${worst}`);

      // Two at a time: never more than two down.
      const second = downSampler(containers);
      const t2 = Date.now();
      const two = await plane.cli(
        "pod",
        "upgrade",
        "--all",
        "--tenant",
        "fl",
        "--image",
        OK,
        "--max-unavailable",
        "2",
        "--min-ready",
        "1s",
        "--format",
        "json",
      );
      const worstTwo = await second.stop();
      assert.equal(two.code, 0, two.stderr);
      console.log(
        `fleet of 6, max-unavailable 2: ${Date.now() - t2} ms; most down at once: ${worstTwo}`,
      );
      assert.ok(worstTwo <= 2, `at most 2 pods down at once, saw ${worstTwo}`);
    });
  } finally {
    await dockerCli("rmi", "-f", FLEET, OK);
  }
});
