/**
 * The work of one backup task (see `backup_runner.ts`), each step written to the task's
 * row before it is taken, so a leader that dies in the middle knows what to undo.
 *
 * - Backup: the adapter's own online backup in the running container (OpenClaw), else
 *   the container paused while its volume streams out (the pause ends as the last byte
 *   is read), or with `--cold` stopped and started again. A stopped pod's volume is
 *   archived as it is.
 * - Restore: the archive is verified, a new container made on the next copy of the
 *   volume and the payload extracted into it, the rendered files written over (same
 *   token), the old container stopped, the new one started and gated on the adapter's
 *   probe. On failure the old container comes back. The previous volume is kept until
 *   the next successful backup.
 * - Drill: the archive restored into a scratch volume and booted with no network, ready
 *   when the adapter's in-container command says so; the scratch is removed after.
 * @module
 */
import {
  BACKUP_FORMAT,
  type BackupManifest,
  backupRecordOf,
  type BackupTask,
  formatBytes,
} from "./backup.ts";
import type { BackupRunnerDeps, BackupRunnerOptions } from "./backup_runner.ts";
import { recordStart } from "./crash_loop.ts";
import { ConflictError, errorMessage, ValidationError } from "./errors.ts";
import { containerHostname, containerName, volumeName } from "./naming.ts";
import { VERSION_LABEL } from "./rollout_runner.ts";
import type { PodRecord, Store } from "./store.ts";

/** What a step needs: the runner's dependencies, its options, and a task writer. */
export interface StepContext extends BackupRunnerDeps {
  options: BackupRunnerOptions;
  update(id: string, changes: Parameters<Store["backupTasks"]["update"]>[1]): Promise<BackupTask>;
}

/** What a restore's old container is renamed to while the new one is tried. */
export const PRE_RESTORE_SUFFIX = ".pre-restore";

async function podOf(ctx: StepContext, task: BackupTask): Promise<PodRecord> {
  const pod = await ctx.store.pods.getById(task.podId);
  if (!pod) throw new ValidationError(`Pod ${task.tenant}/${task.pod} no longer exists`);
  return pod;
}

async function event(
  ctx: StepContext,
  task: BackupTask,
  type: "Normal" | "Warning",
  reason: string,
  message: string,
): Promise<void> {
  await ctx.store.events.append({
    tenant: task.tenant,
    podId: task.podId,
    podName: task.pod,
    type,
    reason,
    message,
    actor: task.actor,
  });
}

/** Ends a stream's reading with `onEnd` (once, on end, error or cancel). */
function onDrained(
  stream: ReadableStream<Uint8Array>,
  onEnd: () => Promise<void>,
): ReadableStream<Uint8Array> {
  let ended: Promise<void> | undefined;
  const end = () => (ended ??= onEnd());
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await reader.read();
        if (next.done) {
          await end();
          controller.close();
        } else controller.enqueue(next.value);
      } catch (error) {
        await end().catch(() => {});
        controller.error(error);
      }
    },
    async cancel(reason) {
      try {
        await end();
      } finally {
        await reader.cancel(reason);
      }
    },
  });
}

/** `fn` run at most once, however often it is called (the same promise after). */
function thawOnce(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () =>
    done ??= fn().catch((error) => {
      done = undefined; // a failed thaw is tried again by the next call
      throw error;
    });
}

