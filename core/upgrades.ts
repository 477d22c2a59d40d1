/**
 * The use cases of upgrades: start a rollout of an image over one pod or a fleet (or
 * plan it with `dryRun`), list and show rollouts, pause, resume and abort them. The
 * rollout itself is data (`rollout.ts`); the leader's runner carries it out
 * (`rollout_runner.ts`), so this works the same on any control plane.
 * @module
 */
import { ConflictError, ValidationError } from "./errors.ts";
import { parsePodRef } from "./ids.ts";
import {
  DEFAULT_ROLLOUT_OPTIONS,
  ITEM_DONE,
  ITEM_IN_FLIGHT,
  orderRollout,
  parseMaxUnavailable,
  type Rollout,
  ROLLOUT_DONE,
  type RolloutOptions,
} from "./rollout.ts";
import type { ContainerRuntime } from "./runtime.ts";
import type { Store } from "./store.ts";

/** What starting an upgrade takes. */
export interface UpgradeInput {
  /** The image to roll out. */
  image: string;
  /** `<tenant>/<pod>` addresses; or `all`. */
  pods?: string[];
  /** Every running pod (of `options.tenant` when given). */
  all?: boolean;
  /** How it goes; defaults as `DEFAULT_ROLLOUT_OPTIONS`. */
  options?: Partial<RolloutOptions>;
}

/** What a dry run answers: the order and batches, and what the host has of the image. */
export interface UpgradePlan {
  image: string;
  /** The local image id, or null when the image is not on the host (a pull would be needed). */
  imageId: string | null;
  options: RolloutOptions;
  /** Pods in order; `batch` 0 are canaries, then groups of `--max-unavailable`. */
  pods: { pod: string; position: number; canary: boolean; batch: number }[];
}

/** What the upgrade use cases need. */
export interface UpgradeDeps {
  store: Store;
  runtime: Pick<ContainerRuntime, "inspectImage">;
  /** Tells the runner there is work (on the leader; a follower's leader finds it itself). */
  wake(): void;
  /** How respec rollouts (an AgentPod upgrade's new container specs) go; the defaults. */
  respecOptions?: Partial<RolloutOptions>;
  /** Who the current request runs as (events record it), or null. */
  actor?(): string | null;
}

/** Upgrades as use cases. */
export class UpgradeService {
  readonly #d: UpgradeDeps;
  #respecs: Promise<unknown> = Promise.resolve();

  constructor(deps: UpgradeDeps) {
    this.#d = deps;
  }

