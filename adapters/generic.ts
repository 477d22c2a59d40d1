/**
 * The generic adapter: any image serving HTTP on one port, healthy when a path answers
 * 2xx. It proves the adapter contract is not OpenClaw-shaped and runs custom agents.
 * It renders no files; the volume is mounted at `/data` for the agent's own state.
 * @module
 */
import { z } from "zod";
import type {
  AgentAdapter,
  ConfigChangeEffect,
  ProbeContext,
  ProbeResult,
  RenderContext,
  RenderedPod,
} from "../core/adapter.ts";
import { errorMessage, ValidationError } from "../core/errors.ts";

/** How long one probe may take. */
export const GENERIC_PROBE_TIMEOUT_MS = 5_000;
/** Where a generic pod's volume is mounted. */
export const GENERIC_VOLUME_PATH = "/data";
/** Who a generic pod runs as unless its config says otherwise: not root. */
export const GENERIC_USER = "65532:65532";

/** The config of a generic pod; `{}` is valid (port 8080, health path `/`). */
export const genericConfigSchema = z.strictObject({
  image: z.string().min(1).regex(/^\S+$/, "No spaces").optional().meta({
    title: "Image",
    description: "Image reference; the pod's image when empty.",
  }),
  port: z.number().int().min(1).max(65535).default(8080).meta({
    title: "Port",
    description: "Container port serving HTTP.",
  }),
  // One leading slash, no backslash: `//host/x` or `/\\host` would send the probe elsewhere.
  healthPath: z.string().regex(/^\/(?![/\\])[^\s\\]*$/, "Expected a path starting with one /")
    .default("/").meta({
      title: "Health path",
      description: "Path that answers 2xx when the agent is healthy.",
    }),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "Invalid variable name"), z.string())
    .optional().meta({
      title: "Environment",
      description: "Environment variables (stored encrypted: they often hold keys).",
      "x-sensitive": true,
    }),
  command: z.array(z.string()).min(1).optional().meta({
    title: "Command",
    description: "Command and arguments; the image's default when empty.",
  }),
  user: z.string().regex(
    /^(root|image|\d{1,10}(:\d{1,10})?)$/,
    'Expected "uid", "uid:gid", "root" or "image"',
  ).default(GENERIC_USER).meta({
    title: "User",
    description:
      `uid[:gid] the agent runs as (${GENERIC_USER}: not root); "root", or "image" for the image's own user. Its volume at /data is owned by that uid.`,
  }),
}).meta({ title: "Generic", description: "Any HTTP image." });

/** A validated generic pod config. */
export type GenericConfig = z.infer<typeof genericConfigSchema>;

/**
 * The probe context narrowed to what the generic probe reads: the health path of the
 * pod's config (`/` when absent).
 */
export interface GenericProbeContext extends Omit<ProbeContext, "config"> {
  /** The pod's config. */
  config?: Partial<Pick<GenericConfig, "healthPath">>;
}

/** Renders the container of a generic pod; it needs an image from the config or the pod. */
export function renderGeneric(config: GenericConfig, context: RenderContext): RenderedPod {
  const image = config.image ?? context.image;
  if (!image) {
    throw new ValidationError(
      `Cannot render pod "${context.ref}": a generic pod needs an image (config "image" or the pod's image)`,
    );
  }
  const env = Object.fromEntries(
    Object.entries(config.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const user = config.user === "image" ? undefined : config.user === "root" ? "0:0" : config.user;
  const [uid = 0, gid = uid] = user === undefined ? [] : user.split(":").map(Number);
  return {
    container: {
      image,
      ...(config.command ? { command: [...config.command] } : {}),
      env,
      ...(user === undefined ? {} : { user }),
      port: config.port,
      volumePath: GENERIC_VOLUME_PATH,
      ...(uid === 0 ? {} : { volumeOwner: { uid, gid } }),
      resources: context.resources,
    },
    files: [],
  };
}

/** Everything but the health path shapes the container, so any other change recreates. */
export function genericConfigChange(
  before: GenericConfig,
  after: GenericConfig,
): ConfigChangeEffect {
  const container = (config: GenericConfig) =>
    JSON.stringify(renderGeneric({ ...config, healthPath: "/" }, CHANGE_CONTEXT).container);
  // The health path only matters to the probe, which reads the current config.
  return container(before) === container(after) ? "none" : "recreate";
}

/** GETs the health path; 2xx is healthy, a refused or reset connection is "starting". */
export async function probeGeneric(
  context: GenericProbeContext,
  timeoutMs: number = GENERIC_PROBE_TIMEOUT_MS,
): Promise<ProbeResult> {
  const path = context.config?.healthPath ?? "/";
  const url = new URL(path, context.baseUrl);
  // A stored config from before the schema said so must not send the probe elsewhere.
  if (url.origin !== new URL(context.baseUrl).origin) {
    return { healthy: false, message: `Health path "${path}" leaves the pod: refused` };
  }
  const signal = AbortSignal.any([context.signal, AbortSignal.timeout(timeoutMs)]);
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: "manual" });
  } catch (error) {
    if (context.signal.aborted) return { healthy: false, message: "Probe was cancelled" };
    if (signal.aborted) {
      return { healthy: false, message: `GET ${path} did not answer within ${timeoutMs} ms` };
    }
    return {
      healthy: false,
      starting: true,
      message: `Agent is not accepting connections yet: ${errorMessage(error)}`,
    };
  }
  await response.body?.cancel();
  const healthy = response.status >= 200 && response.status < 300;
  return { healthy, message: `GET ${path} answered ${response.status}` };
}

/** The generic HTTP adapter. */
export const genericAdapter: AgentAdapter<GenericConfig> = {
  id: "generic",
  label: "Generic HTTP",
  description: "Any image serving HTTP on one port, checked with a health path.",
  // No natural default: the pod or its config names the image.
  defaultImage: "",
  port: 8080,
  volumePath: GENERIC_VOLUME_PATH,
  defaultResources: { memoryMB: 256, cpus: 0.5, pids: 256 },
  configSchema: genericConfigSchema,
  sensitiveFields: ["env"],
  render: renderGeneric,
  onConfigChange: genericConfigChange,
  probe: (context) => probeGeneric(context),
  // An image with wget (busybox) can be probed from inside; a drill of one without it
  // sees only that the process stays up.
  readyCommand: (config) => [
    "wget",
    "-q",
    "-O",
    "/dev/null",
    `http://127.0.0.1:${config.port}${config.healthPath}`,
  ],
};

const CHANGE_CONTEXT: RenderContext = {
  ref: "change/check",
  image: "unused",
  resources: { memoryMB: 1, cpus: 1, pids: 1 },
  token: "",
  publicOrigins: [],
  trustedProxies: [],
};
