/**
 * `agentpod pod token`: the pod's own credentials (reveal, rotate), for admins.
 * @module
 */
import type { Command } from "commander";
import type { PodView } from "./api_types.ts";
import type { CliContext, FormatOptions } from "./context.ts";
import { renderJson } from "./format.ts";
import { podPath, podRef, withFormat } from "./options.ts";

/** Adds `pod token` to the `pod` group. */
export function registerPodAccessCommands(pod: Command, ctx: CliContext): void {
  withFormat(pod.command("token <tenant/pod>"))
    .description(
      "Print the pod's gateway token (admin; recorded as a TokenRevealed event); " +
        "--rotate replaces it and restarts the pod with the new one",
    )
    .option("--rotate", "replace the token: clients must reconnect with the new one")
    .action(async (address: string, options: FormatOptions & { rotate?: boolean }) => {
      const ref = podRef(address);
      const client = await ctx.client();
      if (!options.rotate) {
        const found = await client.request<{ pod: string; token: string }>(
          "GET",
          `${podPath(ref)}/token`,
        );
        return await ctx.out(options.format === "json" ? renderJson(found) : found.token + "\n");
      }
      const rotated = await client.request<
        { pod: PodView; token: string; warning?: string }
      >("POST", `${podPath(ref)}/token/rotate`);
      if (options.format === "json") return await ctx.out(renderJson(rotated));
      await ctx.out(rotated.token + "\n");
      await ctx.err(
        `Rotated the gateway token of "${rotated.pod.pod}": the pod restarts with it; ` +
          `clients connected with the old token must reconnect with the new one.\n` +
          (rotated.warning ? `Warning: ${rotated.warning}\n` : ""),
      );
    });
}
