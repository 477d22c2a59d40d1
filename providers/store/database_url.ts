/**
 * Reads a `DATABASE_URL` just enough to name the server in errors and logs, with the
 * password masked. postgres.js still parses the URL itself to connect; this module only
 * decides whether the URL is usable and how to show it. Nothing here may ever return
 * the password.
 * @module
 */

import { ValidationError } from "../../core/errors.ts";

/** What a `DATABASE_URL` points at, safe to print. */
export interface DatabaseTarget {
  /** `host:port`, or the socket directory for a Unix-socket URL. */
  readonly address: string;
  /** The database name, empty when the URL leaves it to the server's default. */
  readonly database: string;
  /** The whole URL with its password replaced by `***`. */
  readonly masked: string;
}

const MASK = "***";
const SECRET_QUERY_KEYS = ["password", "pass", "sslpassword"];

/**
 * Masks the password of any string that looks like a URL, even one `URL` cannot parse:
 * everything between `user:` and the last `@` is treated as the password.
 */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = MASK;
    for (const key of SECRET_QUERY_KEYS) {
      if (parsed.searchParams.has(key)) parsed.searchParams.set(key, MASK);
    }
    return parsed.href.replaceAll(encodeURIComponent(MASK), MASK);
  } catch {
    return url
      .replace(/(\/\/[^:/?#@]*:)[^/?#]*@/, `$1${MASK}@`)
      .replace(/([?&](?:password|pass|sslpassword)=)[^&#]*/gi, `$1${MASK}`);
  }
}

/**
 * Checks that `url` is a `postgres://` or `postgresql://` URL with a host (or a `host=`
 * socket directory) and describes it. Throws `ValidationError` otherwise.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const masked = maskDatabaseUrl(url);
  const invalid = (why: string) =>
    new ValidationError(
      `Invalid DATABASE_URL "${masked}": ${why}; expected postgres://user:password@host:5432/database`,
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(/@[^/]*,/.test(url) ? "several hosts are not supported" : "not a URL");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw invalid(`unsupported scheme "${parsed.protocol.replace(/:$/, "")}"`);
  }
  const socketDir = parsed.searchParams.get("host");
  if (!parsed.hostname && !socketDir) throw invalid("no host");
  const port = parsed.port || "5432";
  const address = parsed.hostname ? `${parsed.hostname}:${port}` : `${socketDir}`;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  return { address, database, masked };
}
