/**
 * Smoke tests for the real-browser harness: headless Chromium loads a page from a local
 * Deno.serve, runs its inline script, takes a screenshot and reports console errors.
 * They fail, never skip, when the browser does not work: the dashboard's tests need it.
 * @module
 */
import assert from "node:assert/strict";
import { openPage, saveScreenshot, withBrowser } from "./_browser.ts";

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Smoke</title></head>
<body>
  <button id="go" type="button">Start</button>
  <p id="status">idle</p>
  <script>
    document.getElementById("go").addEventListener("click", () => {
      document.getElementById("status").textContent = "clicked";
      document.getElementById("go").textContent = "Done";
    });
  </script>
</body>
</html>`;

const BROKEN_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Broken</title></head>
<body>
  <p>broken</p>
  <script>console.error("dashboard failed:", "boom"); console.log("not an error");</script>
  <script>undefinedFunction();</script>
</body>
</html>`;

const html = (body: string) =>
  new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } });

/** A throwaway HTTP server on 127.0.0.1 with a free port, for `await using`. */
function serveSite(): Deno.HttpServer<Deno.NetAddr> & { url: string } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { pathname } = new URL(req.url);
    if (pathname === "/") return html(PAGE);
    if (pathname === "/broken") return html(BROKEN_PAGE);
    return new Response("not found", { status: 404 });
  });
  return Object.assign(server, { url: `http://127.0.0.1:${server.addr.port}` });
}

Deno.test("a real browser clicks a button, sees the inline script's text and screenshots it", async () => {
  await using site = serveSite();
  const dir = await Deno.makeTempDir({ prefix: "agentpod-smoke-" });
  try {
    await withBrowser(async (session) => {
      const { page } = session;
      await page.goto(`${site.url}/`);
      assert.equal(await page.title(), "Smoke");
      await page.getByRole("button", { name: "Start" }).click();
      await page.locator("#status", { hasText: "clicked" }).waitFor();
      assert.equal(await page.locator("#go").textContent(), "Done");

      const path = await saveScreenshot(page, `${dir}/shots/smoke.png`);
      const png = await Deno.readFile(path);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.ok(png.length > 1000, `screenshot is only ${png.length} bytes`);
      assert.deepEqual(session.consoleErrors, []);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a browser session captures console errors and uncaught exceptions", async () => {
  await using site = serveSite();
  await using session = await openPage();
  await session.page.goto(`${site.url}/broken`);
  const errors = await session.waitForConsoleErrors(2);
  assert.equal(errors.length, 2, `errors: ${Deno.inspect(errors)}`);
  const logged = /^dashboard failed: boom \(http:\/\/127\.0\.0\.1:\d+\/broken:\d+\)$/;
  assert.ok(errors.some((e) => logged.test(e)), `errors: ${Deno.inspect(errors)}`);
  assert.ok(errors.includes("Uncaught undefinedFunction is not defined"));

  // A resource that fails to load is a console error too.
  await session.page.goto(`${site.url}/missing`);
  const all = await session.waitForConsoleErrors(3);
  assert.match(all[2] ?? "", /^Failed to load resource: .*404 \(Not Found\)/);
});
