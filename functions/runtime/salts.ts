import { ObjectStoreSaltStore } from "../adapters/salt/object-store-salt-store.ts";
import type { LogsieveConfig } from "../core/config.ts";
import { HOUR_MS } from "../core/time.ts";
import type { Clock } from "../ports/clock.ts";
import type { ObjectStore } from "../ports/object-store.ts";

/**
 * The daily salts, wired once for every use case and both runtimes: objects under `salts/` of the store that
 * holds the analytics zones, living `retention.saltHours` (48 h by default) after their creation.
 */
export function saltStoreFor(store: ObjectStore, clock: Clock, config: LogsieveConfig): ObjectStoreSaltStore {
  return new ObjectStoreSaltStore(store, clock, undefined, { maxAgeMs: saltLifetimeMs(config) });
}

export function saltLifetimeMs(config: LogsieveConfig): number {
  return config.retention.saltHours * HOUR_MS;
}
