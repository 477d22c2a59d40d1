/**
 * OpenClaw's own online backup: `openclaw backup create --verify --json`, run inside the
 * running gateway, uses SQLite's online backup API (its docs forbid copying live database
 * files) and checks what it wrote. Its archive (gzip tar) holds the state directory under
 * `<root>/payload/posix/<state dir>`; AgentPod keeps that tree as the backup's payload.
 * @module
 */
import { z } from "zod";
import type { AgentBackup } from "../core/adapter.ts";
import { ValidationError } from "../core/errors.ts";

const createOutput = z.object({
  archivePath: z.string().min(1),
  verified: z.boolean().optional(),
  assets: z.array(z.object({ kind: z.string(), sourcePath: z.string(), archivePath: z.string() })),
});

/** The online backup of an OpenClaw gateway whose state is `stateDir`, run as `uid`. */
export function openClawBackup(stateDir: string, uid: number): AgentBackup {
  return {
    command: (output) => [
      "node",
      "openclaw.mjs",
      "backup",
      "create",
      "--output",
      output,
      "--verify",
      "--json",
    ],
    parse(stdout) {
      // The CLI may print a banner before its JSON: the object is the last `{` at a line start.
      const start = stdout.search(/^\{/m);
      let value: unknown;
      try {
        value = JSON.parse(start >= 0 ? stdout.slice(start) : stdout);
      } catch {
        throw new ValidationError(
          `openclaw backup create printed no JSON: ${stdout.slice(0, 200)}`,
        );
      }
      const parsed = createOutput.safeParse(value);
      if (!parsed.success) {
        throw new ValidationError(
          "openclaw backup create answered in a shape AgentPod does not know",
        );
      }
      if (parsed.data.verified === false) {
        throw new ValidationError("openclaw backup create could not verify its archive");
      }
      const state = parsed.data.assets.find((a) =>
        a.kind === "state" && a.sourcePath.replace(/\/$/, "") === stateDir.replace(/\/$/, "")
      );
      if (!state) {
        throw new ValidationError(
          `openclaw backup create did not include the state directory ${stateDir}`,
        );
      }
      return { path: parsed.data.archivePath, prefix: state.archivePath };
    },
    owner: { uid, gid: uid },
    // A second Node process (the CLI) beside the gateway; a configured gateway near its
    // 1 GiB limit had the CLI OOM-killed (exit 137) without it.
    extraMemoryMB: 768,
  };
}
