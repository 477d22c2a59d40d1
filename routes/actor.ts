/**
 * Who the current request runs as, for the audit trail: the API's bearer token or the
 * dashboard's signed-in admin. Set once per request by the route families; read by the
 * services (through the `actor()` they are given) when they write an event.
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Principal } from "../core/access.ts";

const current = new AsyncLocalStorage<Principal>();

/** Runs `fn` as `principal`. */
export function runAs<T>(principal: Principal, fn: () => T): T {
  return current.run(principal, fn);
}

/** The current request's principal, if any. */
export function currentPrincipal(): Principal | undefined {
  return current.getStore();
}

/** The name events record for the current request (null outside one). */
export function currentActor(): string | null {
  return current.getStore()?.name ?? null;
}
