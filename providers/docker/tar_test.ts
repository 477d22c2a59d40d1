/**
 * Tests: The ustar writer and reader: round trips, long names, owners, foreign formats.
 * @module
 */
import assert from "node:assert/strict";
import { ValidationError } from "../../core/errors.ts";
import { createTar, readTar } from "./tar.ts";

const text = new TextDecoder();

Deno.test("createTar()/readTar() round-trip files, directories, owners and modes", () => {
  const archive = createTar([
    {
      name: ".openclaw",
      type: "directory",
      uid: 1000,
      gid: 1000,
      mode: 0o700,
      mtime: 1_700_000_000,
    },
    { name: ".openclaw/openclaw.json", data: '{"gateway":{}}', uid: 1000, gid: 1000, mode: 0o600 },
    { name: "bin.dat", data: Uint8Array.of(0, 255, 1, 2) },
    { name: "link", type: "symlink", linkname: ".openclaw/openclaw.json" },
  ]);
  assert.equal(archive.length % 512, 0);
  const entries = readTar(archive);
  assert.deepEqual(entries.map((e) => [e.name, e.type, e.uid, e.gid, e.mode.toString(8)]), [
    [".openclaw", "directory", 1000, 1000, "700"],
    [".openclaw/openclaw.json", "file", 1000, 1000, "600"],
    ["bin.dat", "file", 0, 0, "644"],
    ["link", "symlink", 0, 0, "644"],
  ]);
  assert.equal(entries[0]!.mtime, 1_700_000_000);
  assert.equal(text.decode(entries[1]!.data), '{"gateway":{}}');
  assert.deepEqual([...entries[2]!.data], [0, 255, 1, 2]);
  assert.equal(entries[3]!.linkname, ".openclaw/openclaw.json");
});

Deno.test("createTar() pads content to 512-byte blocks and ends with two zero blocks", () => {
  const archive = createTar([{ name: "a", data: "x".repeat(513) }]);
  // header + 2 data blocks + 2 end blocks
  assert.equal(archive.length, 512 * 5);
  assert.ok(archive.subarray(512 * 3).every((b) => b === 0));
  assert.equal(readTar(archive)[0]!.data.length, 513);
});

Deno.test("createTar() stores a 100-character name in the name field", () => {
  const name = "n".repeat(100);
  const archive = createTar([{ name, data: "1" }]);
  assert.equal(text.decode(archive.subarray(0, 100)), name);
  assert.equal(readTar(archive)[0]!.name, name);
});

Deno.test("createTar() splits longer paths into ustar prefix and name", () => {
  const name = `${"d".repeat(80)}/${"e".repeat(60)}/${"f".repeat(90)}.json`;
  const dir = `${"d".repeat(150)}/${"g".repeat(99)}`;
  const entries = readTar(createTar([{ name, data: "x" }, { name: dir, type: "directory" }]));
  assert.deepEqual(entries.map((e) => e.name), [name, dir]);
});

Deno.test("createTar() rejects paths and values ustar cannot hold", () => {
  assert.throws(() => createTar([{ name: "x".repeat(101) }]), ValidationError);
  assert.throws(() => createTar([{ name: "a", uid: 0o10000000 }]), ValidationError);
  assert.throws(() => createTar([{ name: "a", mode: -1 }]), ValidationError);
});

Deno.test("readTar() rejects a corrupted header", () => {
  const archive = createTar([{ name: "a", data: "x" }]);
  archive[0] = "b".charCodeAt(0);
  assert.throws(() => readTar(archive), /bad header checksum at byte 0/);
});

Deno.test("readTar() rejects a truncated archive", () => {
  const archive = createTar([{ name: "a", data: "x".repeat(2000) }]);
  assert.throws(() => readTar(archive.subarray(0, 1024)), /truncated/);
});

Deno.test("readTar() applies PAX records and GNU long names from other writers", () => {
  const longName = "p/".repeat(80) + "file.txt";
  const paxBody = paxRecord("path", longName) + paxRecord("uid", "4000000");
  const gnuName = "g".repeat(150);
  const archive = concat(
    retype(createTar([{ name: "PaxHeaders/file", data: paxBody }]), "x"),
    withoutEnd(createTar([{ name: "short", data: "pax content", uid: 1 }])),
    retype(createTar([{ name: "././@LongLink", data: gnuName + "\0" }]), "L"),
    createTar([{ name: "trunc", data: "gnu content" }]),
  );
  const entries = readTar(archive);
  assert.deepEqual(entries.map((e) => [e.name, e.uid, text.decode(e.data)]), [
    [longName, 4_000_000, "pax content"],
    [gnuName, 0, "gnu content"],
  ]);
});

/** A PAX record: the length prefix counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length++;
  return `${length}${body}`;
}

/** Changes the first entry's type flag, fixes the checksum, drops the end blocks. */
function retype(archive: Uint8Array, flag: string): Uint8Array {
  const header = archive.slice(0, 512);
  header[156] = flag.charCodeAt(0);
  header.fill(0x20, 148, 156);
  const sum = header.reduce((acc, byte) => acc + byte, 0);
  header.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  return concat(header, withoutEnd(archive).subarray(512));
}

function withoutEnd(archive: Uint8Array): Uint8Array {
  return archive.subarray(0, archive.length - 1024);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
