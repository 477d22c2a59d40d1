import assert from "node:assert/strict";
import { type ApiToken, authorize, parseExpiry, parseRole, principalOf } from "./access.ts";
import { AuthError, ForbiddenError, ValidationError } from "./errors.ts";

const NOW = new Date("2026-12-02T10:00:00Z");

const token = (over: Partial<ApiToken> = {}): ApiToken => ({
  id: "7f1c2a9e-0000-4000-8000-000000000001",
  name: "ci",
  role: "viewer",
  tenant: "acme",
  createdAt: "2026-12-01T00:00:00.000Z",
  expiresAt: null,
  revokedAt: null,
  lastUsedAt: null,
  ...over,
});

Deno.test("parseExpiry() takes durations and future dates, refuses the rest", () => {
  assert.equal(parseExpiry("30d", NOW).toISOString(), "2027-01-01T10:00:00.000Z");
  assert.equal(parseExpiry("12h", NOW).toISOString(), "2026-12-02T22:00:00.000Z");
  assert.equal(parseExpiry("90m", NOW).toISOString(), "2026-12-02T11:30:00.000Z");
  assert.equal(parseExpiry("2w", NOW).toISOString(), "2026-12-16T10:00:00.000Z");
  assert.equal(parseExpiry("2027-01-31", NOW).toISOString(), "2027-01-31T00:00:00.000Z");
  for (const bad of ["0d", "30", "d", "1y", "tomorrow", "2026-12-01", ""]) {
    assert.throws(() => parseExpiry(bad, NOW), ValidationError, bad);
  }
});

Deno.test("principalOf(): unknown, revoked and expired tokens are 401 with the reason", () => {
  assert.throws(() => principalOf(undefined, NOW), AuthError);
  assert.throws(
    () => principalOf(token({ revokedAt: "2026-12-02T09:00:00.000Z" }), NOW),
    (e: Error) => e instanceof AuthError && /revoked/.test(e.message),
  );
  assert.throws(
    () => principalOf(token({ expiresAt: NOW.toISOString() }), NOW),
    (e: Error) => e instanceof AuthError && /expired/.test(e.message),
  );
  assert.deepEqual(principalOf(token({ expiresAt: "2026-12-02T10:00:01Z" }), NOW), {
    tokenId: token().id,
    name: "ci",
    role: "viewer",
    tenant: "acme",
  });
});

Deno.test("authorize(): roles are ordered; tenant tokens never do global work (403)", () => {
  const p = (role: ApiToken["role"], tenant: string | null) =>
    principalOf(token({ role, tenant }), NOW);
  authorize(p("viewer", "acme"), "viewer", "tenant");
  authorize(p("operator", "acme"), "viewer", "tenant");
  authorize(p("operator", "acme"), "operator", "tenant");
  authorize(p("admin", null), "admin", "global");
  authorize(p("viewer", null), "viewer", "global");
  assert.throws(() => authorize(p("viewer", "acme"), "operator", "tenant"), ForbiddenError);
  assert.throws(() => authorize(p("operator", null), "admin", "global"), ForbiddenError);
  assert.throws(() => authorize(p("admin", "acme"), "viewer", "global"), ForbiddenError);
  assert.equal(parseRole("operator"), "operator");
  assert.throws(() => parseRole("root"), ValidationError);
});
