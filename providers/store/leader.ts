/**
 * Leader election for the control plane: one leader per database, by a session advisory
 * lock. The leader checks its lease every few seconds (a dropped connection or a killed
 * backend loses the lock without telling anyone) and, the moment it cannot vouch for it,
 * stops acting: the work it started gets an aborted signal and `isLeader()` turns false.
 * A follower tries to take the lock again on a timer.
 * @module
 */
import { errorMessage } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { AdvisoryLease, SqlDatabase } from "./database.ts";

/** Tuning and hooks of {@linkcode electLeader}. */
export interface ElectionOptions {
  /** The advisory lock key. */
  key: bigint;
  /** How often the leader checks its lease (ms). */
  checkEveryMs?: number;
  /** How often a follower tries to take the lock (ms). */
  retryEveryMs?: number;
  /** Starts the leader's work; `signal` aborts when leadership ends. */
  onElected(signal: AbortSignal): void;
  /** Logger. */
  log: Logger;
}

/** A running election. */
export interface Election {
  /** Whether this process holds the lease now. */
  isLeader(): boolean;
  /** Ends the election and releases the lease. */
  stop(): Promise<void>;
}

/** Joins the election; resolves once the first attempt is done (leader or not). */
export async function electLeader(db: SqlDatabase, options: ElectionOptions): Promise<Election> {
  const checkEvery = options.checkEveryMs ?? 2_000;
  const retryEvery = options.retryEveryMs ?? 5_000;
  let lease: AdvisoryLease | null = null;
  let term: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const step = async () => {
    timer = undefined;
    if (stopped) return;
    if (lease) {
      const held = await lease.held().catch(() => false);
      if (!held && !stopped) {
        options.log.error("leadership lost", { database: db.dialect });
        term?.abort();
        term = null;
        const lost = lease;
        lease = null;
        await lost.release().catch(() => {});
      }
    } else {
      try {
        lease = await db.tryAdvisoryLock(options.key);
      } catch (error) {
        options.log.warn("leader election failed", { error: errorMessage(error) });
      }
      if (lease && stopped) {
        await lease.release().catch(() => {});
        lease = null;
      } else if (lease) {
        term = new AbortController();
        options.log.info("reconciler leader", { database: db.dialect });
        options.onElected(term.signal);
      }
    }
    if (!stopped) timer = setTimeout(step, lease ? checkEvery : retryEvery);
  };
  await step();
  if (!lease) options.log.info("another control plane leads this database; waiting");
  return {
    isLeader: () => lease !== null && !stopped,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      term?.abort();
      await lease?.release().catch(() => {});
      lease = null;
    },
  };
}
