import assert from "node:assert/strict";
import { healthRoutes } from "./health.ts";

Deno.test("/readyz answers 200 when every check passes", async () => {
  const app = healthRoutes({ database: () => Promise.resolve(), docker: () => Promise.resolve() });
  const res = await app.request("/readyz");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    ready: true,
    checks: { database: { ok: true }, docker: { ok: true } },
  });
});

Deno.test("/readyz answers 503 and names the failing dependency", async () => {
  const app = healthRoutes({
    database: () => Promise.resolve(),
    docker: () => Promise.reject(new Error('Cannot reach Docker Engine at "unix:///x.sock"')),
  });
  const res = await app.request("/readyz");
  assert.equal(res.status, 503);
  const body = await res.json();
  assert.equal(body.ready, false);
  assert.match(body.checks.docker.error, /unix:\/\/\/x\.sock/);
});

Deno.test("/healthz answers 200 without touching dependencies", async () => {
  const app = healthRoutes({ database: () => Promise.reject(new Error("down")) });
  assert.equal((await app.request("/healthz")).status, 200);
});
