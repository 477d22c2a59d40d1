/**
 * `agentpod migrate discover|adopt|release`: the OpenClaw gateways on this host that
 * AgentPod did not make, with a verdict each (read-only); adopting them as they run
 * (never restarted); releasing an adopted pod (its container left as it is). Wrappers
 * over `/migrate/discover`, `/migrate/adopt` and `/tenants/…/release`.
 * @module
 */
import type { Command } from "commander";
import type { DiscoveredGateway } from "../core/migration.ts";
import type { AdoptOutcome, AdoptRequest } from "../core/migration_service.ts";
import type { CliContext, FormatOptions } from "./context.ts";
import { orDash, renderJson, renderTable } from "./format.ts";
import { CliError, ExitCode } from "./errors.ts";
import { podRef, tenantId, withFormat } from "./options.ts";

/** The adopt flags: the API's request, less the containers (the arguments). */
type AdoptOptions = FormatOptions & Omit<AdoptRequest, "containers">;

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

  withFormat(migrate.command("adopt [containers...]"))
    .description("Adopt gateways as they run (never restarted): named ones, or --all")
    .option("--all", "every gateway discover calls adoptable (fleet cells included)")
    .option("--tenant <id>", "adopt into this tenant (created when missing)")
    .option("--pod <name>", "the pod's name (one container only)")
    .option("--dry-run", "say what would be adopted; change nothing")
    .option(
      "--route",
      "route through Traefik too: the gateway trusts the proxy (hot reload, no restart); " +
        "clients of its port must then come through the route",
    )
    .option("--restart-policy", "live: give it restart policy unless-stopped")
    .option("--limits", "live: the adapter's limits (memory never below what it uses now)")
    .option(
      "--connect-network",
      "join the tenant network (live; sessions through its port may drop once)",
    )
    .option("--rename", "live: rename it agentpod-<tenant>-<pod>")
    .action(async (containers: string[], options: AdoptOptions) => {
      if ((containers.length === 0) === !options.all) {
        throw new CliError(ExitCode.usage, "Name the containers to adopt, or pass --all");
      }
      if (options.tenant !== undefined) tenantId(options.tenant);
      if (options.pod !== undefined) tenantId(options.pod);
      const client = await ctx.client();
      if (ctx.showProgress && options.format !== "json") {
        await ctx.err("Scanning the engine and proving tokens…\n");
      }
      const outcomes = await client.request<AdoptOutcome[]>("POST", "/migrate/adopt", {
        body: {
          ...(options.all ? { all: true } : { containers }),
          tenant: options.tenant,
          pod: options.pod,
          dryRun: options.dryRun,
          route: options.route,
          restartPolicy: options.restartPolicy,
          limits: options.limits,
          connectNetwork: options.connectNetwork,
          rename: options.rename,
        },
      });
      if (options.format === "json") await ctx.out(renderJson(outcomes));
      else if (outcomes.length === 0) await ctx.out("Nothing to adopt\n");
      else {
        await ctx.out(renderTable(
          ["Container", "Pod", "Result", "Message"],
          outcomes.map((o) => [o.container, o.pod, o.result, o.message]),
        ));
      }
      const failed = outcomes.filter((o) => o.result === "failed" || o.error);
      if (failed.length > 0) {
        throw new CliError(
          ExitCode.failure,
          `${failed.length} of ${outcomes.length} did not go as asked`,
          { details: failed.map((o) => `${o.container}: ${o.error ?? o.message}`) },
        );
      }
    });

  withFormat(migrate.command("release <tenant/pod>"))
    .description("Stop managing an adopted pod; its container is left exactly as it is")
    .action(async (address: string, options: FormatOptions) => {
      const ref = podRef(address);
      const client = await ctx.client();
      const released = await client.request<{ pod: string; container: string }>(
        "POST",
        `/tenants/${ref.tenant}/pods/${ref.pod}/release`,
      );
      if (options.format === "json") return await ctx.out(renderJson(released));
      await ctx.out(
        `Released ${released.pod}: container ${
          released.container.slice(0, 12)
        } runs on, unmanaged\n`,
      );
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
