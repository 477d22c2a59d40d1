/**
 * `agentpod serve`: wires the providers into core and starts the loops and the HTTP
 * server. Only wiring lives here. Fails fast, with one clear line, when the database
 * is unusable; keeps serving (503 where Docker is needed) while Docker is unreachable.
 * @module
 */
import { adapterById, listAdapters } from "./adapters/mod.ts";
import type { AgentAdapter } from "./core/adapter.ts";
import { parseServerConfig, type ServerConfig } from "./core/config.ts";
import { ConflictError, errorMessage } from "./core/errors.ts";
import { HealthMonitor } from "./core/health.ts";
import { Reconciler } from "./core/reconciler.ts";
import type { SecretBox } from "./core/secrets.ts";
import { traefikStaticConfig } from "./core/traefik.ts";
import { ControlPlaneService, type ServiceDeps } from "./core/service.ts";
import type { ContainerUsage } from "./core/runtime.ts";
import { createDockerClient } from "./providers/docker/mod.ts";
import { DockerRuntime } from "./providers/docker/runtime.ts";
import { createLogger, type Logger } from "./providers/log.ts";
import { createSecretBox, encodeBase64, loadSecretKey } from "./providers/secrets.ts";
import { electLeader } from "./providers/store/leader.ts";
import { RolloutRunner } from "./core/rollout_runner.ts";
import { UpgradeService } from "./core/upgrades.ts";
import { BackupRunner } from "./core/backup_runner.ts";
import { BackupService } from "./core/backup_service.ts";
import { createArchiveStore } from "./providers/backup/archive.ts";
import { nextCron } from "./providers/cron.ts";
import { AlertSender } from "./core/alert_sender.ts";
import { dockerOperation, Telemetry } from "./core/metrics.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { UsageSampler } from "./core/usage_sampler.ts";
import { deviceIdentity, newDeviceKey } from "./providers/device_identity.ts";
import { AlertService } from "./core/alert_service.ts";
import { alertOf } from "./core/alerts.ts";
import { newWebhookSecret, postWebhook } from "./providers/webhook.ts";
import { MigrationService } from "./core/migration_service.ts";
import { AdoptedContainers } from "./core/adopted.ts";
import { trustProxy } from "./adapters/openclaw_adopt.ts";
import { podOrigins } from "./core/render.ts";
import { openDatabase } from "./providers/store/mod.ts";
import { createStore, inTransaction } from "./providers/store/store.ts";
import { AccessService, TOKEN_PREFIX } from "./core/access_service.ts";
import { PairingService } from "./core/pairing.ts";
import { currentActor } from "./routes/actor.ts";
import { apiRoutes, hashToken, type Reads } from "./routes/api.ts";
import { createApp } from "./routes/app.ts";
import { runDoctor } from "./routes/doctor.ts";
import { createDashboard } from "./routes/dashboard/mod.ts";
import { LiveFeed } from "./routes/live_feed.ts";
import { type TraefikPolls, traefikRoutes } from "./routes/traefik.ts";

/** The advisory lock key of the reconciler leader ("agentpod" in ASCII). */
const LEADER_LOCK = 0x6167656e74706f64n;
/** Followers tell the leader which pod a user changed on this channel. */
const POD_CHANNEL = "agentpod_pods";
const RECONCILE_INTERVAL_MS = 30_000;
/** How often the leader advances rollouts (starts pods, notices pods that finished). */
const ROLLOUT_INTERVAL_MS = 1_000;
/** Every how many timer passes the engine lists every container (the others: cached). */
const FULL_PASS_EVERY = 4;
const HEALTH_INTERVAL_MS = 10_000;
/** How often the leader looks for alerts to send (an event on this process wakes it at once). */
const ALERT_INTERVAL_MS = 1_000;

/** A running control plane. */
export interface ControlPlane {
  /** The URL the server listens on. */
  url: string;
  /** Stops loops and the server and closes every connection. */
  shutdown(): Promise<void>;
}

/** Tuning for tests and benchmarks. */
export interface ControlPlaneOptions {
  /** Reconcile timer period. */
  reconcileIntervalMs?: number;
  /** Orphan grace period. */
  orphanGraceMs?: number;
  /** The adapters (a test stands in the next AgentPod version's rendering with this). */
  adapterById?: (id: string) => AgentAdapter;
}

