/**
 * The dashboard: server-rendered Preact pages with hydrated islands, mounted at `/`
 * beside the API. Makes sure an admin password exists, loads the static assets, and
 * mounts every page, form and stream; each one checks the session itself, so the API,
 * the health probes and the Traefik endpoint are untouched by it.
 * @module
 */
import { Hono } from "hono";
import { DashboardAuth } from "./auth.ts";
import { ensureAdminPassword } from "./password.ts";
import { StaticAssets } from "./static_assets.ts";
import type { DashboardContext, DashboardDeps } from "./_page.tsx";
import { adapterRoutes } from "./adapters.tsx";
import { alertRoutes } from "./alerts.tsx";
import { liveRoutes } from "./live_routes.ts";
import { loginRoutes } from "./login.tsx";
import { migrateRoutes } from "./migrate.tsx";
import { overviewRoutes } from "./overview.tsx";
import { podCreateRoutes } from "./pod_new.tsx";
import { podDetailRoutes } from "./pod_detail.tsx";
import { podAccessRoutes } from "./pod_access.tsx";
import { podBackupRoutes } from "./pod_backups.tsx";
import { podListRoutes } from "./pods.tsx";
import { rolloutRoutes } from "./rollouts.tsx";
import { settingsRoutes } from "./settings.tsx";
import { tenantRoutes } from "./tenants.tsx";
import { tenantUsageRoutes } from "./tenant_usage.tsx";
import { tokenRoutes } from "./tokens.tsx";

export type { DashboardDeps } from "./_page.tsx";

/** Builds the dashboard routes. */
export async function createDashboard(deps: DashboardDeps): Promise<Hono> {
  const now = deps.now ?? Date.now;
  await ensureAdminPassword({
    store: deps.store,
    fromEnv: deps.adminPassword,
    log: deps.log,
    print: deps.print ?? ((line) => console.log(line)),
    iterations: deps.passwordIterations,
  });
  const ctx: DashboardContext = {
    deps,
    auth: new DashboardAuth({ store: deps.store, now }),
    assets: await StaticAssets.load(deps.log),
  };
  const app = new Hono();
  app.get("/static/:name", (c) => ctx.assets.serve(c));
  loginRoutes(app, ctx);
  liveRoutes(app, ctx);
  overviewRoutes(app, ctx);
  tenantRoutes(app, ctx);
  tenantUsageRoutes(app, ctx);
  podCreateRoutes(app, ctx);
  podListRoutes(app, ctx);
  podDetailRoutes(app, ctx);
  podAccessRoutes(app, ctx);
  podBackupRoutes(app, ctx);
  rolloutRoutes(app, ctx);
  migrateRoutes(app, ctx);
  adapterRoutes(app, ctx);
  alertRoutes(app, ctx);
  tokenRoutes(app, ctx);
  settingsRoutes(app, ctx);
  return app;
}
