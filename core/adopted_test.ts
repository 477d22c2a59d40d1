import assert from "node:assert/strict";
import { AdoptedContainers } from "./adopted.ts";

Deno.test("AdoptedContainers.replaceAll() takes the rows, but not over changes made since the read began", () => {
  const adopted = new AdoptedContainers();
  adopted.set("c1", "p1");
  adopted.set("gone", "p9");
  const readAt = adopted.version();
  // Meanwhile: c2 adopted, c1 released (the rows read before say otherwise).
  adopted.set("c2", "p2");
  adopted.delete("c1");
  adopted.replaceAll([["c1", "p1"], ["c3", "p3"]], readAt);
  assert.deepEqual(adopted.containers().sort(), ["c2", "c3"]);
  assert.equal(adopted.podOf("c1"), undefined, "released after the read: stays released");
  assert.equal(adopted.podOf("gone"), undefined, "not in the rows: dropped");
  adopted.replaceAll([["c3", "p3"]]);
  assert.deepEqual(adopted.containers(), ["c3"], "a read after every change is the truth");
  assert.deepEqual(adopted.containers("p3"), ["c3"]);
});
