/**
 * The dashboard's admin password: a salted PBKDF2-SHA256 hash (WebCrypto) kept in the
 * settings table, never the password itself. The password comes from
 * `AGENTPOD_ADMIN_PASSWORD` or is generated on first start and printed once to stdout.
 * @module
 */
import type { Logger } from "../../core/logger.ts";
import type { Store } from "../../core/store.ts";

/** The settings key of the stored hash. */
export const PASSWORD_SETTING = "dashboard_password";
/** PBKDF2 iterations for new hashes (OWASP's figure for PBKDF2-HMAC-SHA256). */
export const DEFAULT_ITERATIONS = 600_000;

/** A stored password hash and the parameters that made it. */
export interface PasswordHash {
  /** Always `PBKDF2-SHA256`. */
  algorithm: "PBKDF2-SHA256";
  /** PBKDF2 iteration count. */
  iterations: number;
  /** Random salt, base64. */
  salt: string;
  /** 32-byte derived key, base64. */
  hash: string;
}

const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** Hashes `password` with a new random salt. */
export async function hashPassword(
  password: string,
  iterations = DEFAULT_ITERATIONS,
): Promise<PasswordHash> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return {
    algorithm: "PBKDF2-SHA256",
    iterations,
    salt: toBase64(salt),
    hash: toBase64(await derive(password, salt, iterations)),
  };
}

/** Whether `password` matches `stored` (compared in constant time). */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (stored.algorithm !== "PBKDF2-SHA256" || !(stored.iterations > 0)) return false;
  const actual = await derive(password, fromBase64(stored.salt), stored.iterations);
  return constantTimeEqual(actual, fromBase64(stored.hash));
}

/** Byte-wise comparison whose time does not depend on where the inputs differ. */
export function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  const x = typeof a === "string" ? encoder.encode(a) : a;
  const y = typeof b === "string" ? encoder.encode(b) : b;
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** A random password of 20 characters from an unambiguous alphabet (about 100 bits). */
export function generatePassword(): string {
  const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const out: string[] = [];
  // Rejection sampling keeps every character equally likely.
  while (out.length < 20) {
    for (const byte of crypto.getRandomValues(new Uint8Array(32))) {
      if (byte < 256 - (256 % alphabet.length) && out.length < 20) {
        out.push(alphabet[byte % alphabet.length]!);
      }
    }
  }
  return out.join("");
}

/** What {@linkcode ensureAdminPassword} did. */
export type PasswordSetup = "kept" | "from-env" | "generated";

/**
 * Makes sure an admin password hash is stored. `AGENTPOD_ADMIN_PASSWORD` (given as
 * `fromEnv`) wins and replaces a different stored one, signing every session out;
 * with neither, a password is generated and handed to `print` once.
 */
export async function ensureAdminPassword(options: {
  store: Store;
  fromEnv: string | undefined;
  log: Logger;
  print: (line: string) => void;
  iterations?: number;
}): Promise<PasswordSetup> {
  const { store, fromEnv, log } = options;
  const stored = await store.settings.get<PasswordHash>(PASSWORD_SETTING);
  if (fromEnv !== undefined && fromEnv !== "") {
    if (stored && await verifyPassword(fromEnv, stored)) return "kept";
    await store.settings.set(PASSWORD_SETTING, await hashPassword(fromEnv, options.iterations));
    if (stored) await store.sessions.deleteAll();
    log.info("dashboard password set", { from: "AGENTPOD_ADMIN_PASSWORD" });
    return "from-env";
  }
  if (stored) return "kept";
  const password = generatePassword();
  await store.settings.set(PASSWORD_SETTING, await hashPassword(password, options.iterations));
  options.print(
    `AgentPod dashboard: sign in with the password ${password} (shown once; ` +
      "set AGENTPOD_ADMIN_PASSWORD to choose your own)",
  );
  log.info("dashboard password generated", { printedTo: "stdout" });
  return "generated";
}
