/**
 * Host-port allocation: each pod gets one port on 127.0.0.1 from a configurable range.
 * Allocations are persisted with the pod (a unique column), so this only proposes
 * candidates; the caller skips ones already bound on the host and lets the database
 * settle races.
 * @module
 */
import { ConflictError, ValidationError } from "./errors.ts";

/** An inclusive port range. */
export interface PortRange {
  /** First port. */
  from: number;
  /** Last port. */
  to: number;
}

/** The default range: above the usual services, below Linux's ephemeral ports. */
export const DEFAULT_PORT_RANGE: PortRange = { from: 20000, to: 29999 };

/** Parses `20000-29999`. */
export function parsePortRange(value: string): PortRange {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(value.trim());
  const from = Number(match?.[1]);
  const to = Number(match?.[2]);
  if (!match || from < 1 || to > 65535 || from > to) {
    throw new ValidationError(`Invalid port range "${value}": expected <from>-<to> within 1-65535`);
  }
  return { from, to };
}

/** Free ports of `range`, lowest first, skipping those in `allocated`. */
export function* candidatePorts(range: PortRange, allocated: ReadonlySet<number>) {
  for (let port = range.from; port <= range.to; port++) {
    if (!allocated.has(port)) yield port;
  }
}

/**
 * The first candidate that `isFree` accepts (it checks the host); throws a
 * ConflictError when the range is exhausted.
 */
export async function allocateHostPort(
  range: PortRange,
  allocated: ReadonlySet<number>,
  isFree: (port: number) => boolean | Promise<boolean>,
): Promise<number> {
  for (const port of candidatePorts(range, allocated)) {
    if (await isFree(port)) return port;
  }
  throw new ConflictError(
    `No free host port in ${range.from}-${range.to}: ${allocated.size} allocated to pods`,
  );
}
