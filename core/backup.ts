/**
 * Backups as data (issue 14): the manifest every archive carries and the rules a
 * payload entry must follow before anything is restored from it. Archives may be
 * hostile (a file handed to `restore --from`), so every entry is checked: a relative
 * path that stays inside the target, a regular file or a directory, within the byte and
 * entry limits. Pure: no I/O.
 * @module
 */
import { z } from "zod";
import { ValidationError } from "./errors.ts";

/** The archive format this AgentPod writes and reads. */
export const BACKUP_FORMAT = 1;

/** How a backup was taken. */
export const BACKUP_METHODS = ["agent", "pause", "cold"] as const;

/** The manifest of one backup (the archive's first entry). */
export const backupManifestSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  /** Backup id (uuid). */
  id: z.uuid(),
  /** `<tenant>/<pod>` it was taken from. */
  pod: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/),
  /** The pod's uuid (a restore into another pod needs `--clone-from`). */
  podId: z.uuid(),
  adapter: z.string().min(1),
  /** `agent`: the agent's own online backup; `pause`: paused while archived; `cold`: stopped. */
  method: z.enum(BACKUP_METHODS),
  /** The image the pod ran, and its id. */
  image: z.string(),
  imageId: z.string().nullable(),
  /** The agent's version, when the adapter knows it. */
  appVersion: z.string().nullable(),
  /** ISO 8601. */
  createdAt: z.iso.datetime(),
  /** How long the agent was paused or stopped (ms); 0 for an online backup. */
  downtimeMs: z.number().int().min(0),
  /** The payload (a tar of the agent's state directory): size, SHA-256, entries. */
  payload: z.strictObject({
    bytes: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    entries: z.number().int().min(0),
  }),
});

/** The manifest of one backup. */
export type BackupManifest = z.infer<typeof backupManifestSchema>;

/** Bounds on what an archive may hold. */
export interface BackupLimits {
  /** Largest payload, in bytes. */
  maxBytes: number;
  /** Most entries in the payload. */
  maxEntries: number;
}

/** Defaults: an OpenClaw state directory is megabytes; these leave room for years of it. */
export const DEFAULT_BACKUP_LIMITS: BackupLimits = {
  maxBytes: 2 * 1024 ** 3,
  maxEntries: 200_000,
};

/** Parses a manifest read from an archive. */
export function parseManifest(value: unknown): BackupManifest {
  const parsed = backupManifestSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  throw new ValidationError(
    `Not an AgentPod backup: its manifest is invalid${
      first ? ` (${first.path.join(".") || "manifest"}: ${first.message})` : ""
    }`,
  );
}

/** One entry of a payload, as a tar header describes it. */
export interface PayloadEntry {
  name: string;
  type: string;
  size: number;
}

/**
 * The path of a payload entry relative to the target, normalised (`./a/b/` → `a/b`), or
 * a ValidationError: absolute paths, `..`, backslashes and NUL bytes leave the target
 * or hide where they go; anything but a regular file or a directory (links, devices,
 * fifos) is refused.
 */
export function checkPayloadEntry(entry: PayloadEntry): string {
  const name = entry.name;
  if (entry.type !== "file" && entry.type !== "directory") {
    throw new ValidationError(
      `Refused: "${name}" is a ${entry.type}; a backup holds regular files and directories only`,
    );
  }
  if (name.includes("\0") || name.includes("\\")) {
    throw new ValidationError(`Refused: the path "${name}" has a NUL byte or a backslash`);
  }
  if (name.startsWith("/")) throw new ValidationError(`Refused: "${name}" is an absolute path`);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === "..")) {
    throw new ValidationError(`Refused: "${name}" leaves the target directory`);
  }
  return parts.join("/");
}

/**
 * Counts entries and their bytes as a payload is read, refusing it once a limit is
 * passed (a ValidationError naming the limit).
 */
export class PayloadBudget {
  #bytes = 0;
  #entries = 0;
  readonly #limits: BackupLimits;

  constructor(limits: BackupLimits) {
    this.#limits = limits;
  }

  /** Counts one entry (checked) and returns its normalised path. */
  entry(entry: PayloadEntry): string {
    const path = checkPayloadEntry(entry);
    if (++this.#entries > this.#limits.maxEntries) {
      throw new ValidationError(
        `Refused: more than ${this.#limits.maxEntries} entries (the entry limit)`,
      );
    }
    this.#bytes += entry.size;
    if (this.#bytes > this.#limits.maxBytes) {
      throw new ValidationError(
        `Refused: more than ${this.#limits.maxBytes} bytes of files (the size limit)`,
      );
    }
    return path;
  }

  /** Entries counted so far. */
  get entries(): number {
    return this.#entries;
  }
}

