/**
 * Migration in the dashboard: the OpenClaw gateways on this host that AgentPod did not
 * make, with their verdicts and what adopting them would do (read-only, as
 * `agentpod migrate discover`; through `MigrationService`, as the CLI's).
 * @module
 */
import type { Hono } from "hono";
import type { DiscoveredGateway } from "../../core/migration.ts";
import { type DashboardContext, page, renderPage } from "./_page.tsx";

function address(g: DiscoveredGateway): string {
  return g.address ? `${g.address.hostIp || "0.0.0.0"}:${g.address.hostPort}` : "-";
}

/** Mounts `/migrate`. */
export function migrateRoutes(app: Hono, ctx: DashboardContext): void {
  app.get(
    "/migrate",
    page(ctx, async (c, session) => {
      const found = await ctx.deps.migration.discover({ signal: c.req.raw.signal });
      return renderPage(c, ctx, session, {
        title: "Migrate",
        active: "/migrate",
        body: (
          <section class="card" aria-labelledby="migrate-heading">
            <h1 id="migrate-heading">OpenClaw gateways made outside AgentPod</h1>
            <p class="muted">
              Every container on this host's engine that runs an OpenClaw gateway AgentPod did not
              create. Nothing here changes them; tokens are never shown.
            </p>
            {found.length === 0
              ? <p data-testid="discover-empty">None found.</p>
              : (
                <div class="table-wrap">
                  <table class="table" data-testid="discovered">
                    <thead>
                      <tr>
                        <th>Container</th>
                        <th>Image</th>
                        <th>Address</th>
                        <th>State dir</th>
                        <th>Token</th>
                        <th>Verdict</th>
                        <th>Adopt as</th>
                      </tr>
                    </thead>
                    <tbody>
                      {found.map((g) => (
                        <tr key={g.id} data-container={g.name} data-verdict={g.verdict}>
                          <td>
                            <code>{g.name}</code>
                            <div class="muted">{g.state}</div>
                          </td>
                          <td>
                            {g.image}
                            {g.version ? <div class="muted">{g.version}</div> : null}
                          </td>
                          <td>{address(g)}</td>
                          <td>
                            {g.stateDir.kind === "container"
                              ? "in the container"
                              : `${g.stateDir.kind} ${g.stateDir.source}`}
                          </td>
                          <td>
                            {g.tokenSource}
                            {g.probe
                              ? (
                                <div class="muted">
                                  {g.probe.healthy ? "proven" : g.probe.message}
                                </div>
                              )
                              : null}
                          </td>
                          <td>
                            <strong data-testid="verdict">{g.verdict}</strong>
                            <div class="muted">{g.reason}</div>
                            {g.warnings.map((w) => <div class="muted" key={w}>⚠ {w}</div>)}
                          </td>
                          <td>{`${g.suggested.tenant}/${g.suggested.pod}`}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
          </section>
        ),
      });
    }),
  );
}
