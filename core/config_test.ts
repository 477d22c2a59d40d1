import assert from "node:assert/strict";
import {
  DEFAULT_DOCKER_HOST,
  parseListen,
  parseServerConfig,
  parseTrustedProxies,
} from "./config.ts";
import { ValidationError } from "./errors.ts";

Deno.test("parseServerConfig() applies the documented defaults", () => {
  const config = parseServerConfig({ HOME: "/home/op" });
  assert.deepEqual(config, {
    dataDir: "/home/op/.local/share/agentpod",
    databaseUrl: undefined,
    listen: { hostname: "127.0.0.1", port: 7070 },
    dockerHost: DEFAULT_DOCKER_HOST,
    domain: "localhost",
    portRange: { from: 20000, to: 29999 },
    reconcileMode: "auto",
    orphanGraceMs: 60_000,
    rollbackRetentionMs: 24 * 3_600_000,
    backup: {
      dir: "/home/op/.local/share/agentpod/backups",
      maxBytes: 2 * 1024 ** 3,
      maxEntries: 200_000,
    },
    usageIntervalMs: 10_000,
    alerts: { timeoutMs: 5_000, retryBaseMs: 5_000, retryMaxMs: 1_800_000, maxAttempts: 12 },
    trustedProxies: [],
    traefik: {
      webEntryPoint: "web",
      tlsEntryPoint: "websecure",
      certResolver: "",
      wildcardPerTenant: false,
      backend: "host",
    },
  });
});

Deno.test("parseServerConfig() reads the alert and metrics settings and refuses bad ones", () => {
  const config = parseServerConfig({
    AGENTPOD_ALERT_TIMEOUT: "2s",
    AGENTPOD_ALERT_RETRY_BASE: "500ms",
    AGENTPOD_ALERT_RETRY_MAX: "1m",
    AGENTPOD_ALERT_MAX_ATTEMPTS: "3",
    AGENTPOD_METRICS_TOKEN: "scrape-me",
  });
  assert.deepEqual(config.alerts, {
    timeoutMs: 2_000,
    retryBaseMs: 500,
    retryMaxMs: 60_000,
    maxAttempts: 3,
  });
  assert.equal(config.metricsToken, "scrape-me");
  assert.throws(
    () => parseServerConfig({ AGENTPOD_ALERT_TIMEOUT: "soon" }),
    /AGENTPOD_ALERT_TIMEOUT/,
  );
  assert.throws(
    () => parseServerConfig({ AGENTPOD_ALERT_MAX_ATTEMPTS: "0" }),
    /AGENTPOD_ALERT_MAX_ATTEMPTS/,
  );
});

Deno.test("parseServerConfig() reads the backup settings and refuses bad bounds", () => {
  const config = parseServerConfig({
    AGENTPOD_DATA_DIR: "/srv/ap",
    AGENTPOD_BACKUP_DIR: "/backups",
    AGENTPOD_BACKUP_MAX_BYTES: "1000",
    AGENTPOD_BACKUP_MAX_ENTRIES: "10",
  });
  assert.deepEqual(config.backup, { dir: "/backups", maxBytes: 1000, maxEntries: 10 });
  for (const bad of ["0", "-5", "1.5", "2GB"]) {
    assert.throws(
      () => parseServerConfig({ AGENTPOD_BACKUP_MAX_BYTES: bad }),
      /AGENTPOD_BACKUP_MAX_BYTES/,
      bad,
    );
  }
});

Deno.test("parseServerConfig() reads every variable", () => {
  const config = parseServerConfig({
    AGENTPOD_DATA_DIR: "/srv/agentpod",
    DATABASE_URL: "postgres://u@db:5432/agentpod",
    AGENTPOD_LISTEN: "0.0.0.0:8080",
    DOCKER_HOST: "tcp://127.0.0.1:2375",
  });
  assert.equal(config.dataDir, "/srv/agentpod");
  assert.equal(config.databaseUrl, "postgres://u@db:5432/agentpod");
  assert.deepEqual(config.listen, { hostname: "0.0.0.0", port: 8080 });
  assert.equal(config.dockerHost, "tcp://127.0.0.1:2375");
});

Deno.test("parseServerConfig() treats an empty DATABASE_URL as unset", () => {
  assert.equal(parseServerConfig({ DATABASE_URL: " " }).databaseUrl, undefined);
});

