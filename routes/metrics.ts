/**
 * `GET /metrics`: the control plane in Prometheus' text format. Protected like the API
 * (a bearer token with the viewer role over every tenant) or by its own token
 * (`AGENTPOD_METRICS_TOKEN`), so a scraper needs no API token. What is in the database
 * (pods, restarts, deliveries, backups) is read at scrape time; latencies come from the
 * process's own instruments.
 * @module
 */
import { Hono } from "hono";
import { authorize, type Principal } from "../core/access.ts";
import { AuthError } from "../core/errors.ts";
import { findCondition } from "../core/pod.ts";
import { type MetricFamily, renderMetrics, type Telemetry } from "../core/metrics.ts";
import type { Store } from "../core/store.ts";
import { constantTimeEqual } from "./dashboard/password.ts";
import type { TraefikPolls } from "./traefik.ts";

/** What `/metrics` reads. */
export interface MetricsDeps {
  store: Store;
  telemetry: Telemetry;
  authenticate(token: string): Promise<Principal>;
  /** A token only for `/metrics`, when set. */
  metricsToken?: string;
  queueDepth(): number;
  isLeader(): boolean;
  polls: TraefikPolls;
  now(): number;
}

/** Mounts `/metrics`. */
export function metricsRoutes(deps: MetricsDeps): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => {
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!token) throw new AuthError("Missing bearer token: send Authorization: Bearer <token>");
    if (!(deps.metricsToken && constantTimeEqual(token, deps.metricsToken))) {
      authorize(await deps.authenticate(token), "viewer", "global");
    }
    const families = [...(await scraped(deps)), ...deps.telemetry.families()];
    return c.body(renderMetrics(families), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });
  return app;
}

async function scraped(deps: MetricsDeps): Promise<MetricFamily[]> {
  const [pods, deliveries, lastBackups] = await Promise.all([
    deps.store.pods.list(),
    deps.store.alerts.deliveryCounts(),
    deps.store.backups.lastByPod(),
  ]);
  const now = deps.now();
  const byPhase = new Map<string, { labels: Record<string, string>; value: number }>();
  const restarts: MetricFamily["samples"] = [];
  const backupAge: MetricFamily["samples"] = [];
  for (const pod of pods) {
    const healthy = findCondition(pod.status, "Healthy")?.status;
    const health = healthy === "True" ? "ok" : healthy === "False" ? "failing" : "unknown";
    const k = `${pod.status.phase}/${health}`;
    const entry = byPhase.get(k) ?? { labels: { phase: pod.status.phase, health }, value: 0 };
    entry.value++;
    byPhase.set(k, entry);
    const labels = { tenant: pod.tenant, pod: pod.name };
    restarts.push({ labels, value: pod.status.restartCount });
    const last = lastBackups.get(pod.id);
    if (last) backupAge.push({ labels, value: Math.max(0, (now - Date.parse(last)) / 1000) });
  }
  const lastPoll = deps.polls.last?.getTime();
  return [
    {
      name: "agentpod_pods",
      help: "Pods by phase and health.",
      type: "gauge",
      samples: [...byPhase.values()],
    },
    {
      name: "agentpod_pod_restarts_total",
      help: "Restarts of each pod's agent: crashes, Docker's and AgentPod's restarts.",
      type: "counter",
      samples: restarts,
    },
    {
      name: "agentpod_reconcile_queue_depth",
      help: "Pods waiting in the reconcile queue (on this process).",
      type: "gauge",
      samples: [{ labels: {}, value: deps.queueDepth() }],
    },
    {
      name: "agentpod_leader",
      help: "1 when this process is the leader that acts on Docker.",
      type: "gauge",
      samples: [{ labels: {}, value: deps.isLeader() ? 1 : 0 }],
    },
    {
      name: "agentpod_traefik_polls_total",
      help: "Traefik's polls of the routing endpoint since this process started.",
      type: "counter",
      samples: [{ labels: {}, value: deps.polls.count }],
    },
    {
      name: "agentpod_traefik_last_poll_age_seconds",
      help: "Seconds since Traefik last polled the routing endpoint (absent before the first).",
      type: "gauge",
      samples: lastPoll === undefined ? [] : [{ labels: {}, value: (now - lastPoll) / 1000 }],
    },
    {
      name: "agentpod_alert_deliveries",
      help: "Alert deliveries by state (pending, delivered, failed: given up).",
      type: "gauge",
      samples: Object.entries(deliveries).map(([state, value]) => ({ labels: { state }, value })),
    },
    {
      name: "agentpod_backup_last_success_age_seconds",
      help: "Seconds since each pod's last good backup (pods with one).",
      type: "gauge",
      samples: backupAge,
    },
  ];
}
