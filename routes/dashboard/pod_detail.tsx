/**
 * A pod's page: facts and public URL, live status and conditions with start / stop /
 * restart, the config (secrets masked), the events timeline and the live log tail;
 * deletion behind a confirmation page; for a pod adopted from a container made by hand,
 * that container and its release (`agentpod migrate release`) behind one too.
 * @module
 */
import { AccessCard, clientsState } from "./pod_access.tsx";
import { BackupsCard } from "./pod_backups.tsx";
import type { Context, Hono } from "hono";
import { Fragment } from "preact";
import type { AgentAdapter } from "../../core/adapter.ts";
import type { Adoption } from "../../core/pod.ts";
import { describeConfigEffect } from "../../core/config_patch.ts";
import { AgentPodError, ValidationError } from "../../core/errors.ts";
import { getPath, SECRET_MASK, withPath } from "../../core/secrets.ts";
import { SchemaFields } from "../../components/SchemaFields.tsx";
import { adapterJsonSchema, errorsOf } from "./pod_new.tsx";
import {
  configToFormValues,
  formFields,
  type FormNode,
  formToConfig,
  schemaToForm,
} from "./schema_form.ts";
import type { DashboardSession } from "../../core/store.ts";
import { CsrfField } from "../../components/CsrfField.tsx";
import { Island } from "../../components/Island.tsx";
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

const EVENTS = 50;

const LOG_TAIL = 200;

/** A config object as `[dot path, text]` rows, leaves only, in key order. */
export function flattenConfig(value: unknown, prefix = ""): [string, string][] {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) =>
      flattenConfig(child, prefix ? `${prefix}.${key}` : key)
    );
  }
  return [[prefix, typeof value === "string" ? value : JSON.stringify(value)]];
}

function params(c: Context): { tenant: string; name: string; ref: string } {
  const tenant = c.req.param("tenant") ?? "";
  const name = c.req.param("pod") ?? "";
  return { tenant, name, ref: `${tenant}/${name}` };
}

/** The config form's fields: the adapter's schema, secrets saying how to keep them. */
function settingsForm(adapter: AgentAdapter, config: Record<string, unknown>): FormNode[] {
  const mark = (nodes: FormNode[]): FormNode[] =>
    nodes.map((node) => {
      if (node.kind === "group") return { ...node, children: mark(node.children) };
      if (!node.sensitive) return node;
      const set = getPath(config, node.path) !== undefined;
      const keep = set
        ? "Set. Leave blank to keep it; type a new value to replace it."
        : "Not set.";
      return { ...node, description: [node.description, keep].filter(Boolean).join(" ") };
    });
  return mark(schemaToForm(adapterJsonSchema(adapter), { sensitive: adapter.sensitiveFields }));
}

/** What the config form shows after a failed save. */
interface SettingsState {
  values: Record<string, string | undefined>;
  errors: Record<string, string>;
  formError?: string;
}

/**
 * The adoption of the pod while it runs the container it was adopted with (null: AgentPod
 * made its container).
 */
async function adoptionOf(
  ctx: DashboardContext,
  tenant: string,
  name: string,
): Promise<Adoption | null> {
  return (await ctx.deps.service.getPod(tenant, name)).adopted;
}

/** What a pod adopted from a container made by hand runs, and its "Release…" action. */
function AdoptionCard(props: { adoption: Adoption; base: string }) {
  const { adoption: a, base } = props;
  return (
    <section class="card" aria-labelledby="adoption-heading" data-testid="pod-adoption">
      <h2 id="adoption-heading">Adopted</h2>
      <p>
        AgentPod did not make this pod's container: it was adopted as it runs and is never
        recreated.
      </p>
      <dl class="facts">
        <dt>Container</dt>
        <dd data-testid="adopted-container">
          <code>{a.containerName}</code> <span class="muted">{a.containerId.slice(0, 12)}</span>
        </dd>
        <dt>State</dt>
        <dd>
          {a.stateDir.kind === "container"
            ? `in the container, ${a.stateDir.path}`
            : `${a.stateDir.kind} ${a.stateDir.source}, ${a.stateDir.path}`}
        </dd>
        <dt>Adopted</dt>
        <dd>{formatTime(a.adoptedAt)}</dd>
        <dt>Route</dt>
        <dd data-testid="adopted-routed" data-routed={String(a.routed === true)}>
          {a.routed ? "Through Traefik: its gateway trusts the proxy" : (
            <>
              Not routed: reached on its published port only.{" "}
              <code>agentpod migrate adopt {a.containerName} --route</code> routes it.
            </>
          )}
        </dd>
      </dl>
      <div class="actions">
        <a class="button" href={`${base}/release`} data-testid="pod-release">Release…</a>
      </div>
    </section>
  );
}

