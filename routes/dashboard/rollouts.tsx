/**
 * Upgrades in the dashboard: the "Upgrade" form of a pod, the rollouts list, and a
 * rollout's page with live progress per pod (the `RolloutProgress` island) and its
 * pause, resume and abort buttons. Every write goes through `UpgradeService`, as the CLI's.
 * @module
 */
import type { Context, Hono } from "hono";
import { ConflictError, ValidationError } from "../../core/errors.ts";
import { ROLLOUT_DONE } from "../../core/rollout.ts";
import type { DashboardSession } from "../../core/store.ts";
import { CsrfField } from "../../components/CsrfField.tsx";
import { Island } from "../../components/Island.tsx";
import { formatTime } from "../../components/pod_format.ts";
import { type DashboardContext, flash, form, page, renderPage, seeOther } from "./_page.tsx";

/** Mounts `/rollouts`, `/rollouts/:id` and `/pods/:tenant/:pod/upgrade`. */
export function rolloutRoutes(app: Hono, ctx: DashboardContext): void {
  const { upgrades, service } = ctx.deps;

  const upgradeForm = async (
    c: Context,
    session: DashboardSession,
    values: Record<string, string> = {},
    error?: string,
  ) => {
    const tenant = c.req.param("tenant") ?? "";
    const name = c.req.param("pod") ?? "";
    const pod = await service.getPod(tenant, name);
    const ref = `${tenant}/${name}`;
    return renderPage(c, ctx, session, {
      title: `Upgrade ${ref}`,
      active: "/pods",
      status: error ? 400 : 200,
      body: (
        <section class="card narrow" aria-labelledby="upgrade-heading">
          <h1 id="upgrade-heading">Upgrade pod "{ref}"</h1>
          <p>
            It runs{" "}
            <code>{pod.image}</code>. The image is checked first (it must be on this host or
            pullable, start in a smoke run, and not be older unless allowed); then the pod is
            stopped, started on the new image with a copy of its state, and rolled back onto its old
            container if it does not become ready.
          </p>
          {error && <p class="notice error" role="alert" data-testid="form-error">{error}</p>}
          <form method="post" action={`/pods/${ref}/upgrade`} data-testid="upgrade-form">
            <CsrfField token={session.csrfToken} />
            <div class="field">
              <label for="image">Image</label>
              <input id="image" name="image" required value={values.image ?? pod.image} />
            </div>
            <div class="field">
              <label for="minReady">Ready for (seconds) before it counts</label>
              <input
                id="minReady"
                name="minReady"
                type="number"
                min="0"
                value={values.minReady ?? "10"}
              />
            </div>
            <div class="field">
              <label for="deadline">Time it gets to be ready (seconds)</label>
              <input
                id="deadline"
                name="deadline"
                type="number"
                min="1"
                value={values.deadline ?? "180"}
              />
            </div>
            <div class="field field-check">
              <input
                type="checkbox"
                id="allowDowngrade"
                name="allowDowngrade"
                value="true"
                checked={values.allowDowngrade === "true"}
              />
              <label for="allowDowngrade">Allow an older version</label>
            </div>
            <div class="actions">
              <button type="submit" class="button primary" data-testid="upgrade-submit">
                Upgrade
              </button>
              <a class="button" href={`/pods/${ref}`}>Cancel</a>
            </div>
          </form>
        </section>
      ),
    });
  };

  app.get("/pods/:tenant/:pod/upgrade", page(ctx, (c, session) => upgradeForm(c, session)));
  app.post(
    "/pods/:tenant/:pod/upgrade",
    form(ctx, async (c, session, fields) => {
      const ref = `${c.req.param("tenant")}/${c.req.param("pod")}`;
      const seconds = (value: string | undefined, fallback: number) =>
        value === undefined || value.trim() === "" ? fallback : Number(value) * 1000;
      try {
        const rollout = await upgrades.start({
          image: fields.image ?? "",
          pods: [ref],
          options: {
            minReadyMs: seconds(fields.minReady, 10_000),
            progressDeadlineMs: seconds(fields.deadline, 180_000),
            allowDowngrade: fields.allowDowngrade === "true",
          },
        });
        flash(c, "ok", `Upgrading "${ref}" to ${fields.image}`);
        return seeOther(c, `/rollouts/${(rollout as { id: string }).id}`);
      } catch (error) {
        if (error instanceof ValidationError || error instanceof ConflictError) {
          return upgradeForm(c, session, fields, error.message);
        }
        throw error;
      }
    }),
  );

  app.get(
    "/rollouts",
    page(ctx, async (c, session) => {
      const rollouts = await upgrades.list(50);
      return renderPage(c, ctx, session, {
        title: "Rollouts",
        active: "/rollouts",
        body: (
          <section class="card" aria-labelledby="rollouts-heading">
            <h1 id="rollouts-heading">Rollouts</h1>
            {rollouts.length === 0
              ? (
                <p class="muted">
                  No upgrades yet. Upgrade a pod from its page, or a fleet with{" "}
                  <code>agentpod pod upgrade --all --image …</code>.
                </p>
              )
              : (
                <div class="table-wrap">
                  <table class="table" data-testid="rollouts">
                    <thead>
                      <tr>
                        <th>Rollout</th>
                        <th>Image</th>
                        <th>State</th>
                        <th>Pods</th>
                        <th>Started</th>
                        <th>Message</th>
                      </tr>
                    </thead>
                    <tbody>
                      {rollouts.map((r) => (
                        <tr key={r.id}>
                          <td>
                            <a href={`/rollouts/${r.id}`}>{r.id.slice(0, 8)}</a>
                          </td>
                          <td>{r.image}</td>
                          <td>{r.state}</td>
                          <td>{r.items.length}</td>
                          <td>{formatTime(r.createdAt)}</td>
                          <td>{r.message ?? "-"}</td>
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

  app.get(
    "/rollouts/:id",
    page(ctx, async (c, session) => {
      const rollout = await upgrades.get(c.req.param("id") ?? "");
      const button = (verb: string, label: string, enabled: boolean) => (
        <form method="post" action={`/rollouts/${rollout.id}/${verb}`}>
          <CsrfField token={session.csrfToken} />
          <button
            type="submit"
            class={`button${verb === "abort" ? " danger" : ""}`}
            disabled={!enabled}
            data-testid={`rollout-${verb}`}
          >
            {label}
          </button>
        </form>
      );
      const open = !ROLLOUT_DONE.has(rollout.state);
      return renderPage(c, ctx, session, {
        title: `Rollout ${rollout.id.slice(0, 8)}`,
        active: "/rollouts",
        body: (
          <>
            <h1>Rollout {rollout.id.slice(0, 8)}</h1>
            <Island name="RolloutProgress" props={{ rollout }} />
            <div class="actions" role="group" aria-label="Rollout actions">
              {button("pause", "Pause", rollout.state === "running")}
              {button("resume", "Resume", rollout.state === "paused")}
              {button("abort", "Abort", open)}
            </div>
          </>
        ),
      });
    }),
  );
  for (const verb of ["pause", "resume", "abort"] as const) {
    app.post(
      `/rollouts/:id/${verb}`,
      form(ctx, async (c) => {
        const id = c.req.param("id") ?? "";
        await upgrades[verb](id);
        flash(c, "ok", `Rollout ${id.slice(0, 8)}: ${verb}d`);
        return seeOther(c, `/rollouts/${id}`);
      }),
    );
  }
}