/** Takes one backup (task kind `backup`). */
export async function takeBackup(ctx: StepContext, task: BackupTask): Promise<void> {
  const { runtime, store } = ctx;
  const started = ctx.now();
  const pod = await podOf(ctx, task);
  const adapter = ctx.adapterById(pod.spec.adapter);
  const containerId = pod.status.containerId;
  if (!containerId) throw new ValidationError("The pod has no container to back up");
  const seen = await runtime.inspectPodContainer(containerId);
  if (!seen) throw new ValidationError("The pod's container is gone");
  const running = seen.state === "running";
  const method = !running || task.options.cold ? "cold" : adapter.backup ? "agent" : "pause";
  const volumePath = adapter.volumePath.replace(/\/+$/, "");
  const leased = method !== "agent" && running;
  if (leased && !(await store.pods.lease(pod.id, task.id))) {
    throw new ConflictError("Another operation (an upgrade or a restore) owns the pod");
  }
  let downtimeMs = 0;
  let payload: ReadableStream<Uint8Array>;
  let cleanup = async () => {};
  try {
    await ctx.update(task.id, { result: { containerId, method } });
    if (method === "agent") {
      const backup = adapter.backup!;
      const output = `/tmp/agentpod-backup-${task.id}`;
      await ctx.update(task.id, { step: "agent", message: "The agent is writing its own backup" });
      const signal = AbortSignal.timeout(ctx.options.agentBackupTimeoutMs);
      const made = await runtime.exec(containerId, ["mkdir", "-p", output], signal);
      if (made.exitCode !== 0) throw new Error(`mkdir ${output} failed: ${made.stderr.trim()}`);
      // The backup is a second process in the agent's memory limit: without room the
      // kernel kills it, or the agent. The limit is raised while it runs (not on a
      // container adopted as its owner made it), and put back after (or by recovery).
      const memoryMB = pod.adoption?.active ? undefined : pod.spec.resources.memoryMB;
      const raise = memoryMB !== undefined && (backup.extraMemoryMB ?? 0) > 0;
      cleanup = async () => {
        if (raise) await runtime.updateLive(containerId, { memoryMB });
        await runtime.exec(containerId, ["rm", "-rf", output]).catch(() => {});
      };
      if (raise) {
        await ctx.update(task.id, { result: { memoryMB } });
        await runtime.updateLive(containerId, { memoryMB: memoryMB + backup.extraMemoryMB! });
      }
      const ran = await runtime.exec(containerId, backup.command(output), signal);
      if (ran.exitCode !== 0) {
        throw new Error(
          `The agent's backup failed (exit ${ran.exitCode}${
            ran.exitCode === 137 ? ": killed, out of memory?" : ""
          }): ${(ran.stderr || ran.stdout).trim().slice(-300)}`,
        );
      }
      const { path, prefix } = backup.parse(ran.stdout);
      payload = ctx.archives.repack(await runtime.archiveStream(containerId, path), {
        prefix,
        owner: backup.owner,
      });
    } else if (method === "pause") {
      await ctx.update(task.id, { step: "paused", message: "Archiving the paused agent's volume" });
      const pausedAt = ctx.now();
      const thaw = async () => {
        await runtime.unpause(containerId);
        downtimeMs = ctx.now() - pausedAt;
        await ctx.update(task.id, { step: "archived", result: { downtimeMs } });
      };
      const once = thawOnce(thaw);
      // Set before the pause: a pause that froze the agent and then failed is undone too.
      cleanup = once;
      await runtime.pause(containerId);
      payload = onDrained(await runtime.archiveStream(containerId, `${volumePath}/.`), once);
    } else {
      const stoppedAt = ctx.now();
      if (running) {
        await ctx.update(task.id, {
          step: "stopped",
          message: "Archiving the stopped agent's volume",
        });
        await runtime.stop(containerId, ctx.options.stopTimeoutSeconds);
        const restart = async () => {
          await runtime.start(containerId);
          downtimeMs = ctx.now() - stoppedAt;
          await ctx.update(task.id, { step: "archived", result: { downtimeMs } });
        };
        const once = thawOnce(restart);
        cleanup = once;
        payload = onDrained(await runtime.archiveStream(containerId, `${volumePath}/.`), once);
      } else {
        payload = await runtime.archiveStream(containerId, `${volumePath}/.`);
      }
    }
    const image = await runtime.inspectImage(pod.spec.imageId ?? pod.spec.image).catch(() =>
      undefined
    );
    const manifest = await ctx.archives.write(
      {
        format: BACKUP_FORMAT,
        id: task.backupId,
        pod: `${pod.tenant}/${pod.name}`,
        podId: pod.id,
        adapter: pod.spec.adapter,
        method,
        image: pod.spec.image,
        imageId: image?.id ?? pod.spec.imageId,
        appVersion: image?.labels[VERSION_LABEL] ?? null,
        createdAt: new Date(started).toISOString(),
        downtimeMs: 0,
      },
      payload,
      { exclude: adapter.backupExclude ?? [], late: () => ({ downtimeMs }) },
    );
    await cleanup();
    cleanup = async () => {};
    const record = await store.backups.create(
      backupRecordOf(manifest, {
        id: task.backupId,
        origin: task.options.origin ?? "manual",
        durationMs: ctx.now() - started,
      }),
    );
    const paused = method === "agent"
      ? "online"
      : `${method === "pause" ? "paused" : "stopped"} ${downtimeMs} ms`;
    const message = `Backed up ${
      formatBytes(record.bytes)
    } (${record.entries} entries, ${method}, ${paused})`;
    await ctx.update(task.id, {
      state: "succeeded",
      step: "done",
      finished: true,
      message,
      result: { downtimeMs, bytes: record.bytes, durationMs: record.durationMs },
    });
    await event(ctx, task, "Normal", "BackedUp", `${message}: backup ${record.id}`);
    await afterBackup(ctx, task, pod);
  } catch (error) {
    // Never leave the agent paused or stopped: try the undo a few times.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await cleanup();
        break;
      } catch (undo) {
        ctx.log.warn("could not resume the agent after a failed backup", {
          task: task.id,
          error: errorMessage(undo),
        });
        await ctx.sleep(1_000);
      }
    }
    await ctx.archives.remove(task.backupId).catch(() => {});
    await event(ctx, task, "Warning", "BackupFailed", `Backup failed: ${errorMessage(error)}`);
    throw error;
  } finally {
    if (leased) {
      await store.pods.release(pod.id, task.id);
      ctx.enqueue(pod.id);
    }
  }
}

