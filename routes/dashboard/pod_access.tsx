/**
 * The pod's own credentials and clients on its page: reveal its gateway token (shown on
 * the page that answers the form, recorded as a TokenRevealed event) or rotate it (the
 * pod restarts with the new one); "Open Control UI" (a one-time owner link); pending
 * pairing requests with Approve / Reject and the paired devices (an island that asks
 * again every few seconds). Parity with `pod token [--rotate]`, `pod open`, `pod devices`.
 * @module
 */
import type { Context, Hono } from "hono";
import { CsrfField } from "../../components/CsrfField.tsx";
import type { DashboardSession } from "../../core/store.ts";
import { AgentPodError } from "../../core/errors.ts";
import { Island } from "../../components/Island.tsx";
import {
  type DashboardContext,
  flash,
  form,
  friendlyError,
  live,
  renderPage,
  seeOther,
} from "./_page.tsx";

/** What the Access card shows of a pod's clients. */
export interface ClientsState {
  /** The agent has device pairing (the island lists its devices). */
  pairing: boolean;
  /** The agent has an owner link to its UI. */
  ownerLink: boolean;
}

/** What the Access card offers for a pod of adapter `adapterId`. */
export function clientsState(ctx: DashboardContext, adapterId: string): ClientsState {
  const adapter = ctx.deps.adapters.find((a) => a.id === adapterId);
  // The island reads the devices itself: a slow agent never holds the page.
  return { ownerLink: !!adapter?.ownerLink, pairing: !!adapter?.pairing };
}

/** The card on a pod's page. */
export function AccessCard(
  props: { base: string; csrf: string; adopted: boolean; clients: ClientsState },
) {
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
        {props.clients.ownerLink && (
          <form method="post" action={`${props.base}/open`}>
            <CsrfField token={props.csrf} />
            <button type="submit" class="button primary" data-testid="pod-open">
              Open Control UI
            </button>
          </form>
        )}
      </div>
      {props.clients.pairing && (
        <Island
          name="PodDevices"
          props={{ base: props.base, csrf: props.csrf }}
        />
      )}
    </section>
  );
}

const ref = (c: Context) => ({
  tenant: c.req.param("tenant") ?? "",
  name: c.req.param("pod") ?? "",
});

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

/** Mounts the token, owner link and pairing forms of a pod's page. */
export function podAccessRoutes(app: Hono, ctx: DashboardContext): void {
  const { pairing } = ctx.deps;
  app.get(
    "/live/pods/:tenant/:pod/devices",
    live(ctx, async (c) => {
      const { tenant, name } = ref(c);
      try {
        return c.json(await pairing.devices(tenant, name));
      } catch (error) {
        // Not an error of this request: the agent cannot answer now (stopped, starting).
        // Said in the answer, so the browser logs no failed request for it.
        if (!(error instanceof AgentPodError)) throw error;
        return c.json({ unavailable: error.message });
      }
    }),
  );
  for (const decision of ["approve", "reject"] as const) {
    app.post(
      `/pods/:tenant/:pod/devices/:request/${decision}`,
      form(ctx, async (c) => {
        const { tenant, name } = ref(c);
        try {
          const done = await pairing.decide(
            tenant,
            name,
            c.req.param("request") ?? "",
            decision === "approve",
          );
          flash(c, "ok", `Pairing request ${done.requestId} ${done.decision}`);
        } catch (error) {
          if (!(error instanceof AgentPodError)) throw error;
          flash(c, "error", friendlyError(error, ctx.deps.log));
        }
        return seeOther(c, `/pods/${tenant}/${name}`);
      }),
    );
  }
  app.post(
    "/pods/:tenant/:pod/open",
    form(ctx, async (c, session) => {
      const { tenant, name } = ref(c);
      const link = await pairing.ownerLink(tenant, name);
      return renderPage(c, ctx, session, {
        title: `${link.pod} Control UI`,
        active: "/pods",
        body: (
          <section class="card narrow" aria-labelledby="open-heading">
            <h1 id="open-heading">Control UI of {link.pod}</h1>
            <p>
              A one-time link: whoever opens it first is signed in as the agent's owner, without a
              token{link.expiresAt ? `, until ${link.expiresAt}` : ""}. Open it yourself, or send it
              to your customer.
            </p>
            <pre class="secret" data-testid="owner-link">{link.url}</pre>
            <div class="actions">
              <a
                class="button primary"
                href={link.url}
                target="_blank"
                rel="noopener noreferrer"
                data-testid="owner-link-open"
              >
                Open Control UI
              </a>
              <a class="button" href={`/pods/${link.pod}`}>Back to the pod</a>
            </div>
          </section>
        ),
      });
    }),
  );
  const { service } = ctx.deps;
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
