/**
 * Backup archives on disk (issue 14). One file per backup, `<dir>/<id>.tar`, mode 0600:
 * a tar whose first entry is `manifest.json` and whose second is `payload.tar`, the
 * agent's state directory as the Engine's archive API (or the agent's own backup
 * command) produced it. Written under a temporary name and renamed, so a failure, a
 * limit passed or a crash leaves no partial archive. Reading verifies: the manifest, the
 * payload's SHA-256 and size, and every payload entry (paths, types, limits) — archives
 * handed to `restore --from` may be hostile. Tar is read and written with npm
 * `tar-stream`.
 * @module
 */
// @ts-types="@types/tar-stream"
import tar from "tar-stream";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import {
  type ArchiveStore,
  type BackupLimits,
  type BackupManifest,
  checkPayloadEntry,
  parseManifest,
  PayloadBudget,
} from "../../core/backup.ts";
import { NotFoundError, ValidationError } from "../../core/errors.ts";

const MANIFEST = "manifest.json";
const PAYLOAD = "payload.tar";
/** The manifest is small; anything larger is not ours. */
const MAX_MANIFEST_BYTES = 64 * 1024;

/** Whether the `size`-byte file at `path` ends with a tar's two zero blocks. */
async function endsWithTarTrailer(path: string, size: number): Promise<boolean> {
  if (size < 1024) return false;
  using file = await Deno.open(path);
  await file.seek(size - 1024, Deno.SeekMode.Start);
  const tail = new Uint8Array(1024);
  let read = 0;
  while (read < tail.length) {
    const n = await file.read(tail.subarray(read));
    if (n === null) return false;
    read += n;
  }
  return tail.every((b) => b === 0);
}

/** The archive file of backup `id` in `dir`. */
export function archivePath(dir: string, id: string): string {
  return `${dir}/${id}.tar`;
}

async function sha256Hex(stream: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) {
    if (signal.aborted) throw signal.reason;
    hash.update(chunk);
  }
  return hash.digest("hex");
}

/** Writes `stream` into a tar extractor, stopping when the extractor is closed. */
async function feed(extract: tar.Extract, stream: ReadableStream<Uint8Array>): Promise<void> {
  try {
    for await (const chunk of stream) {
      if (extract.destroyed) return; // leaving the loop cancels the stream
      if (!extract.write(Buffer.from(chunk))) {
        await new Promise((resolve) => {
          extract.once("drain", resolve);
          extract.once("close", resolve);
        });
      }
    }
    if (!extract.destroyed) extract.end();
  } catch (error) {
    extract.destroy(error as Error);
  }
}

/**
 * Checks every entry of a payload tar read from `stream` against `limits`; resolves
 * with the entry count (ValidationError on the first entry refused).
 */
export async function checkPayload(
  stream: ReadableStream<Uint8Array>,
  limits: BackupLimits,
): Promise<number> {
  const budget = new PayloadBudget(limits);
  const extract = tar.extract();
  const feeding = feed(extract, stream);
  try {
    for await (const entry of extract) {
      budget.entry({
        name: entry.header.name,
        type: entry.header.type ?? "file",
        size: entry.header.size ?? 0,
      });
      entry.resume();
    }
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(`Refused: the payload is not a readable tar (${String(error)})`);
  } finally {
    extract.destroy();
    await feeding;
  }
  return budget.entries;
}

/**
 * Writes backup `manifest.id` into `dir` from a payload tar stream: the payload goes to
 * a temporary file (hashed and checked as it arrives), then the archive is assembled
 * under a temporary name and renamed. Returns the final manifest and the path.
 */
