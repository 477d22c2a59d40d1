/**
 * The pod's own credentials on a real OpenClaw gateway, checked the way a customer's
 * client meets it: `openclaw gateway health --url wss://<pod host>:<port> --token …` run
 * from the pod's image in a container with a non-loopback address (a veth link, see
 * _outside.ts) through a real Traefik's TLS entry point. `pod token` prints the token
 * the gateway accepts; `pod token --rotate` gives one it accepts after the restart,
 * while the old one is refused; both are recorded with who asked.
 * @module
 */
import assert from "node:assert/strict";
import { freePort, waitFor, waitPodHealthy, withPlane } from "./_harness.ts";
import { type OutsideClient, startOutsideClient } from "./_outside.ts";
import { startTraefik } from "./_traefik.ts";

const DOMAIN = "agents.test";
const HOST = `aria.acme.${DOMAIN}`;
const IMAGE = "agentpod/openclaw:2026.9.6";

/** `openclaw gateway health` from the outside client; its exit code and JSON. */
async function gatewayHealth(client: OutsideClient, port: number, token: string) {
  const out = await client.exec(
    [
      "node",
      "openclaw.mjs",
      "gateway",
      "health",
      "--url",
      `wss://${HOST}:${port}`,
      "--token",
      token,
      "--json",
    ],
    // Traefik's default certificate: this test has no resolver.
    { NODE_TLS_REJECT_UNAUTHORIZED: "0" },
  );
  return { code: out.code, text: out.stdout + out.stderr };
}

Deno.test("pod token is what the gateway accepts from outside; --rotate replaces it", async () => {
  await withPlane({ AGENTPOD_DOMAIN: DOMAIN }, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    const created = await plane.cli("pod", "create", "acme/aria", "--type", "openclaw");
    assert.equal(created.code, 0, created.stderr);
    const client = await startOutsideClient(IMAGE, [HOST]);
    const websecure = freePort();
    const traefik = await startTraefik(plane, {
      web: freePort(),
      websecure,
      websecureHost: client.hostAddress,
      pollSeconds: 1,
    });
    try {
      await waitPodHealthy(plane, "acme/aria");
      const token = (await plane.cli("pod", "token", "acme/aria")).stdout.trim();
      assert.ok(token.length >= 32, "a token");
      const first = await waitFor(
        "gateway health through Traefik from outside",
        async () => {
          const health = await gatewayHealth(client, websecure, token);
          return health.code === 0 ? health : undefined;
        },
        60_000,
        2_000,
      );
      assert.match(first.text, /"ok":\s*true/);

      const rotated = await plane.json<{ token: string; effect: string }>(
        "pod",
        "token",
        "acme/aria",
        "--rotate",
      );
      assert.notEqual(rotated.token, token);
      assert.equal(rotated.effect, "restart");
      await waitPodHealthy(plane, "acme/aria");
      const fresh = await waitFor(
        "the rotated token accepted",
        async () => {
          const health = await gatewayHealth(client, websecure, rotated.token);
          return health.code === 0 ? health : undefined;
        },
        60_000,
        2_000,
      );
      assert.match(fresh.text, /"ok":\s*true/);
      const old = await gatewayHealth(client, websecure, token);
      assert.notEqual(old.code, 0, "the old token is refused");
      assert.match(old.text, /token|auth|unauthori[sz]ed/i);
      assert.equal((await plane.cli("pod", "token", "acme/aria")).stdout.trim(), rotated.token);

      const events = await plane.json<{ reason: string; actor: string | null }[]>(
        "events",
        "--pod",
        "acme/aria",
        "--tail",
        "50",
      );
      for (const reason of ["TokenRevealed", "TokenRotated"]) {
        const event = events.find((e) => e.reason === reason);
        assert.ok(event?.actor, `${reason} with who asked: ${JSON.stringify(events)}`);
      }
    } catch (error) {
      console.error(`--- traefik log (tail) ---\n${traefik.log().slice(-3000)}`);
      throw error;
    } finally {
      await traefik.stop();
      await client.remove();
    }
  });
});