/** After a good backup: older copies of the volume go, retention, a drill if asked. */
async function afterBackup(ctx: StepContext, task: BackupTask, pod: PodRecord): Promise<void> {
  // The previous volume is kept until the next successful backup (a restore's rollback):
  // this is it. One still in use (an upgrade's rollback handle) stays.
  for (let epoch = 0; epoch < pod.spec.volumeEpoch; epoch++) {
    await ctx.runtime.removeVolume(volumeName(pod.id, epoch)).catch(() => {});
  }
  const keep = task.options.keep;
  if (task.options.origin === "policy" && keep !== undefined) {
    const scheduled = (await ctx.store.backups.list({ podId: pod.id, limit: 10_000 }))
      .filter((b) => b.origin === "policy");
    // An archive a queued restore or drill will read stays until that is done.
    const inUse = new Set(
      (await ctx.store.backupTasks.list({ unfinished: true, limit: 1000 })).map((t) => t.backupId),
    );
    for (const old of scheduled.slice(keep).filter((b) => !inUse.has(b.id))) {
      await ctx.archives.remove(old.id);
      await ctx.store.backups.delete(old.id);
    }
  }
  if (task.options.drill) {
    await ctx.store.backupTasks.create({
      kind: "drill",
      tenant: task.tenant,
      podId: task.podId,
      pod: task.pod,
      backupId: task.backupId,
      options: { origin: "policy" },
      actor: null,
    });
  }
}

/** Verifies a task's archive: the file, and that it may go into this pod. */
async function checkArchive(
  ctx: StepContext,
  task: BackupTask,
  pod: PodRecord,
): Promise<BackupManifest> {
  const manifest = await ctx.archives.verify(task.backupId);
  if (manifest.adapter !== pod.spec.adapter) {
    throw new ValidationError(
      `The archive is of a ${manifest.adapter} agent; ${task.tenant}/${task.pod} is ${pod.spec.adapter}`,
    );
  }
  if (
    manifest.podId !== pod.id && task.kind === "restore" && task.options.cloneFrom !== manifest.pod
  ) {
    throw new ValidationError(
      `The archive is of pod ${manifest.pod}: say --clone-from ${manifest.pod} to restore it into ${task.tenant}/${task.pod}`,
    );
  }
  return manifest;
}

