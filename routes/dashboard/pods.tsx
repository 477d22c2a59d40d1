/**
 * The pods page `/pods`: every pod grouped by tenant (or one tenant's, `?tenant=`),
 * with state, health, CPU and memory, updated live.
 * @module
 */
import type { Hono } from "hono";
import { Island } from "../../components/Island.tsx";
import { type DashboardContext, page, renderPage } from "./_page.tsx";

/** Mounts `/pods`. */
export function podListRoutes(app: Hono, ctx: DashboardContext): void {
  app.get(
    "/pods",
    page(ctx, async (c, session) => {
      const tenant = c.req.query("tenant") || undefined;
      const [pods, tenants] = await Promise.all([
        ctx.deps.service.listPods(tenant),
        ctx.deps.store.tenants.list(),
      ]);
      return renderPage(c, ctx, session, {
        title: tenant ? `Pods of ${tenant}` : "Pods",
        active: "/pods",
        body: (
          <>
            <div class="page-head">
              <h1>{tenant ? `Pods of ${tenant}` : "Pods"}</h1>
              <form method="get" action="/pods" class="inline-form" role="search">
                <label for="tenant-filter">Tenant</label>
                <select id="tenant-filter" name="tenant">
                  <option value="">All tenants</option>
                  {tenants.map((t) => (
                    <option key={t.id} value={t.id} selected={t.id === tenant}>{t.id}</option>
                  ))}
                </select>
                <button type="submit" class="button">Show</button>
              </form>
              <a
                class="button primary"
                href={`/pods/new${tenant ? `?tenant=${tenant}` : ""}`}
                data-testid="new-pod"
              >
                New pod
              </a>
            </div>
            <section class="card flush">
              <Island name="PodsTable" props={{ pods, tenant }} />
            </section>
          </>
        ),
      });
    }),
  );
}