async function detailPage(
  c: Context,
  ctx: DashboardContext,
  session: DashboardSession,
  settings?: SettingsState,
  status = 200,
): Promise<Response> {
  const { service } = ctx.deps;
  const { tenant, name, ref } = params(c);
  const pod = await service.getPod(tenant, name);
  const [config, events, adoption, backups, tasks] = await Promise.all([
    service.getConfig(tenant, name),
    service.listEvents({ tail: EVENTS, pod: ref }),
    adoptionOf(ctx, tenant, name),
    ctx.deps.backups.list({ pod: ref }),
    ctx.deps.backups.tasks({ pod: ref }),
  ]);
  const clients = clientsState(ctx, pod.adapter);
  const rows = flattenConfig(config.config);
  const adapter = ctx.deps.adapters.find((a) => a.id === pod.adapter);
  const nodes = adapter ? settingsForm(adapter, config.config) : [];
  const state = settings ?? { values: configToFormValues(nodes, config.config), errors: {} };
  return renderPage(c, ctx, session, {
    title: ref,
    active: "/pods",
    status,
    body: (
      <>
        <div class="page-head">
          <div>
            <p class="crumbs">
              <a href="/pods">Pods</a> / <a href={`/pods?tenant=${tenant}`}>{tenant}</a>
            </p>
            <h1 data-testid="pod-title">{ref}</h1>
          </div>
          <a
            class="pod-url"
            href={pod.url}
            target="_blank"
            rel="noopener noreferrer"
            data-testid="pod-url"
          >
            {pod.url}
          </a>
        </div>
        <div class="columns">
          <div class="stack">
            <Island name="PodStatus" props={{ pod, csrf: session.csrfToken }} />
            {adoption && <AdoptionCard adoption={adoption} base={`/pods/${ref}`} />}
            <AccessCard
              base={`/pods/${ref}`}
              csrf={session.csrfToken}
              adopted={!!adoption}
              clients={clients}
            />
            <BackupsCard
              base={`/pods/${ref}`}
              csrf={session.csrfToken}
              backups={backups}
              tasks={tasks}
            />
            <section class="card" aria-labelledby="config-heading">
              <h2 id="config-heading">Configuration</h2>
              <dl class="facts" data-testid="pod-facts">
                <dt>Adapter</dt>
                <dd>{pod.adapter}</dd>
                <dt>Image</dt>
                <dd data-testid="pod-image">
                  <code>{pod.image}</code>
                </dd>
                <dt>Host port</dt>
                <dd>127.0.0.1:{pod.hostPort}</dd>
                <dt>Limits</dt>
                <dd>
                  {config.resources.memoryMB} MB, {config.resources.cpus} CPU,{" "}
                  {config.resources.pids} processes
                </dd>
                <dt>Created</dt>
                <dd>{formatTime(pod.createdAt)}</dd>
              </dl>
              <h3>Agent settings</h3>
              {rows.length === 0
                ? <p class="muted" data-testid="pod-config-empty">Defaults: nothing set.</p>
                : (
                  <dl class="facts" data-testid="pod-config">
                    {rows.map(([path, text]) => (
                      <Fragment key={path}>
                        <dt>{path}</dt>
                        <dd data-config={path}>
                          <code>{text}</code>
                        </dd>
                      </Fragment>
                    ))}
                  </dl>
                )}
              {nodes.length > 0 && pod.desiredState !== "deleted" && (
                <details class="edit-settings" open={settings !== undefined}>
                  <summary data-testid="edit-settings">Edit settings</summary>
                  <form
                    method="post"
                    action={`/pods/${ref}/config`}
                    data-testid="config-form"
                    novalidate
                  >
                    <CsrfField token={session.csrfToken} />
                    <input type="hidden" name="generation" value={String(pod.generation)} />
                    {state.formError && (
                      <p class="flash flash-error" role="alert" data-testid="form-error">
                        {state.formError}
                      </p>
                    )}
                    <SchemaFields nodes={nodes} state={state} />
                    <p class="help">
                      Saving applies the change as the agent needs: files it reloads are rewritten
                      in place; a new key or token recreates the container.
                    </p>
                    <div class="actions">
                      <button type="submit" class="button primary" data-testid="save-config">
                        Save settings
                      </button>
                    </div>
                  </form>
                </details>
              )}
              <p class="help">
                Secrets are shown masked. The CLI does the same with{" "}
                <code>agentpod config set {ref} --key … --value …</code>.
              </p>
            </section>
          </div>
          <section class="card" aria-labelledby="events-heading">
            <h2 id="events-heading">Events</h2>
            <Island name="EventsTimeline" props={{ events, pod: ref, limit: EVENTS }} />
          </section>
        </div>
        <section class="card" aria-labelledby="logs-heading">
          <h2 id="logs-heading">Logs</h2>
          <Island name="LogTail" props={{ pod: ref, podId: pod.id, tail: LOG_TAIL }} />
          <noscript>
            <p class="muted">
              The live log needs JavaScript; <code>agentpod pod logs {ref}</code> shows it too.
            </p>
          </noscript>
        </section>
      </>
    ),
  });
}