/** Restores an archive into its pod (task kind `restore`). */
export async function restore(ctx: StepContext, task: BackupTask): Promise<void> {
  const { runtime, store } = ctx;
  const started = ctx.now();
  let pod = await podOf(ctx, task);
  await ctx.update(task.id, { step: "verifying", message: "Verifying the archive" });
  const manifest = await checkArchive(ctx, task, pod);
  if (!(await store.pods.lease(pod.id, task.id))) {
    throw new ConflictError(
      pod.spec.desiredState === "running"
        ? "Another operation (an upgrade or a backup) owns the pod"
        : `The pod is ${pod.spec.desiredState}: start it to restore into it`,
    );
  }
  const oldId = pod.status.containerId;
  const oldEpoch = pod.spec.volumeEpoch;
  let committed = false;
  try {
    await ctx.update(task.id, {
      step: "leased",
      message: "Making the new copy of the state",
      result: { oldContainerId: oldId, oldVolumeEpoch: oldEpoch },
    });
    task = await store.backupTasks.get(task.id);
    const name = containerName(pod.tenant, pod.name);
    if (oldId) {
      const leftover = await runtime.containerNamed(`${name}${PRE_RESTORE_SUFFIX}`);
      if (leftover && leftover.id !== oldId) await runtime.remove(leftover.id);
      await runtime.rename(oldId, `${name}${PRE_RESTORE_SUFFIX}`);
    }
    await ctx.update(task.id, { step: "renamed" });
    pod = await store.pods.setImage(pod.id, {
      image: pod.spec.image,
      imageId: pod.spec.imageId,
      volumeEpoch: oldEpoch + 1,
    });
    const rendered = await ctx.render(pod);
    const leftover = await runtime.containerNamed(name);
    if (leftover && leftover.id !== oldId) await runtime.remove(leftover.id);
    await runtime.removeVolume(volumeName(pod.id, oldEpoch + 1)).catch(() => {});
    const newId = await runtime.createPodContainer(rendered.request);
    await ctx.update(task.id, { step: "created", result: { newContainerId: newId } });
    const volumePath = rendered.request.spec.volumePath;
    await runtime.extractArchive(newId, volumePath, await ctx.archives.payload(task.backupId));
    // AgentPod's own files win: the token and config stay what the pod has now.
    await runtime.writeFiles(newId, volumePath, rendered.files);
    await store.pods.updateStatus(pod.id, { filesHash: rendered.filesHash });
    await ctx.update(task.id, { step: "extracted", message: "Stopping the agent" });
    const stoppedAt = ctx.now();
    if (oldId) await runtime.stop(oldId, ctx.options.stopTimeoutSeconds);
    await runtime.start(newId);
    await ctx.update(task.id, { step: "started", message: "Waiting for the restored agent" });
    await gate(ctx, pod, newId);
    const downMs = ctx.now() - stoppedAt;
    const fresh = await runtime.inspectPodContainer(newId);
    await store.pods.updateStatus(pod.id, {
      containerId: newId,
      ...(fresh ? { run: recordStart(fresh, 0) } : {}),
    });
    // From here on the restore stands: nothing below undoes it (nor does a takeover).
    await ctx.update(task.id, { step: "committed" });
    committed = true;
    if (oldId) await runtime.remove(oldId).catch(() => {});
    const message = `Restored backup ${task.backupId} of ${manifest.createdAt} (${
      formatBytes(manifest.payload.bytes)
    }); down ${(downMs / 1000).toFixed(1)} s; previous state kept in volume ${
      volumeName(pod.id, oldEpoch)
    }`;
    await ctx.update(task.id, {
      state: "succeeded",
      step: "done",
      finished: true,
      message,
      result: { volumeEpoch: oldEpoch + 1, downMs, durationMs: ctx.now() - started },
    });
    await event(ctx, task, "Normal", "Restored", message);
  } catch (error) {
    if (committed) {
      ctx.log.warn("restore done, but recording it failed", {
        task: task.id,
        error: errorMessage(error),
      });
      throw error;
    }
    const reason = errorMessage(error);
    await rollBackRestore(ctx, await store.backupTasks.get(task.id)).catch((undo) =>
      ctx.log.warn("restore rollback failed", { task: task.id, error: errorMessage(undo) })
    );
    await event(
      ctx,
      task,
      "Warning",
      "RestoreFailed",
      `Restore failed, the agent runs as before: ${reason}`,
    ).catch(() => {});
    throw error;
  } finally {
    // Whatever happened, the pod goes back to the reconciler.
    await store.pods.release(pod.id, task.id).catch(() => {});
    ctx.enqueue(pod.id);
  }
}

