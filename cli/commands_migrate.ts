/**
 * `agentpod migrate discover`: the OpenClaw gateways on this host that AgentPod did not
 * make, with a verdict each (a wrapper over `/migrate/discover`; read-only).
 * @module
 */
import type { Command } from "commander";
import type { DiscoveredGateway } from "../core/migration.ts";
import type { CliContext, FormatOptions } from "./context.ts";
import { orDash, renderJson, renderTable } from "./format.ts";
import { withFormat } from "./options.ts";

interface DiscoverOptions extends FormatOptions {
  probe: boolean;
  wide?: boolean;
}

/** Adds the `migrate` group. */
export function registerMigrateCommands(program: Command, ctx: CliContext): void {
  const migrate = program.command("migrate")
    .description("Bring OpenClaw containers made by hand under management");

  withFormat(migrate.command("discover"))
    .description("List OpenClaw gateways on this host that AgentPod did not make (read-only)")
    .option("--no-probe", "do not prove the tokens found with a probe")
    .option("--wide", "also show state dir, networks, restart policy and warnings")
    .action(async (options: DiscoverOptions) => {
      const client = await ctx.client();
      if (ctx.showProgress && options.format !== "json") {
        await ctx.err("Scanning the engine's containers…\n");
      }
      const found = await client.request<DiscoveredGateway[]>("GET", "/migrate/discover", {
        query: { probe: options.probe ? undefined : "false" },
      });
      if (options.format === "json") return await ctx.out(renderJson(found));
      if (found.length === 0) return await ctx.out("No OpenClaw gateways found\n");
      await ctx.out(discoverTable(found, options.wide === true));
    });
}

function discoverTable(found: DiscoveredGateway[], wide: boolean): string {
  const head = ["Container", "Image", "State", "Address", "Token", "Verdict", "Adopt as"];
  const rows = found.map((g) => {
    const row = [
      g.name,
      g.version ? `${g.image} (${g.version})` : g.image,
      g.state,
      g.address ? `${g.address.hostIp || "0.0.0.0"}:${g.address.hostPort}` : "-",
      g.tokenSource === "none"
        ? "none"
        : `${g.tokenSource}${g.probe ? (g.probe.healthy ? ", proven" : ", not proven") : ""}`,
      g.verdict,
      `${g.suggested.tenant}/${g.suggested.pod}`,
    ];
    if (wide) {
      row.push(
        g.stateDir.kind === "container"
          ? "in the container"
          : `${g.stateDir.kind} ${g.stateDir.source}`,
        g.networks.join(","),
        g.restartPolicy,
        orDash(g.warnings.join("; ")),
      );
    }
    return row;
  });
  const headers = wide ? [...head, "State dir", "Networks", "Restart", "Warnings"] : head;
  const reasons = found.filter((g) => g.verdict !== "adoptable")
    .map((g) => `  ${g.name}: ${g.reason}`);
  return renderTable(headers, rows) + (reasons.length ? `\n${reasons.join("\n")}\n` : "");
}
