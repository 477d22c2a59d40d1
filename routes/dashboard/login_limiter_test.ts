import assert from "node:assert/strict";
import { LoginLimiter } from "./login_limiter.ts";

Deno.test("LoginLimiter blocks an address after 5 failures within a minute", () => {
  const limiter = new LoginLimiter();
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(limiter.check("10.0.0.1", 1_000 + i), { allowed: true });
    limiter.fail("10.0.0.1", 1_000 + i);
  }
  assert.deepEqual(limiter.check("10.0.0.1", 2_000), { allowed: false, retryAfterSeconds: 59 });
  assert.deepEqual(limiter.check("10.0.0.2", 2_000), { allowed: true });
});

Deno.test("LoginLimiter lets the address in again once the window has passed", () => {
  const limiter = new LoginLimiter({ limit: 2, windowMs: 10_000 });
  limiter.fail("a", 0);
  limiter.fail("a", 5_000);
  assert.equal(limiter.check("a", 9_000).allowed, false);
  assert.deepEqual(limiter.check("a", 10_001), { allowed: true });
  limiter.fail("a", 10_001);
  assert.equal(limiter.check("a", 10_002).allowed, false);
});

Deno.test("LoginLimiter forgets failures after a successful sign-in", () => {
  const limiter = new LoginLimiter({ limit: 2 });
  limiter.fail("a", 0);
  limiter.succeed("a");
  limiter.fail("a", 1);
  assert.deepEqual(limiter.check("a", 2), { allowed: true });
});

Deno.test("LoginLimiter stays bounded when many addresses fail", () => {
  const limiter = new LoginLimiter({ maxClients: 10 });
  for (let i = 0; i < 100; i++) limiter.fail(`10.0.0.${i}`, i);
  // The newest address is still tracked, the oldest were dropped.
  for (let i = 0; i < 4; i++) limiter.fail("10.0.0.99", 100 + i);
  assert.equal(limiter.check("10.0.0.99", 200).allowed, false);
  assert.equal(limiter.check("10.0.0.0", 200).allowed, true);
});
