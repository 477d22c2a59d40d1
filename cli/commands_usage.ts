/**
 * `agentpod usage [--tenant T] [--from D] [--to D] [--format table|json|csv]`: usage per
 * pod and UTC day (CPU-seconds, memory average and peak, uptime, restarts, volume size,
 * the agent's own tokens and cost), with a total; csv for billing scripts.
 * @module
 */
import { type Command, Option } from "commander";
import { formatBytes } from "../core/backup.ts";
import { dayStart, usageCsv, type UsageDay, type UsageReport } from "../core/usage.ts";
import { CliError, ExitCode } from "./errors.ts";
import type { CliContext } from "./context.ts";
import { renderJson, renderTable } from "./format.ts";
import { tenantId } from "./options.ts";

function hours(seconds: number): string {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${Math.round(seconds)} s`;
}

function row(label: string[], u: Omit<UsageDay, "day" | "tenant" | "pod">): string[] {
  return [
    ...label,
    u.cpuSeconds.toFixed(1),
    u.memoryAvgMb === null ? "-" : `${u.memoryAvgMb} / ${u.memoryPeakMb} MB`,
    hours(u.uptimeSeconds),
    String(u.restarts),
    u.volumeBytes === null ? "-" : formatBytes(u.volumeBytes),
    u.tokens === null ? "-" : String(u.tokens.total),
    u.costUsd === null ? "-" : `$${u.costUsd.toFixed(4)}`,
  ];
}

/** Adds `usage`. */
export function registerUsageCommands(program: Command, ctx: CliContext): void {
  program.command("usage")
    .description("Usage per pod and UTC day: CPU, memory, uptime, restarts, volume, tokens, cost")
    .option("--tenant <id>", "only this tenant's pods")
    .option("--from <day>", "first day, YYYY-MM-DD (default: 6 days before --to)")
    .option("--to <day>", "last day, YYYY-MM-DD (default: today, UTC)")
    .addOption(
      new Option("--format <format>", "output format").choices(["table", "json", "csv"])
        .default("table"),
    )
    .action(async (options: { tenant?: string; from?: string; to?: string; format: string }) => {
      if (options.tenant !== undefined) tenantId(options.tenant);
      for (const [flag, value] of [["--from", options.from], ["--to", options.to]] as const) {
        if (value !== undefined && Number.isNaN(dayStart(value))) {
          throw new CliError(ExitCode.usage, `Invalid ${flag} "${value}": expected YYYY-MM-DD`);
        }
      }
      const path = options.tenant
        ? `/tenants/${encodeURIComponent(options.tenant)}/usage`
        : "/usage";
      const report = await (await ctx.client()).request<UsageReport>("GET", path, {
        query: { from: options.from, to: options.to },
      });
      if (options.format === "json") return await ctx.out(renderJson(report));
      if (options.format === "csv") return await ctx.out(usageCsv(report));
      const header = [
        "Day",
        "Pod",
        "CPU s",
        "Memory avg / peak",
        "Uptime",
        "Restarts",
        "Volume",
        "Tokens",
        "Cost",
      ];
      const lines = report.pods.map((p) => row([p.day, `${p.tenant}/${p.pod}`], p));
      lines.push(row(["total", `${report.from} … ${report.to}`], report.total));
      await ctx.out(renderTable(header, lines));
    });
}
