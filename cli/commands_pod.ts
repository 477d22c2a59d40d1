/**
 * `agentpod pod create|delete|list|status|start|stop|restart|logs`: wrappers over the
 * pod endpoints. `create --wait` polls until the pod runs and is healthy; `logs`
 * streams NDJSON. Decisions stay on the server.
 * @module
 */
import { registerPodAccessCommands } from "./commands_pod_access.ts";
import { formatAge, registerBackupCommands } from "./commands_backup.ts";
import type { Command } from "commander";
import type { PodRef } from "../core/ids.ts";
import type { PodView } from "./api_types.ts";
import type { ApiClient } from "./client.ts";
import type { CliContext, FormatOptions } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import {
  formatCpu,
  formatMemory,
  formatTime,
  orDash,
  renderJson,
  renderKeyValues,
  renderTable,
} from "./format.ts";
import { readNdjson } from "./ndjson.ts";
import { registerRolloutCommands } from "./commands_rollout.ts";
import { podPath, podRef, positiveNumber, tenantId, wholeNumber, withFormat } from "./options.ts";

/** Default polling of `pod create --wait`. */
export const DEFAULT_WAIT = { intervalMs: 1_000, timeoutMs: 180_000 };
/** How long a pod may stay `failed` before `--wait` gives up early. */
const FAILED_GRACE_MS = 10_000;

