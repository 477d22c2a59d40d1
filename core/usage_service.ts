/**
 * Reading usage: a tenant's (or every tenant's) report over a range of UTC days, from
 * what the sampler accumulated and the runs the engine's events told. Works on any
 * control plane and under a tenant's row-level security.
 * @module
 */
import { ValidationError } from "./errors.ts";
import { parseTenantId } from "./ids.ts";
import type { Store } from "./store.ts";
import { dayOf, dayStart, type UsageReport, usageReport } from "./usage.ts";

/** The longest range one report covers. */
export const MAX_USAGE_DAYS = 366;

/** A report query: days as `YYYY-MM-DD` (default: the last 7 days up to today). */
export interface UsageQuery {
  tenant?: string;
  from?: string;
  to?: string;
}

/** The report for `query` at `now` (ms). */
export async function readUsage(
  store: Store,
  query: UsageQuery,
  now: number,
): Promise<UsageReport> {
  for (const [name, value] of [["from", query.from], ["to", query.to]] as const) {
    if (value !== undefined && Number.isNaN(dayStart(value))) {
      throw new ValidationError(`Invalid ${name} "${value}": expected a day as YYYY-MM-DD`);
    }
  }
  const to = query.to ?? dayOf(now);
  const from = query.from ?? dayOf(dayStart(to) - 6 * 86_400_000);
  const span = (dayStart(to) - dayStart(from)) / 86_400_000 + 1;
  if (span < 1) throw new ValidationError(`Invalid range: from ${from} is after to ${to}`);
  if (span > MAX_USAGE_DAYS) {
    throw new ValidationError(`Invalid range: ${span} days, at most ${MAX_USAGE_DAYS}`);
  }
  let tenant: string | undefined;
  if (query.tenant !== undefined) {
    tenant = parseTenantId(query.tenant);
    await store.tenants.get(tenant); // NotFoundError when absent (or not visible)
  }
  const filter = { ...(tenant ? { tenant } : {}), from, to };
  const [sampled, runs] = await Promise.all([
    store.usage.sampled(filter),
    store.usage.runs(filter),
  ]);
  const firstStart = await store.usage.firstStarts([...new Set(runs.map((r) => r.podId))]);
  return usageReport({ tenant: tenant ?? null, from, to, sampled, runs, firstStart, now });
}
