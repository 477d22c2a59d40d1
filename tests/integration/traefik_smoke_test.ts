/**
 * The Traefik binary built by tests/env/traefik.sh routes the way AgentPod will drive it:
 * its HTTP provider polls a token-protected dynamic-configuration endpoint on 127.0.0.1,
 * a `Host(...)` router reaches a backend, unknown hosts get 404, and when the endpoint
 * starts failing Traefik keeps the last good configuration; AgentPod's configuration for
 * an empty fleet is accepted and drops the last route.
 *
 * The binary comes from AGENTPOD_TRAEFIK_BIN, else from `bash tests/env/traefik.sh`
 * (which builds it on first use: several minutes cold).
 * @module
 */
import assert from "node:assert/strict";
import { httpGet as get } from "../raw_http.ts";
import { buildTraefikConfig, DEFAULT_TRAEFIK_SETTINGS } from "../../core/traefik.ts";

const TOKEN = "t1";
const HOST = "a.test.localhost";
const ROUTE_TIMEOUT_MS = 15_000;

async function traefikBinary(): Promise<string> {
  const fromEnv = Deno.env.get("AGENTPOD_TRAEFIK_BIN");
  if (fromEnv) return fromEnv;
  const script = new URL("../env/traefik.sh", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (code !== 0) {
    throw new Error(`tests/env/traefik.sh failed (exit ${code}):\n${text.decode(stderr)}`);
  }
  const path = text.decode(stdout).trim().split("\n").at(-1);
  assert.ok(path, "tests/env/traefik.sh printed no binary path");
  return path;
}

/** A port that was free a moment ago (Traefik must be told its port up front). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Polls until `check` returns true or the deadline passes; returns the last observation. */
async function waitFor<T>(
  observe: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs: number,
): Promise<T | Error> {
  const deadline = Date.now() + timeoutMs;
  let last: T | Error = new Error("never observed");
  while (Date.now() < deadline) {
    try {
      last = await observe();
      if (check(last)) return last;
    } catch (error) {
      last = error instanceof Error ? error : new Error(String(error));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return last;
}

Deno.test("Traefik: HTTP provider with token routes by Host, 404s unknown hosts, keeps last good config", async () => {
  const bin = await traefikBinary();
  const dir = await Deno.makeTempDir({ prefix: "agentpod-traefik-" });
  const servers: Deno.HttpServer[] = [];
  let traefik: Deno.ChildProcess | undefined;
  let output: Promise<string> | undefined;
  const seen = { ok: 0, unauthorized: 0, failed: 0 };
  let failing = false;
  let failed = false;
  try {
    const backend = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("backend-a"),
    );
    servers.push(backend);

    let dynamic: Record<string, unknown> = {
      http: {
        routers: {
          "pod-a": { rule: `Host(\`${HOST}\`)`, entryPoints: ["web"], service: "pod-a" },
        },
        services: {
          "pod-a": {
            loadBalancer: { servers: [{ url: `http://127.0.0.1:${backend.addr.port}` }] },
          },
        },
      },
    };
    const control = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      if (new URL(req.url).pathname !== "/traefik/dynamic") {
        return new Response("not found", { status: 404 });
      }
      if (req.headers.get("x-agentpod-token") !== TOKEN) {
        seen.unauthorized++;
        return new Response("unauthorized", { status: 401 });
      }
      if (failing) {
        seen.failed++;
        return new Response("boom", { status: 500 });
      }
      seen.ok++;
      return Response.json(dynamic);
    });
    servers.push(control);

    const webPort = freePort();
    const configFile = `${dir}/traefik.yml`;
    // checkNewVersion/sendAnonymousUsage off: Traefik must not call out of 127.0.0.1.
    await Deno.writeTextFile(
      configFile,
      [
        "global:",
        "  checkNewVersion: false",
        "  sendAnonymousUsage: false",
        "entryPoints:",
        "  web:",
        `    address: "127.0.0.1:${webPort}"`,
        "providers:",
        "  http:",
        `    endpoint: "http://127.0.0.1:${control.addr.port}/traefik/dynamic"`,
        '    pollInterval: "1s"',
        "    headers:",
        `      X-AgentPod-Token: "${TOKEN}"`,
        "log:",
        "  level: INFO",
        "  noColor: true",
        "",
      ].join("\n"),
    );

    traefik = new Deno.Command(bin, {
      args: [`--configFile=${configFile}`],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      let text = "";
      for await (
        const chunk of stream.pipeThrough(
          new TextDecoderStream() as TransformStream<Uint8Array, string>,
        )
      ) text += chunk;
      return text;
    };
    const child = traefik;
    output = Promise.all([collect(child.stdout), collect(child.stderr)]).then((parts) =>
      parts.join("")
    );

    const routed = await waitFor(
      () => get(webPort, HOST),
      (r) => r.status === 200,
      ROUTE_TIMEOUT_MS,
    );
    assert.ok(!(routed instanceof Error), `Traefik never answered on :${webPort}: ${routed}`);
    assert.equal(routed.status, 200, `Traefik never routed ${HOST}: ${routed.status}`);
    assert.equal(routed.body, "backend-a");
    assert.ok(seen.ok > 0, "Traefik routed without fetching the dynamic configuration?");
    assert.equal(seen.unauthorized, 0, "Traefik called the endpoint without the token");

    const unknown = await get(webPort, "unknown.test.localhost");
    assert.equal(unknown.status, 404);
    assert.notEqual(unknown.body, "backend-a");

    failing = true;
    const failedBefore = seen.failed;
    const polled = await waitFor(
      () => Promise.resolve(seen.failed - failedBefore),
      (n) => n >= 2,
      ROUTE_TIMEOUT_MS,
    );
    assert.ok(
      !(polled instanceof Error) && polled >= 2,
      "Traefik did not poll the failing endpoint twice",
    );
    const after = await get(webPort, HOST);
    assert.equal(after.status, 200, "Traefik dropped its routes when the endpoint failed");
    assert.equal(after.body, "backend-a");
    assert.equal((await get(webPort, "unknown.test.localhost")).status, 404);

    // The last pod deleted: AgentPod's own configuration for an empty fleet is applied
    // (a configuration Traefik cannot decode is logged and the old routes stay).
    failing = false;
    dynamic = buildTraefikConfig([], { ...DEFAULT_TRAEFIK_SETTINGS, domain: "test.localhost" });
    const gone = await waitFor(() => get(webPort, HOST), (r) => r.status === 404, ROUTE_TIMEOUT_MS);
    assert.ok(!(gone instanceof Error), `Traefik stopped answering: ${gone}`);
    assert.equal(gone.status, 404, "the last route stayed after an empty fleet's configuration");
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    if (traefik) {
      const child = traefik;
      const kill = (signal: Deno.Signal) => {
        try {
          child.kill(signal);
        } catch { /* already exited */ }
      };
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), 5_000);
      await child.status;
      clearTimeout(timer);
    }
    const log = await output;
    if (failed && log !== undefined) console.error(`--- traefik output ---\n${log}`);
    if (!failed && log !== undefined) {
      // The endpoint's 500s are expected; nothing AgentPod serves may be refused.
      const refused = log.split("\n").filter((l) => /cannot be|decod|unmarshal/i.test(l));
      assert.deepEqual(refused, [], "Traefik refused a configuration");
    }
    await Promise.all(servers.map((server) => server.shutdown()));
    await Deno.remove(dir, { recursive: true });
  }
});
