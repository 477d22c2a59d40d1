/**
 * Operations commands: `doctor`, `health`, `reconcile`, `events` (with `--follow`
 * over the SSE stream) and `config get`.
 * @module
 */
import type { Command } from "commander";
import { describeConfigEffect, parseCliValue, parseConfigPath } from "../core/config_patch.ts";
import type { PodEvent, PodView } from "./api_types.ts";
import type { CliContext, FormatOptions } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import { columnWidths, formatTime, orDash, renderJson, renderRow, renderTable } from "./format.ts";
import { readSse } from "./sse.ts";
import { podPath, podRef, tenantId, wholeNumber, withFormat } from "./options.ts";
import { readConfig, untilAborted } from "./commands_pod.ts";

interface DoctorReport {
  ok: boolean;
  checks: { name: string; ok: boolean; message?: string }[];
}

interface HealthResult {
  pod: string;
  health: string | null;
  message?: string | null;
}

interface ReconcileResult {
  dryRun: boolean;
  actions: { kind: string; pod: string; reason?: string }[];
}

/** Adds `doctor`, `health`, `reconcile`, `events` and `config`. */
export function registerOpsCommands(program: Command, ctx: CliContext): void {
  withFormat(program.command("doctor"))
    .description("Check Docker, the database, routing, ports and images; exit 1 if any fails")
    .action(async (options: FormatOptions) => {
      const client = await ctx.client();
      // A server may answer 503 with the report itself when a check fails.
      const report = await client.request<DoctorReport | { error: unknown }>("GET", "/doctor", {
        acceptStatus: [503],
      });
      if (!("checks" in report)) {
        throw new CliError(ExitCode.failure, "The server could not run its checks");
      }
      const failed = !report.ok || report.checks.some((check) => !check.ok);
      if (options.format === "json") {
        await ctx.out(renderJson(report));
      } else {
        const rows = report.checks.map((c) => [c.ok ? "ok" : "FAIL", c.name, orDash(c.message)]);
        const widths = columnWidths(rows);
        await ctx.out(rows.map((row) => renderRow(row, widths, paintFirst(ctx))).join(""));
      }
      if (failed) {
        const count = report.checks.filter((check) => !check.ok).length || 1;
        throw new CliError(ExitCode.failure, `${count} check${count === 1 ? "" : "s"} failed`);
      }
    });

  const traefik = program.command("traefik").description("Routing through Traefik");
  withFormat(traefik.command("config"))
    .description("Print a Traefik static configuration that polls this control plane")
    .option("--endpoint <url>", "URL Traefik polls (default: this server's /traefik/dynamic)")
    .option("--web <address>", "address of the plain HTTP entry point", ":80")
    .option("--websecure <address>", "address of the TLS entry point", ":443")
    .option("--poll-interval <seconds>", "seconds between polls", "2")
    .option(
      "--trusted-ips <cidrs>",
      "comma-separated hops in front of Traefik whose X-Forwarded-For it keeps",
    )
    .action(async (
      options: FormatOptions & {
        endpoint?: string;
        web: string;
        websecure: string;
        pollInterval: string;
        trustedIps?: string;
      },
    ) => {
      const client = await ctx.client();
      const result = await client.request<{ endpoint: string; yaml: string }>(
        "GET",
        "/traefik/static",
        {
          query: {
            endpoint: options.endpoint,
            web: options.web,
            websecure: options.websecure,
            pollInterval: options.pollInterval,
            trustedIps: options.trustedIps,
          },
        },
      );
      if (options.format === "json") return await ctx.out(renderJson(result));
      await ctx.out(result.yaml);
    });

  withFormat(program.command("health [tenant-id]"))
    .description("Probe every pod now (or one tenant's) and print the results")
    .action(async (tenant: string | undefined, options: FormatOptions) => {
      if (tenant !== undefined) tenantId(tenant);
      const client = await ctx.client();
      const results = await client.request<HealthResult[]>("POST", "/health", {
        query: { tenant },
      });
      if (options.format === "json") return await ctx.out(renderJson(results));
      if (results.length === 0) return await ctx.err("No pods\n");
      await ctx.out(renderTable(
        ["Pod", "Health", "Message"],
        results.map((r) => [r.pod, orDash(r.health), orDash(r.message)]),
        (column, text) => column === 1 ? ctx.paint(text) : text,
      ));
    });

  withFormat(program.command("reconcile"))
    .description("Run one reconcile pass now, or print its plan with --dry-run")
    .option("--dry-run", "only print the actions a pass would take")
    .action(async (options: FormatOptions & { dryRun?: boolean }) => {
      const client = await ctx.client();
      const result = await client.request<ReconcileResult>("POST", "/reconcile", {
        query: { dryRun: options.dryRun },
      });
      if (options.format === "json") return await ctx.out(renderJson(result));
      if (result.actions.length === 0) return await ctx.out("Nothing to do\n");
      const rows = result.actions.map((a) => [a.kind, a.pod, orDash(a.reason)]);
      const widths = columnWidths(rows);
      await ctx.out(rows.map((row) => renderRow(row, widths)).join(""));
    });

  withFormat(program.command("events"))
    .description("Print recent events, oldest first; --follow keeps printing new ones")
    .option("--tail <n>", "how many recent events", wholeNumber(0), 10)
    .option("-f, --follow", "stream new events as they happen")
    .option("--tenant <tenant-id>", "only this tenant's events")
    .option("--pod <tenant/pod>", "only this pod's events")
    .action(async (options: EventsOptions) => {
      if (options.tenant !== undefined) tenantId(options.tenant);
      if (options.pod !== undefined) podRef(options.pod);
      const client = await ctx.client();
      const query = { tenant: options.tenant, pod: options.pod };
      // Subscribe before reading the tail so no event falls between the two.
      const stream = options.follow
        ? await client.stream("/events/stream", query, ctx.io.signal)
        : undefined;
      const recent = await client.request<PodEvent[]>("GET", "/events", {
        query: { ...query, tail: options.tail },
      }).catch(async (error) => {
        await stream?.cancel();
        throw error;
      });
      const json = options.format === "json";
      if (!stream) {
        if (json) return await ctx.out(renderJson(recent));
        if (recent.length === 0) return await ctx.err("No events\n");
        return await ctx.out(renderTable(EVENT_HEADERS, recent.map(eventRow), paintType(ctx)));
      }
      const widths = columnWidths([EVENT_HEADERS, ...recent.map(eventRow)], [20, 16, 7, 14]);
      const print = (event: PodEvent) =>
        ctx.out(
          json ? JSON.stringify(event) + "\n" : renderRow(eventRow(event), widths, paintType(ctx)),
        );
      if (!json) await ctx.out(renderRow(EVENT_HEADERS, widths));
      let lastId = -Infinity;
      for (const event of recent) {
        await print(event);
        lastId = Math.max(lastId, event.id);
      }
      await untilAborted(ctx, async () => {
        for await (const message of readSse(stream)) {
          if (message.event !== "pod-event") continue;
          const event = JSON.parse(message.data) as PodEvent;
          if (event.id <= lastId || !matches(event, options)) continue;
          lastId = event.id;
          await print(event);
        }
      });
      if (!ctx.io.signal?.aborted) {
        throw new CliError(ExitCode.failure, "The server closed the event stream");
      }
    });

  const config = program.command("config").description("Read and change pod configuration");
  withFormat(config.command("get <tenant/pod>"))
    .description("Print a pod's adapter config (secrets masked)")
    .action(async (address: string, options: FormatOptions) => {
      const ref = podRef(address);
      const client = await ctx.client();
      const answer = await client.request<{ pod: string; adapter: string; config: unknown }>(
        "GET",
        `${podPath(ref)}/config`,
      );
      await ctx.out(
        options.format === "json"
          ? renderJson(answer)
          : `Pod:     ${answer.pod}\nAdapter: ${answer.adapter}\n\n${renderJson(answer.config)}`,
      );
    });

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  withFormat(config.command("set <tenant/pod>"))
    .description(
      "Change a pod's adapter config and apply it (hot reload, restart or recreate, as the adapter needs)",
    )
    .option(
      "--key <path>",
      "dot path to set, e.g. providers.anthropic.apiKey (repeatable)",
      collect,
    )
    .option("--value <value>", "value for the --key at the same position; JSON or text", collect)
    .option("--unset <path>", "dot path to remove (repeatable)", collect)
    .option("--config <file>", "JSON document merged into the config (null removes a key)")
    .action(async (
      address: string,
      options: FormatOptions & {
        key?: string[];
        value?: string[];
        unset?: string[];
        config?: string;
      },
    ) => {
      const ref = podRef(address);
      const keys = options.key ?? [];
      const values = options.value ?? [];
      if (keys.length !== values.length) {
        throw new CliError(
          ExitCode.usage,
          `Each --key needs a --value (got ${keys.length} key(s), ${values.length} value(s))`,
        );
      }
      for (const key of [...keys, ...(options.unset ?? [])]) {
        try {
          parseConfigPath(key);
        } catch (error) {
          throw new CliError(ExitCode.usage, (error as Error).message);
        }
      }
      if (keys.length === 0 && !options.unset?.length && options.config === undefined) {
        throw new CliError(
          ExitCode.usage,
          "Nothing to change: give --key and --value, --unset or --config",
        );
      }
      const body = {
        ...(options.config === undefined ? {} : { merge: await readConfig(options.config) }),
        set: keys.map((path, i) => ({ path, value: parseCliValue(values[i]!) })),
        unset: options.unset ?? [],
      };
      const client = await ctx.client();
      const answer = await client.request<
        { pod: PodView; effect: string; changed: string[]; warning?: string }
      >(
        "PATCH",
        `${podPath(ref)}/config`,
        { body },
      );
      if (options.format === "json") return await ctx.out(renderJson(answer));
      if (answer.warning) await ctx.err(`Warning: ${answer.warning}\n`);
      await ctx.out(
        answer.changed.length === 0
          ? `Pod ${answer.pod.pod}: config unchanged\n`
          : `Pod ${answer.pod.pod}: changed ${answer.changed.join(", ")} (${
            describeConfigEffect(answer.effect)
          })\n`,
      );
    });
}

interface EventsOptions extends FormatOptions {
  tail: number;
  follow?: boolean;
  tenant?: string;
  pod?: string;
}

const EVENT_HEADERS = ["Time", "Pod", "Type", "Reason", "By", "Message"];

function eventRow(event: PodEvent): string[] {
  return [
    formatTime(event.time),
    orDash(event.pod ?? event.tenant),
    event.type,
    event.reason,
    orDash(event.actor),
    event.message,
  ];
}

function matches(event: PodEvent, filter: { tenant?: string; pod?: string }): boolean {
  if (filter.pod !== undefined && event.pod !== filter.pod) return false;
  if (filter.tenant === undefined) return true;
  return event.tenant === filter.tenant || event.pod?.startsWith(`${filter.tenant}/`) === true;
}

function paintType(ctx: CliContext) {
  return (column: number, text: string) => column === 2 ? ctx.paint(text) : text;
}

function paintFirst(ctx: CliContext) {
  return (column: number, text: string) => column === 0 ? ctx.paint(text) : text;
}
