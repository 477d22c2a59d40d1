/**
 * The settings page: the effective configuration, read-only (it comes from environment
 * variables), with what Traefik needs to reach the control plane. No secret is shown.
 * @module
 */
import type { Hono } from "hono";
import { maskDatabaseUrl } from "../../providers/store/database_url.ts";
import { TRAEFIK_TOKEN_HEADER } from "../traefik.ts";
import { type DashboardContext, page, renderPage } from "./_page.tsx";

function Rows(props: { rows: [string, string, string?][]; testid: string }) {
  return (
    <dl class="facts" data-testid={props.testid}>
      {props.rows.map(([label, value, variable]) => (
        <div class="fact" key={label} data-setting={variable ?? label}>
          <dt>
            {label}
            {variable && <code class="var">{variable}</code>}
          </dt>
          <dd>
            <code>{value}</code>
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Mounts `/settings`. */
export function settingsRoutes(app: Hono, ctx: DashboardContext): void {
  app.get(
    "/settings",
    page(ctx, (c, session) => {
      const config = ctx.deps.config;
      const origin = new URL(c.req.url).origin;
      const t = config.traefik;
      return renderPage(c, ctx, session, {
        title: "Settings",
        active: "/settings",
        body: (
          <>
            <div class="page-head">
              <h1>Settings</h1>
            </div>
            <p class="muted">
              Set by environment variables when the control plane starts; change them there and
              restart.
            </p>
            <div class="columns">
              <section class="card" aria-labelledby="server-heading">
                <h2 id="server-heading">Control plane</h2>
                <Rows
                  testid="settings-server"
                  rows={[
                    [
                      "Listen address",
                      `${config.listen.hostname}:${config.listen.port}`,
                      "AGENTPOD_LISTEN",
                    ],
                    ["Data directory", config.dataDir, "AGENTPOD_DATA_DIR"],
                    [
                      "Database",
                      config.databaseUrl
                        ? maskDatabaseUrl(config.databaseUrl)
                        : "embedded PGlite in the data directory",
                      "DATABASE_URL",
                    ],
                    ["Docker Engine", config.dockerHost, "DOCKER_HOST"],
                    ["Reconcile", config.reconcileMode, "AGENTPOD_RECONCILE"],
                    ["Orphan grace", `${config.orphanGraceMs / 1000} s`, "AGENTPOD_ORPHAN_GRACE"],
                  ]}
                />
              </section>
              <section class="card" aria-labelledby="pods-heading">
                <h2 id="pods-heading">Pods</h2>
                <Rows
                  testid="settings-pods"
                  rows={[
                    ["Domain", config.domain, "AGENTPOD_DOMAIN"],
                    ["Pod hosts", `<pod>.<tenant>.${config.domain}`],
                    [
                      "Host port range",
                      `${config.portRange.from}-${config.portRange.to}`,
                      "AGENTPOD_PORT_RANGE",
                    ],
                  ]}
                />
              </section>
              <section class="card" aria-labelledby="traefik-heading">
                <h2 id="traefik-heading">Traefik</h2>
                <Rows
                  testid="settings-traefik"
                  rows={[
                    ["HTTP provider endpoint", `${origin}/traefik/dynamic`],
                    [
                      "Token header",
                      `${TRAEFIK_TOKEN_HEADER} (value in \`agentpod traefik config\`)`,
                    ],
                    ["Backend", t.backend, "AGENTPOD_TRAEFIK_BACKEND"],
                    ["Web entry point", t.webEntryPoint || "(none)", "AGENTPOD_TRAEFIK_WEB"],
                    ["TLS entry point", t.tlsEntryPoint || "(none)", "AGENTPOD_TRAEFIK_WEBSECURE"],
                    [
                      "Certificate resolver",
                      t.certResolver || "(none)",
                      "AGENTPOD_TLS_CERT_RESOLVER",
                    ],
                    [
                      "Wildcard certificate per tenant",
                      String(t.wildcardPerTenant),
                      "AGENTPOD_TLS_WILDCARD",
                    ],
                  ]}
                />
                <p class="help">
                  <code>agentpod traefik config</code>{" "}
                  prints a matching Traefik static configuration.
                </p>
              </section>
              <section class="card" aria-labelledby="adapters-heading">
                <h2 id="adapters-heading">Dashboard</h2>
                <Rows
                  testid="settings-dashboard"
                  rows={[
                    [
                      "Admin password",
                      "set (stored as a PBKDF2-SHA256 hash)",
                      "AGENTPOD_ADMIN_PASSWORD",
                    ],
                    ["Session length", "12 hours"],
                    ["Adapters", ctx.deps.adapters.map((a) => a.id).join(", ")],
                  ]}
                />
              </section>
            </div>
          </>
        ),
      });
    }),
  );
}
