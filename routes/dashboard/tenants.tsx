/**
 * Tenants: the list, the create form (errors at the field) and deletion behind a
 * confirmation page (which offers to delete the tenant's pods too).
 * @module
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConflictError, ValidationError } from "../../core/errors.ts";
import type { DashboardSession } from "../../core/store.ts";
import { CsrfField } from "../../components/CsrfField.tsx";
import { formatTime } from "../../components/pod_format.ts";
import { statusOf } from "../errors.ts";
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
  values: { id?: string; name?: string };
  error?: string;
}

async function tenantsPage(
  c: Context,
  ctx: DashboardContext,
  session: DashboardSession,
  create: CreateState = { values: {} },
  status = 200,
): Promise<Response> {
  const tenants = await ctx.deps.store.tenants.list();
  return renderPage(c, ctx, session, {
    title: "Tenants",
    active: "/tenants",
    status,
    body: (
      <>
        <div class="page-head">
          <h1>Tenants</h1>
        </div>
        <div class="columns columns-wide-left">
          <section class="card" aria-labelledby="tenants-heading">
            <h2 id="tenants-heading">All tenants</h2>
            {tenants.length === 0
              ? (
                <p class="empty" data-testid="tenants-empty">
                  No tenants yet: create the first one.
                </p>
              )
              : (
                <div class="table-wrap">
                  <table class="table" data-testid="tenants-table">
                    <thead>
                      <tr>
                        <th scope="col">Tenant</th>
                        <th scope="col">Name</th>
                        <th scope="col" class="num">Pods</th>
                        <th scope="col" class="hide-narrow">Created</th>
                        <th scope="col">
                          <span class="sr-only">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {tenants.map((t) => (
                        <tr key={t.id} data-testid="tenant-row" data-tenant={t.id}>
                          <td>
                            <a href={`/pods?tenant=${t.id}`}>{t.id}</a>
                          </td>
                          <td>{t.name}</td>
                          <td class="num">{t.pods}</td>
                          <td class="hide-narrow">{formatTime(t.createdAt)}</td>
                          <td class="row-actions">
                            <a href={`/pods/new?tenant=${t.id}`}>New pod</a>
                            <a href={`/tenants/${t.id}/usage`} data-testid="tenant-usage">Usage</a>
                            <a
                              href={`/tenants/${t.id}/delete`}
                              class="danger-link"
                              data-testid="tenant-delete"
                            >
                              Delete…
                            </a>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
          </section>
          <section class="card" aria-labelledby="create-tenant-heading">
            <h2 id="create-tenant-heading">Create a tenant</h2>
            <form method="post" action="/tenants" data-testid="create-tenant-form">
              <CsrfField token={session.csrfToken} />
              <div class={`field${create.error ? " invalid" : ""}`}>
                <label for="tenant-id">Tenant id</label>
                <input
                  id="tenant-id"
                  name="id"
                  required
                  maxLength={40}
                  autocomplete="off"
                  spellcheck={false}
                  value={create.values.id ?? ""}
                  aria-invalid={create.error ? true : undefined}
                  aria-describedby={`tenant-id-help${create.error ? " tenant-id-error" : ""}`}
                />
                <p class="help" id="tenant-id-help">
                  Lowercase letters, digits and hyphens; part of pod host names.
                </p>
                {create.error && (
                  <p
                    class="field-error"
                    id="tenant-id-error"
                    data-testid="field-error"
                    data-field="id"
                  >
                    {create.error}
                  </p>
                )}
              </div>
              <div class="field">
                <label for="tenant-name">
                  Display name<span class="optional">optional</span>
                </label>
                <input
                  id="tenant-name"
                  name="name"
                  maxLength={200}
                  value={create.values.name ?? ""}
                />
              </div>
              <button type="submit" class="button primary" data-testid="create-tenant">
                Create tenant
              </button>
            </form>
          </section>
        </div>
      </>
    ),
  });
}

/** Mounts `/tenants` and tenant deletion. */
export function tenantRoutes(app: Hono, ctx: DashboardContext): void {
  const { service } = ctx.deps;
  app.get("/tenants", page(ctx, (c, session) => tenantsPage(c, ctx, session)));

  app.post(
    "/tenants",
    form(ctx, async (c, session, fields) => {
      const id = (fields.id ?? "").trim();
      const name = (fields.name ?? "").trim();
      try {
        await service.createTenant(id, name || undefined);
      } catch (error) {
        if (error instanceof ValidationError || error instanceof ConflictError) {
          return tenantsPage(c, ctx, session, {
            values: { id, name },
            error: friendlyError(error, ctx.deps.log),
          }, error instanceof ConflictError ? 409 : 422);
        }
        throw error;
      }
      flash(c, "ok", `Tenant "${id}" created`);
      return seeOther(c, "/tenants");
    }),
  );

  const confirmPage = async (
    c: Context,
    session: DashboardSession,
    error?: unknown,
  ): Promise<Response> => {
    const tenant = await ctx.deps.store.tenants.get(c.req.param("tenant") ?? "");
    return renderPage(c, ctx, session, {
      title: `Delete tenant ${tenant.id}`,
      active: "/tenants",
      status: error ? statusOf(error) as ContentfulStatusCode : 200,
      body: (
        <section class="card narrow" aria-labelledby="confirm-heading">
          <h1 id="confirm-heading">Delete tenant "{tenant.id}"?</h1>
          {error !== undefined && (
            <p class="flash flash-error" role="alert" data-testid="error-message">
              {friendlyError(error, ctx.deps.log)}
            </p>
          )}
          <p>
            {tenant.pods === 0
              ? "It has no pods. This cannot be undone."
              : `It has ${tenant.pods} pod(s). Deleting it removes their containers and volumes. This cannot be undone.`}
          </p>
          <form method="post" action={`/tenants/${tenant.id}/delete`} data-testid="confirm-form">
            <CsrfField token={session.csrfToken} />
            {tenant.pods > 0 && (
              <div class="field field-check">
                <input type="checkbox" id="force" name="force" value="true" required />
                <label for="force">Also delete its {tenant.pods} pod(s)</label>
              </div>
            )}
            <div class="actions">
              <button type="submit" class="button danger" data-testid="confirm-delete">
                Delete tenant
              </button>
              <a class="button" href="/tenants" data-testid="cancel">Cancel</a>
            </div>
          </form>
        </section>
      ),
    });
  };

  app.get("/tenants/:tenant/delete", page(ctx, (c, session) => confirmPage(c, session)));
  app.post(
    "/tenants/:tenant/delete",
    form(ctx, async (c, session, fields) => {
      const id = c.req.param("tenant") ?? "";
      try {
        const result = await service.deleteTenant(id, fields.force === "true");
        flash(c, "ok", `Tenant "${id}" deleted with ${result.pods} pod(s)`);
        return seeOther(c, "/tenants");
      } catch (error) {
        if (error instanceof ConflictError) return confirmPage(c, session, error);
        throw error;
      }
    }),
  );
}
