/**
 * Turns driver errors (PGlite's `DatabaseError`, postgres.js's `PostgresError` and its
 * socket errors) into the few errors callers branch on, so code above the store never
 * learns which driver ran. It must never put a connection password into a message.
 * @module
 */

import {
  AgentPodError,
  ConflictError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from "../../core/errors.ts";

/** A database error no caller branches on; it keeps the SQLSTATE for logs and tests. */
export class SqlError extends Error {
  override readonly name = "SqlError";
  /** The five-character SQLSTATE, e.g. `42501` for a row-level security violation. */
  readonly code: string;

  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}

/** The fields both drivers expose on a server error, under either driver's names. */
interface ServerErrorFields {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  constraint?: unknown;
  constraint_name?: unknown;
  table?: unknown;
  table_name?: unknown;
}

/** Client-side codes postgres.js and Node's net layer use when the server is gone. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/** SQLSTATEs that mean the input broke a rule of the schema. */
const VALIDATION_STATES = new Set([
  "23502", // not_null_violation
  "23514", // check_violation
  "23P01", // exclusion_violation
  "22001", // string_data_right_truncation
  "22003", // numeric_value_out_of_range
  "22007", // invalid_datetime_format
  "22P02", // invalid_text_representation (a malformed uuid, say)
]);

/** SQLSTATEs that mean the server went away or refuses work for now. */
function isUnavailableState(code: string): boolean {
  return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" ||
    code === "53300";
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** PostgreSQL details end with a period; house style messages do not. */
function withDetail(message: string, detail: string | undefined): string {
  return detail ? `${message}: ${detail.replace(/\.$/, "")}` : message;
}

/** A readable reason for a connection failure, e.g. "connection refused". */
export function connectionFailureReason(error: unknown): string {
  const fields = (typeof error === "object" && error !== null ? error : {}) as ServerErrorFields;
  const code = text(fields.code);
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host name not found";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "ECONNRESET":
    case "CONNECTION_CLOSED":
      return "connection closed by the server";
    case "CONNECT_TIMEOUT":
    case "ETIMEDOUT":
      return "connection timed out";
  }
  return text(fields.message) ?? String(error);
}

/**
 * Maps any error a driver threw to the store's errors. `where` names the database for
 * connection errors and must already be masked. Errors that are already mapped pass
 * through unchanged.
 */
export function toStoreError(error: unknown, where: string): Error {
  if (error instanceof AgentPodError || error instanceof SqlError) return error;
  if (typeof error !== "object" || error === null) return new Error(String(error));
  const fields = error as ServerErrorFields;
  const code = text(fields.code) ?? "";
  const message = text(fields.message) ?? "unknown database error";
  const detail = text(fields.detail);
  const constraint = text(fields.constraint) ?? text(fields.constraint_name);
  const table = text(fields.table) ?? text(fields.table_name);
  const details = { sqlState: code, constraint, table };

  if (CONNECTION_CODES.has(code) || isUnavailableState(code)) {
    return new UnavailableError(
      `Database ${where} is unavailable: ${connectionFailureReason(error)}`,
      { cause: error, details },
    );
  }
  if (code === "23505" || code === "23001") {
    return new ConflictError(withDetail(message, detail), { cause: error, details });
  }
  if (code === "23503") {
    // The same SQLSTATE covers "the row you point at is missing" (insert or update) and
    // "other rows still point at this one" (delete): the first is a 404, the second a 409.
    const missing = /is not present in table/.test(detail ?? "");
    const Mapped = missing ? NotFoundError : ConflictError;
    return new Mapped(withDetail(message, detail), { cause: error, details });
  }
  if (VALIDATION_STATES.has(code)) {
    // "Failing row contains (…)" would copy a whole row, ciphertext and all, into logs.
    const safeDetail = detail?.startsWith("Failing row contains") ? undefined : detail;
    return new ValidationError(withDetail(message, safeDetail), { cause: error, details });
  }
  if (/^[0-9A-Z]{5}$/.test(code)) {
    return new SqlError(code, withDetail(`SQL error ${code}: ${message}`, detail), {
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(message, { cause: error });
}

/** The error both drivers raise when a transaction ends after one of its statements failed. */
export function abortedTransactionError(cause?: unknown): SqlError {
  return new SqlError(
    "25P02",
    "Transaction rolled back: a statement inside it failed and the transaction cannot commit",
    { cause },
  );
}
