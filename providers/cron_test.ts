import assert from "node:assert/strict";
import { nextCron } from "./cron.ts";

Deno.test("nextCron gives the next time an expression names, null for nonsense", () => {
  const after = Date.parse("2026-12-02T14:03:00Z");
  const offset = new Date(after).getTimezoneOffset() * 60_000;
  // Every 5 minutes: the next multiple of 5 after 14:03, whatever the zone (minutes agree).
  const next = nextCron("*/5 * * * *", after)!;
  assert.equal(new Date(next + offset).getMinutes() % 5, 0);
  assert.ok(next > after && next - after <= 5 * 60_000);
  assert.equal(nextCron("not a cron", after), null);
  assert.equal(nextCron("61 * * * *", after), null);
});