/** Where an archive came from. */
export type BackupOrigin = "manual" | "policy" | "imported";

/** One archive that exists (verified when it was written or imported). */
export interface BackupRecord {
  id: string;
  tenant: string;
  podId: string;
  pod: string;
  origin: BackupOrigin;
  method: BackupManifest["method"];
  adapter: string;
  image: string;
  imageId: string | null;
  appVersion: string | null;
  bytes: number;
  sha256: string;
  entries: number;
  downtimeMs: number;
  /** How long taking it took (ms); null for an imported archive. */
  durationMs: number | null;
  /** ISO 8601. */
  createdAt: string;
  /** The last drill of it, if any. */
  drill: { at: string; ok: boolean; message: string } | null;
}

/** The kinds of backup work. */
export const BACKUP_TASK_KINDS = ["backup", "restore", "drill"] as const;
export type BackupTaskKind = (typeof BACKUP_TASK_KINDS)[number];

/** Where a task is. */
export type BackupTaskState = "pending" | "running" | "succeeded" | "failed";

/** What a task was asked to do beyond its kind. */
export interface BackupTaskOptions {
  /** Backup: stop the agent instead of the online method. */
  cold?: boolean;
  /** Backup: who asked (`manual`) or a policy. */
  origin?: BackupOrigin;
  /** Restore: the archive was taken from this other pod (`<tenant>/<pod>`), on purpose. */
  cloneFrom?: string;
  /** Backup by a policy that drills what it makes. */
  drill?: boolean;
  /** Backup by a policy: how many of the pod's scheduled archives to keep. */
  keep?: number;
}