export async function writeArchive(options: {
  dir: string;
  manifest: Omit<BackupManifest, "payload">;
  payload: ReadableStream<Uint8Array>;
  limits: BackupLimits;
  /** Manifest fields known only once the payload is in. */
  late?: () => Pick<BackupManifest, "downtimeMs">;
}): Promise<{ path: string; manifest: BackupManifest }> {
  const { dir, limits } = options;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const id = options.manifest.id;
  const payloadTemp = `${dir}/.${id}.payload.tmp`;
  const archiveTemp = `${dir}/.${id}.tmp`;
  try {
    // The payload is spooled to disk first, as fast as the disk takes it: while it is
    // read, a paused agent stays paused. Checked and hashed from the file after.
    const file = await Deno.open(payloadTemp, { write: true, createNew: true, mode: 0o600 });
    let bytes = 0;
    await options.payload.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          bytes += chunk.length;
          if (bytes > limits.maxBytes + 1024 * 1024) {
            controller.error(
              new ValidationError(`Refused: more than ${limits.maxBytes} bytes (the size limit)`),
            );
            return;
          }
          controller.enqueue(chunk);
        },
      }),
    ).pipeTo(file.writable);
    // A tar ends with two zero blocks: a stream cut short (the engine's connection lost
    // between two entries) has none, and must not pass for a whole backup.
    if (!(await endsWithTarTrailer(payloadTemp, bytes))) {
      throw new ValidationError(
        "The payload ended early (no tar end marker): the stream was cut; nothing kept",
      );
    }
    const readBack = async () => (await Deno.open(payloadTemp)).readable;
    // The first failure stops the other reader.
    const failed = new AbortController();
    const [sha256, entries] = await Promise.all([
      sha256Hex(await readBack(), failed.signal),
      checkPayload(await readBack(), limits).catch((error) => {
        failed.abort(error);
        throw error;
      }),
    ]);
    const manifest: BackupManifest = {
      ...options.manifest,
      ...options.late?.(),
      payload: { bytes, sha256, entries },
    };
    const pack = tar.pack();
    const out = await Deno.open(archiveTemp, { write: true, createNew: true, mode: 0o600 });
    const writing = (async () => {
      const writer = out.writable.getWriter();
      for await (const chunk of pack) await writer.write(chunk as Uint8Array);
      await writer.close();
    })();
    // Awaited below; a failure meanwhile (a full disk) must not go unhandled.
    writing.catch(() => {});
    pack.entry({ name: MANIFEST, mode: 0o600 }, JSON.stringify(manifest, null, 2));
    await new Promise<void>((resolve, reject) => {
      writing.catch(reject);
      const entry = pack.entry(
        { name: PAYLOAD, size: bytes, mode: 0o600 },
        (error) => error ? reject(error) : resolve(),
      );
      (async () => {
        for await (const chunk of (await Deno.open(payloadTemp)).readable) {
          if (!entry.write(Buffer.from(chunk))) {
            await new Promise((r) => entry.once("drain", r));
          }
        }
        entry.end();
      })().catch(reject);
    });
    pack.finalize();
    await writing;
    const path = archivePath(dir, id);
    await Deno.rename(archiveTemp, path);
    return { path, manifest };
  } finally {
    await Deno.remove(payloadTemp).catch(() => {});
    await Deno.remove(archiveTemp).catch(() => {});
  }
}

/**
 * Reads and verifies an archive: the manifest first, then the payload (SHA-256, size,
 * and every entry against `limits`). Resolves with the manifest; a ValidationError says
 * what is wrong.
 */
export async function verifyArchive(path: string, limits: BackupLimits): Promise<BackupManifest> {
  const file = await Deno.open(path);
  const extract = tar.extract();
  const feeding = feed(extract, file.readable);
  let manifest: BackupManifest | undefined;
  let verified = false;
  try {
    for await (const entry of extract) {
      const name = entry.header.name;
      if (!manifest) {
        if (name !== MANIFEST || (entry.header.size ?? 0) > MAX_MANIFEST_BYTES) {
          throw new ValidationError("Not an AgentPod backup: it does not start with its manifest");
        }
        const chunks: Uint8Array[] = [];
        for await (const chunk of entry) chunks.push(chunk);
        let parsed: unknown;
        try {
          parsed = JSON.parse(new TextDecoder().decode(Buffer.concat(chunks)));
        } catch {
          throw new ValidationError("Not an AgentPod backup: its manifest is not JSON");
        }
        manifest = parseManifest(parsed);
        continue;
      }
      if (name !== PAYLOAD || verified) {
        throw new ValidationError(`Refused: unexpected entry "${name}" in the archive`);
      }
      const chunks = entry[Symbol.asyncIterator]();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        },
        cancel: () => void entry.destroy(),
      });
      const [toHash, toCheck] = stream.tee();
      const failed = new AbortController();
      const [sha256, entries] = await Promise.all([
        sha256Hex(toHash, failed.signal),
        checkPayload(toCheck, limits).catch((error) => {
          failed.abort(error);
          throw error;
        }),
      ]);
      const size = entry.header.size ?? 0;
      if (sha256 !== manifest.payload.sha256 || size !== manifest.payload.bytes) {
        throw new ValidationError(
          "Corrupted: the payload does not match the checksum in its manifest",
        );
      }
      if (entries !== manifest.payload.entries) {
        throw new ValidationError(
          `Corrupted: the payload holds ${entries} entries, its manifest says ${manifest.payload.entries}`,
        );
      }
      verified = true;
    }
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(`Refused: not a readable archive (${String(error)})`);
  } finally {
    extract.destroy();
    await feeding;
  }
  if (!manifest) throw new ValidationError("Not an AgentPod backup: it is empty");
  if (!verified) throw new ValidationError("Corrupted: the archive has no payload");
  return manifest;
}

