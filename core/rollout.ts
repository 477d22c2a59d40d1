/**
 * Rollouts (`pod upgrade`) as data, and the pure decisions about them: the order pods go
 * in (canaries first), how many may be under way at once (`--max-unavailable` counts
 * pods already not ready, as Kubernetes does, and the host's cores cap it: a gateway
 * boot saturates one), when the rollout pauses (after `--max-failures` rollbacks) and
 * when it is over. The runner (`rollout_runner.ts`) does the I/O and asks these.
 * @module
 */
import { ValidationError } from "./errors.ts";

/** Where a rollout is. */
export type RolloutState =
  | "preflight"
  | "running"
  | "paused"
  | "succeeded"
  | "failed"
  | "aborted";

/** Where one pod of a rollout is. */
export type RolloutItemState =
  | "pending"
  | "upgrading"
  | "rolling-back"
  | "succeeded"
  | "rolled-back"
  | "failed"
  | "skipped";

/**
 * The last step an item under way completed (what a resumed runner continues from):
 * `created` means the new container holds the whole copy of the state.
 */
export type UpgradeStep = "leased" | "stopped" | "created" | "started" | "ready" | "collected";

/** How a rollout goes, as asked. */
export interface RolloutOptions {
  /** Pods that may be not ready at once: a count, or a share of the fleet (`25%`). */
  maxUnavailable: string;
  /** Pods upgraded first, alone; the rest wait until they all succeeded. */
  canary: number;
  /** Rollbacks after which the rollout pauses (untouched pods stay untouched). */
  maxFailures: number;
  /** How long the new container must stay ready before it counts. */
  minReadyMs: number;
  /** How long a pod gets to become ready for `minReadyMs`, from its new start. */
  progressDeadlineMs: number;
  /** Whether an image older than a pod's may be rolled out. */
  allowDowngrade: boolean;
  /** Only this tenant's pods (a fleet rollout). */
  tenant?: string;
  /** Rollbacks a `rollout resume` forgave (they no longer pause it). */
  forgivenFailures?: number;
  /**
   * Not a new image: each pod keeps its own, and gets the container spec this AgentPod
   * renders (an AgentPod upgrade changed it), through the same gated path.
   */
  respec?: boolean;
}

/** The defaults of `pod upgrade`. */
export const DEFAULT_ROLLOUT_OPTIONS: RolloutOptions = {
  maxUnavailable: "1",
  canary: 0,
  maxFailures: 1,
  minReadyMs: 10_000,
  progressDeadlineMs: 180_000,
  allowDowngrade: false,
};

/** One pod of a rollout. */
export interface RolloutItem {
  podId: string;
  tenant: string;
  pod: string;
  position: number;
  canary: boolean;
  state: RolloutItemState;
  step: UpgradeStep | null;
  oldImage: string | null;
  oldImageId: string | null;
  oldVolumeEpoch: number | null;
  oldContainerId: string | null;
  newContainerId: string | null;
  /** Why it ended as it did, or what it is doing. */
  message: string | null;
  startedAt: string | null;
  /** When the old container stopped (downtime starts). */
  stoppedAt: string | null;
  /** When the new container first passed its probe (downtime ends). */
  readyAt: string | null;
  finishedAt: string | null;
}

/** A rollout with its pods, in order. */
export interface Rollout {
  id: string;
  image: string;
  imageId: string | null;
  options: RolloutOptions;
  state: RolloutState;
  message: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  items: RolloutItem[];
}

/** Item states that still hold the pod. */
export const ITEM_IN_FLIGHT: ReadonlySet<RolloutItemState> = new Set(["upgrading", "rolling-back"]);
/** Item states that are over. */
export const ITEM_DONE: ReadonlySet<RolloutItemState> = new Set([
  "succeeded",
  "rolled-back",
  "failed",
  "skipped",
]);
/** Rollout states that are over. */
export const ROLLOUT_DONE: ReadonlySet<RolloutState> = new Set(["succeeded", "failed", "aborted"]);

/**
 * `--max-unavailable` as a number of pods: `N`, or `P%` of `fleet` rounded down (at least
 * 1, or nothing could ever move).
 */
export function parseMaxUnavailable(value: string, fleet: number): number {
  const percent = /^(\d{1,3})%$/.exec(value.trim());
  if (percent) {
    const share = Number(percent[1]);
    if (share < 1 || share > 100) {
      throw new ValidationError(`--max-unavailable ${value}: a share must be 1% to 100%`);
    }
    return Math.max(1, Math.floor((fleet * share) / 100));
  }
  if (/^\d+$/.test(value.trim()) && Number(value) >= 1) return Number(value);
  throw new ValidationError(
    `--max-unavailable ${value}: give a number of pods (1 or more) or a share ("25%")`,
  );
}