const schedule = (fn: () => void, ms: number) => {
  const id = setTimeout(fn, ms);
  return () => clearTimeout(id);
};

/** Starts the control plane with the given configuration. */
export async function startControlPlane(
  config: ServerConfig,
  log: Logger = createLogger(),
  options: ControlPlaneOptions = {},
): Promise<ControlPlane> {
  const started = performance.now();
  const adapters = options.adapterById ?? adapterById;
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const stop = new AbortController();
  const cleanups: (() => unknown)[] = [() => db.close()];
  try {
    const feed = new LiveFeed();
    // Wakes the alert sender when an event raised an alert (set once the sender exists).
    const late: { alerts?: () => void } = {};
    const baseStore = createStore(db);
    const store = {
      ...baseStore,
      events: {
        ...baseStore.events,
        append: async (event: Parameters<typeof baseStore.events.append>[0]) => {
          const saved = await baseStore.events.append(event);
          feed.publishEvent(saved);
          if (alertOf(event)) late.alerts?.();
          return saved;
        },
      },
    };
    const secrets = await createSecretBox(
      await loadSecretKey(config.dataDir, Deno.env.get("AGENTPOD_SECRET_KEY")),
    );
    const telemetry = new Telemetry();
    const docker = createDockerClient({
      host: config.dockerHost,
      observe: (method, path, seconds, failed) => {
        const operation = dockerOperation(method, path);
        telemetry.dockerSeconds.observe({ operation }, seconds);
        if (failed) telemetry.dockerErrors.inc({ operation });
      },
    });
    cleanups.push(() => docker.close());
    const instance = await instanceId(store);
    const adopted = new AdoptedContainers();
    const runtime = new DockerRuntime(docker, instance, adopted);
    const routing = { domain: config.domain, trustedProxies: config.trustedProxies };
    const usage = new Map<string, ContainerUsage>();
    const background = (work: Promise<unknown>) =>
      void work.catch((error) =>
        log.warn("background work failed", { error: errorMessage(error) })
      );

    // The reconciler and the health monitor point at each other; the monitor comes second.
    const loops: {
      health?: HealthMonitor;
      leader?: () => boolean;
      upgrades?: UpgradeService;
    } = {};
    const publishPod = async (podId: string) => {
      const pod = await store.pods.getById(podId);
      feed.publishPod(pod ? service.view(pod) : { id: podId, deleted: true });
    };
    const reconciler = new Reconciler({
      store,
      runtime,
      adapterById: adapters,
      secrets,
      routing,
      now: Date.now,
      schedule,
      log,
      isLeader: () => loops.leader?.() ?? false,
      onFollowerEnqueue: (key) => background(db.notify(POD_CHANNEL, key)),
      onRespec: (podId) => loops.upgrades?.respec(podId) ?? Promise.resolve(false),
      adopted,
      onPodChanged: (podId, change) => {
        if (change === "started") loops.health?.podStarted(podId);
        if (change === "deleted") {
          loops.health?.forget(podId);
          usage.delete(podId);
        }
        background(publishPod(podId));
      },
      observeReconcile: (seconds) => telemetry.reconcileSeconds.observe({}, seconds),
    }, { orphanGraceMs: options.orphanGraceMs ?? config.orphanGraceMs });
    const health = loops.health = new HealthMonitor({
      store,
      reconciler,
      secrets,
      adapterById: adapters,
      now: Date.now,
      schedule,
      log,
      observeProbe: (adapter, seconds) => telemetry.probeSeconds.observe({ adapter }, seconds),
    });
    const sampler = new UsageSampler({
      store,
      runtime,
      adapterById: adapters,
      probeContext: (pod, signal) => health.probeContext(pod, signal),
      identity: await deviceIdentity(
        await sealedSetting(store, secrets, "device_key", newDeviceKey),
      ),
      approve: async (pod, requestId) => {
        await pairing.decide(pod.tenant, pod.name, requestId, true);
      },
      isLeader: () => loops.leader?.() ?? false,
      now: Date.now,
      log,
      current: usage,
    });
    const serviceDeps: ServiceDeps = {
      store,
      runtime,
      reconciler,
      secrets,
      adapterById: adapters,
      routing,
      portRange: config.portRange,
      isPortFree,
      newToken,
      usage: (podId) => usage.get(podId),
      background,
      onPodChanged: (podId) => background(publishPod(podId)),
      actor: currentActor,
    };
    const service = new ControlPlaneService(serviceDeps);

    const runner = new RolloutRunner({
      store,
      runtime,
      adapterById: adapters,
      render: (pod, mode) => reconciler.renderPod(pod, mode),
      probe: (pod) => health.check(pod),
      enqueue: (podId) => void reconciler.enqueue(podId, { urgent: true }),
      isLeader: () => loops.leader?.() ?? false,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => schedule(resolve, ms)),
      log,
      cores: navigator.hardwareConcurrency || 1,
      onChange: (rolloutId) =>
        background(store.rollouts.get(rolloutId).then((r) => feed.publishRollout(r))),
      adopted,
    }, { rollbackRetentionMs: config.rollbackRetentionMs });
    const upgrades = loops.upgrades = new UpgradeService({
      store,
      runtime,
      wake: () => background(runner.tick()),
      actor: currentActor,
    });

    const archives = createArchiveStore(config.backup.dir, {
      maxBytes: config.backup.maxBytes,
      maxEntries: config.backup.maxEntries,
    });
    const backupRunner = new BackupRunner({
      store,
      runtime,
      archives,
      adapterById: adapters,
      render: (pod) => reconciler.renderPod(pod),
      probe: (pod) => health.check(pod),
      enqueue: (podId) => void reconciler.enqueue(podId, { urgent: true }),
      isLeader: () => loops.leader?.() ?? false,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => schedule(resolve, ms)),
      log,
      cores: navigator.hardwareConcurrency || 1,
      nextCron,
      onChange: (task) => feed.publishBackupTask(task),
    });
    const backups = new BackupService({
      store,
      archives,
      wake: () => background(backupRunner.tick()),
      nextCron,
      actor: currentActor,
    });

    const alertSender = new AlertSender({
      store,
      secrets,
      post: postWebhook,
      isLeader: () => loops.leader?.() ?? false,
      now: Date.now,
      random: Math.random,
      log,
      onAttempt: (_delivery, outcome) =>
        telemetry.alertAttempts.inc({ outcome: outcome.delivered ? "delivered" : "failed" }),
    }, config.alerts);
    late.alerts = () => background(alertSender.tick());
    const alerts = new AlertService({
      store,
      secrets,
      newSecret: newWebhookSecret,
      wake: () => background(alertSender.tick()),
      sleep: (ms) => new Promise((resolve) => schedule(resolve, ms)),
      actor: currentActor,
    });

    await ensureAdminToken(store, config.dataDir, log);
    const access = new AccessService({
      store,
      newSecret: newToken,
      hash: hashToken,
      now: () => new Date(),
      actor: currentActor,
    });
    const pairing = new PairingService({
      store,
      runtime,
      adapterById: adapters,
      routing,
      pod: (tenant, name) => service.podRecord(tenant, name),
      actor: currentActor,
    });
    // A tenant-scoped token's reads: one transaction under row-level security, with a
    // store (and the service reads over it) that sees nothing of other tenants.
    const scoped = <T>(tenant: string, fn: (reads: Reads) => Promise<T>) =>
      db.withTenant(tenant, (tx) => {
        const scopedStore = createStore(inTransaction(tx));
        return fn({
          store: scopedStore,
          service: new ControlPlaneService({ ...serviceDeps, store: scopedStore }),
        });
      });
    const traefikToken = await sealedSetting(store, secrets, "traefik_token", newToken);
    const traefikSettings = { ...config.traefik, domain: config.domain };
    const polls: TraefikPolls = { count: 0 };
    const leader = () => loops.leader?.() ?? false;
    const doctor = () =>
      runDoctor({
        docker,
        db,
        store,
        adapters: listAdapters(),
        config,
        instance,
        leader,
        traefikPolls: polls,
      });
    const migration = new MigrationService({
      runtime,
      instance,
      service,
      store,
      adopted,
      adoptedIds: async () =>
        new Set((await store.pods.listStates()).flatMap((s) => s.adoptedContainerId ?? [])),
      probe: (baseUrl, token, signal, direct = true) =>
        adapters("openclaw").probe({ baseUrl, token, signal, direct }),
      trustProxy: (containerId, stateDir, proxy, origins) =>
        trustProxy((command) => runtime.exec(containerId, command), stateDir, proxy, origins),
      origins: (tenant, pod) => podOrigins(tenant, pod, routing),
    });
    const dashboard = await createDashboard({
      service,
      access,
      pairing,
      upgrades,
      migration,
      backups,
      alerts,
      store,
      runtime,
      feed,
      adapters: listAdapters(),
      config,
      log,
      adminPassword: Deno.env.get("AGENTPOD_ADMIN_PASSWORD"),
      doctor,
    });
    const app = createApp({
      log,
      dashboard,
      readiness: { database: () => db.query("select 1"), docker: () => docker.ping() },
      metrics: metricsRoutes({
        store,
        telemetry,
        authenticate: (token) => access.authenticate(token),
        ...(config.metricsToken ? { metricsToken: config.metricsToken } : {}),
        queueDepth: () => reconciler.queueDepth,
        isLeader: leader,
        polls,
        now: Date.now,
      }),
      traefik: traefikRoutes({
        store,
        settings: traefikSettings,
        token: traefikToken,
        polls,
        now: Date.now,
        adapterPort: (id) => adapters(id).port,
      }),
      api: apiRoutes({
        service,
        upgrades,
        migration,
        health,
        runtime,
        store,
        access,
        pairing,
        backups,
        alerts,
        scoped,
        feed,
        adapters: listAdapters(),
        doctor,
        traefikStatic: (options) =>
          traefikStaticConfig({ ...options, token: traefikToken, settings: config.traefik }),
      }),
    });
    const server = Deno.serve({
      hostname: config.listen.hostname,
      port: config.listen.port,
      onListen: () => {},
    }, app.fetch);
    cleanups.push(() => server.shutdown());

    // The leader's work: it ends (signal aborted) the moment the lease is lost.
    const lead = (term: AbortSignal) => {
      const signal = AbortSignal.any([term, stop.signal]);
      log.info("reconciler loops", { database: db.dialect, mode: config.reconcileMode });
      const every = (ms: number, fn: () => Promise<unknown>, what: string) => {
        const tick = async () => {
          try {
            await fn();
          } catch (error) {
            log.warn(`${what} failed`, { error: errorMessage(error) });
          }
          if (!signal.aborted) cancel = schedule(tick, ms);
        };
        let cancel = schedule(tick, ms);
        signal.addEventListener("abort", () => cancel());
      };
      // Alerts and usage run in either mode (manual only holds back healing).
      // Alerts: what a previous leader left undelivered goes at once, then every second.
      background(alertSender.tick());
      every(ALERT_INTERVAL_MS, () => alertSender.tick(), "alert delivery");
      every(config.usageIntervalMs, () => sampler.tick(), "usage sampling");
      if (config.reconcileMode === "manual") return;
      void db.listen(POD_CHANNEL, (podId) => void reconciler.enqueue(podId, { urgent: true }))
        .then((unlisten) => signal.addEventListener("abort", () => void unlisten()))
        .catch((error) => log.warn("cannot listen for followers", { error: errorMessage(error) }));
      void (async () => {
        try {
          // Each (re)connection resyncs: events may have been missed meanwhile.
          const onConnected = () => background(reconciler.resync());
          for await (const event of runtime.watchEvents(signal, onConnected)) {
            reconciler.handleEvent(event);
            background(sampler.onEvent(event));
          }
        } catch (error) {
          if (!signal.aborted) log.error("event watch ended", { error: errorMessage(error) });
        }
      })();
      // Every 30 s a pass from the view events keep current (no engine call); every 4th
      // lists the engine's containers, finding what no event said (a lost event, an orphan).
      let pass = 0;
      every(
        options.reconcileIntervalMs ?? RECONCILE_INTERVAL_MS,
        () => reconciler.reconcileAll({ cached: ++pass % FULL_PASS_EVERY !== 0 }),
        "reconcile",
      );
      every(HEALTH_INTERVAL_MS, () => health.probeAll(), "health");
      // Rollouts: resumed at once after a takeover, then advanced every second.
      background(runner.tick());
      every(ROLLOUT_INTERVAL_MS, () => runner.tick(), "rollouts");
      // Backups: half-done tasks undone at once after a takeover, schedules every second.
      backupRunner.elected();
      background(backupRunner.tick());
      every(ROLLOUT_INTERVAL_MS, () => backupRunner.tick(), "backups");
    };
    const election = await electLeader(db, { key: LEADER_LOCK, onElected: lead, log });
    loops.leader = election.isLeader;
    cleanups.push(() => election.stop(), () => reconciler.stop());

    const url = `http://${formatHost(config.listen.hostname)}:${server.addr.port}`;
    log.info("listening", {
      url,
      database: db.dialect,
      dataDir: config.dataDir,
      startupMs: Math.round(performance.now() - started),
    });
    let closing: Promise<void> | undefined;
    return {
      url,
      shutdown: () =>
        closing ??= (async () => {
          stop.abort();
          for (const cleanup of cleanups.reverse()) {
            await Promise.resolve(cleanup()).catch(() => {});
          }
        })(),
    };
  } catch (error) {
    stop.abort();
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
    throw error;
  }
}

