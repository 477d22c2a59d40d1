/**
 * `agentpod pod upgrade` and `agentpod rollout list|status|pause|resume|abort`: wrappers
 * over `/rollouts`. `pod upgrade` starts a rollout and follows it to its end (progress on
 * a terminal), exiting non-zero unless every pod was upgraded; `--dry-run` prints the plan.
 * @module
 */
import type { Command } from "commander";
import { parseDuration } from "../core/rollout.ts";
import type { ApiClient } from "./client.ts";
import type { CliContext, FormatOptions } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import { formatTime, orDash, renderJson, renderKeyValues, renderTable } from "./format.ts";
import { podRef, tenantId, wholeNumber, withFormat } from "./options.ts";

/** A rollout as the API returns it. */
interface RolloutJson {
  id: string;
  image: string;
  imageId: string | null;
  state: string;
  message: string | null;
  createdAt: string;
  finishedAt: string | null;
  items: {
    tenant: string;
    pod: string;
    canary: boolean;
    state: string;
    message: string | null;
    stoppedAt: string | null;
    readyAt: string | null;
  }[];
}

/** A dry run's answer. */
interface PlanJson {
  image: string;
  imageId: string | null;
  pods: { pod: string; position: number; canary: boolean; batch: number }[];
}

const DONE = new Set(["succeeded", "failed", "aborted"]);
/** How often `pod upgrade` and `rollout status --follow` look. */
const FOLLOW_INTERVAL_MS = 500;

interface UpgradeOptions extends FormatOptions {
  image: string;
  all?: boolean;
  tenant?: string;
  maxUnavailable?: string;
  canary?: number;
  maxFailures?: number;
  minReady?: string;
  progressDeadline?: string;
  dryRun?: boolean;
  allowDowngrade?: boolean;
  wait: boolean;
}

/** Adds `pod upgrade` to the `pod` group and the `rollout` group. */
export function registerRolloutCommands(program: Command, pod: Command, ctx: CliContext): void {
  withFormat(pod.command("upgrade [tenant/pod]"))
    .description("Upgrade a pod, or every running pod (--all), to an image, with rollback")
    .requiredOption("--image <ref>", "the image to upgrade to")
    .option("--all", "every running pod (of --tenant)")
    .option("--tenant <id>", "with --all: only this tenant's pods")
    .option("--max-unavailable <n|p%>", "pods not ready at once", "1")
    .option("--canary <n>", "pods upgraded first, alone", wholeNumber(0))
    .option("--max-failures <n>", "rollbacks that pause the rollout", wholeNumber(1))
    .option("--min-ready <duration>", "ready this long to count (20s)", "10s")
    .option("--progress-deadline <duration>", "time a pod gets to be ready", "180s")
    .option("--allow-downgrade", "allow an image older than a pod's")
    .option("--dry-run", "print the plan (order, batches); change nothing")
    .option("--no-wait", "start it and return (follow with rollout status --follow)")
    .action(async (address: string | undefined, options: UpgradeOptions) => {
      if ((address === undefined) === !options.all) {
        throw new CliError(ExitCode.usage, "Name a pod (<tenant>/<pod>) or pass --all");
      }
      const body: Record<string, unknown> = {
        image: options.image,
        maxUnavailable: options.maxUnavailable,
        minReadyMs: duration(options.minReady ?? "10s", "--min-ready"),
        progressDeadlineMs: duration(options.progressDeadline ?? "180s", "--progress-deadline"),
      };
      if (address !== undefined) {
        const ref = podRef(address);
        body.pods = [`${ref.tenant}/${ref.pod}`];
      } else body.all = true;
      if (options.tenant !== undefined) body.tenant = tenantId(options.tenant);
      if (options.canary !== undefined) body.canary = options.canary;
      if (options.maxFailures !== undefined) body.maxFailures = options.maxFailures;
      if (options.allowDowngrade) body.allowDowngrade = true;
      const client = await ctx.client();
      if (options.dryRun) {
        const plan = await client.request<PlanJson>("POST", "/rollouts?dryRun=true", { body });
        await ctx.out(options.format === "json" ? renderJson(plan) : planTable(plan));
        return;
      }
      let rollout = await client.request<RolloutJson>("POST", "/rollouts", { body });
      if (options.wait) rollout = await follow(ctx, client, rollout);
      await ctx.out(options.format === "json" ? renderJson(rollout) : rolloutText(rollout));
      if (options.wait) failUnlessSucceeded(rollout);
    });

  const rollout = program.command("rollout").description("Follow and steer upgrades");
  withFormat(rollout.command("list"))
    .description("Rollouts, newest first")
    .action(async (options: FormatOptions) => {
      const list = await (await ctx.client()).request<RolloutJson[]>("GET", "/rollouts");
      await ctx.out(
        options.format === "json" ? renderJson(list) : renderTable(
          ["Rollout", "Image", "State", "Pods", "Started", "Message"],
          list.map((r) => [
            r.id,
            r.image,
            ctx.paint(r.state),
            String(r.items.length),
            formatTime(r.createdAt),
            orDash(r.message),
          ]),
        ),
      );
    });
  withFormat(rollout.command("status [id]"))
    .description("A rollout with its pods (the newest when no id is given)")
    .option("--follow", "follow it until it ends")
    .action(async (id: string | undefined, options: FormatOptions & { follow?: boolean }) => {
      const client = await ctx.client();
      let current = id === undefined
        ? (await client.request<RolloutJson[]>("GET", "/rollouts"))[0]
        : await client.request<RolloutJson>("GET", `/rollouts/${encodeURIComponent(id)}`);
      if (!current) throw new CliError(ExitCode.notFound, "No rollout yet");
      if (options.follow) current = await follow(ctx, client, current);
      await ctx.out(options.format === "json" ? renderJson(current) : rolloutText(current));
    });
  for (const verb of ["pause", "resume", "abort"] as const) {
    withFormat(rollout.command(`${verb} <id>`))
      .description(
        verb === "pause"
          ? "Stop starting pods (those under way finish)"
          : verb === "resume"
          ? "Go on after a pause (past rollbacks no longer count)"
          : "End it; pods not started stay untouched",
      )
      .action(async (id: string, options: FormatOptions) => {
        const done = await (await ctx.client()).request<RolloutJson>(
          "POST",
          `/rollouts/${encodeURIComponent(id)}/${verb}`,
        );
        await ctx.out(options.format === "json" ? renderJson(done) : rolloutText(done));
      });
  }
}