Deno.test("parseServerConfig() rejects a DOCKER_HOST of another scheme", () => {
  assert.throws(() => parseServerConfig({ DOCKER_HOST: "ssh://box" }), ValidationError);
});

Deno.test("parseListen() accepts IPv6 and rejects a missing port", () => {
  assert.deepEqual(parseListen("[::1]:7070"), { hostname: "::1", port: 7070 });
  assert.throws(() => parseListen("localhost"), /AGENTPOD_LISTEN "localhost"/);
  assert.throws(() => parseListen("localhost:99999"), ValidationError);
});

Deno.test("parseServerConfig() reads the domain and port range and rejects bad ones", () => {
  const config = parseServerConfig({
    AGENTPOD_DOMAIN: "Agents.Example.com.",
    AGENTPOD_PORT_RANGE: "30000-30010",
  });
  assert.equal(config.domain, "agents.example.com");
  assert.deepEqual(config.portRange, { from: 30000, to: 30010 });
  assert.throws(() => parseServerConfig({ AGENTPOD_DOMAIN: "bad domain" }), /AGENTPOD_DOMAIN/);
  assert.throws(() => parseServerConfig({ AGENTPOD_PORT_RANGE: "9-1" }), ValidationError);
});

Deno.test("parseServerConfig() reads the reconcile mode and orphan grace", () => {
  const config = parseServerConfig({ AGENTPOD_RECONCILE: "manual", AGENTPOD_ORPHAN_GRACE: "0" });
  assert.equal(config.reconcileMode, "manual");
  assert.equal(config.orphanGraceMs, 0);
  assert.throws(() => parseServerConfig({ AGENTPOD_RECONCILE: "sometimes" }), ValidationError);
  assert.throws(() => parseServerConfig({ AGENTPOD_ORPHAN_GRACE: "-1" }), ValidationError);
  const kept = parseServerConfig({ AGENTPOD_ROLLBACK_RETENTION: "90m" });
  assert.equal(kept.rollbackRetentionMs, 90 * 60_000);
  assert.throws(
    () => parseServerConfig({ AGENTPOD_ROLLBACK_RETENTION: "forever" }),
    /AGENTPOD_ROLLBACK_RETENTION/,
  );
});

Deno.test("parseServerConfig() reads the Traefik settings and rejects bad ones", () => {
  const config = parseServerConfig({
    AGENTPOD_TRAEFIK_WEB: "",
    AGENTPOD_TLS_CERT_RESOLVER: "le",
    AGENTPOD_TLS_WILDCARD: "true",
    AGENTPOD_TRAEFIK_BACKEND: "network",
  });
  assert.deepEqual(config.traefik, {
    webEntryPoint: "",
    tlsEntryPoint: "websecure",
    certResolver: "le",
    wildcardPerTenant: true,
    backend: "network",
  });
  assert.throws(() => parseServerConfig({ AGENTPOD_TRAEFIK_BACKEND: "k8s" }), ValidationError);
  assert.throws(() => parseServerConfig({ AGENTPOD_TLS_WILDCARD: "yes" }), ValidationError);
  assert.throws(() => parseServerConfig({ AGENTPOD_TRAEFIK_WEB: "a b" }), ValidationError);
});

Deno.test("AGENTPOD_TRUSTED_PROXIES: addresses and CIDRs, bare addresses as hosts, errors named", () => {
  assert.deepEqual(parseServerConfig({}).trustedProxies, []);
  assert.deepEqual(
    parseServerConfig({ AGENTPOD_TRUSTED_PROXIES: " 172.30.0.10, 10.0.0.0/8,FD00::1 " })
      .trustedProxies,
    ["172.30.0.10/32", "10.0.0.0/8", "fd00::1/128"],
  );
  for (const bad of ["300.1.1.1", "10.0.0.0/33", "example.com", "10.0.0.1/8/1", "::1/129"]) {
    assert.throws(
      () => parseServerConfig({ AGENTPOD_TRUSTED_PROXIES: bad }),
      new RegExp(`Invalid AGENTPOD_TRUSTED_PROXIES entry "${bad.replaceAll(".", "\\.")}"`),
    );
  }
  assert.throws(() => parseTrustedProxies("nope", "trustedIps"), /Invalid trustedIps entry "nope"/);
});
