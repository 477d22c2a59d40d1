import assert from "node:assert/strict";
import { KeyedLock, TaskLimit } from "./concurrency.ts";

const tick = () => new Promise((r) => setTimeout(r, 1));

Deno.test("KeyedLock runs one task per key at a time, in order, and survives failures", async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  const task = (name: string, fail = false) => async () => {
    log.push(`${name}+`);
    await tick();
    log.push(`${name}-`);
    if (fail) throw new Error(name);
  };
  await Promise.allSettled([
    lock.run("a", task("a1", true)),
    lock.run("a", task("a2")),
    lock.run("b", task("b1")),
  ]);
  assert.ok(log.indexOf("a1-") < log.indexOf("a2+"), log.join(" "));
  assert.ok(log.indexOf("b1+") < log.indexOf("a1-"), "another key runs in parallel");
});

Deno.test("TaskLimit never runs more than its limit at once", async () => {
  const limit = new TaskLimit(2);
  let running = 0;
  let peak = 0;
  await Promise.all(Array.from({ length: 6 }, () =>
    limit.run(async () => {
      peak = Math.max(peak, ++running);
      await tick();
      running--;
    })));
  assert.equal(peak, 2);
});
