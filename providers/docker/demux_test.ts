/**
 * Tests: Frame demultiplexing and line assembly over every way a stream can be split.
 * @module
 */
import assert from "node:assert/strict";
import { demuxAll, type Frame, FrameDemuxer, LineAssembler } from "./demux.ts";

const text = new TextEncoder();

/** A frame as the engine writes it. */
function frame(stream: number, payload: string | Uint8Array): Uint8Array {
  const data = typeof payload === "string" ? text.encode(payload) : payload;
  const out = new Uint8Array(8 + data.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, data.length);
  out.set(data, 8);
  return out;
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

function decoded(frames: Frame[]): [string, string][] {
  return frames.map((f) => [f.stream, new TextDecoder().decode(f.data)]);
}

Deno.test("FrameDemuxer returns several frames from one chunk, in order", () => {
  const bytes = concat(frame(1, "out 1\n"), frame(2, "err 1\n"), frame(1, "out 2\n"));
  assert.deepEqual(decoded(new FrameDemuxer().push(bytes)), [
    ["stdout", "out 1\n"],
    ["stderr", "err 1\n"],
    ["stdout", "out 2\n"],
  ]);
});

Deno.test("FrameDemuxer reassembles frames split at every possible byte", () => {
  const bytes = concat(frame(1, "hello"), frame(2, "wörld"), frame(1, ""), frame(3, "sys"));
  for (let cut = 0; cut <= bytes.length; cut++) {
    const demuxer = new FrameDemuxer();
    const frames = [...demuxer.push(bytes.subarray(0, cut)), ...demuxer.push(bytes.subarray(cut))];
    demuxer.finish();
    assert.deepEqual(decoded(frames), [
      ["stdout", "hello"],
      ["stderr", "wörld"],
      ["system", "sys"],
    ], `cut at ${cut}`);
  }
});

Deno.test("FrameDemuxer copes with a stream fed one byte at a time", () => {
  const bytes = concat(frame(2, "a"), frame(1, "bc"));
  const demuxer = new FrameDemuxer();
  const frames: Frame[] = [];
  for (const byte of bytes) frames.push(...demuxer.push(Uint8Array.of(byte)));
  assert.deepEqual(decoded(frames), [["stderr", "a"], ["stdout", "bc"]]);
  assert.equal(demuxer.pending, false);
});

Deno.test("FrameDemuxer keeps a partial header pending and finish() reports truncation", () => {
  const demuxer = new FrameDemuxer();
  assert.deepEqual(demuxer.push(frame(1, "abc").subarray(0, 5)), []);
  assert.equal(demuxer.pending, true);
  assert.throws(() => demuxer.finish(), /ended inside a frame/);
});

Deno.test("FrameDemuxer reports a truncated payload", () => {
  assert.throws(() => demuxAll(frame(1, "abcdef").subarray(0, 10)), /ended inside a frame/);
});

Deno.test("FrameDemuxer decodes a large big-endian length", () => {
  const payload = new Uint8Array(70_000).fill(0x61);
  const bytes = frame(1, payload);
  assert.deepEqual([...bytes.subarray(4, 8)], [0, 1, 0x11, 0x70]);
  const demuxer = new FrameDemuxer();
  const frames = [
    ...demuxer.push(bytes.subarray(0, 30_000)),
    ...demuxer.push(bytes.subarray(30_000, 60_000)),
    ...demuxer.push(bytes.subarray(60_000)),
  ];
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.data.length, 70_000);
});

Deno.test("FrameDemuxer rejects raw (TTY) output instead of returning garbage", () => {
  assert.throws(() => new FrameDemuxer().push(text.encode("plain text output\n")), /Malformed/);
});

Deno.test("LineAssembler joins lines and multi-byte characters split across chunks", () => {
  const assembler = new LineAssembler();
  const bytes = text.encode("añb\r\nsecond\nthi");
  const lines: string[] = [];
  for (const byte of bytes) lines.push(...assembler.push(Uint8Array.of(byte)));
  assert.deepEqual(lines, ["añb", "second"]);
  assert.deepEqual(assembler.flush(), ["thi"]);
  assert.deepEqual(assembler.flush(), []);
});
