/**
 * The store contract, run once per driver (store_test.ts): migrations, transactions,
 * error mapping, value types, row-level security and advisory locks must behave the
 * same on PGlite and on a PostgreSQL server. Every test gets its own database.
 * @module
 */

import assert from "node:assert/strict";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.ts";
import type { SqlSession } from "../../providers/store/mod.ts";
import { loadMigrations, MigrationError, SqlError } from "../../providers/store/mod.ts";
import { createStore, inTransaction } from "../../providers/store/store.ts";
import { migrationDir, type StoreFixture } from "./_store_fixtures.ts";

/** Two tenants with one pod, one event and one token each. */
async function seedTwoTenants(db: SqlSession): Promise<void> {
  await db.exec(`
    INSERT INTO tenants (id, display_name) VALUES ('a', 'Tenant A'), ('b', 'Tenant B');
    INSERT INTO pods (tenant_id, name, adapter, image) VALUES
      ('a', 'web', 'generic', 'busybox'), ('b', 'web', 'generic', 'busybox');
    INSERT INTO pod_events (tenant_id, pod_id, pod_name, type, reason, message)
      SELECT tenant_id, id, name, 'Normal', 'Created', 'Pod created' FROM pods;
    INSERT INTO api_tokens (name, token_hash, tenant_id) VALUES
      ('ci-a', repeat('a', 64), 'a'), ('ci-b', repeat('b', 64), 'b'), ('admin', repeat('c', 64), NULL);
  `);
}

async function count(db: SqlSession, table: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
  return row!.n;
}

