/**
 * The dashboard's routes through `app.request()`, on a real store (PGlite) with the
 * in-memory runtime: sign-in (wrong password, right password, rate limit), sessions,
 * CSRF, redirects to the sign-in page, forms whose errors show at the field and create
 * nothing, the live stream, and that the API and probes are untouched by it.
 * @module
 */
import { BackupService } from "../../core/backup_service.ts";
import { AlertSender } from "../../core/alert_sender.ts";
import { AlertService } from "../../core/alert_service.ts";
import { DELIVERY_DEFAULTS } from "../../core/alerts.ts";
import { newWebhookSecret, postWebhook, verifyWebhook } from "../../providers/webhook.ts";
import { DEFAULT_BACKUP_LIMITS } from "../../core/backup.ts";
import { createArchiveStore } from "../../providers/backup/archive.ts";
import { nextCron } from "../../providers/cron.ts";
import { AccessService } from "../../core/access_service.ts";
import { PairingService } from "../../core/pairing.ts";
import { currentActor } from "../../routes/actor.ts";
import { hashToken } from "../../routes/api.ts";
import assert from "node:assert/strict";
import { adapterById, listAdapters } from "../../adapters/mod.ts";
import { parseServerConfig } from "../../core/config.ts";
import type { Logger } from "../../core/logger.ts";
import { Reconciler } from "../../core/reconciler.ts";
import { ControlPlaneService } from "../../core/service.ts";
import { createSecretBox } from "../../providers/secrets.ts";
import { createStore } from "../../providers/store/store.ts";
import { createApp } from "../../routes/app.ts";
import { createDashboard } from "../../routes/dashboard/mod.ts";
import { LiveFeed } from "../../routes/live_feed.ts";
import { MemoryRuntime } from "../fakes/memory_runtime.ts";
import { RolloutRunner } from "../../core/rollout_runner.ts";
import { UpgradeService } from "../../core/upgrades.ts";
import { MigrationService } from "../../core/migration_service.ts";
import { pgliteFixture } from "./_store_fixtures.ts";

const PASSWORD = "s3cret-admin-password";
const quiet: Logger = { info() {}, warn() {}, error() {} };

/** A browser's cookie jar, just enough for these tests. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === "" || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

async function setup() {
  const fresh = await pgliteFixture.fresh();
  const db = await fresh.open();
  const store = createStore(db);
  const runtime = new MemoryRuntime({ images: ["agentpod-fixture:1", "agentpod-fixture:2"] });
  const secrets = await createSecretBox(new Uint8Array(32).fill(7));
  const pending: Promise<unknown>[] = [];
  const reconciler = new Reconciler({
    store,
    runtime,
    adapterById,
    secrets,
    routing: { domain: "example.com" },
    now: Date.now,
    schedule: () => () => {},
    log: quiet,
  }, { orphanGraceMs: 60_000 });
  const feed = new LiveFeed();
  const service = new ControlPlaneService({
    store,
    runtime,
    reconciler,
    secrets,
    adapterById,
    routing: { domain: "example.com" },
    portRange: { from: 23000, to: 23999 },
    isPortFree: () => Promise.resolve(true),
    newToken: () => crypto.randomUUID(),
    usage: () => undefined,
    background: (work) => void pending.push(work.catch(() => {})),
    actor: currentActor,
  });
  const access = new AccessService({
    store,
    newSecret: () => crypto.randomUUID().replaceAll("-", ""),
    hash: hashToken,
    now: () => new Date(),
    actor: currentActor,
  });
  const runner = new RolloutRunner({
    store,
    runtime,
    adapterById,
    render: (pod, mode) => reconciler.renderPod(pod, mode),
    probe: () => Promise.resolve({ healthy: true, message: "200 OK" }),
    enqueue: (podId) => void reconciler.enqueue(podId, { urgent: true }),
    isLeader: () => true,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: quiet,
    cores: 2,
    onChange: (id) => void store.rollouts.get(id).then((r) => feed.publishRollout(r)),
  }, { gateIntervalMs: 5, smokeUpMs: 5, stopTimeoutSeconds: 1 });
  const upgrades = new UpgradeService({ store, runtime, wake: () => {} });
  const migration = new MigrationService({
    runtime,
    service,
    store,
    instance: "memory",
    adoptedIds: async () =>
      new Set((await store.pods.listStates()).flatMap((s) => s.adoptedContainerId ?? [])),
    probe: () => Promise.resolve({ healthy: true, message: "hello-ok" }),
  });
  const printed: string[] = [];
  const pairing = new PairingService({
    store,
    runtime,
    adapterById,
    routing: { domain: "example.com" },
    pod: (tenant, name) => service.podRecord(tenant, name),
    actor: currentActor,
  });
  const backups = new BackupService({
    store,
    archives: createArchiveStore(await Deno.makeTempDir(), DEFAULT_BACKUP_LIMITS),
    wake: () => {},
    nextCron,
    actor: currentActor,
  });
  const sender = new AlertSender({
    store,
    secrets,
    post: postWebhook,
    isLeader: () => true,
    now: Date.now,
    random: Math.random,
    log: quiet,
  }, DELIVERY_DEFAULTS);
  const alerts = new AlertService({
    store,
    secrets,
    newSecret: newWebhookSecret,
    wake: () => void sender.tick(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  const deps = {
    alerts,
    service,
    access,
    pairing,
    upgrades,
    migration,
    backups,
    store,
    runtime,
    feed,
    adapters: listAdapters(),
    config: parseServerConfig({ AGENTPOD_DATA_DIR: "/tmp/unused" }),
    log: quiet,
    adminPassword: PASSWORD,
    passwordIterations: 1_000,
    streamSessionCheckMs: 100,
    print: (line: string) => printed.push(line),
    doctor: () =>
      Promise.resolve({
        ok: true,
        instance: "test",
        checks: [
          { name: "docker", ok: true, message: "Engine 28" },
          { name: "traefik", ok: true, message: "last polled 2 s ago (4 polls since start)" },
        ],
      }),
  };
  const app = createApp({ log: quiet, readiness: {}, dashboard: await createDashboard(deps) });
  const request = (path: string, init: RequestInit = {}, jar?: Jar, peer = "10.0.0.1") => {
    const headers = new Headers(init.headers);
    if (jar && jar.cookies.size) headers.set("cookie", jar.header());
    return app.request(path, { ...init, headers }, { remoteAddr: { hostname: peer } });
  };
  const post = (path: string, fields: Record<string, string>, jar?: Jar, peer?: string) =>
    request(path, { method: "POST", body: new URLSearchParams(fields) }, jar, peer);
  /** Opens the sign-in page: the jar gets its CSRF cookie; returns the form's token. */
  const loginForm = async (jar: Jar, peer?: string) => {
    const res = await request("/login", {}, jar, peer);
    jar.take(res);
    return /name="_csrf" value="([^"]+)"/.exec(await res.text())![1]!;
  };
  const signIn = async (peer?: string) => {
    const jar = new Jar();
    const csrf = await loginForm(jar, peer);
    const res = await post("/login", { _csrf: csrf, password: PASSWORD, next: "/" }, jar, peer);
    assert.equal(res.status, 303);
    jar.take(res);
    const page = await request("/tenants", {}, jar);
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    return { jar, csrf: token };
  };
  return {
    app,
    store,
    runtime,
    feed,
    service,
    runner,
    deps,
    printed,
    request,
    post,
    loginForm,
    signIn,
    settle: async () => {
      while (pending.length) await pending.shift();
    },
    close: async () => {
      await fresh[Symbol.asyncDispose]();
    },
  };
}

