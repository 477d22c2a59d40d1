/**
 * Migration in the dashboard: the OpenClaw gateways on this host that AgentPod did not
 * make, with their verdicts (as `agentpod migrate discover`), and the forms that adopt
 * them as they run, one by one or every adoptable one (as `agentpod migrate adopt`).
 * Every read and write goes through `MigrationService`, as the CLI's; releasing an
 * adopted pod is on its own page (`pod_detail.tsx`).
 * @module
 */
import type { Context, Hono } from "hono";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.ts";
import { ADOPTED_BY_ALL, type DiscoveredGateway, NEVER_ADOPTED } from "../../core/migration.ts";
import type { AdoptOutcome } from "../../core/migration_service.ts";
import type { DashboardSession } from "../../core/store.ts";
import { CsrfField } from "../../components/CsrfField.tsx";
import { statusOf } from "../errors.ts";
import { type DashboardContext, flash, form, page, renderPage, seeOther } from "./_page.tsx";

/** Adopted gateways a flash names before it says "N more" (its cookie stays small). */
const FLASH_NAMES = 5;

/** What the page shows after a refused adopt. */
interface AdoptFailure {
  /** The container of the row whose form was sent (absent: "Adopt all"). */
  container?: string;
  values: Record<string, string>;
  error: string;
  status: number;
}

function address(g: DiscoveredGateway): string {
  return g.address ? `${g.address.hostIp || "0.0.0.0"}:${g.address.hostPort}` : "-";
}

/** The route checkbox of an adopt form. */
function RouteField(props: { id: string; checked: boolean }) {
  return (
    <div class="field field-check">
      <input type="checkbox" id={props.id} name="route" value="true" checked={props.checked} />
      <label for={props.id}>Route through Traefik</label>
    </div>
  );
}

/** What routing does to an adopted gateway, in a sentence. */
function RouteHelp() {
  return (
    <p class="help">
      Routed, its gateway is made to trust the proxy (a hot reload, no restart), and clients of its
      published port must then come through the route.
    </p>
  );
}

/** The form that adopts one gateway, its names prefilled with the suggested ones. */
function AdoptForm(
  props: { g: DiscoveredGateway; row: number; csrf: string; values?: Record<string, string> },
) {
  const { g, row, values } = props;
  return (
    <form
      method="post"
      action="/migrate/adopt"
      class="adopt-form"
      data-testid="adopt-form"
      data-container={g.name}
    >
      <CsrfField token={props.csrf} />
      <input type="hidden" name="container" value={g.name} />
      <div class="field">
        <label for={`adopt-tenant-${row}`}>Tenant</label>
        <input
          id={`adopt-tenant-${row}`}
          name="tenant"
          value={values?.tenant ?? g.suggested.tenant}
        />
      </div>
      <div class="field">
        <label for={`adopt-pod-${row}`}>Pod</label>
        <input id={`adopt-pod-${row}`} name="pod" value={values?.pod ?? g.suggested.pod} />
      </div>
      <RouteField id={`adopt-route-${row}`} checked={values?.route === "true"} />
      <button type="submit" class="button primary" data-testid="adopt-submit">
        Adopt "{g.name}"
      </button>
      <RouteHelp />
    </form>
  );
}

/** One gateway: its row, and under it the adopt form when adopt would take it. */
function GatewayRows(
  props: { g: DiscoveredGateway; row: number; csrf: string; failure?: AdoptFailure },
) {
  const { g, row, failure } = props;
  const adoptable = !NEVER_ADOPTED.has(g.verdict);
  return (
    <tbody class="gateway">
      <tr
        class={adoptable ? "has-form" : undefined}
        data-container={g.name}
        data-verdict={g.verdict}
      >
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
          {g.probe ? <div class="muted">{g.probe.healthy ? "proven" : g.probe.message}</div> : null}
        </td>
        <td>
          <strong data-testid="verdict">{g.verdict}</strong>
          <div class="muted">{g.reason}</div>
          {g.warnings.map((w) => <div class="muted" key={w}>⚠ {w}</div>)}
        </td>
        <td>
          {g.verdict === "managed"
            ? <span data-testid="managed">managed</span>
            : adoptable
            ? `${g.suggested.tenant}/${g.suggested.pod}`
            : <span class="muted">-</span>}
        </td>
      </tr>
      {adoptable && (
        <tr class="adopt-row">
          <td colspan={7}>
            <AdoptForm
              g={g}
              row={row}
              csrf={props.csrf}
              values={failure?.container === g.name ? failure.values : undefined}
            />
          </td>
        </tr>
      )}
    </tbody>
  );
}