/**
 * The payload of an archive (verify it first) as a tar stream, read from the file as it
 * is sent on: what a restore extracts into a volume.
 */
export async function payloadStream(path: string): Promise<ReadableStream<Uint8Array>> {
  const file = await Deno.open(path);
  const extract = tar.extract();
  void feed(extract, file.readable);
  const entries = extract[Symbol.asyncIterator]();
  for (;;) {
    const next = await entries.next();
    if (next.done) {
      extract.destroy();
      throw new ValidationError("Corrupted: the archive has no payload");
    }
    const entry = next.value;
    if (entry.header.name !== PAYLOAD) {
      entry.resume();
      continue;
    }
    const chunks = entry[Symbol.asyncIterator]();
    const raw = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const chunk = await chunks.next();
        if (chunk.done) {
          controller.close();
          extract.destroy();
        } else controller.enqueue(new Uint8Array(chunk.value));
      },
      cancel: () => void extract.destroy(),
    });
    // What reaches the engine is a tar AgentPod writes from the headers it checked, not
    // the stored bytes: two tar readers can disagree on a crafted one (pax headers).
    return retar(raw, (header) => {
      const type = header.type ?? "file";
      const name = checkPayloadEntry({ name: header.name, type, size: header.size ?? 0 });
      return {
        name: name === "" ? "./" : name,
        type,
        mode: header.mode,
        mtime: header.mtime,
        uid: header.uid,
        gid: header.gid,
        size: type === "file" ? header.size : 0,
      };
    });
  }
}

/** What `retar` does with one entry: a new header, or null to leave it out. */
type EntryMap = (header: tar.Headers) => tar.Headers | null;

/**
 * A tar stream rewritten entry by entry: `map` renames an entry, changes its owner or
 * leaves it out (its data is passed on unchanged). Errors end the output stream.
 */
export function retar(
  source: ReadableStream<Uint8Array>,
  map: EntryMap,
): ReadableStream<Uint8Array> {
  const pack = tar.pack();
  const extract = tar.extract();
  const fail = (error: unknown) => {
    extract.destroy();
    pack.destroy(error instanceof Error ? error : new Error(String(error)));
  };
  void (async () => {
    const feeding = feed(extract, source);
    for await (const item of extract) {
      const header = map(item.header);
      if (header === null) {
        item.resume();
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const out = pack.entry(header, (error) => error ? reject(error) : resolve());
        if (header.type !== "file") {
          item.resume();
          return;
        }
        item.on("data", (chunk: Buffer) => {
          if (!out.write(chunk)) {
            item.pause();
            out.once("drain", () => item.resume());
          }
        });
        item.on("end", () => out.end());
        item.on("error", reject);
      });
    }
    await feeding;
    pack.finalize();
  })().catch(fail);
  // Pulled: the pack is read as fast as the consumer takes it (backpressure to the source).
  const chunks = pack[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(new Uint8Array(next.value as Buffer));
      } catch (error) {
        controller.error(error);
      }
    },
    cancel: () => fail(new Error("cancelled")),
  });
}

/** An entry's path normalised as the payload names it (`./a/b/` → `a/b`, root ""). */
function entryPath(name: string): string {
  return name.split("/").filter((p) => p !== "" && p !== ".").join("/");
}

/**
 * A payload tar without the entries at `paths` (AgentPod's rendered files); a path ending
 * in `*` leaves out every entry that starts with it (`openclaw.json*`: its backup copies).
 */
export function withoutPaths(
  source: ReadableStream<Uint8Array>,
  paths: string[],
): ReadableStream<Uint8Array> {
  if (paths.length === 0) return source;
  const exact = new Set(paths.filter((p) => !p.endsWith("*")).map(entryPath));
  const prefixes = paths.filter((p) => p.endsWith("*")).map((p) => entryPath(p.slice(0, -1)));
  return retar(source, (header) => {
    const path = entryPath(header.name);
    return exact.has(path) || prefixes.some((p) => path.startsWith(p)) ? null : header;
  });
}

