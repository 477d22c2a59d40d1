/**
 * Real-browser harness for the dashboard's end-to-end tests: Debian's headless Chromium
 * (tests/env/chromium.sh installs it) driven by playwright-core under Deno. Each session
 * runs its own Chromium with a fresh profile directory, fail-fast default timeouts and
 * captured console errors, and always cleans up: the browser is closed and the profile
 * removed, also when the test or the launch fails. It never downloads a browser.
 *
 * How the launch works under Deno: playwright-core's own `launchPersistentContext` runs
 * as is through Deno's Node compatibility (node:child_process with the extra stdio pipes
 * that `--remote-debugging-pipe` needs); no CDP port, no Node. We use the persistent
 * variant because plain `launch()` refuses a `--user-data-dir` argument and would put
 * its own profile in the OS temp dir, where a failed launch leaves it behind.
 * @module
 */
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";

/** Where Debian's package puts Chromium; `AGENTPOD_CHROMIUM` overrides it. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/**
 * Flags for running as root on a machine with no internet: without the
 * background-networking ones Chromium keeps dialling Google's hosts and its connections
 * are refused. Playwright 1.65 already passes most of them (and `--headless`); they are
 * listed anyway so that a Playwright upgrade cannot silently drop one.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Options for a browser session. */
export interface BrowserOptions {
  /** Default timeout for actions, waits and navigations (ms). */
  timeoutMs?: number;
  /** How long Chromium may take to start (ms). */
  launchTimeoutMs?: number;
  /** Viewport size; screenshots have this size unless taken full-page. */
  viewport?: { width: number; height: number };
  /** More Chromium flags (`--host-resolver-rules=…`). */
  args?: string[];
  /** Accept any certificate (Traefik's default one in tests). */
  ignoreHTTPSErrors?: boolean;
}

const DEFAULTS = {
  timeoutMs: 10_000,
  // Generous: a cold start on 2 busy cores (Docker builds in the same CI run) can be slow.
  launchTimeoutMs: 60_000,
  viewport: { width: 1280, height: 800 },
} satisfies Required<Omit<BrowserOptions, "args" | "ignoreHTTPSErrors">>;

/** The Chromium executable to drive: `AGENTPOD_CHROMIUM`, else /usr/bin/chromium. */
export function chromiumPath(): string {
  const path = Deno.env.get("AGENTPOD_CHROMIUM") || DEFAULT_CHROMIUM;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (cause) {
    throw new Error(
      `Cannot find Chromium at "${path}": run tests/env/chromium.sh or set AGENTPOD_CHROMIUM`,
      { cause },
    );
  }
  if (!info.isFile || ((info.mode ?? 0o111) & 0o111) === 0) {
    throw new Error(`Cannot run Chromium at "${path}": not an executable file`);
  }
  return path;
}

/** One running Chromium with a fresh profile and an open page; dispose it to clean up. */
export class BrowserSession implements AsyncDisposable {
  /** The page opened at launch (about:blank). */
  readonly page: Page;
  /** The browser's only context; new pages come from `context.newPage()`. */
  readonly context: BrowserContext;
  /** This session's profile directory, removed on close. */
  readonly userDataDir: string;
  readonly #errors: string[];
  readonly #timeoutMs: number;
  #closed = false;

  private constructor(
    context: BrowserContext,
    page: Page,
    userDataDir: string,
    errors: string[],
    timeoutMs: number,
  ) {
    this.context = context;
    this.page = page;
    this.userDataDir = userDataDir;
    this.#errors = errors;
    this.#timeoutMs = timeoutMs;
  }

  /** Starts Chromium with a fresh profile directory and returns a session on its first page. */
  static async open(options: BrowserOptions = {}): Promise<BrowserSession> {
    const executablePath = chromiumPath();
    const { timeoutMs, launchTimeoutMs, viewport } = { ...DEFAULTS, ...options };
    const userDataDir = await Deno.makeTempDir({ prefix: "agentpod-chromium-" });
    let context: BrowserContext;
    try {
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath,
        headless: true,
        args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
        ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false,
        timeout: launchTimeoutMs,
        viewport,
        // No process-wide signal handlers in the test runner: if Deno dies, Chromium sees
        // its control pipe close and exits by itself (checked with SIGINT and SIGKILL).
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
    } catch (error) {
      await removeDir(userDataDir);
      throw error;
    }
    const errors: string[] = [];
    // Context-wide, so pages opened later (popups, newPage) are watched too.
    context.on("console", (message) => {
      if (message.type() !== "error") return;
      const { url, lineNumber } = message.location();
      errors.push(url ? `${message.text()} (${url}:${lineNumber})` : message.text());
    });
    context.on("weberror", (webError) => {
      errors.push(`Uncaught ${webError.error().message}`);
    });
    context.setDefaultTimeout(timeoutMs);
    context.setDefaultNavigationTimeout(timeoutMs);
    const page = context.pages()[0] ?? await context.newPage();
    return new BrowserSession(context, page, userDataDir, errors, timeoutMs);
  }

  /**
   * Console errors and uncaught page errors seen so far, in order: a `console.error`
   * call, a resource that failed to load, an exception no script caught.
   */
  get consoleErrors(): readonly string[] {
    return [...this.#errors];
  }

  /**
   * Waits until at least `count` console errors were seen and returns them all: they
   * arrive as events, possibly after the action that caused them has returned.
   */
  async waitForConsoleErrors(count = 1, timeoutMs = this.#timeoutMs): Promise<readonly string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.#errors.length < count) {
      if (Date.now() >= deadline) {
        throw new Error(
          `Timed out after ${timeoutMs} ms waiting for ${count} console errors; saw: ${
            Deno.inspect(this.#errors)
          }`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.consoleErrors;
  }

  /** Closes the browser and removes the profile directory; safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.context.close();
    } finally {
      await removeDir(this.userDataDir);
    }
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Starts Chromium and returns a session on a blank page. Use it with
 * `await using session = await openPage()` so it is closed however the test ends.
 */
export function openPage(options?: BrowserOptions): Promise<BrowserSession> {
  return BrowserSession.open(options);
}

/**
 * Runs `fn` with a fresh browser session; on failure prints the console errors seen;
 * always closes the browser and removes its profile.
 */
export async function withBrowser<T>(
  fn: (session: BrowserSession) => Promise<T>,
  options?: BrowserOptions,
): Promise<T> {
  await using session = await openPage(options);
  try {
    return await fn(session);
  } catch (error) {
    if (session.consoleErrors.length > 0) {
      console.error(`--- browser console errors ---\n${session.consoleErrors.join("\n")}`);
    }
    throw error;
  }
}

/** Saves a PNG screenshot of `page` to `path` (parent directories created); returns `path`. */
export async function saveScreenshot(
  page: Page,
  path: string,
  options: { fullPage?: boolean } = {},
): Promise<string> {
  const parent = path.replace(/\/[^/]*$/, "");
  if (parent && parent !== path) await Deno.mkdir(parent, { recursive: true });
  await page.screenshot({ path, type: "png", fullPage: options.fullPage ?? false });
  return path;
}

async function removeDir(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
