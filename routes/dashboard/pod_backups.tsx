/**
 * The Backups card of a pod's page: the age of the last good archive, the archives with
 * their drills, the tasks under way, and Back up / Drill / Restore (behind a confirmation
 * page). Parity with `pod backup`, `backup list --pod`, `backup verify --drill` and
 * `pod restore --from`.
 * @module
 */
import type { Context, Hono } from "hono";
import { CsrfField } from "../../components/CsrfField.tsx";
import { type BackupRecord, type BackupTask, formatBytes } from "../../core/backup.ts";
import { formatTime } from "../../components/pod_format.ts";
import { type DashboardContext, flash, form, page, renderPage, seeOther } from "./_page.tsx";

/** How long ago `iso` was, in the largest whole unit (`5 min`, `3 h`, `2 d`). */
export function ageOf(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** The card on a pod's page. */
export function BackupsCard(
  props: { base: string; csrf: string; backups: BackupRecord[]; tasks: BackupTask[] },
) {
  const last = props.backups[0];
  const running = props.tasks.filter((t) => t.finishedAt === null);
  return (
    <section class="card" aria-labelledby="backups-heading" data-testid="pod-backups">
      <h2 id="backups-heading">Backups</h2>
      <p class="help" data-testid="last-backup">
        {last
          ? `Last good backup ${ageOf(last.createdAt)} ago (${formatBytes(last.bytes)}).`
          : "No backup yet."}{" "}
        Backups are online (the agent keeps running); a restore starts the agent on a new copy of
        its state and keeps the previous one until the next backup.
      </p>
      {running.length > 0 && (
        <ul class="plain-list" data-testid="backup-tasks">
          {running.map((t) => (
            <li key={t.id}>
              {t.kind} {t.state}
              {t.message ? `: ${t.message}` : ""}
            </li>
          ))}
        </ul>
      )}
      <div class="actions">
        <form method="post" action={`${props.base}/backups`}>
          <CsrfField token={props.csrf} />
          <button type="submit" class="button primary" data-testid="backup-now">Back up now</button>
        </form>
      </div>
      {props.backups.length > 0 && (
        <table class="table" data-testid="backup-list">
          <thead>
            <tr>
              <th>Taken</th>
              <th>Size</th>
              <th>Method</th>
              <th>Drill</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {props.backups.slice(0, 10).map((b) => (
              <tr key={b.id} data-backup={b.id}>
                <td title={b.id}>{formatTime(b.createdAt)}</td>
                <td>{formatBytes(b.bytes)}</td>
                <td>{b.method === "agent" ? "online" : `${b.method} ${b.downtimeMs} ms`}</td>
                <td>{b.drill ? (b.drill.ok ? "passed" : "failed") : "-"}</td>
                <td class="row-actions">
                  <form method="post" action={`/backups/${b.id}/drill`}>
                    <CsrfField token={props.csrf} />
                    <button type="submit" class="button small">Drill</button>
                  </form>
                  <a
                    class="button small danger"
                    href={`${props.base}/restore?from=${b.id}`}
                    data-testid="backup-restore"
                  >
                    Restore…
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const ref = (c: Context) => ({
  tenant: c.req.param("tenant") ?? "",
  name: c.req.param("pod") ?? "",
});

/** Mounts the backup forms of a pod's page. */
export function podBackupRoutes(app: Hono, ctx: DashboardContext): void {
  const { backups } = ctx.deps;
  app.post(
    "/pods/:tenant/:pod/backups",
    form(ctx, async (c) => {
      const { tenant, name } = ref(c);
      const task = await backups.backup(`${tenant}/${name}`);
      flash(c, "ok", `Backup queued (task ${task.id}); it shows here when done`);
      return seeOther(c, `/pods/${tenant}/${name}`);
    }),
  );
  app.post(
    "/backups/:id/drill",
    form(ctx, async (c) => {
      const task = await backups.drill(c.req.param("id") ?? "");
      flash(c, "ok", `Drill queued (task ${task.id}); its result shows in the list`);
      return seeOther(c, `/pods/${task.tenant}/${task.pod}`);
    }),
  );
  app.get(
    "/pods/:tenant/:pod/restore",
    page(ctx, async (c, session) => {
      const { tenant, name } = ref(c);
      const backup = await backups.get(c.req.query("from") ?? "");
      const pod = `${tenant}/${name}`;
      const clone = `${backup.tenant}/${backup.pod}` !== pod;
      return renderPage(c, ctx, session, {
        title: `Restore ${pod}`,
        active: "/pods",
        body: (
          <section class="card narrow" aria-labelledby="restore-heading">
            <h1 id="restore-heading">Restore {pod}?</h1>
            <p>
              The agent goes back to its state of {formatTime(backup.createdAt)}{" "}
              ({formatBytes(backup.bytes)}
              {clone ? `, taken from ${backup.tenant}/${backup.pod}` : ""}). It stops for the time a
              start takes; its token stays. The present state is kept in its own volume until the
              next successful backup.
            </p>
            <form method="post" action={`/pods/${pod}/restore`} class="actions">
              <CsrfField token={session.csrfToken} />
              <input type="hidden" name="from" value={backup.id} />
              {clone && (
                <input type="hidden" name="cloneFrom" value={`${backup.tenant}/${backup.pod}`} />
              )}
              <button type="submit" class="button danger" data-testid="restore-confirm">
                Restore
              </button>
              <a class="button" href={`/pods/${pod}`}>Cancel</a>
            </form>
          </section>
        ),
      });
    }),
  );
  app.post(
    "/pods/:tenant/:pod/restore",
    form(ctx, async (c, _session, body) => {
      const { tenant, name } = ref(c);
      const cloneFrom = body.cloneFrom ? body.cloneFrom : undefined;
      const task = await backups.restore(`${tenant}/${name}`, body.from ?? "", cloneFrom);
      flash(c, "ok", `Restore queued (task ${task.id}); the pod restarts on the restored state`);
      return seeOther(c, `/pods/${tenant}/${name}`);
    }),
  );
}
