import assert from "node:assert/strict";
// @ts-types="@types/tar-stream"
import tar from "tar-stream";
import { Buffer } from "node:buffer";
import { type BackupLimits, type BackupManifest } from "../../core/backup.ts";
import { ValidationError } from "../../core/errors.ts";
import {
  archivePath,
  repackAgentArchive,
  verifyArchive,
  withoutPaths,
  writeArchive,
} from "./archive.ts";
import { gzipSync } from "node:zlib";

const LIMITS: BackupLimits = { maxBytes: 1024 * 1024, maxEntries: 100 };

type Entry = {
  name: string;
  type?: "file" | "directory" | "symlink";
  data?: string;
  linkname?: string;
};

/** A tar of `entries`, as a stream. */
async function tarOf(entries: Entry[]): Promise<Uint8Array> {
  const pack = tar.pack();
  for (const e of entries) {
    pack.entry({ name: e.name, type: e.type ?? "file", linkname: e.linkname }, e.data ?? "");
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

const streamOf = (bytes: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      // In pieces, as the Engine sends it.
      for (let i = 0; i < bytes.length; i += 700) c.enqueue(bytes.slice(i, i + 700));
      c.close();
    },
  });

const manifest = (): Omit<BackupManifest, "payload"> => ({
  format: 1,
  id: crypto.randomUUID(),
  pod: "acme/agent",
  podId: crypto.randomUUID(),
  adapter: "openclaw",
  method: "agent",
  image: "agentpod/openclaw:2026.9.6",
  imageId: "sha256:abc",
  appVersion: "2026.9.6",
  createdAt: new Date().toISOString(),
  downtimeMs: 0,
});

const STATE: Entry[] = [
  { name: ".openclaw/", type: "directory" },
  { name: ".openclaw/openclaw.json", data: '{"gateway":{}}' },
  { name: ".openclaw/workspace/", type: "directory" },
  { name: ".openclaw/workspace/MEMORY.md", data: "marker A\n".repeat(500) },
];

