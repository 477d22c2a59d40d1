/**
 * The Docker provider against the real engine (DOCKER_HOST or the default socket):
 * container lifecycle, logs, stats, events, error mapping, images and the tcp:// path.
 * Needs the `agentpod-fixture:1` image; everything created is removed afterwards.
 * @module
 */
import assert from "node:assert/strict";
import {
  ConflictError,
  DockerApiError,
  NotFoundError,
  UnavailableError,
} from "../../core/errors.ts";
import {
  createDockerClient,
  type DockerEvent,
  MAX_API_VERSION,
  MIN_API_VERSION,
  summarizeStats,
} from "../../providers/docker/mod.ts";
import { BUSYBOX, IMAGE, labels, RUN, waitFor, withCase } from "./_docker_case.ts";
import { writeArchive } from "../../providers/backup/archive.ts";
import { DEFAULT_BACKUP_LIMITS } from "../../core/backup.ts";

Deno.test("ping, version and the negotiated API version", async () => {
  using docker = createDockerClient();
  await docker.ping();
  const version = await docker.version();
  assert.match(version.ApiVersion, /^\d+\.\d+$/);
  const expected = Number(version.ApiVersion.split(".")[1]) > Number(MAX_API_VERSION.split(".")[1])
    ? MAX_API_VERSION
    : version.ApiVersion;
  assert.equal(await docker.apiVersion(), expected);
  assert.ok(Number(expected.split(".")[1]) >= Number(MIN_API_VERSION.split(".")[1]));
  assert.equal(typeof (await docker.info()).NCPU, "number");
});

Deno.test("container lifecycle: logs kept apart, stats, die event within 1 s of kill, removal with volumes", async () => {
  await withCase(async (docker, id) => {
    const created = await docker.containers.create({
      Image: IMAGE,
      Cmd: [
        BUSYBOX,
        "sh",
        "-c",
        `echo out-1; echo err-1 >&2; echo out-2; exec ${BUSYBOX} sleep 600`,
      ],
      Labels: labels(id),
      Hostname: "pod-host",
      ExposedPorts: { "8080/tcp": {} },
      HostConfig: {
        PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
        Mounts: [{ Type: "volume", Target: "/data" }],
        Memory: 64 * 1024 * 1024,
        NanoCpus: 500_000_000,
        PidsLimit: 64,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        Init: true,
        RestartPolicy: { Name: "no" },
      },
    }, { name: id });

    const listed = await docker.containers.list({
      all: true,
      filters: { label: [`agentpod.case=${id}`] },
    });
    assert.deepEqual(listed.map((c) => [c.Id, c.Names[0], c.State]), [[
      created.Id,
      `/${id}`,
      "created",
    ]]);
    assert.equal(
      (await docker.containers.list({ filters: { label: [`agentpod.case=${id}`] } })).length,
      0,
    );

    const events: { event: DockerEvent; at: number }[] = [];
    const stop = new AbortController();
    const consumer = (async () => {
      const filters = { type: ["container"], label: [`agentpod.case=${id}`] };
      for await (const event of docker.events.watch({ filters, signal: stop.signal })) {
        events.push({ event, at: performance.now() });
      }
    })();
    try {
      assert.equal(await docker.containers.start(id), true);
      assert.equal(await docker.containers.start(id), false, "a second start is a no-op");
      // The start event proves the subscription is live before anything else happens.
      await waitFor("the start event", () => events.some((e) => e.event.Action === "start"), 5_000);

      const inspected = await docker.containers.inspect(id);
      assert.equal(inspected.State.Running, true);
      assert.equal(inspected.Config.Hostname, "pod-host");
      assert.equal(inspected.Config.Labels?.["agentpod.test"], RUN);
      assert.deepEqual(inspected.HostConfig.CapDrop, ["ALL"]);
      assert.match(inspected.NetworkSettings.Ports?.["8080/tcp"]?.[0]?.HostPort ?? "", /^\d+$/);
      const volume = inspected.Mounts.find((m) => m.Destination === "/data")?.Name;
      assert.ok(volume);

      const logStop = new AbortController();
      const stdout: string[] = [];
      const stderr: string[] = [];
      for await (
        const line of docker.containers.logs(id, {
          follow: true,
          timestamps: true,
          signal: logStop.signal,
        })
      ) {
        assert.match(line.timestamp ?? "", /^\d{4}-\d\d-\d\dT/);
        (line.stream === "stdout" ? stdout : stderr).push(line.line);
        if (stdout.length + stderr.length === 3) logStop.abort();
      }
      assert.deepEqual(stdout, ["out-1", "out-2"]);
      assert.deepEqual(stderr, ["err-1"]);
      const onlyErr = [];
      for await (const line of docker.containers.logs(id, { stdout: false })) onlyErr.push(line);
      assert.deepEqual(onlyErr, [{ stream: "stderr", line: "err-1" }]);

      const stats = summarizeStats(await docker.containers.stats(id));
      assert.equal(stats.memoryLimitBytes, 64 * 1024 * 1024);
      assert.ok(
        stats.memoryBytes > 0 && stats.memoryBytes < stats.memoryLimitBytes,
        `memory ${stats.memoryBytes}`,
      );
      assert.ok(stats.cpuPercent >= 0 && Number.isFinite(stats.cpuPercent));
      assert.ok((stats.pids ?? 0) >= 2, "init and sleep are running");

      const killedAt = performance.now();
      await docker.containers.kill(id, { signal: "SIGKILL" });
      await waitFor("the die event", () => events.some((e) => e.event.Action === "die"), 1_000);
      const die = events.find((e) => e.event.Action === "die")!;
      assert.ok(die.at - killedAt < 1_000, `die arrived ${die.at - killedAt} ms after kill`);
      assert.equal(die.event.Actor.ID, created.Id);
      assert.equal(die.event.Actor.Attributes.exitCode, "137");

      assert.equal((await docker.containers.wait(id)).StatusCode, 137);
      assert.equal(
        await docker.containers.stop(id),
        false,
        "stopping a stopped container is a no-op",
      );
      await assert.rejects(docker.containers.kill(id), ConflictError);

      await docker.containers.remove(id, { volumes: true });
      await assert.rejects(docker.containers.inspect(id), NotFoundError);
      await assert.rejects(docker.volumes.inspect(volume), NotFoundError);
    } finally {
      stop.abort();
      await consumer;
    }
  });
});

