/**
 * Shared pieces of the command definitions: the `--format` option, number parsers
 * and client-side checks of tenant ids and pod addresses (bad input exits 2 before
 * any request is sent).
 * @module
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { parsePodRef, parseTenantId, type PodRef } from "../core/ids.ts";
import { errorMessage } from "../core/errors.ts";
import { CliError, ExitCode } from "./errors.ts";

/** Adds `--format table|json` (default table) to a command. */
export function withFormat(command: Command): Command {
  return command.addOption(
    new Option("--format <format>", "output format").choices(["table", "json"]).default("table"),
  );
}

/** Commander parser for a whole number ≥ `min` (and ≤ `max` when given). */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `Expected a whole number of at least ${min}`
          : `Expected a whole number from ${min} to ${max}`,
      );
    }
    return n;
  };
}

/** Commander parser for a positive number (fractions allowed: `--cpus 0.5`). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError("Expected a positive number");
  }
  return n;
}

/** Validates `<tenant>/<pod>`; a usage error (exit 2) when malformed. */
export function podRef(value: string): PodRef {
  try {
    return parsePodRef(value);
  } catch (error) {
    throw new CliError(ExitCode.usage, errorMessage(error));
  }
}

/** Validates a tenant id; a usage error (exit 2) when malformed. */
export function tenantId(value: string): string {
  try {
    return parseTenantId(value);
  } catch (error) {
    throw new CliError(ExitCode.usage, errorMessage(error));
  }
}

/** The API path of a pod. */
export function podPath(ref: PodRef): string {
  return `/tenants/${encodeURIComponent(ref.tenant)}/pods/${encodeURIComponent(ref.pod)}`;
}
