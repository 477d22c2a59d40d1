/**
 * `agentpod tenant create|delete|list|status`: thin wrappers over the tenant
 * endpoints that format the answers.
 * @module
 */
import type { Command } from "commander";
import type { PodView, Tenant } from "./api_types.ts";
import type { CliContext, FormatOptions } from "./context.ts";
import { CliError } from "./errors.ts";
import { formatTime, orDash, renderJson, renderKeyValues, renderTable } from "./format.ts";
import { tenantId, withFormat } from "./options.ts";
import { renderPodTable } from "./commands_pod.ts";

/** Adds the `tenant` command group. */
export function registerTenantCommands(program: Command, ctx: CliContext): void {
  const tenant = program.command("tenant").description("Create, list, inspect and delete tenants");

  withFormat(tenant.command("create <tenant-id>"))
    .description("Create a tenant")
    .option("--name <name>", 'display name, e.g. "Acme Inc"')
    .action(async (id: string, options: FormatOptions & { name?: string }) => {
      tenantId(id);
      const client = await ctx.client();
      const created = await client.request<Tenant>("POST", "/tenants", {
        body: options.name === undefined ? { id } : { id, name: options.name },
      });
      await ctx.out(
        options.format === "json" ? renderJson(created) : `Created tenant "${created.id}"\n`,
      );
    });

  withFormat(tenant.command("delete <tenant-id>"))
    .description("Delete a tenant (refused while it has pods unless --force)")
    .option("--force", "also delete the tenant's pods, containers and volumes")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (id: string, options: FormatOptions & { force?: boolean; yes?: boolean }) => {
      tenantId(id);
      const client = await ctx.client();
      await ctx.confirm(
        options.force
          ? `Delete tenant "${id}" and all its pods, with their data?`
          : `Delete tenant "${id}"?`,
        options.yes,
      );
      const result = await client.request<{ deleted: string; pods: number }>(
        "DELETE",
        `/tenants/${encodeURIComponent(id)}`,
        { query: { force: options.force } },
      ).catch((error) => {
        if (!options.force && error instanceof CliError && error.status === 409) {
          error.details.push("Use --force to delete the tenant together with its pods");
        }
        throw error;
      });
      await ctx.out(
        options.format === "json" ? renderJson(result) : `Deleted tenant "${result.deleted}"` +
          (result.pods ? ` and ${result.pods} pod${result.pods === 1 ? "" : "s"}` : "") + "\n",
      );
    });

  withFormat(tenant.command("list"))
    .description("List tenants")
    .action(async (options: FormatOptions) => {
      const client = await ctx.client();
      const tenants = await client.request<Tenant[]>("GET", "/tenants");
      if (options.format === "json") return await ctx.out(renderJson(tenants));
      if (tenants.length === 0) return await ctx.err("No tenants\n");
      await ctx.out(renderTenantTable(tenants));
    });

  withFormat(tenant.command("status <tenant-id>"))
    .description("Show a tenant and its pods")
    .action(async (id: string, options: FormatOptions) => {
      tenantId(id);
      const client = await ctx.client();
      const answer = await client.request<{ tenant: Tenant; pods: PodView[] }>(
        "GET",
        `/tenants/${encodeURIComponent(id)}`,
      );
      if (options.format === "json") return await ctx.out(renderJson(answer));
      const { tenant, pods } = answer;
      let text = renderKeyValues([
        ["Tenant", tenant.id],
        ["Name", orDash(tenant.name)],
        ["Pods", String(pods.length)],
        ["Created", formatTime(tenant.createdAt)],
      ]);
      text += "\n" + (pods.length ? renderPodTable(pods, ctx.paint) : "No pods\n");
      await ctx.out(text);
    });
}

/** The `tenant list` table: `Tenant  Name  Pods  Created`. */
export function renderTenantTable(tenants: Tenant[]): string {
  return renderTable(
    ["Tenant", "Name", "Pods", "Created"],
    tenants.map((t) => [t.id, orDash(t.name), orDash(t.pods), formatTime(t.createdAt)]),
  );
}
