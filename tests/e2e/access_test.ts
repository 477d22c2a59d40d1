/**
 * Access for teams, end to end on a real control plane (PGlite, and a PostgreSQL server):
 * a tenant-scoped viewer token sees only its tenant's rows on every list, detail and
 * stream endpoint (every id asserted, the SSE stream for 10 s while the other tenant's
 * pods change), another tenant's pod is 404, any write is 403; an operator restarts its
 * own pod and not another tenant's; the audit trail names who did it; unknown, revoked
 * and expired tokens are 401. And the database holds no secret in clear (pg_dump; the
 * PGlite data files).
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import {
  createFixturePods,
  type Plane,
  waitForRunningPods,
  withPlane,
  withTestDatabase,
} from "./_harness.ts";

interface Answer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

function client(plane: Plane, token: string | undefined) {
  return async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${plane.url}/api/v1${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        "content-type": "application/json",
      },
      body: body === undefined || method === "GET" ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch { /* NDJSON or empty */ }
    return { status: res.status, body: parsed };
  };
}

async function createToken(plane: Plane, ...args: string[]): Promise<string> {
  const created = await plane.json<{ token: string }>("token", "create", ...args);
  assert.match(created.token, /^ap_/);
  return created.token;
}

/** SSE messages of `path` read as `token` for `ms`. */
async function readStream(plane: Plane, token: string, ms: number) {
  const res = await fetch(`${plane.url}/api/v1/events/stream`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(ms),
  });
  assert.equal(res.status, 200);
  const messages: { event: string; data: Record<string, unknown> }[] = [];
  let text = "";
  try {
    for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) text += chunk;
  } catch { /* the timeout ends it */ }
  for (const block of text.split("\n\n")) {
    const event = /^event: (.+)$/m.exec(block)?.[1];
    const data = /^data: (.+)$/m.exec(block)?.[1];
    if (event && data) messages.push({ event, data: JSON.parse(data) });
  }
  return messages;
}

/**
 * The whole acceptance on one plane; `expire` makes a token expire in the database
 * (only where the test can reach it: the PostgreSQL server).
 */
