import assert from "node:assert/strict";
import { readSse, SseParser } from "./sse.ts";

Deno.test("SseParser dispatches on a blank line, with event name and data", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('event: pod-event\ndata: {"id":1}\n\n'), [
    { event: "pod-event", data: '{"id":1}', id: "" },
  ]);
});

Deno.test("SseParser reassembles an event split anywhere across chunks", () => {
  const text = 'event: pod\r\ndata: {"pod":"acme/agent"}\r\n\r\nevent: pod-event\ndata: 2\n\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const parser = new SseParser();
    const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
    assert.deepEqual(
      events.map((e) => [e.event, e.data]),
      [["pod", '{"pod":"acme/agent"}'], ["pod-event", "2"]],
      `cut at ${cut}`,
    );
  }
});

Deno.test("SseParser joins multi-line data with LF", () => {
  const parser = new SseParser();
  const [event] = parser.push("data: first\ndata:second\ndata\n\n");
  assert.equal(event?.data, "first\nsecond\n");
  assert.equal(event?.event, "message");
});

Deno.test("SseParser ignores comments, unknown fields and events without data", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push(": keep-alive\n\nevent: pod\n\nfoo: bar\ndata: x\n\n"), [
    { event: "message", data: "x", id: "" },
  ]);
});

Deno.test("SseParser keeps the last id and reads retry", () => {
  const parser = new SseParser();
  const events = parser.push("id: 7\nretry: 3000\ndata: a\n\ndata: b\n\nid\ndata: c\n\n");
  assert.deepEqual(events, [
    { event: "message", data: "a", id: "7", retry: 3000 },
    { event: "message", data: "b", id: "7" },
    { event: "message", data: "c", id: "" },
  ]);
});

Deno.test("readSse() drops an unfinished event at the end of the stream", async () => {
  const encoder = new TextEncoder();
  const stream = ReadableStream.from(
    ["data: 1\n", "\n", "data: 2\n"].map((s) => encoder.encode(s)),
  );
  const events = await Array.fromAsync(readSse(stream));
  assert.deepEqual(events.map((e) => e.data), ["1"]);
});
