/**
 * `agentpod alert endpoint add|list|remove|test` and `agentpod alert list`: wrappers over
 * the alert routes. `endpoint add` prints the signing secret, once.
 * @module
 */
import type { Command } from "commander";
import { ALERT_TYPES, type AlertEndpoint, type AlertView } from "../core/alerts.ts";
import type { CliContext, FormatOptions } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import { isUuid } from "../core/ids.ts";
import { formatTime, orDash, renderJson, renderKeyValues, renderTable } from "./format.ts";
import { tenantId, wholeNumber, withFormat } from "./options.ts";

/** Checks an endpoint id before any request (exit 2). */
function endpointId(id: string): void {
  if (!isUuid(id)) {
    throw new CliError(ExitCode.usage, `"${id}" is not an endpoint id (endpoint list shows them)`);
  }
}

/** Adds the `alert` group. */
export function registerAlertCommands(program: Command, ctx: CliContext): void {
  const alert = program.command("alert").description("Alert webhooks and what was sent");
  const endpoint = alert.command("endpoint").description("Webhook endpoints alerts go to");

  withFormat(endpoint.command("add <url>"))
    .description("Add a webhook endpoint; prints its signing secret once")
    .option(
      "--events <types>",
      `comma-separated alert types (default: all): ${ALERT_TYPES.join(",")}`,
    )
    .option("--tenant <id>", "only this tenant's alerts")
    .action(async (url: string, options: FormatOptions & { events?: string; tenant?: string }) => {
      if (options.tenant !== undefined) tenantId(options.tenant);
      const events = options.events?.split(",").map((e) => e.trim()).filter((e) => e !== "");
      const unknown = events?.find((e) => !(ALERT_TYPES as readonly string[]).includes(e));
      if (unknown !== undefined) {
        throw new CliError(
          ExitCode.usage,
          `Unknown alert type "${unknown}": expected ${ALERT_TYPES.join(", ")}`,
        );
      }
      const added = await (await ctx.client()).request<AlertEndpoint & { secret: string }>(
        "POST",
        "/alerts/endpoints",
        {
          body: {
            url,
            ...(events ? { events } : {}),
            ...(options.tenant ? { tenant: options.tenant } : {}),
          },
        },
      );
      await ctx.out(
        options.format === "json" ? renderJson(added) : renderKeyValues([
          ["Endpoint", added.id],
          ["URL", added.url],
          ["Events", added.events.length ? added.events.join(", ") : "all"],
          ["Tenant", added.tenant ?? "all"],
          ["Secret", added.secret],
        ]) + "\nThe secret is shown once: verify webhook-signature with it (Standard Webhooks).\n",
      );
    });

  withFormat(endpoint.command("list"))
    .description("Webhook endpoints")
    .action(async (options: FormatOptions) => {
      const list = await (await ctx.client()).request<AlertEndpoint[]>("GET", "/alerts/endpoints");
      await ctx.out(
        options.format === "json" ? renderJson(list) : renderTable(
          ["Endpoint", "URL", "Events", "Tenant", "Added"],
          list.map((e) => [
            e.id,
            e.url,
            e.events.length ? e.events.join(",") : "all",
            e.tenant ?? "all",
            formatTime(e.createdAt),
          ]),
        ),
      );
    });

  withFormat(endpoint.command("remove <id>"))
    .description("Remove an endpoint (its pending deliveries go with it)")
    .action(async (id: string, options: FormatOptions) => {
      endpointId(id);
      await (await ctx.client()).request("DELETE", `/alerts/endpoints/${encodeURIComponent(id)}`);
      await ctx.out(
        options.format === "json" ? renderJson({ removed: id }) : `Removed endpoint ${id}\n`,
      );
    });

  withFormat(endpoint.command("test <id>"))
    .description("Send a signed test message and report how it went")
    .action(async (id: string, options: FormatOptions) => {
      endpointId(id);
      const sent = await (await ctx.client()).request<AlertView>(
        "POST",
        `/alerts/endpoints/${encodeURIComponent(id)}/test`,
      );
      const delivery = sent.deliveries[0];
      if (options.format === "json") await ctx.out(renderJson(sent));
      else {
        await ctx.out(
          !delivery || delivery.attempts === 0
            ? `Test ${sent.id} queued; no attempt yet (is a leader running?)\n`
            : delivery.state === "delivered"
            ? `Delivered: ${delivery.url} answered HTTP ${delivery.lastStatus}\n`
            : `Not delivered: ${orDash(delivery.lastError)} (retried as alerts are)\n`,
        );
      }
      if (delivery?.state !== "delivered") {
        throw new CliError(ExitCode.failure, "The test message was not delivered");
      }
    });

  withFormat(alert.command("list"))
    .description("Alerts raised and their deliveries, oldest first")
    .option("--tail <n>", "the last n alerts (at most 1000)", wholeNumber(1, 1000), 50)
    .option("--tenant <id>", "only this tenant's")
    .action(async (options: FormatOptions & { tail: number; tenant?: string }) => {
      if (options.tenant !== undefined) tenantId(options.tenant);
      const list = await (await ctx.client()).request<AlertView[]>("GET", "/alerts", {
        query: { tail: String(options.tail), tenant: options.tenant },
      });
      await ctx.out(
        options.format === "json" ? renderJson(list) : renderTable(
          ["Raised", "Type", "Pod", "Coalesced", "Delivery", "Attempts", "Message"],
          list.map((a) => [
            formatTime(a.createdAt),
            a.type,
            a.pod ?? a.tenant ?? "-",
            String(a.coalesced),
            a.deliveries.length === 0
              ? "no endpoint"
              : a.deliveries.map((d) => ctx.paint(d.state)).join(","),
            a.deliveries.map((d) => String(d.attempts)).join(",") || "-",
            a.message,
          ]),
        ),
      );
    });
}
