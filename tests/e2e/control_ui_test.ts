/**
 * The Control UI of a real OpenClaw pod in a real browser (headless Chromium), through
 * a real Traefik on the pod's public host: `pod open` gives a one-time link whose
 * browser ends up connected and paired as the owner, with no pairing prompt; a second
 * browser opened with the plain token asks to be paired, its request shows in
 * `pod devices`, and approving it there lets that browser connect.
 *
 * The browser must not look local to the gateway (it refuses a loopback client behind
 * a proxy), so Traefik's TLS entry point listens on port 443 of a test-made veth
 * address and Chromium resolves the pod host to it: its connections come from that
 * non-loopback address.
 * @module
 */
import assert from "node:assert/strict";
import { freePort, type Plane, waitFor, waitPodHealthy, withPlane } from "./_harness.ts";
import { startOutsideClient } from "./_outside.ts";
import { startTraefik } from "./_traefik.ts";
import { openPage } from "./_browser.ts";

const DOMAIN = "agents.test";
const PASSWORD = "control-ui-test-password";
const HOST = `aria.acme.${DOMAIN}`;

interface Pairing {
  pending: { requestId: string; client: string | null; origin: string | null }[];
  paired: { deviceId: string; client: string | null; connected: boolean }[];
}

const devices = (plane: Plane) => plane.json<Pairing>("pod", "devices", "acme/aria");

Deno.test("pod open pairs the customer's browser; a browser's pairing request is approved from AgentPod", async () => {
  await withPlane({ AGENTPOD_DOMAIN: DOMAIN, AGENTPOD_ADMIN_PASSWORD: PASSWORD }, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    const created = await plane.cli("pod", "create", "acme/aria", "--type", "openclaw");
    assert.equal(created.code, 0, created.stderr);
    // Only its link is used: the host side of the veth is the browser's address.
    const link = await startOutsideClient("agentpod/openclaw:2026.9.6", []);
    const traefik = await startTraefik(plane, {
      web: freePort(),
      websecure: 443,
      websecureHost: link.hostAddress,
      pollSeconds: 1,
    });
    const browserOptions = {
      args: [`--host-resolver-rules=MAP ${HOST} ${link.hostAddress}`],
      ignoreHTTPSErrors: true,
      timeoutMs: 30_000,
    };
    let ownerDevice = "";
    try {
      await waitPodHealthy(plane, "acme/aria");
      const before = await devices(plane);
      assert.deepEqual(before.pending, []);
      assert.deepEqual(before.paired.filter((d) => /control-ui/.test(d.client ?? "")), []);

      // The owner's link: paired silently, connected.
      const open = await plane.json<{ url: string; expiresAt: string | null }>(
        "pod",
        "open",
        "acme/aria",
      );
      assert.ok(open.url.startsWith(`https://${HOST}/#`), open.url);
      assert.match(open.url, /bootstrapToken=/);
      {
        await using owner = await openPage(browserOptions);
        await owner.page.goto(open.url);
        const paired = await waitFor(
          "the owner's browser paired and connected",
          async () => {
            const found = await devices(plane);
            return found.paired.find((d) => d.connected && /control-ui/.test(d.client ?? ""));
          },
          60_000,
          1_000,
        );
        assert.ok(paired);
        ownerDevice = paired.deviceId;
        const text = await owner.page.textContent("body") ?? "";
        assert.ok(!/pairing required/i.test(text), "no pairing prompt");
        assert.deepEqual((await devices(plane)).pending, [], "no request was needed");
      }

      // The operator's dashboard, open on the pod's page before any request exists.
      await using admin = await openPage({ timeoutMs: 30_000 });
      await admin.page.goto(`${plane.url}/login?next=/pods/acme/aria`);
      await admin.page.fill("#password", PASSWORD);
      await Promise.all([
        admin.page.waitForURL(`${plane.url}/pods/acme/aria`),
        admin.page.click("[data-testid=login-submit]"),
      ]);
      await admin.page.locator("[data-testid=devices-none]").waitFor();

      // Another browser with the plain token: it asks to be paired.
      const token = (await plane.cli("pod", "token", "acme/aria")).stdout.trim();
      await using guest = await openPage(browserOptions);
      await guest.page.goto(`https://${HOST}/#token=${token}`);
      const request = await waitFor(
        "a pairing request from the browser",
        async () => (await devices(plane)).pending[0],
        60_000,
        1_000,
      );
      assert.match(request.client ?? "", /control-ui/, JSON.stringify(request));
      const table = await plane.cli("pod", "devices", "acme/aria");
      assert.match(table.stdout, new RegExp(request.requestId));
      // It shows up on the dashboard's page by itself; approved there.
      const row = admin.page.locator(
        `[data-testid=device-request][data-request="${request.requestId}"]`,
      );
      await row.waitFor({ timeout: 30_000 });
      await Promise.all([
        admin.page.waitForURL(`${plane.url}/pods/acme/aria`),
        row.locator("[data-testid=device-approve]").click(),
      ]);
      assert.match(await admin.page.locator("[data-testid=flash]").innerText(), /approved/);
      await waitFor(
        "the approved browser connected",
        async () => {
          const found = await devices(plane);
          return found.pending.length === 0 &&
            found.paired.some((d) => d.connected && d.deviceId !== ownerDevice);
        },
        60_000,
        1_000,
      );
      const unknown = await plane.cli("pod", "devices", "reject", "acme/aria", crypto.randomUUID());
      assert.equal(unknown.code, 3, unknown.stderr);
      assert.match(unknown.stderr, /No pending pairing request/);
      const events = await plane.json<{ reason: string; actor: string | null }[]>(
        "events",
        "--pod",
        "acme/aria",
        "--tail",
        "50",
      );
      assert.ok(events.some((e) => e.reason === "OwnerLinkIssued" && e.actor));
      assert.ok(events.some((e) => e.reason === "DeviceApproved" && e.actor));
    } catch (error) {
      console.error(`--- traefik log (tail) ---\n${traefik.log().slice(-3000)}`);
      throw error;
    } finally {
      await traefik.stop();
      await link.remove();
    }
  });
});