/** Mounts `/pods/:tenant/:pod` and its actions. */
export function podDetailRoutes(app: Hono, ctx: DashboardContext): void {
  const { service } = ctx.deps;
  app.get("/pods/:tenant/:pod", page(ctx, (c, session) => detailPage(c, ctx, session)));

  const lifecycle = (
    action: string,
    run: (tenant: string, name: string) => Promise<unknown>,
    done: string,
  ) =>
    app.post(
      `/pods/:tenant/:pod/${action}`,
      form(ctx, async (c) => {
        const { tenant, name, ref } = params(c);
        try {
          await run(tenant, name);
          flash(c, "ok", `${done} pod "${ref}"`);
        } catch (error) {
          if (!(error instanceof AgentPodError)) throw error;
          flash(c, "error", friendlyError(error, ctx.deps.log));
        }
        return seeOther(c, `/pods/${tenant}/${name}`);
      }),
    );
  app.post(
    "/pods/:tenant/:pod/config",
    form(ctx, async (c, session, fields) => {
      const { tenant, name, ref } = params(c);
      const pod = await service.getPod(tenant, name);
      const adapter = ctx.deps.adapters.find((a) => a.id === pod.adapter);
      if (!adapter) throw new ValidationError(`Unknown adapter "${pod.adapter}"`);
      const current = (await service.getConfig(tenant, name)).config;
      const nodes = settingsForm(adapter, current);
      const reading = formToConfig(adapterJsonSchema(adapter), nodes, fields);
      const again = (state: Omit<SettingsState, "values">, status: number) =>
        detailPage(c, ctx, session, { values: fields, ...state }, status);
      if (Object.keys(reading.errors).length > 0) return again({ errors: reading.errors }, 422);
      // A secret left blank keeps its value: the service restores what is sent masked.
      let replace = reading.config;
      for (const field of formFields(nodes)) {
        if (field.sensitive && getPath(replace, field.path) === undefined) {
          if (getPath(current, field.path) !== undefined) {
            replace = withPath(replace, field.path, SECRET_MASK);
          }
        }
      }
      try {
        const generation = Number(fields.generation);
        const result = await service.updateConfig(tenant, name, { replace }, {
          expectGeneration: Number.isInteger(generation) ? generation : undefined,
        });
        flash(
          c,
          result.warning ? "error" : "ok",
          result.warning
            ? result.warning
            : result.changed.length === 0
            ? "No settings changed"
            : `Saved ${result.changed.join(", ")} of "${ref}" (${
              describeConfigEffect(result.effect)
            })`,
        );
      } catch (error) {
        if (error instanceof ValidationError) {
          const names = new Set(formFields(nodes).map((f) => f.name));
          return again(errorsOf(error, names), 422);
        }
        if (!(error instanceof AgentPodError)) throw error;
        return again({ errors: {}, formError: friendlyError(error, ctx.deps.log) }, 409);
      }
      return seeOther(c, `/pods/${tenant}/${name}`);
    }),
  );

  lifecycle("start", (t, n) => service.setRunning(t, n, true), "Starting");
  lifecycle("stop", (t, n) => service.setRunning(t, n, false), "Stopping");
  lifecycle("restart", (t, n) => service.restartPod(t, n), "Restarted");

  app.get(
    "/pods/:tenant/:pod/delete",
    page(ctx, async (c, session) => {
      const { tenant, name, ref } = params(c);
      await service.getPod(tenant, name);
      return renderPage(c, ctx, session, {
        title: `Delete ${ref}`,
        active: "/pods",
        body: (
          <section class="card narrow" aria-labelledby="confirm-heading">
            <h1 id="confirm-heading">Delete pod "{ref}"?</h1>
            <p>
              Its container and its volume (the agent's state) are removed, and its route goes. This
              cannot be undone.
            </p>
            <form method="post" action={`/pods/${ref}/delete`} data-testid="confirm-form">
              <CsrfField token={session.csrfToken} />
              <div class="field field-check">
                <input type="checkbox" id="force" name="force" value="true" />
                <label for="force">
                  Kill the container at once rather than let the agent stop gracefully
                </label>
              </div>
              <div class="actions">
                <button type="submit" class="button danger" data-testid="confirm-delete">
                  Delete pod
                </button>
                <a class="button" href={`/pods/${ref}`} data-testid="cancel">Cancel</a>
              </div>
            </form>
          </section>
        ),
      });
    }),
  );
  app.get(
    "/pods/:tenant/:pod/release",
    page(ctx, async (c, session) => {
      const { tenant, name, ref } = params(c);
      const adoption = await adoptionOf(ctx, tenant, name);
      if (!adoption) {
        throw new ValidationError(
          `Cannot release "${ref}": AgentPod made its container (delete it instead)`,
        );
      }
      return renderPage(c, ctx, session, {
        title: `Release ${ref}`,
        active: "/pods",
        body: (
          <section class="card narrow" aria-labelledby="confirm-heading">
            <h1 id="confirm-heading">Release pod "{ref}"?</h1>
            <p>
              AgentPod stops managing it: the pod and its copy of the token go. Its container{" "}
              <code>{adoption.containerName}</code>{" "}
              is left running exactly as it is (not stopped, not restarted, its state untouched),
              and can be adopted again later.
            </p>
            {adoption.routed && (
              <p data-testid="release-routed">
                Its route through Traefik goes; its gateway keeps trusting the proxy it was made to
                trust.
              </p>
            )}
            <form method="post" action={`/pods/${ref}/release`} data-testid="confirm-form">
              <CsrfField token={session.csrfToken} />
              <div class="actions">
                <button type="submit" class="button danger" data-testid="confirm-release">
                  Release pod
                </button>
                <a class="button" href={`/pods/${ref}`} data-testid="cancel">Cancel</a>
              </div>
            </form>
          </section>
        ),
      });
    }),
  );
  app.post(
    "/pods/:tenant/:pod/release",
    form(ctx, async (c) => {
      const { tenant, name } = params(c);
      const released = await ctx.deps.migration.release(tenant, name);
      flash(
        c,
        "ok",
        `Released "${released.pod}": container ${
          released.container.slice(0, 12)
        } runs on, unmanaged`,
      );
      return seeOther(c, "/pods");
    }),
  );
  app.post(
    "/pods/:tenant/:pod/delete",
    form(ctx, async (c, _session, fields) => {
      const { tenant, name, ref } = params(c);
      await service.deletePod(tenant, name, { force: fields.force === "true" });
      flash(c, "ok", `Pod "${ref}" is being deleted`);
      return seeOther(c, `/pods?tenant=${tenant}`);
    }),
  );
}