/** A duration such as `20s`, `3m`, `500ms`, `1h30m` or `7d`, in milliseconds. */
export function parseDuration(value: string, what: string): number {
  const text = value.trim();
  const units: Record<string, number> = {
    ms: 1,
    s: 1_000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
  };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const part = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/.exec(rest);
    if (!part) {
      throw new ValidationError(`${what} ${value}: give a duration such as 20s, 3m or 1h`);
    }
    total += Number(part[1]) * units[part[2]!]!;
    rest = rest.slice(part[0].length);
  }
  if (text.length === 0 || total <= 0) {
    throw new ValidationError(`${what} ${value}: give a duration such as 20s, 3m or 1h`);
  }
  return Math.round(total);
}

/**
 * Compares two versions made of dot-separated numbers (OpenClaw's `2026.9.6`, semver's
 * `1.2.3`, a leading `v` and a pre-release tail ignored): negative when `a` is older,
 * positive when newer, 0 when equal; null when either cannot be read.
 */
export function compareVersions(a: string, b: string): number | null {
  const parse = (v: string) => {
    const core = /^v?(\d+(?:\.\d+)*)/.exec(v.trim());
    return core ? core[1]!.split(".").map(Number) : null;
  };
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return null;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A pod as a rollout sees it when it is made. */
export interface RolloutCandidate {
  podId: string;
  tenant: string;
  pod: string;
}

/** The rollout's pods in the order they go: by tenant and name, the first `canary` first. */
export function orderRollout(
  pods: readonly RolloutCandidate[],
  canary: number,
): Pick<RolloutItem, "podId" | "tenant" | "pod" | "position" | "canary">[] {
  const sorted = [...pods].sort((a, b) =>
    a.tenant === b.tenant ? a.pod.localeCompare(b.pod) : a.tenant.localeCompare(b.tenant)
  );
  return sorted.map((p, i) => ({ ...p, position: i, canary: i < canary }));
}

/** What the runner should do with a running rollout now. */
export interface RolloutStep {
  /** Pods to begin upgrading now, in order. */
  start: RolloutItem[];
  /** `pause` once too many pods rolled back; `done` when every pod is over. */
  decision: "continue" | "pause" | "done";
  /** The rollout's end state when `done`. */
  outcome?: "succeeded" | "failed";
  /** Why, in a sentence (for the rollout's message). */
  message: string;
}

/**
 * The next step of a running rollout. `notReady` holds the rollout's pods that are not
 * ready now (they count against `--max-unavailable` as pods under way do); `cores` caps
 * the pods under way.
 */
export function nextRolloutStep(
  rollout: Pick<Rollout, "items" | "options">,
  notReady: ReadonlySet<string>,
  cores: number,
): RolloutStep {
  const { items, options } = rollout;
  const failures = items.filter((i) => i.state === "rolled-back" || i.state === "failed").length;
  const inFlight = items.filter((i) => ITEM_IN_FLIGHT.has(i.state));
  const pending = items.filter((i) => i.state === "pending");
  if (pending.length === 0 && inFlight.length === 0) {
    const done = items.filter((i) => i.state === "succeeded").length;
    return failures === 0
      ? { start: [], decision: "done", outcome: "succeeded", message: `${done} pod(s) upgraded` }
      : {
        start: [],
        decision: "done",
        outcome: "failed",
        message: `${done} pod(s) upgraded, ${failures} rolled back or failed`,
      };
  }
  const canaryFailed = items.some((i) =>
    i.canary && (i.state === "rolled-back" || i.state === "failed")
  );
  const fresh = failures - (options.forgivenFailures ?? 0);
  if (fresh >= options.maxFailures || (canaryFailed && fresh > 0)) {
    const why = canaryFailed
      ? "a canary rolled back"
      : `${failures} rollback(s) (--max-failures ${options.maxFailures})`;
    return {
      start: [],
      decision: inFlight.length === 0 ? "pause" : "continue",
      message: `Paused after ${why}: ${pending.length} pod(s) untouched`,
    };
  }
  const maxUnavailable = parseMaxUnavailable(options.maxUnavailable, items.length);
  // Every pod of the fleet that is not ready counts, upgraded or not (Kubernetes' rule).
  const unavailable = items.filter((i) => ITEM_IN_FLIGHT.has(i.state) || notReady.has(i.podId))
    .length;
  let budget = maxUnavailable - unavailable;
  let slots = Math.max(1, cores) - inFlight.length;
  const canariesLeft = items.some((i) => i.canary && !ITEM_DONE.has(i.state));
  const start: RolloutItem[] = [];
  // Pods down anyway go first (upgrading them makes nothing worse), then in order.
  const queue = [
    ...pending.filter((i) => notReady.has(i.podId)),
    ...pending.filter((i) => !notReady.has(i.podId)),
  ];
  for (const item of queue) {
    if (slots <= 0) break;
    if (canariesLeft && !item.canary) continue;
    const free = notReady.has(item.podId);
    if (!free && budget <= 0) break;
    start.push(item);
    slots--;
    if (!free) budget--;
  }
  return {
    start,
    decision: "continue",
    message: `${items.length - pending.length - inFlight.length} of ${items.length} pod(s) done`,
  };
}
