import { GOALS_OBJECT_KEY, GOALS_SCHEMA, goalRows } from "../../core/goals.ts";
import type { ObjectStore } from "../../ports/object-store.ts";
import type { TableEncoder } from "../../ports/table-encoder.ts";

/**
 * The configured goals as the table `goals` (`goals/goals.parquet`) that `queries/rollup.goals.sql` joins with the
 * events: written before the rollups run, locally and on S3 alike, and only when its bytes change (the encoder's
 * output depends on the rows alone), so re-running the job rewrites nothing. A configuration without goals writes
 * an empty table: the rollup then finds no conversions.
 */
export async function writeGoalsTable(
  store: ObjectStore,
  encoder: TableEncoder,
  config: Parameters<typeof goalRows>[0],
): Promise<boolean> {
  const body = encoder.encode(GOALS_SCHEMA, goalRows(config) as unknown as Record<string, unknown>[]);
  const current = await store.get(GOALS_OBJECT_KEY);
  if (current !== null && Buffer.from(current).equals(Buffer.from(body))) return false;
  await store.put(GOALS_OBJECT_KEY, body, { contentType: "application/vnd.apache.parquet" });
  return true;
}
