/**
 * What every dashboard route shares: its dependencies, the guards (a page or a stream
 * needs a session; a form post also needs the session's CSRF token), page rendering in
 * the layout with security headers, flash messages across redirects, and the mapping
 * of errors to friendly text (never a stack trace).
 * @module
 */
import type { AlertService } from "../../core/alert_service.ts";
import type { BackupService } from "../../core/backup_service.ts";
import type { AccessService } from "../../core/access_service.ts";
import type { PairingService } from "../../core/pairing.ts";
import { DASHBOARD_ADMIN } from "../../core/access.ts";
import { runAs } from "../actor.ts";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import type { AgentAdapter } from "../../core/adapter.ts";
import type { ServerConfig } from "../../core/config.ts";
import {
  AgentPodError,
  DockerApiError,
  NotFoundError,
  UnavailableError,
} from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { ContainerRuntime } from "../../core/runtime.ts";
import type { ControlPlaneService } from "../../core/service.ts";
import type { UpgradeService } from "../../core/upgrades.ts";
import type { MigrationService } from "../../core/migration_service.ts";
import type { DashboardSession, Store } from "../../core/store.ts";
import { type Flash, Layout } from "../../components/Layout.tsx";
import { statusOf } from "../errors.ts";
import type { LiveFeed } from "../live_feed.ts";
import type { DashboardAuth } from "./auth.ts";
import { CSRF_FIELD, isHttps } from "./auth.ts";
import type { StaticAssets } from "./static_assets.ts";

/** A doctor report, as `runDoctor` returns it. */
export interface DoctorReport {
  ok: boolean;
  instance: string;
  checks: { name: string; ok: boolean; message: string }[];
}

/** What the dashboard needs from the process. */
export interface DashboardDeps {
  service: ControlPlaneService;
  /** API tokens (the tokens page). */
  access: AccessService;
  /** A pod's paired devices and owner link (its page). */
  pairing: PairingService;
  upgrades: UpgradeService;
  migration: MigrationService;
  backups: BackupService;
  /** Alert webhooks (the alerts page). */
  alerts: AlertService;
  store: Store;
  runtime: ContainerRuntime;
  feed: LiveFeed;
  adapters: AgentAdapter[];
  /** The checks of `agentpod doctor`. */
  doctor(): Promise<DoctorReport>;
  /** The effective configuration (the settings page). */
  config: ServerConfig;
  log: Logger;
  /** `AGENTPOD_ADMIN_PASSWORD`, if set. */
  adminPassword?: string;
  /** Where a generated password is printed once (default: stdout). */
  print?: (line: string) => void;
  /** PBKDF2 iterations of new password hashes (tests lower it). */
  passwordIterations?: number;
  /** Milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
  /** How often an open stream checks that its session still exists (default 15 s). */
  streamSessionCheckMs?: number;
}

/** Dependencies plus the dashboard's own parts, handed to every route module. */
export interface DashboardContext {
  deps: DashboardDeps;
  auth: DashboardAuth;
  assets: StaticAssets;
}

/** A handler that runs with a session. */
export type SessionHandler = (
  c: Context,
  session: DashboardSession,
) => Response | Promise<Response>;

/** A form handler: runs with a session whose CSRF token the form carried. */
export type FormHandler = (
  c: Context,
  session: DashboardSession,
  form: Record<string, string>,
) => Response | Promise<Response>;

const FLASH_COOKIE = "agentpod_flash";

