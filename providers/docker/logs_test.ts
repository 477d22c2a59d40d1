/**
 * Tests: Log decoding: streams kept apart, TTY output, timestamps.
 * @module
 */
import assert from "node:assert/strict";
import { LogDecoder, splitTimestamp } from "./logs.ts";

const text = new TextEncoder();

function frame(stream: number, payload: string): Uint8Array {
  const data = text.encode(payload);
  const out = new Uint8Array(8 + data.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, data.length);
  out.set(data, 8);
  return out;
}

Deno.test("LogDecoder keeps stdout and stderr apart and joins lines split over frames", () => {
  const decoder = new LogDecoder({ tty: false, timestamps: false });
  const lines = [
    ...decoder.push(frame(1, "one\ntw")),
    ...decoder.push(frame(2, "oops\n")),
    ...decoder.push(frame(1, "o\n")),
    ...decoder.push(frame(1, "tail")),
    ...decoder.finish(),
  ];
  assert.deepEqual(lines, [
    { stream: "stdout", line: "one" },
    { stream: "stderr", line: "oops" },
    { stream: "stdout", line: "two" },
    { stream: "stdout", line: "tail" },
  ]);
});

Deno.test("LogDecoder treats TTY output as raw stdout", () => {
  const decoder = new LogDecoder({ tty: true, timestamps: false });
  assert.deepEqual(decoder.push(text.encode("a\r\nb\n")), [
    { stream: "stdout", line: "a" },
    { stream: "stdout", line: "b" },
  ]);
  assert.deepEqual(decoder.finish(), []);
});

Deno.test("LogDecoder splits engine timestamps off each line", () => {
  const decoder = new LogDecoder({ tty: false, timestamps: true });
  assert.deepEqual(decoder.push(frame(2, "2026-11-29T02:55:59.123456789Z hello world\n")), [
    { stream: "stderr", line: "hello world", timestamp: "2026-11-29T02:55:59.123456789Z" },
  ]);
});

Deno.test("splitTimestamp() leaves lines without a timestamp alone", () => {
  assert.deepEqual(splitTimestamp("no time here"), { line: "no time here" });
  assert.deepEqual(splitTimestamp("2026-01-02T03:04:05Z"), {
    timestamp: "2026-01-02T03:04:05Z",
    line: "",
  });
  assert.deepEqual(splitTimestamp("2026-01-02T03:04:05.5+02:00 x"), {
    timestamp: "2026-01-02T03:04:05.5+02:00",
    line: "x",
  });
});
