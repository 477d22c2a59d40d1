import assert from "node:assert/strict";
import { maskSensitive, mergeSensitive, SECRET_MASK, splitSensitive } from "./secrets.ts";

const PATHS = ["providers.anthropic.apiKey", "channels.telegram.botToken"];

Deno.test("splitSensitive() takes secrets out and mergeSensitive() puts them back", () => {
  const config = {
    model: "anthropic/claude",
    providers: { anthropic: { apiKey: "sk-1" } },
    channels: { telegram: { botToken: "t-1", enabled: true } },
  };
  const { plain, values } = splitSensitive(config, PATHS);
  assert.deepEqual(plain, {
    model: "anthropic/claude",
    providers: { anthropic: {} },
    channels: { telegram: { enabled: true } },
  });
  assert.deepEqual(values, {
    "providers.anthropic.apiKey": "sk-1",
    "channels.telegram.botToken": "t-1",
  });
  assert.deepEqual(mergeSensitive(plain, values), config);
});

Deno.test("splitSensitive() ignores absent secrets and leaves the input alone", () => {
  const config = { model: "x" };
  assert.deepEqual(splitSensitive(config, PATHS), { plain: { model: "x" }, values: {} });
  assert.deepEqual(config, { model: "x" });
});

Deno.test("maskSensitive() shows a mask where a secret is set", () => {
  const masked = maskSensitive({ providers: { anthropic: {} } }, {
    "providers.anthropic.apiKey": "sk",
  });
  assert.deepEqual(masked, { providers: { anthropic: { apiKey: SECRET_MASK } } });
});
