/**
 * `agentpod pod backup|restore` and `agentpod backup list|verify|delete|tasks|policy`:
 * wrappers over the backup routes. A backup, restore or drill is a task the control
 * plane carries out; the command follows it to its end (progress on a terminal) and
 * exits non-zero unless it succeeded. A file given to `--from` or `verify` is uploaded.
 * @module
 */
import type { Command } from "commander";
import {
  type BackupPolicy,
  type BackupRecord,
  type BackupTask,
  formatBytes,
} from "../core/backup.ts";
import type { ApiClient } from "./client.ts";
import type { CliContext, FormatOptions } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import { formatTime, orDash, renderJson, renderKeyValues, renderTable } from "./format.ts";
import { podPath, podRef, tenantId, wholeNumber, withFormat } from "./options.ts";

/** An archive, a task and a schedule as the API returns them (core's shapes). */
type BackupJson = BackupRecord;
type TaskJson = BackupTask;
type PolicyJson = BackupPolicy;

const FOLLOW_INTERVAL_MS = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Adds `pod backup`, `pod restore` and the `backup` group. */
export function registerBackupCommands(program: Command, pod: Command, ctx: CliContext): void {
  withFormat(pod.command("backup <tenant/pod>"))
    .description("Back up a pod's state: online by default (the agent keeps running)")
    .option("--cold", "stop the agent while its state is archived, then start it")
    .option("--no-wait", "queue it and return (follow with backup tasks)")
    .action(async (address: string, options: FormatOptions & { cold?: boolean; wait: boolean }) => {
      const ref = podRef(address);
      const client = await ctx.client();
      let task = await client.request<TaskJson>("POST", `${podPath(ref)}/backups`, {
        body: options.cold ? { cold: true } : {},
      });
      if (options.wait) task = await follow(ctx, client, task);
      await printTask(ctx, client, task, options, options.wait);
    });

  withFormat(pod.command("restore <tenant/pod>"))
    .description("Restore a pod's state from a backup (by id, or an archive file)")
    .requiredOption("--from <backup-id|file>", "the backup id, or an archive file to upload")
    .option("--clone-from <tenant/pod>", "the archive is of this other pod, on purpose")
    .option("--no-wait", "queue it and return (follow with backup tasks)")
    .action(
      async (
        address: string,
        options: FormatOptions & { from: string; cloneFrom?: string; wait: boolean },
      ) => {
        const ref = podRef(address);
        if (options.cloneFrom !== undefined) podRef(options.cloneFrom);
        const client = await ctx.client();
        const from = await backupIdOf(ctx, client, options.from);
        let task = await client.request<TaskJson>("POST", `${podPath(ref)}/restore`, {
          body: { from, ...(options.cloneFrom ? { cloneFrom: options.cloneFrom } : {}) },
        });
        if (options.wait) task = await follow(ctx, client, task);
        await printTask(ctx, client, task, options, options.wait);
      },
    );

  const backup = program.command("backup").description("Backups: list, verify, drill, schedule");
  withFormat(backup.command("list"))
    .description("Archives, newest first")
    .option("--tenant <id>", "only this tenant's")
    .option("--pod <tenant/pod>", "only this pod's")
    .action(async (options: FormatOptions & { tenant?: string; pod?: string }) => {
      if (options.tenant !== undefined) tenantId(options.tenant);
      if (options.pod !== undefined) podRef(options.pod);
      const list = await (await ctx.client()).request<BackupJson[]>("GET", "/backups", {
        query: { tenant: options.tenant, pod: options.pod },
      });
      await ctx.out(
        options.format === "json" ? renderJson(list) : renderTable(
          ["Backup", "Pod", "Taken", "Age", "Size", "Method", "Paused", "Origin", "Drill"],
          list.map((b) => [
            b.id,
            `${b.tenant}/${b.pod}`,
            formatTime(b.createdAt),
            formatAge(b.createdAt),
            formatBytes(b.bytes),
            b.method,
            b.method === "agent" ? "-" : `${b.downtimeMs} ms`,
            b.origin,
            b.drill ? ctx.paint(b.drill.ok ? "ok" : "FAIL") : "-",
          ]),
        ),
      );
    });

  withFormat(backup.command("verify <backup-id|file>"))
    .description("Check an archive (manifest, checksum, entries); --drill also boots it")
    .option("--drill", "restore it into a scratch container with no network and probe it")
    .action(async (target: string, options: FormatOptions & { drill?: boolean }) => {
      const client = await ctx.client();
      if (!UUID.test(target) && !options.drill) {
        const checked = await upload<{ manifest: Record<string, unknown> }>(
          client,
          target,
          false,
        );
        await ctx.out(
          options.format === "json"
            ? renderJson({ ok: true, ...checked })
            : `${target}: ok — ${describeManifest(checked.manifest)}\n`,
        );
        return;
      }
      const id = await backupIdOf(ctx, client, target);
      if (options.drill) {
        let task = await client.request<TaskJson>("POST", `/backups/${id}/verify`, {
          body: { drill: true },
        });
        task = await follow(ctx, client, task);
        await printTask(ctx, client, task, options, true);
        return;
      }
      const checked = await client.request<{ manifest: Record<string, unknown> }>(
        "POST",
        `/backups/${id}/verify`,
        { body: {} },
      );
      await ctx.out(
        options.format === "json"
          ? renderJson({ ok: true, ...checked })
          : `Backup ${id}: ok — ${describeManifest(checked.manifest)}\n`,
      );
    });

  withFormat(backup.command("delete <backup-id>"))
    .description("Delete an archive and its file")
    .action(async (id: string, options: FormatOptions) => {
      const deleted = await (await ctx.client()).request<BackupJson>(
        "DELETE",
        `/backups/${encodeURIComponent(id)}`,
      );
      await ctx.out(
        options.format === "json" ? renderJson(deleted) : `Deleted backup ${deleted.id}\n`,
      );
    });

  withFormat(backup.command("tasks"))
    .description("Backups, restores and drills, newest first")
    .option("--pod <tenant/pod>", "only this pod's")
    .action(async (options: FormatOptions & { pod?: string }) => {
      if (options.pod !== undefined) podRef(options.pod);
      const list = await (await ctx.client()).request<TaskJson[]>("GET", "/backup-tasks", {
        query: { pod: options.pod },
      });
      await ctx.out(
        options.format === "json" ? renderJson(list) : renderTable(
          ["Task", "Kind", "Pod", "State", "Started", "Message"],
          list.map((t) => [
            t.id,
            t.kind,
            `${t.tenant}/${t.pod}`,
            ctx.paint(t.state),
            formatTime(t.createdAt),
            orDash(t.message),
          ]),
        ),
      );
    });

  const policy = backup.command("policy").description("Backup schedules, with retention");
  withFormat(policy.command("set"))
    .description("Schedule backups of every pod, a tenant's pods (--tenant) or one (--pod)")
    .option("--tenant <id>", "this tenant's pods")
    .option("--pod <tenant/pod>", "this pod")
    .option("--every <duration>", "an interval: 24h, 6h, 30m")
    .option("--cron <expression>", "or a cron expression: '0 3 * * *'")
    .requiredOption("--keep <n>", "scheduled archives kept per pod", wholeNumber(1))
    .option("--drill", "drill each scheduled archive")
    .action(
      async (
        options: FormatOptions & {
          tenant?: string;
          pod?: string;
          every?: string;
          cron?: string;
          keep: number;
          drill?: boolean;
        },
      ) => {
        if (options.tenant !== undefined) tenantId(options.tenant);
        if (options.pod !== undefined) podRef(options.pod);
        if ((options.every === undefined) === (options.cron === undefined)) {
          throw new CliError(
            ExitCode.usage,
            "Give the schedule: --every 24h, or --cron '0 3 * * *'",
          );
        }
        const set = await (await ctx.client()).request<PolicyJson>("PUT", "/backup-policies", {
          body: {
            tenant: options.tenant,
            pod: options.pod,
            every: options.every,
            cron: options.cron,
            keep: options.keep,
            drill: options.drill === true,
          },
        });
        await ctx.out(
          options.format === "json"
            ? renderJson(set)
            : `Backup policy for ${set.scope}: ${describePolicy(set)}\n`,
        );
      },
    );
  withFormat(policy.command("list"))
    .description("The schedules (a pod's own wins over its tenant's, which wins over all)")
    .action(async (options: FormatOptions) => {
      const list = await (await ctx.client()).request<PolicyJson[]>("GET", "/backup-policies");
      await ctx.out(
        options.format === "json" ? renderJson(list) : renderTable(
          ["Scope", "Schedule", "Keep", "Drill", "Changed"],
          list.map((p) => [
            p.scope,
            p.everyMs !== null ? `every ${formatDuration(p.everyMs)}` : `cron ${p.cron}`,
            String(p.keep),
            p.drill ? "yes" : "no",
            formatTime(p.updatedAt),
          ]),
        ),
      );
    });
  withFormat(policy.command("unset"))
    .description("Remove the schedule of every pod, a tenant (--tenant) or a pod (--pod)")
    .option("--tenant <id>", "this tenant's")
    .option("--pod <tenant/pod>", "this pod's")
    .action(async (options: FormatOptions & { tenant?: string; pod?: string }) => {
      if (options.tenant !== undefined) tenantId(options.tenant);
      if (options.pod !== undefined) podRef(options.pod);
      const removed = await (await ctx.client()).request<{ scope: string }>(
        "DELETE",
        "/backup-policies",
        { query: { tenant: options.tenant, pod: options.pod } },
      );
      await ctx.out(
        options.format === "json"
          ? renderJson(removed)
          : `Removed the backup policy for ${removed.scope}\n`,
      );
    });
}