/**
 * Puts a pod back as it was before a restore: the new container and its copy of the
 * volume go, the pod points at its old copy, the old container gets its name back and
 * starts. Safe to repeat; releases the pod.
 */
export async function rollBackRestore(ctx: StepContext, task: BackupTask): Promise<void> {
  const { store } = ctx;
  const pod = await store.pods.getById(task.podId);
  if (!pod) return;
  const oldId = (task.result.oldContainerId as string | null | undefined) ?? null;
  const oldEpoch = task.result.oldVolumeEpoch as number | undefined;
  // A restore that was committed stands; one that never touched the pod has nothing to undo.
  if (oldEpoch === undefined || task.step === "committed" || task.step === "done") {
    await store.pods.release(pod.id, task.id);
    ctx.enqueue(pod.id);
    return;
  }
  try {
    await undoRestore(ctx, pod, oldId, oldEpoch);
  } finally {
    await store.pods.release(pod.id, task.id);
    ctx.enqueue(pod.id);
  }
}

async function undoRestore(
  ctx: StepContext,
  pod: PodRecord,
  oldId: string | null,
  oldEpoch: number,
): Promise<void> {
  const { runtime, store } = ctx;
  for (const c of await runtime.listPodContainers(pod.id)) {
    if (c.id !== oldId) await runtime.remove(c.id);
  }
  if (pod.spec.volumeEpoch !== oldEpoch) {
    await runtime.removeVolume(volumeName(pod.id, pod.spec.volumeEpoch)).catch(() => {});
    await store.pods.setImage(pod.id, {
      image: pod.spec.image,
      imageId: pod.spec.imageId,
      volumeEpoch: oldEpoch,
    });
  }
  if (oldId) {
    const name = containerName(pod.tenant, pod.name);
    const old = await runtime.inspectPodContainer(oldId);
    if (old && old.name !== name) await runtime.rename(oldId, name);
    if (old) {
      await runtime.start(oldId);
      const started = await runtime.inspectPodContainer(oldId);
      await store.pods.updateStatus(pod.id, {
        containerId: oldId,
        ...(started ? { run: recordStart(started, 0) } : {}),
      });
    }
  }
}

/** Waits until a restored container runs with no restart and its probe is good. */
async function gate(ctx: StepContext, pod: PodRecord, containerId: string): Promise<void> {
  const deadline = ctx.now() + ctx.options.readyDeadlineMs;
  let last = "not probed yet";
  for (;;) {
    const seen = await ctx.runtime.inspectPodContainer(containerId);
    if (!seen) throw new Error("The restored container is gone");
    if (seen.restartCount > 0 || seen.state !== "running") {
      throw new Error(
        seen.oomKilled
          ? "The restored agent ran out of memory"
          : `The restored agent exited (code ${seen.exitCode})`,
      );
    }
    const result = await ctx.probe(pod).catch((error) => ({
      healthy: false,
      message: errorMessage(error),
    }));
    if (result.healthy) return;
    last = result.message;
    if (ctx.now() >= deadline) {
      throw new Error(
        `Not ready within ${ctx.options.readyDeadlineMs / 1000} s; last probe: ${last}`,
      );
    }
    await ctx.sleep(ctx.options.readyIntervalMs);
  }
}

