import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParquetEncoder } from "../../functions/adapters/parquet/parquet-encoder.ts";
import { generateSampleLog } from "../../functions/apps/demo/sample-log.ts";
import { EVENTS_SCHEMA, REJECTS_SCHEMA, SECURITY_SCHEMA } from "../../functions/core/zones.ts";
import type { TableSchema } from "../../functions/ports/table-encoder.ts";
// The Parquet writer package's three-reader harness (its test support, not part of the package's exports).
import { expectAgreement, readThree } from "../../packages/parquet-writer/test/agreement.ts";
import { closeDuckDB } from "../../packages/parquet-writer/test/readers.ts";

/**
 * Every Parquet file of a lake made by a real `logsieve ingest` (the CLI, on a generated log with malformed lines),
 * read by DuckDB, hyparquet and arrow-rs: the three give the same rows and the zone's column types, and each file's
 * statistics are those of its values (agreement.ts in packages/parquet-writer/test). The rows add up to the
 * ingest's own counts.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const HOUR_MS = 3_600_000;
const ZONES: Record<string, TableSchema> = {
  events: EVENTS_SCHEMA,
  security: SECURITY_SCHEMA,
  rejects: REJECTS_SCHEMA,
};

async function parquetFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".parquet"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

let dir: string;
let lake: string;
let summary: { accepted: number; rejected: { total: number }; objectsWritten: number };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-lake-readers-"));
  lake = join(dir, "lake");
  const log = join(dir, "access.log");
  // A day of a busy site ending an hour ago: several hours of security/, two days of events/, rejects.
  const now = Date.now();
  const lines = generateSampleLog({
    seed: 13,
    lines: 20_000,
    startMs: now - 25 * HOUR_MS,
    spanMs: 23 * HOUR_MS,
    clients: 800,
    malformedShare: 0.01,
    varietyOfAgents: true,
  });
  await writeFile(log, `${[...lines].join("\n")}\n`);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT, "bin/logsieve.js"), "--lake", lake, "ingest", "--json", log],
    { cwd: ROOT, maxBuffer: 16 << 20 },
  );
  const file = (JSON.parse(stdout) as { files: (typeof summary)[] }).files[0];
  if (file === undefined) throw new Error("logsieve ingest printed no summary");
  summary = file;
});

afterAll(async () => {
  closeDuckDB();
  await rm(dir, { recursive: true, force: true });
});

describe("a lake from logsieve ingest, through three Parquet readers", () => {
  it("reads every file the same with DuckDB, hyparquet and arrow-rs, rows adding up to the ingest's counts", async () => {
    // Prepare
    const files = await parquetFiles(lake);
    const encoder = new ParquetEncoder();
    const rowsByZone: Record<string, number> = { events: 0, security: 0, rejects: 0 };
    // Act, Assess (per file)
    for (const path of files) {
      const key = relative(lake, path);
      const zone = key.split("/")[0] as string;
      const schema = ZONES[zone];
      if (schema === undefined) throw new Error(`${key}: not a zone of the ingest`);
      const table = encoder.tableOf(schema);
      const views = await readThree(new Uint8Array(await readFile(path)), dir, "read.parquet");
      // The values DuckDB gives are what the other two must give; every view's statistics must be those values'.
      expectAgreement(views, table, views[0].rows, {
        rowGroupSize: 100_000,
        withoutStatistics: table.columns.filter((c) => c.statistics === false).map((c) => c.name),
      });
      expect(views[0].rows.length, key).toBeGreaterThan(0);
      rowsByZone[zone] = (rowsByZone[zone] ?? 0) + views[0].rows.length;
    }
    // Assess (the lake)
    expect(files.length).toBe(summary.objectsWritten);
    expect(new Set(files.map((f) => relative(lake, f).split("/")[0]))).toEqual(
      new Set(["events", "security", "rejects"]),
    );
    expect(rowsByZone.security).toBe(summary.accepted);
    expect(rowsByZone.rejects).toBe(summary.rejected.total);
    expect(rowsByZone.events).toBeGreaterThan(summary.accepted / 2);
    expect(rowsByZone.events).toBeLessThanOrEqual(summary.accepted);
  });
});
