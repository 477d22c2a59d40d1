/**
 * Cron expressions (backup schedules) with npm `croner`: the next time an expression
 * names after a given time, in the server's time zone.
 * @module
 */
import { Cron } from "croner";

/** The next time (ms) `expression` names after `after` (ms), or null when it is not valid. */
export function nextCron(expression: string, after: number): number | null {
  try {
    const next = new Cron(expression, { paused: true }).nextRun(new Date(after));
    return next ? next.getTime() : null;
  } catch {
    return null;
  }
}
