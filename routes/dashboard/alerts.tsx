/**
 * Alerts: the webhook endpoints (add, with the signing secret shown once on the page
 * that answers; remove; Test, which reports how the receiver answered) and the recent
 * alerts with their deliveries. Parity with `agentpod alert endpoint add|list|remove|test`
 * and `agentpod alert list`.
 * @module
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ALERT_TYPES, type AlertEndpoint } from "../../core/alerts.ts";
import { NotFoundError, ValidationError } from "../../core/errors.ts";
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

interface AddState {
  values: Record<string, string>;
  events?: string[];
  error?: string;
  added?: AlertEndpoint & { secret: string };
}

async function alertsPage(
  c: Context,
  ctx: DashboardContext,
  session: DashboardSession,
  add: AddState = { values: {} },
  status = 200,
): Promise<Response> {
  const [endpoints, alerts, tenants] = await Promise.all([
    ctx.deps.alerts.listEndpoints(),
    ctx.deps.alerts.list({ tail: 50 }),
    ctx.deps.store.tenants.list(),
  ]);
  const v = add.values;
  const chosen = new Set(add.events ?? []);
  return renderPage(c, ctx, session, {
    title: "Alerts",
    active: "/alerts",
    status: status as ContentfulStatusCode,
    body: (
      <>
        <div class="page-head">
          <h1>Alerts</h1>
        </div>
        {add.added && (
          <section class="card" aria-labelledby="added-heading" data-testid="endpoint-added">
            <h2 id="added-heading">Endpoint added</h2>
            <p>
              Copy the signing secret now: it is not shown again. Receivers verify each message's
              {" "}
              <code>webhook-signature</code> with it (Standard Webhooks).
            </p>
            <pre class="secret" data-testid="endpoint-secret">{add.added.secret}</pre>
          </section>
        )}
        <div class="columns columns-wide-left">
          <section class="card" aria-labelledby="endpoints-heading">
            <h2 id="endpoints-heading">Webhook endpoints</h2>
            {endpoints.length === 0
              ? <p class="muted">No endpoint yet: alerts are recorded but sent nowhere.</p>
              : (
                <div class="table-wrap">
                  <table class="table" data-testid="endpoints-table">
                    <thead>
                      <tr>
                        <th scope="col">URL</th>
                        <th scope="col">Events</th>
                        <th scope="col">Tenant</th>
                        <th scope="col">
                          <span class="sr-only">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {endpoints.map((e) => (
                        <tr key={e.id} data-testid="endpoint-row">
                          <td class="mono">{e.url}</td>
                          <td>{e.events.length ? e.events.join(", ") : "all"}</td>
                          <td>{e.tenant ?? "(all)"}</td>
                          <td class="row-actions">
                            <form method="post" action={`/alerts/endpoints/${e.id}/test`}>
                              <CsrfField token={session.csrfToken} />
                              <button type="submit" class="link" data-testid="endpoint-test">
                                Test
                              </button>
                            </form>
                            <form method="post" action={`/alerts/endpoints/${e.id}/remove`}>
                              <CsrfField token={session.csrfToken} />
                              <button type="submit" class="link danger-link">Remove</button>
                            </form>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
          </section>
          <section class="card" aria-labelledby="add-endpoint-heading">
            <h2 id="add-endpoint-heading">Add an endpoint</h2>
            {add.error && (
              <p class="flash flash-error" role="alert" data-testid="error-message">
                {add.error}
              </p>
            )}
            <form method="post" action="/alerts/endpoints" data-testid="add-endpoint-form">
              <CsrfField token={session.csrfToken} />
              <div class="field">
                <label for="endpoint-url">URL</label>
                <input
                  id="endpoint-url"
                  name="url"
                  type="url"
                  required
                  placeholder="https://hooks.example.com/agentpod"
                  value={v.url ?? ""}
                />
              </div>
              <fieldset class="field">
                <legend>
                  Events<span class="optional">none ticked: all</span>
                </legend>
                {ALERT_TYPES.map((type) => (
                  <label class="check" key={type}>
                    <input type="checkbox" name="events" value={type} checked={chosen.has(type)} />
                    {type}
                  </label>
                ))}
              </fieldset>
              <div class="field">
                <label for="endpoint-tenant">
                  Tenant<span class="optional">optional</span>
                </label>
                <select id="endpoint-tenant" name="tenant">
                  <option value="">Every tenant (and the control plane's own)</option>
                  {tenants.map((t) => (
                    <option value={t.id} selected={v.tenant === t.id}>{t.id}</option>
                  ))}
                </select>
              </div>
              <button type="submit" class="button primary" data-testid="add-endpoint">
                Add endpoint
              </button>
            </form>
          </section>
        </div>
        <section class="card" aria-labelledby="recent-heading">
          <h2 id="recent-heading">Recent alerts</h2>
          {alerts.length === 0
            ? <p class="muted">No alert raised yet.</p>
            : (
              <div class="table-wrap">
                <table class="table" data-testid="alerts-table">
                  <thead>
                    <tr>
                      <th scope="col">Raised</th>
                      <th scope="col">Type</th>
                      <th scope="col">Pod</th>
                      <th scope="col">Message</th>
                      <th scope="col">Deliveries</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...alerts].reverse().map((a) => (
                      <tr key={a.id} data-testid="alert-row" data-type={a.type}>
                        <td>{formatTime(a.createdAt)}</td>
                        <td>
                          {a.type}
                          {a.coalesced > 0 && (
                            <span class="muted">{` (+${a.coalesced} coalesced)`}</span>
                          )}
                        </td>
                        <td>{a.pod ?? a.tenant ?? "–"}</td>
                        <td>{a.message}</td>
                        <td data-testid="alert-deliveries">
                          {a.deliveries.length === 0
                            ? "no endpoint"
                            : a.deliveries.map((d) => (
                              <div key={d.endpointId} title={d.url}>
                                {d.state}
                                {` · ${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`}
                                {d.lastStatus !== null && ` · HTTP ${d.lastStatus}`}
                                {d.state !== "delivered" && d.lastError && (
                                  <span class="muted">{` · ${d.lastError}`}</span>
                                )}
                              </div>
                            ))}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
        </section>
      </>
    ),
  });
}

/** Mounts `/alerts`. */
export function alertRoutes(app: Hono, ctx: DashboardContext): void {
  app.get("/alerts", page(ctx, (c, session) => alertsPage(c, ctx, session)));
  app.post(
    "/alerts/endpoints",
    form(ctx, async (c, session, fields) => {
      const all = await c.req.parseBody({ all: true });
      const picked = all.events;
      const events = (Array.isArray(picked) ? picked : picked === undefined ? [] : [picked])
        .map(String);
      const values = { url: (fields.url ?? "").trim(), tenant: fields.tenant ?? "" };
      try {
        const added = await ctx.deps.alerts.addEndpoint({
          url: values.url,
          events,
          ...(values.tenant ? { tenant: values.tenant } : {}),
        });
        return await alertsPage(c, ctx, session, { values: {}, added }, 201);
      } catch (error) {
        if (error instanceof ValidationError || error instanceof NotFoundError) {
          return await alertsPage(c, ctx, session, {
            values,
            events,
            error: friendlyError(error, ctx.deps.log),
          }, 422);
        }
        throw error;
      }
    }),
  );
  app.post(
    "/alerts/endpoints/:id/test",
    form(ctx, async (c) => {
      const sent = await ctx.deps.alerts.test(c.req.param("id") ?? "");
      const d = sent.deliveries[0];
      if (d?.state === "delivered") flash(c, "ok", `Test delivered: HTTP ${d.lastStatus}`);
      else if (!d || d.attempts === 0) flash(c, "error", "Test queued; no attempt yet");
      else flash(c, "error", `Test not delivered: ${d.lastError ?? "no reason given"}`);
      return seeOther(c, "/alerts");
    }),
  );
  app.post(
    "/alerts/endpoints/:id/remove",
    form(ctx, async (c) => {
      await ctx.deps.alerts.removeEndpoint(c.req.param("id") ?? "");
      flash(c, "ok", "Endpoint removed");
      return seeOther(c, "/alerts");
    }),
  );
}
