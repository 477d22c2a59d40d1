/**
 * WebSockets through a real Traefik to a real OpenClaw pod: the gateway's `connect`
 * handshake answers `hello-ok` on the plain and the TLS entry point (no pairing, origin
 * or proxy-attribution error), the pod's allowed origins are still enforced, and an open
 * WebSocket stays up for 60 s while five other pods are created and deleted (each change
 * is a new dynamic configuration for Traefik).
 *
 * The client is npm `ws`: it can set `Host` and SNI, which Deno's WebSocket cannot. It
 * plays a public client behind a local hop: it sends `X-Forwarded-For: 203.0.113.66`,
 * which Traefik keeps because the static configuration trusts 127.0.0.1
 * (`agentpod traefik config --trusted-ips`); see docs/websocket-through-traefik.md.
 * @module
 */
import assert from "node:assert/strict";
import WebSocket from "ws";
import { connectRequest, openClawHandshake } from "../../adapters/openclaw_probe.ts";
import { httpGet } from "../raw_http.ts";
import {
  createFixturePods,
  dockerCli,
  freePort,
  type Plane,
  waitFor,
  withPlane,
} from "./_harness.ts";
import { startTraefik } from "./_traefik.ts";

const DOMAIN = "agents.test";
const HOST = `aria.acme.${DOMAIN}`;
/** A public client address (TEST-NET-3). */
const CLIENT = "203.0.113.66";
const HOLD_MS = 60_000;

interface PodJson {
  status: string;
  health: string | null;
}

/** The pod's gateway token, read from the config in its volume. */
async function gatewayToken(container: string): Promise<string> {
  const out = await dockerCli("exec", container, "cat", "/home/node/.openclaw/openclaw.json");
  assert.equal(out.code, 0, out.stderr);
  const token = JSON.parse(out.stdout).gateway?.auth?.token;
  assert.equal(typeof token, "string");
  return token;
}

function socketTo(url: string, origin?: string): WebSocket {
  return new WebSocket(url, {
    headers: {
      Host: HOST,
      "X-Forwarded-For": CLIENT,
      ...(origin ? { Origin: origin } : {}),
    },
    servername: HOST,
    // Traefik's default certificate (no resolver in this test).
    rejectUnauthorized: false,
  });
}

function handshake(url: string, token: string, origin?: string) {
  return openClawHandshake({
    open: () => socketTo(url, origin),
    token,
    signal: AbortSignal.timeout(10_000),
    timeoutMs: 10_000,
  });
}

/**
 * Opens a WebSocket, completes `connect`, then sends a `health` request every 10 s for
 * `holdMs`; resolves with what happened. Rejects if the socket closes early.
 */
function holdSession(url: string, token: string, holdMs: number) {
  return new Promise<{ hello: boolean; answered: number; sent: number; closedEarly: boolean }>(
    (resolve, reject) => {
      const socket = socketTo(url, `https://${HOST}`);
      const connectId = crypto.randomUUID();
      let hello = false;
      let sent = 0;
      let answered = 0;
      let timer: ReturnType<typeof setInterval> | undefined;
      let holdTimer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const finish = (closedEarly: boolean) => {
        if (done) return;
        done = true;
        clearInterval(timer);
        clearTimeout(holdTimer);
        resolve({ hello, answered, sent, closedEarly });
      };
      socket.on("error", (error: Error) => {
        if (!done) reject(error);
      });
      socket.on("close", () => finish(true));
      socket.on("message", (data: unknown) => {
        const frame = JSON.parse(String(data));
        if (frame.type === "event" && frame.event === "connect.challenge") {
          socket.send(JSON.stringify(connectRequest(connectId, token)));
        } else if (frame.type === "res" && frame.id === connectId) {
          hello = frame.ok === true && frame.payload?.type === "hello-ok";
          if (!hello) return socket.close(1000, "connect refused");
          timer = setInterval(() => {
            sent++;
            socket.send(JSON.stringify({ type: "req", id: `h${sent}`, method: "health" }));
          }, 10_000);
          holdTimer = setTimeout(() => {
            const open = socket.readyState === WebSocket.OPEN;
            finish(!open);
            socket.close(1000, "held");
          }, holdMs);
        } else if (frame.type === "res" && String(frame.id).startsWith("h")) {
          answered++;
        }
      });
    },
  );
}