/** The first regular file of a tar stream (the archive API's tar of one file). */
function firstFile(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const extract = tar.extract();
  void feed(extract, source);
  const entries = extract[Symbol.asyncIterator]();
  let chunks: AsyncIterator<Buffer> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (!chunks) {
        const next = await entries.next();
        if (next.done) {
          controller.error(new ValidationError("The agent's backup produced no archive"));
          return;
        }
        if (next.value.header.type === "file") chunks = next.value[Symbol.asyncIterator]();
        else next.value.resume();
      }
      const chunk = await chunks.next();
      if (chunk.done) {
        controller.close();
        extract.destroy();
      } else controller.enqueue(new Uint8Array(chunk.value));
    },
    cancel: () => void extract.destroy(),
  });
}

/**
 * Turns an agent's own backup archive into a payload of its state directory: `source`
 * is the archive API's tar of that one file (gzip-compressed tar inside), whose entries
 * under `prefix` become the payload's, renamed relative to it and owned by `owner`
 * (the agent's user: the tool may record another). Entries outside `prefix` (the tool's
 * own manifest) are left out; links and devices are refused.
 */
export function repackAgentArchive(
  source: ReadableStream<Uint8Array>,
  options: { prefix: string; owner: { uid: number; gid: number } },
): ReadableStream<Uint8Array> {
  const prefix = options.prefix.replace(/^\/+/, "").replace(/\/*$/, "/");
  const inner = firstFile(source).pipeThrough(
    new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  return retar(inner, (header) => {
    const name = header.name.replace(/^\.\//, "");
    const type = header.type ?? "file";
    if (name !== prefix.slice(0, -1) && !name.startsWith(prefix)) return null;
    if (type !== "file" && type !== "directory") {
      throw new ValidationError(`Refused: "${name}" in the agent's archive is a ${type}`);
    }
    const relative = name.slice(prefix.length).replace(/\/$/, "");
    return {
      name: relative === "" ? "./" : relative,
      type,
      mode: header.mode,
      mtime: header.mtime,
      uid: options.owner.uid,
      gid: options.owner.gid,
      size: type === "file" ? header.size : 0,
    };
  });
}

/** A missing archive file as the domain's NotFoundError. */
async function missingAsNotFound<T>(id: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new NotFoundError(`The archive file of backup ${id} is missing`);
    }
    throw error;
  }
}

/** The archives of directory `dir` (made 0700 when missing), bounded by `limits`. */
export function createArchiveStore(dir: string, limits: BackupLimits): ArchiveStore {
  return {
    limits,
    write: async (manifest, payload, options = {}) =>
      (await writeArchive({
        dir,
        manifest,
        payload: withoutPaths(payload, options.exclude ?? []),
        limits,
        late: options.late,
      })).manifest,
    verify: (id) => missingAsNotFound(id, verifyArchive(archivePath(dir, id), limits)),
    payload: (id) => missingAsNotFound(id, payloadStream(archivePath(dir, id))),
    async receive(id, archive, keep) {
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      const temp = `${dir}/.${id}.upload.tmp`;
      try {
        const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
        let bytes = 0;
        // The manifest and the tar framing come on top of the payload's own limit.
        const most = limits.maxBytes + 4 * 1024 * 1024;
        await archive.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              bytes += chunk.length;
              if (bytes > most) {
                controller.error(
                  new ValidationError(
                    `Refused: more than ${limits.maxBytes} bytes (the size limit)`,
                  ),
                );
              } else controller.enqueue(chunk);
            },
          }),
        ).pipeTo(file.writable);
        const manifest = await verifyArchive(temp, limits);
        if (keep) await Deno.rename(temp, archivePath(dir, id));
        return manifest;
      } finally {
        await Deno.remove(temp).catch(() => {});
      }
    },
    async open(id) {
      try {
        const file = await Deno.open(archivePath(dir, id));
        return { size: (await file.stat()).size, stream: file.readable };
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw error;
      }
    },
    async remove(id) {
      await Deno.remove(archivePath(dir, id)).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    },
    async clean() {
      try {
        for await (const entry of Deno.readDir(dir)) {
          if (entry.isFile && entry.name.startsWith(".") && entry.name.endsWith(".tmp")) {
            await Deno.remove(`${dir}/${entry.name}`).catch(() => {});
          }
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    },
    repack: repackAgentArchive,
  };
}
