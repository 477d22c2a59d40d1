/**
 * Backups as use cases: ask for a backup, a restore or a drill (tasks the leader's
 * runner carries out, see `backup_runner.ts`), list and verify archives, take in an
 * archive file, and set the schedules. Works the same on any control plane.
 * @module
 */
import {
  type ArchiveStore,
  type BackupManifest,
  type BackupPolicy,
  type BackupRecord,
  backupRecordOf,
  type BackupTask,
  policyScope,
} from "./backup.ts";
import { ConflictError, NotFoundError, ValidationError } from "./errors.ts";
import { isUuid, parsePodRef, parseTenantId } from "./ids.ts";
import { parseDuration } from "./rollout.ts";
import type { Store } from "./store.ts";

/** What the backup use cases need. */
export interface BackupServiceDeps {
  store: Store;
  archives: ArchiveStore;
  /** Tells the runner there is work (on the leader; a follower's leader finds it itself). */
  wake(): void;
  /** Whether a cron expression is valid (its next time after `after`, or null). */
  nextCron(expression: string, after: number): number | null;
  /** Who the current request runs as (events record it), or null. */
  actor?(): string | null;
}

/** What `policy set` takes. */
export interface PolicyInput {
  tenant?: string;
  /** `<tenant>/<pod>`. */
  pod?: string;
  /** `24h`, `30m`, `7d`. */
  every?: string;
  /** A cron expression (five fields). */
  cron?: string;
  keep: number;
  drill?: boolean;
}

/** The shortest interval a schedule may have. */
export const MIN_POLICY_INTERVAL_MS = 1_000;

/** Backups as use cases. */
export class BackupService {
  readonly #d: BackupServiceDeps;

  constructor(deps: BackupServiceDeps) {
    this.#d = deps;
  }

