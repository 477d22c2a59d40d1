/**
 * Routing through a real Traefik (built by tests/env/traefik.sh) polling the real control
 * plane's `/traefik/dynamic`, configured by `agentpod traefik config`: two tenants with
 * two pods each and no cross-talk, 404 for an unknown host, a deleted pod's route gone
 * and a new pod routable within pollInterval + 3 s, and a failing store answered with a
 * 5xx while Traefik keeps routing. Pods are the fixture image, each serving its own name.
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { httpGet } from "../raw_http.ts";
import { startTraefik } from "./_traefik.ts";
import {
  createFixturePods,
  freePort,
  type Plane,
  waitFor,
  waitForRunningPods,
  withPlane,
} from "./_harness.ts";

const DOMAIN = "agents.test";
const POLL_S = 1;

/** Creates fixture pods that answer `<tenant>/<pod>` on every path. */
function createNamedPods(plane: Plane, tenant: string, pods: string[]): Promise<void> {
  return createFixturePods(plane, tenant, pods, (pod) => ({
    command: [
      "/bin/sh",
      "-c",
      `echo ${tenant}/${pod} > /tmp/index.html; exec httpd -f -p 8080 -h /tmp`,
    ],
  }));
}

Deno.test("Traefik routes each pod host to its pod, follows changes, survives a store failure", async () => {
  const adminUrl = Deno.env.get("AGENTPOD_TEST_DATABASE_URL") ??
    "postgres://agentpod@127.0.0.1:55432/agentpod_test";
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const dbName = `agentpod_e2e_${crypto.randomUUID().slice(0, 8)}`;
  await admin.unsafe(`create database ${dbName}`);
  const databaseUrl = adminUrl.replace(/\/[^/]*$/, `/${dbName}`);
  try {
    await withPlane({ DATABASE_URL: databaseUrl, AGENTPOD_DOMAIN: DOMAIN }, async (plane) => {
      for (const tenant of ["acme", "mega"]) {
        assert.equal((await plane.cli("tenant", "create", tenant)).code, 0);
        await createNamedPods(plane, tenant, ["one", "two"]);
      }
      await waitForRunningPods(plane, 4);

      const web = freePort();
      const websecure = freePort();
      const traefik = await startTraefik(plane, { web, websecure, pollSeconds: POLL_S });
      try {
        for (const tenant of ["acme", "mega"]) {
          for (const pod of ["one", "two"]) {
            const host = `${pod}.${tenant}.${DOMAIN}`;
            const res = await waitFor(
              `a route to ${host}`,
              async () => {
                const r = await httpGet(web, host);
                return r.status === 200 ? r : undefined;
              },
              15_000,
              200,
            );
            assert.equal(res.body.trim(), `${tenant}/${pod}`, `no cross-talk for ${host}`);
          }
        }
        assert.equal((await httpGet(web, `nope.acme.${DOMAIN}`)).status, 404);
        assert.equal((await httpGet(web, "example.com")).status, 404);

        const doctor = await plane.json<
          { checks: { name: string; ok: boolean; message: string }[] }
        >(
          "doctor",
        );
        assert.match(
          doctor.checks.find((c) => c.name === "traefik")?.message ?? "",
          /last polled \d+ s ago/,
        );

        // A deleted pod's route disappears, a new pod's route appears, within pollInterval + 3 s.
        const bound = (POLL_S + 3) * 1000;
        let start = performance.now();
        assert.equal((await plane.cli("pod", "delete", "acme/two", "--yes")).code, 0);
        await waitFor(
          "the deleted pod's route to go",
          async () => (await httpGet(web, `two.acme.${DOMAIN}`)).status === 404,
          bound,
          100,
        );
        const goneMs = performance.now() - start;
        start = performance.now();
        await createNamedPods(plane, "acme", ["three"]);
        await waitFor(
          "the new pod to be routable",
          async () => {
            const r = await httpGet(web, `three.acme.${DOMAIN}`);
            return r.status === 200 && r.body.trim() === "acme/three";
          },
          bound + 10_000,
          100,
        );
        const newMs = performance.now() - start;
        console.log(
          `route removed in ${Math.round(goneMs)} ms, new route serving in ${Math.round(newMs)} ms`,
        );

        // The store fails: the endpoint answers 5xx and Traefik keeps the last good routes.
        const token = (await Deno.readTextFile(`${plane.dataDir}/traefik.yml`)).match(
          /X-AgentPod-Token: "([^"]+)"/,
        )![1]!;
        const store = postgres(databaseUrl, { max: 1, onnotice: () => {} });
        try {
          await store.unsafe("ALTER TABLE pods RENAME TO pods_away");
          const failing = await fetch(`${plane.url}/traefik/dynamic`, {
            headers: { "X-AgentPod-Token": token },
          });
          assert.ok(failing.status >= 500, `expected a 5xx, got ${failing.status}`);
          await failing.body?.cancel();
          await new Promise((r) => setTimeout(r, (POLL_S + 2) * 1000));
          const still = await httpGet(web, `one.mega.${DOMAIN}`);
          assert.equal(still.status, 200, "Traefik keeps routing while the store fails");
          assert.equal(still.body.trim(), "mega/one");
        } finally {
          await store.unsafe("ALTER TABLE pods_away RENAME TO pods").catch(() => {});
          await store.end();
        }
        const unauthorized = await fetch(`${plane.url}/traefik/dynamic`);
        assert.equal(unauthorized.status, 401);
        await unauthorized.body?.cancel();
        assert.doesNotMatch(traefik.log(), /level=error.*(decode|unmarshal|configuration)/i);
      } finally {
        await traefik.stop();
      }
    });
  } finally {
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
});
