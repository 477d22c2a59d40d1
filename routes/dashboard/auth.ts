/**
 * Dashboard sign-in: sessions (a random id in an HttpOnly SameSite=Lax cookie, its
 * SHA-256 stored server-side with an expiry), per-session CSRF tokens, the login form's
 * own CSRF cookie, and the per-address limit on failed sign-ins. No page rendering here.
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { DashboardSession, Store } from "../../core/store.ts";
import { LoginLimiter } from "./login_limiter.ts";
import {
  constantTimeEqual,
  PASSWORD_SETTING,
  type PasswordHash,
  verifyPassword,
} from "./password.ts";

/** The session cookie. */
export const SESSION_COOKIE = "agentpod_session";
/** The login form's double-submit CSRF cookie. */
export const LOGIN_CSRF_COOKIE = "agentpod_login_csrf";
/** The form field every POST carries its CSRF token in. */
export const CSRF_FIELD = "_csrf";
/** How long a session lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** The outcome of a sign-in attempt. */
export type SignInResult =
  | { ok: true }
  | { ok: false; reason: "password" }
  | { ok: false; reason: "limited"; retryAfterSeconds: number };

/** A random URL-safe token of 32 bytes. */
export function randomToken(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether the browser reached us over https (directly or through a proxy that says so). */
export function isHttps(c: Context): boolean {
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return forwarded === "https" || new URL(c.req.url).protocol === "https:";
}

function isLoopback(address: string): boolean {
  return address === "::1" || address.startsWith("127.") || address === "::ffff:127.0.0.1";
}

/**
 * The client's address for rate limiting: the peer address, or, when the peer is a
 * proxy on this host, the address that proxy appended to `X-Forwarded-For`.
 */
export function clientAddress(c: Context): string {
  const env = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  const peer = env?.remoteAddr?.hostname;
  if (peer === undefined || isLoopback(peer)) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",").pop()?.trim();
    if (forwarded) return forwarded;
  }
  return peer ?? "unknown";
}

/** A local path to go back to after signing in; anything else becomes `/`. */
export function safeNext(next: string | undefined): string {
  // Browsers drop tabs and newlines and read `\` as `/`, so `/\t/evil.example` would
  // leave the site: refuse control characters and backslashes, then require that the
  // path resolves to this origin.
  // deno-lint-ignore no-control-regex -- control characters are exactly what it must find
  if (!next || !next.startsWith("/") || /[\x00-\x1f\x7f\\]/.test(next)) return "/";
  const base = "http://agentpod.invalid";
  try {
    const url = new URL(next, base);
    return url.origin === base ? url.pathname + url.search + url.hash : "/";
  } catch {
    return "/";
  }
}

/** Sessions, CSRF and sign-in for the dashboard. */
export class DashboardAuth {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #limiter: LoginLimiter;

  constructor(deps: { store: Store; now: () => number; limiter?: LoginLimiter }) {
    this.#store = deps.store;
    this.#now = deps.now;
    this.#limiter = deps.limiter ?? new LoginLimiter();
  }

  /** The request's valid session, if any. */
  async session(c: Context): Promise<DashboardSession | undefined> {
    const id = getCookie(c, SESSION_COOKIE);
    if (!id || id.length > 200) return undefined;
    return await this.#store.sessions.find(await sha256Hex(id), new Date(this.#now()));
  }

  /** Whether a submitted token matches the session's. */
  checkCsrf(session: DashboardSession, submitted: unknown): boolean {
    return typeof submitted === "string" && constantTimeEqual(submitted, session.csrfToken);
  }

  /** A fresh token for the login form, also set as a cookie (double submit). */
  loginCsrf(c: Context): string {
    const token = randomToken();
    setCookie(c, LOGIN_CSRF_COOKIE, token, {
      httpOnly: true,
      sameSite: "Lax",
      secure: isHttps(c),
      path: "/login",
      maxAge: 60 * 60,
    });
    return token;
  }

  /** Whether the login form's token matches its cookie. */
  checkLoginCsrf(c: Context, submitted: unknown): boolean {
    const cookie = getCookie(c, LOGIN_CSRF_COOKIE);
    return typeof submitted === "string" && cookie !== undefined &&
      constantTimeEqual(submitted, cookie);
  }

  /** Checks the password (unless the address is limited) and on success sets the cookie. */
  async signIn(c: Context, password: string): Promise<SignInResult> {
    const client = clientAddress(c);
    const now = this.#now();
    const check = this.#limiter.check(client, now);
    if (!check.allowed) {
      return { ok: false, reason: "limited", retryAfterSeconds: check.retryAfterSeconds };
    }
    // Counted before the slow check, so parallel attempts cannot all pass `check`;
    // a success clears the count.
    this.#limiter.fail(client, now);
    const stored = await this.#store.settings.get<PasswordHash>(PASSWORD_SETTING);
    if (!stored || !await verifyPassword(password, stored)) {
      return { ok: false, reason: "password" };
    }
    this.#limiter.succeed(client);
    await this.#store.sessions.deleteExpired(new Date(now));
    const id = randomToken();
    await this.#store.sessions.create({
      idHash: await sha256Hex(id),
      csrfToken: randomToken(),
      expiresAt: new Date(now + SESSION_TTL_MS),
    });
    setCookie(c, SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: "Lax",
      secure: isHttps(c),
      path: "/",
      maxAge: Math.floor(SESSION_TTL_MS / 1000),
    });
    deleteCookie(c, LOGIN_CSRF_COOKIE, { path: "/login" });
    return { ok: true };
  }

  /** Deletes the session and its cookie. */
  async signOut(c: Context, session: DashboardSession): Promise<void> {
    await this.#store.sessions.delete(session.idHash);
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c) });
  }
}
