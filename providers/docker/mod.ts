/**
 * A hand-written Docker Engine REST client over `fetch` (Unix socket or TCP). Start
 * with {@linkcode createDockerClient}; everything else hangs off {@linkcode DockerClient}.
 * Errors: unreachable engine → `UnavailableError`; 404 → `NotFoundError`; 409 →
 * `ConflictError`; other error statuses → `DockerApiError`.
 * @module
 */
export { createDockerClient, DockerClient } from "./client.ts";
export type { DockerClientOptions, EngineInfo, EngineVersion } from "./client.ts";
export { ContainerApi, type PathStat } from "./containers.ts";
export type * from "./container_types.ts";
export { DEFAULT_DOCKER_HOST, dockerHostFromEnv, parseDockerHost } from "./docker_host.ts";
export type { DockerEndpoint } from "./docker_host.ts";
export { demuxAll, type Frame, FrameDemuxer, type FrameStream, LineAssembler } from "./demux.ts";
export { EventApi } from "./events.ts";
export type { DockerEvent, EventFilters, EventStreamOptions, EventWatchOptions } from "./events.ts";
export type { ReconnectInfo } from "./event_watch.ts";
export { ExecApi } from "./exec.ts";
export type { ExecCreateRequest, ExecInspect, ExecResult } from "./exec.ts";
export { ImageApi, parseImageRef } from "./images.ts";
export type { ImageInspect, ImageRef, ImageSummary, PullProgress } from "./images.ts";
export { type LogLine, type LogOptions } from "./logs.ts";
export { NetworkApi } from "./networks.ts";
export type { Network, NetworkCreateRequest } from "./networks.ts";
export { lookupNetworkGateway, resolveGateway } from "./network_gateway.ts";
export type { GatewaySource, IpamPool } from "./network_gateway.ts";
export { type Filters, labelFilters } from "./query.ts";
export { cpuPercent, memoryBytes, summarizeStats } from "./stats.ts";
export type { ContainerStats, StatsSummary } from "./stats.ts";
export { createTar, readTar, type TarEntry, type TarInput } from "./tar.ts";
export { MAX_API_VERSION, MIN_API_VERSION } from "./transport.ts";
export { VolumeApi } from "./volumes.ts";
export type { Volume, VolumeCreateRequest } from "./volumes.ts";
