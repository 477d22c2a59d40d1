/**
 * The logging interface core code writes to; `providers/log.ts` implements it with
 * JSON lines on stderr. Constant messages, fields for the rest.
 * @module
 */

/** Fields of a log record. */
export type LogFields = Record<string, unknown>;

/** A structured logger. */
export interface Logger {
  /** Something worth knowing happened. */
  info(msg: string, fields?: LogFields): void;
  /** Something went wrong and was handled. */
  warn(msg: string, fields?: LogFields): void;
  /** Something went wrong and was not handled. */
  error(msg: string, fields?: LogFields): void;
}