/** Adds the `pod` command group. */
export function registerPodCommands(program: Command, ctx: CliContext): void {
  const pod = program.command("pod").description(
    "Create, inspect, control, upgrade and delete pods",
  );
  registerRolloutCommands(program, pod, ctx);
  registerPodAccessCommands(pod, ctx);
  registerBackupCommands(program, pod, ctx);

  withFormat(pod.command("create <tenant/pod>"))
    .description("Create a pod: <tenant-id>/<pod>")
    .option("--type <adapter>", "agent type (adapter id)", "openclaw")
    .option("--image <ref>", "image reference (default: the adapter's image)")
    .option("--config <file>", "JSON file with the adapter config")
    .option("--memory <mb>", "memory limit in MB", wholeNumber(1))
    .option("--cpus <n>", "CPU limit", positiveNumber)
    .option("--wait", "wait until the pod runs and is healthy (180 s at most)")
    .action(async (address: string, options: CreateOptions) => {
      const ref = podRef(address);
      const config = options.config === undefined ? undefined : await readConfig(options.config);
      const client = await ctx.client();
      const resources: Record<string, number> = {};
      if (options.memory !== undefined) resources.memoryMB = options.memory;
      if (options.cpus !== undefined) resources.cpus = options.cpus;
      const body: Record<string, unknown> = { name: ref.pod, adapter: options.type };
      if (options.image !== undefined) body.image = options.image;
      if (config !== undefined) body.config = config;
      if (Object.keys(resources).length) body.resources = resources;
      let view = await client.request<PodView>(
        "POST",
        `/tenants/${encodeURIComponent(ref.tenant)}/pods`,
        { body },
      );
      if (options.wait) view = await waitUntilHealthy(ctx, client, ref, view);
      await ctx.out(
        options.format === "json"
          ? renderJson(view)
          : `Created pod "${view.pod}" (${describeState(view)})\n`,
      );
    });

  withFormat(pod.command("delete <tenant/pod>"))
    .description("Delete a pod with its container, volume and route")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--force", "kill the container at once instead of stopping it gracefully")
    .action(
      async (address: string, options: FormatOptions & { yes?: boolean; force?: boolean }) => {
        const ref = podRef(address);
        const client = await ctx.client();
        await ctx.confirm(`Delete pod "${address}" and its data?`, options.yes);
        const view = await client.request<PodView>("DELETE", podPath(ref), {
          query: { force: options.force },
        });
        await ctx.out(
          options.format === "json" ? renderJson(view) : `Deleting pod "${view.pod}"\n`,
        );
      },
    );

  withFormat(pod.command("list"))
    .description("List pods, all or one tenant's")
    .option("--tenant <tenant-id>", "only this tenant's pods")
    .option("--wide", "also the image, host port and the last good backup's age")
    .action(async (options: FormatOptions & { tenant?: string; wide?: boolean }) => {
      if (options.tenant !== undefined) tenantId(options.tenant);
      const client = await ctx.client();
      const pods = await client.request<PodView[]>("GET", "/pods", {
        query: { tenant: options.tenant },
      });
      if (!options.wide) {
        if (options.format === "json") return await ctx.out(renderJson(pods));
        if (pods.length === 0) return await ctx.err("No pods\n");
        return await ctx.out(renderPodTable(pods, ctx.paint));
      }
      const last = await client.request<Record<string, string>>("GET", "/backups/last");
      const wide = pods.map((p) => ({ ...p, lastBackupAt: last[p.id ?? ""] ?? null }));
      if (options.format === "json") return await ctx.out(renderJson(wide));
      if (pods.length === 0) return await ctx.err("No pods\n");
      await ctx.out(renderTable(
        ["Pod", "Status", "Health", "CPU", "Memory", "Image", "Port", "Last backup"],
        wide.map((p) => [
          p.pod,
          p.status,
          orDash(p.health),
          formatCpu(p.cpu),
          formatMemory(p.memoryMB),
          orDash(p.image),
          orDash(p.hostPort),
          p.lastBackupAt ? `${formatAge(p.lastBackupAt)} ago` : "never",
        ]),
        (column, text) => column === 1 || column === 2 ? ctx.paint(text) : text,
      ));
    });

  withFormat(pod.command("status <tenant/pod>"))
    .description("Show a pod's state, health, address and conditions")
    .action(async (address: string, options: FormatOptions) => {
      const ref = podRef(address);
      const client = await ctx.client();
      const view = await client.request<PodView>("GET", podPath(ref));
      await ctx.out(
        options.format === "json" ? renderJson(view) : renderPodStatus(view, ctx.paint),
      );
    });

  for (
    const [verb, doing, summary] of [
      ["start", "Starting", "Start a stopped pod"],
      ["stop", "Stopping", "Stop a pod (its data is kept)"],
      ["restart", "Restarting", "Restart a pod's container"],
    ] as const
  ) {
    withFormat(pod.command(`${verb} <tenant/pod>`))
      .description(summary)
      .action(async (address: string, options: FormatOptions) => {
        const ref = podRef(address);
        const client = await ctx.client();
        const view = await client.request<PodView>("POST", `${podPath(ref)}/${verb}`);
        await ctx.out(
          options.format === "json" ? renderJson(view) : `${doing} pod "${view.pod}"\n`,
        );
      });
  }

  withFormat(pod.command("logs <tenant/pod>"))
    .description("Print a pod's container logs (--format json: NDJSON with the stream name)")
    .option("--tail <lines>", "lines from the end", wholeNumber(0), 50)
    .option("-f, --follow", "keep printing new lines")
    .option("--timestamps", "prefix each line with its time")
    .action(async (address: string, options: LogsOptions) => {
      const ref = podRef(address);
      const client = await ctx.client();
      const body = await client.stream(`${podPath(ref)}/logs`, {
        tail: options.tail,
        follow: options.follow,
        timestamps: options.timestamps,
      }, ctx.io.signal);
      await untilAborted(ctx, async () => {
        for await (const entry of readNdjson(body)) {
          await ctx.out(
            options.format === "json"
              ? JSON.stringify(entry) + "\n"
              : logLine(entry as LogEntry, options.timestamps ?? false),
          );
        }
      });
    });
}

interface CreateOptions extends FormatOptions {
  type: string;
  image?: string;
  config?: string;
  memory?: number;
  cpus?: number;
  wait?: boolean;
}

interface LogsOptions extends FormatOptions {
  tail: number;
  follow?: boolean;
  timestamps?: boolean;
}

/** One line of the logs stream. */
interface LogEntry {
  stream?: string;
  text?: string;
  time?: string;
}

/** The `pod list` table: `Pod  Status  Health  CPU  Memory`. */
export function renderPodTable(
  pods: PodView[],
  paint: (text: string) => string = (t) => t,
): string {
  return renderTable(
    ["Pod", "Status", "Health", "CPU", "Memory"],
    pods.map((
      p,
    ) => [p.pod, p.status, orDash(p.health), formatCpu(p.cpu), formatMemory(p.memoryMB)]),
    (column, text) => column === 1 || column === 2 ? paint(text) : text,
  );
}

