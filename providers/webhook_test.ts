/**
 * Tests: a signed message verifies with the standardwebhooks package; a changed body, a
 * wrong secret or an old timestamp does not; a refused port is an outcome, not a throw.
 * @module
 */
import assert from "node:assert/strict";
import { newWebhookSecret, postWebhook, signWebhook, verifyWebhook } from "./webhook.ts";

Deno.test("signWebhook: Standard Webhooks headers that verify, and only for that body", () => {
  const secret = newWebhookSecret();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  const now = new Date();
  const body = '{"type":"pod.failed"}';
  const headers = signWebhook(secret, "msg_1", now, body);
  assert.equal(headers["webhook-id"], "msg_1");
  assert.equal(headers["webhook-timestamp"], String(Math.floor(now.getTime() / 1000)));
  assert.match(headers["webhook-signature"]!, /^v1,/);
  assert.deepEqual(verifyWebhook(secret, body, headers), { type: "pod.failed" });
  assert.throws(() => verifyWebhook(secret, '{"type":"pod.recovered"}', headers));
  assert.throws(() => verifyWebhook(newWebhookSecret(), body, headers));
  const old = signWebhook(secret, "msg_1", new Date(now.getTime() - 3_600_000), body);
  assert.throws(() => verifyWebhook(secret, body, old), "a replayed old message");
});

Deno.test("postWebhook: a refused connection and a timeout are outcomes with a reason", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const request = {
    url: `http://127.0.0.1:${port}/hook`,
    id: "msg_1",
    timestamp: new Date(),
    body: "{}",
    secret: newWebhookSecret(),
    timeoutMs: 300,
  };
  const refused = await postWebhook(request);
  assert.equal(refused.status, null);
  assert.match(refused.error!, /Cannot reach 127\.0\.0\.1/);
  // A receiver that never answers.
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  const timedOut = await postWebhook({
    ...request,
    url: `http://127.0.0.1:${(silent.addr as Deno.NetAddr).port}/hook`,
  });
  assert.deepEqual(timedOut, { status: null, error: "No answer within 300 ms" });
  silent.close();
  for (const conn of held) conn.close();
});
