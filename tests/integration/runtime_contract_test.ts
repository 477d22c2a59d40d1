/**
 * The `ContainerRuntime` contract: one suite, run against the real `DockerRuntime` (on
 * DOCKER_HOST or the default socket, with the `agentpod-fixture:1` image) and against
 * `MemoryRuntime` (tests/fakes), so the fake the reconciler tests use behaves like the
 * engine. Each test gets its own tenant, network and pods; whatever it created (our
 * containers, `agentpod-pod-*` volumes, the tenant network) is removed in `finally`.
 * @module
 */
import assert from "node:assert/strict";
import {
  ConflictError,
  DockerApiError,
  NotFoundError,
  ValidationError,
} from "../../core/errors.ts";
import {
  containerHostname,
  containerName,
  tenantNetworkName,
  volumeName,
} from "../../core/naming.ts";
import type { ContainerRuntime, PodContainerRequest, RuntimeEvent } from "../../core/runtime.ts";
import { ADOPTED_SPEC_HASH, AdoptedContainers } from "../../core/adopted.ts";
import type { RenderedFile } from "../../core/adapter.ts";
import { createDockerClient, readTar } from "../../providers/docker/mod.ts";
import { DockerRuntime } from "../../providers/docker/runtime.ts";
import { MemoryRuntime } from "../fakes/memory_runtime.ts";
import { IMAGE, waitFor } from "./_docker_case.ts";

/** This run's id: the instance label and the middle of every name. */
const RUN = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
const INSTANCE = `contract-${RUN}`;
const VOLUME_PATH = "/data";

/** What a file looks like when read back from the volume. */
interface StoredFile {
  content: string;
  mode: number;
  uid: number;
}

