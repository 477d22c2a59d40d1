/**
 * Tests: the OpenClaw drain retries while the gateway is busy (after its retryAfterMs),
 * succeeds on `ready`, and gives up at its deadline or on a failing CLI with a sentence.
 * @module
 */
import assert from "node:assert/strict";
import { drainOpenClaw, suspendCommand } from "./openclaw_drain.ts";

function clock() {
  let now = 0;
  return {
    now: () => now,
    sleep: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
  };
}

const answer = (body: unknown, exitCode = 0) => ({
  exitCode,
  stdout: `OpenClaw banner\n${JSON.stringify(body)}`,
  stderr: "",
});

Deno.test("drainOpenClaw() retries while busy and is drained once the gateway is ready", async () => {
  const seen: string[][] = [];
  const answers = [
    answer({ status: "busy", retryAfterMs: 250, blockers: [{ kind: "root-request", count: 1 }] }),
    answer({ status: "busy", retryAfterMs: 250, blockers: [] }),
    answer({ status: "ready", suspensionId: "s1", blockers: [] }),
  ];
  const c = clock();
  const result = await drainOpenClaw(18789, (command) => {
    seen.push(command);
    return Promise.resolve(answers.shift()!);
  }, { timeoutMs: 20_000, ...c });
  assert.deepEqual(result, { drained: true, message: "Drained (attempt 3)" });
  assert.equal(c.now(), 500, "waited as the gateway asked");
  assert.deepEqual(seen[0]!.slice(0, 7), suspendCommand(18789, "x").slice(0, 7));
  const params = JSON.parse(seen[0]!.at(-1)!);
  assert.deepEqual([params.drain, params.terminalPolicy], [true, "terminate"]);
  assert.equal(new Set(seen.map((s) => JSON.parse(s.at(-1)!).requestId)).size, 1, "one request id");
});

Deno.test("drainOpenClaw() stops trying at its deadline and says why", async () => {
  const c = clock();
  const busy = await drainOpenClaw(
    18789,
    () =>
      Promise.resolve(
        answer({ status: "busy", retryAfterMs: 1_000, blockers: [{ kind: "cron-run", count: 2 }] }),
      ),
    { timeoutMs: 3_000, ...c },
  );
  assert.equal(busy.drained, false);
  assert.match(busy.message, /^Not drained in 3 s \(busy \(cron-run=2\)\): stopping anyway$/);
  const failing = await drainOpenClaw(
    18789,
    () =>
      Promise.resolve({ exitCode: 1, stdout: "", stderr: "gateway closed (1008): unauthorized" }),
    { timeoutMs: 2_000, ...clock() },
  );
  assert.match(failing.message, /the CLI exited 1: gateway closed \(1008\): unauthorized/);
});
