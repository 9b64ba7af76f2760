import { createHash } from "node:crypto";
import type { ObjectStore } from "../../functions/ports/object-store.ts";

/**
 * Key → sha256 of every object under the given zones: what tests compare to show two ways of ingesting wrote the
 * same bytes (rejects/ is left out where runs differ by their read time: its partition is the hour of the run).
 */
export async function objectHashes(
  store: ObjectStore,
  zones: readonly string[] = ["security/", "events/", "rejects/"],
): Promise<Record<string, string>> {
  const objects: Record<string, string> = {};
  for (const zone of zones) {
    for await (const info of store.list(zone)) {
      const body = await store.get(info.key);
      if (body === null) throw new Error(`${info.key} was listed but is gone`);
      objects[info.key] = createHash("sha256").update(body).digest("hex");
    }
  }
  return objects;
}
