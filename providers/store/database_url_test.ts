import assert from "node:assert/strict";
import { ValidationError } from "../../core/errors.ts";
import { maskDatabaseUrl, parseDatabaseUrl } from "./database_url.ts";

Deno.test("maskDatabaseUrl() hides the password, also percent-encoded and in the query", () => {
  assert.equal(
    maskDatabaseUrl("postgres://app:s%40cret@db.example:5432/agentpod"),
    "postgres://app:***@db.example:5432/agentpod",
  );
  assert.equal(
    maskDatabaseUrl("postgres://app@db/agentpod?sslmode=require&password=s3cret"),
    "postgres://app@db/agentpod?sslmode=require&password=***",
  );
  assert.equal(maskDatabaseUrl("postgres://app@db/agentpod"), "postgres://app@db/agentpod");
});

Deno.test("maskDatabaseUrl() hides the password of a URL that does not parse", () => {
  assert.equal(maskDatabaseUrl("postgres://app:p@ss word@db:x/y"), "postgres://app:***@db:x/y");
});

Deno.test("parseDatabaseUrl() names host and port, defaulting the port to 5432", () => {
  assert.deepEqual(parseDatabaseUrl("postgresql://app:pw@db.example/agentpod"), {
    address: "db.example:5432",
    database: "agentpod",
    masked: "postgresql://app:***@db.example/agentpod",
  });
  assert.equal(parseDatabaseUrl("postgres://u@[::1]:6543/d").address, "[::1]:6543");
  assert.equal(
    parseDatabaseUrl("postgres:///agentpod?host=/var/run/postgresql").address,
    "/var/run/postgresql",
  );
});

Deno.test("parseDatabaseUrl() rejects unusable URLs without echoing the password", () => {
  const cases = [
    ["not a url", /not a URL/],
    ["mysql://root:pw1@db/x", /unsupported scheme "mysql"/],
    ["postgres://u:pw1@h1:5432,h2:5432/x", /several hosts are not supported/],
    ["postgres:///x", /no host/],
  ] as const;
  for (const [url, reason] of cases) {
    assert.throws(() => parseDatabaseUrl(url), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.match(error.message, reason);
      assert.ok(!error.message.includes("pw1"), error.message);
      return true;
    });
  }
});
