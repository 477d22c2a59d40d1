import assert from "node:assert/strict";
import { genericAdapter, openClawAdapter } from "../../adapters/mod.ts";
import { adapterJsonSchema } from "./pod_new.tsx";
import {
  configToFormValues,
  formFields,
  type FormGroup,
  formToConfig,
  humanize,
  type JsonSchema,
  schemaToForm,
} from "./schema_form.ts";

const openclaw = adapterJsonSchema(openClawAdapter);
const generic = adapterJsonSchema(genericAdapter);

Deno.test("schemaToForm() turns nested objects into fieldsets named by dot path", () => {
  const nodes = schemaToForm(openclaw, { sensitive: openClawAdapter.sensitiveFields });
  const providers = nodes.find((n) => n.path === "providers") as FormGroup;
  assert.equal(providers.kind, "group");
  assert.equal(providers.label, "Model providers");
  const anthropic = providers.children.find((n) => n.path === "providers.anthropic") as FormGroup;
  const [apiKey] = formFields(anthropic.children);
  assert.deepEqual(
    { name: apiKey?.name, id: apiKey?.id, kind: apiKey?.kind, label: apiKey?.label },
    {
      name: "config.providers.anthropic.apiKey",
      id: "config-providers-anthropic-apiKey",
      kind: "password",
      label: "Anthropic API key",
    },
  );
});

Deno.test("schemaToForm() makes every sensitive field of an adapter a secret", () => {
  const fields = formFields(schemaToForm(openclaw, { sensitive: openClawAdapter.sensitiveFields }));
  const secret = fields.filter((f) => f.sensitive).map((f) => f.path).sort();
  assert.deepEqual(secret, [...openClawAdapter.sensitiveFields].sort());
  assert.ok(fields.filter((f) => f.sensitive).every((f) => f.kind === "password"));
});

Deno.test("schemaToForm() picks inputs by type: multiline, integer with default, map, list", () => {
  const openclawFields = formFields(schemaToForm(openclaw));
  assert.equal(openclawFields.find((f) => f.path === "personality")?.kind, "textarea");
  assert.equal(openclawFields.find((f) => f.path === "agentName")?.maxLength, 64);
  const fields = formFields(schemaToForm(generic, { sensitive: genericAdapter.sensitiveFields }));
  const byPath = Object.fromEntries(fields.map((f) => [f.path, f]));
  assert.deepEqual(
    [byPath.port?.kind, byPath.port?.defaultValue, byPath.port?.required, byPath.port?.max],
    ["integer", "8080", false, 65535],
  );
  assert.equal(byPath.env?.kind, "map");
  assert.equal(byPath.env?.sensitive, true);
  assert.equal(byPath.command?.kind, "list");
  assert.equal(byPath.healthPath?.label, "Health path");
});

Deno.test("schemaToForm() handles enums, booleans, nullable unions and unknown shapes", () => {
  const schema: JsonSchema = {
    type: "object",
    required: ["mode"],
    properties: {
      mode: { type: "string", enum: ["fast", "safe"] },
      verbose: { type: "boolean" },
      limit: { anyOf: [{ type: "number" }, { type: "null" }] },
      extra: {},
    },
  };
  const fields = formFields(schemaToForm(schema));
  assert.deepEqual(fields.map((f) => [f.path, f.kind, f.required]), [
    ["mode", "select", true],
    ["verbose", "checkbox", false],
    ["limit", "number", false],
    ["extra", "json", false],
  ]);
  assert.deepEqual(fields[0]?.options, ["fast", "safe"]);
});

Deno.test("formToConfig() leaves empty inputs and empty sections out", () => {
  const nodes = schemaToForm(openclaw, { sensitive: openClawAdapter.sensitiveFields });
  const reading = formToConfig(openclaw, nodes, {
    "config.agentName": "Ada",
    "config.model": "",
    "config.providers.anthropic.apiKey": "sk-123",
    "config.providers.openai.apiKey": "",
    "config.channels.telegram.botToken": "",
  });
  assert.deepEqual(reading, {
    config: { agentName: "Ada", providers: { anthropic: { apiKey: "sk-123" } } },
    errors: {},
  });
  assert.deepEqual(formToConfig(openclaw, nodes, {}).config, {});
  assert.ok(openClawAdapter.configSchema.safeParse(reading.config).success);
});

