/**
 * Changing a pod's adapter config: dot-path sets (`agentpod config set --key a.b --value
 * v`), unsets and whole-document merges (`--config file.json`, JSON Merge Patch, RFC
 * 7396: objects merge, `null` removes, anything else replaces). Pure.
 * @module
 */
import type { ConfigChangeEffect } from "./adapter.ts";
import { ValidationError } from "./errors.ts";
import { getPath, SECRET_MASK, withPath } from "./secrets.ts";

type Json = Record<string, unknown>;

/** A change to a config. Applied in order: replace, merge, sets, unsets. */
export interface ConfigPatch {
  /** The whole new config (a form that shows every field). */
  replace?: Json;
  /** A document merged into the config (RFC 7396). */
  merge?: Json;
  /** Values set at dot paths. */
  set?: { path: string; value: unknown }[];
  /** Dot paths removed. */
  unset?: string[];
}

const PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Checks a dot path (`providers.anthropic.apiKey`). */
export function parseConfigPath(path: string): string {
  if (!PATH.test(path)) {
    throw new ValidationError(
      `Invalid config key "${path}": expected a dot path like providers.anthropic.apiKey`,
    );
  }
  return path;
}

/**
 * A `--value` from the command line: JSON when it parses as JSON (numbers, booleans,
 * arrays, objects, quoted strings), else the text itself.
 */
export function parseCliValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** RFC 7396 JSON Merge Patch of `patch` onto `target`. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Applies `patch` to `config`; neither is modified. */
export function applyConfigPatch(config: Json, patch: ConfigPatch): Json {
  let next = patch.replace ?? config;
  if (patch.merge !== undefined) next = mergePatch(next, patch.merge) as Json;
  for (const { path, value } of patch.set ?? []) {
    next = withPath(next, parseConfigPath(path), value);
  }
  for (const path of patch.unset ?? []) next = withPath(next, parseConfigPath(path), undefined);
  return dropEmptyObjects(next) as Json;
}

/**
 * Keeps the secrets a patch "sets" to the mask (a config read with `config get`, or a
 * form that left a secret blank, sends the mask back): the previous value stays.
 */
export function keepMaskedSecrets(
  next: Json,
  previous: Json,
  sensitivePaths: readonly string[],
): Json {
  let result = next;
  for (const path of sensitivePaths) {
    if (getPath(next, path) === SECRET_MASK) {
      result = withPath(result, path, getPath(previous, path));
    }
  }
  return dropEmptyObjects(result) as Json;
}

/** Dot paths whose values differ between two configs (leaves only; for events). */
export function changedPaths(before: Json, after: Json, prefix = ""): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.flatMap((key) => {
    const a = before[key];
    const b = after[key];
    const path = prefix ? `${prefix}.${key}` : key;
    if (isObject(a) && isObject(b)) return changedPaths(a, b, path);
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
  });
}

/** Removes objects left empty by unsets (`providers: {}` after removing the last key). */
function dropEmptyObjects(value: unknown): unknown {
  if (!isObject(value)) return value;
  const result: Json = {};
  for (const [key, inner] of Object.entries(value)) {
    const cleaned = dropEmptyObjects(inner);
    if (isObject(cleaned) && Object.keys(cleaned).length === 0 && isObject(inner)) continue;
    result[key] = cleaned;
  }
  return result;
}

const EFFECT_WORDS: Record<ConfigChangeEffect, string> = {
  none: "nothing to apply",
  "hot-reload": "files rewritten, the agent reloads them",
  restart: "files rewritten, container restarted",
  recreate: "container recreated",
};

/** What applying a config change did, in words (events, CLI, dashboard). */
export function describeConfigEffect(effect: string): string {
  return EFFECT_WORDS[effect as ConfigChangeEffect] ?? effect;
}
