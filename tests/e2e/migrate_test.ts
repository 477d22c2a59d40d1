/**
 * Loop 2 of PRODUCT.md on the real engine with the real OpenClaw image: gateways made
 * by hand are found by `migrate discover` with the right verdicts and fields, adopted by
 * `migrate adopt --all` while a 10 Hz `/readyz` probe runs on each (0 failures; PID,
 * StartedAt and RestartCount unchanged), listed running and healthy, healed on the same
 * container after `docker kill`, kept over a control-plane restart, adopted again as a
 * no-op, and released with the container left running.
 *
 * The hand-made inputs: a gateway started as OpenClaw's Docker guide does (token in the
 * environment, named volume, 127.0.0.1 port), one with a bind-mounted state dir and the
 * token only in `openclaw.json`, one made by the real `openclaw fleet create`, a `--rm`
 * container, a compose-labelled one, and a busybox that is no agent.
 * @module
 */
import assert from "node:assert/strict";
import { createDockerClient } from "../../providers/docker/mod.ts";
import WebSocket from "ws";
import { openClawHandshake } from "../../adapters/openclaw_probe.ts";
import { startFleetCli } from "./_fleet.ts";
import { FORWARDED_CLIENT as CLIENT, openClawThroughTraefik, startTraefik } from "./_traefik.ts";
import {
  dockerCli,
  FIXTURE_IMAGE,
  freePort,
  type Plane,
  readyzSampler,
  waitFor,
  waitReadyz,
  withPlane,
} from "./_harness.ts";

const IMAGE = "agentpod/openclaw:2026.9.6";
/** The release before: the guide's gateway runs it, to be upgraded once adopted. */
const OLD_IMAGE = "agentpod/openclaw:2026.9.5";
const RUN = crypto.randomUUID().slice(0, 6);
const LABEL = `agentpod.test.migrate=${RUN}`;
const GUIDE = `hand-guide-${RUN}`;
const BIND = `hand-bind-${RUN}`;
const RM = `hand-rm-${RUN}`;
const COMPOSE = `hand-compose-${RUN}`;
const BUSYBOX = `hand-busybox-${RUN}`;
const FLEET_TENANT = `cell${RUN}`;
const CELL = `openclaw-cell-${FLEET_TENANT}`;
const DOMAIN = "agents.test";
const GATEWAY = ["node", "openclaw.mjs", "gateway", "--bind", "lan", "--port", "18789"];

interface Discovered {
  id: string;
  name: string;
  verdict: string;
  version: string | null;
  reason: string;
  tokenSource: string;
  stateDir: { kind: string; source: string | null };
  address: { hostIp: string; hostPort: number } | null;
  suggested: { tenant: string; pod: string };
  probe?: { healthy: boolean; message: string };
  warnings: string[];
}

interface Outcome {
  container: string;
  pod: string;
  result: string;
  message: string;
}

