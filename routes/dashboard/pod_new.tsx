/**
 * Creating a pod: pick an adapter, then fill a form generated from its config schema
 * (secrets as password inputs). The post goes through the service's validation; every
 * error comes back next to its field and nothing is created.
 * @module
 */
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AgentAdapter } from "../../core/adapter.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.ts";
import { idProblem } from "../../core/ids.ts";
import type { DashboardSession } from "../../core/store.ts";
import { CsrfField } from "../../components/CsrfField.tsx";
import { Field, type FieldState, SchemaFields } from "../../components/SchemaFields.tsx";
import {
  type FormField,
  formFields,
  formToConfig,
  type JsonSchema,
  schemaToForm,
} from "./schema_form.ts";
import {
  type DashboardContext,
  flash,
  form,
  friendlyError,
  page,
  renderPage,
  seeOther,
} from "./_page.tsx";

/** The JSON Schema of an adapter's config, as forms read it. */
export function adapterJsonSchema(adapter: AgentAdapter): JsonSchema {
  return z.toJSONSchema(adapter.configSchema, {
    io: "input",
    unrepresentable: "any",
  }) as JsonSchema;
}

function fixedField(
  name: string,
  label: string,
  kind: FormField["kind"],
  extra: Partial<FormField> = {},
): FormField {
  return {
    kind,
    path: name,
    name,
    id: name.replaceAll(".", "-"),
    label,
    required: false,
    sensitive: false,
    ...extra,
  };
}

function podFields(adapter: AgentAdapter): FormField[] {
  return [
    fixedField("name", "Pod name", "text", {
      required: true,
      maxLength: 40,
      description: "Lowercase letters, digits and hyphens; the pod is addressed <tenant>/<name>.",
    }),
    fixedField("image", "Image", "text", {
      required: adapter.defaultImage === "",
      description: adapter.defaultImage
        ? `Leave empty for the adapter's image ${adapter.defaultImage}.`
        : "This adapter has no default image.",
    }),
    fixedField("resources.memoryMB", "Memory limit (MB)", "integer", {
      min: 64,
      description: `Default ${adapter.defaultResources.memoryMB} MB.`,
    }),
    fixedField("resources.cpus", "CPU limit (cores)", "number", {
      min: 0.1,
      description: `Default ${adapter.defaultResources.cpus}.`,
    }),
  ];
}

