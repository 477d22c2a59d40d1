/**
 * The pod's own credentials on its page: reveal its gateway token (shown on the page
 * that answers the form, recorded as a TokenRevealed event) or rotate it (the pod
 * restarts with the new one). Parity with `agentpod pod token [--rotate]`.
 * @module
 */
import type { Context, Hono } from "hono";
import { CsrfField } from "../../components/CsrfField.tsx";
import type { DashboardSession } from "../../core/store.ts";
import { type DashboardContext, form, renderPage } from "./_page.tsx";

/** The card on a pod's page. */
export function AccessCard(props: { base: string; csrf: string; adopted: boolean }) {
  return (
    <section class="card" aria-labelledby="access-heading" data-testid="pod-access">
      <h2 id="access-heading">Access</h2>
      <p class="help">
        The gateway token opens the agent's own API and Control UI. Revealing it is recorded;
        rotating it restarts the pod, and clients must reconnect with the new one.
      </p>
      <div class="actions">
        <form method="post" action={`${props.base}/token`}>
          <CsrfField token={props.csrf} />
          <button type="submit" class="button" data-testid="token-reveal">Reveal token</button>
        </form>
        {!props.adopted && (
          <form method="post" action={`${props.base}/token/rotate`}>
            <CsrfField token={props.csrf} />
            <button type="submit" class="button danger" data-testid="token-rotate">
              Rotate token
            </button>
          </form>
        )}
      </div>
    </section>
  );
}

function tokenPage(
  c: Context,
  ctx: DashboardContext,
  session: DashboardSession,
  ref: string,
  token: string,
  note: string,
): Promise<Response> {
  return Promise.resolve(renderPage(c, ctx, session, {
    title: `${ref} token`,
    active: "/pods",
    body: (
      <section class="card narrow" aria-labelledby="token-heading">
        <h1 id="token-heading">Gateway token of {ref}</h1>
        <p>{note}</p>
        <pre class="secret" data-testid="pod-token">{token}</pre>
        <div class="actions">
          <a class="button" href={`/pods/${ref}`}>Back to the pod</a>
        </div>
      </section>
    ),
  }));
}

/** Mounts the token forms of a pod's page. */
export function podAccessRoutes(app: Hono, ctx: DashboardContext): void {
  const { service } = ctx.deps;
  const ref = (c: Context) => ({
    tenant: c.req.param("tenant") ?? "",
    name: c.req.param("pod") ?? "",
  });
  app.post(
    "/pods/:tenant/:pod/token",
    form(ctx, async (c, session) => {
      const { tenant, name } = ref(c);
      const found = await service.revealToken(tenant, name);
      return tokenPage(
        c,
        ctx,
        session,
        found.pod,
        found.token,
        "Its reveal is recorded in the pod's events.",
      );
    }),
  );
  app.post(
    "/pods/:tenant/:pod/token/rotate",
    form(ctx, async (c, session) => {
      const { tenant, name } = ref(c);
      const rotated = await service.rotateToken(tenant, name);
      return tokenPage(
        c,
        ctx,
        session,
        rotated.pod.pod,
        rotated.token,
        "The pod restarts with this new token; clients connected with the old one must reconnect with it." +
          (rotated.warning ? ` ${rotated.warning}` : ""),
      );
    }),
  );
}