Deno.test("inspect of an unknown container throws NotFoundError with the engine's message", async () => {
  using docker = createDockerClient();
  const name = `agentpod-test-${RUN}-missing`;
  await assert.rejects(docker.containers.inspect(name), (error: unknown) => {
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.message, `Docker: No such container: ${name}`);
    assert.deepEqual(error.details, { status: 404, engineMessage: `No such container: ${name}` });
    assert.ok(error.cause instanceof DockerApiError && error.cause.status === 404);
    return true;
  });
});

Deno.test("creating a container with a taken name throws ConflictError", async () => {
  await withCase(async (docker, id) => {
    const spec = { Image: IMAGE, Cmd: [BUSYBOX, "true"], Labels: labels(id) };
    await docker.containers.create(spec, { name: id });
    await assert.rejects(docker.containers.create(spec, { name: id }), (error: unknown) => {
      assert.ok(error instanceof ConflictError);
      assert.match(
        error.message,
        new RegExp(`^Docker: Conflict\\. The container name "/${id}" is already in use`),
      );
      return true;
    });
  });
});

Deno.test("an unreachable socket throws UnavailableError naming the socket", async () => {
  using docker = createDockerClient({ host: "unix:///tmp/nonexistent.sock" });
  await assert.rejects(docker.containers.list(), (error: unknown) => {
    assert.ok(error instanceof UnavailableError);
    assert.match(
      error.message,
      /^Cannot reach Docker Engine at "unix:\/\/\/tmp\/nonexistent\.sock": .*os error 2/,
    );
    return true;
  });
  await assert.rejects(docker.ping(), UnavailableError);
});

Deno.test("logs of a TTY container arrive raw, as stdout", async () => {
  await withCase(async (docker, id) => {
    await docker.containers.create({
      Image: IMAGE,
      Tty: true,
      Cmd: [BUSYBOX, "sh", "-c", "echo to-out; echo to-err >&2"],
      Labels: labels(id),
    }, { name: id });
    await docker.containers.start(id);
    assert.equal((await docker.containers.wait(id)).StatusCode, 0);
    const lines = [];
    for await (const line of docker.containers.logs(id)) lines.push(line);
    assert.deepEqual(lines, [{ stream: "stdout", line: "to-out" }, {
      stream: "stdout",
      line: "to-err",
    }]);
  });
});

Deno.test("image inspect of the fixture image; unknown images throw NotFoundError", async () => {
  using docker = createDockerClient();
  const image = await docker.images.inspect(IMAGE);
  assert.match(image.Id, /^sha256:[0-9a-f]{64}$/);
  assert.ok(image.RepoTags?.includes(IMAGE));
  assert.deepEqual(image.Config?.Cmd, ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]);
  const listed = await docker.images.list({ filters: { reference: [IMAGE] } });
  assert.deepEqual(listed.map((i) => i.Id), [image.Id]);
  await assert.rejects(docker.images.inspect("agentpod-nonexistent:1"), NotFoundError);
});

Deno.test("pull of a nonexistent image throws an error naming the image", async () => {
  using docker = createDockerClient();
  const progress: unknown[] = [];
  await assert.rejects(
    docker.images.pull("agentpod-nonexistent:1", { onProgress: (p) => progress.push(p) }),
    (error: unknown) => {
      // No registry is reachable here (500); with one it would be a 404.
      assert.ok(error instanceof DockerApiError || error instanceof NotFoundError, String(error));
      assert.match(error.message, /^Cannot pull image "agentpod-nonexistent:1": .+/);
      return true;
    },
  );
});

