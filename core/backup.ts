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
