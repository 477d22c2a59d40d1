/**
 * How pod facts read on a page: CPU, memory, times, and the tone of a status. Shared by
 * server-rendered pages and islands, so both render the same text (hydration matches).
 * @module
 */

/** The colour family of a badge. */
export type Tone = "ok" | "progress" | "neutral" | "bad";

/** The tone of a pod phase. */
export function statusTone(status: string): Tone {
  if (status === "running") return "ok";
  if (status === "failed") return "bad";
  if (status === "stopped") return "neutral";
  return "progress";
}

/** The tone of a health value. */
export function healthTone(health: string | null): Tone {
  if (health === "ok") return "ok";
  if (health === "failing") return "bad";
  if (health === "starting") return "progress";
  return "neutral";
}

/** `12%`, or `-` when unknown. */
export function formatCpu(cpu: number | null): string {
  if (cpu === null) return "-";
  return `${cpu < 10 ? Math.round(cpu * 10) / 10 : Math.round(cpu)}%`;
}

/** `256 MB`, or `-` when unknown. */
export function formatMemory(memoryMB: number | null): string {
  return memoryMB === null ? "-" : `${Math.round(memoryMB)} MB`;
}

/** `2026-11-29 05:26:03 UTC`: the same text on the server and in any browser. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Phases in the order the overview counts them. */
export const PHASES = [
  "running",
  "pending",
  "creating",
  "starting",
  "stopping",
  "stopped",
  "failed",
  "upgrading",
  "deleting",
] as const;
