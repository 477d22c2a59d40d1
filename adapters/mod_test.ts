import assert from "node:assert/strict";
import { z } from "zod";
import { ValidationError } from "../core/errors.ts";
import { adapterById, listAdapters } from "./mod.ts";

Deno.test("listAdapters() lists openclaw first, then generic", () => {
  assert.deepEqual(listAdapters().map((adapter) => adapter.id), ["openclaw", "generic"]);
});

Deno.test("adapterById() finds an adapter and names the known ids for an unknown one", () => {
  assert.equal(adapterById("generic").id, "generic");
  assert.throws(() => adapterById("x"), (error: unknown) => {
    assert.ok(error instanceof ValidationError);
    assert.equal(error.message, 'Unknown adapter "x": expected one of openclaw, generic');
    return true;
  });
});

Deno.test("every adapter accepts {} and exports a JSON Schema holding its sensitive fields", () => {
  for (const adapter of listAdapters()) {
    assert.equal(adapter.configSchema.safeParse({}).success, true, adapter.id);
    const schema = z.toJSONSchema(adapter.configSchema) as Node;
    for (const path of adapter.sensitiveFields) {
      const node = path.split(".").reduce<Node | undefined>(
        (parent, key) => parent?.properties?.[key],
        schema,
      );
      assert.equal(node?.["x-sensitive"], true, `${adapter.id}: ${path}`);
    }
  }
});

Deno.test("every adapter's defaults are complete", () => {
  for (const adapter of listAdapters()) {
    assert.ok(adapter.label && adapter.description, adapter.id);
    assert.ok(adapter.port > 0 && adapter.volumePath.startsWith("/"), adapter.id);
    const { memoryMB, cpus, pids } = adapter.defaultResources;
    assert.ok(memoryMB > 0 && cpus > 0 && pids > 0, adapter.id);
  }
});

interface Node {
  properties?: Record<string, Node>;
  [key: string]: unknown;
}