Deno.test("dashboard routes", async (t) => {
  const env = await setup();
  const { request, post } = env;
  try {
    await t.step("pages without a session redirect to the sign-in page with next", async () => {
      for (const [path, next] of [["/", "/"], ["/pods?tenant=acme", "/pods?tenant=acme"]]) {
        const res = await request(path!);
        assert.equal(res.status, 303);
        assert.equal(res.headers.get("location"), `/login?next=${encodeURIComponent(next!)}`);
      }
      assert.equal((await request("/live")).status, 401);
      assert.equal((await request("/live/pods")).status, 401);
      assert.equal((await request("/pods/acme/web/logs")).status, 401);
    });

    await t.step("the sign-in page carries a CSRF token and sets its cookie", async () => {
      const res = await request("/login?next=/pods");
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /<input type="password" id="password" name="password"/);
      assert.match(html, /name="next" value="\/pods"/);
      assert.match(res.headers.get("set-cookie") ?? "", /agentpod_login_csrf=.*HttpOnly/);
      assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    });

    await t.step("a wrong password shows an error and sets no session", async () => {
      const jar = new Jar();
      const csrf = await env.loginForm(jar, "10.9.9.9");
      const res = await post("/login", { _csrf: csrf, password: "nope" }, jar, "10.9.9.9");
      assert.equal(res.status, 401);
      assert.match(await res.text(), /data-testid="login-error">Wrong password</);
      assert.ok(!res.headers.getSetCookie().some((c) => c.startsWith("agentpod_session=")));
    });

    await t.step(
      "the right password sets an HttpOnly session cookie and goes to next",
      async () => {
        const jar = new Jar();
        const csrf = await env.loginForm(jar);
        const res = await post("/login", { _csrf: csrf, password: PASSWORD, next: "/pods" }, jar);
        assert.equal(res.status, 303);
        assert.equal(res.headers.get("location"), "/pods");
        const cookie = res.headers.getSetCookie().find((c) => c.startsWith("agentpod_session="))!;
        assert.match(cookie, /HttpOnly/);
        assert.match(cookie, /SameSite=Lax/);
        assert.match(cookie, /Path=\//);
        assert.doesNotMatch(cookie, /Secure/);
        jar.take(res);
        const page = await request("/pods", {}, jar);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /data-testid="pods-empty"/);
      },
    );

    await t.step("behind an https proxy the session cookie is Secure", async () => {
      const jar = new Jar();
      const headers = { "x-forwarded-proto": "https" };
      const form = await request("/login", { headers }, jar, "10.0.0.3");
      jar.take(form);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const res = await request(
        "/login",
        {
          method: "POST",
          headers,
          body: new URLSearchParams({ _csrf: csrf, password: PASSWORD }),
        },
        jar,
        "10.0.0.3",
      );
      assert.equal(res.status, 303);
      assert.match(res.headers.getSetCookie().join("\n"), /agentpod_session=[^\n]*Secure/);
    });

    await t.step("next never leaves the dashboard", async () => {
      const jar = new Jar();
      const csrf = await env.loginForm(jar, "10.0.0.4");
      const res = await post(
        "/login",
        {
          _csrf: csrf,
          password: PASSWORD,
          next: "//evil.example/",
        },
        jar,
        "10.0.0.4",
      );
      assert.equal(res.headers.get("location"), "/");
    });

    await t.step("a sign-in post without the form's CSRF token is refused", async () => {
      const res = await post("/login", { password: PASSWORD }, undefined, "10.0.0.5");
      assert.equal(res.status, 403);
      assert.ok(!res.headers.getSetCookie().some((c) => c.startsWith("agentpod_session=")));
    });

    await t.step(
      "after 5 failures a minute, an address gets 429, even with the password",
      async () => {
        const jar = new Jar();
        const peer = "10.7.7.7";
        const csrf = await env.loginForm(jar, peer);
        for (let i = 0; i < 5; i++) {
          const res = await post("/login", { _csrf: csrf, password: `wrong${i}` }, jar, peer);
          assert.equal(res.status, 401);
        }
        const limited = await post("/login", { _csrf: csrf, password: PASSWORD }, jar, peer);
        assert.equal(limited.status, 429);
        assert.ok(Number(limited.headers.get("retry-after")) > 0);
        assert.match(await limited.text(), /Too many failed sign-ins from your address/);
        assert.ok(!limited.headers.getSetCookie().some((c) => c.startsWith("agentpod_session=")));
        // Another address is not affected.
        const other = new Jar();
        const otherCsrf = await env.loginForm(other, "10.7.7.8");
        const ok = await post(
          "/login",
          { _csrf: otherCsrf, password: PASSWORD },
          other,
          "10.7.7.8",
        );
        assert.equal(ok.status, 303);
      },
    );

    await t.step(
      "parallel sign-in attempts count before the slow check: 5 tries, not 20",
      async () => {
        const jar = new Jar();
        const peer = "10.7.7.9";
        const csrf = await env.loginForm(jar, peer);
        const answers = await Promise.all(
          Array.from(
            { length: 20 },
            (_, i) => post("/login", { _csrf: csrf, password: `guess${i}` }, jar, peer),
          ),
        );
        for (const res of answers) {
          await res.body?.cancel();
        }
        const statuses = answers.map((r) => r.status);
        assert.equal(statuses.filter((s) => s === 401).length, 5, statuses.join(","));
        assert.equal(statuses.filter((s) => s === 429).length, 15);
      },
    );

    await t.step("a sign-in page with a next that leaves the site goes home instead", async () => {
      const { jar } = await env.signIn();
      for (const next of ["/\t/evil.example", "//evil.example", "/\\evil.example"]) {
        const res = await request(`/login?next=${encodeURIComponent(next)}`, {}, jar);
        await res.body?.cancel();
        assert.equal(res.status, 303, next);
        assert.equal(res.headers.get("location"), "/", next);
      }
    });

    const { jar, csrf } = await env.signIn();

    await t.step("a form post without the session's CSRF token changes nothing", async () => {
      for (const token of [undefined, "forged"]) {
        const fields: Record<string, string> = { id: "evil" };
        if (token) fields._csrf = token;
        const res = await post("/tenants", fields, jar);
        assert.equal(res.status, 403);
        assert.match(await res.text(), /This form has expired/);
      }
      assert.deepEqual(await env.store.tenants.list(), []);
    });

    await t.step(
      "creating a tenant: an invalid id shows at the field, a good one redirects",
      async () => {
        const bad = await post("/tenants", { _csrf: csrf, id: "Not Valid" }, jar);
        assert.equal(bad.status, 422);
        const html = await bad.text();
        assert.match(
          html,
          /data-testid="field-error" data-field="id">Invalid tenant id &quot;Not Valid&quot;/,
        );
        assert.match(
          html,
          /id="tenant-id" name="id"[^>]*value="Not Valid"[^>]*aria-invalid="true"/,
        );
        assert.deepEqual(await env.store.tenants.list(), []);

        const res = await post("/tenants", { _csrf: csrf, id: "acme", name: "Acme Inc" }, jar);
        assert.equal(res.status, 303);
        assert.equal(res.headers.get("location"), "/tenants");
        jar.take(res);
        const page = await request("/tenants", {}, jar);
        jar.take(page);
        const text = await page.text();
        assert.match(text, /data-testid="flash" data-kind="ok">Tenant &quot;acme&quot; created/);
        assert.match(text, /data-testid="tenant-row" data-tenant="acme"/);
        const again = await post("/tenants", { _csrf: csrf, id: "acme" }, jar);
        assert.equal(again.status, 409);
        assert.match(
          await again.text(),
          /Tenant &quot;acme&quot; already exists|Tenant "acme" already exists/,
        );
      },
    );

    await t.step("the create-pod form is generated from the adapter's schema", async () => {
      const choose = await request("/pods/new", {}, jar);
      assert.match(await choose.text(), /id="adapter-openclaw" name="adapter" value="openclaw"/);
      const res = await request("/pods/new?adapter=openclaw&tenant=acme", {}, jar);
      const html = await res.text();
      assert.match(html, /<option value="acme" selected>acme<\/option>/);
      assert.match(html, /id="config-agentName" name="config.agentName"/);
      assert.match(
        html,
        /<input type="password" id="config-providers-anthropic-apiKey" name="config.providers.anthropic.apiKey"/,
      );
      assert.match(html, /<textarea id="config-personality"/);
    });

    await t.step("an invalid config value shows at its field and creates nothing", async () => {
      const res = await post("/pods/new", {
        _csrf: csrf,
        adapter: "openclaw",
        tenant: "acme",
        name: "agent",
        "config.agentName": "Ada",
        "config.model": "not a model",
        "config.providers.anthropic.apiKey": "sk-secret-value",
      }, jar);
      assert.equal(res.status, 422);
      const html = await res.text();
      assert.match(
        html,
        /data-testid="field-error" data-field="config.model">Expected provider\/model</,
      );
      assert.match(html, /name="config.model"[^>]*value="not a model"/);
      assert.match(html, /name="config.agentName"[^>]*value="Ada"/);
      assert.ok(!html.includes("sk-secret-value"), "a secret is never echoed back");
      assert.deepEqual(await env.service.listPods("acme"), []);
    });

    await t.step("unreadable values and bad names show at their fields too", async () => {
      const res = await post("/pods/new", {
        _csrf: csrf,
        adapter: "generic",
        tenant: "acme",
        name: "Bad_Name",
        image: "agentpod-fixture:1",
        "config.port": "eighty",
        "resources.memoryMB": "12",
      }, jar);
      assert.equal(res.status, 422);
      const html = await res.text();
      assert.match(html, /data-field="config.port">Expected a whole number</);
      assert.match(html, /data-field="name">Invalid pod name: /);
      const small = await post("/pods/new", {
        _csrf: csrf,
        adapter: "generic",
        tenant: "acme",
        name: "web",
        image: "agentpod-fixture:1",
        "resources.memoryMB": "12",
      }, jar);
      assert.equal(small.status, 422);
      assert.match(
        await small.text(),
        /data-field="resources.memoryMB">Invalid memory limit 12 MB/,
      );
      assert.deepEqual(await env.service.listPods("acme"), []);
    });

    await t.step("a valid form creates the pod and shows its page", async () => {
      const res = await post("/pods/new", {
        _csrf: csrf,
        adapter: "generic",
        tenant: "acme",
        name: "web",
        image: "agentpod-fixture:1",
        "config.port": "8080",
        "config.env": "API_KEY=abc123",
      }, jar);
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), "/pods/acme/web");
      jar.take(res);
      await env.settle();
      const [pod] = await env.service.listPods("acme");
      assert.equal(pod?.pod, "acme/web");
      const page = await request("/pods/acme/web", {}, jar);
      jar.take(page);
      const html = await page.text();
      assert.equal(page.status, 200);
      assert.match(html, /data-testid="pod-status" data-status="running"/);
      assert.match(html, /data-island="PodStatus"/);
      assert.match(html, /data-config="env"><code>\*\*\*\*\*\*\*\*</);
      assert.ok(!html.includes("abc123"), "config secrets are masked");
      const list = await request("/pods", {}, jar);
      assert.match(
        await list.text(),
        /data-testid="pod-row" data-pod="acme\/web" data-status="running"/,
      );
    });

    await t.step(
      "the settings form edits the config, keeps a blank secret, errors at the field",
      async () => {
        const page = await (await request("/pods/acme/web", {}, jar)).text();
        assert.match(page, /data-testid="config-form"/);
        assert.match(page, /id="config-port"[^>]*value="8080"/);
        assert.ok(!page.includes("abc123"), "the secret is not in the form");
        const bad = await post("/pods/acme/web/config", {
          _csrf: csrf,
          "config.port": "eighty",
          "config.env": "",
        }, jar);
        assert.equal(bad.status, 422);
        assert.match(
          await bad.text(),
          /data-testid="field-error" data-field="config\.port">Expected a whole number/,
        );
        const outOfRange = await post(
          "/pods/acme/web/config",
          { _csrf: csrf, "config.port": "0" },
          jar,
        );
        assert.equal(outOfRange.status, 422);
        assert.match(await outOfRange.text(), /data-field="config\.port"/);
        assert.equal((await env.service.getConfig("acme", "web")).config.port, 8080, "unchanged");
        assert.match(page, /name="generation" value="1"/);
        const stale = await post("/pods/acme/web/config", {
          _csrf: csrf,
          generation: "0",
          "config.port": "7070",
        }, jar);
        assert.equal(stale.status, 409);
        assert.match(await stale.text(), /changed since this was read \(generation 0, now 1\)/);
        assert.equal((await env.service.getConfig("acme", "web")).config.port, 8080, "unchanged");
        const forged = await post("/pods/acme/web/config", { "config.port": "9090" }, jar);
        assert.equal(forged.status, 403);
        const saved = await post("/pods/acme/web/config", {
          _csrf: csrf,
          "config.port": "9090",
          "config.healthPath": "/index.html",
          "config.env": "",
        }, jar);
        assert.equal(saved.status, 303);
        await env.settle();
        const record = await env.service.podRecord("acme", "web");
        assert.equal(record.spec.config.port, 9090);
        assert.equal(record.spec.config.healthPath, "/index.html");
        const shown = await env.service.getConfig("acme", "web");
        assert.equal(shown.config.env, "********", "the blank secret kept its value");
        const events = await env.service.listEvents({ tail: 5, pod: "acme/web" });
        const changed = events.find((e) => e.reason === "ConfigChanged");
        assert.match(
          changed?.message ?? "",
          /^Config changed \(healthPath, port\): container recreated$/,
        );
        assert.ok(events.some((e) => e.reason === "Recreated"), JSON.stringify(events));
        assert.ok(!JSON.stringify(events).includes("abc123"));
      },
    );

    await t.step("the pod's gateway token: revealed on a form's answer, rotated", async () => {
      const page = await (await request("/pods/acme/web", {}, jar)).text();
      assert.match(page, /data-testid="token-reveal"/);
      const before = (await env.service.revealToken("acme", "web")).token;
      assert.ok(!page.includes(before), "the pod page never shows the token");
      const shown = await (await post("/pods/acme/web/token", { _csrf: csrf }, jar)).text();
      assert.ok(shown.includes(`data-testid="pod-token">${before}<`));
      const rotated = await post("/pods/acme/web/token/rotate", { _csrf: csrf }, jar);
      assert.equal(rotated.status, 200);
      await env.settle();
      const after = (await env.service.revealToken("acme", "web")).token;
      assert.notEqual(after, before);
      assert.ok((await rotated.text()).includes(after));
      const events = await env.store.events.list({ tail: 10 });
      assert.equal(events.find((e) => e.reason === "TokenRotated")?.actor, "dashboard");
      // The reveals made here directly have no actor; the form's has the dashboard's.
      assert.ok(events.some((e) => e.reason === "TokenRevealed" && e.actor === "dashboard"));
    });

    await t.step(
      "the Backups card: back up, restore behind a confirmation, CSRF-checked",
      async () => {
        const page = await (await request("/pods/acme/web", {}, jar)).text();
        assert.match(page, /data-testid="backup-now"/);
        assert.match(page, /No backup yet/);
        const refused = await post("/pods/acme/web/backups", {}, jar);
        assert.equal(refused.status, 403);
        assert.equal((await env.store.backupTasks.list()).length, 0, "nothing queued");
        const queued = await post("/pods/acme/web/backups", { _csrf: csrf }, jar);
        assert.equal(queued.status, 303);
        const [task] = await env.store.backupTasks.list();
        assert.equal(task?.kind, "backup");
        assert.equal(task?.actor, "dashboard");
        assert.match(await (await request("/pods/acme/web", {}, jar)).text(), /backup pending/);
        const pod = await env.store.pods.get("acme", "web");
        const archive = await env.store.backups.create({
          id: crypto.randomUUID(),
          tenant: "acme",
          podId: pod.id,
          pod: "web",
          origin: "manual",
          method: "pause",
          adapter: pod.spec.adapter,
          image: pod.spec.image,
          imageId: null,
          appVersion: null,
          bytes: 46_000,
          sha256: "0".repeat(64),
          entries: 4,
          downtimeMs: 9,
          durationMs: 30,
        });
        const listed = await (await request("/pods/acme/web", {}, jar)).text();
        assert.match(listed, /Last good backup \d+ s ago \(44\.9 KB\)/);
        assert.ok(listed.includes(`data-backup="${archive.id}"`));
        const confirm = await (await request(`/pods/acme/web/restore?from=${archive.id}`, {}, jar))
          .text();
        assert.match(confirm, /data-testid="restore-confirm"/);
        const restore = await post(
          "/pods/acme/web/restore",
          { _csrf: csrf, from: archive.id },
          jar,
        );
        assert.equal(restore.status, 303);
        const restores = (await env.store.backupTasks.list()).filter((t) => t.kind === "restore");
        assert.equal(restores[0]?.backupId, archive.id);
        for (const t of await env.store.backupTasks.list()) {
          await env.store.backupTasks.update(t.id, { state: "failed", finished: true });
        }
      },
    );

    await t.step(
      "a tenant's usage page: chart, table, CSV; a bad range or tenant is said",
      async () => {
        const pod = (await env.store.pods.list()).find((p) => p.tenant === "acme")!;
        const today = new Date().toISOString().slice(0, 10);
        await env.store.usage.addSample({
          podId: pod.id,
          day: today,
          cpuSeconds: 42.5,
          memoryMb: 64,
          cursor: {
            containerId: "c",
            startedAt: Date.now(),
            cpuSeconds: 42.5,
            sampledAt: Date.now(),
          },
          after: null,
        });
        const res = await request("/tenants/acme/usage", {}, jar);
        assert.equal(res.status, 200);
        const html = await res.text();
        assert.match(
          html,
          new RegExp(`data-testid="usage-bar" data-day="${today}" data-cpu="42.5"`),
        );
        assert.match(html, new RegExp(`data-testid="usage-row" data-pod="${pod.name}"`));
        assert.match(html, /data-testid="usage-csv"/);
        const csv = await request(`/tenants/acme/usage.csv?from=${today}&to=${today}`, {}, jar);
        assert.equal(csv.headers.get("content-type"), "text/csv; charset=utf-8");
        const lines = (await csv.text()).trim().split("\r\n");
        assert.equal(lines.length, 2);
        assert.match(lines[1]!, new RegExp(`^${today},acme,${pod.name},42.5,64,64,`));
        const bad = await request("/tenants/acme/usage?from=2026-12-09&to=2026-12-01", {}, jar);
        assert.equal(bad.status, 422);
        assert.match(await bad.text(), /from 2026-12-09 is after to 2026-12-01/);
        const none = await request("/tenants/nobody/usage", {}, jar);
        assert.equal(none.status, 404);
        await none.body?.cancel();
      },
    );

    await t.step("stop and delete go through CSRF-checked forms", async () => {
      const stop = await post("/pods/acme/web/stop", { _csrf: csrf }, jar);
      assert.equal(stop.status, 303);
      await env.settle();
      assert.equal((await env.service.getPod("acme", "web")).status, "stopped");
      const stopped = (await env.store.events.list({ tail: 20 })).find((e) =>
        e.reason === "StopRequested"
      );
      assert.equal(stopped?.actor, "dashboard", "the event names the dashboard's admin");
      const forged = await post("/pods/acme/web/delete", { _csrf: "x" }, jar);
      assert.equal(forged.status, 403);
      const confirm = await request("/pods/acme/web/delete", {}, jar);
      assert.match(await confirm.text(), /data-testid="confirm-delete"/);
      const del = await post("/pods/acme/web/delete", { _csrf: csrf }, jar);
      assert.equal(del.status, 303);
      await env.settle();
      assert.deepEqual(await env.service.listPods("acme"), []);
      const gone = await request("/pods/acme/web", {}, jar);
      assert.equal(gone.status, 404);
      assert.match(
        await gone.text(),
        /Pod "acme\/web" does not exist|Pod &quot;acme\/web&quot; does not exist/,
      );
    });

    await t.step(
      "API tokens: created with the secret shown once, listed without it, revoked",
      async () => {
        const bad = await post("/tokens", { _csrf: csrf, name: "x", expires: "yesterday" }, jar);
        assert.equal(bad.status, 422);
        assert.match(await bad.text(), /Invalid expiry/);
        const res = await post("/tokens", {
          _csrf: csrf,
          name: "ci-viewer",
          role: "viewer",
          tenant: "acme",
          expires: "30d",
        }, jar);
        assert.equal(res.status, 201);
        const html = await res.text();
        const secret = /data-testid="token-secret">(ap_[^<]+)</.exec(html)?.[1];
        assert.ok(secret, "the secret is on the page that answers the create");
        const list = await (await request("/tokens", {}, jar)).text();
        assert.match(list, /data-token="ci-viewer"/);
        assert.ok(!list.includes(secret), "the list never shows a secret");
        const [token] = (await env.store.tokens.list()).filter((t) => t.name === "ci-viewer");
        assert.equal(token?.role, "viewer");
        assert.equal(token?.tenant, "acme");
        const revoke = await post(`/tokens/${token!.id}/revoke`, { _csrf: csrf }, jar);
        assert.equal(revoke.status, 303);
        assert.ok((await env.store.tokens.list()).find((t) => t.id === token!.id)?.revokedAt);
        const events = await env.store.events.list({ tail: 10 });
        assert.equal(events.find((e) => e.reason === "TokenRevoked")?.actor, "dashboard");
      },
    );

    await t.step("delete with force removes a running pod without a graceful stop", async () => {
      await env.service.createPod("acme", {
        name: "hard",
        adapter: "generic",
        image: "agentpod-fixture:1",
      });
      await env.settle();
      assert.equal((await env.service.getPod("acme", "hard")).status, "running");
      const confirm = await (await request("/pods/acme/hard/delete", {}, jar)).text();
      assert.match(confirm, /name="force" value="true"/);
      const stops = env.runtime.calls.stop;
      const del = await post("/pods/acme/hard/delete", { _csrf: csrf, force: "true" }, jar);
      assert.equal(del.status, 303);
      await env.settle();
      assert.equal(env.runtime.calls.stop, stops, "killed with the removal, never stopped");
      assert.equal((await env.service.listPods("acme")).some((p) => p.name === "hard"), false);
    });

    await t.step("a pod's Upgrade form starts a rollout whose page follows it", async () => {
      await env.service.createPod("acme", {
        name: "up",
        adapter: "generic",
        image: "agentpod-fixture:1",
      });
      await env.settle();
      const formPage = await (await request("/pods/acme/up/upgrade", {}, jar)).text();
      assert.match(formPage, /data-testid="upgrade-form"/);
      assert.match(formPage, /value="agentpod-fixture:1"/, "the current image, to edit");
      const empty = await post("/pods/acme/up/upgrade", { _csrf: csrf, image: " " }, jar);
      assert.equal(empty.status, 400);
      assert.match(await empty.text(), /data-testid="form-error">Give the image/);
      const forged = await post("/pods/acme/up/upgrade", { _csrf: "x", image: "a:1" }, jar);
      assert.equal(forged.status, 403);
      const started = await post("/pods/acme/up/upgrade", {
        _csrf: csrf,
        image: "agentpod-fixture:2",
        minReady: "0",
        deadline: "5",
      }, jar);
      assert.equal(started.status, 303);
      const location = started.headers.get("location")!;
      assert.match(location, /^\/rollouts\/[0-9a-f-]{36}$/);
      const id = location.split("/").pop()!;
      assert.match(
        await (await request(location, {}, jar)).text(),
        /data-testid="rollout-state">preflight/,
      );
      for (let i = 0; i < 20; i++) {
        await env.runner.tick();
        await env.runner.idle();
        if ((await env.store.rollouts.get(id)).finishedAt) break;
      }
      const live = await (await request(`/live/rollouts/${id}`, {}, jar)).json();
      assert.equal(live.state, "succeeded", live.message);
      const done = await (await request(location, {}, jar)).text();
      assert.match(done, /data-testid="rollout-state">succeeded/);
      assert.match(done, /data-testid="item-state">succeeded/);
      assert.match(await (await request("/rollouts", {}, jar)).text(), new RegExp(id.slice(0, 8)));
      const abort = await post(`/rollouts/${id}/abort`, { _csrf: csrf }, jar);
      assert.equal(abort.status, 409, "a finished rollout cannot be aborted");
      await env.service.deletePod("acme", "up", { force: true });
      await env.settle();
      assert.deepEqual(await env.service.listPods("acme"), []);
    });

    /** A gateway made by hand, as `docker run` leaves it. */
    const handMade = (
      id: string,
      name: string,
      hostPort: number,
      { hostIp = "127.0.0.1", autoRemove = false } = {},
    ) => ({
      id,
      name,
      image: "ghcr.io/openclaw/openclaw:2026.9.6",
      imageId: `sha256:${id}`,
      state: "running" as const,
      pid: 7,
      startedAt: "2026-12-01T00:00:00Z",
      restartCount: 0,
      command: ["node", "openclaw.mjs", "gateway", "--bind", "lan"],
      env: { OPENCLAW_GATEWAY_TOKEN: `${name}-secret` },
      labels: {},
      exposedPorts: ["18789/tcp"],
      published: [{ containerPort: 18789, hostIp, hostPort }],
      hostname: id,
      networks: ["bridge"],
      restartPolicy: autoRemove ? "no" : "unless-stopped",
      autoRemove,
      memoryBytes: 0,
      nanoCpus: 0,
      pidsLimit: null,
      mounts: [],
    });

    await t.step(
      "the Migrate page lists gateways made by hand, with verdicts, never tokens",
      async () => {
        env.runtime.addForeign(handMade("f00d", "openclaw-by-hand", 18789, { hostIp: "0.0.0.0" }));
        const html = await (await request("/migrate", {}, jar)).text();
        assert.match(html, /data-container="openclaw-by-hand" data-verdict="adoptable"/);
        assert.match(html, /published on every interface/);
        assert.match(
          html,
          /data-container="openclaw-by-hand"><input type="hidden" name="_csrf"/,
          "an Adopt form, CSRF-checked",
        );
        assert.match(html, /name="tenant" value="openclaw-by-hand"/, "the names adopt would use");
        assert.match(html, /name="pod" value="gateway"/);
        assert.match(html, /Route through Traefik/);
        assert.match(html, /data-testid="adopt-all-form"/, "one adoptable: Adopt all is offered");
        assert.ok(!html.includes("openclaw-by-hand-secret"), "the token is never shown");
        assert.match(html, /href="\/migrate"/, "in the navigation");
      },
    );

    const adopted = async () =>
      (await env.store.pods.list()).filter((p) => p.adoption).map((p) => `${p.tenant}/${p.name}`);

    await t.step("an Adopt post without the session's CSRF token adopts nothing", async () => {
      for (const token of [undefined, "forged"]) {
        const fields: Record<string, string> = { container: "openclaw-by-hand" };
        if (token) fields._csrf = token;
        const res = await post("/migrate/adopt", fields, jar);
        assert.equal(res.status, 403);
        assert.match(await res.text(), /This form has expired/);
      }
      const all = await post("/migrate/adopt", { all: "true" }, jar);
      assert.equal(all.status, 403);
      assert.deepEqual(await adopted(), []);
    });

    await t.step(
      "adopting from the Migrate page creates the pod, flashes what happened, shows its tenant",
      async () => {
        const res = await post("/migrate/adopt", {
          _csrf: csrf,
          container: "openclaw-by-hand",
          tenant: "hand",
          pod: "gw",
        }, jar);
        assert.equal(res.status, 303);
        assert.equal(res.headers.get("location"), "/pods?tenant=hand");
        jar.take(res);
        await env.settle();
        const pods = await env.service.listPods("hand");
        assert.deepEqual(pods.map((p) => p.name), ["gw"]);
        assert.equal(pods[0]!.hostPort, 18789, "the port it was published on");
        const page = await request("/pods?tenant=hand", {}, jar);
        jar.take(page);
        assert.match(
          await page.text(),
          /data-kind="ok">Adopted &quot;openclaw-by-hand&quot; as hand\/gw \(not routed\)/,
        );
      },
    );

    await t.step("an adopted gateway shows as managed, with no Adopt button", async () => {
      const html = await (await request("/migrate", {}, jar)).text();
      assert.match(html, /data-container="openclaw-by-hand" data-verdict="managed"/);
      assert.match(html, /data-testid="managed">managed</);
      assert.doesNotMatch(html, /data-testid="adopt-form"/);
      assert.doesNotMatch(html, /data-testid="adopt-all-form"/, "nothing left to adopt");
    });

    await t.step(
      "a refused adopt re-renders the page with the reason and changes nothing",
      async () => {
        env.runtime.addForeign(handMade("dead", "openclaw-throwaway", 18790, { autoRemove: true }));
        env.runtime.addForeign(handMade("cafe", "openclaw-second", 18791));
        const html = await (await request("/migrate", {}, jar)).text();
        assert.match(html, /data-container="openclaw-throwaway" data-verdict="auto-remove"/);
        assert.doesNotMatch(html, /data-testid="adopt-form" data-container="openclaw-throwaway"/);
        assert.match(html, /data-testid="adopt-form" data-container="openclaw-second"/);

        const refused = await post(
          "/migrate/adopt",
          { _csrf: csrf, container: "openclaw-throwaway" },
          jar,
        );
        assert.equal(refused.status, 400);
        assert.match(
          await refused.text(),
          /data-testid="form-error">Cannot adopt &quot;openclaw-throwaway&quot; \(auto-remove\): /,
        );
        const unknown = await post("/migrate/adopt", { _csrf: csrf, container: "nope" }, jar);
        assert.equal(unknown.status, 404);
        assert.match(
          await unknown.text(),
          /data-testid="form-error">No OpenClaw gateway &quot;nope&quot; on this host/,
        );
        const taken = await post("/migrate/adopt", {
          _csrf: csrf,
          container: "openclaw-second",
          tenant: "hand",
          pod: "gw",
        }, jar);
        assert.equal(taken.status, 409);
        const page = await taken.text();
        assert.match(
          page,
          /data-testid="form-error">Cannot adopt as &quot;hand\/gw&quot;: that pod exists/,
        );
        assert.match(page, /name="pod" value="gw"/, "what was typed is kept");
        const badName = await post("/migrate/adopt", {
          _csrf: csrf,
          container: "openclaw-second",
          tenant: "Not Valid",
        }, jar);
        assert.equal(badName.status, 400);
        assert.match(await badName.text(), /data-testid="form-error">Invalid tenant id/);
        await env.settle();
        assert.deepEqual(await adopted(), ["hand/gw"]);
      },
    );

    await t.step("Adopt all takes every adoptable gateway under its suggested name", async () => {
      env.runtime.addForeign(handMade("b0b0", "openclaw-third", 18792));
      const html = await (await request("/migrate", {}, jar)).text();
      assert.match(html, /data-testid="adopt-all-form"/);
      const res = await post("/migrate/adopt", { _csrf: csrf, all: "true" }, jar);
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), "/pods");
      jar.take(res);
      await env.settle();
      assert.deepEqual((await adopted()).sort(), [
        "hand/gw",
        "openclaw-second/gateway",
        "openclaw-third/gateway",
      ]);
      const page = await request("/pods", {}, jar);
      jar.take(page);
      assert.match(
        await page.text(),
        /data-kind="ok">Adopted 2 gateway\(s\): &quot;openclaw-second&quot; as openclaw-second\/gateway, &quot;openclaw-third&quot; as openclaw-third\/gateway</,
      );
    });

    await t.step("an adopted pod's page shows its container and a Release action", async () => {
      const res = await request("/pods/hand/gw", {}, jar);
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /data-testid="pod-adoption"/);
      assert.match(html, /data-testid="adopted-container"><code>openclaw-by-hand<\/code>/);
      assert.match(html, /data-testid="adopted-routed" data-routed="false"/);
      assert.match(html, /href="\/pods\/hand\/gw\/release" data-testid="pod-release"/);

      await env.service.createPod("acme", {
        name: "made",
        adapter: "generic",
        image: "agentpod-fixture:1",
      });
      await env.settle();
      const made = await (await request("/pods/acme/made", {}, jar)).text();
      assert.doesNotMatch(made, /data-testid="pod-adoption"|pod-release/);
      const refused = await request("/pods/acme/made/release", {}, jar);
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), /AgentPod made its container \(delete it instead\)/);
      const crafted = await post("/pods/acme/made/release", { _csrf: csrf }, jar);
      assert.equal(crafted.status, 400, "nor can it be released by a crafted post");
      await env.service.deletePod("acme", "made", { force: true });
      await env.settle();
    });

    await t.step(
      "releasing asks first, then forgets the pod and leaves its container running",
      async () => {
        const confirm = await request("/pods/hand/gw/release", {}, jar);
        assert.equal(confirm.status, 200);
        const html = await confirm.text();
        assert.match(html, /Release pod &quot;hand\/gw&quot;\?/);
        assert.match(html, /left running exactly as it is/);
        assert.match(html, /action="\/pods\/hand\/gw\/release"/);
        assert.match(html, /data-testid="confirm-release"/);

        const forged = await post("/pods/hand/gw/release", { _csrf: "x" }, jar);
        assert.equal(forged.status, 403);
        assert.deepEqual((await env.service.listPods("hand")).map((p) => p.name), ["gw"]);

        const res = await post("/pods/hand/gw/release", { _csrf: csrf }, jar);
        assert.equal(res.status, 303);
        assert.equal(res.headers.get("location"), "/pods");
        jar.take(res);
        await env.settle();
        assert.deepEqual(await env.service.listPods("hand"), []);
        const container = (await env.runtime.listEngineContainers())
          .find((c) => c.name === "openclaw-by-hand");
        assert.equal(container?.state, "running", "the container is left as it is");
        const page = await request("/pods", {}, jar);
        jar.take(page);
        assert.match(
          await page.text(),
          /data-kind="ok">Released &quot;hand\/gw&quot;: container f00d runs on, unmanaged/,
        );
        const again = await (await request("/migrate", {}, jar)).text();
        assert.match(again, /data-container="openclaw-by-hand" data-verdict="adoptable"/);

        await post("/pods/openclaw-second/gateway/release", { _csrf: csrf }, jar);
        await post("/pods/openclaw-third/gateway/release", { _csrf: csrf }, jar);
        await env.settle();
        assert.deepEqual(await adopted(), []);
      },
    );

    await t.step(
      "alerts: add an endpoint (secret once), Test it signed, see it, remove it",
      async () => {
        const got: { body: string; headers: Record<string, string> }[] = [];
        await using receiver = Deno.serve(
          { hostname: "127.0.0.1", port: 0, onListen: () => {} },
          async (req) => {
            got.push({ body: await req.text(), headers: Object.fromEntries(req.headers) });
            return new Response(null, { status: 202 });
          },
        );
        const url = `http://127.0.0.1:${(receiver.addr as Deno.NetAddr).port}/hook`;
        const form = (fields: [string, string][]) =>
          request("/alerts/endpoints", { method: "POST", body: new URLSearchParams(fields) }, jar);
        const bad = await form([["_csrf", csrf], ["url", "ftp://x"]]);
        assert.equal(bad.status, 422);
        assert.match(await bad.text(), /only http and https/);
        const added = await form([
          ["_csrf", csrf],
          ["url", url],
          ["events", "pod.failed"],
          ["events", "backup.failed"],
        ]);
        assert.equal(added.status, 201);
        const html = await added.text();
        const secret = /data-testid="endpoint-secret">(whsec_[^<]+)</.exec(html)![1]!;
        assert.match(html, /pod\.failed, backup\.failed/);
        const [endpoint] = await env.store.alerts.listEndpoints();
        const tested = await post(`/alerts/endpoints/${endpoint!.id}/test`, { _csrf: csrf }, jar);
        assert.equal(tested.status, 303);
        jar.take(tested);
        assert.equal(got.length, 1);
        assert.equal(
          (verifyWebhook(secret, got[0]!.body, got[0]!.headers) as { type: string }).type,
          "alert.test",
        );
        const page = await request("/alerts", {}, jar);
        jar.take(page);
        const text = await page.text();
        assert.match(text, /data-kind="ok">Test delivered: HTTP 202/);
        assert.match(text, /data-testid="alert-row" data-type="alert.test"/);
        assert.doesNotMatch(text, /whsec_/, "the secret is not shown again");
        const removed = await post(
          `/alerts/endpoints/${endpoint!.id}/remove`,
          { _csrf: csrf },
          jar,
        );
        assert.equal(removed.status, 303);
        jar.take(removed);
        assert.deepEqual(await env.store.alerts.listEndpoints(), []);
      },
    );

    await t.step("the live stream needs a session and carries pod changes", async () => {
      const res = await request("/live", {}, jar);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/event-stream");
      const reader = res.body!.pipeThrough(
        new TextDecoderStream() as TransformStream<Uint8Array, string>,
      )
        .getReader();
      assert.match((await reader.read()).value ?? "", /: connected/);
      env.feed.publishPod({ id: "x", deleted: true });
      assert.match(
        (await reader.read()).value ?? "",
        /event: pod\ndata: {"id":"x","deleted":true}/,
      );
      await reader.cancel();
      const snapshot = await request("/live/pods", {}, jar);
      assert.deepEqual(await snapshot.json(), []);
    });

    await t.step("overview shows the doctor checks; static assets are served", async () => {
      const res = await request("/", {}, jar);
      const html = await res.text();
      assert.match(html, /data-check="traefik" data-ok="true"/);
      assert.match(html, /last polled 2 s ago/);
      assert.match(html, /data-testid="count-total"/);
      const css = await request("/static/styles.css", { headers: { "accept-encoding": "gzip" } });
      assert.equal(css.status, 200);
      assert.equal(css.headers.get("content-encoding"), "gzip");
      assert.equal((await request("/static/nope.js")).status, 404);
    });

    await t.step("the API and the probes do not use the dashboard session", async () => {
      assert.equal((await request("/healthz")).status, 200);
      const unknown = await request("/no/such/page");
      assert.equal(unknown.status, 404);
    });

    await t.step("signing out deletes the session and ends its open streams", async () => {
      const stream = await request("/live", {}, jar);
      assert.equal(stream.status, 200);
      const reader = stream.body!.pipeThrough(
        new TextDecoderStream() as TransformStream<Uint8Array, string>,
      ).getReader();
      assert.match((await reader.read()).value ?? "", /: connected/);
      const res = await post("/logout", { _csrf: csrf }, jar);
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), "/login");
      const stale = new Jar();
      stale.cookies.set("agentpod_session", jar.cookies.get("agentpod_session")!);
      const after = await request("/", {}, stale);
      assert.equal(after.status, 303);
      // The stream opened with that session closes at its next check (100 ms here).
      const ended = await Promise.race([
        (async () => {
          while (!(await reader.read()).done) { /* drain */ }
          return "closed";
        })(),
        new Promise((r) => setTimeout(() => r("still open"), 3_000)),
      ]);
      assert.equal(ended, "closed");
    });

    await t.step(
      "the env password wins: a change replaces the hash and signs everyone out",
      async () => {
        const other = await env.signIn("10.0.0.20");
        assert.equal((await request("/", {}, other.jar)).status, 200);
        const { ensureAdminPassword } = await import("../../routes/dashboard/password.ts");
        const printed: string[] = [];
        const args = { store: env.store, log: quiet, print: (l: string) => printed.push(l) };
        assert.equal(
          await ensureAdminPassword({ ...args, fromEnv: PASSWORD, iterations: 1_000 }),
          "kept",
        );
        assert.equal(
          await ensureAdminPassword({ ...args, fromEnv: "new-one", iterations: 1_000 }),
          "from-env",
        );
        assert.equal((await request("/", {}, other.jar)).status, 303);
        assert.equal(await ensureAdminPassword({ ...args, fromEnv: undefined }), "kept");
        assert.deepEqual(printed, []);
      },
    );
  } finally {
    await env.close();
  }
});

Deno.test("a generated password is printed once and stored only as a hash", async () => {
  const fresh = await pgliteFixture.fresh();
  try {
    const store = createStore(await fresh.open());
    const { ensureAdminPassword, PASSWORD_SETTING, verifyPassword } = await import(
      "../../routes/dashboard/password.ts"
    );
    const printed: string[] = [];
    const args = {
      store,
      log: quiet,
      fromEnv: undefined,
      print: (l: string) => printed.push(l),
      iterations: 1_000,
    };
    assert.equal(await ensureAdminPassword(args), "generated");
    assert.equal(await ensureAdminPassword(args), "kept");
    assert.equal(printed.length, 1);
    const password = /password (\S+) \(shown once/.exec(printed[0]!)![1]!;
    const stored = await store.settings.get<{ hash: string }>(PASSWORD_SETTING);
    assert.ok(!JSON.stringify(stored).includes(password));
    assert.equal(await verifyPassword(password, stored as never), true);
  } finally {
    await fresh[Symbol.asyncDispose]();
  }
});
