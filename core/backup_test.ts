import assert from "node:assert/strict";
import {
  type BackupPolicy,
  checkPayloadEntry,
  formatBytes,
  parseManifest,
  PayloadBudget,
  policyDue,
  policyFor,
  policyScope,
  scheduleJitter,
} from "./backup.ts";
import { ValidationError } from "./errors.ts";

Deno.test("checkPayloadEntry() normalises safe paths and refuses the rest", () => {
  const file = (name: string) => ({ name, type: "file", size: 1 });
  assert.equal(checkPayloadEntry(file("./a/./b")), "a/b");
  assert.equal(checkPayloadEntry({ name: ".openclaw/", type: "directory", size: 0 }), ".openclaw");
  for (
    const bad of [
      file("/abs"),
      file("a/../../b"),
      file(".."),
      file("a\\b"),
      file("a\0b"),
      { name: "l", type: "symlink", size: 0 },
      { name: "h", type: "link", size: 0 },
      { name: "d", type: "character-device", size: 0 },
    ]
  ) {
    assert.throws(() => checkPayloadEntry(bad), ValidationError, bad.name);
  }
});

Deno.test("PayloadBudget refuses past the byte and entry limits", () => {
  const budget = new PayloadBudget({ maxBytes: 10, maxEntries: 2 });
  budget.entry({ name: "a", type: "file", size: 6 });
  assert.throws(() => budget.entry({ name: "b", type: "file", size: 5 }), /size limit/);
  const few = new PayloadBudget({ maxBytes: 100, maxEntries: 1 });
  few.entry({ name: "a", type: "directory", size: 0 });
  assert.throws(() => few.entry({ name: "b", type: "file", size: 0 }), /entry limit/);
});

Deno.test("parseManifest() refuses what is not an AgentPod manifest", () => {
  assert.throws(() => parseManifest({ format: 2 }), /Not an AgentPod backup/);
  assert.throws(() => parseManifest("x"), ValidationError);
});

const policy = (p: Partial<BackupPolicy>): BackupPolicy => ({
  scope: "all",
  tenant: null,
  podId: null,
  everyMs: 3_600_000,
  cron: null,
  keep: 3,
  drill: false,
  updatedAt: "2026-12-02T00:00:00.000Z",
  ...p,
});

Deno.test("policyFor() picks the pod's own policy, else its tenant's, else every pod's", () => {
  const all = policy({ scope: "all" });
  const tenant = policy({ scope: "tenant:acme", tenant: "acme" });
  const pod = policy({ scope: "pod:p1", tenant: "acme", podId: "p1" });
  assert.equal(policyFor([all, tenant, pod], { id: "p1", tenant: "acme" }), pod);
  assert.equal(policyFor([all, tenant, pod], { id: "p2", tenant: "acme" }), tenant);
  assert.equal(policyFor([all, tenant, pod], { id: "p3", tenant: "beta" }), all);
  assert.equal(policyFor([tenant], { id: "p3", tenant: "beta" }), undefined);
  assert.equal(policyScope({}), "all");
  assert.equal(policyScope({ tenant: "acme" }), "tenant:acme");
  assert.equal(policyScope({ tenant: "acme", podId: "p1" }), "pod:p1");
});

Deno.test("scheduleJitter() is stable per pod, within a tenth of the interval and a minute", () => {
  for (const id of ["a", "b", crypto.randomUUID(), crypto.randomUUID()]) {
    const j = scheduleJitter(id, 3_600_000);
    assert.equal(scheduleJitter(id, 3_600_000), j);
    assert.ok(j >= 0 && j < 60_000);
    assert.ok(scheduleJitter(id, 2_000) < 200);
  }
  assert.equal(scheduleJitter("a", 5), 0);
});

Deno.test("policyDue(): an interval from the last run (jittered), cron after the last run", () => {
  const hour = 3_600_000;
  const updated = Date.parse("2026-12-02T00:00:00Z");
  const nextCron = (_: string, after: number) => Math.ceil((after + 1) / hour) * hour;
  const at = (p: BackupPolicy, lastRun: number | null, now: number) =>
    policyDue(p, { podId: "pod", lastRun, now, nextCron });
  const every = policy({ everyMs: hour });
  const jitter = scheduleJitter("pod", hour);
  assert.equal(at(every, null, updated + jitter), true, "first run once the policy is set");
  const first = updated + jitter;
  assert.equal(at(every, first, first + hour - 1), false);
  assert.equal(at(every, first, first + hour), true, "the offset kept, no drift");
  const cron = policy({ everyMs: null, cron: "0 * * * *" });
  const cronJitter = scheduleJitter("pod", 600_000);
  assert.equal(at(cron, null, updated + hour - 1), false);
  assert.equal(at(cron, null, updated + hour + cronJitter), true);
  assert.equal(at(cron, updated + hour + 5, updated + hour + 10 + cronJitter), false);
  const broken = policy({ everyMs: null, cron: "bad" });
  assert.equal(
    policyDue(broken, { podId: "pod", lastRun: null, now: updated * 2, nextCron: () => null }),
    false,
  );
});

Deno.test("formatBytes()", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(45_300), "44.2 KB");
  assert.equal(formatBytes(1_604_608), "1.5 MB");
});
