/**
 * The rollout runner: carries out `pod upgrade` rollouts on the leader, one pod at a
 * time or as many as `--max-unavailable` and the cores allow (see `rollout.ts`).
 *
 * Preflight changes nothing on any pod: the image is made local (pulled only when absent
 * and a registry answers) and pinned by id, a downgrade is refused unless allowed, and a
 * smoke run (no network, no volume) proves the image starts at all.
 *
 * Per pod, stop-first: the pod is leased (the reconciler leaves it alone), its container
 * stopped and renamed `<name>.rollback` (the rollback handle, with the untouched volume
 * as restore point), a new container made from the pinned image on a copy of the state
 * (the next volume epoch), started, and gated: running, no restart, the adapter's probe
 * good for `minReady` within `progressDeadline`. On a failed gate the new container and
 * its copy go, the pod points back at the old image and volume, the old container gets
 * its name back and starts again (the same container id), and `UpgradeRolledBack` says
 * why. Every step is written to the rollout's row first, so a runner that died mid-way
 * resumes: a pod with a new container is gated again, any other is rolled back.
 * @module
 */
import type { AgentAdapter, ProbeResult } from "./adapter.ts";
import type { AdoptedContainers } from "./adopted.ts";
import { errorMessage } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { setCondition } from "./pod.ts";
import { recordStart } from "./crash_loop.ts";
import { containerName, ROLLBACK_SUFFIX, volumeName } from "./naming.ts";
import type { RenderedPodRequest } from "./render.ts";
import {
  compareVersions,
  ITEM_IN_FLIGHT,
  nextRolloutStep,
  type Rollout,
  type RolloutItem,
} from "./rollout.ts";
import type { ContainerRuntime } from "./runtime.ts";
import type { PodRecord, Store } from "./store.ts";

/** The OCI label images carry their version in. */
export const VERSION_LABEL = "org.opencontainers.image.version";

/** What the runner needs. */
export interface RolloutRunnerDeps {
  store: Store;
  runtime: ContainerRuntime;
  adapterById(id: string): AgentAdapter;
  /**
   * Renders a pod as the reconciler would (so it finds the new container current);
   * `what-if` for a spec that is not stored.
   */
  render(pod: PodRecord, mode?: "stored" | "what-if"): Promise<RenderedPodRequest>;
  /** The adapter's probe of a running pod, through its published port. */
  probe(pod: PodRecord): Promise<ProbeResult>;
  /** Queues a pod for the reconciler (after the lease is given back). */
  enqueue(podId: string): void;
  /** Whether this process leads (only the leader runs rollouts). */
  isLeader(): boolean;
  now(): number;
  sleep(ms: number): Promise<void>;
  log: Logger;
  /** Cores of the host: pods upgraded at once never exceed them. */
  cores: number;
  /** Called after a rollout's row changed (live views). */
  onChange?(rolloutId: string): void;
  /**
   * Containers adopted by pods (shared with the runtime): an adopted pod's container is
   * its restore point during an upgrade, and its own again after a rollback.
   */
  adopted?: AdoptedContainers;
}

/** Tuning. */
export interface RolloutRunnerOptions {
  /** How often a gate looks at the new container. */
  gateIntervalMs: number;
  /** How long a smoke command may take. */
  smokeTimeoutMs: number;
  /** How long an image's own command must stay up in its smoke run. */
  smokeUpMs: number;
  /** Seconds the old container gets to stop. */
  stopTimeoutSeconds: number;
  /** How long an agent gets to drain before it is stopped anyway. */
  drainTimeoutMs: number;
  /** How long an upgraded pod's rollback handle (old container, old state) is kept. */
  rollbackRetentionMs: number;
  /** How often handles past their retention are looked for. */
  collectEveryMs: number;
}

const DEFAULTS: RolloutRunnerOptions = {
  gateIntervalMs: 1_000,
  smokeTimeoutMs: 30_000, // a Node CLI starts in 2–10 s, more on a busy host
  smokeUpMs: 3_000,
  stopTimeoutSeconds: 10,
  drainTimeoutMs: 20_000,
  rollbackRetentionMs: 24 * 3_600_000,
  collectEveryMs: 60_000,
};

