/**
 * Writing files into a running OpenClaw gateway's state directory from inside its
 * container, as the gateway's own user: each file to a temporary name beside it, then
 * renamed over the old one. The gateway's config watcher follows that reliably; a file
 * replaced through the engine's archive API (briefly root-owned) made it stop following
 * `openclaw.json` after two to five writes, silently (docs/migration.md). Node is in the
 * image; nothing else is assumed.
 * @module
 */
import type { RenderedFile } from "../core/adapter.ts";

/** Beyond this the command line gets long: the archive API writes them instead. */
const MAX_COMMAND_BYTES = 96 * 1024;

const SCRIPT = `
const fs = require("fs");
const path = require("path");
const [root, files] = process.argv.slice(1);
for (const f of JSON.parse(Buffer.from(files, "base64").toString("utf8"))) {
  const target = path.join(root, f.path);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = target + ".agentpod-tmp";
  fs.writeFileSync(tmp, f.content, { mode: f.mode });
  fs.chmodSync(tmp, f.mode);
  fs.renameSync(tmp, target);
}
`;

/**
 * The command that writes `files` under `volumePath` in place (see the module), or
 * undefined when they are too large for one command line.
 */
export function writeFilesCommand(
  volumePath: string,
  files: RenderedFile[],
): string[] | undefined {
  const bytes = new TextEncoder().encode(
    JSON.stringify(files.map((f) => ({ path: f.path, content: f.content, mode: f.mode }))),
  );
  if (bytes.length * 4 / 3 > MAX_COMMAND_BYTES) return undefined;
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const payload = btoa(binary);
  return ["node", "-e", SCRIPT, volumePath, payload];
}
