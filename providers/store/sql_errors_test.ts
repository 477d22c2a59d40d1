import assert from "node:assert/strict";
import {
  ConflictError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from "../../core/errors.ts";
import { SqlError, toStoreError } from "./sql_errors.ts";

const where = `PostgreSQL at "db:5432"`;

Deno.test("toStoreError() maps SQLSTATEs to the errors callers branch on", () => {
  const cases: [Record<string, unknown>, new (...args: never[]) => Error][] = [
    [{ code: "23505", message: "duplicate key", constraint_name: "pods_pkey" }, ConflictError],
    [{ code: "23001", message: "restrict" }, ConflictError],
    [{
      code: "23503",
      message: "fk",
      detail: 'Key (id)=(a) is still referenced from table "pods".',
    }, ConflictError],
    [{
      code: "23503",
      message: "fk",
      detail: 'Key (tenant_id)=(x) is not present in table "tenants".',
    }, NotFoundError],
    [{ code: "23514", message: "check" }, ValidationError],
    [{ code: "22P02", message: "invalid input syntax for type uuid" }, ValidationError],
    [{ code: "57P01", message: "terminating connection" }, UnavailableError],
    [{ code: "ECONNREFUSED", message: "connect ECONNREFUSED" }, UnavailableError],
    [{ code: "42501", message: "new row violates row-level security policy" }, SqlError],
  ];
  for (const [fields, expected] of cases) {
    const mapped = toStoreError(Object.assign(new Error(String(fields.message)), fields), where);
    assert.ok(mapped instanceof expected, `${fields.code} → ${mapped.name}`);
  }
});

Deno.test("toStoreError() keeps the detail but never a whole failing row", () => {
  const conflict = toStoreError(
    { code: "23505", message: "duplicate key value", detail: "Key (id)=(a) already exists." },
    where,
  );
  assert.equal(conflict.message, "duplicate key value: Key (id)=(a) already exists");
  const check = toStoreError(
    { code: "23514", message: "violates check", detail: "Failing row contains (secret)." },
    where,
  );
  assert.equal(check.message, "violates check");
});

Deno.test("toStoreError() passes mapped errors through and names the server when it is gone", () => {
  const mapped = new ConflictError("taken");
  assert.equal(toStoreError(mapped, where), mapped);
  const gone = toStoreError({ code: "ECONNREFUSED", message: "x" }, where);
  assert.equal(gone.message, `Database PostgreSQL at "db:5432" is unavailable: connection refused`);
  assert.equal(
    (toStoreError({ code: "42P01", message: "no table" }, where) as SqlError).code,
    "42P01",
  );
});
