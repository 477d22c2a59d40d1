/**
 * Secrets at rest: AES-256-GCM (WebCrypto) under one master key, from
 * `AGENTPOD_SECRET_KEY` (base64 of 32 bytes) or a 0600 key file created in the data
 * directory on first start. A sealed blob is `version(1) | iv(12) | ciphertext+tag`.
 * @module
 */
import { ValidationError } from "../core/errors.ts";
import type { SecretBox } from "../core/secrets.ts";

const VERSION = 1;
const KEY_FILE = "secret.key";

/** A box over a raw 32-byte key. */
export async function createSecretBox(rawKey: Uint8Array): Promise<SecretBox> {
  if (rawKey.length !== 32) {
    throw new ValidationError(`Invalid secret key: expected 32 bytes, got ${rawKey.length}`);
  }
  const key = await crypto.subtle.importKey("raw", new Uint8Array(rawKey), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  return {
    async seal(value) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const plain = new TextEncoder().encode(JSON.stringify(value));
      const cipher = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plain),
      );
      const blob = new Uint8Array(1 + iv.length + cipher.length);
      blob[0] = VERSION;
      blob.set(iv, 1);
      blob.set(cipher, 13);
      return blob;
    },
    async open<T>(blob: Uint8Array) {
      if (blob[0] !== VERSION) throw new ValidationError("Cannot open secret: unknown format");
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: blob.slice(1, 13) },
        key,
        blob.slice(13),
      );
      return JSON.parse(new TextDecoder().decode(plain)) as T;
    },
  };
}

/** Loads the master key from `AGENTPOD_SECRET_KEY` or `<dataDir>/secret.key` (made if absent). */
export async function loadSecretKey(dataDir: string, envKey?: string): Promise<Uint8Array> {
  if (envKey) {
    const raw = decodeBase64(envKey.trim());
    if (raw.length !== 32) {
      throw new ValidationError("Invalid AGENTPOD_SECRET_KEY: expected base64 of 32 bytes");
    }
    return raw;
  }
  const path = `${dataDir}/${KEY_FILE}`;
  try {
    return decodeBase64((await Deno.readTextFile(path)).trim());
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const raw = crypto.getRandomValues(new Uint8Array(32));
  await Deno.writeTextFile(path, encodeBase64(raw) + "\n", { mode: 0o600, createNew: true });
  return raw;
}

/** Base64 of bytes. */
export function encodeBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function decodeBase64(text: string): Uint8Array {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    throw new ValidationError("Invalid secret key: not base64");
  }
}
