import assert from "node:assert/strict";
import type { PodView } from "../core/service.ts";
import { applyPod } from "./live.ts";

const pod = (tenant: string, name: string, status = "running") =>
  ({ id: `${tenant}-${name}`, tenant, name, pod: `${tenant}/${name}`, status }) as PodView;

Deno.test("applyPod() inserts a new pod in tenant and name order", () => {
  const list = [pod("acme", "a"), pod("mega", "z")];
  assert.deepEqual(
    applyPod(list, pod("acme", "b")).map((p) => p.pod),
    ["acme/a", "acme/b", "mega/z"],
  );
});

Deno.test("applyPod() replaces a changed pod and removes a deleted one", () => {
  const list = [pod("acme", "a", "pending"), pod("acme", "b")];
  const updated = applyPod(list, pod("acme", "a", "running"));
  assert.deepEqual(updated.map((p) => p.status), ["running", "running"]);
  assert.deepEqual(applyPod(updated, { id: "acme-a", deleted: true }).map((p) => p.pod), [
    "acme/b",
  ]);
});
