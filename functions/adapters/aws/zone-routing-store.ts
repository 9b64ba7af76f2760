import type { Zone } from "../../core/zones.ts";
import { ZONES } from "../../core/zones.ts";
import type { ObjectInfo, ObjectStore, PutOptions } from "../../ports/object-store.ts";

/**
 * One ObjectStore over several buckets: a key's first segment is its zone, and each zone lives in the
 * bucket chosen for its sensitivity (raw: incoming/security/rejects/evidence with Object Lock and the raw
 * KMS key; analytics: events/stats/salts). The pipeline keeps thinking in one lake.
 */
export class ZoneRoutingStore implements ObjectStore {
  constructor(private readonly storeOf: Readonly<Record<Zone, ObjectStore>>) {}

  put(key: string, body: Uint8Array, options?: PutOptions): Promise<void> {
    return this.route(key).put(key, body, options);
  }

  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    return this.route(key).putIfAbsent(key, body, options);
  }

  get(key: string): Promise<Uint8Array | null> {
    return this.route(key).get(key);
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.route(prefix).list(prefix);
  }

  delete(key: string): Promise<void> {
    return this.route(key).delete(key);
  }

  private route(key: string): ObjectStore {
    const zone = key.slice(0, key.indexOf("/"));
    if (!(ZONES as readonly string[]).includes(zone)) {
      throw new Error(`object key "${key}" is outside the lake's zones (${ZONES.join(", ")})`);
    }
    return this.storeOf[zone as Zone];
  }
}
