/**
 * Where the Docker Engine lives: parses `DOCKER_HOST`-style addresses
 * (`unix:///path`, `tcp://host:port`) into what `fetch` needs. Only
 * {@linkcode dockerHostFromEnv} reads the environment.
 * @module
 */
import { ValidationError } from "../../core/errors.ts";

/** The engine address used when `DOCKER_HOST` is unset. */
export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

/** A parsed engine address. */
export interface DockerEndpoint {
  /** The address as given, for error messages (`unix:///var/run/docker.sock`). */
  host: string;
  /** The URL origin requests are sent to (`http://localhost` for a socket). */
  origin: string;
  /** The Unix socket path, when the engine is reached through one. */
  socketPath?: string;
}

/**
 * Parses `unix:///path`, `tcp://host[:port]` (plain HTTP, port 2375 by default) or
 * `http://host:port`. TLS (`DOCKER_TLS_VERIFY`) is not supported: the engine is
 * expected on a local socket.
 */
export function parseDockerHost(host: string): DockerEndpoint {
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length);
    if (!socketPath.startsWith("/")) throw invalidHost(host, "the socket path must be absolute");
    return { host, origin: "http://localhost", socketPath };
  }
  const match = /^(tcp|http):\/\/([^/:]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(host);
  if (match === null) throw invalidHost(host, "expected unix:///path or tcp://host:port");
  const port = match[3] ?? "2375";
  return { host, origin: `http://${match[2]}:${port}` };
}

/** The engine address from `DOCKER_HOST`, or the default socket when it is unset. */
export function dockerHostFromEnv(): string {
  const value = Deno.env.get("DOCKER_HOST")?.trim();
  return value ? value : DEFAULT_DOCKER_HOST;
}

function invalidHost(host: string, reason: string): ValidationError {
  return new ValidationError(`Invalid Docker host "${host}": ${reason}`, { details: { host } });
}
