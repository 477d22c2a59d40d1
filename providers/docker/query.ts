/**
 * Query-string encoding for Engine API calls, including the JSON `filters` parameter
 * the engine expects (`{"label":["a=b"]}`). Pure: no I/O.
 * @module
 */

/** Engine list filters: each key maps to the values to match (`{label: ["a=b"]}`). */
export type Filters = Readonly<Record<string, readonly string[] | undefined>>;

/** A value accepted by {@linkcode encodeQuery}; `undefined` and `null` are omitted. */
export type QueryValue = string | number | boolean | Filters | undefined | null;

/** Query parameters by name. */
export type QueryParams = Readonly<Record<string, QueryValue>>;

/**
 * Encodes parameters as `?a=1&b=2`, or `""` when nothing remains. Objects are sent as
 * JSON (the engine's `filters` format) and dropped when they hold no values, because
 * the engine treats `filters={}` and no filters the same but some versions reject `{}`.
 */
export function encodeQuery(params: QueryParams | undefined): string {
  if (params === undefined) return "";
  let out = "";
  for (const key in params) {
    const value = params[key];
    if (value === undefined || value === null) continue;
    let text: string;
    if (typeof value === "object") {
      const json = encodeFilters(value as Filters);
      if (json === undefined) continue;
      text = json;
    } else {
      text = String(value);
    }
    out += (out === "" ? "?" : "&") + encodeURIComponent(key) + "=" + encodeURIComponent(text);
  }
  return out;
}

/** The JSON text of a filters object, or `undefined` when no key has a value. */
export function encodeFilters(filters: Filters): string | undefined {
  const clean: Record<string, readonly string[]> = {};
  let any = false;
  for (const key in filters) {
    const values = filters[key];
    if (values === undefined || values.length === 0) continue;
    clean[key] = values;
    any = true;
  }
  return any ? JSON.stringify(clean) : undefined;
}

/** Label selectors for a filter: `{"agentpod.managed": "true"}` → `["agentpod.managed=true"]`. */
export function labelFilters(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`);
}
