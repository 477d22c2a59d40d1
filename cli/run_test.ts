import assert from "node:assert/strict";
import { runCli } from "./run.ts";
import type { CliIo } from "./context.ts";
import { type ApiStub, startApiStub, STUB_TOKEN } from "./_api_stub.ts";
import type { PodView } from "./api_types.ts";

interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: { answer: string; isTerminal: boolean };
  stdoutIsTerminal?: boolean;
  stderrIsTerminal?: boolean;
  waitTimeoutMs?: number;
  signal?: AbortSignal;
  onStdout?: (all: string) => void;
}

async function run(stub: ApiStub | undefined, args: string[], options: RunOptions = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    env: { AGENTPOD_URL: stub?.url, AGENTPOD_TOKEN: STUB_TOKEN, ...options.env },
    stdout: {
      write: (text) => {
        stdout += text;
        options.onStdout?.(stdout);
      },
      isTerminal: options.stdoutIsTerminal,
    },
    stderr: { write: (text) => void (stderr += text), isTerminal: options.stderrIsTerminal },
    stdin: options.stdin && {
      readable: ReadableStream.from([new TextEncoder().encode(options.stdin.answer)]),
      isTerminal: options.stdin.isTerminal,
    },
    signal: options.signal,
    wait: { intervalMs: 5, timeoutMs: options.waitTimeoutMs ?? 2_000 },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

async function withStub(fn: (stub: ApiStub) => Promise<void>) {
  const stub = startApiStub();
  try {
    await fn(stub);
  } finally {
    await stub.close();
  }
}

async function seed(stub: ApiStub) {
  assert.equal((await run(stub, ["tenant", "create", "acme", "--name", "Acme Inc"])).code, 0);
  assert.equal((await run(stub, ["pod", "create", "acme/agent", "--wait"])).code, 0);
}

Deno.test("tenant create, list and status in table and json", () =>
  withStub(async (stub) => {
    const created = await run(stub, ["tenant", "create", "acme", "--name", "Acme Inc"]);
    assert.deepEqual(created, { code: 0, stdout: 'Created tenant "acme"\n', stderr: "" });
    assert.deepEqual(stub.requests.at(-1), {
      line: "POST /api/v1/tenants",
      body: { id: "acme", name: "Acme Inc" },
    });

    const table = await run(stub, ["tenant", "list"]);
    assert.equal(
      table.stdout,
      "Tenant  Name      Pods  Created\nacme    Acme Inc  0     2026-09-06T12:00:00Z\n",
    );
    const json = await run(stub, ["tenant", "list", "--format", "json"]);
    assert.deepEqual(JSON.parse(json.stdout), [...stub.tenants.values()]);
    assert.ok(json.stdout.startsWith('[\n  {\n    "id": "acme",'), "pretty-printed, 2 spaces");

    const status = await run(stub, ["tenant", "status", "acme"]);
    assert.equal(
      status.stdout,
      "Tenant:   acme\nName:     Acme Inc\nPods:     0\nCreated:  2026-09-06T12:00:00Z\n\nNo pods\n",
    );

    const again = await run(stub, ["tenant", "create", "acme"]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'error: Tenant "acme" already exists\n');
  }));

Deno.test("a 400 shows the server's field errors and exits 1", () =>
  withStub(async (stub) => {
    const result = await run(stub, ["tenant", "create", "bad"]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "error: Invalid tenant\n  id: Reserved\n");
    assert.equal(result.stdout, "");
  }));

Deno.test("pod create --wait polls until running and healthy, sending only given fields", () =>
  withStub(async (stub) => {
    await run(stub, ["tenant", "create", "acme"]);
    const result = await run(stub, [
      "pod",
      "create",
      "acme/agent",
      "--memory",
      "1024",
      "--cpus",
      "0.5",
      "--wait",
      "--format",
      "json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const view = JSON.parse(result.stdout) as PodView;
    assert.equal(view.status, "running");
    assert.equal(view.health, "ok");
    assert.deepEqual(stub.requests.find((r) => r.line === "POST /api/v1/tenants/acme/pods")?.body, {
      name: "agent",
      adapter: "openclaw",
      resources: { memoryMB: 1024, cpus: 0.5 },
    });
    assert.equal(result.stderr, "", "no progress when stderr is not a terminal");
  }));

Deno.test("pod create --wait shows progress on a terminal and times out with the state", () =>
  withStub(async (stub) => {
    await run(stub, ["tenant", "create", "acme"]);
    const shown = await run(stub, ["pod", "create", "acme/agent", "--wait"], {
      stderrIsTerminal: true,
    });
    assert.equal(shown.code, 0);
    assert.equal(shown.stdout, 'Created pod "acme/agent" (running, health ok)\n');
    assert.equal(
      shown.stderr,
      'Waiting for "acme/agent": pending\nWaiting for "acme/agent": creating\n' +
        'Waiting for "acme/agent": starting, health starting\n' +
        'Waiting for "acme/agent": running, health ok\n',
    );
    const stuck = await run(stub, ["pod", "create", "acme/slow", "--image", "stuck", "--wait"], {
      waitTimeoutMs: 50,
    });
    assert.equal(stuck.code, 1);
    assert.equal(
      stuck.stderr,
      'error: Timed out after 0 s waiting for pod "acme/slow" to run and be healthy: it is pending\n',
    );
  }));

Deno.test("pod list prints the PRODUCT.md table and the API objects unchanged as json", () =>
  withStub(async (stub) => {
    await seed(stub);
    const table = await run(stub, ["pod", "list"]);
    assert.equal(
      table.stdout,
      "Pod         Status   Health  CPU  Memory\nacme/agent  running  ok      3%   180 MB\n",
    );
    const json = await run(stub, ["pod", "list", "--tenant", "acme", "--format", "json"]);
    assert.deepEqual(JSON.parse(json.stdout), [...stub.pods.values()]);
    assert.equal(stub.requests.at(-1)?.line, "GET /api/v1/pods?tenant=acme");
  }));

Deno.test("colour appears only on a terminal and never with NO_COLOR", () =>
  withStub(async (stub) => {
    await seed(stub);
    const tty = await run(stub, ["pod", "list"], { stdoutIsTerminal: true });
    assert.ok(tty.stdout.includes("\x1b[32mrunning\x1b[0m"));
    const noColor = await run(stub, ["pod", "list"], {
      stdoutIsTerminal: true,
      env: { NO_COLOR: "1" },
    });
    assert.ok(!noColor.stdout.includes("\x1b"));
  }));

Deno.test("exit codes: not found 3, bad address 2, unknown command 2, help 0", () =>
  withStub(async (stub) => {
    const missing = await run(stub, ["pod", "status", "acme/ghost"]);
    assert.deepEqual(missing, {
      code: 3,
      stdout: "",
      stderr: 'error: Pod "acme/ghost" not found\n',
    });

    const before = stub.requests.length;
    const bad = await run(stub, ["pod", "status", "Acme/agent"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: Invalid tenant id "Acme"/);
    assert.equal(stub.requests.length, before, "nothing is sent for a bad address");

    assert.equal((await run(stub, ["pod", "frobnicate"])).code, 2);
    assert.equal((await run(stub, ["pod", "list", "--nope"])).code, 2);
    assert.equal((await run(stub, ["pod", "logs", "acme/agent", "--tail", "-1"])).code, 2);
    assert.equal((await run(stub, ["tenant", "status", "acme", "extra"])).code, 2);
    const help = await run(stub, ["pod", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: agentpod pod/);
  }));

Deno.test("auth: no token exits 4 naming where it looked; a rejected token exits 4", () =>
  withStub(async (stub) => {
    const none = await run(stub, ["pod", "list"], {
      env: { AGENTPOD_TOKEN: undefined, AGENTPOD_DATA_DIR: "/nonexistent/agentpod" },
    });
    assert.equal(none.code, 4);
    assert.match(none.stderr, /"\/nonexistent\/agentpod\/admin-token" does not exist/);

    const wrong = await run(stub, ["pod", "list"], { env: { AGENTPOD_TOKEN: "nope" } });
    assert.equal(wrong.code, 4);
    assert.match(wrong.stderr, /^error: Authentication failed/);
  }));

Deno.test("an unreachable server exits 1 with the hint, and no stack trace", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close();
  const result = await run(undefined, ["tenant", "list"], { env: { AGENTPOD_URL: url } });
  assert.deepEqual(result, {
    code: 1,
    stdout: "",
    stderr:
      `error: Cannot reach AgentPod at "${url}": connection refused — is "agentpod serve" running?\n`,
  });
});

Deno.test("deletes ask on a terminal (default No), skip with --yes, and proceed when piped", () =>
  withStub(async (stub) => {
    await seed(stub);
    const declined = await run(stub, ["pod", "delete", "acme/agent"], {
      stdin: { answer: "\n", isTerminal: true },
    });
    assert.equal(declined.code, 1);
    assert.match(
      declined.stderr,
      /Delete pod "acme\/agent" and its data\? \[y\/N\] error: Aborted/,
    );
    assert.ok(!stub.requests.some((r) => r.line.startsWith("DELETE")));

    const accepted = await run(stub, ["pod", "delete", "acme/agent"], {
      stdin: { answer: "y\n", isTerminal: true },
    });
    assert.equal(accepted.code, 0);
    assert.equal(accepted.stdout, 'Deleting pod "acme/agent"\n');

    const yes = await run(stub, ["pod", "delete", "acme/agent", "--yes"], {
      stdin: { answer: "", isTerminal: true },
    });
    assert.equal(yes.code, 0);
    const piped = await run(stub, ["pod", "delete", "acme/agent"], {
      stdin: { answer: "", isTerminal: false },
    });
    assert.equal(piped.code, 0);
  }));

Deno.test("tenant delete: refused with pods (hint), --force deletes them", () =>
  withStub(async (stub) => {
    await seed(stub);
    const refused = await run(stub, ["tenant", "delete", "acme"]);
    assert.equal(refused.code, 1);
    assert.ok(
      refused.stderr.endsWith(
        "it has 1 pods\n  Use --force to delete the tenant together with its pods\n",
      ),
    );
    const forced = await run(stub, ["tenant", "delete", "acme", "--force", "--format", "json"]);
    assert.equal(forced.code, 0);
    assert.deepEqual(JSON.parse(forced.stdout), { deleted: "acme", pods: 1 });
    assert.equal(stub.requests.at(-1)?.line, "DELETE /api/v1/tenants/acme?force=true");
  }));

Deno.test("pod logs prints text lines, or NDJSON with the stream tag", () =>
  withStub(async (stub) => {
    await seed(stub);
    const text = await run(stub, ["pod", "logs", "acme/agent", "--timestamps"]);
    assert.equal(
      text.stdout,
      "2026-09-06T12:00:00Z gateway listening\n2026-09-06T12:00:01Z warning: slow disk\n",
    );
    assert.equal(
      stub.requests.at(-1)?.line,
      "GET /api/v1/tenants/acme/pods/agent/logs?tail=50&timestamps=true",
    );
    const json = await run(stub, ["pod", "logs", "acme/agent", "--tail", "5", "--format", "json"]);
    assert.deepEqual(json.stdout.trim().split("\n").map((l) => JSON.parse(l)), [
      { stream: "stdout", text: "gateway listening" },
      { stream: "stderr", text: "warning: slow disk\n" },
    ]);
  }));

Deno.test("events --follow prints the tail, then new events from the SSE stream once", () =>
  withStub(async (stub) => {
    const event = (id: number, reason: string) => ({
      id,
      time: `2026-09-06T12:00:0${id}Z`,
      tenant: "acme",
      pod: "acme/agent",
      type: "Normal",
      reason,
      message: `${reason} it`,
    });
    stub.events.push(event(1, "Created"), event(2, "Started"));
    stub.streamChunks.push(
      ": connected\n\n",
      `event: pod-event\ndata: ${JSON.stringify(event(2, "Started"))}\n\n`,
      `event: pod\ndata: {"pod":"acme/agent"}\n\nevent: pod-ev`,
      `ent\ndata: ${JSON.stringify(event(3, "Crashed"))}\n\n`,
    );
    const controller = new AbortController();
    const result = await run(stub, ["events", "--follow", "--format", "json"], {
      signal: controller.signal,
      onStdout: (all) => all.includes("Crashed it") && controller.abort(),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      result.stdout.trim().split("\n").map((line) => JSON.parse(line).reason),
      ["Created", "Started", "Crashed"],
    );
  }));

Deno.test("events prints a table of the tail", () =>
  withStub(async (stub) => {
    stub.events.push({
      id: 1,
      time: "2026-09-06T12:00:00.000Z",
      tenant: "acme",
      pod: null,
      type: "Normal",
      reason: "TenantCreated",
      message: 'Tenant "acme" created',
      actor: "ci-bot",
    });
    const result = await run(stub, ["events", "--tail", "3"]);
    assert.equal(
      result.stdout,
      "Time                  Pod   Type    Reason         By      Message\n" +
        '2026-09-06T12:00:00Z  acme  Normal  TenantCreated  ci-bot  Tenant "acme" created\n',
    );
    assert.equal(stub.requests.at(-1)?.line, "GET /api/v1/events?tail=3");
  }));

Deno.test("reconcile --dry-run prints the plan or Nothing to do, exit 0 both ways", () =>
  withStub(async (stub) => {
    const empty = await run(stub, ["reconcile", "--dry-run"]);
    assert.deepEqual(empty, { code: 0, stdout: "Nothing to do\n", stderr: "" });
    await seed(stub);
    stub.pods.get("acme/agent")!.status = "stopped";
    const plan = await run(stub, ["reconcile", "--dry-run"]);
    assert.deepEqual(plan, {
      code: 0,
      stdout: "start  acme/agent  Container is exited\n",
      stderr: "",
    });
    assert.equal(stub.requests.at(-1)?.line, "POST /api/v1/reconcile?dryRun=true");
  }));

Deno.test("doctor prints one line per check and exits 1 when one fails", () =>
  withStub(async (stub) => {
    const ok = await run(stub, ["doctor"]);
    assert.deepEqual(ok, {
      code: 0,
      stdout: "ok  docker  Engine 20.10.24, API 1.41\n",
      stderr: "",
    });
    stub.checks.push({ name: "traefik", ok: false, message: "Not running" });
    const failing = await run(stub, ["doctor"]);
    assert.equal(failing.code, 1);
    assert.equal(
      failing.stdout,
      "ok    docker   Engine 20.10.24, API 1.41\nFAIL  traefik  Not running\n",
    );
    assert.equal(failing.stderr, "error: 1 check failed\n");
  }));

Deno.test("health and config get", () =>
  withStub(async (stub) => {
    await seed(stub);
    const health = await run(stub, ["health", "acme"]);
    assert.equal(health.stdout, "Pod         Health  Message\nacme/agent  ok      Probed\n");
    assert.equal(stub.requests.at(-1)?.line, "POST /api/v1/health?tenant=acme");
    const config = await run(stub, ["config", "get", "acme/agent", "--format", "json"]);
    assert.deepEqual(JSON.parse(config.stdout), {
      pod: "acme/agent",
      adapter: "openclaw",
      config: { token: "********" },
    });
  }));
