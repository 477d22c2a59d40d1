/**
 * The pod's own credentials and clients: `pod token [--rotate]` (admins), `pod open` (a
 * one-time owner link to the agent's UI), `pod devices [approve|reject]` (pairing).
 * @module
 */
import type { Command } from "commander";
import type { PodView } from "./api_types.ts";
import type { CliContext, FormatOptions } from "./context.ts";
import { formatTime, orDash, renderJson, renderTable } from "./format.ts";
import { podPath, podRef, withFormat } from "./options.ts";

interface Pairing {
  pending: {
    requestId: string;
    name: string | null;
    client: string | null;
    origin: string | null;
    address: string | null;
    scopes: string[];
    requestedAt: string | null;
  }[];
  paired: {
    deviceId: string;
    name: string | null;
    client: string | null;
    role: string | null;
    connected: boolean;
    approvedAt: string | null;
  }[];
}

function renderPairing(p: Pairing): string {
  let text = p.pending.length === 0 ? "No pending pairing requests\n" : "Pending requests:\n" +
    renderTable(
      ["Request", "Client", "Origin", "From", "Requested"],
      p.pending.map((r) => [
        r.requestId,
        orDash(r.name ?? r.client),
        orDash(r.origin),
        orDash(r.address),
        formatTime(r.requestedAt),
      ]),
    );
  text += p.paired.length === 0 ? "No paired devices\n" : "\nPaired devices:\n" +
    renderTable(
      ["Device", "Client", "Role", "Connected", "Approved"],
      p.paired.map((d) => [
        d.deviceId.slice(0, 16),
        orDash(d.name ?? d.client),
        orDash(d.role),
        d.connected ? "yes" : "no",
        formatTime(d.approvedAt),
      ]),
    );
  return text;
}

/** Adds `pod token`, `pod open` and `pod devices` to the `pod` group. */
export function registerPodAccessCommands(pod: Command, ctx: CliContext): void {
  withFormat(pod.command("open <tenant/pod>"))
    .description(
      "A one-time link that opens the agent's own UI on the pod's public host as its owner " +
        "(admin; OpenClaw: the Control UI, paired without typing a token; valid 10 minutes)",
    )
    .action(async (address: string, options: FormatOptions) => {
      const ref = podRef(address);
      const client = await ctx.client();
      const link = await client.request<{ pod: string; url: string; expiresAt: string | null }>(
        "POST",
        `${podPath(ref)}/open`,
      );
      if (options.format === "json") return await ctx.out(renderJson(link));
      await ctx.out(link.url + "\n");
      await ctx.err(
        `One use${link.expiresAt ? `, until ${formatTime(link.expiresAt)}` : ""}: ` +
          "open it in the customer's browser.\n",
      );
    });

  const devices = withFormat(pod.command("devices <tenant/pod>"))
    .description("Devices paired with the pod's agent and pending pairing requests (operator)")
    .action(async (address: string, options: FormatOptions) => {
      const ref = podRef(address);
      const client = await ctx.client();
      const found = await client.request<Pairing>("GET", `${podPath(ref)}/devices`);
      await ctx.out(options.format === "json" ? renderJson(found) : renderPairing(found));
    });
  for (const decision of ["approve", "reject"] as const) {
    withFormat(devices.command(`${decision} <tenant/pod> <request-id>`))
      .description(`${decision === "approve" ? "Approve" : "Reject"} a pending pairing request`)
      .action(async (address: string, requestId: string, options: FormatOptions) => {
        const ref = podRef(address);
        const client = await ctx.client();
        const result = await client.request<{ requestId: string; decision: string }>(
          "POST",
          `${podPath(ref)}/devices/${encodeURIComponent(requestId)}/${decision}`,
        );
        await ctx.out(
          options.format === "json"
            ? renderJson(result)
            : `Pairing request ${result.requestId} ${result.decision}\n`,
        );
      });
  }

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