async function migratePage(
  c: Context,
  ctx: DashboardContext,
  session: DashboardSession,
  failure?: AdoptFailure,
): Promise<Response> {
  const found = await ctx.deps.migration.discover({ signal: c.req.raw.signal });
  const byAll = found.filter((g) => ADOPTED_BY_ALL.has(g.verdict)).length;
  return renderPage(c, ctx, session, {
    title: "Migrate",
    active: "/migrate",
    status: failure?.status ?? 200,
    body: (
      <section class="card" aria-labelledby="migrate-heading">
        <h1 id="migrate-heading">OpenClaw gateways made outside AgentPod</h1>
        <p class="muted">
          Every container on this host's engine that runs an OpenClaw gateway AgentPod did not
          create; tokens are never shown. Adopting one brings it under management as it runs,
          without a restart; releasing it later leaves it as it is.
        </p>
        {failure && (
          <p class="flash flash-error" role="alert" data-testid="form-error">{failure.error}</p>
        )}
        {byAll > 0 && (
          <form
            method="post"
            action="/migrate/adopt"
            class="adopt-form"
            data-testid="adopt-all-form"
          >
            <CsrfField token={session.csrfToken} />
            <input type="hidden" name="all" value="true" />
            <RouteField
              id="adopt-all-route"
              checked={!failure?.container && failure?.values.route === "true"}
            />
            <button type="submit" class="button primary" data-testid="adopt-all">
              Adopt all adoptable
            </button>
            <p class="help">
              Adopts the {byAll}{" "}
              gateway(s) marked adoptable or fleet-cell, each as its suggested tenant and pod; the
              others need a fix, or their own form below.
            </p>
            <RouteHelp />
          </form>
        )}
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
                {found.map((g, row) => (
                  <GatewayRows
                    key={g.id}
                    g={g}
                    row={row}
                    csrf={session.csrfToken}
                    failure={failure}
                  />
                ))}
              </table>
            </div>
          )}
      </section>
    ),
  });
}

/** What a flash says about the outcomes of one adopt. */
function describeOutcomes(outcomes: AdoptOutcome[], route: boolean): string {
  if (outcomes.length === 1) {
    const o = outcomes[0]!;
    if (o.result === "already") return `"${o.container}" was adopted before as ${o.pod}`;
    return `Adopted "${o.container}" as ${o.pod}${
      route ? ", routed through Traefik" : " (not routed)"
    }`;
  }
  const adopted = outcomes.filter((o) => o.result === "adopted");
  const named = adopted.slice(0, FLASH_NAMES).map((o) => `"${o.container}" as ${o.pod}`);
  if (adopted.length > FLASH_NAMES) named.push(`${adopted.length - FLASH_NAMES} more`);
  const before = outcomes.length - adopted.length;
  return `Adopted ${adopted.length} gateway(s)${named.length ? `: ${named.join(", ")}` : ""}${
    before ? `; ${before} adopted before` : ""
  }`;
}

/** Mounts `/migrate` and `/migrate/adopt`. */
export function migrateRoutes(app: Hono, ctx: DashboardContext): void {
  app.get("/migrate", page(ctx, (c, session) => migratePage(c, ctx, session)));
  app.post(
    "/migrate/adopt",
    form(ctx, async (c, session, fields) => {
      const all = fields.all === "true";
      const given = (name: string) => fields[name]?.trim() || undefined;
      const container = given("container");
      const route = fields.route === "true";
      let outcomes: AdoptOutcome[];
      try {
        outcomes = await ctx.deps.migration.adopt({
          ...(all ? { all: true } : { containers: container ? [container] : [] }),
          tenant: given("tenant"),
          pod: given("pod"),
          route,
        });
      } catch (error) {
        if (
          error instanceof ValidationError || error instanceof ConflictError ||
          error instanceof NotFoundError
        ) {
          return migratePage(c, ctx, session, {
            container: all ? undefined : container,
            values: fields,
            error: error.message,
            status: statusOf(error),
          });
        }
        throw error;
      }
      if (outcomes.length === 0) {
        flash(c, "ok", "Nothing to adopt: no gateway is adoptable");
        return seeOther(c, "/migrate");
      }
      flash(c, "ok", describeOutcomes(outcomes, route));
      const tenant = outcomes[0]!.pod.split("/")[0];
      return seeOther(
        c,
        all || !tenant || tenant === "-" ? "/pods" : `/pods?tenant=${encodeURIComponent(tenant)}`,
      );
    }),
  );
}
