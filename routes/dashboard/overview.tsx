/**
 * The overview page `/`: pods by state and those needing attention (live), the state
 * of Docker, the database, Traefik (with its last poll) and the reconciler from the
 * doctor checks, and the latest events (live).
 * @module
 */
import type { Hono } from "hono";
import { CheckBadge } from "../../components/Badge.tsx";
import { Island } from "../../components/Island.tsx";
import {
  type DashboardContext,
  type DoctorReport,
  friendlyError,
  page,
  renderPage,
} from "./_page.tsx";

const EVENTS = 15;

function checkLabel(name: string): string {
  if (name.startsWith("image ")) return `Image ${name.slice(6)}`;
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Mounts `/`. */
export function overviewRoutes(app: Hono, ctx: DashboardContext): void {
  const { service } = ctx.deps;
  app.get(
    "/",
    page(ctx, async (c, session) => {
      const [pods, events, doctor] = await Promise.all([
        service.listPods(),
        service.listEvents({ tail: EVENTS }),
        ctx.deps.doctor().catch((error): DoctorReport => ({
          ok: false,
          instance: "",
          checks: [{ name: "doctor", ok: false, message: friendlyError(error, ctx.deps.log) }],
        })),
      ]);
      return renderPage(c, ctx, session, {
        title: "Overview",
        active: "/",
        body: (
          <>
            <div class="page-head">
              <h1>Overview</h1>
              <a class="button primary" href="/pods/new" data-testid="new-pod">New pod</a>
            </div>
            <Island name="OverviewPods" props={{ pods }} />
            <div class="columns">
              <section class="card" aria-labelledby="system-heading">
                <h2 id="system-heading">System</h2>
                <ul class="checks" data-testid="checks">
                  {doctor.checks.map((check) => (
                    <li key={check.name} data-check={check.name} data-ok={String(check.ok)}>
                      <CheckBadge ok={check.ok} />
                      <div>
                        <strong>{checkLabel(check.name)}</strong>
                        <p class="muted">{check.message}</p>
                      </div>
                    </li>
                  ))}
                </ul>
              </section>
              <section class="card" aria-labelledby="events-heading">
                <h2 id="events-heading">Recent events</h2>
                <Island name="EventsTimeline" props={{ events, limit: EVENTS }} />
              </section>
            </div>
          </>
        ),
      });
    }),
  );
}
