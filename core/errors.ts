/**
 * The few error classes callers branch on. Only the HTTP layer maps them to status
 * codes (in one place); the CLI maps them to exit codes. Messages are sentence case,
 * values quoted, detail after a colon, no final period.
 * @module
 */

/** Options shared by every AgentPod error. */
export interface AgentPodErrorOptions {
  /** The underlying error, kept for logs. */
  cause?: unknown;
  /** Structured detail for API clients (field errors, ids). */
  details?: unknown;
}

/** Base class: never thrown directly. */
export abstract class AgentPodError extends Error {
  /** A stable machine-readable code (`validation`, `not_found`, …). */
  abstract readonly code: string;
  /** Structured detail for API clients. */
  readonly details?: unknown;

  constructor(message: string, options: AgentPodErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.details = options.details;
  }
}

/** Input that breaks a rule: a malformed id, a config that fails its schema. */
export class ValidationError extends AgentPodError {
  override readonly name = "ValidationError";
  readonly code = "validation";
}

/** A thing that does not exist: an unknown tenant, pod or container. */
export class NotFoundError extends AgentPodError {
  override readonly name = "NotFoundError";
  readonly code = "not_found";
}

/** A write that clashes with current state: a duplicate id, a name already taken. */
export class ConflictError extends AgentPodError {
  override readonly name = "ConflictError";
  readonly code = "conflict";
}

/** A dependency that cannot be reached: Docker or the database is down. */
export class UnavailableError extends AgentPodError {
  override readonly name = "UnavailableError";
  readonly code = "unavailable";
}

/** Missing or wrong credentials. */
export class AuthError extends AgentPodError {
  override readonly name = "AuthError";
  readonly code = "unauthorized";
}

/** Known credentials that may not do this (a role too weak, another tenant's work). */
export class ForbiddenError extends AgentPodError {
  override readonly name = "ForbiddenError";
  readonly code = "forbidden";
}

/** The Docker Engine answered with an error status; its message is kept. */
export class DockerApiError extends AgentPodError {
  override readonly name = "DockerApiError";
  readonly code = "docker";
  /** The HTTP status the engine returned. */
  readonly status: number;

  constructor(status: number, message: string, options: AgentPodErrorOptions = {}) {
    super(message, options);
    this.status = status;
  }
}

/** A short text for any thrown value, for logs and CLI output. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