function duration(value: string, what: string): number {
  try {
    return parseDuration(value, what);
  } catch (error) {
    throw new CliError(ExitCode.usage, (error as Error).message);
  }
}

/** Polls until the rollout ends or pauses, printing each pod's changes on a terminal. */
async function follow(
  ctx: CliContext,
  client: ApiClient,
  initial: RolloutJson,
): Promise<RolloutJson> {
  let rollout = initial;
  const said = new Map<string, string>();
  while (true) {
    if (ctx.showProgress) {
      for (const item of rollout.items) {
        const line = `${item.tenant}/${item.pod}: ${item.state}${
          item.message ? ` — ${item.message}` : ""
        }`;
        const key = `${item.tenant}/${item.pod}`;
        if (said.get(key) !== line) {
          said.set(key, line);
          await ctx.err(`${line}\n`);
        }
      }
    }
    if (DONE.has(rollout.state) || rollout.state === "paused") return rollout;
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
    rollout = await client.request<RolloutJson>("GET", `/rollouts/${rollout.id}`);
  }
}

function failUnlessSucceeded(rollout: RolloutJson): void {
  if (rollout.state === "succeeded") return;
  const why = rollout.items.filter((i) => i.state !== "succeeded" && i.message)
    .map((i) => `${i.tenant}/${i.pod}: ${i.message}`);
  throw new CliError(
    ExitCode.failure,
    `Rollout ${rollout.id} ${rollout.state}: ${rollout.message ?? ""}${
      why.length ? ` (${why.join("; ")})` : ""
    }`,
  );
}

function rolloutText(r: RolloutJson): string {
  const head = renderKeyValues([
    ["Rollout", r.id],
    ["Image", r.imageId ? `${r.image} (${r.imageId.slice(0, 19)})` : r.image],
    ["State", r.state],
    ["Message", orDash(r.message)],
    ["Started", formatTime(r.createdAt)],
    ["Finished", r.finishedAt ? formatTime(r.finishedAt) : "-"],
  ]);
  const rows = r.items.map((i) => [
    `${i.tenant}/${i.pod}`,
    i.canary ? "canary" : "",
    i.state,
    downtime(i),
    orDash(i.message),
  ]);
  return `${head}\n${renderTable(["Pod", "", "State", "Down", "Message"], rows)}`;
}

function downtime(i: RolloutJson["items"][number]): string {
  if (!i.stoppedAt || !i.readyAt) return "-";
  return `${((Date.parse(i.readyAt) - Date.parse(i.stoppedAt)) / 1000).toFixed(1)} s`;
}

function planTable(plan: PlanJson): string {
  const head = plan.imageId
    ? `Image ${plan.image} is on this host (${plan.imageId.slice(0, 19)}).\n`
    : `Image ${plan.image} is not on this host: the rollout would pull it first, or be refused.\n`;
  return head + renderTable(
    ["Batch", "Pod", ""],
    plan.pods.map((p) => [String(p.batch), p.pod, p.canary ? "canary" : ""]),
  );
}
