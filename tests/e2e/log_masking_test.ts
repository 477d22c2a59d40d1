/**
 * A pod's secrets never reach a reader of its logs: a generic fixture pod prints its
 * sealed environment variable at start; `pod logs` (the API's NDJSON stream, which the
 * dashboard's log stream shares through `ControlPlaneService.podLogs`) shows the mask.
 * @module
 */
import assert from "node:assert/strict";
import { FIXTURE_IMAGE, waitFor, withPlane } from "./_harness.ts";

const SECRET = `sk-test-${crypto.randomUUID()}`;

Deno.test("pod logs mask the pod's sealed secrets", async () => {
  await withPlane({}, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "lm")).code, 0);
    const config = `${plane.dataDir}/lm.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        env: { API_KEY: SECRET },
        command: [
          "/bin/sh",
          "-c",
          'echo "starting with key=$API_KEY"; exec /bin/httpd -f -p 8080 -h /www',
        ],
      }),
    );
    const created = await plane.cli(
      "pod",
      "create",
      "lm/web",
      "--type",
      "generic",
      "--image",
      FIXTURE_IMAGE,
      "--config",
      config,
    );
    assert.equal(created.code, 0, created.stderr);
    const text = await waitFor(
      "the start line in the logs",
      async () => {
        const out = await plane.cli("pod", "logs", "lm/web", "--tail", "20");
        return out.stdout.includes("starting with key=") ? out.stdout : undefined;
      },
      60_000,
      250,
    );
    assert.ok(!text.includes(SECRET), "the secret is not shown");
    assert.match(text, /starting with key=\*{8}/);
    const json = await plane.cli("pod", "logs", "lm/web", "--tail", "20", "--format", "json");
    assert.ok(!json.stdout.includes(SECRET));
  });
});