/** Registers the contract tests for one driver; names start with `[pglite]`/`[postgres]`. */
export function storeSuite(fixture: StoreFixture): void {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({ name: `[${fixture.dialect}] ${name}`, fn });

  test("migrations apply in order and are recorded", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    const rows = await db.query<{ version: number; name: string; checksum: string }>(
      "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
    );
    const shipped = await loadMigrations();
    assert.equal(shipped[0]?.name, "0001_init.sql");
    assert.deepEqual(rows.map((r) => [r.version, r.name]), shipped.map((m) => [m.version, m.name]));
    assert.deepEqual(rows.map((r) => r.checksum), shipped.map((m) => m.checksum));
    const tables = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = current_schema() ORDER BY table_name`,
    );
    // Sorted here: a server's collation may order "backup_tasks" and "backups" otherwise.
    assert.deepEqual(tables.map((t) => t.table_name).sort(), [
      "alert_deliveries",
      "alert_endpoints",
      "alerts",
      "api_tokens",
      "backup_policies",
      "backup_tasks",
      "backups",
      "dashboard_sessions",
      "pod_events",
      "pod_runs",
      "pods",
      "rollout_pods",
      "rollouts",
      "schema_migrations",
      "settings",
      "tenants",
      "usage_cursors",
      "usage_daily",
    ]);
  });

  test("dashboard sessions: found until they expire, deleted one by one or all", async () => {
    await using fresh = await fixture.fresh();
    const store = createStore(await fresh.open());
    const now = new Date("2026-11-29T12:00:00Z");
    const hour = 60 * 60 * 1000;
    const a = "a".repeat(64);
    const b = "b".repeat(64);
    await store.sessions.create({ idHash: a, csrfToken: "t-a", expiresAt: new Date(+now + hour) });
    await store.sessions.create({ idHash: b, csrfToken: "t-b", expiresAt: new Date(+now - 1) });
    const found = await store.sessions.find(a, now);
    assert.equal(found?.csrfToken, "t-a");
    assert.equal(found?.expiresAt, new Date(+now + hour).toISOString());
    assert.equal(await store.sessions.find(b, now), undefined, "an expired session is not found");
    assert.equal(await store.sessions.find(a, new Date(+now + 2 * hour)), undefined);
    assert.equal(await store.sessions.deleteExpired(now), 1);
    await store.sessions.delete(a);
    assert.equal(await store.sessions.find(a, now), undefined);
    await store.sessions.create({ idHash: b, csrfToken: "t-b", expiresAt: new Date(+now + hour) });
    await store.sessions.deleteAll();
    assert.equal(await store.sessions.find(b, now), undefined);
    await assert.rejects(
      store.sessions.create({ idHash: "not-a-hash", csrfToken: "x", expiresAt: now }),
      ValidationError,
    );
  });

  test("pods.updateSpec: replaces config, secrets and image, bumps the generation, refuses stale writes", async () => {
    await using fresh = await fixture.fresh();
    const store = createStore(await fresh.open());
    await store.tenants.create("acme", "Acme");
    const pod = await store.pods.create({
      tenant: "acme",
      name: "web",
      adapter: "generic",
      image: "busybox:1",
      config: { port: 8080 },
      secrets: new Uint8Array([1, 2, 3]),
      resources: { memoryMB: 256, cpus: 0.5, pids: 256 },
      hostPort: 20001,
    });
    const updated = await store.pods.updateSpec(pod.id, pod.generation, {
      config: { port: 9090, env: { A: "1" } },
      secrets: new Uint8Array([4, 5]),
    });
    assert.equal(updated.generation, pod.generation + 1);
    assert.deepEqual(updated.spec.config, { port: 9090, env: { A: "1" } });
    assert.deepEqual([...updated.secrets!], [4, 5]);
    assert.equal(updated.spec.image, "busybox:1", "fields not given are kept");
    const imaged = await store.pods.updateSpec(pod.id, updated.generation, { image: "busybox:2" });
    assert.equal(imaged.spec.image, "busybox:2");
    assert.deepEqual(imaged.spec.config, { port: 9090, env: { A: "1" } });
    // A writer that read generation 1 loses against the one that wrote generation 2.
    await assert.rejects(
      store.pods.updateSpec(pod.id, pod.generation, { config: {} }),
      ConflictError,
    );
    const deleting = await store.pods.setDesiredState(pod.id, "deleted");
    await assert.rejects(
      store.pods.updateSpec(pod.id, deleting.generation, { config: {} }),
      { name: "ConflictError", message: "The pod is being deleted" },
    );
    await assert.rejects(
      store.pods.updateSpec(crypto.randomUUID(), 1, { config: {} }),
      NotFoundError,
    );
  });

  test("pods.listStates: every pod's light state, nulls and all, as get() has it", async () => {
    await using fresh = await fixture.fresh();
    const store = createStore(await fresh.open());
    assert.deepEqual(await store.pods.listStates(), []);
    await store.tenants.create("acme", "Acme");
    const base = {
      tenant: "acme",
      adapter: "generic",
      image: "busybox:1",
      config: {},
      secrets: new Uint8Array([1]),
      resources: { memoryMB: 256, cpus: 0.5, pids: 256 },
    };
    const fresh1 = await store.pods.create({ ...base, name: "new", hostPort: 20001 });
    const busy = await store.pods.create({ ...base, name: "busy-1", hostPort: 20002 });
    await store.pods.updateStatus(busy.id, {
      phase: "failed",
      containerId: "c".repeat(64),
      filesHash: "0123456789abcdef",
      failedGeneration: busy.generation,
    });
    await store.pods.requestRestart(busy.id);
    await store.pods.setDesiredState(busy.id, "stopped");
    const states = new Map((await store.pods.listStates()).map((s) => [s.name, s]));
    assert.deepEqual(states.get("new"), {
      id: fresh1.id,
      tenant: "acme",
      name: "new",
      generation: fresh1.generation,
      desiredState: "running",
      phase: "pending",
      containerId: null,
      hostPort: 20001,
      adapter: "generic",
      filesHash: "",
      restartRequested: 0,
      restartObserved: 0,
      failedGeneration: null,
      operationId: null,
      adoptedContainerId: null,
    });
    const after = await store.pods.get("acme", "busy-1");
    assert.deepEqual(states.get("busy-1"), {
      id: busy.id,
      tenant: "acme",
      name: "busy-1",
      generation: after.generation,
      desiredState: "stopped",
      phase: "failed",
      containerId: "c".repeat(64),
      hostPort: 20002,
      adapter: "generic",
      filesHash: "0123456789abcdef",
      restartRequested: after.spec.restartRequested,
      restartObserved: 0,
      failedGeneration: busy.generation,
      operationId: null,
      adoptedContainerId: null,
    });
    assert.ok(after.spec.restartRequested > 0);
  });

  test("adopted pods: one per container, found by it, their record rewritten, forgotten alone", async () => {
    await using fresh = await fixture.fresh();
    const store = createStore(await fresh.open());
    await store.tenants.create("acme", "Acme");
    const adoption = {
      containerId: "f".repeat(64),
      containerName: "openclaw",
      imageId: "sha256:abc",
      stateDir: { kind: "volume" as const, source: "oc-state", path: "/home/node/.openclaw" },
      hostname: "f00d",
      containerPort: 18789,
      networks: ["bridge"],
      restartPolicy: "no",
      adoptedAt: "2026-12-02T00:00:00.000Z",
      active: true,
    };
    const base = {
      tenant: "acme",
      adapter: "openclaw",
      image: "ghcr.io/openclaw/openclaw:2026.9.6",
      config: {},
      secrets: new Uint8Array([1]),
      resources: { memoryMB: 1024, cpus: 1, pids: 512 },
    };
    const pod = await store.pods.create({ ...base, name: "gw", hostPort: 18789, adoption });
    assert.deepEqual(pod.adoption, adoption);
    assert.equal(pod.spec.imageId, "sha256:abc", "pinned to the image it runs");
    await assert.rejects(
      store.pods.create({ ...base, name: "twice", hostPort: 18790, adoption }),
      (error: Error) => error instanceof ConflictError && /adopted already/.test(error.message),
    );
    assert.equal((await store.pods.findAdopted(adoption.containerId))?.id, pod.id);
    assert.equal(await store.pods.findAdopted("0".repeat(64)), undefined);
    const states = await store.pods.listStates();
    assert.equal(states.find((s) => s.id === pod.id)?.adoptedContainerId, adoption.containerId);
    await store.pods.setAdoption(pod.id, { ...adoption, routed: true });
    assert.equal((await store.pods.getById(pod.id))?.adoption?.routed, true);
    const made = await store.pods.create({ ...base, name: "made", hostPort: 20001 });
    assert.equal(made.adoption, null);
    assert.equal(await store.pods.forgetAdopted(made.id), false, "only adopted pods are forgotten");
    assert.ok(await store.pods.getById(made.id));
    assert.equal(await store.pods.forgetAdopted(pod.id), true);
    assert.equal(await store.pods.getById(pod.id), undefined);
  });

  test("rollouts: created with their pods in order, listed newest first, written step by step", async () => {
    await using fresh = await fixture.fresh();
    const store = createStore(await fresh.open());
    const options = {
      maxUnavailable: "1",
      canary: 1,
      maxFailures: 1,
      minReadyMs: 10_000,
      progressDeadlineMs: 180_000,
      allowDowngrade: false,
    };
    const a = crypto.randomUUID();
    const b = crypto.randomUUID();
    const created = await store.rollouts.create({
      image: "agentpod/openclaw:2026.9.6",
      options,
      items: [
        { podId: b, tenant: "acme", pod: "web-2", position: 1, canary: false },
        { podId: a, tenant: "acme", pod: "web-1", position: 0, canary: true },
      ],
    });
    assert.equal(created.state, "preflight");
    assert.equal(created.imageId, null);
    assert.deepEqual(created.options, options);
    assert.deepEqual(created.items.map((i) => [i.pod, i.canary, i.state]), [
      ["web-1", true, "pending"],
      ["web-2", false, "pending"],
    ]);
    const at = "2026-12-02T01:00:00.000Z";
    await store.rollouts.updateItem(created.id, a, {
      state: "upgrading",
      step: "stopped",
      oldImage: "agentpod/openclaw:2026.9.5",
      oldImageId: null,
      oldVolumeEpoch: 0,
      oldContainerId: "c".repeat(64),
      startedAt: at,
      stoppedAt: at,
      message: "stopping the old container",
    });
    const running = await store.rollouts.update(created.id, {
      state: "running",
      imageId: `sha256:${"1".repeat(64)}`,
      message: "1 of 2",
    });
    assert.equal(running.state, "running");
    assert.equal(running.imageId, `sha256:${"1".repeat(64)}`);
    const item = running.items[0]!;
    assert.deepEqual(
      [item.state, item.step, item.oldImage, item.oldImageId, item.oldVolumeEpoch, item.stoppedAt],
      ["upgrading", "stopped", "agentpod/openclaw:2026.9.5", null, 0, at],
    );
    const second = await store.rollouts.create({ image: "x:1", options, items: [] });
    assert.deepEqual((await store.rollouts.list()).map((r) => r.id), [second.id, created.id]);
    assert.deepEqual(
      (await store.rollouts.list({ states: ["running", "paused"] })).map((r) => r.id),
      [created.id],
    );
    const done = await store.rollouts.update(created.id, {
      state: "succeeded",
      message: null,
      finished: true,
    });
    assert.equal(done.message, null);
    assert.ok(done.finishedAt);
    await assert.rejects(store.rollouts.get(crypto.randomUUID()), NotFoundError);
  });

  test("pods.lease: one operation at a time; setImage moves image and volume, bumping the generation", async () => {
    await using fresh = await fixture.fresh();
    const store = createStore(await fresh.open());
    await store.tenants.create("acme", "Acme");
    const pod = await store.pods.create({
      tenant: "acme",
      name: "web",
      adapter: "generic",
      image: "busybox:1",
      config: {},
      secrets: new Uint8Array([1]),
      resources: { memoryMB: 256, cpus: 0.5, pids: 256 },
      hostPort: 20001,
    });
    assert.equal(pod.operationId, null);
    assert.deepEqual([pod.spec.imageId, pod.spec.volumeEpoch], [null, 0]);
    const op = crypto.randomUUID();
    assert.equal(await store.pods.lease(pod.id, op), true);
    assert.equal(await store.pods.lease(pod.id, op), true, "the holder again");
    assert.equal(await store.pods.lease(pod.id, crypto.randomUUID()), false, "another");
    assert.equal((await store.pods.listStates())[0]?.operationId, op);
    const moved = await store.pods.setImage(pod.id, {
      image: "busybox:2",
      imageId: `sha256:${"2".repeat(64)}`,
      volumeEpoch: 1,
    });
    assert.equal(moved.generation, pod.generation + 1);
    assert.deepEqual([moved.spec.image, moved.spec.imageId, moved.spec.volumeEpoch], [
      "busybox:2",
      `sha256:${"2".repeat(64)}`,
      1,
    ]);
    await store.pods.release(pod.id, crypto.randomUUID()); // not the holder: no effect
    assert.equal((await store.pods.get("acme", "web")).operationId, op);
    await store.pods.release(pod.id, op);
    assert.equal((await store.pods.get("acme", "web")).operationId, null);
    await store.pods.setDesiredState(pod.id, "stopped");
    assert.equal(await store.pods.lease(pod.id, op), false, "only a running pod is upgraded");
  });

  test("reopening applies nothing again and keeps the data", async () => {
    await using fresh = await fixture.fresh();
    const first = await fresh.open();
    await first.query("INSERT INTO tenants (id) VALUES ('keep')");
    const before = await first.query<{ applied_at: Date }>(
      "SELECT applied_at FROM schema_migrations ORDER BY version",
    );
    await first.close();
    const again = await fresh.open();
    const after = await again.query<{ applied_at: Date }>(
      "SELECT applied_at FROM schema_migrations ORDER BY version",
    );
    assert.deepEqual(after, before);
    assert.deepEqual(await again.query("SELECT id FROM tenants"), [{ id: "keep" }]);
  });

  test("two processes opening an empty database at once migrate it once", async () => {
    await using fresh = await fixture.fresh();
    const [a] = await Promise.all([fresh.open(), fresh.open()]);
    assert.equal(await count(a, "schema_migrations"), (await loadMigrations()).length);
  });

  test("a failed migration rolls back fully and names the file", async () => {
    await using fresh = await fixture.fresh();
    const dir = await migrationDir({
      "0001_good.sql": "CREATE TABLE good (id int PRIMARY KEY);",
      "0002_broken.sql": "CREATE TABLE half (id int);\nINSERT INTO nowhere VALUES (1);",
    });
    try {
      await assert.rejects(fresh.open({ migrationsDir: dir }), (error: unknown) => {
        assert.ok(error instanceof MigrationError);
        assert.equal(error.file, "0002_broken.sql");
        assert.match(error.message, /^Migration "0002_broken.sql" failed: .*"nowhere"/);
        return true;
      });
      const db = await fresh.open({ migrate: false });
      const tables = await db.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
          WHERE table_schema = current_schema() ORDER BY 1`,
      );
      assert.deepEqual(tables.map((t) => t.name), ["good", "schema_migrations"]);
      assert.deepEqual(await db.query("SELECT version FROM schema_migrations"), [{ version: 1 }]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  test("an applied migration that was edited is refused by checksum", async () => {
    await using fresh = await fixture.fresh();
    const dir = await migrationDir({ "0001_one.sql": "CREATE TABLE one (id int);" });
    try {
      await (await fresh.open({ migrationsDir: dir })).close();
      await Deno.writeTextFile(`${dir}/0001_one.sql`, "CREATE TABLE one (id bigint);");
      await assert.rejects(
        fresh.open({ migrationsDir: dir }),
        /^MigrationError: Migration "0001_one.sql" changed after it was applied \(checksum/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  test("transactions commit on success and roll back when the callback throws", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    const result = await db.transaction(async (tx) => {
      await tx.query("INSERT INTO tenants (id) VALUES ('kept')");
      return "done";
    });
    assert.equal(result, "done");
    const boom = new Error("boom");
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO tenants (id) VALUES ('lost')");
        throw boom;
      }),
      (error) => error === boom,
    );
    assert.deepEqual(await db.query("SELECT id FROM tenants"), [{ id: "kept" }]);
  });

  test("a transaction whose statement failed rolls back even if the error was caught", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO tenants (id) VALUES ('lost')");
        await tx.query("INSERT INTO tenants (id) VALUES ('lost')").catch(() => {});
      }),
      (error: unknown) => error instanceof SqlError && error.code === "25P02",
    );
    assert.equal(await count(db, "tenants"), 0);
  });

  test("constraint violations map to ConflictError, NotFoundError and ValidationError", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    await seedTwoTenants(db);
    await assert.rejects(db.query("INSERT INTO tenants (id) VALUES ('a')"), ConflictError);
    const dup = "INSERT INTO pods (tenant_id, name, adapter, image) VALUES ('a', 'web', 'g', 'i')";
    await assert.rejects(db.query(dup), {
      name: "ConflictError",
      message: /pods_tenant_name_unique/,
    });
    await db.query("UPDATE pods SET host_port = 20001 WHERE tenant_id = 'a'");
    await assert.rejects(db.query("UPDATE pods SET host_port = 20001 WHERE tenant_id = 'b'"), {
      name: "ConflictError",
      details: { sqlState: "23505", constraint: "pods_host_port_key", table: "pods" },
    });
    await assert.rejects(
      db.query("INSERT INTO pods (tenant_id, name, adapter, image) VALUES ('zz', 'x', 'g', 'i')"),
      NotFoundError,
    );
    // PostgreSQL 15 reports 23503, PGlite's PostgreSQL 18 reports 23001: both are a 409.
    await assert.rejects(db.query("DELETE FROM tenants WHERE id = 'a'"), ConflictError);
    await assert.rejects(db.query("INSERT INTO tenants (id) VALUES ('Not_A_Label')"), (e) => {
      assert.ok(e instanceof ValidationError);
      assert.match(e.message, /tenants_id_dns_label/);
      assert.doesNotMatch(e.message, /Failing row/);
      return true;
    });
    await assert.rejects(db.query("SELECT * FROM pods WHERE id = $1", ["x"]), ValidationError);
  });

  test("values come back as the same JS types", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    await db.query("INSERT INTO tenants (id, labels) VALUES ('a', $1::jsonb)", [
      JSON.stringify({ team: "x", n: 1 }),
    ]);
    const secret = new Uint8Array([0, 1, 127, 128, 255]);
    const [pod] = await db.query<Record<string, unknown>>(
      `INSERT INTO pods (tenant_id, name, adapter, image, config, secrets, host_port)
       VALUES ('a', 'p', 'generic', 'img', $1::jsonb, $2, 30000) RETURNING *`,
      [JSON.stringify({ nested: [1, "two", null] }), secret],
    );
    assert.ok(pod);
    assert.match(String(pod.id), /^[0-9a-f-]{36}$/);
    assert.deepEqual(pod.config, { nested: [1, "two", null] });
    assert.deepEqual(pod.secrets, secret);
    assert.equal(Object.getPrototypeOf(pod.secrets), Uint8Array.prototype);
    assert.deepEqual(pod.conditions, []);
    assert.equal(pod.host_port, 30000);
    assert.equal(pod.generation, 1);
    assert.equal(pod.deleted_at, null);
    assert.ok(pod.created_at instanceof Date);
    const [event] = await db.query<{ id: unknown }>(
      `INSERT INTO pod_events (tenant_id, type, reason, message)
       VALUES ('a', 'Normal', 'Created', 'm') RETURNING id`,
    );
    assert.equal(event?.id, 1);
    const [row] = await db.query<Record<string, unknown>>(
      `SELECT labels, $1::text[] AS tags, count(*) OVER () AS n, 9007199254740993::int8 AS big,
              $2::timestamptz AS at, 1.50::numeric AS exact, true AS yes FROM tenants`,
      [["a", "b,c"], new Date("2030-01-02T03:04:05.678Z")],
    );
    assert.deepEqual(row, {
      labels: { team: "x", n: 1 },
      tags: ["a", "b,c"],
      n: 1,
      big: 9007199254740993n,
      at: new Date("2030-01-02T03:04:05.678Z"),
      exact: "1.50",
      yes: true,
    });
  });

  test("RLS: a tenant sees only its own rows; the admin path sees all", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    await seedTwoTenants(db);
    const tables = ["tenants", "pods", "pod_events", "api_tokens"];
    for (const table of tables) {
      const asA = await db.withTenant("a", (tx) => count(tx, table));
      assert.equal(asA, 1, `tenant a sees only its own ${table}`);
    }
    const seen = await db.withTenant("a", (tx) => tx.query("SELECT tenant_id FROM pods"));
    assert.deepEqual(seen, [{ tenant_id: "a" }]);
    const [who] = await db.withTenant(
      "a",
      (tx) =>
        tx.query<{ role: string; superuser: boolean; bypass: boolean }>(
          `SELECT current_user AS role, rolsuper AS superuser, rolbypassrls AS bypass
           FROM pg_roles WHERE rolname = current_user`,
        ),
    );
    assert.deepEqual(who, { role: "agentpod_tenant", superuser: false, bypass: false });
    assert.deepEqual(
      await Promise.all(tables.map((t) => count(db, t))),
      [2, 2, 2, 3],
      "outside withTenant every row is visible",
    );
    assert.equal(await db.withTenant("nobody", (tx) => count(tx, "pods")), 0);
  });

  test("RLS: a store over a tenant's scope reads only its rows, unfiltered", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    await seedTwoTenants(db);
    await db.exec(`UPDATE pods SET secrets = convert_to('sealed-' || tenant_id, 'UTF8');
      INSERT INTO pod_events (tenant_id, type, reason, message, actor)
        VALUES (NULL, 'Normal', 'TokenCreated', 'API token "x" created', 'admin');`);
    const [{ id: podOfB }] = await db.query<{ id: string }>(
      "SELECT id FROM pods WHERE tenant_id = 'b'",
    ) as [{ id: string }];
    const seen = await db.withTenant("a", async (tx) => {
      const store = createStore(inTransaction(tx));
      // What a handler that forgot its tenant filter would ask: no WHERE at all.
      return {
        tenants: (await store.tenants.list()).map((t) => t.id),
        pods: (await store.pods.list()).map((p) => p.tenant),
        secrets: (await store.pods.list()).map((p) => new TextDecoder().decode(p.secrets!)),
        events: (await store.events.list({ tail: 100 })).map((e) => e.tenant),
        states: (await store.pods.listStates()).map((p) => p.tenant),
        byId: await store.pods.getById(podOfB),
      };
    });
    assert.deepEqual(seen, {
      tenants: ["a"],
      pods: ["a"],
      secrets: ["sealed-a"],
      events: ["a"],
      states: ["a"],
      byId: undefined,
    });
    const admin = createStore(db);
    assert.deepEqual((await admin.events.list({ tail: 100 })).map((e) => e.tenant), [
      "a",
      "b",
      null,
    ]);
    for (
      const read of [
        (s: ReturnType<typeof createStore>) => s.rollouts.list(),
        (s: ReturnType<typeof createStore>) => s.settings.get("x"),
        (s: ReturnType<typeof createStore>) => s.tokens.list(),
      ]
    ) {
      const rows = await db.withTenant("a", (tx) => read(createStore(inTransaction(tx)))).catch(
        (error) => error,
      );
      // Control-plane tables are not granted to the tenant role; its own tokens are visible.
      if (Array.isArray(rows)) assert.ok(rows.every((t: { tenant?: string }) => t.tenant === "a"));
      else assert.ok(rows === undefined || rows instanceof Error, String(rows));
    }
  });

  test("backups: archives, tasks and policies; a tenant's scope sees only its own", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    await seedTwoTenants(db);
    const store = createStore(db);
    const pods = await store.pods.list();
    const podA = pods.find((p) => p.tenant === "a")!;
    const podB = pods.find((p) => p.tenant === "b")!;
    const record = (pod: typeof podA, origin: "manual" | "policy") => ({
      id: crypto.randomUUID(),
      tenant: pod.tenant,
      podId: pod.id,
      pod: pod.name,
      origin,
      method: "pause" as const,
      adapter: "generic",
      image: "busybox",
      imageId: null,
      appVersion: null,
      bytes: 3_000_000_000, // past 2^31: a bigint column
      sha256: "f".repeat(64),
      entries: 3,
      downtimeMs: 12,
      durationMs: 40,
    });
    const first = await store.backups.create(record(podA, "manual"));
    assert.equal(first.bytes, 3_000_000_000);
    assert.equal(first.drill, null);
    const later = await store.backups.create({
      ...record(podA, "policy"),
      createdAt: new Date(Date.now() + 1000).toISOString(),
    });
    await store.backups.create(record(podB, "manual"));
    assert.deepEqual((await store.backups.list({ podId: podA.id })).map((b) => b.id), [
      later.id,
      first.id,
    ]);
    await store.backups.recordDrill(first.id, { ok: false, message: "Drill failed: x" });
    assert.deepEqual(
      { ...(await store.backups.get(first.id)).drill, at: "" },
      { at: "", ok: false, message: "Drill failed: x" },
    );
    assert.equal((await store.backups.lastByPod()).get(podA.id), later.createdAt);
    await assert.rejects(store.backups.get(crypto.randomUUID()), NotFoundError);

    const task = await store.backupTasks.create({
      kind: "backup",
      tenant: "a",
      podId: podA.id,
      pod: "web",
      backupId: crypto.randomUUID(),
      options: { origin: "policy", keep: 3 },
      actor: null,
    });
    assert.equal(task.state, "pending");
    const running = await store.backupTasks.update(task.id, {
      state: "running",
      started: true,
      step: "paused",
      result: { containerId: "c1" },
    });
    assert.ok(running.startedAt);
    const done = await store.backupTasks.update(task.id, {
      state: "succeeded",
      finished: true,
      result: { downtimeMs: 5 },
    });
    assert.deepEqual(done.result, { containerId: "c1", downtimeMs: 5 }, "results accumulate");
    assert.deepEqual(await store.backupTasks.list({ unfinished: true }), []);
    assert.equal((await store.backupTasks.lastScheduled()).get(podA.id), task.createdAt);

    await store.backupPolicies.set({
      scope: "tenant:b",
      tenant: "b",
      podId: null,
      everyMs: 60_000,
      cron: null,
      keep: 7,
      drill: false,
    });
    const changed = await store.backupPolicies.set({
      scope: "tenant:b",
      tenant: "b",
      podId: null,
      everyMs: null,
      cron: "0 3 * * *",
      keep: 2,
      drill: true,
    });
    assert.deepEqual([changed.cron, changed.everyMs, changed.keep], ["0 3 * * *", null, 2]);
    await assert.rejects(
      store.backupPolicies.set({ ...changed, scope: "all", tenant: null, everyMs: 1 }),
      "an interval and a cron at once are refused",
    );

    const seen = await db.withTenant("a", async (tx) => {
      const scoped = createStore(inTransaction(tx));
      return {
        backups: (await scoped.backups.list()).map((b) => b.tenant),
        tasks: (await scoped.backupTasks.list()).map((t) => t.tenant),
        policies: await scoped.backupPolicies.list(),
      };
    });
    assert.deepEqual(seen, { backups: ["a", "a"], tasks: ["a"], policies: [] });
    assert.equal(await store.backupPolicies.unset("tenant:b"), true);
    assert.equal(await store.backupPolicies.unset("tenant:b"), false);
    await store.backups.delete(first.id);
    assert.equal((await store.backups.list()).length, 2);
  });

  test("alerts: raised with their event, coalesced, fanned out to the endpoints that want them", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    await seedTwoTenants(db);
    const store = createStore(db);
    const [podA, podB] = ["a", "b"].map((t) =>
      store.pods.list().then((l) => l.find((p) => p.tenant === t)!)
    );
    const a = (await podA)!;
    const b = (await podB)!;
    const all = await store.alerts.addEndpoint(
      { url: "http://127.0.0.1:1/all", events: [], tenant: null, actor: "admin" },
      new Uint8Array([1, 2, 3]),
    );
    const onlyB = await store.alerts.addEndpoint(
      { url: "http://127.0.0.1:1/b", events: ["pod.failed"], tenant: "b", actor: null },
      new Uint8Array([4]),
    );
    const event = (pod: typeof a, reason: string, type: "Normal" | "Warning" = "Warning") =>
      store.events.append({
        tenant: pod.tenant,
        podId: pod.id,
        podName: pod.name,
        type,
        reason,
        message: reason,
      });
    // 20 flaps of pod a: one unhealthy and one recovered alert, the rest counted on the
    // last one sent; a pod that ends unhealthy has that state held for the window's end.
    for (let i = 0; i < 20; i++) {
      await event(a, "Unhealthy");
      await event(a, "Healthy", "Normal");
    }
    await event(a, "Unhealthy");
    await event(b, "RecoveryFailed");
    await event(b, "Restarted", "Normal"); // no alert
    // A tenant-scoped statement (a tenant admin's request) raises its own tenant's alerts.
    await db.withTenant("a", (tx) =>
      createStore(inTransaction(tx)).events.append({
        tenant: "a",
        podId: a.id,
        podName: a.name,
        type: "Warning",
        reason: "OOMKilled",
        message: "killed",
      }));
    let alerts = await store.alerts.list({ tail: 50 });
    assert.deepEqual(alerts.map((x) => [x.type, x.pod, x.coalesced]), [
      ["pod.unhealthy", "a/web", 0],
      ["pod.recovered", "a/web", 39],
      ["pod.failed", "b/web", 0],
      ["pod.oom_killed", "a/web", 0],
    ]);
    assert.equal(await store.alerts.flushHeld(), 0, "held until the window ends");
    assert.ok(alerts.every((x) => x.deliveries.length === 0), "not fanned out yet");
    assert.equal(await store.alerts.fanOut(), 5, "4 to the catch-all endpoint, 1 to b's");
    assert.equal(await store.alerts.fanOut(), 0, "once");
    alerts = await store.alerts.list({ tail: 50 });
    assert.deepEqual(
      alerts.map((x) => x.deliveries.map((d) => d.url).sort()),
      [[all.url], [all.url], [all.url, onlyB.url].sort(), [all.url]],
    );
    const due = await store.alerts.due(new Date(Date.now() + 1000), 10, 60_000);
    assert.equal(due.length, 5);
    assert.deepEqual(
      await store.alerts.due(new Date(Date.now() + 1000), 10, 60_000),
      [],
      "claimed: not due again while the claim lasts",
    );
    assert.deepEqual([...due[0]!.secret], [1, 2, 3]);
    const first = due.find((d) => d.endpointId === onlyB.id)!;
    const retryAt = new Date(Date.now() + 60_000);
    assert.equal(
      await store.alerts.recordAttempt(first.alert.id, onlyB.id, 0, {
        status: 500,
        error: "HTTP 500",
        delivered: false,
        next: retryAt,
      }),
      true,
    );
    assert.equal(
      await store.alerts.recordAttempt(first.alert.id, onlyB.id, 0, {
        status: 204,
        delivered: true,
        next: null,
      }),
      false,
      "a second record of the same claimed attempt changes nothing",
    );
    assert.equal(
      await store.alerts.recordAttempt(first.alert.id, onlyB.id, 1, {
        status: 204,
        delivered: true,
        next: null,
      }),
      true,
    );
    const b1 = (await store.alerts.get(first.alert.id))!.deliveries.find((d) =>
      d.endpointId === onlyB.id
    )!;
    assert.deepEqual([b1.state, b1.attempts, b1.lastStatus], ["delivered", 2, 204]);
    assert.ok(b1.deliveredAt);
    assert.deepEqual(await store.alerts.deliveryCounts(), { pending: 4, delivered: 1, failed: 0 });
    // A test message goes to its endpoint only.
    const test = await store.alerts.raiseTest(onlyB.id, "hello");
    assert.equal(await store.alerts.fanOut(), 1);
    assert.deepEqual((await store.alerts.get(test.id))!.deliveries.map((d) => d.endpointId), [
      onlyB.id,
    ]);
    // A tenant's scope sees its own alerts only.
    const seen = await db.withTenant(
      "b",
      (tx) => tx.query<{ type: string }>("SELECT type FROM alerts"),
    );
    assert.deepEqual(seen.map((r) => r.type), ["pod.failed"]);
    // The window ends: the held state (pod a ended unhealthy) is raised, once.
    await db.query("UPDATE alerts SET created_at = created_at - interval '11 minutes'");
    assert.equal(await store.alerts.flushHeld(), 1);
    assert.equal(await store.alerts.flushHeld(), 0);
    const last = (await store.alerts.list({ tail: 1 }))[0]!;
    assert.deepEqual([last.type, last.pod], ["pod.unhealthy", "a/web"]);
    assert.match(last.message, /the state after 39 more alerts in 10 minutes/);
    assert.equal(
      (await store.alerts.list({ tail: 50 })).filter((x) =>
        x.pod === "a/web" && x.type !== "pod.oom_killed"
      )
        .length,
      3,
      "21 flaps: 3 notifications",
    );
    assert.equal(await store.alerts.removeEndpoint(all.id), true);
    assert.equal(await store.alerts.removeEndpoint(all.id), false);
    assert.deepEqual(await store.alerts.deliveryCounts(), { pending: 1, delivered: 1, failed: 0 });
  });

  test("usage: runs from events and from what runs, samples per day, a tenant sees its own", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    await seedTwoTenants(db);
    const store = createStore(db);
    const pods = await store.pods.list();
    const a = pods.find((p) => p.tenant === "a")!;
    const b = pods.find((p) => p.tenant === "b")!;
    const t0 = Date.parse("2026-12-02T10:00:00Z");
    await store.usage.runStarted({ podId: a.id, containerId: "c1", at: t0 });
    await store.usage.runStarted({ podId: a.id, containerId: "c1", at: t0 + 5 });
    await store.usage.runEnded({ containerId: "c1", at: t0 + 60_000, exitCode: 137 });
    await store.usage.runEnded({ containerId: "c1", at: t0 + 70_000, exitCode: 0 });
    await store.usage.runStarted({ podId: a.id, containerId: "c1", at: t0 + 61_000 });
    // The sampler sees c1 run since t0+61 s (no new run) and b's c2 that no event told of.
    await store.usage.seenRunning({
      podId: a.id,
      containerId: "c1",
      startedAt: t0 + 60_999,
      lastExitAt: t0 + 60_000,
    });
    await store.usage.seenRunning({
      podId: b.id,
      containerId: "c2",
      startedAt: t0,
      lastExitAt: null,
    });
    // c2 was replaced by c3 while nobody looked: its run ends at the last sample.
    const cursor = { containerId: "c2", startedAt: t0, cpuSeconds: 5, sampledAt: t0 + 20_000 };
    const sample = { podId: b.id, day: "2026-12-02", cpuSeconds: 5, memoryMb: 100, cursor };
    assert.equal(await store.usage.addSample({ ...sample, after: null }), true);
    const next = {
      ...sample,
      cpuSeconds: 2.5,
      memoryMb: 300.5,
      cursor: { ...cursor, cpuSeconds: 7.5, sampledAt: t0 + 30_000 },
      after: t0 + 20_000,
    };
    assert.equal(await store.usage.addSample(next), true);
    assert.equal(
      await store.usage.addSample(next),
      false,
      "a second sampler's copy of the same step counts nothing",
    );
    await store.usage.seenRunning({
      podId: b.id,
      containerId: "c3",
      startedAt: t0 + 90_000,
      lastExitAt: null,
    });
    const runs = await store.usage.runs({ from: "2026-12-02", to: "2026-12-02" });
    assert.deepEqual(
      runs.map((
        r,
      ) => [r.pod, r.containerId, r.startedAt - t0, r.endedAt === null ? null : r.endedAt - t0]),
      [
        ["web", "c1", 0, 60_000],
        ["web", "c2", 0, 30_000],
        ["web", "c1", 61_000, null],
        ["web", "c3", 90_000, null],
      ],
    );
    assert.deepEqual((await store.usage.cursor(b.id))?.cpuSeconds, 7.5);
    await store.usage.setDay(b.id, "2026-12-02", {
      volumeBytes: 4096,
      tokens: { input: 1, output: 2, total: 3 },
      costUsd: 0.5,
    });
    const [day] = await store.usage.sampled({ tenant: "b", from: "2026-12-01", to: "2026-12-03" });
    assert.deepEqual(
      [
        day!.day,
        day!.cpuSeconds,
        day!.memoryMbSum,
        day!.memorySamples,
        day!.memoryPeakMb,
        day!.volumeBytes,
        day!.tokens,
        day!.costUsd,
      ],
      ["2026-12-02", 7.5, 400.5, 2, 300.5, 4096, { input: 1, output: 2, total: 3 }, 0.5],
    );
    assert.deepEqual((await store.usage.firstStarts([a.id, b.id])).get(a.id), t0);
    const seen = await db.withTenant("a", async (tx) => {
      const scoped = createStore(inTransaction(tx));
      return {
        runs: (await scoped.usage.runs({ from: "2026-12-02", to: "2026-12-02" })).map((r) =>
          r.tenant
        ),
        days: await scoped.usage.sampled({ from: "2026-12-02", to: "2026-12-02" }),
      };
    });
    assert.deepEqual(seen, { runs: ["a", "a"], days: [] });
  });

  test("RLS: a tenant id used again does not see the events of the tenant that had it", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    await db.exec(`
      INSERT INTO pod_events (tenant_id, type, reason, message, created_at)
        VALUES ('a', 'Normal', 'TenantDeleted', 'the old a', now() - interval '1 day');
      INSERT INTO tenants (id) VALUES ('a');
      INSERT INTO pod_events (tenant_id, type, reason, message)
        VALUES ('a', 'Normal', 'TenantCreated', 'the new a');`);
    const seen = await db.withTenant(
      "a",
      (tx) => createStore(inTransaction(tx)).events.list({ tail: 10 }),
    );
    assert.deepEqual(seen.map((e) => e.message), ["the new a"]);
    assert.equal(
      (await createStore(db).events.list({ tail: 10 })).length,
      2,
      "the admin sees both",
    );
  });

  test("API tokens: names are unique among those not revoked; a revoked one frees its name", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    const store = createStore(db);
    const make = (hash: string) =>
      store.tokens.create({
        name: "ci",
        hash: hash.repeat(64),
        tenant: null,
        role: "viewer",
        expiresAt: null,
      });
    const first = await make("a");
    await assert.rejects(make("b"), ConflictError);
    await store.tokens.revoke(first.id);
    const second = await make("c");
    assert.equal(second.role, "viewer");
    const [row] = await db.query<{ role: string }>(
      "INSERT INTO api_tokens (name, token_hash) VALUES ('x', repeat('d', 64)) RETURNING role",
    );
    assert.equal(row?.role, "viewer", "a row that names no role is a viewer");
  });

  test("RLS: a tenant cannot update or delete another tenant's rows", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    await seedTwoTenants(db);
    const changed = await db.withTenant("a", async (tx) => [
      await tx.query("UPDATE pods SET image = 'evil' WHERE tenant_id = 'b' RETURNING id"),
      await tx.query("DELETE FROM pods WHERE tenant_id = 'b' RETURNING id"),
      await tx.query("DELETE FROM pod_events WHERE tenant_id = 'b' RETURNING id"),
      await tx.query("UPDATE tenants SET display_name = 'x' WHERE id = 'b' RETURNING id"),
    ]);
    assert.deepEqual(changed.map((rows) => rows.length), [0, 0, 0, 0]);
    assert.deepEqual(await db.query("SELECT image FROM pods WHERE tenant_id = 'b'"), [
      { image: "busybox" },
    ]);
    const own = await db.withTenant(
      "a",
      (tx) => tx.query("UPDATE pods SET image = 'new' RETURNING tenant_id"),
    );
    assert.deepEqual(own, [{ tenant_id: "a" }]);
  });

  test("RLS: a tenant cannot insert or move rows into another tenant", async () => {
    await using fresh = await fixture.fresh();
    const db = await fresh.open();
    await seedTwoTenants(db);
    const policyViolation = (e: unknown) =>
      e instanceof SqlError && e.code === "42501" && /row-level security/.test(e.message);
    const attempts = [
      "INSERT INTO pods (tenant_id, name, adapter, image) VALUES ('b', 'sneaky', 'g', 'i')",
      "INSERT INTO pod_events (tenant_id, type, reason, message) VALUES ('b', 'Normal', 'X', 'm')",
      `INSERT INTO api_tokens (name, token_hash, tenant_id) VALUES ('t', repeat('d', 64), 'b')`,
      "UPDATE pods SET tenant_id = 'b' WHERE tenant_id = 'a'",
    ];
    for (const sql of attempts) {
      await assert.rejects(db.withTenant("a", (tx) => tx.query(sql)), policyViolation, sql);
    }
    await assert.rejects(
      db.withTenant("a", (tx) => tx.query("INSERT INTO tenants (id) VALUES ('c')")),
      (e: unknown) => e instanceof SqlError && e.code === "42501",
      "creating tenants is admin work",
    );
    await db.withTenant(
      "a",
      (tx) =>
        tx.query("INSERT INTO pods (tenant_id, name, adapter, image) VALUES ('a', 'ok', 'g', 'i')"),
    );
    assert.equal(await count(db, "pods"), 3);
  });

  test("LISTEN/NOTIFY: a notification reaches a listener with its payload, until unlisten", async () => {
    await using fresh = await fixture.fresh();
    const listener = await fresh.open();
    const sender = await fresh.open();
    const got: string[] = [];
    const unlisten = await listener.listen("agentpod_test", (payload) => got.push(payload));
    await sender.notify("agentpod_test", "pod-1");
    const deadline = Date.now() + 5_000;
    while (got.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(got, ["pod-1"]);
    await unlisten();
    await sender.notify("agentpod_test", "pod-2");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(got, ["pod-1"], "nothing after unlisten");
    await assert.rejects(listener.listen("bad channel; drop", () => {}), /Invalid notification/);
  });

  test("advisory lock: a second holder is refused until the first releases", async () => {
    // On a server the two handles are two pools and the server arbitrates. PGlite is one
    // session owned by one process, so what can be shown is that handles sharing the
    // embedded instance exclude each other.
    await using fresh = await fixture.fresh();
    const first = await fresh.open();
    const second = await fresh.open();
    const lease = await first.tryAdvisoryLock(4242);
    assert.ok(lease);
    assert.equal(await lease.held(), true);
    assert.equal(await second.tryAdvisoryLock(4242), null);
    assert.ok(await second.tryAdvisoryLock(4243), "other keys are independent");
    await lease.release();
    assert.equal(await lease.held(), false);
    const taken = await second.tryAdvisoryLock(4242);
    assert.ok(taken);
    assert.equal(await first.tryAdvisoryLock(4242n), null);
    await second.close();
    assert.ok(await first.tryAdvisoryLock(4242), "closing a handle releases its leases");
  });
}
