/**
 * `agentpod token create|list|revoke`: API tokens with a role, an optional tenant and
 * an optional expiry. The secret is printed once, at create; list never shows one.
 * @module
 */
import type { Command } from "commander";
import type { CliContext, FormatOptions } from "./context.ts";
import { formatTime, orDash, renderJson, renderKeyValues, renderTable } from "./format.ts";
import { tenantId, withFormat } from "./options.ts";

/** A token as the API lists it. */
export interface ApiTokenJson {
  id: string;
  name: string;
  role: string;
  tenant: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

function state(token: ApiTokenJson, now = Date.now()): string {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return "expired";
  return "active";
}

/** Adds the `token` command group. */
export function registerTokenCommands(program: Command, ctx: CliContext): void {
  const token = program.command("token").description("API tokens: create, list, revoke");

  withFormat(token.command("create"))
    .description("Create an API token; its secret is shown this once")
    .requiredOption("--name <name>", "what events record as who did it")
    .option("--tenant <id>", "limit it to one tenant (it sees nothing else)")
    .option(
      "--role <role>",
      "viewer (reads), operator (also start/stop/restart/config), admin",
      "viewer",
    )
    .option("--expires <when>", "a duration (30d, 12h, 90m, 2w) or a date (2027-01-31)")
    .action(
      async (
        options: FormatOptions & { name: string; tenant?: string; role: string; expires?: string },
      ) => {
        if (options.tenant !== undefined) tenantId(options.tenant);
        const client = await ctx.client();
        const created = await client.request<ApiTokenJson & { token: string }>("POST", "/tokens", {
          body: {
            name: options.name,
            role: options.role,
            ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
            ...(options.expires === undefined ? {} : { expires: options.expires }),
          },
        });
        if (options.format === "json") return await ctx.out(renderJson(created));
        await ctx.out(created.token + "\n");
        await ctx.err(
          `Created token "${created.name}" (${created.role}, ${
            created.tenant === null ? "every tenant" : `tenant ${created.tenant}`
          }, ${
            created.expiresAt ? `expires ${formatTime(created.expiresAt)}` : "no expiry"
          }). Store it now: it is not shown again.\n`,
        );
      },
    );

  withFormat(token.command("list"))
    .description("List API tokens (never their secrets)")
    .action(async (options: FormatOptions) => {
      const client = await ctx.client();
      const tokens = await client.request<ApiTokenJson[]>("GET", "/tokens");
      if (options.format === "json") return await ctx.out(renderJson(tokens));
      if (tokens.length === 0) return await ctx.err("No tokens\n");
      await ctx.out(renderTable(
        ["Name", "Role", "Tenant", "State", "Expires", "Last used", "Id"],
        tokens.map((t) => [
          t.name,
          t.role,
          t.tenant ?? "(all)",
          state(t),
          t.expiresAt ? formatTime(t.expiresAt) : "never",
          orDash(t.lastUsedAt && formatTime(t.lastUsedAt)),
          t.id,
        ]),
      ));
    });

  withFormat(token.command("revoke <name-or-id>"))
    .description("Revoke a token: requests with it get 401 from now on")
    .action(async (ref: string, options: FormatOptions) => {
      const client = await ctx.client();
      const revoked = await client.request<ApiTokenJson>(
        "DELETE",
        `/tokens/${encodeURIComponent(ref)}`,
      );
      if (options.format === "json") return await ctx.out(renderJson(revoked));
      await ctx.out(renderKeyValues([
        ["Revoked", revoked.name],
        ["Id", revoked.id],
        ["At", formatTime(revoked.revokedAt)],
      ]));
    });
}
