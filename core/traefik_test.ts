import assert from "node:assert/strict";
import { Ajv } from "ajv";
import {
  buildTraefikConfig,
  DEFAULT_TRAEFIK_SETTINGS,
  renderTraefikConfig,
  type RoutablePod,
  type TraefikSettings,
  traefikStaticConfig,
} from "./traefik.ts";

const SETTINGS: TraefikSettings = { ...DEFAULT_TRAEFIK_SETTINGS, domain: "example.com" };

function pod(
  tenant: string,
  name: string,
  hostPort: number,
  desiredState = "running",
): RoutablePod {
  return {
    tenant,
    name,
    desiredState,
    hostPort,
    containerPort: 18789,
    containerName: `agentpod-${tenant}-${name}`,
  };
}

Deno.test("buildTraefikConfig() gives each running pod a web router, a TLS router and a service", () => {
  assert.deepEqual(buildTraefikConfig([pod("acme", "agent", 20000)], SETTINGS), {
    http: {
      routers: {
        "acme__agent": {
          entryPoints: ["web"],
          rule: "Host(`agent.acme.example.com`)",
          service: "acme__agent",
        },
        "acme__agent-tls": {
          entryPoints: ["websecure"],
          middlewares: ["agentpod-forwarded-https"],
          rule: "Host(`agent.acme.example.com`)",
          service: "acme__agent",
          tls: {},
        },
      },
      services: {
        "acme__agent": {
          loadBalancer: { passHostHeader: true, servers: [{ url: "http://127.0.0.1:20000" }] },
        },
      },
      middlewares: {
        "agentpod-forwarded-https": {
          headers: { customRequestHeaders: { "X-Forwarded-Proto": "https" } },
        },
      },
    },
  });
});

Deno.test("buildTraefikConfig() drops stopped and deleted pods", () => {
  const config = buildTraefikConfig([
    pod("acme", "up", 20000),
    pod("acme", "down", 20001, "stopped"),
    pod("acme", "gone", 20002, "deleted"),
  ], SETTINGS) as { http: { routers: object; services: object } };
  assert.deepEqual(Object.keys(config.http.services), ["acme__up"]);
  assert.deepEqual(Object.keys(config.http.routers).sort(), ["acme__up", "acme__up-tls"]);
});

Deno.test("buildTraefikConfig() uses the resolver, wildcard domains and the network backend", () => {
  const config = buildTraefikConfig([pod("acme", "agent", 20000)], {
    ...SETTINGS,
    certResolver: "le",
    wildcardPerTenant: true,
    backend: "network",
    webEntryPoint: "",
  }) as { http: { routers: Record<string, { tls?: unknown }>; services: Record<string, unknown> } };
  assert.deepEqual(Object.keys(config.http.routers), ["acme__agent-tls"]);
  assert.deepEqual(config.http.routers["acme__agent-tls"]?.tls, {
    certResolver: "le",
    domains: [{ main: "*.acme.example.com" }],
  });
  assert.deepEqual(config.http.services["acme__agent"], {
    loadBalancer: { passHostHeader: true, servers: [{ url: "http://agentpod-acme-agent:18789" }] },
  });
});

Deno.test("renderTraefikConfig() is byte-identical whatever the pod order", () => {
  const a = [pod("acme", "a", 1), pod("mega", "b", 2), pod("acme", "c", 3)];
  assert.equal(renderTraefikConfig(a, SETTINGS), renderTraefikConfig([...a].reverse(), SETTINGS));
});

Deno.test("an empty fleet renders a non-empty configuration with no empty map (Traefik refuses those)", () => {
  assert.equal(
    renderTraefikConfig([], SETTINGS),
    '{"http":{"middlewares":{"agentpod-forwarded-https":{"headers":{"customRequestHeaders":' +
      '{"X-Forwarded-Proto":"https"}}}}}}',
  );
});

Deno.test("traefikStaticConfig() polls the endpoint with the token and disables timeouts", () => {
  const yaml = traefikStaticConfig({
    endpoint: "http://127.0.0.1:7070/traefik/dynamic",
    token: "tok",
    webAddress: ":80",
    tlsAddress: ":443",
    pollIntervalSeconds: 2,
    settings: DEFAULT_TRAEFIK_SETTINGS,
  });
  assert.match(yaml, /endpoint: "http:\/\/127\.0\.0\.1:7070\/traefik\/dynamic"/);
  assert.match(yaml, /X-AgentPod-Token: "tok"/);
  assert.match(yaml, /pollInterval: 2s/);
  assert.match(yaml, /web:\n {4}address: ":80"/);
  assert.match(yaml, /websecure:\n {4}address: ":443"/);
  assert.match(yaml, /readTimeout: 0s/);
  assert.doesNotMatch(yaml, /forwardedHeaders/);
});

Deno.test("traefikStaticConfig() keeps forwarded headers from the trusted IPs on every entry point", () => {
  const yaml = traefikStaticConfig({
    endpoint: "http://127.0.0.1:7070/traefik/dynamic",
    token: "tok",
    webAddress: ":80",
    tlsAddress: ":443",
    pollIntervalSeconds: 2,
    settings: DEFAULT_TRAEFIK_SETTINGS,
    trustedIPs: ["127.0.0.1/32", "::1/128"],
  });
  const block =
    '    forwardedHeaders:\n      trustedIPs:\n        - "127.0.0.1/32"\n        - "::1/128"';
  assert.equal(yaml.split(block).length - 1, 2, yaml);
});

const SCHEMA = new URL("../../shared/data/traefik-v3-file-provider.schema.json", import.meta.url);
const schemaText = await Deno.readTextFile(SCHEMA).catch(() => undefined);
if (!schemaText) {
  console.warn(`Skipping the JSON Schema check: ${SCHEMA.pathname} is absent`);
}

Deno.test({
  name: "the dynamic configuration validates against Traefik's file-provider JSON Schema",
  ignore: !schemaText,
  fn() {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(schemaText!));
    const config = JSON.parse(renderTraefikConfig([
      pod("acme", "agent", 20000),
      pod("mega", "cs", 20001),
    ], { ...SETTINGS, certResolver: "le", wildcardPerTenant: true }));
    assert.ok(validate(config), ajv.errorsText(validate.errors));
    assert.ok(!validate({ http: { routers: { x: { rule: 1 } } } }), "the schema check can fail");
  },
});
