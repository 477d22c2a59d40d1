/**
 * Forms from an adapter's config schema: its JSON Schema (made by `z.toJSONSchema`)
 * becomes a tree of form fields, and submitted form values become a config object
 * again. Pure: validation proper stays with the adapter's Zod schema (via the
 * service); this module only turns strings into the shapes the schema expects and
 * reports what cannot be read (a number that is not one, a bad `KEY=value` line).
 * @module
 */

/** The subset of JSON Schema that forms read. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  format?: string;
  writeOnly?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  "x-sensitive"?: boolean;
  "x-multiline"?: boolean;
}

/** How a value is entered. */
export type FieldKind =
  | "text"
  | "textarea"
  | "password"
  | "integer"
  | "number"
  | "checkbox"
  | "select"
  | "list"
  | "map"
  | "json";

/** One input. */
export interface FormField {
  kind: FieldKind;
  /** Dot path in the config (`providers.anthropic.apiKey`). */
  path: string;
  /** The form field name (`config.providers.anthropic.apiKey`). */
  name: string;
  /** The element id (`config-providers-anthropic-apiKey`). */
  id: string;
  /** Label text. */
  label: string;
  /** Help text. */
  description?: string;
  /** The schema requires a value. */
  required: boolean;
  /** A secret: never echoed back into a page. */
  sensitive: boolean;
  /** The schema default, as the input shows it. */
  defaultValue?: string;
  /** Bounds for numbers. */
  min?: number;
  max?: number;
  /** Bounds for text length. */
  minLength?: number;
  maxLength?: number;
  /** Choices of a select. */
  options?: string[];
}

/** A fieldset of an object's properties. */
export interface FormGroup {
  kind: "group";
  path: string;
  /** Legend text. */
  label: string;
  description?: string;
  children: FormNode[];
}

/** A field or a group. */
export type FormNode = FormField | FormGroup;

/** What reading a submitted form gives. */
export interface FormReading {
  /** The config object (empty inputs left out). */
  config: Record<string, unknown>;
  /** Messages by form field name, for values that could not be read. */
  errors: Record<string, string>;
}

/** Turns a dot path into a label when the schema has no title (`healthPath` → `Health path`). */
export function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== "null");
  return schema.type;
}

/** `anyOf: [X, {type: "null"}]` and the like are X; other unions stay as they are. */
function unwrap(schema: JsonSchema): JsonSchema {
  const union = schema.anyOf ?? schema.oneOf;
  if (!union) return schema;
  const real = union.filter((s) => typeOf(s) !== "null");
  if (real.length !== 1) return schema;
  const { anyOf: _a, oneOf: _o, ...rest } = schema;
  return { ...rest, ...unwrap(real[0]!) };
}