/** The `pod status` block: key/values, then the conditions as a table. */
export function renderPodStatus(view: PodView, paint: (text: string) => string = (t) => t): string {
  const coloured = new Set(["Status", "Health"]);
  let text = renderKeyValues([
    ["Pod", view.pod],
    ["Status", view.status],
    ["Desired", orDash(view.desiredState)],
    ["Health", orDash(view.health)],
    ["CPU", formatCpu(view.cpu)],
    ["Memory", formatMemory(view.memoryMB)],
    ["Adapter", orDash(view.adapter)],
    ["Image", orDash(view.image)],
    ["Host port", orDash(view.hostPort)],
    ["URL", orDash(view.url)],
    ["Restarts", orDash(view.restarts ?? 0)],
    ["Last error", orDash(view.lastError)],
    ...(view.adopted
      ? [[
        "Adopted",
        `container ${view.adopted.containerName} (${view.adopted.containerId.slice(0, 12)}), ${
          view.adopted.routed ? "routed through Traefik" : "not routed"
        }`,
      ] as [string, string]]
      : []),
  ], (key, value) => coloured.has(key) ? paint(value) : value);
  const conditions = view.conditions ?? [];
  if (conditions.length) {
    text += "\nConditions:\n" + renderTable(
      ["Type", "Status", "Reason", "Since", "Message"],
      conditions.map((c) => [
        c.type,
        c.status,
        orDash(c.reason),
        formatTime(c.lastTransitionTime),
        orDash(c.message),
      ]),
      (column, cell) => column === 1 ? paint(cell) : cell,
    );
  }
  return text;
}

function describeState(view: PodView): string {
  return view.health ? `${view.status}, health ${view.health}` : view.status;
}

function logLine(entry: LogEntry, timestamps: boolean): string {
  const text = (entry.text ?? "").replace(/\r?\n$/, "");
  return (timestamps && entry.time ? `${entry.time} ` : "") + text + "\n";
}

/** Reads a JSON object from a file, with CLI errors naming it. */
export async function readConfig(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : String(error);
    throw new CliError(ExitCode.failure, `Cannot read config file "${path}": ${reason}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      ExitCode.failure,
      `Invalid config file "${path}": ${(error as Error).message}`,
    );
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new CliError(ExitCode.failure, `Invalid config file "${path}": expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Polls the pod until it is running with health ok. Gives up after the timeout, or
 * early when the pod stays `failed` (a bad image, a config the agent rejects).
 */
export async function waitUntilHealthy(
  ctx: CliContext,
  client: ApiClient,
  ref: PodRef,
  initial: PodView,
): Promise<PodView> {
  const { intervalMs, timeoutMs } = ctx.io.wait ?? DEFAULT_WAIT;
  const started = Date.now();
  let view = initial;
  let shown = "";
  let failedSince: number | undefined;
  while (true) {
    const state = describeState(view);
    if (ctx.showProgress && state !== shown) {
      await ctx.err(`Waiting for "${view.pod}": ${state}\n`);
      shown = state;
    }
    if (view.status === "running" && view.health === "ok") return view;
    const now = Date.now();
    failedSince = view.status === "failed" ? failedSince ?? now : undefined;
    const why = view.lastError ? `: ${view.lastError}` : "";
    if (failedSince !== undefined && now - failedSince >= Math.min(FAILED_GRACE_MS, timeoutMs)) {
      throw new CliError(ExitCode.failure, `Pod "${view.pod}" failed${why}`);
    }
    if (now - started >= timeoutMs) {
      throw new CliError(
        ExitCode.failure,
        `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for pod "${view.pod}" ` +
          `to run and be healthy: it is ${state}${why}`,
      );
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, timeoutMs - (now - started)))
    );
    view = await client.request<PodView>("GET", podPath(ref));
  }
}

/** Runs a streaming loop; an abort of `io.signal` ends it quietly. */
export async function untilAborted(ctx: CliContext, loop: () => Promise<void>): Promise<void> {
  try {
    await loop();
  } catch (error) {
    if (ctx.io.signal?.aborted) return;
    throw error;
  }
}