function chooseAdapter(
  c: Context,
  ctx: DashboardContext,
  session: DashboardSession,
  tenant: string | undefined,
): Response {
  return renderPage(c, ctx, session, {
    title: "New pod",
    active: "/pods/new",
    body: (
      <section class="card narrow" aria-labelledby="choose-heading">
        <h1 id="choose-heading">New pod</h1>
        <form method="get" action="/pods/new" data-testid="choose-adapter-form">
          {tenant && <input type="hidden" name="tenant" value={tenant} />}
          <fieldset class="choices">
            <legend>Agent type</legend>
            {ctx.deps.adapters.map((adapter, i) => (
              <label key={adapter.id} class="choice" for={`adapter-${adapter.id}`}>
                <input
                  type="radio"
                  id={`adapter-${adapter.id}`}
                  name="adapter"
                  value={adapter.id}
                  checked={i === 0}
                  required
                />
                <span>
                  <strong>{adapter.label}</strong>
                  <span class="muted">{adapter.description}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <button type="submit" class="button primary" data-testid="choose-adapter">
            Continue
          </button>
        </form>
      </section>
    ),
  });
}

async function podForm(
  c: Context,
  ctx: DashboardContext,
  session: DashboardSession,
  adapter: AgentAdapter,
  state: FieldState & { formError?: string },
  status = 200,
): Promise<Response> {
  const tenants = await ctx.deps.store.tenants.list();
  const nodes = schemaToForm(adapterJsonSchema(adapter), { sensitive: adapter.sensitiveFields });
  const tenantError = state.errors.tenant;
  const selected = state.values.tenant;
  return renderPage(c, ctx, session, {
    title: `New ${adapter.label} pod`,
    active: "/pods/new",
    status,
    body: (
      <section class="card narrow" aria-labelledby="new-pod-heading">
        <h1 id="new-pod-heading">New {adapter.label} pod</h1>
        <p class="muted">
          {adapter.description} <a href="/pods/new">Choose another type</a>
        </p>
        {tenants.length === 0
          ? (
            <p class="empty" data-testid="no-tenants">
              Pods belong to a tenant. <a href="/tenants">Create a tenant</a> first.
            </p>
          )
          : (
            <form method="post" action="/pods/new" data-testid="create-pod-form" novalidate>
              <CsrfField token={session.csrfToken} />
              <input type="hidden" name="adapter" value={adapter.id} />
              {state.formError && (
                <p class="flash flash-error" role="alert" data-testid="form-error">
                  {state.formError}
                </p>
              )}
              <div class={`field${tenantError ? " invalid" : ""}`}>
                <label for="tenant">Tenant</label>
                <select
                  id="tenant"
                  name="tenant"
                  required
                  aria-invalid={tenantError ? true : undefined}
                  aria-describedby={tenantError ? "tenant-error" : undefined}
                >
                  {tenants.map((t) => (
                    <option key={t.id} value={t.id} selected={t.id === selected}>{t.id}</option>
                  ))}
                </select>
                {tenantError && (
                  <p
                    class="field-error"
                    id="tenant-error"
                    data-testid="field-error"
                    data-field="tenant"
                  >
                    {tenantError}
                  </p>
                )}
              </div>
              {podFields(adapter).map((field) => (
                <Field key={field.name} field={field} state={state} />
              ))}
              {nodes.length > 0 && (
                <fieldset class="group">
                  <legend>Configuration</legend>
                  <SchemaFields nodes={nodes} state={state} />
                </fieldset>
              )}
              <div class="actions">
                <button type="submit" class="button primary" data-testid="create-pod">
                  Create pod
                </button>
                <a class="button" href="/pods">Cancel</a>
              </div>
            </form>
          )}
      </section>
    ),
  });
}

/** Where a service error belongs in the form: a field name, or "" for the whole form. */
export function errorsOf(
  error: ValidationError,
  fieldNames: Set<string>,
): { errors: Record<string, string>; formError?: string } {
  const errors: Record<string, string> = {};
  const loose: string[] = [];
  if (Array.isArray(error.details)) {
    for (const detail of error.details as { path?: string; message?: string }[]) {
      const name = `config.${detail.path ?? ""}`;
      if (detail.path && fieldNames.has(name)) errors[name] ??= detail.message ?? error.message;
      else loose.push(detail.path ? `${detail.path}: ${detail.message}` : `${detail.message}`);
    }
    return {
      errors,
      formError: loose.length ? `${error.message}: ${loose.join("; ")}` : undefined,
    };
  }
  if (/memory limit/i.test(error.message)) errors["resources.memoryMB"] = error.message;
  else if (/CPU limit/i.test(error.message)) errors["resources.cpus"] = error.message;
  else if (/image/i.test(error.message)) errors.image = error.message;
  else if (/pod name/i.test(error.message)) errors.name = error.message;
  else if (/tenant/i.test(error.message)) errors.tenant = error.message;
  else return { errors, formError: error.message };
  return { errors };
}

/** Mounts `/pods/new`. */
export function podCreateRoutes(app: Hono, ctx: DashboardContext): void {
  const adapterOf = (id: string | undefined) => ctx.deps.adapters.find((a) => a.id === id);

  app.get(
    "/pods/new",
    page(ctx, (c, session) => {
      const tenant = c.req.query("tenant") || undefined;
      const adapter = adapterOf(c.req.query("adapter"));
      if (!adapter) return chooseAdapter(c, ctx, session, tenant);
      return podForm(c, ctx, session, adapter, { values: { tenant }, errors: {} });
    }),
  );

  app.post(
    "/pods/new",
    form(ctx, async (c, session, fields) => {
      const adapter = adapterOf(fields.adapter);
      if (!adapter) {
        throw new ValidationError(`Unknown adapter "${fields.adapter ?? ""}"`);
      }
      const schema = adapterJsonSchema(adapter);
      const nodes = schemaToForm(schema, { sensitive: adapter.sensitiveFields });
      const reading = formToConfig(schema, nodes, fields);
      const resources = formToConfig(
        {},
        podFields(adapter).filter((f) => f.name.startsWith("resources.")).map((f) => ({
          ...f,
          path: f.name,
        })),
        fields,
      );
      const errors: Record<string, string> = { ...reading.errors, ...resources.errors };
      const tenant = fields.tenant ?? "";
      const name = (fields.name ?? "").trim();
      const image = (fields.image ?? "").trim() || undefined;
      if (!tenant) errors.tenant = "Pick a tenant";
      const problem = idProblem(name);
      if (problem) errors.name = `Invalid pod name: ${problem}`;
      if (!image && adapter.defaultImage === "") errors.image = "This adapter needs an image";
      const again = (
        state: { errors: Record<string, string>; formError?: string },
        status: number,
      ) => podForm(c, ctx, session, adapter, { values: fields, ...state }, status);
      if (Object.keys(errors).length > 0) return again({ errors }, 422);
      try {
        await ctx.deps.service.createPod(tenant, {
          name,
          adapter: adapter.id,
          image,
          config: reading.config,
          resources: Object.keys(resources.config).length
            ? resources.config as Record<string, number>
            : undefined,
        });
      } catch (error) {
        if (error instanceof ValidationError) {
          const names = new Set(formFields(nodes).map((f) => f.name));
          return again(errorsOf(error, names), 422);
        }
        if (error instanceof ConflictError) {
          return again({ errors: { name: friendlyError(error, ctx.deps.log) } }, 409);
        }
        if (error instanceof NotFoundError) {
          return again({ errors: { tenant: friendlyError(error, ctx.deps.log) } }, 404);
        }
        return again({ errors: {}, formError: friendlyError(error, ctx.deps.log) }, 503);
      }
      flash(c, "ok", `Pod "${tenant}/${name}" created`);
      return seeOther(c, `/pods/${tenant}/${name}`);
    }),
  );
}