/** Security headers of every page. */
const PAGE_HEADERS = {
  "cache-control": "no-store",
  "content-security-policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

/** Text for an error a person can act on; unexpected ones are logged, not shown. */
export function friendlyError(error: unknown, log: Logger): string {
  if (error instanceof DockerApiError) return `The Docker Engine refused: ${error.message}`;
  if (error instanceof UnavailableError) return `${error.message} (try again in a moment)`;
  if (error instanceof AgentPodError) return error.message;
  log.error("dashboard request failed", { error: error instanceof Error ? error : String(error) });
  return "Something went wrong; the server log has the details";
}

/** Sets a message shown on the next page. */
export function flash(c: Context, kind: Flash["kind"], text: string): void {
  setCookie(c, FLASH_COOKIE, `${kind}:${text}`, {
    httpOnly: true,
    sameSite: "Lax",
    secure: isHttps(c),
    path: "/",
    maxAge: 60,
  });
}

function takeFlash(c: Context): Flash | undefined {
  const value = getCookie(c, FLASH_COOKIE);
  if (!value) return undefined;
  deleteCookie(c, FLASH_COOKIE, { path: "/", secure: isHttps(c) });
  const [kind, ...text] = value.split(":");
  return { kind: kind === "error" ? "error" : "ok", text: text.join(":") };
}

/** Redirects after a POST (303: the browser follows with a GET). */
export function seeOther(c: Context, location: string): Response {
  return c.redirect(location, 303);
}

/** Renders a page in the layout. `session` absent: the sign-in page (no navigation). */
export function renderPage(
  c: Context,
  ctx: DashboardContext,
  session: DashboardSession | undefined,
  options: { title: string; active?: string; status?: number; body: VNode },
): Response {
  const html = renderToString(
    <Layout
      title={options.title}
      active={options.active}
      csrf={session?.csrfToken}
      flash={takeFlash(c)}
      assets={{
        css: ctx.assets.url("styles.css") ?? "/static/styles.css",
        js: session ? ctx.assets.url("islands.js") : undefined,
      }}
    >
      {options.body}
    </Layout>,
  );
  return c.html(
    `<!DOCTYPE html>${html}`,
    (options.status ?? 200) as ContentfulStatusCode,
    PAGE_HEADERS,
  );
}

/** An error page with a friendly message and the status the error calls for. */
export function errorPage(
  c: Context,
  ctx: DashboardContext,
  session: DashboardSession,
  error: unknown,
  status?: number,
): Response {
  const code = status ?? statusOf(error);
  const title = error instanceof NotFoundError || code === 404
    ? "Not found"
    : code === 403
    ? "Not allowed"
    : "Something went wrong";
  return renderPage(c, ctx, session, {
    title,
    status: code,
    body: (
      <section class="card narrow">
        <h1>{title}</h1>
        <p data-testid="error-message">
          {typeof error === "string" ? error : friendlyError(error, ctx.deps.log)}
        </p>
        <p>
          <a href="/">Back to the overview</a>
        </p>
      </section>
    ),
  });
}

function toLogin(c: Context, next: string): Response {
  return c.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
}

/** A page: without a session, a redirect to `/login?next=<this page>`. */
export function page(ctx: DashboardContext, handler: SessionHandler) {
  return async (c: Context): Promise<Response> => {
    const session = await ctx.auth.session(c);
    if (!session) {
      const url = new URL(c.req.url);
      return toLogin(c, url.pathname + url.search);
    }
    try {
      return await handler(c, session);
    } catch (error) {
      return errorPage(c, ctx, session, error);
    }
  };
}

/** A form post: needs a session and that session's CSRF token (field `_csrf`). */
export function form(ctx: DashboardContext, handler: FormHandler) {
  return async (c: Context): Promise<Response> => {
    const session = await ctx.auth.session(c);
    if (!session) return toLogin(c, "/");
    const body = await c.req.parseBody().catch(() => ({}));
    const fields: Record<string, string> = {};
    for (const [name, value] of Object.entries(body)) {
      if (typeof value === "string") fields[name] = value;
    }
    const token = fields[CSRF_FIELD] ?? c.req.header("x-csrf-token");
    if (!ctx.auth.checkCsrf(session, token)) {
      return errorPage(
        c,
        ctx,
        session,
        "This form has expired or did not come from this dashboard: reload the page and try again",
        403,
      );
    }
    try {
      // Events of what this form does record the dashboard's admin as who did it.
      return await runAs(DASHBOARD_ADMIN, () => handler(c, session, fields));
    } catch (error) {
      return errorPage(c, ctx, session, error);
    }
  };
}

/** A data or stream endpoint for islands: 401 without a session. */
export function live(ctx: DashboardContext, handler: SessionHandler) {
  return async (c: Context): Promise<Response> => {
    const session = await ctx.auth.session(c);
    if (!session) {
      return c.json({ error: { code: "unauthorized", message: "Sign in to the dashboard" } }, 401);
    }
    try {
      return await handler(c, session);
    } catch (error) {
      const status = statusOf(error);
      return c.json(
        { error: { code: "error", message: friendlyError(error, ctx.deps.log) } },
        status,
      );
    }
  };
}
