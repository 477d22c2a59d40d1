/**
 * The store against both drivers: the shared contract (_store_suite.ts) on embedded
 * PGlite and on the PostgreSQL 15 test server, then what only one driver can show.
 * Needs the server: `bash tests/env/postgres.sh` (the postgres tests fail, not skip,
 * without it).
 * @module
 */

import assert from "node:assert/strict";
import { electLeader } from "../../providers/store/leader.ts";
import { UnavailableError, ValidationError } from "../../core/errors.ts";
import { openDatabase, openPostgres } from "../../providers/store/mod.ts";
import {
  freshNonSuperuserDatabase,
  pgliteFixture,
  postgresFixture,
  testServerUrl,
} from "./_store_fixtures.ts";
import { storeSuite } from "./_store_suite.ts";

storeSuite(pgliteFixture);
storeSuite(postgresFixture);

/** Asserts the error names `address`, masks the password and never contains it. */
function assertMaskedConnectError(error: unknown, address: string, password: string): true {
  assert.ok(error instanceof UnavailableError, `expected UnavailableError, got ${error}`);
  assert.ok(error.message.startsWith(`Cannot connect to PostgreSQL at "${address}" (`));
  assert.ok(error.message.includes(":***@"), error.message);
  assert.ok(!Deno.inspect(error, { depth: 10 }).includes(password), "password leaked");
  return true;
}

Deno.test("[postgres] a refused port fails fast, naming host and port, password masked", async () => {
  const started = performance.now();
  await assert.rejects(
    openDatabase({
      databaseUrl: "postgres://app:hunter2-secret@127.0.0.1:1/agentpod",
      dataDir: ".",
    }),
    (error) => {
      assertMaskedConnectError(error, "127.0.0.1:1", "hunter2-secret");
      assert.equal(
        (error as Error).message,
        `Cannot connect to PostgreSQL at "127.0.0.1:1" (postgres://app:***@127.0.0.1:1/agentpod): connection refused`,
      );
      return true;
    },
  );
  assert.ok(performance.now() - started < 6000);
});

Deno.test("[postgres] a failed password fails fast with the server's reason, password masked", async () => {
  // tests/env/postgres.sh makes this role's password auth always fail.
  const url = testServerUrl("agentpod_test", "agentpod_auth_probe").replace(
    "agentpod_auth_probe@",
    "agentpod_auth_probe:wrong-pass-42@",
  );
  const started = performance.now();
  await assert.rejects(openDatabase({ databaseUrl: url, dataDir: "." }), (error) => {
    assertMaskedConnectError(error, new URL(url).host, "wrong-pass-42");
    assert.match((error as Error).message, /: password authentication failed for user/);
    return true;
  });
  assert.ok(performance.now() - started < 6000);
});

Deno.test("[postgres] a server that accepts but never answers fails at the deadline", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  try {
    const url = `postgres://app:silent-pass@127.0.0.1:${listener.addr.port}/agentpod`;
    const started = performance.now();
    await assert.rejects(openPostgres(url, { connectTimeoutMs: 1000 }), (error) => {
      assertMaskedConnectError(error, `127.0.0.1:${listener.addr.port}`, "silent-pass");
      assert.match((error as Error).message, /: (no answer within 1 s|connection timed out)$/);
      return true;
    });
    assert.ok(performance.now() - started < 3000);
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of accepted) conn.close();
  }
});

Deno.test("[postgres] an unparseable DATABASE_URL is a ValidationError without the password", async () => {
  await assert.rejects(
    openDatabase({ databaseUrl: "postgres://app:p@ss word@db:port/x", dataDir: "." }),
    (error) => {
      assert.ok(error instanceof ValidationError);
      assert.match(error.message, /^Invalid DATABASE_URL "postgres:\/\/app:\*\*\*@db:port\/x"/);
      assert.ok(!error.message.includes("ss word"));
      return true;
    },
  );
  await assert.rejects(
    openDatabase({ databaseUrl: "mysql://root:pw@db/x", dataDir: "." }),
    /unsupported scheme "mysql"/,
  );
});

Deno.test("[postgres] a lease reports the lock lost once its connection dies", async () => {
  await using fresh = await postgresFixture.fresh();
  const holder = await fresh.open({ migrate: false });
  const other = await fresh.open({ migrate: false });
  const lease = await holder.tryAdvisoryLock(77);
  assert.ok(lease);
  const [killed] = await other.query<{ n: number }>(
    `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_locks
      WHERE locktype = 'advisory' AND objid = 77 AND granted`,
  );
  assert.equal(killed?.n, 1);
  assert.equal(await lease.held(), false);
  assert.ok(await other.tryAdvisoryLock(77), "the server dropped the lock with the session");
  await lease.release();
});

Deno.test("[postgres] a leader whose lock connection is killed stops acting within seconds", async () => {
  await using fresh = await postgresFixture.fresh();
  const a = await fresh.open({ migrate: false });
  const b = await fresh.open({ migrate: false });
  const quiet = { info() {}, warn() {}, error() {} };
  const terms: AbortSignal[] = [];
  const first = await electLeader(a, {
    key: 99n,
    checkEveryMs: 200,
    retryEveryMs: 200,
    onElected: (signal) => terms.push(signal),
    log: quiet,
  });
  const second = await electLeader(b, {
    key: 99n,
    checkEveryMs: 200,
    retryEveryMs: 200,
    onElected: () => {},
    log: quiet,
  });
  try {
    assert.equal(first.isLeader(), true);
    assert.equal(second.isLeader(), false, "one leader per database");
    await b.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
        WHERE locktype = 'advisory' AND objid = 99 AND granted`,
    );
    const deadline = Date.now() + 3_000;
    while (first.isLeader() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(first.isLeader(), false, "noticed the lost lease");
    assert.equal(terms[0]?.aborted, true, "its work was told to stop");
    while (!second.isLeader() && Date.now() < deadline + 3_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(second.isLeader(), true, "the other took over");
  } finally {
    await first.stop();
    await second.stop();
  }
});

Deno.test("[postgres] migrations and RLS work when the owner is not a superuser", async () => {
  await using fresh = await freshNonSuperuserDatabase();
  const db = await fresh.open();
  await db.exec(`
    INSERT INTO tenants (id) VALUES ('a'), ('b');
    INSERT INTO pods (tenant_id, name, adapter, image) VALUES ('a', 'p', 'g', 'i'), ('b', 'p', 'g', 'i');
  `);
  const [me] = await db.query<{ superuser: boolean }>(
    "SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user",
  );
  assert.equal(me?.superuser, false);
  assert.deepEqual(
    await db.withTenant("b", (tx) => tx.query("SELECT tenant_id FROM pods")),
    [{ tenant_id: "b" }],
  );
  assert.equal((await db.query("SELECT id FROM pods")).length, 2, "the owner sees every row");
});

Deno.test("[pglite] handles on one data directory share one embedded instance", async () => {
  await using fresh = await pgliteFixture.fresh();
  const first = await fresh.open();
  const second = await fresh.open({ migrate: false });
  await first.query("INSERT INTO tenants (id) VALUES ('shared')");
  assert.deepEqual(await second.query("SELECT id FROM tenants"), [{ id: "shared" }]);
  await first.close();
  assert.deepEqual(await second.query("SELECT count(*) AS n FROM tenants"), [{ n: 1 }]);
});
