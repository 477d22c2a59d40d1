/**
 * `agentpod`: the command line. `agentpod serve` runs the control plane; every other
 * command is a client of its REST API and only formats what the API returns.
 * @module
 */
import { Command } from "commander";
import { serve } from "./main.ts";

/** The AgentPod release. */
export const VERSION = "0.1.0";

/** Builds the command tree (exported for tests). */
export function buildCli(): Command {
  const program = new Command("agentpod")
    .description("Self-hosted control plane for AI agent pods")
    .version(VERSION, "-V, --version")
    .showHelpAfterError()
    .configureOutput({ writeErr: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)) })
    .exitOverride();
  program.command("serve")
    .description("Run the control plane (API, reconciler, dashboard) in the foreground")
    .action(serve);
  return program;
}

if (import.meta.main) {
  try {
    await buildCli().parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    // commander signals help/version/usage through exceptions with an exitCode.
    const code = (error as { exitCode?: number }).exitCode;
    if (code === undefined) throw error;
    Deno.exit(code === 0 ? 0 : 2);
  }
}
