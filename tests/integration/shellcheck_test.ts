/**
 * Every shell script of the project passes `shellcheck` (Debian's package, installed by
 * tests/env/installer.sh): the installer and packaging in deploy/, the test environment in
 * tests/env/, the test runner and CI's entry point.
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

function scripts(): string[] {
  const found = ["tests/run.sh", "tests/bench/run.sh", ".ci/run"];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(`${ROOT}${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".sh")) found.push(path);
    }
  };
  walk("deploy");
  walk("tests/env");
  return found.sort();
}

Deno.test("shellcheck is clean on every script in deploy/, tests/env/ and the runners", async () => {
  const files = scripts();
  assert.ok(files.includes("deploy/install.sh") && files.includes("tests/env/docker.sh"));
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("shellcheck", {
      args: ["--format=gcc", ...files],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      assert.fail(
        "shellcheck is not installed: run tests/env/installer.sh (or apt-get install shellcheck)",
      );
    }
    throw error;
  }
  const report = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `shellcheck found problems in ${files.length} scripts:\n${report}`);
});
