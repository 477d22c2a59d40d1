/**
 * The command tree and `runCli`, the whole CLI as a function of its arguments and an
 * injected process (`CliIo`), returning the exit code. `cli.ts` calls it with the real
 * process; tests call it with captured streams. Every error ends here and becomes a
 * message on stderr plus an exit code; no stack trace ever reaches the user.
 * @module
 */
import { Command, CommanderError } from "commander";
import { errorMessage } from "../core/errors.ts";
import { registerMigrateCommands } from "./commands_migrate.ts";
import { registerOpsCommands } from "./commands_ops.ts";
import { registerPodCommands } from "./commands_pod.ts";
import { registerTenantCommands } from "./commands_tenant.ts";
import { registerAlertCommands } from "./commands_alert.ts";
import { registerUsageCommands } from "./commands_usage.ts";
import { registerTokenCommands } from "./commands_token.ts";
import { CliContext, type CliIo } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";

/** The AgentPod release. */
export const VERSION = "0.1.0";

/** Builds the command tree bound to one context. */
export function buildCli(ctx: CliContext): Command {
  const program = new Command("agentpod")
    .description("Self-hosted control plane for AI agent pods")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({
      writeOut: (text) => void ctx.out(text),
      writeErr: (text) => void ctx.err(text),
      outputError: (text, write) => write(text),
    })
    .exitOverride();
  program.command("serve")
    .description("Run the control plane (API, reconciler, dashboard) in the foreground")
    .action(async () => {
      if (!ctx.io.serve) throw new CliError(ExitCode.failure, "Serving is not available here");
      await ctx.io.serve();
    });
  registerTenantCommands(program, ctx);
  registerPodCommands(program, ctx);
  registerOpsCommands(program, ctx);
  registerMigrateCommands(program, ctx);
  registerTokenCommands(program, ctx);
  registerAlertCommands(program, ctx);
  registerUsageCommands(program, ctx);
  return program;
}

/** Runs `agentpod <args>` against `io`; resolves the exit code. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  const ctx = new CliContext(io);
  let code: number = ExitCode.ok;
  try {
    await buildCli(ctx).parseAsync(args, { from: "user" });
  } catch (error) {
    code = await report(ctx, error);
  }
  await ctx.flush();
  return code;
}

async function report(ctx: CliContext, error: unknown): Promise<number> {
  if (error instanceof CommanderError) {
    // Commander has printed its own message; help and version are successes.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof CliError) {
    const lines = [error.message, ...error.details.map((line) => `  ${line}`)].filter(Boolean);
    if (lines.length) await ctx.err(`error: ${lines.join("\n")}\n`);
    return error.exitCode;
  }
  await ctx.err(`error: ${errorMessage(error)}\n`);
  return ExitCode.failure;
}
