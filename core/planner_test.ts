import assert from "node:assert/strict";
import { type DesiredPod, type ObservedContainer, planReconcile } from "./planner.ts";

const NOW = 1_000_000;
const OPTIONS = { orphanGraceMs: 60_000 };

function pod(over: Partial<DesiredPod> = {}): DesiredPod {
  return { id: "p1", ref: "acme/agent", desiredState: "running", specHash: "h1", ...over };
}

function container(over: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: "c1",
    name: "agentpod-acme-agent",
    podId: "p1",
    specHash: "h1",
    state: "running",
    createdAt: NOW - 1000,
    ...over,
  };
}

function kinds(desired: DesiredPod[], observed: ObservedContainer[]): string[] {
  return planReconcile(desired, observed, NOW, OPTIONS).map((a) =>
    `${a.kind}:${"containerId" in a ? a.containerId : "podId" in a ? a.podId : ""}`
  );
}

Deno.test("plan() is empty when a running pod has its current container", () => {
  assert.deepEqual(kinds([pod()], [container()]), []);
});

Deno.test("plan() creates a container for a running pod that has none", () => {
  assert.deepEqual(kinds([pod()], []), ["create:p1"]);
});

Deno.test("plan() starts a dead, exited or created container of a running pod", () => {
  for (const state of ["exited", "dead", "created"] as const) {
    assert.deepEqual(kinds([pod()], [container({ state })]), ["start:c1"], state);
  }
});

Deno.test("plan() leaves a restarting container to the engine", () => {
  assert.deepEqual(kinds([pod()], [container({ state: "restarting" })]), []);
});

Deno.test("plan() recreates a container whose spec hash changed", () => {
  assert.deepEqual(kinds([pod({ specHash: "h2" })], [container()]), ["recreate:c1"]);
});

Deno.test("plan() rewrites out-of-date config files of a kept container, before starting it", () => {
  const files = { filesHash: "f2", writtenFilesHash: "f1" };
  assert.deepEqual(kinds([pod(files)], [container()]), ["write-files:c1"]);
  assert.deepEqual(kinds([pod(files)], [container({ state: "exited" })]), [
    "write-files:c1",
    "start:c1",
  ]);
  // Never recorded (a pod from before files were tracked): written once.
  assert.deepEqual(kinds([pod({ filesHash: "f1", writtenFilesHash: "" })], [container()]), [
    "write-files:c1",
  ]);
  // Up to date, or not known yet: nothing.
  assert.deepEqual(kinds([pod({ filesHash: "f1", writtenFilesHash: "f1" })], [container()]), []);
  assert.deepEqual(kinds([pod({ writtenFilesHash: "f1" })], [container()]), []);
  // A recreate writes the files anyway; a stopped pod gets them when it starts.
  assert.deepEqual(kinds([pod({ ...files, specHash: "h2" })], [container()]), ["recreate:c1"]);
  assert.deepEqual(kinds([pod({ ...files, desiredState: "stopped" })], [container()]), [
    "stop:c1",
  ]);
  const [action] = planReconcile([pod(files)], [container()], NOW, OPTIONS);
  assert.equal(action?.reason, "Config files changed (f1 → f2)");
});

Deno.test("plan() stops the container of a stopped pod and leaves a stopped one alone", () => {
  assert.deepEqual(kinds([pod({ desiredState: "stopped" })], [container()]), ["stop:c1"]);
  assert.deepEqual(kinds([pod({ desiredState: "stopped" })], [container({ state: "exited" })]), []);
  assert.deepEqual(kinds([pod({ desiredState: "stopped" })], []), []);
});

Deno.test("plan() removes the containers of a deleted pod, then finalizes it", () => {
  assert.deepEqual(kinds([pod({ desiredState: "deleted" })], [container()]), [
    "remove:c1",
    "finalize:p1",
  ]);
  assert.deepEqual(kinds([pod({ desiredState: "deleted" })], []), ["finalize:p1"]);
});

Deno.test("plan() keeps the live current container and removes duplicates", () => {
  const observed = [
    container({ id: "old", state: "exited", createdAt: NOW - 5000 }),
    container({ id: "live" }),
    container({ id: "stale", specHash: "h0", createdAt: NOW - 100 }),
  ];
  assert.deepEqual(kinds([pod()], observed).sort(), ["remove:old", "remove:stale"]);
});

Deno.test("plan() leaves an upgrade's rollback handle alone until the pod is deleted", () => {
  const handle = container({
    id: "handle",
    name: "agentpod-acme-agent.rollback",
    specHash: "h0",
    state: "exited",
    createdAt: NOW - 9000,
  });
  assert.deepEqual(kinds([pod()], [container(), handle]), [], "not a duplicate");
  assert.deepEqual(kinds([pod()], [handle]), ["create:p1"], "not the pod's container either");
  assert.deepEqual(kinds([pod({ desiredState: "stopped" })], [handle]), []);
  assert.deepEqual(kinds([pod({ desiredState: "deleted" })], [container(), handle]), [
    "remove:c1",
    "remove:handle",
    "finalize:p1",
  ]);
});

Deno.test("plan() removes containers of no pod only after the grace period", () => {
  const young = container({ id: "young", podId: "gone", createdAt: NOW - 59_999 });
  const old = container({ id: "old", podId: "gone", createdAt: NOW - 60_000 });
  assert.deepEqual(kinds([], [young, old]), ["remove-orphan:old"]);
});

Deno.test("plan() handles many pods independently", () => {
  const desired = [pod(), pod({ id: "p2", ref: "mega/cs" }), pod({ id: "p3", ref: "x/y" })];
  const observed = [container(), container({ id: "c2", podId: "p2", state: "exited" })];
  assert.deepEqual(kinds(desired, observed), ["start:c2", "create:p3"]);
});