async function files(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("writeArchive() writes one 0600 file whose manifest and checksum verify", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const m = manifest();
    const { path, manifest: written } = await writeArchive({
      dir,
      manifest: m,
      payload: streamOf(await tarOf(STATE)),
      limits: LIMITS,
    });
    assert.equal(path, archivePath(dir, m.id));
    assert.deepEqual(await files(dir), [`${m.id}.tar`], "nothing else left behind");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal(written.payload.entries, 4);
    assert.match(written.payload.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(await verifyArchive(path, LIMITS), written);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verifyArchive() finds a changed byte, a foreign file and a truncated archive", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { path } = await writeArchive({
      dir,
      manifest: manifest(),
      payload: streamOf(await tarOf(STATE)),
      limits: LIMITS,
    });
    const bytes = await Deno.readFile(path);
    const at = new TextDecoder().decode(bytes).indexOf("marker A");
    const corrupt = bytes.slice();
    corrupt[at] = "X".charCodeAt(0);
    await Deno.writeFile(`${dir}/corrupt.tar`, corrupt);
    await assert.rejects(verifyArchive(`${dir}/corrupt.tar`, LIMITS), /Corrupted/);
    await Deno.writeFile(`${dir}/short.tar`, bytes.slice(0, bytes.length - 2048 - 1024));
    await assert.rejects(verifyArchive(`${dir}/short.tar`, LIMITS), ValidationError);
    await Deno.writeFile(`${dir}/foreign.tar`, await tarOf(STATE));
    await assert.rejects(
      verifyArchive(`${dir}/foreign.tar`, LIMITS),
      /does not start with its manifest/,
    );
    await Deno.writeFile(`${dir}/text.tar`, new TextEncoder().encode("hello"));
    await assert.rejects(verifyArchive(`${dir}/text.tar`, LIMITS), ValidationError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hostile payloads are refused and leave no file: ../, absolute, symlink, limits", async () => {
  const cases: [string, Entry[], BackupLimits, RegExp][] = [
    ["parent", [...STATE, { name: ".openclaw/../../x", data: "x" }], LIMITS, /leaves the target/],
    ["absolute", [{ name: "/etc/cron.d/x", data: "x" }], LIMITS, /absolute path/],
    ["symlink", [{ name: ".openclaw/link", type: "symlink", linkname: "/etc" }], LIMITS, /symlink/],
    ["bytes", STATE, { maxBytes: 1000, maxEntries: 100 }, /size limit/],
    ["entries", STATE, { maxBytes: LIMITS.maxBytes, maxEntries: 3 }, /entry limit/],
  ];
  for (const [label, entries, limits, message] of cases) {
    const dir = await Deno.makeTempDir();
    try {
      await assert.rejects(
        writeArchive({
          dir,
          manifest: manifest(),
          payload: streamOf(await tarOf(entries)),
          limits,
        }),
        (e: Error) => e instanceof ValidationError && message.test(e.message),
        label,
      );
      assert.deepEqual(await files(dir), [], `${label}: no file left`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

async function entriesOf(stream: ReadableStream<Uint8Array>) {
  const out: { name: string; type: string; uid?: number; data: string }[] = [];
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c);
      out.push({
        name: entry.header.name,
        type: entry.header.type ?? "file",
        uid: entry.header.uid,
        data: Buffer.concat(chunks).toString(),
      });
    }
  })();
  for await (const chunk of stream) extract.write(Buffer.from(chunk));
  extract.end();
  await done;
  return out;
}

Deno.test("withoutPaths() leaves out AgentPod's rendered files and passes the rest", async () => {
  const payload = await tarOf([
    { name: "./", type: "directory" },
    { name: "./openclaw.json", data: '{"token":"secret"}' },
    { name: "./state/", type: "directory" },
    { name: "./state/db", data: "rows" },
  ]);
  const kept = await entriesOf(withoutPaths(streamOf(payload), ["openclaw.json"]));
  assert.deepEqual(kept.map((e) => e.name), ["./", "./state/", "./state/db"]);
  // A pattern leaves out the backup copies the agent keeps of its config, too.
  const copies = await tarOf([
    { name: "openclaw.json", data: "secret" },
    { name: "openclaw.json.bak", data: "secret" },
    { name: "openclaw.json.bak.1", data: "secret" },
    { name: "state/db", data: "rows" },
  ]);
  const left = await entriesOf(withoutPaths(streamOf(copies), ["openclaw.json*"]));
  assert.deepEqual(left.map((e) => e.name), ["state/db"]);
  assert.equal(kept[2]!.data, "rows");
});

Deno.test("repackAgentArchive() keeps the state tree of an agent's gzip archive", async () => {
  const root = "2026-openclaw-backup";
  const inner = await tarOf([
    { name: `${root}/manifest.json`, data: "{}" },
    { name: `${root}/payload/posix/home/node/.openclaw/`, type: "directory" },
    { name: `${root}/payload/posix/home/node/.openclaw/workspace/A.md`, data: "marker A" },
  ]);
  // The archive API's tar of that one file.
  const gz = gzipSync(inner);
  const api = await (async () => {
    const pack = tar.pack();
    pack.entry({ name: "backup.tar.gz" }, gz);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  })();
  const payload = await entriesOf(
    repackAgentArchive(streamOf(api), {
      prefix: `${root}/payload/posix/home/node/.openclaw`,
      owner: { uid: 1000, gid: 1000 },
    }),
  );
  assert.deepEqual(payload.map((e) => [e.name, e.type, e.uid]), [
    ["./", "directory", 1000],
    ["workspace/A.md", "file", 1000],
  ]);
  assert.equal(payload[1]!.data, "marker A");
  // A link inside the agent's state is refused, not passed on.
  const linked = await tarOf([
    { name: `${root}/payload/posix/s/l`, type: "symlink", linkname: "/etc/passwd" },
  ]);
  const pack = tar.pack();
  pack.entry({ name: "b.tar.gz" }, gzipSync(linked));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  await assert.rejects(
    entriesOf(
      repackAgentArchive(streamOf(new Uint8Array(Buffer.concat(chunks))), {
        prefix: `${root}/payload/posix/s`,
        owner: { uid: 1, gid: 1 },
      }),
    ),
    /symlink/,
  );
});

Deno.test("a payload cut short (no tar end marker) is refused and leaves no file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const whole = await tarOf(STATE);
    // Cut on an entry boundary: every header parses, only the two zero blocks are missing.
    const cut = whole.slice(0, whole.length - 1024);
    await assert.rejects(
      writeArchive({ dir, manifest: manifest(), payload: streamOf(cut), limits: LIMITS }),
      /ended early/,
    );
    assert.deepEqual(await files(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