/** Boots an archive in a scratch container with no network (task kind `drill`). */
export async function drill(ctx: StepContext, task: BackupTask): Promise<void> {
  const { runtime, store } = ctx;
  const started = ctx.now();
  const name = `agentpod-drill-${task.id.slice(0, 13)}`;
  const volume = `agentpod-drill-${task.id}`;
  let containerId: string | undefined;
  const removeScratch = async () => {
    if (containerId) await runtime.remove(containerId).catch(() => {});
    await runtime.removeVolume(volume).catch(() => {});
  };
  try {
    const pod = await podOf(ctx, task);
    await ctx.update(task.id, { step: "verifying", message: "Verifying the archive" });
    await checkArchive(ctx, task, pod);
    const adapter = ctx.adapterById(pod.spec.adapter);
    const rendered = await ctx.render(pod);
    const spec = rendered.request.spec;
    await ctx.update(task.id, { step: "restoring", message: "Restoring into a scratch volume" });
    containerId = await runtime.createScratchContainer({
      name,
      volume,
      taskId: task.id,
      hostname: containerHostname(pod.tenant, pod.name),
      spec,
    });
    await runtime.extractArchive(
      containerId,
      spec.volumePath,
      await ctx.archives.payload(task.backupId),
    );
    await runtime.writeFiles(containerId, spec.volumePath, rendered.files);
    await runtime.start(containerId);
    await ctx.update(task.id, { step: "started", message: "Waiting for the agent (no network)" });
    // The non-secret config with its defaults is what a ready command reads (port, path).
    const parsed = adapter.configSchema.safeParse(pod.spec.config);
    const command = adapter.readyCommand?.(parsed.success ? parsed.data : pod.spec.config);
    const seenReady = await waitReadyInside(ctx, containerId, command);
    const drillMs = ctx.now() - started;
    // Gone before the task says it is done: whoever reads "succeeded" finds no scratch.
    await removeScratch();
    const message = `Drill passed in ${(drillMs / 1000).toFixed(1)} s: ${seenReady}`;
    await store.backups.recordDrill(task.backupId, { ok: true, message });
    await ctx.update(task.id, {
      state: "succeeded",
      step: "done",
      finished: true,
      message,
      result: { drillMs },
    });
    await event(ctx, task, "Normal", "DrillPassed", `Backup ${task.backupId}: ${message}`);
  } catch (error) {
    const message = `Drill failed: ${errorMessage(error)}`;
    await store.backups.recordDrill(task.backupId, { ok: false, message }).catch(() => {});
    await event(ctx, task, "Warning", "DrillFailed", `Backup ${task.backupId}: ${message}`);
    throw error;
  } finally {
    await removeScratch();
  }
}

/**
 * Waits for the scratch agent: its ready command exits 0 (the agent serves), or, with
 * no command the image can run, it stays up for 10 s. Throws when it exits first.
 */
async function waitReadyInside(
  ctx: StepContext,
  containerId: string,
  command: string[] | undefined,
): Promise<string> {
  const deadline = ctx.now() + ctx.options.readyDeadlineMs;
  const since = ctx.now();
  let usable = command !== undefined;
  let last = "";
  for (;;) {
    const state = await ctx.runtime.scratchState(containerId);
    if (!state) throw new Error("The scratch container is gone");
    if (!state.running) {
      throw new Error(
        `The restored agent exited (code ${state.exitCode})${last ? `: ${last}` : ""}`,
      );
    }
    if (usable) {
      const ran = await ctx.runtime.exec(containerId, command!).catch((error) => ({
        exitCode: -1,
        stdout: "",
        stderr: errorMessage(error),
      }));
      if (ran.exitCode === 0) return "the restored agent answered its readiness check";
      // 126/127: the image cannot run the command (no such program).
      if (ran.exitCode === 126 || ran.exitCode === 127) usable = false;
      last = (ran.stderr || ran.stdout).trim().slice(-200);
    } else if (ctx.now() - since >= 10_000) {
      return "the restored agent stayed up for 10 s (no readiness check runs in its image)";
    }
    if (ctx.now() >= deadline) {
      throw new Error(
        `The restored agent was not ready within ${ctx.options.readyDeadlineMs / 1000} s${
          last ? `: ${last}` : ""
        }`,
      );
    }
    await ctx.sleep(ctx.options.readyIntervalMs);
  }
}
