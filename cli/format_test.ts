import assert from "node:assert/strict";
import {
  colourEnabled,
  formatCpu,
  formatMemory,
  formatTime,
  orDash,
  paintWord,
  renderKeyValues,
  renderRow,
  renderTable,
} from "./format.ts";
import { renderPodStatus, renderPodTable } from "./commands_pod.ts";
import { renderTenantTable } from "./commands_tenant.ts";
import type { PodView } from "./api_types.ts";

function pod(overrides: Partial<PodView>): PodView {
  return {
    pod: "acme/agent",
    tenant: "acme",
    name: "agent",
    status: "running",
    health: "ok",
    cpu: 12,
    memoryMB: 256,
    ...overrides,
  };
}

Deno.test("renderTable() aligns columns two spaces apart with no trailing spaces", () => {
  const text = renderTable(["A", "Long header", "C"], [["xxxx", "y", "z"], ["x", "", "zz"]]);
  assert.equal(
    text,
    "A     Long header  C\n" +
      "xxxx  y            z\n" +
      "x                  zz\n",
  );
});

Deno.test("renderTable() pads by the plain text so colour codes keep the alignment", () => {
  const paint = (column: number, text: string) => column === 0 ? paintWord(text, true) : text;
  const text = renderTable(["Status", "X"], [["running", "1"], ["failed", "2"]], paint);
  const plain = text.replaceAll("\x1b[32m", "").replaceAll("\x1b[31m", "").replaceAll(
    "\x1b[0m",
    "",
  );
  assert.equal(plain, "Status   X\nrunning  1\nfailed   2\n");
  assert.ok(text.includes("\x1b[32mrunning\x1b[0m  1\n"));
});

Deno.test("pod list table matches the PRODUCT.md shape, with - for nulls", () => {
  const text = renderPodTable([
    pod({}),
    pod({ pod: "mega/hr", status: "stopped", health: null, cpu: null, memoryMB: null }),
  ]);
  assert.equal(
    text,
    "Pod         Status   Health  CPU  Memory\n" +
      "acme/agent  running  ok      12%  256 MB\n" +
      "mega/hr     stopped  -       -    -\n",
  );
});

Deno.test("cell formats: cpu, memory, dash, time", () => {
  assert.equal(formatCpu(12.4), "12%");
  assert.equal(formatCpu(0.44), "0.4%");
  assert.equal(formatCpu(null), "-");
  assert.equal(formatMemory(255.6), "256 MB");
  assert.equal(formatMemory(undefined), "-");
  assert.equal(orDash(null), "-");
  assert.equal(orDash(""), "-");
  assert.equal(orDash(0), "0");
  assert.equal(formatTime("2026-09-06T12:00:01.123Z"), "2026-09-06T12:00:01Z");
  assert.equal(formatTime("soon"), "soon");
  assert.equal(formatTime(null), "-");
});

Deno.test("renderKeyValues() aligns values after the longest key", () => {
  assert.equal(
    renderKeyValues([["Pod", "acme/agent"], ["Last error", "-"]]),
    "Pod:         acme/agent\nLast error:  -\n",
  );
});

Deno.test("renderRow() uses fixed widths for streamed rows", () => {
  assert.equal(renderRow(["a", "b", "c"], [3, 4, 9]), "a    b     c\n");
});

Deno.test("pod status shows the key/value block and the conditions table", () => {
  const text = renderPodStatus(pod({
    image: "agentpod/openclaw:2026.9.6",
    hostPort: 20000,
    url: "http://agent.acme.localhost",
    restarts: 2,
    lastError: null,
    conditions: [{
      type: "Healthy",
      status: "True",
      reason: "ProbeSucceeded",
      message: "Gateway answered",
      lastTransitionTime: "2026-09-06T12:00:00Z",
    }],
  }));
  assert.match(text, /^Pod:\s+acme\/agent$/m);
  assert.match(text, /^Host port:\s+20000$/m);
  assert.match(text, /^Last error:\s+-$/m);
  assert.match(text, /^Restarts:\s+2$/m);
  assert.match(text, /Conditions:\nType\s+Status\s+Reason\s+Since\s+Message\n/);
  assert.match(
    text,
    /^Healthy\s+True\s+ProbeSucceeded\s+2026-09-06T12:00:00Z\s+Gateway answered$/m,
  );
});

Deno.test("tenant list table: Tenant  Name  Pods  Created", () => {
  assert.equal(
    renderTenantTable([
      { id: "acme", name: "Acme Inc", pods: 2, createdAt: "2026-09-06T12:00:00Z" },
      { id: "mega", name: null, pods: 0 },
    ]),
    "Tenant  Name      Pods  Created\n" +
      "acme    Acme Inc  2     2026-09-06T12:00:00Z\n" +
      "mega    -         0     -\n",
  );
});

Deno.test("colour only on a terminal without NO_COLOR", () => {
  assert.equal(colourEnabled(true, {}), true);
  assert.equal(colourEnabled(false, {}), false);
  assert.equal(colourEnabled(true, { NO_COLOR: "1" }), false);
  assert.equal(paintWord("running", false), "running");
  assert.equal(paintWord("acme", true), "acme");
});
