/**
 * The CLI's one error type and its exit codes. Every failure a command can meet is a
 * `CliError` by the time it reaches `runCli`, which prints its message (never a stack)
 * and returns its exit code.
 * @module
 */

/** Exit codes of the `agentpod` command (HOUSE-STYLE.md). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  auth: 4,
} as const;

/** A failure with the exit code it calls for and optional extra lines for stderr. */
export class CliError extends Error {
  override readonly name = "CliError";
  /** The process exit code. */
  readonly exitCode: number;
  /** Extra lines printed under the message (field errors, hints). */
  readonly details: string[];
  /** The HTTP status when the error came from the API. */
  readonly status?: number;

  constructor(
    exitCode: number,
    message: string,
    options: { details?: string[]; cause?: unknown; status?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.exitCode = exitCode;
    this.details = options.details ?? [];
    this.status = options.status;
  }
}

/** The exit code for an HTTP error status from the API. */
export function exitCodeForStatus(status: number): number {
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status === 404) return ExitCode.notFound;
  return ExitCode.failure;
}

/**
 * Readable lines for the `details` of a validation error, whatever shape the server
 * chose: Zod-style issues (`[{path, message}]`), a flattened form
 * (`{fieldErrors, formErrors}`) or a plain `{field: message}` record.
 */
export function detailLines(details: unknown): string[] {
  if (details === null || details === undefined) return [];
  if (Array.isArray(details)) {
    return details.flatMap((issue) => {
      if (typeof issue === "string") return [issue];
      if (issue && typeof issue === "object" && "message" in issue) {
        const { path, message } = issue as { path?: unknown; message: unknown };
        const where = Array.isArray(path) ? path.join(".") : typeof path === "string" ? path : "";
        return [where ? `${where}: ${message}` : String(message)];
      }
      return [];
    });
  }
  if (typeof details === "object") {
    const record = details as Record<string, unknown>;
    if ("fieldErrors" in record || "formErrors" in record) {
      return [
        ...detailLines(record.formErrors),
        ...fieldLines(record.fieldErrors),
      ];
    }
    return fieldLines(record);
  }
  return [];
}

function fieldLines(record: unknown): string[] {
  if (!record || typeof record !== "object") return [];
  return Object.entries(record as Record<string, unknown>).flatMap(([field, value]) => {
    if (typeof value === "string") return [`${field}: ${value}`];
    if (Array.isArray(value)) {
      return value.filter((v) => typeof v === "string").map((v) => `${field}: ${v}`);
    }
    return [];
  });
}
