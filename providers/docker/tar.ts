/**
 * A small ustar archive writer and reader, for the engine's archive endpoints (writing
 * config files into a container, reading files back). The reader also understands the
 * PAX and GNU long-name records Go's archive/tar emits. Pure: no I/O, no clock.
 * @module
 */
import { ValidationError } from "../../core/errors.ts";

/** What to put in an archive. */
export interface TarInput {
  /** Path inside the archive, relative (`config/openclaw.json`). */
  name: string;
  /** Entry kind; `file` by default. */
  type?: "file" | "directory" | "symlink";
  /** File content; strings are written as UTF-8. */
  data?: Uint8Array | string;
  /** Permission bits; 0o644 for files and 0o755 for directories by default. */
  mode?: number;
  /** Owner uid; 0 by default. */
  uid?: number;
  /** Owner gid; 0 by default. */
  gid?: number;
  /** Modification time in Unix seconds; 0 by default (this module reads no clock). */
  mtime?: number;
  /** Symlink target. */
  linkname?: string;
}

/** An entry read from an archive. Directory names carry no trailing slash. */
export interface TarEntry {
  /** Path inside the archive. */
  name: string;
  /** Entry kind; `other` for hard links, devices and fifos. */
  type: "file" | "directory" | "symlink" | "other";
  /** Permission bits. */
  mode: number;
  /** Owner uid. */
  uid: number;
  /** Owner gid. */
  gid: number;
  /** Modification time in Unix seconds. */
  mtime: number;
  /** Symlink or hard link target, or `""`. */
  linkname: string;
  /** File content (empty for non-files). */
  data: Uint8Array;
}

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Builds an uncompressed ustar archive, ending with the two zero blocks. */
export function createTar(inputs: readonly TarInput[]): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const input of inputs) {
    const type = input.type ?? "file";
    const data = type === "file"
      ? (typeof input.data === "string"
        ? encoder.encode(input.data)
        : input.data ?? new Uint8Array())
      : new Uint8Array();
    const header = writeHeader(input, type, data.length);
    parts.push(header, data);
    total += BLOCK + Math.ceil(data.length / BLOCK) * BLOCK;
  }
  const out = new Uint8Array(total + 2 * BLOCK);
  let offset = 0;
  for (let i = 0; i < parts.length; i += 2) {
    out.set(parts[i]!, offset);
    offset += BLOCK;
    const data = parts[i + 1]!;
    out.set(data, offset);
    offset += Math.ceil(data.length / BLOCK) * BLOCK;
  }
  return out;
}

function writeHeader(input: TarInput, type: string, size: number): Uint8Array {
  const header = new Uint8Array(BLOCK);
  const name = type === "directory" && !input.name.endsWith("/") ? `${input.name}/` : input.name;
  const [prefix, base] = splitName(name);
  writeString(header, 0, 100, base, name);
  writeOctal(header, 100, 8, input.mode ?? (type === "directory" ? 0o755 : 0o644), "mode");
  writeOctal(header, 108, 8, input.uid ?? 0, "uid");
  writeOctal(header, 116, 8, input.gid ?? 0, "gid");
  writeOctal(header, 124, 12, size, "size");
  writeOctal(header, 136, 12, Math.floor(input.mtime ?? 0), "mtime");
  header[156] = type === "directory" ? 0x35 : type === "symlink" ? 0x32 : 0x30;
  writeString(header, 157, 100, input.linkname ?? "", input.name);
  header.set(encoder.encode("ustar\u000000"), 257);
  writeString(header, 345, 155, prefix, name);
  // The checksum is computed with its own field read as eight spaces.
  header.fill(0x20, 148, 156);
  const sum = header.reduce((acc, byte) => acc + byte, 0);
  header.set(encoder.encode(sum.toString(8).padStart(6, "0") + "\u0000 "), 148);
  return header;
}

