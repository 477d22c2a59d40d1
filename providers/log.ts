/**
 * Structured logging: one JSON line per record on stderr, a constant message plus
 * fields. Secret-looking fields are redacted here, so no caller can leak a token by
 * accident. Log transitions, not ticks.
 * @module
 */
import type { LogFields, Logger } from "../core/logger.ts";

export type { LogFields, Logger };

/** Field names whose values never reach a log line. */
const SECRET_FIELD = /token|secret|password|key|authorization/i;

/** Replaces secret-looking fields with "[redacted]", recursively. */
export function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [name, value] of Object.entries(fields)) {
    if (SECRET_FIELD.test(name) && value !== undefined && value !== null) {
      out[name] = "[redacted]";
    } else if (value instanceof Error) {
      out[name] = value.message;
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      out[name] = redact(value as LogFields);
    } else {
      out[name] = value;
    }
  }
  return out;
}

/** A logger writing JSON lines to stderr; `quiet` drops info records (tests). */
export function createLogger(options: { quiet?: boolean } = {}): Logger {
  const encoder = new TextEncoder();
  const write = (level: string, msg: string, fields: LogFields = {}) => {
    const record = { time: new Date().toISOString(), level, msg, ...redact(fields) };
    Deno.stderr.writeSync(encoder.encode(JSON.stringify(record) + "\n"));
  };
  return {
    info: (msg, fields) => options.quiet || write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}