function display(value: unknown, kind: FieldKind): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (kind === "list" && Array.isArray(value)) return value.join("\n");
  if (kind === "map" && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${v}`).join(
      "\n",
    );
  }
  if (kind === "json") return JSON.stringify(value, null, 2);
  return String(value);
}

function kindOf(schema: JsonSchema, sensitive: boolean): FieldKind {
  const type = typeOf(schema);
  if (schema.enum) return "select";
  if (type === "string") {
    if (sensitive) return "password";
    return schema["x-multiline"] ? "textarea" : "text";
  }
  if (type === "integer") return "integer";
  if (type === "number") return "number";
  if (type === "boolean") return "checkbox";
  if (type === "array" && typeOf(schema.items ?? {}) === "string") return "list";
  if (
    type === "object" && !schema.properties && typeof schema.additionalProperties === "object" &&
    typeOf(schema.additionalProperties) === "string"
  ) return "map";
  return "json";
}

/**
 * The form of an object schema. `sensitive` lists dot paths of secrets (the adapter's
 * `sensitiveFields`); fields marked `x-sensitive`, `writeOnly` or `format: password`
 * count as secret too. Names get `prefix` (`config.`).
 */
export function schemaToForm(
  schema: JsonSchema,
  options: { sensitive?: readonly string[]; prefix?: string } = {},
): FormNode[] {
  const prefix = options.prefix ?? "config";
  const secrets = new Set(options.sensitive ?? []);
  const walk = (object: JsonSchema, base: string, parentSecret: boolean): FormNode[] => {
    const required = new Set(object.required ?? []);
    return Object.entries(object.properties ?? {}).map(([key, raw]): FormNode => {
      const s = unwrap(raw);
      const path = base ? `${base}.${key}` : key;
      const sensitive = parentSecret || secrets.has(path) || s["x-sensitive"] === true ||
        s.writeOnly === true || s.format === "password";
      if (typeOf(s) === "object" && s.properties) {
        return {
          kind: "group",
          path,
          label: s.title ?? humanize(key),
          description: s.description,
          children: walk(s, path, sensitive),
        };
      }
      const kind = kindOf(s, sensitive);
      const name = `${prefix}.${path}`;
      return {
        kind,
        path,
        name,
        id: name.replaceAll(".", "-"),
        label: s.title ?? humanize(key),
        description: s.description,
        required: required.has(key) && s.default === undefined,
        sensitive,
        defaultValue: display(s.default, kind),
        min: s.minimum,
        max: s.maximum,
        minLength: s.minLength,
        maxLength: s.maxLength,
        options: s.enum?.map((v) => String(v)),
      };
    });
  };
  return walk(unwrap(schema), "", false);
}

/** Every field of a form tree, depth first. */
export function formFields(nodes: readonly FormNode[]): FormField[] {
  return nodes.flatMap((node) => node.kind === "group" ? formFields(node.children) : [node]);
}

function readField(
  field: FormField,
  raw: string | undefined,
  enumValues: Map<string, unknown[]>,
): { value?: unknown; error?: string } {
  if (field.kind === "checkbox") {
    if (raw !== undefined && raw !== "") return { value: true };
    // An untouched optional box stays absent, so it does not conjure up its section.
    return field.required || field.defaultValue !== undefined ? { value: false } : {};
  }
  // Browsers submit textarea line breaks as CRLF; configs keep LF.
  const text = (raw ?? "").replace(/\r\n?/g, "\n");
  if (field.kind !== "password" && text.trim() === "") return {};
  if (field.kind === "password" && text === "") return {};
  switch (field.kind) {
    case "integer":
      return /^\s*-?\d+\s*$/.test(text)
        ? { value: Number(text) }
        : { error: "Expected a whole number" };
    case "number": {
      const n = Number(text);
      return text.trim() !== "" && Number.isFinite(n)
        ? { value: n }
        : { error: "Expected a number" };
    }
    case "select": {
      const match = enumValues.get(field.path)?.find((v) => String(v) === text);
      return match === undefined ? { error: "Pick one of the choices" } : { value: match };
    }
    case "list": {
      const items = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
      return items.length ? { value: items } : {};
    }
    case "map": {
      const out: Record<string, string> = {};
      const lines = text.split(/\r?\n/);
      for (const [i, line] of lines.entries()) {
        if (line.trim() === "") continue;
        const eq = line.indexOf("=");
        if (eq <= 0) return { error: `Line ${i + 1}: expected KEY=value` };
        out[line.slice(0, eq).trim()] = line.slice(eq + 1);
      }
      return Object.keys(out).length ? { value: out } : {};
    }
    case "json":
      try {
        return { value: JSON.parse(text) };
      } catch {
        return { error: "Expected JSON" };
      }
    default:
      return { value: text };
  }
}

function enumsOf(schema: JsonSchema, base = "", out = new Map<string, unknown[]>()) {
  for (const [key, raw] of Object.entries(unwrap(schema).properties ?? {})) {
    const s = unwrap(raw);
    const path = base ? `${base}.${key}` : key;
    if (s.enum) out.set(path, s.enum);
    if (s.properties) enumsOf(s, path, out);
  }
  return out;
}

/**
 * Reads submitted values (by field name) back into a config. Empty inputs are left
 * out, and so are groups left entirely empty, so optional sections stay absent.
 */
export function formToConfig(
  schema: JsonSchema,
  nodes: readonly FormNode[],
  values: Record<string, string | undefined>,
): FormReading {
  const errors: Record<string, string> = {};
  const enums = enumsOf(schema);
  const build = (list: readonly FormNode[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const node of list) {
      const key = node.path.split(".").pop()!;
      if (node.kind === "group") {
        const child = build(node.children);
        if (Object.keys(child).length) out[key] = child;
        continue;
      }
      const { value, error } = readField(node, values[node.name], enums);
      if (error) errors[node.name] = error;
      else if (value !== undefined) out[key] = value;
    }
    return out;
  };
  const config = build(nodes);
  return { config, errors };
}

/**
 * The inputs' values for an existing config, by field name (the reverse of
 * `formToConfig`). Secrets are left out: they are never written into a page.
 */
export function configToFormValues(
  nodes: readonly FormNode[],
  config: Record<string, unknown>,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of formFields(nodes)) {
    if (field.sensitive) continue;
    let value: unknown = config;
    for (const key of field.path.split(".")) {
      value = value && typeof value === "object"
        ? (value as Record<string, unknown>)[key]
        : undefined;
    }
    if (value === undefined || value === null) continue;
    switch (field.kind) {
      case "checkbox":
        if (value === true) values[field.name] = "true";
        break;
      case "list":
        values[field.name] = Array.isArray(value) ? value.map(String).join("\n") : String(value);
        break;
      case "map":
        values[field.name] = Object.entries(value as Record<string, unknown>)
          .map(([k, v]) => `${k}=${v}`).join("\n");
        break;
      case "json":
        values[field.name] = JSON.stringify(value, null, 2);
        break;
      default:
        values[field.name] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return values;
}
