/**
 * Draining an OpenClaw gateway before it is stopped for an upgrade: its own CLI, run
 * inside the container, calls `gateway.suspend.prepare` (scope operator.admin, which a
 * token-only WebSocket client is not granted; the in-container CLI is). The gateway
 * answers `busy` while work is admitted (retry after `retryAfterMs`) and `ready` once it
 * takes no more; `/startupz` then says `draining`. Bounded: a gateway that stays busy is
 * stopped anyway, and the answer says so.
 * @module
 */
import { errorMessage } from "../core/errors.ts";

/** One `gateway.suspend.prepare` answer (the fields used). */
interface SuspendAnswer {
  status?: string;
  retryAfterMs?: number;
  blockers?: { kind: string; count: number; message?: string }[];
}

/** The CLI call that asks the gateway to drain. */
export function suspendCommand(port: number, requestId: string): string[] {
  return [
    "node",
    "openclaw.mjs",
    "gateway",
    "call",
    "gateway.suspend.prepare",
    "--port",
    String(port),
    "--json",
    "--params",
    JSON.stringify({ requestId, drain: true, terminalPolicy: "terminate" }),
  ];
}

/** Drains the gateway on `port`; see the module doc. */
export async function drainOpenClaw(
  port: number,
  exec: (command: string[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>,
  options: { timeoutMs: number; now(): number; sleep(ms: number): Promise<void> },
): Promise<{ drained: boolean; message: string }> {
  const deadline = options.now() + options.timeoutMs;
  const requestId = crypto.randomUUID();
  let last = "no answer";
  for (let attempt = 1;; attempt++) {
    let wait = 1_000;
    try {
      const out = await exec(suspendCommand(port, requestId));
      if (out.exitCode !== 0) {
        last = `the CLI exited ${out.exitCode}: ${(out.stderr || out.stdout).trim().slice(-200)}`;
      } else {
        const answer = JSON.parse(out.stdout.slice(out.stdout.indexOf("{"))) as SuspendAnswer;
        if (answer.status === "ready") {
          return { drained: true, message: `Drained (attempt ${attempt})` };
        }
        const work = (answer.blockers ?? []).map((b) => `${b.kind}=${b.count}`).join(", ");
        last = `${answer.status ?? "no status"}${work ? ` (${work})` : ""}`;
        wait = Math.min(Math.max(answer.retryAfterMs ?? 1_000, 100), 5_000);
      }
    } catch (error) {
      last = errorMessage(error);
    }
    const left = deadline - options.now();
    if (left <= 0) {
      return {
        drained: false,
        message: `Not drained in ${options.timeoutMs / 1000} s (${last}): stopping anyway`,
      };
    }
    await options.sleep(Math.min(wait, left));
  }
}