  /** Queues a backup of a pod (`cold`: stopped while archived). */
  async backup(ref: string, options: { cold?: boolean } = {}): Promise<BackupTask> {
    const pod = await this.#pod(ref);
    if (!pod.status.containerId) {
      throw new ConflictError(`Pod ${ref} has no container yet: nothing to back up`);
    }
    return await this.#task({
      kind: "backup",
      tenant: pod.tenant,
      podId: pod.id,
      pod: pod.name,
      backupId: crypto.randomUUID(),
      options: { origin: "manual", ...(options.cold ? { cold: true } : {}) },
    });
  }

  /**
   * Queues a restore of archive `backupId` into pod `ref`. An archive of another pod
   * needs `cloneFrom` to name that pod; the pod must be running.
   */
  async restore(ref: string, backupId: string, cloneFrom?: string): Promise<BackupTask> {
    const pod = await this.#pod(ref);
    const backup = await this.get(backupId);
    const source = `${backup.tenant}/${backup.pod}`;
    if (backup.adapter !== pod.spec.adapter) {
      throw new ValidationError(
        `Backup ${backupId} is of a ${backup.adapter} agent; ${ref} is ${pod.spec.adapter}`,
      );
    }
    if (cloneFrom !== undefined) parsePodRef(cloneFrom);
    if (backup.podId !== pod.id && cloneFrom !== source) {
      throw new ValidationError(
        `Backup ${backupId} is of pod ${source}: say --clone-from ${source} to restore it into ${ref}`,
      );
    }
    if (cloneFrom !== undefined && cloneFrom !== source) {
      throw new ValidationError(`Backup ${backupId} is of pod ${source}, not ${cloneFrom}`);
    }
    if (pod.spec.desiredState !== "running") {
      throw new ConflictError(
        `Pod ${ref} is ${pod.spec.desiredState}: start it to restore into it`,
      );
    }
    if (pod.adoption?.active) {
      throw new ConflictError(
        `Pod ${ref} runs an adopted container, whose state is its owner's: move it to a container AgentPod makes first (pod upgrade), then restore`,
      );
    }
    return await this.#task({
      kind: "restore",
      tenant: pod.tenant,
      podId: pod.id,
      pod: pod.name,
      backupId,
      options: cloneFrom ? { cloneFrom } : {},
    });
  }

  /** Queues a drill of archive `backupId` (restored into a scratch, booted, removed). */
  async drill(backupId: string): Promise<BackupTask> {
    const backup = await this.get(backupId);
    const pod = await this.#d.store.pods.getById(backup.podId);
    if (!pod) {
      throw new ConflictError(
        `The pod of backup ${backupId} (${backup.tenant}/${backup.pod}) no longer exists: a drill boots it as that pod`,
      );
    }
    return await this.#task({
      kind: "drill",
      tenant: pod.tenant,
      podId: pod.id,
      pod: pod.name,
      backupId,
      options: {},
    });
  }

  /**
   * Checks an archive now (manifest, checksum, every entry); a corrupted one is a
   * warning event of its pod. Resolves with what it holds.
   */
  async verify(backupId: string): Promise<{ backup: BackupRecord; manifest: BackupManifest }> {
    const backup = await this.get(backupId);
    try {
      return { backup, manifest: await this.#d.archives.verify(backupId) };
    } catch (error) {
      const missing = error instanceof NotFoundError;
      const message = missing ? "its file is missing" : (error as Error).message;
      await this.#d.store.events.append({
        tenant: backup.tenant,
        podId: backup.podId,
        podName: backup.pod,
        type: "Warning",
        reason: "BackupCorrupted",
        message: `Backup ${backupId} does not verify: ${message}`,
        actor: this.#d.actor?.() ?? null,
      });
      if (missing) {
        throw new ValidationError(`Backup ${backupId} does not verify: its file is missing`);
      }
      throw error;
    }
  }

  /**
   * Takes an archive file in (an upload for `restore --from <file>` or `verify <file>`):
   * verified, then kept as a backup of origin `imported` (`keep`), or only checked.
   */
  async receive(
    archive: ReadableStream<Uint8Array>,
    keep: boolean,
  ): Promise<{ manifest: BackupManifest; backup: BackupRecord | null }> {
    const id = crypto.randomUUID();
    const manifest = await this.#d.archives.receive(id, archive, keep);
    if (!keep) return { manifest, backup: null };
    try {
      const backup = await this.#d.store.backups.create(
        backupRecordOf(manifest, { id, origin: "imported", durationMs: null }),
      );
      return { manifest, backup };
    } catch (error) {
      await this.#d.archives.remove(id);
      throw error;
    }
  }

  /** One archive; NotFoundError when there is none. */
  async get(backupId: string): Promise<BackupRecord> {
    if (!isUuid(backupId)) {
      throw new ValidationError(`"${backupId}" is not a backup id (a uuid)`);
    }
    return await this.#d.store.backups.get(backupId.toLowerCase());
  }

  /** Archives, newest first, of a tenant or a pod. */
  async list(filter: { tenant?: string; pod?: string } = {}): Promise<BackupRecord[]> {
    if (filter.pod) {
      const pod = await this.#pod(filter.pod);
      return await this.#d.store.backups.list({ podId: pod.id });
    }
    if (filter.tenant) parseTenantId(filter.tenant);
    return await this.#d.store.backups.list({ tenant: filter.tenant });
  }

  /** The archive file of a backup, to download. */
  async file(backupId: string): Promise<{ size: number; stream: ReadableStream<Uint8Array> }> {
    const backup = await this.get(backupId);
    const file = await this.#d.archives.open(backup.id);
    if (!file) throw new NotFoundError(`The archive file of backup ${backup.id} is missing`);
    return file;
  }

  /** Deletes an archive and its file. */
  async delete(backupId: string): Promise<BackupRecord> {
    const backup = await this.get(backupId);
    const busy = await this.#d.store.backupTasks.list({ unfinished: true, limit: 1000 });
    if (busy.some((t) => t.backupId === backup.id)) {
      throw new ConflictError(`Backup ${backupId} is in use by a task that has not finished`);
    }
    await this.#d.archives.remove(backup.id);
    await this.#d.store.backups.delete(backup.id);
    return backup;
  }

  /** One task; NotFoundError when there is none. */
  async task(id: string): Promise<BackupTask> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new ValidationError(`"${id}" is not a task id`);
    return await this.#d.store.backupTasks.get(id.toLowerCase());
  }

  /** Tasks, newest first. */
  async tasks(filter: { pod?: string; tenant?: string } = {}): Promise<BackupTask[]> {
    const podId = filter.pod ? (await this.#pod(filter.pod)).id : undefined;
    return await this.#d.store.backupTasks.list({ podId, tenant: filter.tenant, limit: 100 });
  }

  /** Sets the schedule of every pod, a tenant's pods, or one pod. */
  async setPolicy(input: PolicyInput): Promise<BackupPolicy> {
    if (input.tenant !== undefined && input.pod !== undefined) {
      throw new ValidationError("Give --tenant or --pod, not both");
    }
    if ((input.every === undefined) === (input.cron === undefined)) {
      throw new ValidationError("Give the schedule: --every 24h, or --cron '0 3 * * *'");
    }
    if (!Number.isInteger(input.keep) || input.keep < 1 || input.keep > 10_000) {
      throw new ValidationError("--keep: give how many archives to keep (1 to 10000)");
    }
    let everyMs: number | null = null;
    if (input.every !== undefined) {
      everyMs = parseDuration(input.every, "--every");
      if (everyMs < MIN_POLICY_INTERVAL_MS) throw new ValidationError("--every: at least 1s");
    }
    if (input.cron !== undefined && this.#d.nextCron(input.cron, Date.now()) === null) {
      throw new ValidationError(`--cron "${input.cron}": not a cron expression AgentPod can read`);
    }
    const target = await this.#target(input);
    const policy = await this.#d.store.backupPolicies.set({
      scope: policyScope(target),
      tenant: target.tenant ?? null,
      podId: target.podId ?? null,
      everyMs,
      cron: input.cron ?? null,
      keep: input.keep,
      drill: input.drill === true,
    });
    this.#d.wake();
    return policy;
  }

  /** The schedules. */
  async policies(): Promise<BackupPolicy[]> {
    return await this.#d.store.backupPolicies.list();
  }

  /** Removes a schedule (NotFoundError when the scope had none). */
  async unsetPolicy(input: { tenant?: string; pod?: string }): Promise<{ scope: string }> {
    const scope = policyScope(await this.#target(input));
    if (!(await this.#d.store.backupPolicies.unset(scope))) {
      throw new NotFoundError(`No backup policy for ${scope}`);
    }
    return { scope };
  }

  async #target(input: { tenant?: string; pod?: string }) {
    if (input.pod !== undefined) {
      const pod = await this.#pod(input.pod);
      return { tenant: pod.tenant, podId: pod.id };
    }
    if (input.tenant !== undefined) {
      await this.#d.store.tenants.get(parseTenantId(input.tenant));
      return { tenant: input.tenant };
    }
    return {};
  }

  async #pod(ref: string) {
    const { tenant, pod } = parsePodRef(ref);
    return await this.#d.store.pods.get(tenant, pod);
  }

  async #task(task: Parameters<Store["backupTasks"]["create"]>[0]): Promise<BackupTask> {
    const created = await this.#d.store.backupTasks.create({
      ...task,
      actor: this.#d.actor?.() ?? null,
    });
    this.#d.wake();
    return created;
  }
}
