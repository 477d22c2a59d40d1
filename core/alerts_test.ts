/**
 * Tests: which events raise which alert (a user's own rollout pause does not), endpoint
 * matching, type parsing, the retry schedule's bounds, the webhook payload.
 * @module
 */
import assert from "node:assert/strict";
import {
  ALERT_TYPES,
  alertOf,
  alertPayload,
  coalesce,
  DELIVERY_DEFAULTS,
  endpointWants,
  parseAlertTypes,
  retryDelay,
  webhookId,
} from "./alerts.ts";

const event = (reason: string, type: "Normal" | "Warning" = "Warning") => ({
  tenant: "acme",
  podId: "p1",
  podName: "web",
  type,
  reason,
  message: "m",
});

Deno.test("alertOf maps the transitions worth telling, keyed by pod", () => {
  assert.deepEqual(alertOf(event("RecoveryFailed")), { type: "pod.failed", key: "pod.failed:p1" });
  assert.equal(alertOf(event("Unhealthy"))?.type, "pod.unhealthy");
  assert.equal(alertOf(event("Healthy", "Normal"))?.type, "pod.recovered");
  assert.equal(alertOf(event("OOMKilled"))?.type, "pod.oom_killed");
  assert.equal(alertOf(event("RestartLoop"))?.type, "pod.restart_loop");
  assert.equal(alertOf(event("UpgradeRolledBack"))?.type, "upgrade.rolled_back");
  assert.equal(alertOf(event("BackupFailed"))?.type, "backup.failed");
  assert.equal(alertOf(event("DrillFailed"))?.type, "backup.drill_failed");
  assert.equal(alertOf(event("Crashed")), null, "a single crash is an event, not an alert");
  assert.equal(alertOf(event("Restarted", "Normal")), null);
  const paused = {
    tenant: null,
    type: "Warning" as const,
    reason: "RolloutPaused",
    message: "Rollout r1 to img paused: 2 failures",
  };
  assert.deepEqual(alertOf(paused), {
    type: "rollout.paused",
    key: "rollout.paused:Rollout r1 to img paused: 2 failures",
  });
  assert.equal(
    alertOf(event("Unhealthy"))?.key,
    alertOf(event("Healthy", "Normal"))?.key,
    "one subject",
  );
  assert.equal(alertOf({ ...paused, type: "Normal" }), null, "a user's own pause");
});

Deno.test("coalesce: same state counted; changes sent up to the burst, then held", () => {
  assert.deepEqual(coalesce([], "pod.unhealthy"), { kind: "send" });
  const one = [{ id: "a", type: "pod.unhealthy" }];
  assert.deepEqual(coalesce(one, "pod.unhealthy"), { kind: "coalesce", onto: "a", hold: false });
  assert.deepEqual(coalesce(one, "pod.recovered"), { kind: "send" });
  const two = [...one, { id: "b", type: "pod.recovered" }];
  assert.deepEqual(coalesce(two, "pod.unhealthy"), { kind: "coalesce", onto: "b", hold: true });
  assert.deepEqual(coalesce(two, "pod.recovered"), { kind: "coalesce", onto: "b", hold: false });
});

Deno.test("endpointWants: tenant filter, type filter, empty means all", () => {
  const alert = { type: "pod.failed", tenant: "acme" };
  assert.equal(endpointWants({ tenant: null, events: [] }, alert), true);
  assert.equal(endpointWants({ tenant: "acme", events: ["pod.failed"] }, alert), true);
  assert.equal(endpointWants({ tenant: "other", events: [] }, alert), false);
  assert.equal(endpointWants({ tenant: null, events: ["pod.recovered"] }, alert), false);
  assert.equal(endpointWants({ tenant: "acme", events: [] }, { ...alert, tenant: null }), false);
});

Deno.test("parseAlertTypes: known types, deduplicated; an unknown one is named", () => {
  assert.deepEqual(parseAlertTypes(["pod.failed", " pod.failed", "", "backup.failed"]), [
    "pod.failed",
    "backup.failed",
  ]);
  assert.throws(() => parseAlertTypes(["pod.exploded"]), /Unknown alert type "pod.exploded"/);
  assert.equal(ALERT_TYPES.length, 9);
});

Deno.test("retryDelay doubles from the base, stays within half and all of it, and is capped", () => {
  const o = { ...DELIVERY_DEFAULTS, retryBaseMs: 1000, retryMaxMs: 8000 };
  assert.deepEqual([1, 2, 3, 4, 5, 9].map((n) => retryDelay(n, o, 0.999999)), [
    1000,
    2000,
    4000,
    8000,
    8000,
    8000,
  ]);
  assert.deepEqual([1, 2, 3].map((n) => retryDelay(n, o, 0)), [500, 1000, 2000]);
});

Deno.test("alertPayload: Standard Webhooks' type/timestamp/data, with the pod split", () => {
  const body = JSON.parse(alertPayload({
    id: "0b7d2f4e-2a39-4a5b-9d0c-5c4f3d2e1a00",
    type: "pod.failed",
    tenant: "acme",
    pod: "acme/web",
    message: "Crashed 3 times",
    eventId: 7,
    createdAt: "2026-12-02T10:00:00.000Z",
    coalesced: 2,
    lastSeen: "2026-12-02T10:01:00.000Z",
  }, new Date("2026-12-02T10:00:05Z")));
  assert.deepEqual(body, {
    type: "pod.failed",
    timestamp: "2026-12-02T10:00:05.000Z",
    data: {
      id: "0b7d2f4e-2a39-4a5b-9d0c-5c4f3d2e1a00",
      tenant: "acme",
      pod: "web",
      message: "Crashed 3 times",
      raisedAt: "2026-12-02T10:00:00.000Z",
      coalesced: 2,
      eventId: 7,
    },
  });
  assert.equal(
    webhookId("0b7d2f4e-2a39-4a5b-9d0c-5c4f3d2e1a00"),
    "msg_0b7d2f4e2a394a5b9d0c5c4f3d2e1a00",
  );
});