/** A secret setting, sealed in the database, made by `make` on first start. */
async function sealedSetting(
  store: ReturnType<typeof createStore>,
  secrets: SecretBox,
  key: string,
  make: () => string | Promise<string>,
): Promise<string> {
  const stored = await store.settings.get<string>(key);
  if (stored) {
    return await secrets.open<string>(Uint8Array.from(atob(stored), (c) => c.charCodeAt(0)));
  }
  const value = await make();
  await store.settings.set(key, encodeBase64(await secrets.seal(value)));
  return value;
}

/** This control plane's id (labels its containers), made on first start. */
async function instanceId(store: ReturnType<typeof createStore>): Promise<string> {
  const existing = await store.settings.get<string>("instance_id");
  if (existing) return existing;
  const id = crypto.randomUUID().slice(0, 8);
  await store.settings.set("instance_id", id);
  return id;
}

/** Creates the admin token on first start and writes it once to a 0600 file. */
async function ensureAdminToken(
  store: ReturnType<typeof createStore>,
  dataDir: string,
  log: Logger,
): Promise<void> {
  if (await store.tokens.countAdmin(new Date()) > 0) return;
  const token = `${TOKEN_PREFIX}${newToken()}`;
  // An expired "admin" keeps its name (names are unique among tokens not revoked), and
  // another control plane on the same database may be making one right now.
  const create = (name: string) =>
    store.tokens.create({
      name,
      hash: hash,
      tenant: null,
      role: "admin",
      expiresAt: null,
    });
  const hash = await hashToken(token);
  const taken = (await store.tokens.list()).some((t) => t.name === "admin" && !t.revokedAt);
  const made = await create(taken ? `admin-${newToken().slice(0, 8)}` : "admin").catch((error) => {
    if (!(error instanceof ConflictError)) throw error;
    return create(`admin-${newToken().slice(0, 8)}`);
  });
  await store.events.append({
    tenant: null,
    type: "Normal",
    reason: "TokenCreated",
    message: `API token "${made.name}" created (admin, every tenant, no expiry) on first start`,
  });
  const path = `${dataDir}/admin-token`;
  await Deno.writeTextFile(path, token + "\n", { mode: 0o600 });
  await Deno.chmod(path, 0o600);
  log.info("admin token created", { file: path });
}

function newToken(): string {
  return encodeBase64(crypto.getRandomValues(new Uint8Array(24)))
    .replaceAll("+", "-").replaceAll("/", "_");
}

function isPortFree(port: number): Promise<boolean> {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return Promise.resolve(true);
  } catch {
    return Promise.resolve(false);
  }
}

function formatHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/** Entry point of `agentpod serve`: runs until SIGINT or SIGTERM. */
export async function serve(): Promise<void> {
  const log = createLogger();
  let plane: ControlPlane;
  try {
    plane = await startControlPlane(parseServerConfig(Deno.env.toObject()), log);
  } catch (error) {
    log.error("cannot start", { error: errorMessage(error) });
    Deno.exit(1);
  }
  const stop = async (signal: string) => {
    log.info("shutting down", { signal });
    // Open streams (log follows, SSE) must not keep a stopping process alive.
    const deadline = new Promise((resolve) => setTimeout(() => resolve("timeout"), 5_000));
    if (await Promise.race([plane.shutdown(), deadline]) === "timeout") {
      log.warn("shutdown timed out; exiting", { afterMs: 5_000 });
    }
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
}

if (import.meta.main) await serve();
