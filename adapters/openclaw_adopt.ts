/**
 * Routing an adopted OpenClaw gateway through Traefik without restarting it: the gateway
 * must trust the address its published port's traffic arrives from as a proxy, and
 * accept the pod's public origins. Both keys hot-reload (same process, same boot; see
 * FACTS.md). The change is made inside the container by the gateway's own user and
 * written to a temporary file renamed over `openclaw.json` (a write through the
 * engine's archive API replaces the file under the gateway's watcher, which stops
 * reloading after a few of them); the previous file is kept beside it.
 * @module
 */
import { ValidationError } from "../core/errors.ts";

/** Runs `trustProxyCommand` through `exec` (in the gateway's container); throws if it fails. */
export async function trustProxy(
  exec: (command: string[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>,
  stateDir: string,
  proxy: string,
  origins: string[],
): Promise<void> {
  const out = await exec(trustProxyCommand(stateDir, proxy, origins));
  if (out.exitCode !== 0) {
    throw new ValidationError(
      `Cannot change the gateway's config: ${(out.stderr || out.stdout).trim().slice(-300)}`,
    );
  }
}

/** The command, run in the container, that adds `proxy` and `origins` to its config. */
export function trustProxyCommand(stateDir: string, proxy: string, origins: string[]): string[] {
  const script = `
const fs = require("fs");
const [file, proxy, origins] = process.argv.slice(1);
let doc = {};
try {
  const text = fs.readFileSync(file, "utf8");
  try { doc = JSON.parse(text); } catch { doc = require("json5").parse(text); }
  fs.writeFileSync(file + ".agentpod-bak", text, { mode: 0o600 });
} catch (error) {
  if (error.code !== "ENOENT") throw error;
}
const gateway = doc.gateway ??= {};
gateway.trustedProxies = [...new Set([...(gateway.trustedProxies ?? []), proxy])];
const ui = gateway.controlUi ??= {};
ui.allowedOrigins = [...new Set([...(ui.allowedOrigins ?? []), ...JSON.parse(origins)])];
const tmp = file + ".agentpod-tmp";
fs.writeFileSync(tmp, JSON.stringify(doc, null, 2) + "\\n", { mode: 0o600 });
fs.renameSync(tmp, file);
`;
  return [
    "node",
    "-e",
    script,
    `${stateDir.replace(/\/$/, "")}/openclaw.json`,
    proxy.includes(":") ? `${proxy}/128` : `${proxy}/32`,
    JSON.stringify(origins),
  ];
}