  /** Starts a rollout (state `preflight`), or with `dryRun` only plans it. */
  async start(input: UpgradeInput, dryRun = false): Promise<Rollout | UpgradePlan> {
    const image = input.image?.trim();
    if (!image) throw new ValidationError("Give the image to upgrade to (--image)");
    const options: RolloutOptions = { ...DEFAULT_ROLLOUT_OPTIONS, ...input.options };
    validateOptions(options);
    if ((input.all === true) === (input.pods !== undefined && input.pods.length > 0)) {
      throw new ValidationError("Name the pods to upgrade, or ask for all of them (--all)");
    }
    if (!input.all && options.tenant !== undefined) {
      throw new ValidationError("--tenant goes with --all");
    }
    const pods = await this.#select(input, options);
    parseMaxUnavailable(options.maxUnavailable, pods.length);
    const order = orderRollout(pods, options.canary);
    if (dryRun) {
      const found = await this.#d.runtime.inspectImage(image);
      return { image, imageId: found?.id ?? null, options, pods: batches(order, options) };
    }
    const active = await this.#d.store.rollouts.list({ unfinished: true, limit: 1 });
    if (active[0]) {
      throw new ConflictError(
        `Rollout ${active[0].id} is ${active[0].state}: wait for it, or abort it (rollout abort ${
          active[0].id
        })`,
        { details: { rollout: active[0].id } },
      );
    }
    const rollout = await this.#d.store.rollouts.create({ image, options, items: order });
    await this.#event(
      "RolloutStarted",
      `Rollout ${rollout.id} to ${image} started (${order.length} pod${
        order.length === 1 ? "" : "s"
      })`,
    );
    this.#d.wake();
    return rollout;
  }

  /**
   * A pod whose container this AgentPod renders differently than the one it runs (an
   * AgentPod upgrade changed the spec): it joins the open respec rollout, or starts one
   * (one pod at a time, gated). Resolves true when the pod is, or will be, taken care of
   * by a rollout; the reconciler then leaves its container as it is.
   */
  respec(podId: string): Promise<boolean> {
    // One at a time: concurrent reconciles must join one rollout, not start several.
    const next = this.#respecs.then(() => this.#respec(podId));
    this.#respecs = next.catch(() => {});
    return next;
  }

  async #respec(podId: string): Promise<boolean> {
    const { store } = this.#d;
    const pod = await store.pods.getById(podId);
    if (!pod || pod.spec.desiredState !== "running") return false;
    const [open] = await store.rollouts.list({ unfinished: true, limit: 1 });
    if (open) {
      if (open.items.some((i) => i.podId === podId && !ITEM_DONE.has(i.state))) return true;
      if (open.options.respec && open.state !== "aborted") {
        await store.rollouts.addItem(open.id, { podId, tenant: pod.tenant, pod: pod.name });
        this.#d.wake();
      }
      return true; // another rollout first; the reconciler asks again later
    }
    const [last] = await store.rollouts.list({ limit: 1 });
    const item = last?.items.find((i) => i.podId === podId);
    if (last?.options.respec && item?.state === "rolled-back") {
      return true; // its respec rolled back: left on its container until a user acts
    }
    await store.rollouts.create({
      image: "(each pod's own image)",
      options: { ...DEFAULT_ROLLOUT_OPTIONS, ...this.#d.respecOptions, respec: true },
      items: [{ podId, tenant: pod.tenant, pod: pod.name, position: 0, canary: false }],
    });
    this.#d.wake();
    return true;
  }

  /** The newest rollouts first. */
  list(limit = 20): Promise<Rollout[]> {
    return this.#d.store.rollouts.list({ limit });
  }

  /** One rollout with its pods. */
  get(id: string): Promise<Rollout> {
    return this.#d.store.rollouts.get(checkId(id));
  }

  /** Stops starting pods (those under way finish). */
  async pause(id: string): Promise<Rollout> {
    const rollout = await this.get(id);
    if (rollout.state !== "running" && rollout.state !== "preflight") {
      throw new ConflictError(`Rollout ${id} is ${rollout.state}: only a running one pauses`);
    }
    const paused = await this.#set(id, { state: "paused", message: "Paused by request" });
    await this.#event("RolloutPaused", `Rollout ${id} paused`);
    return paused;
  }

  /** Goes on after a pause; the rollbacks so far no longer count against --max-failures. */
  async resume(id: string): Promise<Rollout> {
    const rollout = await this.get(id);
    if (rollout.state !== "paused") {
      throw new ConflictError(`Rollout ${id} is ${rollout.state}: only a paused one resumes`);
    }
    const failures =
      rollout.items.filter((i) => i.state === "rolled-back" || i.state === "failed").length;
    await this.#d.store.rollouts.update(id, {
      options: { ...rollout.options, forgivenFailures: failures },
    });
    const resumed = await this.#set(id, { state: "running", message: "Resumed" });
    await this.#event("RolloutResumed", `Rollout ${id} resumed`);
    return resumed;
  }

  /** Ends it: pods not started stay untouched; those under way finish first. */
  async abort(id: string): Promise<Rollout> {
    const rollout = await this.get(id);
    if (ROLLOUT_DONE.has(rollout.state)) {
      throw new ConflictError(`Rollout ${id} is already ${rollout.state}`);
    }
    for (const item of rollout.items) {
      if (item.state === "pending") {
        await this.#d.store.rollouts.updateItem(id, item.podId, {
          state: "skipped",
          message: "Aborted before it started",
        });
      }
    }
    const busy = rollout.items.some((i) => ITEM_IN_FLIGHT.has(i.state));
    const aborted = await this.#set(id, {
      state: "aborted",
      message: "Aborted by request",
      finished: !busy,
    });
    await this.#event("RolloutAborted", `Rollout ${id} aborted`);
    return aborted;
  }

  /** A control-plane event (no tenant) for a user's request on a rollout. */
  async #event(reason: string, message: string): Promise<void> {
    await this.#d.store.events.append({
      tenant: null,
      type: "Normal",
      reason,
      message,
      actor: this.#d.actor?.() ?? null,
    });
  }

  async #set(
    id: string,
    changes: { state: Rollout["state"]; message: string; finished?: boolean },
  ): Promise<Rollout> {
    const rollout = await this.#d.store.rollouts.update(id, changes);
    this.#d.wake();
    return rollout;
  }

  async #select(input: UpgradeInput, options: RolloutOptions) {
    const { store } = this.#d;
    if (input.all) {
      if (options.tenant !== undefined) await store.tenants.get(options.tenant);
      const pods = (await store.pods.list(
        options.tenant === undefined ? {} : { tenant: options.tenant },
      )).filter((p) => p.spec.desiredState === "running");
      if (pods.length === 0) {
        throw new ValidationError(
          `No running pods to upgrade${
            options.tenant === undefined ? "" : ` in tenant "${options.tenant}"`
          }`,
        );
      }
      return pods.map((p) => ({ podId: p.id, tenant: p.tenant, pod: p.name }));
    }
    const seen = new Set<string>();
    const pods = [];
    for (const address of input.pods!) {
      const ref = parsePodRef(address);
      const pod = await store.pods.get(ref.tenant, ref.pod);
      if (pod.spec.desiredState !== "running") {
        throw new ConflictError(
          `Pod "${address}" is ${pod.spec.desiredState}: only a running pod is upgraded`,
        );
      }
      if (seen.has(pod.id)) continue;
      seen.add(pod.id);
      pods.push({ podId: pod.id, tenant: pod.tenant, pod: pod.name });
    }
    return pods;
  }
}

