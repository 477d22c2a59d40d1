import assert from "node:assert/strict";
import { ApiClient, reasonOf, resolveBaseUrl, resolveToken, tokenFilePath } from "./client.ts";
import { CliError, ExitCode } from "./errors.ts";
import { startApiStub, STUB_TOKEN } from "./_api_stub.ts";

function failure(promise: Promise<unknown>): Promise<CliError> {
  return promise.then(() => assert.fail("resolved"), (e) => e as CliError);
}

const files = (entries: Record<string, string>) => (path: string) => Promise.resolve(entries[path]);

Deno.test("resolveToken() prefers AGENTPOD_TOKEN over the token file", async () => {
  const env = { AGENTPOD_TOKEN: " from-env ", AGENTPOD_DATA_DIR: "/data" };
  const source = await resolveToken(env, files({ "/data/admin-token": "from-file" }));
  assert.deepEqual(source, { token: "from-env", from: "AGENTPOD_TOKEN" });
});

Deno.test("resolveToken() reads <dataDir>/admin-token when the variable is unset", async () => {
  const env = { AGENTPOD_DATA_DIR: "/data", AGENTPOD_TOKEN: "" };
  const source = await resolveToken(env, files({ "/data/admin-token": "from-file\n" }));
  assert.deepEqual(source, { token: "from-file", from: '"/data/admin-token"' });
});

Deno.test("resolveToken() follows the server's data dir rules (XDG, HOME)", () => {
  assert.equal(tokenFilePath({ XDG_DATA_HOME: "/xdg" }), "/xdg/agentpod/admin-token");
  assert.equal(tokenFilePath({ HOME: "/home/u" }), "/home/u/.local/share/agentpod/admin-token");
  // A variable the CLI does not use must not break it.
  assert.equal(
    tokenFilePath({ HOME: "/h", DOCKER_HOST: "nonsense" }),
    "/h/.local/share/agentpod/admin-token",
  );
});

Deno.test("resolveToken() without a token fails with exit 4 and names where it looked", async () => {
  const error = await resolveToken({ AGENTPOD_DATA_DIR: "/nowhere" }, files({})).catch((e) => e);
  assert.ok(error instanceof CliError);
  assert.equal(error.exitCode, ExitCode.auth);
  assert.match(
    error.message,
    /AGENTPOD_TOKEN is not set and "\/nowhere\/admin-token" does not exist/,
  );
});

Deno.test("resolveToken() reads the real file system by default", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/admin-token`, "disk-token\n");
    assert.equal((await resolveToken({ AGENTPOD_DATA_DIR: dir })).token, "disk-token");
    await Deno.remove(`${dir}/admin-token`);
    await assert.rejects(() => resolveToken({ AGENTPOD_DATA_DIR: dir }), /does not exist/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveBaseUrl() defaults to 127.0.0.1:7070 and rejects non-http URLs", () => {
  assert.equal(resolveBaseUrl({}), "http://127.0.0.1:7070");
  assert.equal(
    resolveBaseUrl({ AGENTPOD_URL: "https://ap.example.com/" }),
    "https://ap.example.com",
  );
  assert.throws(
    () => resolveBaseUrl({ AGENTPOD_URL: "localhost:7070" }),
    (e: CliError) => e.exitCode === ExitCode.usage,
  );
});

Deno.test("ApiClient maps API error statuses to exit codes and keeps the server's message", async () => {
  const stub = startApiStub();
  try {
    const client = new ApiClient(stub.url, { token: STUB_TOKEN, from: "AGENTPOD_TOKEN" });

    const notFound = await failure(client.request("GET", "/tenants/acme/pods/agent"));
    assert.equal(notFound.exitCode, ExitCode.notFound);
    assert.equal(notFound.message, 'Pod "acme/agent" not found');

    const invalid = await failure(client.request("POST", "/tenants", { body: { id: "bad" } }));
    assert.equal(invalid.exitCode, ExitCode.failure);
    assert.deepEqual(invalid.details, ["id: Reserved"]);

    await client.request("POST", "/tenants", { body: { id: "acme" } });
    const conflict = await failure(client.request("POST", "/tenants", { body: { id: "acme" } }));
    assert.equal(conflict.exitCode, ExitCode.failure);
    assert.equal(conflict.status, 409);

    const unavailable = await failure(client.request("GET", "/unavailable"));
    assert.equal(unavailable.exitCode, ExitCode.failure);
    assert.equal(unavailable.message, "Docker is unreachable");

    const wrong = new ApiClient(stub.url, { token: "wrong", from: "AGENTPOD_TOKEN" });
    const auth = await failure(wrong.request("GET", "/pods"));
    assert.equal(auth.exitCode, ExitCode.auth);
    assert.match(auth.message, /rejected the token from AGENTPOD_TOKEN/);
  } finally {
    await stub.close();
  }
});

Deno.test("ApiClient reports an unreachable server as exit 1 with a hint", async () => {
  // A port that was just free: bind, note it, release.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const url = `http://127.0.0.1:${port}`;
  const client = new ApiClient(url, { token: "t", from: "AGENTPOD_TOKEN" });
  const error = await failure(client.request("GET", "/pods"));
  assert.equal(error.exitCode, ExitCode.failure);
  assert.equal(
    error.message,
    `Cannot reach AgentPod at "${url}": connection refused — is "agentpod serve" running?`,
  );
});

Deno.test("ApiClient gives up after its timeout", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return new Response("[]");
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const client = new ApiClient(url, { token: "t", from: "AGENTPOD_TOKEN" }, 50);
    const error = await failure(client.request("GET", "/pods"));
    assert.equal(error.exitCode, ExitCode.failure);
    assert.match(error.message, /did not answer within 0.05 s/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("reasonOf() shortens common network errors", () => {
  assert.equal(
    reasonOf(new TypeError("tcp connect error: Connection refused (os error 111)")),
    "connection refused",
  );
  assert.equal(
    reasonOf(new Error("x", { cause: new Error("failed to lookup address") })),
    "host not found",
  );
  assert.equal(reasonOf(new Error("odd")), "odd");
});
