/**
 * The value conversions both drivers are configured with, so a row reads the same from
 * PGlite and from postgres.js. Defaults differ: postgres.js returns int8 as a string and
 * bytea as a Node `Buffer`, and it JSON-encodes a string bound to a jsonb parameter (so
 * `'{"a":1}'` would be stored as a JSON string, not an object); PGlite does none of that.
 * @module
 */

/** PostgreSQL type OIDs used below. */
export const PG_OID = { bytea: 17, int8: 20, json: 114, jsonb: 3802 } as const;

/**
 * int8 → `number`, or `bigint` beyond 2^53 so a value is never silently rounded.
 * Counts and identity ids stay far below that, so callers meet plain numbers.
 */
export function parseInt8(text: string): number | bigint {
  const value = BigInt(text);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

/** A jsonb parameter: a string is taken as JSON text already; anything else is encoded. */
export function serializeJson(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** bytea in hex output format (`\x0102…`) → a plain `Uint8Array`. */
export function parseBytea(text: string): Uint8Array {
  const hex = text.startsWith("\\x") ? text.slice(2) : text;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

/** A `Uint8Array` → bytea hex input format. */
export function serializeBytea(bytes: Uint8Array): string {
  let hex = "\\x";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