Deno.test("formToConfig() coerces numbers, lines and KEY=value pairs", () => {
  const nodes = schemaToForm(generic, { sensitive: genericAdapter.sensitiveFields });
  const reading = formToConfig(generic, nodes, {
    "config.port": " 3000 ",
    "config.healthPath": "/health",
    "config.env": "A=1\n\nB=x=y\r\n",
    "config.command": "node\n server.js \n",
  });
  assert.deepEqual(reading, {
    config: {
      port: 3000,
      healthPath: "/health",
      env: { A: "1", B: "x=y" },
      command: ["node", "server.js"],
    },
    errors: {},
  });
  assert.ok(genericAdapter.configSchema.safeParse(reading.config).success);
});

Deno.test("formToConfig() reports what it cannot read, by field name", () => {
  const nodes = schemaToForm(generic, { sensitive: genericAdapter.sensitiveFields });
  const reading = formToConfig(generic, nodes, {
    "config.port": "80.5",
    "config.env": "A=1\nnot a pair",
  });
  assert.deepEqual(reading.errors, {
    "config.port": "Expected a whole number",
    "config.env": "Line 2: expected KEY=value",
  });
  const schema: JsonSchema = {
    type: "object",
    properties: {
      ratio: { type: "number" },
      extra: {},
      mode: { type: "string", enum: ["a", "b"] },
      on: { type: "boolean", default: true },
    },
  };
  const form = schemaToForm(schema);
  assert.deepEqual(
    formToConfig(schema, form, { "config.ratio": "abc", "config.extra": "{" }).errors,
    {
      "config.ratio": "Expected a number",
      "config.extra": "Expected JSON",
    },
  );
  assert.deepEqual(
    formToConfig(schema, form, { "config.extra": '{"a":1}', "config.mode": "b" }).config,
    { extra: { a: 1 }, mode: "b", on: false },
  );
  assert.deepEqual(formToConfig(schema, form, { "config.mode": "c" }).errors, {
    "config.mode": "Pick one of the choices",
  });
});

Deno.test("configToFormValues() fills the inputs of a config, never a secret, and reads back the same", () => {
  const nodes = schemaToForm(openclaw, { sensitive: openClawAdapter.sensitiveFields });
  const config = {
    agentName: "Aria",
    model: "anthropic/claude-opus-4-6",
    personality: "Calm.\nPrecise.",
    providers: { anthropic: { apiKey: "sk-secret" } },
  };
  const values = configToFormValues(nodes, config);
  assert.deepEqual(values, {
    "config.agentName": "Aria",
    "config.model": "anthropic/claude-opus-4-6",
    "config.personality": "Calm.\nPrecise.",
  });
  const back = formToConfig(openclaw, nodes, values);
  assert.deepEqual(back, {
    config: {
      agentName: "Aria",
      model: "anthropic/claude-opus-4-6",
      personality: "Calm.\nPrecise.",
    },
    errors: {},
  });
  const genericNodes = schemaToForm(generic, { sensitive: genericAdapter.sensitiveFields });
  const genericValues = configToFormValues(genericNodes, {
    port: 9090,
    command: ["/bin/httpd", "-f"],
    env: { A: "1" },
  });
  assert.equal(genericValues["config.port"], "9090");
  assert.equal(genericValues["config.command"], "/bin/httpd\n-f");
  assert.equal(genericValues["config.env"], undefined, "env is a secret of the generic adapter");
  assert.deepEqual(formToConfig(generic, genericNodes, genericValues).config, {
    port: 9090,
    command: ["/bin/httpd", "-f"],
  });
});

Deno.test("formToConfig() turns a browser's CRLF line breaks into LF", () => {
  const nodes = schemaToForm(openclaw, { sensitive: openClawAdapter.sensitiveFields });
  const read = formToConfig(openclaw, nodes, { "config.personality": "Calm.\r\nPrecise.\r\n" });
  assert.equal(read.config.personality, "Calm.\nPrecise.\n");
});

Deno.test("humanize() makes a label of a key", () => {
  assert.equal(humanize("healthPath"), "Health path");
  assert.equal(humanize("api_key"), "Api key");
});