/** A backup, restore or drill, as data: the leader carries it out. */
export interface BackupTask {
  id: string;
  kind: BackupTaskKind;
  tenant: string;
  podId: string;
  pod: string;
  /** Backup: the archive it writes; restore and drill: the one they read. */
  backupId: string;
  options: BackupTaskOptions;
  state: BackupTaskState;
  /** The step under way (what a resumed leader continues from or undoes). */
  step: string | null;
  message: string | null;
  /** What it measured and did (`downtimeMs`, `volumeEpoch`, `drillMs`, …). */
  result: Record<string, unknown>;
  actor: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A schedule: every pod, a tenant's pods, or one pod (the narrowest applies). */
export interface BackupPolicy {
  /** `all`, `tenant:<id>` or `pod:<uuid>`. */
  scope: string;
  tenant: string | null;
  podId: string | null;
  /** An interval (ms), or a cron expression: exactly one. */
  everyMs: number | null;
  cron: string | null;
  /** How many of a pod's scheduled archives are kept. */
  keep: number;
  /** Drill each scheduled archive. */
  drill: boolean;
  updatedAt: string;
}

/** The backup tables. */
export interface BackupStore {
  backups: {
    create(record: Omit<BackupRecord, "createdAt" | "drill"> & { createdAt?: string }): Promise<
      BackupRecord
    >;
    /** NotFoundError when there is none. */
    get(id: string): Promise<BackupRecord>;
    /** Newest first. */
    list(filter?: { tenant?: string; podId?: string; limit?: number }): Promise<BackupRecord[]>;
    recordDrill(id: string, drill: { ok: boolean; message: string }): Promise<void>;
    delete(id: string): Promise<void>;
    /** Each pod's newest archive time (ISO 8601), by pod id. */
    lastByPod(): Promise<Map<string, string>>;
  };
  backupTasks: {
    create(
      task: Pick<BackupTask, "kind" | "tenant" | "podId" | "pod" | "backupId" | "options"> & {
        actor?: string | null;
      },
    ): Promise<BackupTask>;
    /** NotFoundError when there is none. */
    get(id: string): Promise<BackupTask>;
    /** When each pod's newest scheduled backup was queued (ISO 8601), by pod id. */
    lastScheduled(): Promise<Map<string, string>>;
    /** Newest first; `unfinished`: oldest first, only those not over. */
    list(
      filter?: { unfinished?: boolean; podId?: string; tenant?: string; limit?: number },
    ): Promise<BackupTask[]>;
    update(
      id: string,
      changes: {
        state?: BackupTaskState;
        step?: string | null;
        message?: string | null;
        result?: Record<string, unknown>;
        started?: boolean;
        finished?: boolean;
      },
    ): Promise<BackupTask>;
  };
  backupPolicies: {
    set(policy: Omit<BackupPolicy, "updatedAt">): Promise<BackupPolicy>;
    list(): Promise<BackupPolicy[]>;
    /** False when the scope had none. */
    unset(scope: string): Promise<boolean>;
  };
}

/** The archive files (one per backup id), as the backup work sees them. */
export interface ArchiveStore {
  /**
   * Writes a verified archive of `payload` (a tar stream) without the entries at
   * `exclude`; nothing is left on failure.
   */
  write(
    manifest: Omit<BackupManifest, "payload">,
    payload: ReadableStream<Uint8Array>,
    options?: {
      exclude?: string[];
      /** Read once the payload is in: what only its end tells (how long a pause was). */
      late?: () => Pick<BackupManifest, "downtimeMs">;
    },
  ): Promise<BackupManifest>;
  /** Reads and checks archive `id` (ValidationError says what is wrong). */
  verify(id: string): Promise<BackupManifest>;
  /** The payload of archive `id` as a tar stream (verify first). */
  payload(id: string): Promise<ReadableStream<Uint8Array>>;
  /**
   * Takes an archive handed in (an upload), verifies it and keeps it as `id`; with
   * `keep: false` it is only verified. Nothing is left when it is refused.
   */
  receive(
    id: string,
    archive: ReadableStream<Uint8Array>,
    keep: boolean,
  ): Promise<BackupManifest>;
  /** The archive file of `id` (to download), or undefined when it is gone. */
  open(id: string): Promise<{ size: number; stream: ReadableStream<Uint8Array> } | undefined>;
  /** Deletes archive `id`; fine if it is gone. */
  remove(id: string): Promise<void>;
  /** Removes what failed writes left behind (temporary files). */
  clean(): Promise<void>;
  /**
   * An agent's own archive (the archive API's tar of it) as a payload of its state
   * directory: entries under `prefix`, owned by `owner`.
   */
  repack(
    source: ReadableStream<Uint8Array>,
    options: { prefix: string; owner: { uid: number; gid: number } },
  ): ReadableStream<Uint8Array>;
  /** The bounds on one archive. */
  readonly limits: BackupLimits;
}

/** The policy scope key of every pod, a tenant's pods, or one pod. */
export function policyScope(target: { tenant?: string; podId?: string }): string {
  if (target.podId) return `pod:${target.podId}`;
  if (target.tenant) return `tenant:${target.tenant}`;
  return "all";
}

/** The policy that applies to a pod: its own, else its tenant's, else every pod's. */
export function policyFor(
  policies: BackupPolicy[],
  pod: { id: string; tenant: string },
): BackupPolicy | undefined {
  const by = new Map(policies.map((p) => [p.scope, p]));
  return by.get(`pod:${pod.id}`) ?? by.get(`tenant:${pod.tenant}`) ?? by.get("all");
}

/**
 * A pod's spread within its schedule (ms): the same pod always gets the same offset, up to
 * a tenth of the interval and at most a minute, so a fleet's backups do not all start at
 * once.
 */
export function scheduleJitter(podId: string, everyMs: number): number {
  let hash = 0;
  for (const c of podId) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const span = Math.min(Math.floor(everyMs / 10), 60_000);
  return span > 0 ? hash % span : 0;
}

/**
 * Whether a pod's scheduled backup is due at `now`: an interval counts from the pod's
 * last scheduled backup (the first one is due once the policy is set, plus the pod's
 * jitter, which later runs keep); a cron
 * expression is due once its next time after the last run (or the policy's change) passed.
 */
export function policyDue(
  policy: BackupPolicy,
  at: {
    podId: string;
    lastRun: number | null;
    now: number;
    nextCron(expression: string, after: number): number | null;
  },
): boolean {
  if (policy.everyMs !== null) {
    // The jitter offsets the first run; later ones keep that offset (no drift).
    if (at.lastRun === null) {
      return at.now >= Date.parse(policy.updatedAt) + scheduleJitter(at.podId, policy.everyMs);
    }
    return at.now >= at.lastRun + policy.everyMs;
  }
  if (policy.cron === null) return false;
  const from = Math.max(at.lastRun ?? 0, Date.parse(policy.updatedAt));
  const next = at.nextCron(policy.cron, from);
  return next !== null && at.now >= next + scheduleJitter(at.podId, 600_000);
}

/** `45.2 KB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The row of an archive, from its manifest. */
export function backupRecordOf(
  manifest: BackupManifest,
  fields: { id: string; origin: BackupOrigin; durationMs: number | null },
): Omit<BackupRecord, "drill"> {
  const [tenant, pod] = manifest.pod.split("/") as [string, string];
  return {
    ...fields,
    tenant,
    podId: manifest.podId,
    pod,
    method: manifest.method,
    adapter: manifest.adapter,
    image: manifest.image,
    imageId: manifest.imageId,
    appVersion: manifest.appVersion,
    bytes: manifest.payload.bytes,
    sha256: manifest.payload.sha256,
    entries: manifest.payload.entries,
    downtimeMs: manifest.downtimeMs,
    createdAt: manifest.createdAt,
  };
}
