/**
 * `agentpod serve`: wires the providers into core and starts the HTTP server. Only
 * wiring lives here. Fails fast, with one clear line, when the database is unusable;
 * keeps serving (readiness 503) while Docker is unreachable.
 * @module
 */
import { parseServerConfig, type ServerConfig } from "./core/config.ts";
import { errorMessage } from "./core/errors.ts";
import { createDockerClient, type DockerClient } from "./providers/docker/mod.ts";
import { createLogger, type Logger } from "./providers/log.ts";
import { openDatabase, type SqlDatabase } from "./providers/store/mod.ts";
import { createApp } from "./routes/app.ts";

/** A running control plane. */
export interface ControlPlane {
  /** The URL the server listens on. */
  url: string;
  /** Stops the server and closes every connection. */
  shutdown(): Promise<void>;
}

/** Starts the control plane with the given configuration. */
export async function startControlPlane(
  config: ServerConfig,
  log: Logger = createLogger(),
): Promise<ControlPlane> {
  const started = performance.now();
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const db: SqlDatabase = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
  });
  const docker: DockerClient = createDockerClient({ host: config.dockerHost });
  try {
    const version = await docker.version();
    log.info("docker engine", { host: config.dockerHost, version: version.Version });
  } catch (error) {
    log.warn("docker engine unreachable", { host: config.dockerHost, error: errorMessage(error) });
  }

  const app = createApp({
    log,
    readiness: {
      database: () => db.query("select 1"),
      docker: () => docker.ping(),
    },
  });
  const server = Deno.serve({
    hostname: config.listen.hostname,
    port: config.listen.port,
    onListen: () => {},
  }, app.fetch);
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
        await server.shutdown();
        docker.close();
        await db.close();
      })(),
  };
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
    await plane.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
}

if (import.meta.main) await serve();
