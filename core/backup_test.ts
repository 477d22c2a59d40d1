import assert from "node:assert/strict";
import { checkPayloadEntry, parseManifest, PayloadBudget } from "./backup.ts";
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