/** A backup id as given, or the id of an archive file uploaded and kept. */
async function backupIdOf(ctx: CliContext, client: ApiClient, from: string): Promise<string> {
  if (UUID.test(from)) return from.toLowerCase();
  if (ctx.showProgress) await ctx.err(`Uploading ${from}…\n`);
  const { backup } = await upload<{ backup: { id: string } }>(client, from, true);
  return backup.id;
}

async function upload<T>(client: ApiClient, path: string, keep: boolean): Promise<T> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    throw new CliError(
      ExitCode.usage,
      `"${path}" is neither a backup id nor a readable archive file (${(error as Error).message})`,
    );
  }
  return await client.request<T>("POST", "/backups/import", {
    query: { keep: keep ? undefined : "false" },
    raw: { body: file.readable, contentType: "application/x-tar" },
  });
}

/** Polls a task until it ends, printing its steps on a terminal. */
async function follow(ctx: CliContext, client: ApiClient, initial: TaskJson): Promise<TaskJson> {
  let task = initial;
  let said = "";
  while (true) {
    if (ctx.showProgress) {
      const line = `${task.kind} ${task.tenant}/${task.pod}: ${task.state}${
        task.message ? ` — ${task.message}` : ""
      }`;
      if (line !== said) {
        said = line;
        await ctx.err(`${line}\n`);
      }
    }
    if (task.state === "succeeded" || task.state === "failed") return task;
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
    task = await client.request<TaskJson>("GET", `/backup-tasks/${task.id}`);
  }
}

