import assert from "node:assert/strict";
import { createSecretBox, loadSecretKey } from "./secrets.ts";

Deno.test("SecretBox round-trips a value and hides it", async () => {
  const box = await createSecretBox(crypto.getRandomValues(new Uint8Array(32)));
  const blob = await box.seal({ token: "s3cret-token" });
  assert.ok(!new TextDecoder().decode(blob).includes("s3cret-token"));
  assert.deepEqual(await box.open(blob), { token: "s3cret-token" });
});

Deno.test("SecretBox refuses a tampered blob and another key", async () => {
  const box = await createSecretBox(crypto.getRandomValues(new Uint8Array(32)));
  const other = await createSecretBox(crypto.getRandomValues(new Uint8Array(32)));
  const blob = await box.seal("x");
  const tampered = blob.slice();
  tampered[tampered.length - 1]! ^= 1;
  await assert.rejects(box.open(tampered));
  await assert.rejects(other.open(blob));
});

Deno.test("loadSecretKey() creates a 0600 key file once and reuses it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await loadSecretKey(dir);
    assert.equal((await Deno.stat(`${dir}/secret.key`)).mode! & 0o777, 0o600);
    assert.deepEqual(await loadSecretKey(dir), first);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadSecretKey() prefers a valid AGENTPOD_SECRET_KEY and rejects a short one", async () => {
  const key = new Uint8Array(32).fill(7);
  assert.deepEqual(await loadSecretKey("/nonexistent", btoa(String.fromCharCode(...key))), key);
  await assert.rejects(loadSecretKey("/nonexistent", btoa("short")), /32 bytes/);
});