Deno.test("a tcp:// engine address works (through a local TCP-to-socket relay)", async () => {
  const socket = Deno.env.get("DOCKER_HOST")?.replace(/^unix:\/\//, "") ?? "/var/run/docker.sock";
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const relays: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      relays.push((async () => {
        const engine = await Deno.connect({ transport: "unix", path: socket });
        const up = conn.readable.pipeTo(engine.writable).catch(() => {});
        const down = engine.readable.pipeTo(conn.writable).catch(() => {});
        // The engine keeps idle connections open: once the client hangs up, end both sides.
        await Promise.race([up, down]);
        for (const side of [conn, engine]) {
          try {
            side.close();
          } catch {
            // Already closed by the pipe.
          }
        }
        await Promise.allSettled([up, down]);
      })());
    }
  })();
  try {
    const docker = createDockerClient({ host: `tcp://127.0.0.1:${listener.addr.port}` });
    try {
      await docker.ping();
      assert.match(await docker.apiVersion(), /^1\.\d+$/);
      assert.ok((await docker.images.inspect(IMAGE)).RepoTags?.includes(IMAGE));
      await assert.rejects(
        docker.containers.inspect(`agentpod-test-${RUN}-missing`),
        NotFoundError,
      );
    } finally {
      docker.close();
    }
  } finally {
    listener.close();
    await accepting.catch(() => {});
    await Promise.allSettled(relays);
  }
});

Deno.test("pause and unpause keep the process; a directory streams out as a tar a backup can verify", async () => {
  await withCase(async (docker, id) => {
    const created = await docker.containers.create({
      Image: IMAGE,
      Cmd: [
        BUSYBOX,
        "sh",
        "-c",
        `mkdir -p /data/w && echo marker > /data/w/m && exec ${BUSYBOX} sleep 600`,
      ],
      Labels: labels(id),
      HostConfig: { Mounts: [{ Type: "volume", Target: "/data" }], RestartPolicy: { Name: "no" } },
    }, { name: id });
    await docker.containers.start(created.Id);
    for (let i = 0;; i++) {
      const stat = await docker.containers.statPath(created.Id, "/data/w/m").catch(() => undefined);
      if (stat) break;
      assert.ok(i < 100, "the marker was written");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const before = (await docker.containers.inspect(created.Id)).State;
    await docker.containers.pause(created.Id);
    assert.equal((await docker.containers.inspect(created.Id)).State.Status, "paused");
    // The archive API reads a paused container's files (a backup while it is frozen).
    const stream = await docker.containers.streamArchive(created.Id, "/data");
    const dir = await Deno.makeTempDir();
    try {
      const { manifest } = await writeArchive({
        dir,
        manifest: {
          format: 1,
          id: crypto.randomUUID(),
          pod: "case/pod",
          podId: crypto.randomUUID(),
          adapter: "generic",
          method: "pause",
          image: IMAGE,
          imageId: null,
          appVersion: null,
          createdAt: new Date().toISOString(),
          downtimeMs: 0,
        },
        payload: stream,
        limits: DEFAULT_BACKUP_LIMITS,
      });
      assert.ok(manifest.payload.entries >= 3, JSON.stringify(manifest.payload));
      await docker.containers.unpause(created.Id);
      const after = (await docker.containers.inspect(created.Id)).State;
      assert.equal(after.Status, "running");
      assert.equal(after.Pid, before.Pid, "the same process");
      assert.equal(after.StartedAt, before.StartedAt);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("a streamed archive (plain socket read) has the engine's bytes; a missing path is NotFoundError", async () => {
  await withCase(async (docker, id) => {
    const created = await docker.containers.create({
      Image: IMAGE,
      Cmd: [
        BUSYBOX,
        "sh",
        "-c",
        `${BUSYBOX} head -c 3000000 /dev/urandom > /big && exec ${BUSYBOX} sleep 600`,
      ],
      Labels: labels(id),
      HostConfig: { RestartPolicy: { Name: "no" } },
    }, { name: id });
    await docker.containers.start(created.Id);
    for (let i = 0;; i++) {
      const stat = await docker.containers.statPath(created.Id, "/big").catch(() => undefined);
      if (stat?.size === 3_000_000) break;
      assert.ok(i < 100, "the file was written");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const streamed = new Uint8Array(
      await new Response(await docker.containers.streamArchive(created.Id, "/big")).arrayBuffer(),
    );
    const { archive } = await docker.containers.getArchive(created.Id, "/big");
    const digest = async (bytes: Uint8Array) =>
      new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>))
        .join(",");
    assert.ok(streamed.length > 3_000_000);
    assert.equal(await digest(streamed), await digest(archive), "the same tar as through fetch");
    await assert.rejects(
      docker.containers.streamArchive(created.Id, "/no/such/path"),
      NotFoundError,
    );
    await assert.rejects(
      docker.containers.streamArchive(`agentpod-test-${RUN}-missing`, "/"),
      NotFoundError,
    );
  });
});
