/**
 * The adapters page: each agent type with its image, port, volume, default limits and
 * secret fields, and a link to create a pod of that type.
 * @module
 */
import type { Hono } from "hono";
import { type DashboardContext, page, renderPage } from "./_page.tsx";
import { adapterJsonSchema } from "./pod_new.tsx";
import { formFields, schemaToForm } from "./schema_form.ts";

/** Mounts `/adapters`. */
export function adapterRoutes(app: Hono, ctx: DashboardContext): void {
  app.get(
    "/adapters",
    page(ctx, (c, session) =>
      renderPage(c, ctx, session, {
        title: "Adapters",
        active: "/adapters",
        body: (
          <>
            <div class="page-head">
              <h1>Adapters</h1>
            </div>
            <div class="cards">
              {ctx.deps.adapters.map((adapter) => {
                const fields = formFields(
                  schemaToForm(adapterJsonSchema(adapter), { sensitive: adapter.sensitiveFields }),
                );
                return (
                  <section
                    key={adapter.id}
                    class="card"
                    data-testid="adapter"
                    data-adapter={adapter.id}
                    aria-labelledby={`adapter-${adapter.id}-heading`}
                  >
                    <h2 id={`adapter-${adapter.id}-heading`}>{adapter.label}</h2>
                    <p class="muted">{adapter.description}</p>
                    <dl class="facts">
                      <dt>Id</dt>
                      <dd>
                        <code>{adapter.id}</code>
                      </dd>
                      <dt>Default image</dt>
                      <dd>{adapter.defaultImage ? <code>{adapter.defaultImage}</code> : "none"}</dd>
                      <dt>Port</dt>
                      <dd>{adapter.port}</dd>
                      <dt>Volume</dt>
                      <dd>
                        <code>{adapter.volumePath}</code>
                      </dd>
                      <dt>Default limits</dt>
                      <dd>
                        {adapter.defaultResources.memoryMB} MB, {adapter.defaultResources.cpus} CPU,
                        {" "}
                        {adapter.defaultResources.pids} processes
                      </dd>
                      <dt>Settings</dt>
                      <dd>
                        {fields.length} ({fields.filter((f) => f.sensitive).length} secret)
                      </dd>
                    </dl>
                    <a
                      class="button primary"
                      href={`/pods/new?adapter=${adapter.id}`}
                      data-testid="adapter-new-pod"
                    >
                      New {adapter.label} pod
                    </a>
                  </section>
                );
              })}
            </div>
          </>
        ),
      })),
  );
}
