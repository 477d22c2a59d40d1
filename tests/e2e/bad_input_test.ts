/**
 * Bad input changes nothing and says why: invalid ids, an unknown adapter, a config
 * that fails the schema, a duplicate pod, deleting a tenant that has pods, a missing or
 * wrong token, an unknown image, and Docker down (503 and a clear CLI message).
 * @module
 */
import assert from "node:assert/strict";
import { createFixturePods, waitFor, withPlane } from "./_harness.ts";

const FIXTURE = "agentpod-fixture:1";

Deno.test("bad input: clear errors, right exit codes, nothing changed", async (t) => {
  await withPlane({ AGENTPOD_RECONCILE: "manual" }, async (plane) => {
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    await createFixturePods(plane, "acme", ["web"]);
    await waitFor("acme/web to run", async () => {
      const pods = await plane.json<{ status: string }[]>("pod", "list");
      return pods[0]?.status === "running";
    });
    // What a rejected request could have changed (health may move on by itself).
    const specs = async () =>
      (await plane.json<Record<string, unknown>[]>("pod", "list")).map((p) => ({
        pod: p.pod,
        image: p.image,
        generation: p.generation,
        desiredState: p.desiredState,
        hostPort: p.hostPort,
      }));
    const podsBefore = await specs();

    await t.step("invalid ids are usage errors (exit 2) and 400 from the API", async () => {
      for (
        const args of [["tenant", "create", "Bad_Id"], ["pod", "create", "acme/-x"], [
          "pod",
          "status",
          "acme",
        ]]
      ) {
        const result = await plane.cli(...args);
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
        assert.match(result.stderr, /Invalid/);
        assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
      }
      const res = await fetch(`${plane.url}/api/v1/tenants`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${await plane.token()}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ id: "Bad_Id" }),
      });
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.error.code, "validation");
      assert.match(body.error.message, /Invalid tenant/);
    });

    await t.step("an unknown adapter names the known ones", async () => {
      const result = await plane.cli("pod", "create", "acme/x", "--type", "nope");
      assert.equal(result.code, 1);
      assert.match(result.stderr, /Unknown adapter "nope": expected one of openclaw, generic/);
    });

    await t.step("a config that fails the schema is rejected at the field", async () => {
      const file = `${plane.dataDir}/bad-config.json`;
      await Deno.writeTextFile(file, JSON.stringify({ agentName: 42, notAKey: true }));
      const result = await plane.cli(
        "pod",
        "create",
        "acme/x",
        "--type",
        "openclaw",
        "--config",
        file,
      );
      assert.equal(result.code, 1);
      assert.match(result.stderr, /Invalid config for adapter "openclaw"/);
      assert.match(result.stderr, /agentName|notAKey/);
    });

    await t.step("an image that is not on the host and cannot be pulled", async () => {
      const result = await plane.cli(
        "pod",
        "create",
        "acme/x",
        "--type",
        "generic",
        "--image",
        "nope-image:0",
      );
      assert.equal(result.code, 1);
      assert.match(result.stderr, /Image "nope-image:0" is not on this host/);
    });

    await t.step("a duplicate pod is a conflict", async () => {
      const result = await plane.cli(
        "pod",
        "create",
        "acme/web",
        "--type",
        "generic",
        "--image",
        FIXTURE,
      );
      assert.equal(result.code, 1);
      assert.match(result.stderr, /Pod "acme\/web" already exists/);
    });

    await t.step("a tenant with pods is not deleted without --force", async () => {
      const result = await plane.cli("tenant", "delete", "acme", "--yes");
      assert.equal(result.code, 1);
      assert.match(result.stderr, /has 1 pod/);
      assert.equal((await plane.cli("tenant", "status", "acme")).code, 0);
    });

    await t.step("a missing or wrong token is an auth error (exit 4, 401)", async () => {
      const wrong = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "cli.ts", "pod", "list"],
        env: { ...plane.env, AGENTPOD_TOKEN: "ap_wrong" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(wrong.code, 4);
      const missing = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "cli.ts", "pod", "list"],
        env: { ...plane.env, AGENTPOD_DATA_DIR: "/nonexistent-agentpod" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(missing.code, 4);
      assert.match(new TextDecoder().decode(missing.stderr), /nonexistent-agentpod\/admin-token/);
      for (const authorization of [undefined, "Bearer nope"]) {
        const res = await fetch(`${plane.url}/api/v1/pods`, {
          headers: authorization ? { authorization } : {},
        });
        assert.equal(res.status, 401);
        assert.equal((await res.json()).error.code, "unauthorized");
      }
    });

    assert.deepEqual(await specs(), podsBefore, "nothing changed");
    const tenants = await plane.json<{ id: string }[]>("tenant", "list");
    assert.deepEqual(tenants.map((x) => x.id), ["acme"]);
  });
});

Deno.test("Docker down: the API answers 503 and the CLI says what is wrong", async () => {
  await withPlane({ DOCKER_HOST: "unix:///tmp/agentpod-no-docker.sock" }, async (plane) => {
    const ready = await fetch(`${plane.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(JSON.stringify(await ready.json()), /agentpod-no-docker\.sock/);
    assert.equal((await plane.cli("tenant", "create", "acme")).code, 0);
    const result = await plane.cli(
      "pod",
      "create",
      "acme/web",
      "--type",
      "generic",
      "--image",
      FIXTURE,
    );
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /Cannot reach Docker Engine at "unix:\/\/\/tmp\/agentpod-no-docker\.sock"/,
    );
    const res = await fetch(`${plane.url}/api/v1/tenants/acme/pods`, {
      method: "POST",
      headers: { authorization: `Bearer ${await plane.token()}` },
      body: JSON.stringify({ name: "web", adapter: "generic", image: FIXTURE }),
    });
    assert.equal(res.status, 503);
    assert.deepEqual(await plane.json<unknown[]>("pod", "list"), []);
    const doctor = await plane.cli("doctor");
    assert.equal(doctor.code, 1);
    assert.match(doctor.stdout, /docker/);
  });
});
