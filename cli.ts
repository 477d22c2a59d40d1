/**
 * `agentpod`: the command line. `agentpod serve` runs the control plane; every other
 * command is a client of its REST API and only formats what the API returns. The
 * commands live in `cli/`; this file only connects them to the real process.
 * @module
 */
import { type CliIo, type TextWriter } from "./cli/context.ts";
import { runCli, VERSION } from "./cli/run.ts";

export { buildCli, runCli } from "./cli/run.ts";
export { VERSION };

function writer(file: typeof Deno.stdout): TextWriter {
  const encoder = new TextEncoder();
  return {
    isTerminal: file.isTerminal(),
    async write(text: string) {
      let bytes = encoder.encode(text);
      try {
        while (bytes.length > 0) bytes = bytes.subarray(await file.write(bytes));
      } catch (error) {
        // A closed pipe (`agentpod pod logs -f | head`) ends the command quietly.
        if (error instanceof Deno.errors.BrokenPipe) Deno.exit(0);
        throw error;
      }
    },
  };
}

/**
 * Runs the command line with this process's arguments, environment and standard streams,
 * and exits when the command is done (`serve` keeps running).
 */
export async function main(): Promise<void> {
  let serving = false;
  const io: CliIo = {
    env: Deno.env.toObject(),
    stdout: writer(Deno.stdout),
    stderr: writer(Deno.stderr),
    stdin: { readable: Deno.stdin.readable, isTerminal: Deno.stdin.isTerminal() },
    serve: async () => {
      serving = true;
      // Loaded on demand: client commands need none of the server's modules.
      const { serve } = await import("./main.ts");
      await serve();
    },
  };
  const code = await runCli(Deno.args, io);
  // `serve` keeps running on its own server; every other command exits now.
  if (!serving || code !== 0) Deno.exit(code);
}

if (import.meta.main) await main();