/** Splits a path into ustar's prefix (≤155 bytes) and name (≤100 bytes) at a slash. */
function splitName(name: string): [string, string] {
  if (encoder.encode(name).length <= 100) return ["", name];
  // The trailing slash of a directory must stay with the name part.
  for (
    let cut = name.lastIndexOf("/", name.length - 2);
    cut > 0;
    cut = name.lastIndexOf("/", cut - 1)
  ) {
    const prefix = name.slice(0, cut);
    const base = name.slice(cut + 1);
    if (encoder.encode(base).length > 100) break;
    if (encoder.encode(prefix).length <= 155) return [prefix, base];
  }
  throw new ValidationError(`Cannot archive "${name}": the path is too long for ustar`);
}

function writeString(header: Uint8Array, at: number, width: number, text: string, name: string) {
  const bytes = encoder.encode(text);
  if (bytes.length > width) {
    throw new ValidationError(`Cannot archive "${name}": a field exceeds ${width} bytes`);
  }
  header.set(bytes, at);
}

function writeOctal(header: Uint8Array, at: number, width: number, value: number, field: string) {
  const digits = value.toString(8);
  if (!Number.isSafeInteger(value) || value < 0 || digits.length > width - 1) {
    throw new ValidationError(`Cannot archive a ${field} of ${value}: out of range for ustar`);
  }
  header.set(encoder.encode(digits.padStart(width - 1, "0")), at);
}

/** Reads every entry of an uncompressed tar archive (ustar, PAX, GNU long names). */
export function readTar(archive: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    verifyChecksum(header, offset);
    const flag = String.fromCharCode(header[156]!);
    const size = Number(pax.size ?? readNumber(header, 124, 12));
    const dataStart = offset + BLOCK;
    if (dataStart + size > archive.length) {
      throw new ValidationError(`Cannot read tar archive: entry at byte ${offset} is truncated`);
    }
    const data = archive.slice(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (flag === "x") {
      pax = parsePax(data);
      continue;
    }
    if (flag === "g") continue;
    if (flag === "L" || flag === "K") {
      const text = decoder.decode(data).replace(/\0+$/, "");
      if (flag === "L") longName = text;
      else longLink = text;
      continue;
    }
    const isUstar = decoder.decode(header.subarray(257, 263)) === "ustar\u0000";
    const prefix = isUstar ? readString(header, 345, 155) : "";
    const base = readString(header, 0, 100);
    let name = pax.path ?? longName ?? (prefix ? `${prefix}/${base}` : base);
    const type = flag === "0" || flag === "\u0000" || flag === "7"
      ? "file"
      : flag === "5"
      ? "directory"
      : flag === "2"
      ? "symlink"
      : "other";
    if (type === "directory" && name.endsWith("/")) name = name.slice(0, -1);
    entries.push({
      name,
      type,
      mode: readNumber(header, 100, 8) & 0o7777,
      uid: Number(pax.uid ?? readNumber(header, 108, 8)),
      gid: Number(pax.gid ?? readNumber(header, 116, 8)),
      mtime: Math.floor(Number(pax.mtime ?? readNumber(header, 136, 12))),
      linkname: pax.linkpath ?? longLink ?? readString(header, 157, 100),
      data: type === "file" ? data : new Uint8Array(),
    });
    pax = {};
    longName = undefined;
    longLink = undefined;
  }
  return entries;
}

function verifyChecksum(header: Uint8Array, offset: number): void {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  if (readNumber(header, 148, 8) !== sum) {
    throw new ValidationError(`Cannot read tar archive: bad header checksum at byte ${offset}`);
  }
}

function readString(header: Uint8Array, at: number, width: number): string {
  const field = header.subarray(at, at + width);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

function readNumber(header: Uint8Array, at: number, width: number): number {
  // GNU base-256: the high bit of the first byte marks a big-endian binary number.
  if ((header[at]! & 0x80) !== 0) {
    let value = header[at]! & 0x7f;
    for (let i = 1; i < width; i++) value = value * 256 + header[at + i]!;
    return value;
  }
  const text = readString(header, at, width).replace(/[ \0]+$/, "").trim();
  return text === "" ? 0 : parseInt(text, 8);
}

/** Parses PAX records: `<length> <key>=<value>\n`, length counting the whole record. */
function parsePax(data: Uint8Array): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = parseInt(decoder.decode(data.subarray(offset, space)), 10);
    if (!(length > 0)) break;
    const record = decoder.decode(data.subarray(space + 1, offset + length - 1));
    const equals = record.indexOf("=");
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return records;
}
