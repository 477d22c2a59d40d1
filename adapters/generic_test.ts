import assert from "node:assert/strict";
import type { RenderContext } from "../core/adapter.ts";
import {
  GENERIC_USER,
  genericAdapter,
  type GenericConfig,
  genericConfigSchema,
  probeGeneric,
  renderGeneric,
} from "./generic.ts";

const ctx: RenderContext = {
  ref: "acme/custom",
  image: "acme/agent:1",
  resources: { memoryMB: 256, cpus: 0.5, pids: 256 },
  token: "",
  publicOrigins: [],
  trustedProxies: [],
};

Deno.test("the generic schema fills defaults so {} is valid", () => {
  assert.deepEqual(genericConfigSchema.parse({}), {
    port: 8080,
    healthPath: "/",
    user: "65532:65532",
  });
});

Deno.test("the generic schema rejects unknown keys, bad ports, paths and variable names", () => {
  const cases: unknown[] = [
    { imgae: "x" },
    { port: 0 },
    { port: 70000 },
    { port: "8080" },
    { healthPath: "health" },
    { healthPath: "//other.host/x" },
    { healthPath: "/\\other.host/x" },
    { healthPath: "/a b" },
    { env: { "BAD-NAME": "x" } },
    { env: { OK: 1 } },
    { command: [] },
    { image: "has space" },
  ];
  for (const config of cases) {
    assert.equal(genericConfigSchema.safeParse(config).success, false, JSON.stringify(config));
  }
});

Deno.test("renderGeneric() uses the pod's image unless the config names one", () => {
  const config = genericConfigSchema.parse({ env: { B: "2", A: "1" }, port: 3000 });
  assert.deepEqual(renderGeneric(config, ctx), {
    container: {
      image: "acme/agent:1",
      env: { A: "1", B: "2" },
      user: "65532:65532",
      port: 3000,
      volumePath: "/data",
      volumeOwner: { uid: 65532, gid: 65532 },
      resources: ctx.resources,
    },
    files: [],
  });
  const own = genericConfigSchema.parse({ image: "other:2", command: ["/bin/serve", "-v"] });
  const { container } = renderGeneric(own, ctx);
  assert.equal(container.image, "other:2");
  assert.deepEqual(container.command, ["/bin/serve", "-v"]);
  assert.equal(JSON.stringify(Object.keys(container.env)), "[]");
});

Deno.test("renderGeneric() without any image is a ValidationError", () => {
  assert.throws(() => renderGeneric(genericConfigSchema.parse({}), { ...ctx, image: "" }), {
    name: "ValidationError",
    message:
      'Cannot render pod "acme/custom": a generic pod needs an image (config "image" or the pod\'s image)',
  });
});

Deno.test("genericConfigChange() recreates for container changes and ignores the health path", () => {
  const base: GenericConfig = { port: 8080, healthPath: "/", user: GENERIC_USER };
  const table: [string, GenericConfig, string][] = [
    ["same", { ...base }, "none"],
    ["health path", { ...base, healthPath: "/healthz" }, "none"],
    ["port", { ...base, port: 9000 }, "recreate"],
    ["env", { ...base, env: { A: "1" } }, "recreate"],
    ["image", { ...base, image: "x:2" }, "recreate"],
    ["command", { ...base, command: ["run"] }, "recreate"],
    ["user", { ...base, user: "root" }, "recreate"],
  ];
  for (const [label, after, expected] of table) {
    assert.equal(genericAdapter.onConfigChange(base, after), expected, label);
  }
});

Deno.test("renderGeneric() runs as a non-root user owning /data unless the config says otherwise", () => {
  const render = (config: Record<string, unknown>) =>
    renderGeneric(genericConfigSchema.parse(config), ctx).container;
  assert.equal(render({}).user, "65532:65532");
  assert.deepEqual(render({}).volumeOwner, { uid: 65532, gid: 65532 });
  assert.equal(render({ user: "1000" }).user, "1000");
  assert.deepEqual(render({ user: "1000" }).volumeOwner, { uid: 1000, gid: 1000 });
  assert.deepEqual(render({ user: "1000:2000" }).volumeOwner, { uid: 1000, gid: 2000 });
  assert.equal(render({ user: "root" }).user, "0:0");
  assert.equal(render({ user: "root" }).volumeOwner, undefined);
  assert.equal(render({ user: "image" }).user, undefined);
  assert.equal(render({ user: "image" }).volumeOwner, undefined);
  for (const bad of ["nobody", "1000:", ":1000", "-1", "1000:1000:1"]) {
    assert.equal(genericConfigSchema.safeParse({ user: bad }).success, false, bad);
  }
});

Deno.test("the generic adapter marks env as sensitive", () => {
  assert.deepEqual(genericAdapter.sensitiveFields, ["env"]);
});

async function withServer(
  handler: (request: Request) => Response | Promise<Response>,
  fn: (baseUrl: string) => Promise<void>,
) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

const signal = new AbortController().signal;

Deno.test("probeGeneric() is healthy on 2xx from the configured health path", async () => {
  const seen: string[] = [];
  await withServer((request) => {
    seen.push(new URL(request.url).pathname);
    return new Response(null, { status: new URL(request.url).pathname === "/up" ? 204 : 500 });
  }, async (baseUrl) => {
    assert.deepEqual(
      await probeGeneric({ baseUrl, token: "", signal, config: { healthPath: "/up" } }),
      { healthy: true, message: "GET /up answered 204" },
    );
    assert.deepEqual(await probeGeneric({ baseUrl, token: "", signal }), {
      healthy: false,
      message: "GET / answered 500",
    });
  });
  assert.deepEqual(seen, ["/up", "/"]);
});

Deno.test("probeGeneric() never leaves the pod, whatever a stored health path says", async () => {
  let asked = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    asked++;
    return new Response("ok");
  });
  try {
    const baseUrl = "http://127.0.0.1:9";
    for (
      const healthPath of [
        `//127.0.0.1:${server.addr.port}/x`,
        `/\\127.0.0.1:${server.addr.port}/x`,
      ]
    ) {
      const result = await probeGeneric({
        baseUrl,
        token: "",
        config: { healthPath },
        signal: AbortSignal.timeout(2_000),
      });
      assert.deepEqual(result, {
        healthy: false,
        message: `Health path "${healthPath}" leaves the pod: refused`,
      });
    }
    assert.equal(asked, 0, "the other host was never asked");
  } finally {
    await server.shutdown();
  }
});

Deno.test("probeGeneric() does not follow redirects: a 302 is not healthy", async () => {
  await withServer(
    () => Response.redirect("http://127.0.0.1:9/elsewhere", 302),
    async (baseUrl) => {
      assert.deepEqual(await probeGeneric({ baseUrl, token: "", signal }), {
        healthy: false,
        message: "GET / answered 302",
      });
    },
  );
});

Deno.test("probeGeneric() reads a refused connection as starting and a hang as a timeout", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const refused = await probeGeneric({ baseUrl: `http://127.0.0.1:${port}`, token: "", signal });
  assert.equal(refused.starting, true);
  assert.match(refused.message, /^Agent is not accepting connections yet: /);

  const { promise: release, resolve } = Promise.withResolvers<void>();
  await withServer(async () => {
    await release;
    return new Response("late");
  }, async (baseUrl) => {
    const result = await probeGeneric({ baseUrl, token: "", signal }, 200);
    resolve();
    assert.deepEqual(result, { healthy: false, message: "GET / did not answer within 200 ms" });
  });
});
