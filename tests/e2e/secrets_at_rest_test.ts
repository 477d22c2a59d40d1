/**
 * No secret in clear at rest: after an OpenClaw pod is made with a provider key and two
 * channel tokens and an API token is issued, a `pg_dump` of the PostgreSQL database, and
 * every file of a PGlite data directory (its WAL included), hold none of them, nor the
 * pod's gateway token. A marker stored in clear (the tenant's display name) proves each
 * scan reads the data at all.
 * @module
 */
import assert from "node:assert/strict";
import { walk } from "./_walk.ts";
import { type Plane, withPlane, withTestDatabase } from "./_harness.ts";

const PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump";

async function seedSecrets(plane: Plane): Promise<{ marker: string; secrets: string[] }> {
  const marker = `Marker ${crypto.randomUUID()}`;
  assert.equal((await plane.cli("tenant", "create", "vault", "--name", marker)).code, 0);
  const providerKey = `sk-ant-${crypto.randomUUID()}`;
  const telegram = `123456:${crypto.randomUUID()}`;
  const discord = `discord.${crypto.randomUUID()}`;
  // Outside the data directory, which the PGlite test scans.
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      providers: { anthropic: { apiKey: providerKey } },
      channels: { telegram: { botToken: telegram }, discord: { token: discord } },
    }),
  );
  const created = await plane.cli("pod", "create", "vault/agent", "--config", file);
  await Deno.remove(file);
  assert.equal(created.code, 0, created.stderr);
  // Its data is what matters here, not a running gateway.
  assert.equal((await plane.cli("pod", "stop", "vault/agent")).code, 0);
  const apiToken = (await plane.json<{ token: string }>("token", "create", "--name", "dump"))
    .token;
  const podToken = (await plane.json<{ token: string }>("pod", "token", "vault/agent")).token;
  assert.ok(podToken.length >= 16);
  return { marker, secrets: [providerKey, telegram, discord, apiToken, podToken] };
}

Deno.test("[postgres] a pg_dump holds no pod token, provider key, channel token or API token", async () => {
  await withTestDatabase(async (url) => {
    await withPlane({ DATABASE_URL: url }, async (plane) => {
      const { marker, secrets } = await seedSecrets(plane);
      const dump = await new Deno.Command(PG_DUMP, {
        args: ["--no-owner", "--dbname", url],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(dump.code, 0, new TextDecoder().decode(dump.stderr));
      const text = new TextDecoder().decode(dump.stdout);
      assert.ok(text.includes(marker), "the dump holds the data");
      for (const secret of secrets) assert.ok(!text.includes(secret), "a secret in the dump");
    });
  });
});

Deno.test("[pglite] the data directory holds no pod token, provider key, channel token or API token", async () => {
  await withPlane({}, async (plane) => {
    const { marker, secrets } = await seedSecrets(plane);
    await plane.kill("SIGTERM"); // flushed and closed
    const needles = [marker, ...secrets].map((s) => new TextEncoder().encode(s));
    const found = new Set<number>();
    let files = 0;
    for await (const path of walk(plane.dataDir)) {
      // The admin token's own file is the one place a secret is meant to be (0600).
      if (path.endsWith("/admin-token")) continue;
      files++;
      const bytes = await Deno.readFile(path);
      needles.forEach((needle, i) => {
        if (indexOf(bytes, needle) >= 0) {
          found.add(i);
          if (i > 0) console.error(`secret ${i} of ${needles.length - 1} in ${path}`);
        }
      });
    }
    assert.ok(files > 10, `scanned ${files} files`);
    assert.ok(found.has(0), "the scan sees the data (the marker)");
    assert.deepEqual([...found].filter((i) => i > 0), [], "a secret in the data directory");
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const first = needle[0]!;
  for (let i = haystack.indexOf(first); i >= 0; i = haystack.indexOf(first, i + 1)) {
    if (i + needle.length > haystack.length) return -1;
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}
