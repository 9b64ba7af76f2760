import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DuckDbQueryEngine } from "../../functions/adapters/local/duckdb-engine.ts";
import { LocalObjectStore } from "../../functions/adapters/local/object-store.ts";
import { ParquetEncoder } from "../../functions/adapters/parquet/parquet-encoder.ts";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { generateSampleLog } from "../../functions/apps/demo/sample-log.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { createEnricher } from "../../functions/core/enrich/enrich.ts";
import { FixedClock } from "../../functions/ports/clock.ts";
import { NO_GEO } from "../../functions/ports/geo.ts";
import type { ObjectStore } from "../../functions/ports/object-store.ts";
import { type IngestEnvironment, ingestOnce } from "../helpers/fault-schedules.ts";
import { faultError } from "../helpers/faulty-store.ts";

/**
 * A compaction run that stops while deleting the small objects it has just folded in (S3 throttling the delete, a
 * crash, a timeout) leaves some parts of an input behind. Those leftovers are bytes the compacted object already
 * holds: the next run must delete them, not take them as the input's new truth (which would drop the input's other
 * parts from the day). Found by test/reliability/storage-faults-local.test.ts.
 */

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const DAY = "2026-11-20";
const dirs: string[] = [];

const env: IngestEnvironment = {
  config: parseConfig({ sites: ["example.com"], ingest: { rowsPerPart: 1000 } }),
  enrich: createEnricher(NO_GEO),
  encoder: new ParquetEncoder(),
  clock: new FixedClock(NOW),
};

function log(seed: number, lines: number): Uint8Array {
  const text = [
    ...generateSampleLog({
      seed,
      lines,
      startMs: Date.UTC(2026, 10, 20, 0, 0, 0),
      spanMs: 20 * 3_600_000,
      clients: 100,
      malformedShare: 0,
    }),
  ];
  return new TextEncoder().encode(`${text.join("\n")}\n`);
}

async function eventsOfDay(lakeDir: string): Promise<number> {
  const engine = await DuckDbQueryEngine.open({ lakeDir, threads: 1 });
  try {
    const result = await engine.query("SELECT count(*) AS n FROM events WHERE dt = ?", [
      { type: "date", value: DAY },
    ]);
    return Number(result.rows[0]?.n);
  } finally {
    await engine.close();
  }
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("compaction interrupted while deleting what it folded in", () => {
  it("keeps every row of a multi-part input when the run stops after deleting only some of its parts", async () => {
    // Prepare: one day, input A in two parts (1,500 rows, rowsPerPart 1,000), input B in one.
    const lakeDir = await mkdtemp(join(tmpdir(), "logsieve-compaction-"));
    dirs.push(lakeDir);
    const lake = new LocalObjectStore(lakeDir);
    await ingestOnce({ store: lake, input: log(1, 1500), inputId: "a", env });
    await ingestOnce({ store: lake, input: log(2, 200), inputId: "b", env });
    const before = await eventsOfDay(lakeDir);
    const keys: string[] = [];
    for await (const info of lake.list(`events/dt=${DAY}/`)) keys.push(info.key);
    // The run fails on deleting A's second part: S3 answers 503 SlowDown to that one call.
    let refused = 0;
    const throttled: ObjectStore = {
      put: (key, body, options) => lake.put(key, body, options),
      putIfAbsent: (key, body, options) => lake.putIfAbsent(key, body, options),
      get: (key) => lake.get(key),
      list: (prefix) => lake.list(prefix),
      delete: async (key) => {
        if (key.endsWith("/a-0001.parquet") && refused++ === 0) {
          throw faultError("throttle", "delete", key);
        }
        await lake.delete(key);
      },
    };

    // Act
    const interrupted = await aggregateDays({
      lakeDir,
      days: [DAY],
      config: env.config,
      clock: env.clock,
      store: throttled,
    })
      .then(() => "completed")
      .catch(() => "failed");
    await aggregateDays({ lakeDir, days: [DAY], config: env.config, clock: env.clock });

    // Assess
    expect(keys.map((k) => k.slice(`events/dt=${DAY}/`.length))).toEqual([
      "a-0000.parquet",
      "a-0001.parquet",
      "b-0000.parquet",
    ]);
    expect(before).toBe(1700);
    expect(interrupted).toBe("failed");
    expect(refused).toBe(1);
    expect(await eventsOfDay(lakeDir)).toBe(before);
  }, 60_000);
});
