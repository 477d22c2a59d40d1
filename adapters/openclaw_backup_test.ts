import assert from "node:assert/strict";
import { ValidationError } from "../core/errors.ts";
import { openClawBackup } from "./openclaw_backup.ts";

const backup = openClawBackup("/home/node/.openclaw", 1000);
// What `openclaw backup create --json` printed on 2026.9.6 (trimmed).
const OUTPUT = `{
  "createdAt": "2026-12-02T14:03:32.586Z",
  "archiveRoot": "2026-12-02T14-03-32.586+00-00-openclaw-backup",
  "archivePath": "/tmp/bk/2026-12-02T14-03-32.586+00-00-openclaw-backup.tar.gz",
  "verified": true,
  "assets": [
    {
      "kind": "state",
      "sourcePath": "/home/node/.openclaw",
      "displayPath": "~/.openclaw",
      "archivePath": "2026-12-02T14-03-32.586+00-00-openclaw-backup/payload/posix/home/node/.openclaw"
    }
  ]
}`;

Deno.test("openClawBackup runs `backup create --verify --json` into the output directory", () => {
  assert.deepEqual(backup.command("/tmp/out"), [
    "node",
    "openclaw.mjs",
    "backup",
    "create",
    "--output",
    "/tmp/out",
    "--verify",
    "--json",
  ]);
  assert.deepEqual(backup.owner, { uid: 1000, gid: 1000 });
});

Deno.test("openClawBackup.parse() finds the archive and the state directory inside it", () => {
  const parsed = backup.parse(`OpenClaw 2026.9.6 banner\n${OUTPUT}`);
  assert.equal(parsed.path, "/tmp/bk/2026-12-02T14-03-32.586+00-00-openclaw-backup.tar.gz");
  assert.equal(
    parsed.prefix,
    "2026-12-02T14-03-32.586+00-00-openclaw-backup/payload/posix/home/node/.openclaw",
  );
});

Deno.test("openClawBackup.parse() refuses output it cannot trust", () => {
  const json = JSON.parse(OUTPUT);
  for (
    const bad of [
      "not json",
      JSON.stringify({ archivePath: "/x" }),
      JSON.stringify({ ...json, verified: false }),
      JSON.stringify({ ...json, assets: [{ ...json.assets[0], sourcePath: "/elsewhere" }] }),
    ]
  ) {
    assert.throws(() => backup.parse(bad), ValidationError, bad);
  }
});
