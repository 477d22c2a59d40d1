/**
 * Pod secrets in core terms: the interface of the sealing box (AES-GCM in
 * `providers/secrets.ts`) and the split of an adapter config into the plain part that
 * the store keeps readable and the sensitive part that is sealed.
 * @module
 */

/** Seals and opens JSON values (implemented with AES-256-GCM in providers). */
export interface SecretBox {
  /** Encrypts a JSON value. */
  seal(value: unknown): Promise<Uint8Array>;
  /** Decrypts a blob made by `seal`; throws when it was tampered with. */
  open<T>(blob: Uint8Array): Promise<T>;
}

/** What a pod's sealed blob holds. */
export interface PodSecrets {
  /** The pod's gateway token. */
  token: string;
  /** Sensitive config values by dot path (`providers.anthropic.apiKey`). */
  values: Record<string, unknown>;
  /** An adopted agent's own config file (it may hold keys): see `RenderContext`. */
  imported?: Record<string, unknown>;
}

/** The mask shown instead of a secret value. */
export const SECRET_MASK = "********";

type Json = Record<string, unknown>;

/** The value at a dot path (`a.b.c`), or undefined. */
export function getPath(obj: Json, path: string): unknown {
  let node: unknown = obj;
  for (const key of path.split(".")) {
    if (!node || typeof node !== "object") return undefined;
    node = (node as Json)[key];
  }
  return node;
}

/** A copy of `obj` with the dot path set to `value` (removed when undefined). */
export function withPath(obj: Json, path: string, value: unknown): Json {
  const [head, ...rest] = path.split(".") as [string, ...string[]];
  const copy: Json = { ...obj };
  if (rest.length === 0) {
    if (value === undefined) delete copy[head];
    else copy[head] = value;
    return copy;
  }
  const child = copy[head];
  copy[head] = withPath(
    child && typeof child === "object" ? child as Json : {},
    rest.join("."),
    value,
  );
  return copy;
}

/** Splits `config` into the plain part and the values at `paths`. */
export function splitSensitive(
  config: Json,
  paths: readonly string[],
): { plain: Json; values: Json } {
  let plain = config;
  const values: Json = {};
  for (const path of paths) {
    const value = getPath(config, path);
    if (value === undefined) continue;
    values[path] = value;
    plain = withPath(plain, path, undefined);
  }
  return { plain, values };
}

/** Puts sealed values back into a plain config. */
export function mergeSensitive(plain: Json, values: Json): Json {
  let config = plain;
  for (const [path, value] of Object.entries(values)) config = withPath(config, path, value);
  return config;
}

/** The config as shown to users: each present secret replaced by the mask. */
export function maskSensitive(plain: Json, values: Json): Json {
  let config = plain;
  for (const path of Object.keys(values)) config = withPath(config, path, SECRET_MASK);
  return config;
}