/** A failed gate: why, in a sentence. */
class GateFailed extends Error {}

/** Runs rollouts; `tick` does the next piece of work of each active one. */
export class RolloutRunner {
  readonly #d: RolloutRunnerDeps;
  readonly #o: RolloutRunnerOptions;
  /** Pods being upgraded or rolled back by this process, by pod id. */
  readonly #inFlight = new Map<string, Promise<void>>();
  #ticking: Promise<void> | undefined;
  #collectedAt = -Infinity;

  constructor(deps: RolloutRunnerDeps, options: Partial<RolloutRunnerOptions> = {}) {
    this.#d = deps;
    this.#o = { ...DEFAULTS, ...options };
  }

  /** One round over the active rollouts; concurrent calls share one round. */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  /** Resolves when no pod is being upgraded by this process. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.values());
  }

  async #tick(): Promise<void> {
    if (!this.#d.isLeader()) return;
    const active = await this.#d.store.rollouts.list({ unfinished: true, limit: 100 });
    for (const rollout of active.reverse()) {
      try {
        if (rollout.state === "preflight") await this.#preflight(rollout);
        else await this.#advance(await this.#d.store.rollouts.get(rollout.id));
      } catch (error) {
        this.#d.log.warn("rollout step failed", {
          rollout: rollout.id,
          error: errorMessage(error),
        });
      }
    }
    if (this.#d.now() - this.#collectedAt >= this.#o.collectEveryMs) {
      this.#collectedAt = this.#d.now();
      await this.collectHandles().catch((error) =>
        this.#d.log.warn("rollback handles not collected", { error: errorMessage(error) })
      );
    }
  }

  /**
   * Removes the rollback handles (the old container and its copy of the state) of pods
   * upgraded longer ago than the retention window. Returns how many went.
   */
  async collectHandles(): Promise<number> {
    const { store, runtime } = this.#d;
    const cutoff = this.#d.now() - this.#o.rollbackRetentionMs;
    let collected = 0;
    for (const rollout of await store.rollouts.list({ limit: 200 })) {
      for (const item of rollout.items) {
        if (item.state !== "succeeded" || item.step !== "ready") continue;
        if (!item.finishedAt || Date.parse(item.finishedAt) > cutoff) continue;
        const pod = await store.pods.getById(item.podId);
        if (item.oldContainerId) {
          const handle = await runtime.inspectPodContainer(item.oldContainerId);
          if (handle?.name.endsWith(ROLLBACK_SUFFIX)) await runtime.remove(handle.id);
        }
        if (pod && item.oldVolumeEpoch !== null && item.oldVolumeEpoch !== pod.spec.volumeEpoch) {
          await runtime.removeVolume(volumeName(pod.id, item.oldVolumeEpoch));
        }
        await store.rollouts.updateItem(rollout.id, item.podId, { step: "collected" });
        collected++;
      }
    }
    return collected;
  }

