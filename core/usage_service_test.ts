/**
 * Tests: a usage query's days are checked before anything is read (400, never a 500).
 * @module
 */
import assert from "node:assert/strict";
import { ValidationError } from "./errors.ts";
import type { Store } from "./store.ts";
import { readUsage } from "./usage_service.ts";

Deno.test("readUsage refuses bad days and ranges with a ValidationError", async () => {
  const store = {} as Store; // never reached
  const now = Date.parse("2026-12-02T12:00:00Z");
  for (const query of [{ to: "garbage" }, { to: "2026-02-30" }, { from: "2026-13-01" }]) {
    await assert.rejects(readUsage(store, query, now), ValidationError, JSON.stringify(query));
  }
  await assert.rejects(
    readUsage(store, { from: "2026-12-09", to: "2026-12-01" }, now),
    /from 2026-12-09 is after to 2026-12-01/,
  );
  await assert.rejects(
    readUsage(store, { from: "2020-01-01", to: "2026-12-01" }, now),
    /at most 366/,
  );
});
