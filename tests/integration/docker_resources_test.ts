/**
 * The Docker provider against the real engine: archives into a container's volume,
 * exec, volumes and networks. Needs the `agentpod-fixture:1` image; everything
 * created is removed afterwards.
 * @module
 */
import assert from "node:assert/strict";
import { ConflictError, NotFoundError } from "../../core/errors.ts";
import { readTar } from "../../providers/docker/mod.ts";
import { BUSYBOX, IMAGE, labels, withCase } from "./_docker_case.ts";

Deno.test("archive upload into a created container's volume round-trips owner, mode and content", async () => {
  await withCase(async (docker, id) => {
    const volume = await docker.volumes.create({ Name: id, Labels: labels(id) });
    await docker.containers.create({
      Image: IMAGE,
      Cmd: [BUSYBOX, "sleep", "600"],
      User: "1000:1000",
      Labels: labels(id),
      HostConfig: {
        Mounts: [{ Type: "volume", Source: volume.Name, Target: "/home/node/.openclaw" }],
      },
    }, { name: id });
    const config = '{"gateway":{"mode":"local","port":18789}}';
    const deep = `${"d".repeat(90)}/${"e".repeat(60)}/settings.json`;
    await docker.containers.putArchive(id, "/home/node/.openclaw", [
      {
        name: "openclaw.json",
        data: config,
        uid: 1000,
        gid: 1000,
        mode: 0o600,
        mtime: 1_764_000_000,
      },
      { name: "workspace", type: "directory", uid: 1000, gid: 1000, mode: 0o700 },
      { name: deep, data: "{}", uid: 1000, gid: 1000 },
    ]);

    const file = await docker.containers.getArchive(id, "/home/node/.openclaw/openclaw.json");
    assert.equal(file.stat?.name, "openclaw.json");
    assert.equal(file.stat?.size, config.length);
    const [entry, ...rest] = readTar(file.archive);
    assert.equal(rest.length, 0);
    assert.deepEqual([entry?.name, entry?.uid, entry?.gid, entry?.mode], [
      "openclaw.json",
      1000,
      1000,
      0o600,
    ]);
    assert.equal(entry?.mtime, 1_764_000_000);
    assert.equal(new TextDecoder().decode(entry?.data), config);

    const tree = readTar((await docker.containers.getArchive(id, "/home/node/.openclaw")).archive);
    const byName = new Map(tree.map((e) => [e.name, e]));
    assert.equal(byName.get(".openclaw/workspace")?.type, "directory");
    assert.equal(byName.get(".openclaw/workspace")?.mode, 0o700);
    assert.equal(byName.get(`.openclaw/${deep}`)?.uid, 1000);

    // The unprivileged user the agent runs as can read what was written.
    await docker.containers.start(id);
    const read = await docker.exec.run(id, [BUSYBOX, "cat", "/home/node/.openclaw/openclaw.json"]);
    assert.deepEqual(read, { exitCode: 0, stdout: config, stderr: "" });
  });
});

Deno.test("exec runs commands and returns exit code, stdout and stderr", async () => {
  await withCase(async (docker, id) => {
    await docker.containers.create({
      Image: IMAGE,
      Cmd: [BUSYBOX, "sleep", "600"],
      Labels: labels(id),
    }, {
      name: id,
    });
    await docker.containers.start(id);
    assert.deepEqual(await docker.exec.run(id, [BUSYBOX, "echo", "hello", "world"]), {
      exitCode: 0,
      stdout: "hello world\n",
      stderr: "",
    });
    const result = await docker.exec.run(id, [
      BUSYBOX,
      "sh",
      "-c",
      "echo out; echo oops >&2; exit 3",
    ], {
      Env: ["GREETING=hi"],
      User: "1000",
    });
    assert.deepEqual(result, { exitCode: 3, stdout: "out\n", stderr: "oops\n" });
    const env = await docker.exec.run(id, [BUSYBOX, "sh", "-c", 'echo "$GREETING $(id -u)"'], {
      Env: ["GREETING=hi"],
      User: "1000",
    });
    assert.equal(env.stdout, "hi 1000\n");
    await docker.containers.kill(id);
    await docker.containers.wait(id);
    await assert.rejects(docker.exec.run(id, [BUSYBOX, "true"]), ConflictError);
  });
});

Deno.test("volumes: create, inspect, list by label, remove", async () => {
  await withCase(async (docker, id) => {
    const created = await docker.volumes.create({ Name: id, Labels: labels(id) });
    assert.equal(created.Name, id);
    assert.equal((await docker.volumes.inspect(id)).Labels?.["agentpod.case"], id);
    const listed = await docker.volumes.list({ filters: { label: [`agentpod.case=${id}`] } });
    assert.deepEqual(listed.map((v) => v.Name), [id]);
    await docker.volumes.remove(id);
    await assert.rejects(docker.volumes.inspect(id), NotFoundError);
    assert.deepEqual(
      await docker.volumes.list({ filters: { label: [`agentpod.case=${id}`] } }),
      [],
    );
  });
});

Deno.test("networks: create, inspect, connect with an alias, disconnect, remove", async () => {
  await withCase(async (docker, id) => {
    const { Id } = await docker.networks.create({ Name: id, Labels: labels(id) });
    await assert.rejects(docker.networks.create({ Name: id, Labels: labels(id) }), ConflictError);
    const network = await docker.networks.inspect(id);
    assert.deepEqual([network.Id, network.Driver, network.Labels?.["agentpod.case"]], [
      Id,
      "bridge",
      id,
    ]);
    assert.deepEqual(
      (await docker.networks.list({ filters: { label: [`agentpod.case=${id}`] } })).map((n) =>
        n.Id
      ),
      [Id],
    );

    await docker.containers.create({
      Image: IMAGE,
      Cmd: [BUSYBOX, "sleep", "600"],
      Labels: labels(id),
    }, {
      name: id,
    });
    await docker.networks.connect(id, id, { aliases: ["gateway"] });
    await docker.containers.start(id);
    const attached = (await docker.containers.inspect(id)).NetworkSettings.Networks[id];
    assert.equal(attached?.NetworkID, Id);
    assert.ok(attached?.Aliases?.includes("gateway"), `aliases ${attached?.Aliases}`);
    assert.ok(Object.keys((await docker.networks.inspect(Id)).Containers ?? {}).length === 1);

    await docker.networks.disconnect(id, id);
    assert.equal((await docker.containers.inspect(id)).NetworkSettings.Networks[id], undefined);
    await docker.networks.remove(Id);
    await assert.rejects(docker.networks.inspect(Id), NotFoundError);
  });
});
