/**
 * Putting new files into a running OpenClaw gateway's state directory so that its config
 * watcher sees them: AgentPod writes them through the engine's archive API into a fresh
 * staging directory beside them (the watched files untouched), then this command, run in
 * the container as the gateway's own user, renames each over the old one and removes the
 * staging directory. A file replaced directly through the archive API made the watcher
 * stop following `openclaw.json` after two to five writes, silently (docs/migration.md).
 * The command line names paths only: no content, no secret (a command is visible in the
 * engine's event stream). Node is in the image; nothing else is assumed.
 * @module
 */

const SCRIPT = `
const fs = require("fs");
const path = require("path");
const [root, staging, ...files] = process.argv.slice(1);
for (const file of files) {
  const target = path.join(root, file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.renameSync(path.join(root, staging, file), target);
}
fs.rmSync(path.join(root, staging), { recursive: true, force: true });
`;

/**
 * The command that moves `paths` (relative, as rendered) from `staging` (a directory
 * under `volumePath`) over the files they replace.
 */
export function moveFilesCommand(volumePath: string, staging: string, paths: string[]): string[] {
  return ["node", "-e", SCRIPT, volumePath, staging, ...paths];
}