async function waitHealthy(plane: Plane, pod: string): Promise<void> {
  await waitFor(
    `${pod} running and healthy`,
    async () => {
      const status = await plane.json<PodJson>("pod", "status", pod);
      return status.status === "running" && status.health === "ok";
    },
    150_000,
    500,
  );
}

Deno.test("WebSocket connect through Traefik reaches an OpenClaw pod and stays up while pods come and go", async () => {
  await withPlane({ AGENTPOD_DOMAIN: DOMAIN }, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    assert.equal((await plane.cli("tenant", "create", "churn")).code, 0);
    const created = await plane.cli("pod", "create", "acme/aria", "--type", "openclaw");
    assert.equal(created.code, 0, created.stderr);

    const web = freePort();
    const websecure = freePort();
    const traefik = await startTraefik(plane, {
      web,
      websecure,
      pollSeconds: 1,
      trustedIps: "127.0.0.1/32,::1/128",
    });
    try {
      // The control plane's own probe (hello-ok over the published port) still works
      // with the gateway trusting its network's gateway address.
      await waitHealthy(plane, "acme/aria");
      const token = await gatewayToken("agentpod-acme-aria");

      // Plain HTTP through Traefik: the gateway attributes the request and is ready.
      const ready = await waitFor(
        "/readyz through Traefik",
        async () => {
          const r = await httpGet(web, HOST, "/readyz", { "X-Forwarded-For": CLIENT });
          return r.status === 200 ? r : undefined;
        },
        15_000,
        200,
      );
      assert.equal(ready.status, 200);

      const plain = await handshake(`ws://127.0.0.1:${web}/`, token, `https://${HOST}`);
      assert.equal(plain.healthy, true, plain.message);
      assert.match(plain.message, /^Gateway is ready \(OpenClaw .+, protocol 4\)$/);
      const tls = await handshake(`wss://127.0.0.1:${websecure}/`, token, `https://${HOST}`);
      assert.equal(tls.healthy, true, tls.message);
      const noOrigin = await handshake(`ws://127.0.0.1:${web}/`, token);
      assert.equal(noOrigin.healthy, true, noOrigin.message);
      // The pod's allowed origins still hold: another site's page is refused.
      const foreign = await handshake(`ws://127.0.0.1:${web}/`, token, "https://evil.example");
      assert.equal(foreign.healthy, false, foreign.message);
      assert.match(foreign.message, /origin|1008/i);

      // An open WebSocket survives 60 s of route changes for other pods.
      const started = performance.now();
      const session = holdSession(`ws://127.0.0.1:${web}/`, token, HOLD_MS);
      const churn = ["c1", "c2", "c3", "c4", "c5"];
      await createFixturePods(plane, "churn", churn);
      await waitFor(
        "five churn pods routable",
        async () => {
          for (const pod of churn) {
            if ((await httpGet(web, `${pod}.churn.${DOMAIN}`)).status !== 200) return false;
          }
          return true;
        },
        30_000,
        250,
      );
      for (const pod of churn) {
        assert.equal((await plane.cli("pod", "delete", `churn/${pod}`, "--yes")).code, 0);
      }
      await waitFor(
        "churn pods gone",
        async () => {
          const pods = await plane.json<unknown[]>("pod", "list", "--tenant", "churn");
          return pods.length === 0;
        },
        30_000,
        250,
      );
      const held = await session;
      const heldMs = performance.now() - started;
      console.log(
        `WebSocket held ${
          Math.round(heldMs / 1000)
        } s; ${held.answered}/${held.sent} health requests answered`,
      );
      assert.equal(held.hello, true, "connect → hello-ok on the held socket");
      assert.equal(held.closedEarly, false, "the held WebSocket stayed open");
      assert.ok(heldMs >= HOLD_MS, `held ${heldMs} ms`);
      assert.ok(held.sent >= 5, `sent ${held.sent}`);
      assert.equal(held.answered, held.sent, "every request on the held socket was answered");
      assert.doesNotMatch(traefik.log(), /level=error/i, traefik.log().slice(-2000));
    } finally {
      await traefik.stop();
    }
  });
});
