/**
 * The page shell: document head, the top bar with the main navigation and sign-out,
 * the flash message, and the islands script. Pages render inside it.
 * @module
 */
import type { ComponentChildren } from "preact";
import { CsrfField } from "./CsrfField.tsx";

/** A one-off message shown after a redirect. */
export interface Flash {
  kind: "ok" | "error";
  text: string;
}

/** What the shell needs. */
export interface LayoutProps {
  /** Page title (before " · AgentPod"). */
  title: string;
  /** The nav entry to mark current (`/pods`). */
  active?: string;
  /** The session's CSRF token; absent on the sign-in page (no nav then). */
  csrf?: string;
  flash?: Flash;
  /** URLs of the stylesheet and the islands script. */
  assets: { css: string; js?: string };
  children: ComponentChildren;
}

const NAV: [string, string][] = [
  ["/", "Overview"],
  ["/pods", "Pods"],
  ["/tenants", "Tenants"],
  ["/rollouts", "Rollouts"],
  ["/migrate", "Migrate"],
  ["/pods/new", "New pod"],
  ["/adapters", "Adapters"],
  ["/alerts", "Alerts"],
  ["/tokens", "Tokens"],
  ["/settings", "Settings"],
];

const ICON = "data:image/svg+xml," + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="4" fill="#2563eb"/><path d="M4 11V5l4 3 4-3v6" stroke="#fff" stroke-width="1.6" fill="none"/></svg>',
);

/** The page shell. */
export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${props.title} · AgentPod`}</title>
        <link rel="icon" href={ICON} />
        <link rel="stylesheet" href={props.assets.css} />
        {props.assets.js && <script type="module" src={props.assets.js} />}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        {props.csrf !== undefined && (
          <header class="topbar">
            <a class="brand" href="/" aria-label="AgentPod overview">
              <span class="brand-mark" aria-hidden="true" />AgentPod
            </a>
            <nav aria-label="Main">
              <ul>
                {NAV.map(([href, label]) => (
                  <li key={href}>
                    <a
                      href={href}
                      aria-current={props.active === href ? "page" : undefined}
                      data-testid={`nav-${label.toLowerCase().replace(" ", "-")}`}
                    >
                      {label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <form method="post" action="/logout" class="logout">
              <CsrfField token={props.csrf} />
              <button type="submit" class="button subtle" data-testid="logout">Sign out</button>
            </form>
          </header>
        )}
        <main id="main" tabIndex={-1}>
          {props.flash && (
            <p
              class={`flash flash-${props.flash.kind}`}
              role={props.flash.kind === "error" ? "alert" : "status"}
              data-testid="flash"
              data-kind={props.flash.kind}
            >
              {props.flash.text}
            </p>
          )}
          {props.children}
        </main>
      </body>
    </html>
  );
}