async function tenantIsolation(plane: Plane, expire?: (name: string) => Promise<void>) {
  for (const t of ["a", "b"]) assert.equal((await plane.cli("tenant", "create", t)).code, 0);
  await createFixturePods(plane, "a", ["web"]);
  await createFixturePods(plane, "b", ["web", "api"]);
  await waitForRunningPods(plane, 3);
  const viewerSecret = await createToken(
    plane,
    "--name",
    "viewer-a",
    "--tenant",
    "a",
    "--role",
    "viewer",
  );
  const viewer = client(plane, viewerSecret);
  const operatorSecret = await createToken(
    plane,
    "--name",
    "op-a",
    "--tenant",
    "a",
    "--role",
    "operator",
  );
  const operator = client(plane, operatorSecret);
  const onlyA = (rows: { tenant: string | null }[], what: string) => {
    assert.ok(rows.length > 0, `${what}: some rows`);
    for (const row of rows) assert.equal(row.tenant, "a", `${what}: ${JSON.stringify(row)}`);
  };

  // Reads: every row of every answer is tenant a's.
  const tenants = await viewer("GET", "/tenants");
  assert.equal(tenants.status, 200);
  assert.deepEqual(tenants.body.map((t: { id: string }) => t.id), ["a"]);
  const pods = await viewer("GET", "/pods");
  assert.equal(pods.status, 200);
  onlyA(pods.body, "GET /pods");
  assert.equal(pods.body.length, 1);
  const status = await viewer("GET", "/tenants/a");
  assert.equal(status.status, 200);
  onlyA(status.body.pods, "GET /tenants/a");
  assert.equal((await viewer("GET", "/tenants/a/pods/web")).body.tenant, "a");
  assert.equal((await viewer("GET", "/tenants/a/pods/web/config")).body.pod, "a/web");
  assert.equal((await viewer("GET", "/tenants/a/pods/web/logs?tail=5")).status, 200);
  const events = await viewer("GET", "/events?tail=500");
  onlyA(events.body, "GET /events");
  assert.deepEqual((await viewer("GET", "/events?tail=500&tenant=b")).body, []);

  // Tenant b does not exist for it: 404, as for a pod that does not exist.
  for (
    const path of [
      "/tenants/b",
      "/pods?tenant=b",
      "/tenants/b/pods/web",
      "/tenants/b/pods/web/config",
      "/tenants/b/pods/web/logs",
      "/events?pod=b/web",
      "/tenants/a/pods/nope",
    ]
  ) {
    const answer = await viewer("GET", path);
    assert.equal(answer.status, 404, `GET ${path}: ${JSON.stringify(answer.body)}`);
  }
  // Any write is 403 for a viewer; control-plane work is 403 for every tenant token.
  for (
    const [method, path, body] of [
      ["POST", "/tenants/a/pods/web/restart"],
      ["POST", "/tenants/a/pods/web/stop"],
      ["PATCH", "/tenants/a/pods/web/config", { set: { "env.X": "1" } }],
      ["DELETE", "/tenants/a/pods/web"],
      ["POST", "/tenants/b/pods/web/restart"],
      ["POST", "/tenants", { id: "c" }],
      ["GET", "/tokens"],
      ["POST", "/reconcile"],
      ["GET", "/rollouts"],
      ["GET", "/doctor"],
      ["GET", "/tenants/a/pods/web/token"],
    ] as [string, string, unknown?][]
  ) {
    const answer = await viewer(method, path, body);
    assert.equal(answer.status, 403, `${method} ${path}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.error.code, "forbidden");
  }
  for (
    const [method, path] of [
      ["POST", "/tenants/a/pods"],
      ["GET", "/tokens"],
      ["GET", "/migrate/discover"],
      ["GET", "/tenants/a/pods/web/token"],
    ] as [string, string][]
  ) {
    assert.equal((await operator(method, path, { name: "x" })).status, 403, `${method} ${path}`);
  }

  // The stream, 10 s, while b's pods change and the operator restarts a's pod.
  const before = new Date().toISOString();
  const stream = readStream(plane, viewerSecret, 10_000);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal((await plane.cli("pod", "restart", "b/web")).code, 0);
  assert.equal((await plane.cli("pod", "stop", "b/api")).code, 0);
  const restarted = await operator("POST", "/tenants/a/pods/web/restart");
  assert.equal(restarted.status, 202, JSON.stringify(restarted.body));
  const refused = await operator("POST", "/tenants/b/pods/web/restart");
  assert.equal(refused.status, 404, "an operator of a cannot restart b's pod");
  assert.equal((await plane.cli("pod", "start", "b/api")).code, 0);
  const messages = await stream;
  const podMessages = messages.filter((m) => m.event === "pod" || m.event === "pod-event");
  assert.ok(
    podMessages.some((m) => m.data.reason === "RestartRequested"),
    `the stream showed a's restart: ${JSON.stringify(messages)}`,
  );
  for (const m of messages) {
    assert.equal(m.data.tenant, "a", `stream message from another tenant: ${JSON.stringify(m)}`);
  }
  // The admin saw b's changes meanwhile (the stream had something to leak).
  const all = await plane.json<
    { tenant: string; reason: string; actor: string | null; time: string }[]
  >(
    "events",
    "--tail",
    "200",
  );
  assert.ok(all.some((e) => e.tenant === "b" && e.time >= before && e.reason === "StopRequested"));

  // Audit: who did it.
  const asked = all.find((e) => e.tenant === "a" && e.reason === "RestartRequested");
  assert.equal(asked?.actor, "op-a");
  assert.ok(all.some((e) => e.reason === "TokenCreated" && e.actor !== null));
  assert.ok(all.some((e) => e.reason === "StopRequested" && e.actor?.startsWith("admin")));

  // The CLI says which failure it is; a tenant token's CLI sees only its tenant.
  const viewerEnv = { ...plane.env, AGENTPOD_TOKEN: viewerSecret };
  const asViewer = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../cli.ts", import.meta.url).pathname, ...args],
      env: viewerEnv,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const listed = await asViewer("pod", "list", "--format", "json");
  assert.equal(listed.code, 0);
  onlyA(JSON.parse(new TextDecoder().decode(listed.stdout)), "CLI pod list");
  const denied = await asViewer("pod", "restart", "a/web");
  assert.notEqual(denied.code, 0);
  assert.match(new TextDecoder().decode(denied.stderr), /Not allowed: .*viewer/);

  // 401: none, unknown, revoked, expired.
  assert.equal((await client(plane, undefined)("GET", "/pods")).status, 401);
  assert.equal((await client(plane, "ap_nope")("GET", "/pods")).status, 401);
  // The operator probes its tenant's pods only; it may not name an image (shared host).
  const probed = await operator("POST", "/health");
  assert.equal(probed.status, 200, JSON.stringify(probed.body));
  assert.ok(probed.body.length > 0);
  for (const report of probed.body) assert.match(report.pod, /^a\//);
  assert.equal((await operator("POST", "/health?tenant=b")).status, 404);
  const image = await operator("PATCH", "/tenants/a/pods/web/config", {
    set: [{ path: "image", value: "someone-elses:private" }],
  });
  assert.equal(image.status, 403, JSON.stringify(image.body));
  const env = await operator("PATCH", "/tenants/a/pods/web/config", {
    set: [{ path: "healthPath", value: "/index.html" }],
  });
  assert.equal(env.status, 200, JSON.stringify(env.body));

  // A stream opened with a token ends when the token is revoked.
  const open = await fetch(`${plane.url}/api/v1/events/stream`, {
    headers: { authorization: `Bearer ${operatorSecret}` },
  });
  assert.equal(open.status, 200);
  const ended = (async () => {
    for await (const _ of open.body!) { /* drain until the server ends it */ }
    return true;
  })();
  const revokedAt = Date.now();
  assert.equal((await plane.cli("token", "revoke", "op-a")).code, 0);
  const closed = await Promise.race([
    ended,
    new Promise<false>((resolve) => setTimeout(() => resolve(false), 25_000)),
  ]);
  assert.ok(closed, "the revoked token's stream was ended");
  assert.ok(Date.now() - revokedAt < 25_000);
  const revoked = await operator("GET", "/pods");
  assert.equal(revoked.status, 401);
  assert.match(revoked.body.error.message, /revoked/);
  const list = await plane.json<{ name: string; lastUsedAt: string | null }[]>("token", "list");
  assert.ok(list.find((t) => t.name === "viewer-a")?.lastUsedAt, "last use recorded");
  assert.ok(!JSON.stringify(list).includes("ap_"), "no secret in the list");
  if (expire) {
    await expire("viewer-a");
    const expired = await viewer("GET", "/pods");
    assert.equal(expired.status, 401);
    assert.match(expired.body.error.message, /expired/);
  }
}

Deno.test("[pglite] a tenant's viewer sees only its tenant everywhere; writes 403; 401s", async () => {
  await withPlane({}, (plane) => tenantIsolation(plane));
});

Deno.test("[postgres] a tenant's viewer sees only its tenant everywhere; writes 403; 401s; expiry", async () => {
  await withTestDatabase(async (url) => {
    await withPlane({ DATABASE_URL: url }, async (plane) => {
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await tenantIsolation(plane, async (name) => {
          await sql`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE name = ${name}`;
        });
      } finally {
        await sql.end();
      }
    });
  });
});