/** One runtime under test, with the few things the contract needs from outside it. */
interface Subject extends AsyncDisposable {
  /** Ours (instance `contract-<run>`). */
  runtime: ContainerRuntime;
  /** Another control plane on the same engine. */
  other: ContainerRuntime;
  /** The tenant every request of this test uses. */
  tenant: string;
  /** Kills a running container from outside (`docker kill`: a manual stop). */
  kill(containerId: string): Promise<void>;
  /** Kills the agent's process inside the container: it exits by itself, as in a crash. */
  crash(containerId: string): Promise<void>;
  /** Reads a file from the volume mounted in the container; undefined when absent. */
  readFile(containerId: string, path: string): Promise<StoredFile | undefined>;
  /** Whether the engine has the volume. */
  hasVolume(name: string): Promise<boolean>;
  /** Whether the engine has the network. */
  hasNetwork(name: string): Promise<boolean>;
  /**
   * Adds image `ref`: the fixture with a version label whose process exits with `code`
   * right after its start (a broken release); removed with the subject.
   */
  addBrokenImage(ref: string, code: number): Promise<void>;
  /**
   * A container someone else made (not ours, no pod): created (or running, a busybox
   * sleep), with an OpenClaw variable, port 18789 exposed and `file` in its filesystem;
   * removed with the subject.
   */
  addForeign(
    name: string,
    file: { path: string; content: string },
    running?: boolean,
  ): Promise<string>;
  /** The adopted containers both runtimes share with their control plane. */
  adopted: AdoptedContainers;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function caseTenant(): string {
  return `contract-${RUN}-${crypto.randomUUID().slice(0, 6)}`;
}

/** The request the reconciler would send for pod `pod` of the test's tenant. */
function podRequest(
  subject: Subject,
  pod: string,
  files: RenderedFile[] = [],
): PodContainerRequest {
  const podId = crypto.randomUUID();
  return {
    podId,
    tenant: subject.tenant,
    pod,
    containerName: containerName(subject.tenant, pod),
    hostname: containerHostname(subject.tenant, pod),
    network: tenantNetworkName(subject.tenant),
    volume: volumeName(podId),
    hostPort: freePort(),
    specHash: `hash-${pod}`,
    spec: {
      image: IMAGE,
      env: { GREETING: "hello" },
      port: 8080,
      volumePath: VOLUME_PATH,
      resources: { memoryMB: 64, cpus: 0.5, pids: 64 },
    },
    files,
  };
}

async function dockerSubject(): Promise<Subject> {
  const docker = createDockerClient();
  await docker.ping();
  const tenant = caseTenant();
  const other = `${INSTANCE}-other`;
  const images: string[] = [];
  const foreign: string[] = [];
  const dispose = async () => {
    try {
      for (const instance of [INSTANCE, other]) {
        const filters = { label: [`agentpod.instance=${instance}`] };
        for (const c of await docker.containers.list({ all: true, filters })) {
          await docker.containers.remove(c.Id, { force: true });
        }
        for (const v of await docker.volumes.list({ filters })) {
          if (v.Name.startsWith("agentpod-pod-")) await docker.volumes.remove(v.Name);
        }
      }
      await docker.networks.remove(tenantNetworkName(tenant)).catch((error) => {
        if (!(error instanceof NotFoundError)) throw error;
      });
    } finally {
      docker.close();
    }
  };
  const adopted = new AdoptedContainers();
  return {
    adopted,
    runtime: new DockerRuntime(docker, INSTANCE, adopted),
    other: new DockerRuntime(docker, other),
    tenant,
    kill: (id) => docker.containers.kill(id),
    async crash(id) {
      // PID 1 is the init; kill -1 reaches every other process (the agent) but the caller.
      await docker.exec.run(id, ["/bin/busybox", "kill", "-9", "-1"]);
    },
    async readFile(id, path) {
      let archive: Uint8Array;
      try {
        ({ archive } = await docker.containers.getArchive(id, `${VOLUME_PATH}/${path}`));
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
      const [entry] = readTar(archive);
      if (!entry || entry.type !== "file") return undefined;
      return {
        content: new TextDecoder().decode(entry.data),
        mode: entry.mode & 0o7777,
        uid: entry.uid,
      };
    },
    hasVolume: (name) => exists(docker.volumes.inspect(name)),
    hasNetwork: (name) => exists(docker.networks.inspect(name)),
    async addBrokenImage(ref, code) {
      const { Id } = await docker.containers.create({ Image: IMAGE, Cmd: ["true"] });
      try {
        const out = await new Deno.Command("docker", {
          args: [
            "commit",
            "--change",
            `CMD ["sh","-c","exit ${code}"]`,
            "--change",
            "LABEL org.opencontainers.image.version=2",
            Id,
            ref,
          ],
          stdout: "null",
          stderr: "piped",
        }).output();
        if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
        images.push(ref);
      } finally {
        await docker.containers.remove(Id, { force: true });
      }
    },
    async addForeign(name, file, running = false) {
      const { Id } = await docker.containers.create({
        Image: IMAGE,
        Cmd: ["sleep", "3600"],
        Env: ["OPENCLAW_GATEWAY_TOKEN=not-a-secret"],
        ExposedPorts: { "18789/tcp": {} },
        HostConfig: { Init: true },
      }, { name });
      foreign.push(Id);
      if (running) await docker.containers.start(Id);
      const slash = file.path.lastIndexOf("/");
      await docker.containers.putArchive(Id, file.path.slice(0, slash) || "/", [{
        name: file.path.slice(slash + 1),
        data: file.content,
      }]);
      return Id;
    },
    [Symbol.asyncDispose]: async () => {
      for (const ref of images) await docker.images.remove(ref, { force: true }).catch(() => {});
      for (const id of foreign) await docker.containers.remove(id, { force: true }).catch(() => {});
      await dispose();
    },
  };
}

function memorySubject(): Promise<Subject> {
  const adopted = new AdoptedContainers();
  const runtime = new MemoryRuntime({ instance: INSTANCE, images: [IMAGE], adopted });
  return Promise.resolve({
    adopted,
    runtime,
    other: runtime.forInstance(`${INSTANCE}-other`),
    tenant: caseTenant(),
    kill: (id) => Promise.resolve(runtime.kill(id)),
    crash: (id) => Promise.resolve(runtime.crash(id, 137)),
    readFile(id, path) {
      const file = runtime.readFile(id, path);
      return Promise.resolve(file && { content: file.content, mode: file.mode, uid: file.uid });
    },
    hasVolume: (name) => Promise.resolve(runtime.hasVolume(name)),
    hasNetwork: (name) => Promise.resolve(runtime.hasNetwork(name)),
    addBrokenImage(ref, code) {
      runtime.addImage(ref, {
        labels: { "org.opencontainers.image.version": "2" },
        exitAfter: { ms: 0, code },
      });
      return Promise.resolve();
    },
    addForeign(name, file, running = false) {
      const id = crypto.randomUUID().replaceAll("-", "") + crypto.randomUUID().replaceAll("-", "");
      runtime.addForeign({
        id,
        name,
        image: IMAGE,
        imageId: `sha256:${id}`,
        state: running ? "running" : "created",
        pid: 0,
        startedAt: "0001-01-01T00:00:00Z",
        restartCount: 0,
        command: ["sleep", "3600"],
        env: { OPENCLAW_GATEWAY_TOKEN: "not-a-secret" },
        labels: {},
        exposedPorts: ["18789/tcp"],
        published: [],
        hostname: id.slice(0, 12),
        networks: ["bridge"],
        restartPolicy: "no",
        autoRemove: false,
        memoryBytes: 0,
        nanoCpus: 0,
        pidsLimit: null,
        mounts: [],
      }, { [file.path]: file.content });
      return Promise.resolve(id);
    },
    [Symbol.asyncDispose]: () => Promise.resolve(),
  });
}

async function exists(lookup: Promise<unknown>): Promise<boolean> {
  try {
    await lookup;
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

/** Collects a runtime's events until disposed. */
function watch(
  runtime: ContainerRuntime,
): { events: RuntimeEvent[]; connected: () => number } & AsyncDisposable {
  const stop = new AbortController();
  const events: RuntimeEvent[] = [];
  let connected = 0;
  const done = (async () => {
    for await (const event of runtime.watchEvents(stop.signal, () => connected++)) {
      events.push(event);
    }
  })();
  return {
    events,
    connected: () => connected,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await done;
    },
  };
}

async function stateOf(runtime: ContainerRuntime, id: string): Promise<string | undefined> {
  return (await runtime.listPodContainers()).find((c) => c.id === id)?.state;
}

const SUBJECTS: [string, () => Promise<Subject>][] = [
  ["MemoryRuntime", memorySubject],
  ["DockerRuntime", dockerSubject],
];

for (const [name, make] of SUBJECTS) {
  const test = (what: string, fn: (s: Subject) => Promise<void>) =>
    Deno.test(`${name}: ${what}`, async () => {
      await using subject = await make();
      await fn(subject);
    });

  test("listEngineContainers lists every container, ours and others', with what inspect says", async (s) => {
    const ours = await s.runtime.createPodContainer(podRequest(s, "listed"));
    const name = `contract-foreign-${RUN}-${crypto.randomUUID().slice(0, 6)}`;
    const theirs = await s.addForeign(name, { path: "/tmp/openclaw.json", content: "{}" });
    const all = await s.runtime.listEngineContainers();
    const mine = all.find((c) => c.id === ours);
    assert.ok(mine, "our pod's container is listed");
    assert.equal(mine.labels["agentpod.instance"], INSTANCE);
    assert.equal(mine.mounts.some((m) => m.destination === VOLUME_PATH), true);
    const other = all.find((c) => c.id === theirs);
    assert.ok(other, "a container that is not ours is listed too");
    assert.equal(other.name, name);
    assert.equal(other.state, "created");
    assert.equal(other.env.OPENCLAW_GATEWAY_TOKEN, "not-a-secret");
    assert.ok(other.exposedPorts.includes("18789/tcp"), other.exposedPorts.join());
    assert.deepEqual(other.command.slice(-2), ["sleep", "3600"]);
    assert.equal(other.labels["agentpod.instance"], undefined);
    assert.equal(other.autoRemove, false);
    assert.deepEqual(
      await s.runtime.listPodContainers().then((l) => l.some((c) => c.id === theirs)),
      false,
    );
  });

  test("an adopted container is listed, inspected and heard as its pod's, with no label of ours", async (s) => {
    const name = `contract-foreign-${RUN}-${crypto.randomUUID().slice(0, 6)}`;
    const id = await s.addForeign(name, { path: "/tmp/x", content: "x" }, true);
    const podId = crypto.randomUUID();
    assert.deepEqual(await s.runtime.listPodContainers(podId), [], "not adopted yet: not ours");
    assert.equal(await s.runtime.inspectPodContainer(id), undefined);
    s.adopted.set(id, podId);
    const [row, ...more] = await s.runtime.listPodContainers(podId);
    assert.deepEqual(more, []);
    assert.deepEqual([row?.id, row?.podId, row?.specHash, row?.adopted, row?.state], [
      id,
      podId,
      ADOPTED_SPEC_HASH,
      true,
      "running",
    ]);
    assert.ok((await s.runtime.listPodContainers()).some((c) => c.id === id), "in the full list");
    assert.equal((await s.runtime.inspectPodContainer(id))?.podId, podId);
    {
      await using w = watch(s.runtime);
      await waitFor("the event stream", () => w.connected() > 0, 10_000);
      await s.kill(id);
      await waitFor("its die event", () => w.events.some((e) => e.action === "die"), 10_000);
      const die = w.events.find((e) => e.action === "die")!;
      assert.deepEqual([die.podId, die.containerId], [podId, id]);
    }
    await s.runtime.start(id);
    assert.equal((await s.runtime.inspectPodContainer(id))?.state, "running", "the same container");
    s.adopted.delete(id);
    assert.deepEqual(await s.runtime.listPodContainers(podId), [], "released: not ours again");
    assert.equal(await s.runtime.inspectPodContainer(id), undefined);
  });

  test("updateLive and connectNetwork change a running container in place, no restart", async (s) => {
    const name = `contract-foreign-${RUN}-${crypto.randomUUID().slice(0, 6)}`;
    const id = await s.addForeign(name, { path: "/tmp/x", content: "x" }, true);
    s.adopted.set(id, crypto.randomUUID());
    const before = await s.runtime.inspectPodContainer(id);
    await s.runtime.updateLive(id, {
      restartPolicy: "unless-stopped",
      memoryMB: 256,
      cpus: 0.5,
      pids: 100,
    });
    const network = await s.runtime.ensureNetwork(tenantNetworkName(s.tenant), s.tenant);
    await s.runtime.connectNetwork(id, tenantNetworkName(s.tenant));
    const seen = (await s.runtime.listEngineContainers()).find((c) => c.id === id)!;
    assert.deepEqual(
      [seen.restartPolicy, seen.memoryBytes, seen.nanoCpus, seen.pidsLimit],
      ["unless-stopped", 256 * 1024 * 1024, 500_000_000, 100],
    );
    assert.ok(seen.networks.includes(tenantNetworkName(s.tenant)), seen.networks.join());
    const after = await s.runtime.inspectPodContainer(id);
    assert.deepEqual(
      [after?.state, after?.startedAt, after?.restartCount],
      [before?.state, before?.startedAt, before?.restartCount],
      "the same run",
    );
    assert.ok(network.id);
  });

  test("containerNamed finds a container by its exact name and tells whether it is ours", async (s) => {
    const request = podRequest(s, "named");
    const mine = await s.runtime.createPodContainer(request);
    assert.deepEqual(await s.runtime.containerNamed(request.containerName), {
      id: mine,
      ours: true,
    });
    const name = `contract-foreign-${RUN}-${crypto.randomUUID().slice(0, 6)}`;
    const theirs = await s.addForeign(name, { path: "/tmp/x", content: "x" });
    assert.deepEqual(await s.runtime.containerNamed(name), { id: theirs, ours: false });
    s.adopted.set(theirs, crypto.randomUUID());
    assert.deepEqual(await s.runtime.containerNamed(name), { id: theirs, ours: true }, "adopted");
    assert.equal(await s.runtime.containerNamed(`${name}-none`), undefined);
    assert.equal(await s.runtime.containerNamed(mine.slice(0, 12)), undefined, "an id is no name");
  });

  test("publishedSource is the gateway of the container's network", async (s) => {
    const request = podRequest(s, "source");
    const id = await s.runtime.createPodContainer(request);
    const network = await s.runtime.ensureNetwork(request.network, s.tenant);
    assert.equal(await s.runtime.publishedSource(id), network.gateway);
  });

  test("readContainerFile reads a regular file of any container, bounded, changing nothing", async (s) => {
    const id = await s.runtime.createPodContainer(podRequest(s, "readable", [
      { path: "config/app.json", content: '{"a":1}\n', mode: 0o600, uid: 1000 },
    ]));
    const read = (path: string, max = 1024) => s.runtime.readContainerFile(id, path, max);
    const decode = (bytes: Uint8Array | undefined) => bytes && new TextDecoder().decode(bytes);
    assert.equal(decode(await read(`${VOLUME_PATH}/config/app.json`)), '{"a":1}\n');
    assert.equal(await read(`${VOLUME_PATH}/config/missing.json`), undefined);
    assert.equal(await read(`${VOLUME_PATH}/config`), undefined, "a directory is no file");
    await assert.rejects(read(`${VOLUME_PATH}/config/app.json`, 3), ValidationError);
    const name = `contract-foreign-${RUN}-${crypto.randomUUID().slice(0, 6)}`;
    const theirs = await s.addForeign(name, { path: "/tmp/openclaw.json", content: '{"b":2}' });
    assert.equal(
      decode(await s.runtime.readContainerFile(theirs, "/tmp/openclaw.json", 1024)),
      '{"b":2}',
    );
    assert.equal(
      await s.runtime.readContainerFile("no-such-container", "/etc/passwd", 1),
      undefined,
    );
  });

  test("createPodContainer makes network, volume and a created container with its labels and files", async (s) => {
    const request = podRequest(s, "create", [
      { path: "config/app.json", content: '{"a":1}\n', mode: 0o640, uid: 1000 },
    ]);
    const before = Date.now();
    const id = await s.runtime.createPodContainer(request);
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.ok(await s.hasNetwork(request.network), "the tenant network exists");
    assert.ok(await s.hasVolume(request.volume), "the pod volume exists");
    const [listed, ...rest] = await s.runtime.listPodContainers();
    assert.deepEqual(rest, []);
    assert.ok(listed);
    assert.deepEqual({ ...listed, createdAt: 0 }, {
      id,
      name: request.containerName,
      podId: request.podId,
      specHash: "hash-create",
      state: "created",
      createdAt: 0,
    });
    assert.equal(listed.createdAt % 1000, 0, "the engine reports whole seconds");
    assert.ok(listed.createdAt >= Math.floor(before / 1000) * 1000 - 1000);
    assert.ok(listed.createdAt <= Date.now() + 1000);
    assert.deepEqual(await s.readFile(id, "config/app.json"), {
      content: '{"a":1}\n',
      mode: 0o640,
      uid: 1000,
    });
  });

  test("a second container with a taken name is a ConflictError", async (s) => {
    const first = podRequest(s, "dup");
    await s.runtime.createPodContainer(first);
    const second = { ...podRequest(s, "dup"), containerName: first.containerName };
    await assert.rejects(s.runtime.createPodContainer(second), ConflictError);
    assert.equal((await s.runtime.listPodContainers()).length, 1);
  });

  test("start runs the container, a second start is a no-op", async (s) => {
    const id = await s.runtime.createPodContainer(podRequest(s, "start"));
    await s.runtime.start(id);
    assert.equal(await stateOf(s.runtime, id), "running");
    await s.runtime.start(id);
    assert.equal(await stateOf(s.runtime, id), "running");
    assert.equal((await s.runtime.listPodContainers()).length, 1);
  });

  test("start of a second container on a bound host port fails and leaves it created", async (s) => {
    const first = podRequest(s, "port-a");
    const idA = await s.runtime.createPodContainer(first);
    const idB = await s.runtime.createPodContainer({
      ...podRequest(s, "port-b"),
      hostPort: first.hostPort,
    });
    await s.runtime.start(idA);
    await assert.rejects(s.runtime.start(idB), DockerApiError);
    assert.equal(await stateOf(s.runtime, idB), "created");
    await s.runtime.stop(idA, 5);
    await s.runtime.start(idB);
    assert.equal(await stateOf(s.runtime, idB), "running");
  });

  test("start of an unknown container is a NotFoundError", async (s) => {
    await assert.rejects(s.runtime.start("0".repeat(64)), NotFoundError);
  });

  test("stop leaves the container exited; stopping it again or an unknown one is fine", async (s) => {
    const id = await s.runtime.createPodContainer(podRequest(s, "stop"));
    await s.runtime.stop(id, 5);
    assert.equal(
      await stateOf(s.runtime, id),
      "created",
      "stopping a created container changes nothing",
    );
    await s.runtime.start(id);
    await s.runtime.stop(id, 5);
    assert.equal(await stateOf(s.runtime, id), "exited");
    await s.runtime.stop(id, 5);
    await s.runtime.stop("0".repeat(64), 5);
    assert.equal(await stateOf(s.runtime, id), "exited");
  });

  test("writeFiles puts files into the volume, nested and overwritten", async (s) => {
    const id = await s.runtime.createPodContainer(podRequest(s, "files"));
    await s.runtime.start(id);
    await s.runtime.writeFiles(id, VOLUME_PATH, [
      { path: "workspace/notes/SOUL.md", content: "be kind\n", mode: 0o600, uid: 1000 },
      { path: "top.txt", content: "one", mode: 0o644, uid: 0 },
    ]);
    assert.deepEqual(await s.readFile(id, "workspace/notes/SOUL.md"), {
      content: "be kind\n",
      mode: 0o600,
      uid: 1000,
    });
    await s.runtime.writeFiles(id, VOLUME_PATH, [
      { path: "top.txt", content: "two", mode: 0o644, uid: 0 },
    ]);
    assert.deepEqual(await s.readFile(id, "top.txt"), { content: "two", mode: 0o644, uid: 0 });
    assert.equal(await s.readFile(id, "absent.txt"), undefined);
    await assert.rejects(
      s.runtime.writeFiles("0".repeat(64), VOLUME_PATH, [
        { path: "x", content: "", mode: 0o644, uid: 0 },
      ]),
      NotFoundError,
    );
  });

  test("remove takes a running container away; removing it again is fine", async (s) => {
    const request = podRequest(s, "remove");
    const id = await s.runtime.createPodContainer(request);
    await s.runtime.start(id);
    await s.runtime.remove(id);
    assert.deepEqual(await s.runtime.listPodContainers(), []);
    await s.runtime.remove(id);
    // The name is free again.
    const again = await s.runtime.createPodContainer({ ...request, podId: crypto.randomUUID() });
    assert.notEqual(again, id);
  });

  test("ensureNetwork creates the tenant network once and gives its IPv4 gateway", async (s) => {
    const request = podRequest(s, "network");
    const first = await s.runtime.ensureNetwork(request.network, request.tenant);
    assert.ok(await s.hasNetwork(request.network), "the tenant network exists");
    assert.match(first.gateway, /^\d+\.\d+\.\d+\.1$/);
    const [again, concurrent] = await Promise.all([
      s.runtime.ensureNetwork(request.network, request.tenant),
      s.runtime.ensureNetwork(request.network, request.tenant),
    ]);
    assert.deepEqual(again, first);
    assert.deepEqual(concurrent, first);
    // The pod's container joins that same network.
    await s.runtime.createPodContainer(request);
    assert.deepEqual(await s.runtime.ensureNetwork(request.network, request.tenant), first);
  });

  test("removeVolume and removeNetwork refuse while in use, then remove, then are fine", async (s) => {
    const request = podRequest(s, "volume");
    const id = await s.runtime.createPodContainer(request);
    await s.runtime.start(id);
    await assert.rejects(s.runtime.removeVolume(request.volume), ConflictError);
    await assert.rejects(s.runtime.removeNetwork(request.network));
    await s.runtime.remove(id);
    await s.runtime.removeVolume(request.volume);
    await s.runtime.removeNetwork(request.network);
    assert.equal(await s.hasVolume(request.volume), false);
    assert.equal(await s.hasNetwork(request.network), false);
    await s.runtime.removeVolume(request.volume);
    await s.runtime.removeNetwork(request.network);
  });

  test("events: start, die with 137 after a kill, destroy after removal", async (s) => {
    const request = podRequest(s, "events");
    const id = await s.runtime.createPodContainer(request);
    await using watcher = watch(s.runtime);
    const { events } = watcher;
    const seen = (action: string) => () =>
      events.some((e) => e.containerId === id && e.action === action);
    await s.runtime.start(id);
    // The start event also proves the subscription is live before the kill.
    await waitFor("the start event", seen("start"), 5_000);
    await s.kill(id);
    await waitFor("the die event", seen("die"), 2_000);
    const die = events.find((e) => e.action === "die")!;
    assert.equal(die.exitCode, 137);
    assert.equal(die.podId, request.podId);
    assert.ok(Math.abs(die.time - Date.now()) < 10_000, `event time ${die.time}`);
    assert.equal(await stateOf(s.runtime, id), "exited");
    await s.runtime.remove(id);
    await waitFor("the destroy event", seen("destroy"), 2_000);
    assert.ok(events.every((e) => e.podId === request.podId));
  });

  test("usage: numbers for a running container, zero for a stopped one, NotFoundError for an unknown one", async (s) => {
    const id = await s.runtime.createPodContainer(podRequest(s, "usage"));
    await s.runtime.start(id);
    const running = await s.runtime.usage(id);
    assert.ok(running.cpu >= 0 && Number.isFinite(running.cpu), `cpu ${running.cpu}`);
    assert.ok(running.memoryMB >= 0 && running.memoryMB <= 64, `memory ${running.memoryMB}`);
    assert.ok(running.cpuSeconds >= 0 && Number.isFinite(running.cpuSeconds));
    const instant = await s.runtime.usage(id, { instant: true });
    assert.ok(instant.cpuSeconds >= running.cpuSeconds, "the counter only grows within a run");
    await s.runtime.stop(id, 5);
    assert.deepEqual(await s.runtime.usage(id), { cpu: 0, memoryMB: 0, cpuSeconds: 0 });
    await assert.rejects(s.runtime.usage("0".repeat(64)), NotFoundError);
  });

  test("ensureImage gives the fixture's image id and is a ValidationError for an absent image", async (s) => {
    assert.match(await s.runtime.ensureImage(IMAGE), /^sha256:[0-9a-f]{64}$/, "the local image id");
    await assert.rejects(
      s.runtime.ensureImage("agentpod-nonexistent:1"),
      (error) => error instanceof ValidationError && /is not on this host/.test(error.message),
    );
  });

  test("checkImage changes nothing: fine for a local image, a ValidationError for one no registry has", async (s) => {
    await s.runtime.checkImage(IMAGE);
    await assert.rejects(
      s.runtime.checkImage("agentpod-nonexistent:1"),
      (error) => error instanceof ValidationError && /cannot be pulled/.test(error.message),
    );
  });

  test("listTenantNetworks lists this instance's tenant networks by tenant", async (s) => {
    const request = podRequest(s, "netlist");
    await s.runtime.ensureNetwork(request.network, request.tenant);
    const rows = await s.runtime.listTenantNetworks();
    assert.deepEqual(rows.filter((r) => r.name === request.network), [
      { name: request.network, tenant: request.tenant },
    ]);
    await s.runtime.removeNetwork(request.network);
    assert.equal(
      (await s.runtime.listTenantNetworks()).some((r) => r.name === request.network),
      false,
    );
  });

  test("listPodContainers(podId) returns only that pod's containers", async (s) => {
    const a = podRequest(s, "pod-a");
    const b = podRequest(s, "pod-b");
    const idA = await s.runtime.createPodContainer(a);
    const idB = await s.runtime.createPodContainer(b);
    assert.deepEqual((await s.runtime.listPodContainers(a.podId)).map((c) => c.id), [idA]);
    assert.deepEqual((await s.runtime.listPodContainers(b.podId)).map((c) => c.id), [idB]);
    assert.deepEqual(await s.runtime.listPodContainers(crypto.randomUUID()), []);
    assert.deepEqual(
      new Set((await s.runtime.listPodContainers()).map((c) => c.id)),
      new Set([idA, idB]),
    );
  });

  test("another instance id sees neither our containers nor their events", async (s) => {
    const request = podRequest(s, "mine");
    const id = await s.runtime.createPodContainer(request);
    await using ours = watch(s.runtime);
    await using theirs = watch(s.other);
    assert.deepEqual(await s.other.listPodContainers(), []);
    assert.deepEqual(await s.other.listPodContainers(request.podId), []);
    await s.runtime.start(id);
    await waitFor("our start event", () => ours.events.some((e) => e.containerId === id), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(theirs.events, []);
    // Names are the engine's, not the instance's.
    await assert.rejects(s.other.createPodContainer({ ...podRequest(s, "mine") }), ConflictError);
  });

  test("a process that exits by itself is restarted by the engine: RestartCount counts it", async (s) => {
    const request = podRequest(s, "policy");
    const id = await s.runtime.createPodContainer(request);
    await using watcher = watch(s.runtime);
    await s.runtime.start(id);
    const before = await s.runtime.inspectPodContainer(id);
    assert.equal(before?.state, "running");
    assert.equal(before?.restartCount, 0);
    assert.equal(before?.finishedAt, null, "never exited yet");
    assert.ok(before?.startedAt && Math.abs(before.startedAt - Date.now()) < 10_000);
    await s.crash(id);
    // Docker counts the restart as soon as it decides on it, while `restarting`.
    for (let i = 0; i < 200; i++) {
      const seen = await s.runtime.inspectPodContainer(id);
      if (seen?.state === "restarting") {
        assert.equal(seen.restartCount, 1, "RestartCount while restarting");
        break;
      }
      if (seen?.state === "running" && seen.restartCount === 1) break; // missed the window
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitFor(
      "the engine's restart",
      () => watcher.events.filter((e) => e.containerId === id && e.action === "start").length >= 2,
      10_000,
    );
    const after = await s.runtime.inspectPodContainer(id);
    assert.equal(after?.state, "running");
    assert.equal(after?.restartCount, 1);
    assert.ok(after!.startedAt! > before!.startedAt!, "a new StartedAt");
    assert.ok(after!.finishedAt! >= before!.startedAt!, "FinishedAt is the crash");
    assert.equal(after?.exitCode, 0, "the exit code is cleared by the restart");
    const die = watcher.events.find((e) => e.containerId === id && e.action === "die");
    assert.equal(die?.exitCode, 137, "the die event keeps the crash's code");
  });

  test("a kill is a manual stop: never restarted; a manual start resets RestartCount", async (s) => {
    const id = await s.runtime.createPodContainer(podRequest(s, "manual"));
    await s.runtime.start(id);
    await s.crash(id);
    for (let i = 0; i < 100; i++) {
      if ((await s.runtime.inspectPodContainer(id))?.restartCount === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await s.runtime.inspectPodContainer(id))?.restartCount, 1);
    for (let i = 0; i < 50 && (await stateOf(s.runtime, id)) !== "running"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await s.kill(id);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const killed = await s.runtime.inspectPodContainer(id);
    assert.equal(killed?.state, "exited", "no policy restart after a kill");
    assert.equal(killed?.exitCode, 137);
    await s.runtime.start(id);
    assert.equal((await s.runtime.inspectPodContainer(id))?.restartCount, 0);
  });

  test("inspectPodContainer: undefined for a gone or foreign container", async (s) => {
    const id = await s.runtime.createPodContainer(podRequest(s, "inspect"));
    const created = await s.runtime.inspectPodContainer(id);
    assert.equal(created?.state, "created");
    assert.equal(created?.startedAt, null);
    assert.equal(await s.other.inspectPodContainer(id), undefined, "not another instance's");
    await s.runtime.remove(id);
    assert.equal(await s.runtime.inspectPodContainer(id), undefined);
  });

  test("rename keeps a running container serving under its new name; a taken name is a conflict", async (s) => {
    const a = podRequest(s, "rename-a");
    const b = podRequest(s, "rename-b");
    const idA = await s.runtime.createPodContainer(a);
    await s.runtime.createPodContainer(b);
    await s.runtime.start(idA);
    await s.runtime.rename(idA, `${a.containerName}.prev`);
    const renamed = await s.runtime.inspectPodContainer(idA);
    assert.equal(renamed?.name, `${a.containerName}.prev`);
    assert.equal(renamed?.state, "running");
    await assert.rejects(s.runtime.rename(idA, b.containerName), ConflictError);
    // The old name is free again.
    const again = await s.runtime.createPodContainer({ ...a, podId: crypto.randomUUID() });
    assert.notEqual(again, idA);
  });

  test("watchEvents tells when its subscription is established", async (s) => {
    await using watcher = watch(s.runtime);
    await waitFor("the subscription", () => watcher.connected() === 1, 5_000);
  });

  test("kill events carry the signal: a stop asks with 15 first, a kill sends 9 alone", async (s) => {
    const a = await s.runtime.createPodContainer(podRequest(s, "sig-stop"));
    const b = await s.runtime.createPodContainer(podRequest(s, "sig-kill"));
    await using watcher = watch(s.runtime);
    await s.runtime.start(a);
    await s.runtime.start(b);
    await waitFor(
      "the starts",
      () => watcher.events.filter((e) => e.action === "start").length === 2,
      5_000,
    );
    await s.runtime.stop(a, 5);
    await s.kill(b);
    const dead = (id: string) => () =>
      watcher.events.some((e) => e.containerId === id && e.action === "die");
    await waitFor("both deaths", () => dead(a)() && dead(b)(), 10_000);
    const signals = (id: string) =>
      watcher.events.filter((e) => e.containerId === id && e.action === "kill").map((e) =>
        e.signal
      );
    assert.equal(signals(a)[0], "15", `stop: ${signals(a).join(",")}`);
    assert.deepEqual(signals(b), ["9"]);
  });

  test("inspectImage gives id and labels by reference or id, undefined when absent", async (s) => {
    const byRef = await s.runtime.inspectImage(IMAGE);
    assert.ok(byRef);
    assert.match(byRef.id, /^sha256:[0-9a-f]{64}$|^sha256:[0-9a-f]+$/);
    assert.equal(typeof byRef.labels, "object");
    assert.deepEqual(await s.runtime.inspectImage(byRef.id), byRef);
    assert.equal(await s.runtime.ensureImage(IMAGE), byRef.id, "the id ensureImage pins");
    assert.equal(await s.runtime.inspectImage("agentpod-nonexistent:1"), undefined);
    const broken = `agentpod-contract-broken:${RUN}`;
    await s.addBrokenImage(broken, 3);
    const info = await s.runtime.inspectImage(broken);
    assert.equal(info?.labels["org.opencontainers.image.version"], "2");
  });

  test("smokeRun: the exit code of an image that exits, null for one still running; nothing left", async (s) => {
    const broken = `agentpod-contract-broken:${RUN}`;
    await s.addBrokenImage(broken, 3);
    assert.equal((await s.runtime.smokeRun(broken, { timeoutMs: 10_000 })).exitCode, 3);
    const fine = await s.runtime.smokeRun(IMAGE, { command: ["true"], timeoutMs: 10_000 });
    assert.equal(fine.exitCode, 0);
    const serving = await s.runtime.smokeRun(IMAGE, { timeoutMs: 1_000 });
    assert.equal(serving.exitCode, null, "the fixture's httpd keeps running");
    assert.deepEqual(await s.runtime.listPodContainers(), [], "no pod container, none left");
  });

  test("copyDirectory copies a stopped container's volume into a new one, owners and modes kept", async (s) => {
    const from = podRequest(s, "copy-from", [
      { path: "state/db.json", content: '{"n":1}', mode: 0o600, uid: 1000 },
    ]);
    const source = await s.runtime.createPodContainer(from);
    const to = { ...podRequest(s, "copy-to"), volume: `${from.volume}-e1` };
    const target = await s.runtime.createPodContainer(to);
    await s.runtime.copyDirectory(source, target, VOLUME_PATH);
    assert.deepEqual(await s.readFile(target, "state/db.json"), {
      content: '{"n":1}',
      mode: 0o600,
      uid: 1000,
    });
    assert.ok(await s.hasVolume(`${from.volume}-e1`));
    await s.runtime.remove(source);
    await s.runtime.remove(target);
    await s.runtime.removePodVolumes(from.podId);
    await s.runtime.removePodVolumes(to.podId);
    assert.equal(await s.hasVolume(from.volume), false);
    assert.equal(await s.hasVolume(`${from.volume}-e1`), false);
  });

  test("exec runs a command in a running container: output and exit code", async (s) => {
    const id = await s.runtime.createPodContainer(podRequest(s, "exec"));
    await s.runtime.start(id);
    const out = await s.runtime.exec(id, ["echo", "hello", "there"]);
    assert.deepEqual(out, { exitCode: 0, stdout: "hello there\n", stderr: "" });
    const missing = await s.runtime.exec(id, ["agentpod-no-such-tool"]);
    assert.equal(missing.exitCode, 126, "the OCI runtime cannot start it");
    assert.match(missing.stdout + missing.stderr, /executable file not found/);
  });
}
