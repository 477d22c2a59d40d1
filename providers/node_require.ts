/**
 * Gives a bundled AgentPod a CommonJS `require` for Node's built-in modules. `deno bundle`
 * turns an npm package's `require("node:events")` (streamx, under tar-stream) into a call
 * that looks for a global `require` when it runs and throws without one. Imported first by
 * `release.ts`, so it runs before any bundled package; harmless when not bundled.
 * @module
 */
import { createRequire } from "node:module";

const scope = globalThis as { require?: unknown };
scope.require ??= createRequire(import.meta.url);