async function printTask(
  ctx: CliContext,
  client: ApiClient,
  task: TaskJson,
  options: FormatOptions,
  waited: boolean,
): Promise<void> {
  const backup = task.kind === "backup" && task.state === "succeeded"
    ? await client.request<BackupJson>("GET", `/backups/${task.backupId}`)
    : undefined;
  if (options.format === "json") {
    await ctx.out(renderJson(backup ? { ...task, backup } : task));
  } else {
    await ctx.out(renderKeyValues([
      ["Task", task.id],
      ["Kind", task.kind],
      ["Pod", `${task.tenant}/${task.pod}`],
      ["Backup", task.backupId],
      ["State", ctx.paint(task.state)],
      ["Message", orDash(task.message)],
      ...(backup
        ? [
          ["Size", `${formatBytes(backup.bytes)} (${backup.entries} entries)`] as [string, string],
          ["Method", backup.method] as [string, string],
          ["Paused", backup.method === "agent" ? "no (online)" : `${backup.downtimeMs} ms`] as [
            string,
            string,
          ],
        ]
        : []),
    ]));
  }
  if (waited && task.state !== "succeeded") {
    throw new CliError(
      ExitCode.failure,
      `The ${task.kind} failed: ${task.message ?? "no reason given"}`,
    );
  }
}

function describeManifest(m: Record<string, unknown>): string {
  const payload = m.payload as { bytes: number; entries: number };
  return `backup ${m.id} of ${m.pod} (${m.adapter}, ${m.method}), taken ${
    formatTime(m.createdAt as string)
  }, ${formatBytes(payload.bytes)} in ${payload.entries} entries`;
}

function describePolicy(p: PolicyJson): string {
  const schedule = p.everyMs !== null ? `every ${formatDuration(p.everyMs)}` : `cron ${p.cron}`;
  return `${schedule}, keep ${p.keep}${p.drill ? ", drill each" : ""}`;
}

/** `3h`, `2d`, `45s` (the largest whole unit). */
export function formatDuration(ms: number): string {
  for (
    const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], [
      "s",
      1_000,
    ]] as const
  ) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** How long ago `iso` was: `5m`, `3h`, `2d`. */
export function formatAge(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
