/**
 * Tests: the text exposition (escaping, histogram buckets cumulative with +Inf, sum and
 * count), counters per label set, and Docker paths turned into bounded labels.
 * @module
 */
import assert from "node:assert/strict";
import { Counter, dockerOperation, Histogram, renderMetrics } from "./metrics.ts";

Deno.test("renderMetrics: HELP, TYPE and samples, labels escaped", () => {
  const text = renderMetrics([{
    name: "agentpod_pods",
    help: "Pods by phase.\nSecond line \\ here.",
    type: "gauge",
    samples: [{ labels: { phase: 'run"ning', pod: "a\\b\nc" }, value: 2 }, {
      labels: {},
      value: NaN,
    }],
  }]);
  assert.equal(
    text,
    "# HELP agentpod_pods Pods by phase.\\nSecond line \\\\ here.\n" +
      "# TYPE agentpod_pods gauge\n" +
      'agentpod_pods{phase="run\\"ning",pod="a\\\\b\\nc"} 2\n' +
      "agentpod_pods NaN\n",
  );
});

Deno.test("Histogram: cumulative buckets, +Inf, sum and count per label set", () => {
  const h = new Histogram("x_seconds", "X.", [0.1, 1]);
  h.observe({ op: "a" }, 0.05);
  h.observe({ op: "a" }, 0.5);
  h.observe({ op: "a" }, 3);
  h.observe({ op: "b" }, 0.1);
  const samples = h.family().samples.map((s) =>
    `${s.suffix}${JSON.stringify(s.labels)}=${s.value}`
  );
  assert.deepEqual(samples, [
    '_bucket{"op":"a","le":"0.1"}=1',
    '_bucket{"op":"a","le":"1"}=2',
    '_bucket{"op":"a","le":"+Inf"}=3',
    '_sum{"op":"a"}=3.55',
    '_count{"op":"a"}=3',
    '_bucket{"op":"b","le":"0.1"}=1',
    '_bucket{"op":"b","le":"1"}=1',
    '_bucket{"op":"b","le":"+Inf"}=1',
    '_sum{"op":"b"}=0.1',
    '_count{"op":"b"}=1',
  ]);
});

Deno.test("Counter: one series per label set, whatever the key order", () => {
  const c = new Counter("y_total", "Y.");
  c.inc({ a: "1", b: "2" });
  c.inc({ b: "2", a: "1" }, 2);
  c.inc({ a: "3", b: "2" });
  assert.deepEqual(c.family().samples.map((s) => s.value), [3, 1]);
});

Deno.test("dockerOperation: ids and names become *, the action stays", () => {
  assert.equal(
    dockerOperation("POST", "/v1.47/containers/abc123/start"),
    "POST containers/*/start",
  );
  assert.equal(dockerOperation("GET", "/v1.47/containers/json?all=1"), "GET containers/json");
  assert.equal(dockerOperation("GET", "/v1.47/containers/abc/json"), "GET containers/*/json");
  assert.equal(dockerOperation("DELETE", "/v1.47/containers/abc"), "DELETE containers/*");
  assert.equal(dockerOperation("POST", "/v1.47/containers/create"), "POST containers/create");
  assert.equal(dockerOperation("GET", "/_ping"), "GET _ping");
  assert.equal(
    dockerOperation("GET", "/v1.47/images/agentpod/openclaw:1/json"),
    "GET images/*/json",
  );
});