  /** Checks the image before any pod is touched; `failed` with the reason if it is unfit. */
  async #preflight(rollout: Rollout): Promise<void> {
    const { runtime, store } = this.#d;
    if (rollout.options.respec) {
      // Every pod keeps the image it runs: nothing to check before the first one.
      await store.rollouts.update(rollout.id, {
        state: "running",
        message: "Applying the container spec this AgentPod renders, one pod at a time",
      });
      return this.#changed(rollout.id);
    }
    const refuse = async (message: string) => {
      await store.rollouts.update(rollout.id, { state: "failed", message, finished: true });
      for (const item of rollout.items) {
        await store.rollouts.updateItem(rollout.id, item.podId, {
          state: "skipped",
          message: "Refused before any pod was touched",
        });
        const pod = await store.pods.getById(item.podId);
        if (!pod) continue;
        await store.events.append({
          tenant: pod.tenant,
          podId: pod.id,
          podName: pod.name,
          type: "Warning",
          reason: "UpgradeRefused",
          message: `Upgrade to ${rollout.image} refused: ${message}`,
        });
        await this.#upgradedCondition(pod.id, "False", "Refused", message);
      }
      this.#changed(rollout.id);
    };
    let imageId: string;
    try {
      imageId = await runtime.ensureImage(rollout.image);
    } catch (error) {
      return await refuse(errorMessage(error));
    }
    const info = await runtime.inspectImage(imageId);
    const version = info?.labels[VERSION_LABEL];
    const problems: string[] = [];
    let smokeAdapter: AgentAdapter | undefined;
    for (const item of rollout.items) {
      const pod = await store.pods.getById(item.podId);
      if (!pod || pod.spec.desiredState !== "running") {
        await store.rollouts.updateItem(rollout.id, item.podId, {
          state: "skipped",
          message: pod ? `The pod is ${pod.spec.desiredState}` : "The pod was deleted",
        });
        continue;
      }
      const adapter = this.#d.adapterById(pod.spec.adapter);
      smokeAdapter ??= adapter;
      const current = await runtime.inspectImage(pod.spec.imageId ?? pod.spec.image);
      if (current?.id === imageId) {
        await store.rollouts.updateItem(rollout.id, item.podId, {
          state: "skipped",
          message: `Already runs ${rollout.image}`,
        });
        continue;
      }
      const from = current?.labels[VERSION_LABEL];
      const order = version && from ? compareVersions(version, from) : null;
      if (order !== null && order < 0 && !rollout.options.allowDowngrade) {
        problems.push(
          `${item.tenant}/${item.pod} runs ${from}, newer than ${version}: a downgrade (state a newer version migrated may not load); pass --allow-downgrade to do it anyway`,
        );
      }
      const rendered = await this.#d.render({
        ...pod,
        spec: { ...pod.spec, image: rollout.image, imageId },
      }, "what-if");
      if (rendered.request.spec.image !== imageId) {
        problems.push(
          `${item.tenant}/${item.pod} names its own image in its config (${rendered.request.spec.image}): change it with config set instead`,
        );
      }
    }
    if (problems.length > 0) return await refuse(problems.join("; "));
    if (smokeAdapter) {
      // A smoke command must exit 0 in time; an image's own command must stay up a while.
      const smoke = await runtime.smokeRun(imageId, {
        ...(smokeAdapter.smokeCommand ? { command: smokeAdapter.smokeCommand } : {}),
        timeoutMs: smokeAdapter.smokeCommand ? this.#o.smokeTimeoutMs : this.#o.smokeUpMs,
      });
      const ok = smoke.exitCode === 0 || (smoke.exitCode === null && !smokeAdapter.smokeCommand);
      if (!ok) {
        const said = smoke.logs.slice(-3).join(" | ");
        return await refuse(
          smoke.exitCode === null
            ? `Image ${rollout.image} did not finish its smoke run in ${
              this.#o.smokeTimeoutMs / 1000
            } s`
            : `Image ${rollout.image} does not start: its smoke run exited with code ${smoke.exitCode}${
              said ? ` (${said})` : ""
            }`,
        );
      }
    }
    await store.rollouts.update(rollout.id, {
      state: "running",
      imageId,
      message: `Preflight passed${version ? `: version ${version}` : ""}`,
    });
    this.#changed(rollout.id);
  }

  /** Starts what may start, resumes what this process lost, and ends or pauses it. */
  async #advance(rollout: Rollout): Promise<void> {
    const { store } = this.#d;
    // Under way in the store but not here: a control plane died mid-way.
    for (const item of rollout.items) {
      if (ITEM_IN_FLIGHT.has(item.state) && !this.#inFlight.has(item.podId)) {
        this.#launch(item.podId, () => this.#resume(rollout, item));
      }
    }
    if (rollout.state === "aborted") {
      // Pods under way finish their own upgrade or rollback; then it is over.
      if (!rollout.items.some((i) => ITEM_IN_FLIGHT.has(i.state))) {
        await store.rollouts.update(rollout.id, { finished: true });
        this.#changed(rollout.id);
      }
      return;
    }
    if (rollout.state !== "running") return;
    const notReady = new Set<string>();
    for (const item of rollout.items) {
      const pod = await store.pods.getById(item.podId);
      const ready = pod?.status.conditions.find((c) => c.type === "Ready")?.status === "True";
      if (pod && !ready) notReady.add(item.podId);
    }
    const step = nextRolloutStep(rollout, notReady, this.#d.cores);
    for (const item of step.start) {
      await store.rollouts.updateItem(rollout.id, item.podId, {
        state: "upgrading",
        message: "Starting the upgrade",
        startedAt: new Date(this.#d.now()).toISOString(),
      });
      this.#launch(item.podId, () => this.#upgrade(rollout, item));
    }
    if (step.decision === "pause") {
      await store.rollouts.update(rollout.id, { state: "paused", message: step.message });
      await store.events.append({
        tenant: null,
        type: "Warning",
        reason: "RolloutPaused",
        message: `Rollout ${rollout.id} to ${rollout.image} paused: ${step.message}`,
      });
    } else if (step.decision === "done") {
      await store.rollouts.update(rollout.id, {
        state: step.outcome!,
        message: step.message,
        finished: true,
      });
    } else if (step.start.length > 0 || step.message !== rollout.message) {
      await store.rollouts.update(rollout.id, { message: step.message });
    }
    this.#changed(rollout.id);
  }

  #launch(podId: string, work: () => Promise<void>): void {
    const run = work()
      .catch((error) => this.#d.log.error("upgrade failed", { podId, error: errorMessage(error) }))
      .finally(() => {
        this.#inFlight.delete(podId);
        void this.tick();
      });
    this.#inFlight.set(podId, run);
  }

  /** Upgrades one pod, rolling back when the new container fails its gate. */
  async #upgrade(rollout: Rollout, item: RolloutItem): Promise<void> {
    const { store, runtime } = this.#d;
    const pod = await store.pods.getById(item.podId);
    const skip = async (message: string) => {
      await this.#item(rollout, item, { state: "skipped", message, finishedAt: this.#iso() });
    };
    if (!pod || pod.spec.desiredState !== "running") {
      return await skip(pod ? `The pod is ${pod.spec.desiredState}` : "The pod was deleted");
    }
    const adoption = pod.adoption?.active ? pod.adoption : undefined;
    if (adoption) {
      // An adopted pod moves with a copy of its state: it must be there, where it is read.
      const volumePath = this.#d.adapterById(pod.spec.adapter).volumePath;
      if (adoption.stateDir.path.replace(/\/$/, "") !== volumePath.replace(/\/$/, "")) {
        return await skip(
          `Its state is in ${adoption.stateDir.path}, not ${volumePath} where the new container keeps it: not moved`,
        );
      }
      if (!(await runtime.inspectPodContainer(adoption.containerId))) {
        return await skip("The adopted container is gone: release the pod");
      }
    }
    if (!(await store.pods.lease(pod.id, rollout.id))) {
      return await skip("Another operation owns the pod");
    }
    const oldId = pod.status.containerId;
    await this.#item(rollout, item, {
      step: "leased",
      oldImage: pod.spec.image,
      oldImageId: pod.spec.imageId,
      oldVolumeEpoch: pod.spec.volumeEpoch,
      oldContainerId: oldId,
      message: "Stopping the old container",
    });
    item = {
      ...item,
      oldImage: pod.spec.image,
      oldImageId: pod.spec.imageId,
      oldVolumeEpoch: pod.spec.volumeEpoch,
      oldContainerId: oldId,
    };
    await store.pods.updateStatus(pod.id, { phase: "upgrading" });
    const name = containerName(pod.tenant, pod.name);
    const adapter = this.#d.adapterById(pod.spec.adapter);
    try {
      if (oldId && adapter.drain) {
        await this.#item(rollout, item, { message: "Draining the agent" });
        const drained = await adapter.drain((command) => runtime.exec(oldId, command), {
          timeoutMs: this.#o.drainTimeoutMs,
          now: this.#d.now,
          sleep: this.#d.sleep,
        });
        await this.#item(rollout, item, {
          message: `${drained.message}; stopping the old container`,
        });
        await store.events.append({
          tenant: pod.tenant,
          podId: pod.id,
          podName: pod.name,
          type: drained.drained ? "Normal" : "Warning",
          reason: drained.drained ? "Drained" : "DrainIncomplete",
          message: `Before the upgrade to ${rollout.image}: ${drained.message}`,
        });
      }
      // An adopted container keeps the name its owner gave it (unless that is ours).
      const adopted = oldId !== null && pod.adoption?.active === true &&
        pod.adoption.containerId === oldId;
      if (oldId) {
        await runtime.stop(oldId, this.#o.stopTimeoutSeconds);
        const old = adopted ? await runtime.inspectPodContainer(oldId) : undefined;
        if (!adopted || old?.name === name) {
          await this.#clearName(`${name}${ROLLBACK_SUFFIX}`, oldId);
          await runtime.rename(oldId, `${name}${ROLLBACK_SUFFIX}`);
        }
        // The restore point stays stopped: an engine restart starts `always` containers.
        if (adopted && pod.adoption?.restartPolicy === "always") {
          await runtime.updateLive(oldId, { restartPolicy: "no" });
        }
      }
      await this.#item(rollout, item, {
        step: "stopped",
        stoppedAt: this.#iso(),
        message: "Starting the new container",
      });
      const respec = rollout.options.respec === true;
      // An adopted pod moves to a container AgentPod makes, with a copy of its state.
      const moved = await store.pods.setImage(pod.id, {
        image: respec ? pod.spec.image : rollout.image,
        imageId: respec ? pod.spec.imageId : rollout.imageId,
        volumeEpoch: pod.spec.volumeEpoch + 1,
        ...(adopted ? { adoptedContainerId: null } : {}),
      });
      const rendered = await this.#d.render(moved);
      await this.#clearName(name, oldId);
      const newId = await runtime.createPodContainer(rendered.request);
      // Recorded before the copy, but still `stopped`: a runner killed while copying
      // rolls back (a new container with half the state must never be started).
      await this.#item(rollout, item, { newContainerId: newId });
      item = { ...item, newContainerId: newId };
      if (oldId) {
        await runtime.copyDirectory(oldId, newId, rendered.request.spec.volumePath);
        // The rendered files win over the copied ones.
        await runtime.writeFiles(newId, rendered.request.spec.volumePath, rendered.files);
      }
      await store.pods.updateStatus(pod.id, { filesHash: rendered.filesHash });
      await this.#item(rollout, item, { step: "created" });
      await runtime.start(newId);
      await this.#item(rollout, item, { step: "started" });
      await this.#gate(rollout, item, moved, newId);
      await this.#succeed(rollout, item, moved, newId);
    } catch (error) {
      await this.#rollBack(rollout, item, errorMessage(error));
    }
  }

  /** After a runner died mid-way: gate a new container that exists, else roll back. */
  async #resume(rollout: Rollout, item: RolloutItem): Promise<void> {
    const pod = await this.#d.store.pods.getById(item.podId);
    if (!pod) return await this.#item(rollout, item, { state: "skipped", message: "Deleted" });
    await this.#d.store.pods.lease(pod.id, rollout.id);
    const newId = item.newContainerId;
    const fresh = newId ? await this.#d.runtime.inspectPodContainer(newId) : undefined;
    // Only a new container whose copy of the state was complete is worth gating.
    const complete = item.step === "created" || item.step === "started";
    if (item.state === "upgrading" && newId && fresh && complete) {
      try {
        if (fresh.state !== "running") await this.#d.runtime.start(newId);
        await this.#gate(rollout, { ...item, startedAt: this.#iso() }, pod, newId);
        return await this.#succeed(rollout, item, pod, newId);
      } catch (error) {
        return await this.#rollBack(rollout, item, errorMessage(error));
      }
    }
    await this.#rollBack(rollout, item, "The control plane stopped in the middle of the upgrade");
  }

  /**
   * Waits until the new container has been ready for `minReady` without a restart, or
   * throws GateFailed at the progress deadline or at its first exit.
   */
  async #gate(rollout: Rollout, item: RolloutItem, pod: PodRecord, containerId: string) {
    const { minReadyMs, progressDeadlineMs } = rollout.options;
    const deadline = this.#d.now() + progressDeadlineMs;
    let readySince: number | undefined;
    let last = "not probed yet";
    await this.#item(rollout, item, { message: "Waiting for the new container to be ready" });
    for (;;) {
      const seen = await this.#d.runtime.inspectPodContainer(containerId);
      if (!seen) throw new GateFailed("The new container is gone");
      if (seen.restartCount > 0 || seen.state !== "running") {
        // Once Docker has restarted it, the exit code is gone (0 again): say what is known.
        throw new GateFailed(
          seen.oomKilled
            ? "The new container was killed for running out of memory"
            : seen.state === "running"
            ? `The new container exited and Docker restarted it (${seen.restartCount} time(s))`
            : `The new container exited (code ${seen.exitCode})`,
        );
      }
      const result = await this.#d.probe(pod).catch((error) => ({
        healthy: false,
        message: errorMessage(error),
      }));
      last = result.message;
      const now = this.#d.now();
      if (result.healthy) {
        if (readySince === undefined) {
          readySince = now;
          await this.#item(rollout, item, {
            readyAt: new Date(now).toISOString(),
            message: `Ready; holding for ${minReadyMs / 1000} s`,
          });
        }
        if (now - readySince >= minReadyMs) return;
      } else {
        readySince = undefined;
      }
      if (now >= deadline) {
        throw new GateFailed(
          `Not ready for ${minReadyMs / 1000} s within ${
            progressDeadlineMs / 1000
          } s; last probe: ${last}`,
        );
      }
      await this.#d.sleep(this.#o.gateIntervalMs);
    }
  }

  async #succeed(rollout: Rollout, item: RolloutItem, pod: PodRecord, newId: string) {
    const { store } = this.#d;
    const now = this.#d.now();
    const stored = (await store.rollouts.get(rollout.id)).items.find((i) => i.podId === item.podId);
    const { stoppedAt, readyAt } = stored ?? item;
    const downtime = stoppedAt && readyAt
      ? (Date.parse(readyAt) - Date.parse(stoppedAt)) / 1000
      : null;
    const down = downtime === null ? "" : ` (down ${downtime.toFixed(1)} s)`;
    const message = rollout.options.respec
      ? `Moved to the container spec this AgentPod renders${down}`
      : `Upgraded ${item.oldImage ?? "?"} → ${rollout.image}${down}`;
    // Crashes are counted from the new container's start on (the old one is the handle).
    const fresh = await this.#d.runtime.inspectPodContainer(newId);
    await store.pods.updateStatus(pod.id, {
      containerId: newId,
      ...(fresh ? { run: recordStart(fresh, 0) } : {}),
    });
    await this.#upgradedCondition(pod.id, "True", "Upgraded", message);
    await this.#item(rollout, item, {
      state: "succeeded",
      step: "ready",
      message,
      finishedAt: this.#iso(now),
    });
    await store.events.append({
      tenant: pod.tenant,
      podId: pod.id,
      podName: pod.name,
      type: "Normal",
      reason: "Upgraded",
      message,
    });
    // An adopted container that had our name holds the handle's name now; it is the
    // owner's, never collected: it takes a name of its own so later upgrades find theirs free.
    const oldId = item.oldContainerId;
    if (oldId && pod.adoption?.containerId === oldId) {
      const handle = `${containerName(pod.tenant, pod.name)}${ROLLBACK_SUFFIX}`;
      if ((await this.#d.runtime.containerNamed(handle))?.id === oldId) {
        await this.#d.runtime.rename(
          oldId,
          `${containerName(pod.tenant, pod.name)}.adopted-${oldId.slice(0, 12)}`,
        );
      }
    }
    // Copies older than the handle's belonged to handles this upgrade replaced.
    for (let epoch = 0; epoch < (item.oldVolumeEpoch ?? 0); epoch++) {
      await this.#d.runtime.removeVolume(volumeName(pod.id, epoch)).catch(() => {});
    }
    await this.#release(pod.id, rollout.id);
  }

  /**
   * Puts the pod back as it was: the new container and its copy of the state go, the
   * pod points at its old image and volume again, and the old container (the same id)
   * gets its name back and starts. Safe to repeat.
   */
  async #rollBack(rollout: Rollout, item: RolloutItem, reason: string): Promise<void> {
    const { store, runtime } = this.#d;
    const pod = await store.pods.getById(item.podId);
    if (!pod) return;
    await this.#item(rollout, item, { state: "rolling-back", message: `Rolling back: ${reason}` });
    const name = containerName(pod.tenant, pod.name);
    const oldId = item.oldContainerId;
    // Back onto an adopted container: the pod runs it again as it was adopted.
    const adopted = oldId !== null && pod.adoption?.containerId === oldId;
    if (adopted) this.#d.adopted?.set(oldId, pod.id);
    try {
      for (const c of await runtime.listPodContainers(pod.id)) {
        if (c.id !== oldId) await runtime.remove(c.id);
      }
      const epoch = item.oldVolumeEpoch ?? pod.spec.volumeEpoch;
      if (pod.spec.volumeEpoch !== epoch) {
        // Best effort: a copy still in use (it should not be) must not stop the rollback.
        await runtime.removeVolume(volumeName(pod.id, pod.spec.volumeEpoch)).catch((error) =>
          this.#d.log.warn("state copy not removed", { pod: pod.id, error: errorMessage(error) })
        );
      }
      const back = await store.pods.setImage(pod.id, {
        image: item.oldImage ?? pod.spec.image,
        imageId: item.oldImageId,
        volumeEpoch: epoch,
        ...(adopted ? { adoptedContainerId: oldId } : {}),
      });
      if (oldId) {
        const old = await runtime.inspectPodContainer(oldId);
        // An adopted container was renamed only if it had our name; it gets it back.
        const own = !adopted || old?.name === `${name}${ROLLBACK_SUFFIX}`;
        if (old && own && old.name !== name) await runtime.rename(oldId, name);
        if (adopted && pod.adoption?.restartPolicy === "always") {
          await runtime.updateLive(oldId, { restartPolicy: "always" });
        }
        await runtime.start(oldId);
        const started = await runtime.inspectPodContainer(oldId);
        if (started) {
          await store.pods.updateStatus(pod.id, {
            containerId: oldId,
            run: recordStart(started, 0),
          });
        }
        await this.#gate(
          { ...rollout, options: { ...rollout.options, minReadyMs: 0 } },
          item,
          back,
          oldId,
        );
      }
      await this.#item(rollout, item, {
        state: "rolled-back",
        message: `Rolled back: ${reason}`,
        finishedAt: this.#iso(),
      });
      await this.#upgradedCondition(
        pod.id,
        "False",
        "RolledBack",
        `Upgrade to ${rollout.image} rolled back: ${reason}`,
      );
    } catch (error) {
      await this.#item(rollout, item, {
        state: "failed",
        message: `Rollback failed (${errorMessage(error)}) after: ${reason}`,
        finishedAt: this.#iso(),
      });
    }
    await store.events.append({
      tenant: pod.tenant,
      podId: pod.id,
      podName: pod.name,
      type: "Warning",
      reason: "UpgradeRolledBack",
      message: `Upgrade to ${rollout.image} rolled back: ${reason}`,
    });
    await this.#release(pod.id, rollout.id);
  }

  /** The pod's `Upgraded` condition: what its last upgrade did (the reconciler keeps it). */
  async #upgradedCondition(
    podId: string,
    status: "True" | "False",
    reason: string,
    message: string,
  ): Promise<void> {
    const pod = await this.#d.store.pods.getById(podId);
    if (!pod) return;
    const conditions = setCondition(
      pod.status.conditions,
      { type: "Upgraded", status, reason, message },
      new Date(this.#d.now()),
    );
    await this.#d.store.pods.updateStatus(podId, { conditions });
  }

  /** Frees a container name held by another container than `keep` (a leftover). */
  async #clearName(name: string, keep: string | null): Promise<void> {
    const holder = (await this.#d.runtime.listPodContainers()).find((c) => c.name === name);
    if (holder && holder.id !== keep) await this.#d.runtime.remove(holder.id);
  }

  async #release(podId: string, rolloutId: string): Promise<void> {
    await this.#d.store.pods.release(podId, rolloutId);
    this.#d.enqueue(podId);
  }

  async #item(rollout: Rollout, item: RolloutItem, changes: Partial<RolloutItem>) {
    await this.#d.store.rollouts.updateItem(rollout.id, item.podId, changes);
    this.#changed(rollout.id);
  }

  #changed(rolloutId: string): void {
    this.#d.onChange?.(rolloutId);
  }

  #iso(ms = this.#d.now()): string {
    return new Date(ms).toISOString();
  }
}
