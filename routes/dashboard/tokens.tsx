/**
 * API tokens: the list (never a secret), the create form (name, role, tenant, expiry;
 * the secret shown once on the page that answers it) and revocation. Parity with
 * `agentpod token create|list|revoke`.
 * @module
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ApiToken } from "../../core/access.ts";
import { ROLES } from "../../core/access.ts";
import type { CreatedToken } from "../../core/access_service.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.ts";
import type { DashboardSession } from "../../core/store.ts";
import { CsrfField } from "../../components/CsrfField.tsx";
import { formatTime } from "../../components/pod_format.ts";
import {
  type DashboardContext,
  flash,
  form,
  friendlyError,
  page,
  renderPage,
  seeOther,
} from "./_page.tsx";

interface CreateState {
  values: Record<string, string>;
  error?: string;
  created?: CreatedToken;
}

function stateOf(token: ApiToken, now: number): string {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return "expired";
  return "active";
}

async function tokensPage(
  c: Context,
  ctx: DashboardContext,
  session: DashboardSession,
  create: CreateState = { values: {} },
  status = 200,
): Promise<Response> {
  const [tokens, tenants] = await Promise.all([
    ctx.deps.access.list(),
    ctx.deps.store.tenants.list(),
  ]);
  const now = (ctx.deps.now ?? Date.now)();
  const v = create.values;
  return renderPage(c, ctx, session, {
    title: "API tokens",
    active: "/tokens",
    status: status as ContentfulStatusCode,
    body: (
      <>
        <div class="page-head">
          <h1>API tokens</h1>
        </div>
        {create.created && (
          <section class="card" aria-labelledby="created-heading" data-testid="token-created">
            <h2 id="created-heading">Token "{create.created.name}" created</h2>
            <p>Copy it now: it is not shown again.</p>
            <pre class="secret" data-testid="token-secret">{create.created.token}</pre>
          </section>
        )}
        <div class="columns columns-wide-left">
          <section class="card" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">Tokens</h2>
            <div class="table-wrap">
              <table class="table" data-testid="tokens-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Role</th>
                    <th scope="col">Tenant</th>
                    <th scope="col">State</th>
                    <th scope="col" class="hide-narrow">Expires</th>
                    <th scope="col" class="hide-narrow">Last used</th>
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {tokens.map((t) => (
                    <tr key={t.id} data-testid="token-row" data-token={t.name}>
                      <td>{t.name}</td>
                      <td>{t.role}</td>
                      <td>{t.tenant ?? "(all)"}</td>
                      <td data-testid="token-state">{stateOf(t, now)}</td>
                      <td class="hide-narrow">{t.expiresAt ? formatTime(t.expiresAt) : "never"}</td>
                      <td class="hide-narrow">{t.lastUsedAt ? formatTime(t.lastUsedAt) : "–"}</td>
                      <td class="row-actions">
                        {!t.revokedAt && (
                          <form method="post" action={`/tokens/${t.id}/revoke`}>
                            <CsrfField token={session.csrfToken} />
                            <button type="submit" class="link danger-link" data-testid="revoke">
                              Revoke
                            </button>
                          </form>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <section class="card" aria-labelledby="create-token-heading">
            <h2 id="create-token-heading">Create a token</h2>
            {create.error && (
              <p class="flash flash-error" role="alert" data-testid="error-message">
                {create.error}
              </p>
            )}
            <form method="post" action="/tokens" data-testid="create-token-form">
              <CsrfField token={session.csrfToken} />
              <div class="field">
                <label for="token-name">Name</label>
                <input
                  id="token-name"
                  name="name"
                  required
                  maxLength={63}
                  autocomplete="off"
                  value={v.name ?? ""}
                />
                <p class="help">What events record as who did it.</p>
              </div>
              <div class="field">
                <label for="token-role">Role</label>
                <select id="token-role" name="role">
                  {ROLES.map((role) => (
                    <option value={role} selected={(v.role ?? "viewer") === role}>{role}</option>
                  ))}
                </select>
                <p class="help">
                  viewer reads; operator also starts, stops, restarts and changes config; admin
                  everything.
                </p>
              </div>
              <div class="field">
                <label for="token-tenant">
                  Tenant<span class="optional">optional</span>
                </label>
                <select id="token-tenant" name="tenant">
                  <option value="">Every tenant</option>
                  {tenants.map((t) => (
                    <option value={t.id} selected={v.tenant === t.id}>{t.id}</option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for="token-expires">
                  Expires<span class="optional">optional</span>
                </label>
                <input
                  id="token-expires"
                  name="expires"
                  placeholder="30d"
                  maxLength={40}
                  value={v.expires ?? ""}
                />
                <p class="help">A duration (30d, 12h, 90m, 2w) or a date (2027-01-31).</p>
              </div>
              <button type="submit" class="button primary" data-testid="create-token">
                Create token
              </button>
            </form>
          </section>
        </div>
      </>
    ),
  });
}

/** Mounts `/tokens`. */
export function tokenRoutes(app: Hono, ctx: DashboardContext): void {
  app.get("/tokens", page(ctx, (c, session) => tokensPage(c, ctx, session)));
  app.post(
    "/tokens",
    form(ctx, async (c, session, fields) => {
      const values = {
        name: (fields.name ?? "").trim(),
        role: fields.role ?? "viewer",
        tenant: fields.tenant ?? "",
        expires: (fields.expires ?? "").trim(),
      };
      try {
        const created = await ctx.deps.access.create({
          name: values.name,
          role: values.role,
          tenant: values.tenant || null,
          expires: values.expires || null,
        });
        return await tokensPage(c, ctx, session, { values: {}, created }, 201);
      } catch (error) {
        if (
          error instanceof ValidationError || error instanceof ConflictError ||
          error instanceof NotFoundError
        ) {
          return await tokensPage(c, ctx, session, {
            values,
            error: friendlyError(error, ctx.deps.log),
          }, error instanceof ConflictError ? 409 : 422);
        }
        throw error;
      }
    }),
  );
  app.post(
    "/tokens/:id/revoke",
    form(ctx, async (c) => {
      const revoked = await ctx.deps.access.revoke(c.req.param("id") ?? "");
      flash(c, "ok", `Token "${revoked.name}" revoked`);
      return seeOther(c, "/tokens");
    }),
  );
}
