import assert from "node:assert/strict";
import { LineSplitter, readNdjson } from "./ndjson.ts";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((chunk) => encoder.encode(chunk)));
}

Deno.test("LineSplitter joins lines split across chunks", () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push('{"a":'), []);
  assert.deepEqual(splitter.push('1}\n{"b"'), ['{"a":1}']);
  assert.deepEqual(splitter.push(":2}\n"), ['{"b":2}']);
  assert.deepEqual(splitter.flush(), []);
});

Deno.test("LineSplitter handles CRLF split between chunks, CR and a last unterminated line", () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push("one\r"), ["one"]);
  assert.deepEqual(splitter.push("\ntwo\rthree\r\n\nfour"), ["two", "three", ""]);
  assert.deepEqual(splitter.flush(), ["four"]);
});

Deno.test("readNdjson() parses each line and skips blank ones", async () => {
  const values = await Array.fromAsync(
    readNdjson(streamOf('{"stream":"stdout","text":"hi"}\n\n{"stream":', '"stderr","text":"x"}')),
  );
  assert.deepEqual(values, [{ stream: "stdout", text: "hi" }, { stream: "stderr", text: "x" }]);
});

Deno.test("readNdjson() rejects a malformed line", async () => {
  await assert.rejects(() => Array.fromAsync(readNdjson(streamOf("{oops}\n"))), /Malformed NDJSON/);
});

Deno.test("readNdjson() decodes a multi-byte character split across chunks", async () => {
  const bytes = new TextEncoder().encode('{"text":"é"}\n');
  const stream = ReadableStream.from([bytes.slice(0, 10), bytes.slice(10)]);
  assert.deepEqual(await Array.fromAsync(readNdjson(stream)), [{ text: "é" }]);
});