/** The plan's batches: canaries alone first, then `--max-unavailable` at a time. */
function batches(
  order: ReturnType<typeof orderRollout>,
  options: RolloutOptions,
): UpgradePlan["pods"] {
  const size = parseMaxUnavailable(options.maxUnavailable, order.length);
  let batch = 0;
  let inBatch = 0;
  return order.map((p) => {
    if (p.canary) return { pod: `${p.tenant}/${p.pod}`, position: p.position, canary: true, batch };
    if (inBatch === 0 || inBatch === size) {
      batch++;
      inBatch = 0;
    }
    inBatch++;
    return { pod: `${p.tenant}/${p.pod}`, position: p.position, canary: false, batch };
  });
}

function validateOptions(o: RolloutOptions): void {
  const whole = (value: number, what: string, min: number) => {
    if (!Number.isInteger(value) || value < min) {
      throw new ValidationError(`${what} must be a whole number, ${min} or more`);
    }
  };
  whole(o.canary, "--canary", 0);
  whole(o.maxFailures, "--max-failures", 1);
  whole(o.minReadyMs, "--min-ready (ms)", 0);
  whole(o.progressDeadlineMs, "--progress-deadline (ms)", 1_000);
  if (o.minReadyMs >= o.progressDeadlineMs) {
    throw new ValidationError("--min-ready must be shorter than --progress-deadline");
  }
}

function checkId(id: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw new ValidationError(`"${id}" is not a rollout id (a UUID)`);
  }
  return id;
}
