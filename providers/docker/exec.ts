/**
 * Running commands inside a running container: create an exec, start it attached
 * (the answer body is the command's multiplexed output), inspect its exit code.
 * @module
 */
import { DockerApiError } from "../../core/errors.ts";
import { demuxAll } from "./demux.ts";
import type { DockerTransport } from "./transport.ts";

/** The body of `POST /containers/{id}/exec`. */
export interface ExecCreateRequest {
  /** Command and arguments. */
  Cmd: string[];
  /** User to run as (`1000` or `node`). */
  User?: string;
  /** Extra environment as `KEY=value`. */
  Env?: string[];
  /** Working directory. */
  WorkingDir?: string;
  /** Capture stdout (default true). */
  AttachStdout?: boolean;
  /** Capture stderr (default true). */
  AttachStderr?: boolean;
  /** Allocate a TTY: output then arrives as one raw stream. */
  Tty?: boolean;
}

/** The answer of `GET /exec/{id}/json` (fields we use). */
export interface ExecInspect {
  /** Exec id. */
  ID: string;
  /** True until the command exits. */
  Running: boolean;
  /** Exit code, `null` while running. */
  ExitCode: number | null;
  /** Container id. */
  ContainerID: string;
  [key: string]: unknown;
}

/** A finished command. */
export interface ExecResult {
  /** The command's exit code. */
  exitCode: number;
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr. */
  stderr: string;
}

/** How long {@linkcode ExecApi.run} waits for the exit code after output ended. */
const EXIT_WAIT_MS = 5_000;

/** Exec operations; reach it as `docker.exec`. */
export class ExecApi {
  readonly #t: DockerTransport;

  /** Use {@linkcode DockerClient} rather than constructing this directly. */
  constructor(transport: DockerTransport) {
    this.#t = transport;
  }

  /** Creates an exec in a running container; a stopped one throws `ConflictError`. */
  async create(container: string, request: ExecCreateRequest): Promise<string> {
    const body = { AttachStdout: true, AttachStderr: true, ...request };
    const answer = await this.#t.json<{ Id: string }>(
      "POST",
      `/containers/${encodeURIComponent(container)}/exec`,
      { json: body },
    );
    return answer.Id;
  }

  /** Starts an exec attached and resolves with its output once the command ends. */
  async start(
    id: string,
    options: { tty?: boolean; signal?: AbortSignal } = {},
  ): Promise<{ stdout: string; stderr: string }> {
    const tty = options.tty ?? false;
    const response = await this.#t.request("POST", `/exec/${encodeURIComponent(id)}/start`, {
      json: { Detach: false, Tty: tty },
      signal: options.signal,
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (tty) return { stdout: new TextDecoder().decode(bytes), stderr: "" };
    const out = new TextDecoder();
    const err = new TextDecoder();
    let stdout = "";
    let stderr = "";
    for (const frame of demuxAll(bytes)) {
      if (frame.stream === "stderr" || frame.stream === "system") {
        stderr += err.decode(frame.data, { stream: true });
      } else stdout += out.decode(frame.data, { stream: true });
    }
    return { stdout: stdout + out.decode(), stderr: stderr + err.decode() };
  }

  /** Inspects an exec. */
  inspect(id: string): Promise<ExecInspect> {
    return this.#t.json<ExecInspect>("GET", `/exec/${encodeURIComponent(id)}/json`);
  }

  /** Runs a command to completion: `{exitCode, stdout, stderr}`. */
  async run(
    container: string,
    cmd: string[],
    options: Omit<ExecCreateRequest, "Cmd"> & { signal?: AbortSignal } = {},
  ): Promise<ExecResult> {
    const { signal, ...rest } = options;
    const id = await this.create(container, { ...rest, Cmd: cmd });
    const output = await this.start(id, { tty: rest.Tty, signal });
    // The engine closes the output stream a moment before it records the exit code.
    const deadline = Date.now() + EXIT_WAIT_MS;
    for (let pause = 5;; pause = Math.min(pause * 2, 100)) {
      const state = await this.inspect(id);
      if (!state.Running && state.ExitCode !== null) return { exitCode: state.ExitCode, ...output };
      if (Date.now() > deadline) {
        throw new DockerApiError(
          500,
          `Docker: exec "${id}" has no exit code after its output ended`,
          {
            details: { status: 500, engineMessage: "exec still running" },
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
