/**
 * Signing in and out: the sign-in page (password only: there is one admin), its post
 * (CSRF double-submit cookie, per-address limit on failures, then a session cookie and
 * a redirect to where the user was going) and sign-out.
 * @module
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { CSRF_FIELD, safeNext } from "./auth.ts";
import { type DashboardContext, form, renderPage, seeOther } from "./_page.tsx";

function loginPage(
  c: Context,
  ctx: DashboardContext,
  options: { next: string; error?: string; status?: number },
): Response {
  const csrf = ctx.auth.loginCsrf(c);
  return renderPage(c, ctx, undefined, {
    title: "Sign in",
    status: options.status,
    body: (
      <section class="card login" aria-labelledby="login-heading">
        <p class="brand login-brand">
          <span class="brand-mark" aria-hidden="true" />AgentPod
        </p>
        <h1 id="login-heading">Sign in</h1>
        <form method="post" action="/login" data-testid="login-form">
          <input type="hidden" name={CSRF_FIELD} value={csrf} />
          <input type="hidden" name="next" value={options.next} />
          <div class={`field${options.error ? " invalid" : ""}`}>
            <label for="password">Admin password</label>
            <input
              type="password"
              id="password"
              name="password"
              autocomplete="current-password"
              required
              autofocus
              aria-invalid={options.error ? true : undefined}
              aria-describedby={options.error ? "password-error password-help" : "password-help"}
            />
            <p class="help" id="password-help">
              Set by{" "}
              <code>AGENTPOD_ADMIN_PASSWORD</code>, or printed once on the control plane's first
              start.
            </p>
            {options.error && (
              <p class="field-error" id="password-error" role="alert" data-testid="login-error">
                {options.error}
              </p>
            )}
          </div>
          <button type="submit" class="button primary wide" data-testid="login-submit">
            Sign in
          </button>
        </form>
      </section>
    ),
  });
}

/** Mounts `/login` and `/logout`. */
export function loginRoutes(app: Hono, ctx: DashboardContext): void {
  app.get("/login", async (c) => {
    const next = safeNext(c.req.query("next"));
    if (await ctx.auth.session(c)) return c.redirect(next, 303);
    return loginPage(c, ctx, { next });
  });

  app.post("/login", async (c) => {
    const body = await c.req.parseBody().catch(() => ({} as Record<string, unknown>));
    const next = safeNext(typeof body.next === "string" ? body.next : undefined);
    const password = typeof body.password === "string" ? body.password : "";
    if (!ctx.auth.checkLoginCsrf(c, body[CSRF_FIELD])) {
      return loginPage(c, ctx, {
        next,
        status: 403,
        error: "The sign-in form expired: please try again",
      });
    }
    if (password === "") {
      return loginPage(c, ctx, { next, status: 400, error: "Enter the password" });
    }
    const result = await ctx.auth.signIn(c, password);
    if (result.ok) return seeOther(c, next);
    if (result.reason === "limited") {
      c.header("retry-after", String(result.retryAfterSeconds));
      return loginPage(c, ctx, {
        next,
        status: 429 as ContentfulStatusCode,
        error:
          `Too many failed sign-ins from your address: try again in ${result.retryAfterSeconds} s`,
      });
    }
    return loginPage(c, ctx, { next, status: 401, error: "Wrong password" });
  });

  app.post(
    "/logout",
    form(ctx, async (c, session) => {
      await ctx.auth.signOut(c, session);
      return seeOther(c, "/login");
    }),
  );
}