function token(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

async function run(...args: string[]): Promise<string> {
  const out = await dockerCli("run", "-d", "--label", LABEL, ...args);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.trim();
}

/** PID, StartedAt and RestartCount: what a restart would change. */
async function runId(container: string): Promise<string> {
  const out = await dockerCli(
    "inspect",
    "-f",
    "{{.State.Pid}} {{.State.StartedAt}} {{.RestartCount}} {{.State.Status}}",
    container,
  );
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.trim();
}

Deno.test("loop 2: hand-made OpenClaw gateways are discovered, adopted as they run, healed and released", async () => {
  using docker = createDockerClient();
  const ports = { guide: freePort(), bind: freePort(), cell: freePort(), rm: freePort() };
  const compose = freePort();
  const bindDir = await Deno.makeTempDir({ prefix: "hand-bind-" });
  const tokens = { guide: token(), bind: token() };
  await using fleetCli = await startFleetCli(IMAGE, `hand-fleet-cli-${RUN}`, LABEL);
  try {
    // OpenClaw's Docker guide: token in the environment, a named volume, 127.0.0.1.
    await run(
      "--name",
      GUIDE,
      "--restart",
      "unless-stopped",
      "-e",
      `OPENCLAW_GATEWAY_TOKEN=${tokens.guide}`,
      "-v",
      `${GUIDE}:/home/node/.openclaw`,
      "-p",
      `127.0.0.1:${ports.guide}:18789`,
      OLD_IMAGE,
      ...GATEWAY,
      "--allow-unconfigured",
    );
    // A bind-mounted state dir; the token only in openclaw.json (JSON5, as people write it).
    await Deno.writeTextFile(
      `${bindDir}/openclaw.json`,
      `{\n  // by hand\n  gateway: { mode: "local", port: 18789, bind: "lan",\n    auth: { mode: "token", token: "${tokens.bind}" } },\n}\n`,
    );
    await Deno.chown(bindDir, 1000, 1000);
    await Deno.chown(`${bindDir}/openclaw.json`, 1000, 1000);
    await run(
      "--name",
      BIND,
      "-v",
      `${bindDir}:/home/node/.openclaw`,
      "-p",
      `127.0.0.1:${ports.bind}:18789`,
      IMAGE,
      ...GATEWAY,
    );
    // A cell made by OpenClaw's own fleet.
    const created = await fleetCli.fleet(
      "create",
      FLEET_TENANT,
      "--image",
      IMAGE,
      "--port",
      String(ports.cell),
      "--memory",
      "1g",
      "--cpus",
      "1",
      "--json",
    );
    assert.equal(created.code, 0, `fleet create: ${created.stderr}`);
    // Not gateways anyone should adopt: --rm, compose, and a busybox that is no agent.
    const lookalike = ["-e", "OPENCLAW_GATEWAY_TOKEN=x", "--expose", "18789"];
    await run(
      "--rm",
      "--name",
      RM,
      ...lookalike,
      "-p",
      `127.0.0.1:${ports.rm}:18789`,
      FIXTURE_IMAGE,
      "sleep",
      "3600",
    );
    await run(
      "--name",
      COMPOSE,
      "--label",
      "com.docker.compose.project=shop",
      "--label",
      "com.docker.compose.service=gateway",
      ...lookalike,
      "-p",
      `127.0.0.1:${compose}:18789`,
      FIXTURE_IMAGE,
      "sleep",
      "3600",
    );
    await run("--name", BUSYBOX, FIXTURE_IMAGE, "sleep", "3600");
    await Promise.all([ports.guide, ports.bind, ports.cell].map((p) => waitReadyz(p)));

    await withPlane({ AGENTPOD_DOMAIN: DOMAIN }, async (plane) => {
      const ours = (list: Discovered[]) =>
        list.filter((d) => [GUIDE, BIND, CELL, RM, COMPOSE, BUSYBOX].includes(d.name));

      // Discover: read-only, exact verdicts and facts, no token anywhere.
      const before = new Map<string, string>();
      for (const c of [GUIDE, BIND, CELL]) before.set(c, await runId(c));
      const t0 = performance.now();
      const out = await plane.cli("migrate", "discover", "--format", "json");
      const discoverMs = performance.now() - t0;
      assert.equal(out.code, 0, out.stderr);
      for (const secret of Object.values(tokens)) {
        assert.ok(!out.stdout.includes(secret), "discover never prints a token");
      }
      const found = new Map(ours(JSON.parse(out.stdout)).map((d) => [d.name, d]));
      assert.deepEqual([...found.keys()].sort(), [BIND, COMPOSE, GUIDE, RM, CELL].sort());
      const guide = found.get(GUIDE)!;
      assert.equal(guide.verdict, "adoptable", guide.reason);
      assert.equal(guide.tokenSource, "env");
      assert.deepEqual(guide.stateDir, {
        kind: "volume",
        source: GUIDE,
        path: "/home/node/.openclaw",
      });
      assert.deepEqual(guide.address, { hostIp: "127.0.0.1", hostPort: ports.guide });
      assert.equal(guide.probe?.healthy, true, guide.probe?.message);
      assert.equal(guide.version, "2026.9.5");
      const bind = found.get(BIND)!;
      assert.equal(bind.verdict, "adoptable", bind.reason);
      assert.equal(bind.tokenSource, "config");
      assert.deepEqual(bind.stateDir, {
        kind: "bind",
        source: bindDir,
        path: "/home/node/.openclaw",
      });
      assert.equal(bind.probe?.healthy, true, bind.probe?.message);
      assert.match(bind.warnings.join(), /No restart policy/);
      const cell = found.get(CELL)!;
      assert.equal(cell.verdict, "fleet-cell", cell.reason);
      assert.equal(cell.suggested.tenant, FLEET_TENANT);
      assert.equal(cell.probe?.healthy, true, cell.probe?.message);
      assert.equal(found.get(RM)!.verdict, "auto-remove");
      assert.equal(found.get(COMPOSE)!.verdict, "compose-service");
      for (const c of [GUIDE, BIND, CELL]) {
        assert.equal(await runId(c), before.get(c), `${c} untouched`);
      }

      // Adopt --all while every gateway is probed 10 times a second.
      const sampler = readyzSampler([ports.guide, ports.bind, ports.cell]);
      const t1 = performance.now();
      // With the live steps a real engine applies without a restart: policy and limits.
      const adopted = await plane.cli(
        "migrate",
        "adopt",
        "--all",
        "--restart-policy",
        "--limits",
        "--format",
        "json",
      );
      const adoptMs = performance.now() - t1;
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // and the reconcile after it
      const failures = await sampler.stop();
      assert.equal(adopted.code, 0, `${adopted.stderr}\n${plane.log.slice(-3000)}`);
      const outcomes = (JSON.parse(adopted.stdout) as Outcome[])
        .filter((o) => [GUIDE, BIND, CELL].includes(o.container));
      assert.deepEqual(
        outcomes.map((o) => [o.container, o.result]).sort(),
        [
          [BIND, "adopted"],
          [GUIDE, "adopted"],
          [CELL, "adopted"],
        ].sort(),
      );
      for (const [port, seen] of failures) {
        assert.deepEqual(seen, [], `probe failures on ${port} during adoption`);
      }
      for (const c of [GUIDE, BIND, CELL]) {
        assert.equal(await runId(c), before.get(c), `${c}: PID, StartedAt, RestartCount unchanged`);
      }
      const bindHost = (await docker.containers.inspect(BIND)).HostConfig;
      assert.equal(bindHost.RestartPolicy?.Name, "unless-stopped", "restart policy set live");
      assert.ok((bindHost.Memory ?? 0) >= 1024 * 1024 * 1024, "a memory limit, set live");
      console.log(
        `discover ${Math.round(discoverMs)} ms, adopt --all ${Math.round(adoptMs)} ms (3 gateways)`,
      );
      const podOf = (c: string) => outcomes.find((o) => o.container === c)!.pod;
      await waitHealthy(plane, [podOf(GUIDE), podOf(BIND), podOf(CELL)]);

      // Routed through Traefik: a hot reload makes the gateways trust the proxy, no restart.
      const web = freePort();
      const traefik = await startTraefik(plane, {
        web,
        websecure: freePort(),
        pollSeconds: 1,
        trustedIps: "127.0.0.1/32,::1/128",
      });
      try {
        const routed = await plane.json<Outcome[]>("migrate", "adopt", GUIDE, BIND, "--route");
        assert.deepEqual(routed.map((o) => o.result), ["already", "already"]);
        for (const o of routed) assert.match(o.message, /routed: it trusts/);
        for (const c of [GUIDE, BIND]) {
          assert.equal(await runId(c), before.get(c), `${c}: routing restarted nothing`);
        }
        for (const [c, secret] of [[GUIDE, tokens.guide], [BIND, tokens.bind]] as const) {
          const [podName, tenant] = podOf(c).split("/").reverse() as [string, string];
          const host = `${podName}.${tenant}.${DOMAIN}`;
          const hello = await openClawThroughTraefik(web, host, secret);
          assert.equal(hello.healthy, true, `${c} through Traefik: ${hello.message}`);
        }
        await waitHealthy(plane, [podOf(GUIDE), podOf(BIND)]);
      } finally {
        await traefik.stop();
      }

      // Healing restarts the same container.
      const guideId = guide.id;
      assert.equal((await dockerCli("kill", GUIDE)).code, 0);
      await waitFor(
        "the guide's gateway running again",
        async () => {
          const c = await docker.containers.inspect(GUIDE);
          return c.Id === guideId && c.State.Running;
        },
        30_000,
        200,
      );
      const events = await plane.json<{ reason: string }[]>(
        "events",
        "--pod",
        podOf(GUIDE),
        "--tail",
        "10",
      );
      assert.ok(events.some((e) => e.reason === "Adopted"), events.map((e) => e.reason).join());

      // Adopting again changes nothing; a control-plane restart keeps them.
      const again = await plane.json<Outcome[]>("migrate", "adopt", GUIDE, BIND);
      assert.deepEqual(again.map((o) => o.result), ["already", "already"]);
      await plane.kill("SIGTERM");
      await plane.restart();
      await waitHealthy(plane, [podOf(GUIDE), podOf(BIND), podOf(CELL)]);
      const bindRun = await runId(BIND);
      assert.equal((await dockerCli("kill", BIND)).code, 0);
      await waitFor(
        "the bind gateway healed after the restart",
        async () => {
          const c = await docker.containers.inspect(BIND);
          return c.Id === bind.id && c.State.Running && (await runId(BIND)) !== bindRun;
        },
        30_000,
        200,
      );

      // Release: gone from the list, the container as it was.
      const running = await runId(CELL);
      const released = await plane.cli("migrate", "release", podOf(CELL));
      assert.equal(released.code, 0, released.stderr);
      const pods = await plane.json<{ pod: string }[]>("pod", "list");
      assert.ok(!pods.some((p) => p.pod === podOf(CELL)), "released: not listed");
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal(await runId(CELL), running, "the released container runs on, untouched");
      // An upgrade moves an adopted pod to a container AgentPod makes, with its state,
      // hostname, port and token; the adopted container is left stopped as it was.
      const guideHost = (await docker.containers.inspect(GUIDE)).Config.Hostname;
      await dockerCli(
        "exec",
        GUIDE,
        "sh",
        "-c",
        "mkdir -p /home/node/.openclaw/workspace && echo kept > /home/node/.openclaw/workspace/keep.md",
      );
      const upgraded = await plane.cli(
        "pod",
        "upgrade",
        podOf(GUIDE),
        "--image",
        IMAGE,
        "--min-ready",
        "3s",
        "--format",
        "json",
      );
      assert.equal(upgraded.code, 0, `${upgraded.stderr}\n${plane.log.slice(-3000)}`);
      const made = `agentpod-${podOf(GUIDE).replace("/", "-")}`;
      const successor = await docker.containers.inspect(made);
      assert.notEqual(successor.Id, guideId);
      assert.equal(successor.Config.Hostname, guideHost, "the same hostname");
      assert.equal(
        successor.HostConfig.PortBindings?.["18789/tcp"]?.[0]?.HostPort,
        String(ports.guide),
        "the same port",
      );
      const kept = await dockerCli("exec", made, "cat", "/home/node/.openclaw/workspace/keep.md");
      assert.equal(kept.stdout.trim(), "kept", "the state came along");
      const hello = await openClawHandshake({
        open: () =>
          new WebSocket(`ws://127.0.0.1:${ports.guide}/`, {
            headers: { "X-Forwarded-For": CLIENT },
          }),
        token: tokens.guide,
        signal: AbortSignal.timeout(15_000),
        timeoutMs: 15_000,
      });
      assert.equal(hello.healthy, true, `the same token: ${hello.message}`);
      assert.match(hello.message, /2026\.9\.6/);
      const left = await docker.containers.inspect(guideId);
      assert.equal(left.State.Running, false, "the adopted container is left stopped");
      assert.equal(left.Name, `/${GUIDE}`, "under its own name");
      await waitHealthy(plane, [podOf(GUIDE)]);
      const list = await plane.json<{ pod: string; status: string }[]>("pod", "list");
      assert.equal(list.find((p) => p.pod === podOf(GUIDE))?.status, "running");

      // A container that is no gateway, or one that cannot be healed, is refused by name.
      const refused = await plane.cli("migrate", "adopt", RM);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /auto-remove/);
    });
  } finally {
    await fleetCli.fleet("rm", FLEET_TENANT, "--purge-data", "--force");
    for (const c of [GUIDE, BIND, RM, COMPOSE, BUSYBOX, CELL]) await dockerCli("rm", "-f", c);
    await dockerCli("volume", "rm", "-f", GUIDE);
    const owner = await fleetCli.ownerOf(FLEET_TENANT);
    const leftovers = await dockerCli(
      "ps",
      "-aq",
      "--filter",
      `label=openclaw.fleet.owner=${owner}`,
    );
    for (const id of leftovers.stdout.split("\n").filter(Boolean)) await dockerCli("rm", "-f", id);
    await dockerCli("run", "--rm", "-v", `${bindDir}:/d`, FIXTURE_IMAGE, "sh", "-c", "rm -rf /d/*");
    await Deno.remove(bindDir, { recursive: true }).catch(() => {});
  }
});

async function waitHealthy(plane: Plane, pods: string[]): Promise<void> {
  await waitFor(
    `${pods.join(", ")} running and healthy`,
    async () => {
      const list = await plane.json<{ pod: string; status: string; health: string | null }[]>(
        "pod",
        "list",
      );
      return pods.every((p) => {
        const pod = list.find((x) => x.pod === p);
        return pod?.status === "running" && pod.health === "ok";
      });
    },
    120_000,
    500,
  );
}
