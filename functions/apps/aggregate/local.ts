import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, rename, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DuckDbQueryEngine } from "../../adapters/local/duckdb-engine.ts";
import { LocalObjectStore, TEMP_PREFIX } from "../../adapters/local/object-store.ts";
import { ParquetEncoder } from "../../adapters/parquet/parquet-encoder.ts";
import { requireQuery } from "../../core/aggregate/catalog.ts";
import {
  buildManifest,
  type CompactionManifest,
  type CompactionPlan,
  canonicalInputs,
  classifyEventsObject,
  compactedName,
  type LooseObject,
  manifestName,
  parseManifest,
  planCompaction,
  type RowSource,
} from "../../core/aggregate/compaction.ts";
import { isIsoDay } from "../../core/aggregate/query-file.ts";
import {
  ROLLUPS,
  type RollupName,
  rollupParams,
  rollupQueryId,
  statsObjectKey,
  statsPartition,
} from "../../core/aggregate/rollups.ts";
import { duckDbCopyToParquet, sqlStringLiteral } from "../../core/aggregate/statements.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import { DAY_MS } from "../../core/time.ts";
import { EVENTS_SCHEMA } from "../../core/zones.ts";
import type { Clock } from "../../ports/clock.ts";
import type { ObjectInfo, ObjectStore } from "../../ports/object-store.ts";
import type { SqlParam } from "../../ports/query-engine.ts";
import type { ColumnType } from "../../ports/table-encoder.ts";
import { loadQueryCatalog, QUERIES_DIR } from "../../runtime/query-files.ts";
import { writeGoalsTable } from "./goals-table.ts";

/**
 * The aggregation job on one machine: for each requested day, compact the day's `events/` objects, then
 * recompute every rollup of that day from `events/` into `stats/<rollup>/dt=<day>/`, replacing the partition.
 * The SELECTs are the files `queries/rollup.<name>.sql`, the same text Athena runs inside UNLOAD.
 *
 * Idempotent: a rollup's day is one object with a fixed name whose bytes depend only on the day's events,
 * so running again, or after the same input was ingested again, leaves `stats/` byte-identical.
 * Listing and deleting go through the ObjectStore port; DuckDB reads and writes the files directly, writing to
 * a temporary name (ignored by the store and by the `*.parquet` globs) that is renamed into place.
 */

/** A rewrite plus the pass that confirms it, with room for one change by a concurrent ingestion. */
const MAX_COMPACTION_PASSES = 4;

export interface AggregateOptions {
  readonly lakeDir: string;
  /** The UTC days to recompute (`YYYY-MM-DD`), or `all`: every day that has events. */
  readonly days: readonly string[] | "all";
  readonly config: LogsieveConfig;
  /** Defaults to a LocalObjectStore over `lakeDir`. */
  readonly store?: ObjectStore;
  /** An open engine over the same lake (it stays open); by default one is opened and closed here. */
  readonly engine?: DuckDbQueryEngine;
  /** Decides which empty days are old enough that their stats must be kept (events expired). */
  readonly clock?: Clock;
  /** Where the query files are (tests only). */
  readonly queriesDir?: string;
}

export type DayOutcome =
  /** The day has events: every rollup was written. */
  | "aggregated"
  /** The day has no events (any more) and is within the events' retention: its stats partitions were removed. */
  | "removed"
  /** The day has no events because they expired (older than retention.eventsDays): its stats were kept. */
  | "kept"
  /** Neither events nor stats: nothing to do. */
  | "empty";

export interface CompactionSummary {
  readonly action: CompactionPlan["action"];
  /** Visible `*.parquet` objects in the day's events partition before and after. */
  readonly objectsBefore: number;
  readonly objectsAfter: number;
}

export interface DaySummary {
  readonly day: string;
  readonly outcome: DayOutcome;
  /** Rows in the day's events (after compaction). */
  readonly events: number;
  /** Rows written per rollup (empty unless aggregated). */
  readonly rollupRows: Partial<Record<RollupName, number>>;
  readonly compaction: CompactionSummary;
}

export interface AggregateSummary {
  readonly days: readonly DaySummary[];
  readonly aggregated: number;
  readonly removed: number;
  readonly seconds: number;
}

/** Recomputes `stats/` for the given days of a local lake. See the module comment. */
export async function aggregateDays(options: AggregateOptions): Promise<AggregateSummary> {
  const started = performance.now();
  const store = options.store ?? new LocalObjectStore(options.lakeDir);
  const clock: Clock = options.clock ?? { now: () => Date.now() };
  const catalog = loadQueryCatalog(options.queriesDir ?? QUERIES_DIR);
  const engine = options.engine ?? (await DuckDbQueryEngine.open({ lakeDir: options.lakeDir }));
  try {
    const days = options.days === "all" ? await daysWithEvents(store) : normalizeDays(options.days);
    // The goals rollup joins the configured goals: write them first (core/goals.ts).
    await writeGoalsTable(store, new ParquetEncoder(), options.config);
    const job = new DayJob(options.lakeDir, store, engine);
    const summaries: DaySummary[] = [];
    const oldestLiveDay = new Date(clock.now() - options.config.retention.eventsDays * DAY_MS)
      .toISOString()
      .slice(0, 10);
    for (const day of days) {
      const compaction = await job.compact(day);
      const events = await job.eventRows(day);
      if (compaction.objectsAfter === 0) {
        const hadStats = await job.hasStats(day);
        let outcome: DayOutcome = "empty";
        if (hadStats && day < oldestLiveDay) {
          outcome = "kept";
        } else if (hadStats) {
          await job.removeStats(day);
          outcome = "removed";
        }
        summaries.push({ day, outcome, events: 0, rollupRows: {}, compaction });
        continue;
      }
      const rollupRows: Partial<Record<RollupName, number>> = {};
      for (const rollup of ROLLUPS) {
        const definition = requireQuery(catalog, rollupQueryId(rollup));
        rollupRows[rollup] = await job.writeRollup(
          rollup,
          day,
          definition.select,
          rollupParams(definition, day, options.config.k),
        );
      }
      summaries.push({ day, outcome: "aggregated", events, rollupRows, compaction });
    }
    return {
      days: summaries,
      aggregated: summaries.filter((d) => d.outcome === "aggregated").length,
      removed: summaries.filter((d) => d.outcome === "removed").length,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (options.engine === undefined) await engine.close();
  }
}

function normalizeDays(days: readonly string[]): string[] {
  for (const day of days) {
    if (!isIsoDay(day)) throw new RangeError(`not a day: ${JSON.stringify(day)} (expected YYYY-MM-DD)`);
  }
  return [...new Set(days)].sort();
}

/** Every `dt=` value under `events/` that holds at least one object. */
async function daysWithEvents(store: ObjectStore): Promise<string[]> {
  const days = new Set<string>();
  for await (const info of store.list("events/dt=")) {
    const match = /^events\/dt=(\d{4}-\d{2}-\d{2})\//.exec(info.key);
    if (match !== null && info.key.endsWith(".parquet")) days.add(match[1] as string);
  }
  return [...days].sort();
}

const EVENT_COLUMNS = EVENTS_SCHEMA.columns.map((c) => `"${c.name}"`).join(", ");
/** DuckDB type of each column type: compacted objects keep the zone's declared types whatever the inputs used. */
const DUCKDB_TYPE: Readonly<Record<ColumnType, string>> = {
  string: "VARCHAR",
  int32: "INTEGER",
  int64: "BIGINT",
  double: "DOUBLE",
  boolean: "BOOLEAN",
  timestamp_ms: "TIMESTAMP_MS",
};
/**
 * The zone's columns read from files under `alias`, each cast to its declared type. A column none of the files has
 * (objects written before a column was added to the zone, such as the custom property columns) reads as NULL, as
 * Athena reads it over the same files.
 */
const qualified = (alias: string, present: ReadonlySet<string>): string =>
  EVENTS_SCHEMA.columns
    .map((c) =>
      present.has(c.name)
        ? `CAST(${alias}."${c.name}" AS ${DUCKDB_TYPE[c.type]}) AS "${c.name}"`
        : `CAST(NULL AS ${DUCKDB_TYPE[c.type]}) AS "${c.name}"`,
    )
    .join(", ");

class DayJob {
  constructor(
    private readonly lakeDir: string,
    private readonly store: ObjectStore,
    private readonly engine: DuckDbQueryEngine,
  ) {}

  private path(key: string): string {
    return join(this.lakeDir, ...key.split("/"));
  }

  private async list(prefix: string): Promise<ObjectInfo[]> {
    const infos: ObjectInfo[] = [];
    for await (const info of this.store.list(prefix)) infos.push(info);
    return infos;
  }

  /**
   * Compacts `events/dt=<day>/` (see core/aggregate/compaction.ts for the rules) until a pass finds nothing
   * left to do: only then does every input count once, so only then may the rollups read the day. A pass that
   * saw an object change under it (ingestion writing the same day) leaves everything as it was and the next pass
   * starts over; a day that keeps changing fails rather than be counted wrong.
   */
  async compact(day: string): Promise<CompactionSummary> {
    let first: CompactionSummary | undefined;
    let action: CompactionPlan["action"] = "none";
    for (let pass = 0; pass < MAX_COMPACTION_PASSES; pass++) {
      const result = await this.compactOnce(day);
      first ??= result;
      if (result.action !== "none" && action === "none") action = result.action;
      if (result.action === "none" && !result.retry) {
        return { action, objectsBefore: first.objectsBefore, objectsAfter: result.objectsAfter };
      }
    }
    throw new Error(
      `events/dt=${day} kept changing while it was being compacted (is it being ingested right now?); run aggregate again`,
    );
  }

  private async compactOnce(day: string): Promise<CompactionSummary & { retry: boolean }> {
    const partition = `events/dt=${day}/`;
    const listed = (await this.list(partition)).filter(
      (info) => !info.key.slice(partition.length).includes("/"),
    );
    const byName = new Map(listed.map((info) => [info.key.slice(partition.length), info]));
    const visible = (): number => [...byName.keys()].filter((n) => n.endsWith(".parquet")).length;
    const objectsBefore = visible();

    const manifests: CompactionManifest[] = [];
    const orphanManifests: string[] = [];
    const describedCompacted = new Set<string>();
    for (const name of byName.keys()) {
      const kind = classifyEventsObject(name);
      if (kind.kind !== "manifest") continue;
      const body = await this.store.get(`${partition}${name}`);
      const manifest = body === null ? null : parseManifest(new TextDecoder().decode(body));
      if (manifest !== null && manifest.file === compactedName(kind.digest) && byName.has(manifest.file)) {
        manifests.push(manifest);
        describedCompacted.add(manifest.file);
      } else {
        orphanManifests.push(name);
      }
    }
    // Small objects, and compacted objects whose manifest is missing (treated as one opaque input each).
    const looseNames = [...byName.keys()].filter((name) => {
      const kind = classifyEventsObject(name);
      return kind.kind === "loose" || (kind.kind === "compacted" && !describedCompacted.has(name));
    });
    const loose = await this.describeLoose(partition, looseNames);
    const plan = planCompaction(loose, manifests, orphanManifests);
    if (plan.action === "none")
      return { action: "none", objectsBefore, objectsAfter: objectsBefore, retry: false };

    const keep = new Set<string>();
    for (const target of plan.targets) {
      const digest = createHash("sha256").update(canonicalInputs(target.sources)).digest("hex").slice(0, 32);
      const file = compactedName(digest);
      keep.add(file);
      keep.add(manifestName(digest));
      // Already there from the same inputs and bytes (a whole open object, or a stopped run's): nothing to write.
      if (describedCompacted.has(file)) continue;
      const written = await this.writeCompacted(partition, day, file, digest, target.sources);
      // An input changed under us: what this pass wrote is complete with its manifest; the next pass plans again.
      if (!written) return { action: "none", objectsBefore, objectsAfter: objectsBefore, retry: true };
      byName.set(file, { key: `${partition}${file}`, size: 0, lastModified: 0 });
    }
    for (const name of [...plan.strayManifests, ...plan.deleteCompacted]) {
      if (keep.has(name)) continue;
      await this.store.delete(`${partition}${name}`);
      byName.delete(name);
    }
    for (const name of plan.deleteLoose) {
      if (keep.has(name)) continue;
      const listedInfo = byName.get(name);
      // An object rewritten since it was listed (the input ingested again meanwhile) is newer truth: keep it,
      // the next run takes it in place of the rows just compacted.
      if (listedInfo !== undefined && !(await this.unchanged(listedInfo))) continue;
      await this.store.delete(`${partition}${name}`);
      byName.delete(name);
    }
    return { action: plan.action, objectsBefore, objectsAfter: visible(), retry: false };
  }

  private async unchanged(info: ObjectInfo): Promise<boolean> {
    try {
      const now = await stat(this.path(info.key));
      return now.size === info.size && Math.floor(now.mtimeMs) === info.lastModified;
    } catch {
      return true; // already gone
    }
  }

  private async describeLoose(partition: string, names: readonly string[]): Promise<LooseObject[]> {
    if (names.length === 0) return [];
    const paths = names.map((name) => this.path(`${partition}${name}`));
    const counts = await this.engine.query(
      `SELECT file_name, num_rows FROM parquet_file_metadata([${paths.map(sqlStringLiteral).join(", ")}])`,
    );
    const rowsByPath = new Map(counts.rows.map((r) => [String(r.file_name), Number(r.num_rows)]));
    const objects: LooseObject[] = [];
    for (const [index, name] of names.entries()) {
      const body = await this.store.get(`${partition}${name}`);
      if (body === null) continue; // deleted meanwhile
      const kind = classifyEventsObject(name);
      const inputId = kind.kind === "loose" ? kind.inputId : name.slice(0, -".parquet".length);
      const part = kind.kind === "loose" ? kind.part : 0;
      const sha256 = createHash("sha256").update(body).digest("hex");
      objects.push({ name, inputId, part, sha256, rows: rowsByPath.get(paths[index] as string) ?? 0 });
    }
    return objects;
  }

  /** The column names the given Parquet files have between them (file paths as SQL literals). */
  private async columnsOf(literals: readonly string[]): Promise<Set<string>> {
    const result = await this.engine.query(
      `SELECT DISTINCT name FROM parquet_schema([${literals.join(", ")}]) WHERE num_children IS NULL OR num_children = 0`,
    );
    return new Set(result.rows.map((r) => String(r.name)));
  }

  private async writeCompacted(
    partition: string,
    day: string,
    file: string,
    digest: string,
    sources: readonly RowSource[],
  ): Promise<boolean> {
    // Small objects: one scan over all of them, each file mapped to its input's position and its part number.
    // Ranges of compacted objects: one scan per compacted object, each row mapped through its input's range.
    const selects: string[] = [];
    const looseFiles: { literal: string; row: string }[] = [];
    const ranges = new Map<string, string[]>();
    sources.forEach((source, sourceIndex) => {
      if (source.kind === "range") {
        const list = ranges.get(source.file) ?? [];
        list.push(`(${sourceIndex}, ${source.offset}, ${source.offset + source.rows})`);
        ranges.set(source.file, list);
      } else {
        source.parts.forEach((part, partIndex) => {
          const literal = sqlStringLiteral(this.path(`${partition}${part.name}`));
          looseFiles.push({ literal, row: `(${literal}, ${sourceIndex}, ${partIndex})` });
        });
      }
    });
    if (looseFiles.length > 0) {
      const present = await this.columnsOf(looseFiles.map((f) => f.literal));
      selects.push(
        `SELECT ${qualified("f", present)}, o.source AS __source, o.part AS __part, f.file_row_number AS __row ` +
          `FROM read_parquet([${looseFiles.map((f) => f.literal).join(", ")}], hive_partitioning = false, union_by_name = true, filename = true, file_row_number = true) AS f ` +
          `JOIN (VALUES ${looseFiles.map((f) => f.row).join(", ")}) AS o(path, source, part) ON f.filename = o.path`,
      );
    }
    for (const [file, list] of ranges) {
      const path = sqlStringLiteral(this.path(`${partition}${file}`));
      const present = await this.columnsOf([path]);
      selects.push(
        `SELECT ${qualified("f", present)}, r.source AS __source, 0 AS __part, f.file_row_number AS __row ` +
          `FROM read_parquet(${path}, hive_partitioning = false, file_row_number = true) AS f ` +
          `JOIN (VALUES ${list.join(", ")}) AS r(source, first_row, end_row) ` +
          `ON f.file_row_number >= r.first_row AND f.file_row_number < r.end_row`,
      );
    }
    const select = `SELECT ${EVENT_COLUMNS} FROM (\n${selects.join("\nUNION ALL\n")}\n) ORDER BY __source, __part, __row`;
    const manifest = buildManifest(day, file, sources);
    const expectedRows = manifest.inputs.reduce((sum, input) => sum + input.rows, 0);
    const target = this.path(`${partition}${file}`);
    const temp = join(dirname(target), `${TEMP_PREFIX}compact-${randomBytes(6).toString("hex")}`);
    try {
      await this.engine.execute(duckDbCopyToParquet(select, temp));
      const written = await this.engine.query(
        `SELECT num_rows FROM parquet_file_metadata(${sqlStringLiteral(temp)})`,
      );
      const rows = Number(written.rows[0]?.num_rows ?? -1);
      if (rows !== expectedRows) {
        // An object changed between being described and being read: replace nothing, look again.
        await unlink(temp);
        return false;
      }
      // The manifest first (hidden), then the object appears in one rename; replaced objects are deleted after.
      await this.store.put(
        `${partition}${manifestName(digest)}`,
        new TextEncoder().encode(`${JSON.stringify(manifest, null, 1)}\n`),
        {
          contentType: "application/json",
        },
      );
      await chmod(temp, 0o600);
      await rename(temp, target);
      return true;
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  async eventRows(day: string): Promise<number> {
    const result = await this.engine.query("SELECT count(*) AS n FROM events WHERE dt = ?", [
      { type: "date", value: day },
    ]);
    return Number(result.rows[0]?.n ?? 0);
  }

  async hasStats(day: string): Promise<boolean> {
    for (const rollup of ROLLUPS) {
      for await (const _info of this.store.list(statsPartition(rollup, day))) return true;
    }
    return false;
  }

  async removeStats(day: string): Promise<void> {
    for (const rollup of ROLLUPS) {
      for (const info of await this.list(statsPartition(rollup, day))) await this.store.delete(info.key);
    }
  }

  /** Writes one rollup's day as its single object and removes anything else in that partition. */
  async writeRollup(
    rollup: RollupName,
    day: string,
    select: string,
    params: readonly SqlParam[],
  ): Promise<number> {
    const key = statsObjectKey(rollup, day);
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    const temp = join(dirname(target), `${TEMP_PREFIX}${rollup}-${randomBytes(6).toString("hex")}`);
    let rows: number;
    try {
      await this.engine.execute(duckDbCopyToParquet(select, temp), params);
      const written = await this.engine.query(
        `SELECT num_rows FROM parquet_file_metadata(${sqlStringLiteral(temp)})`,
      );
      rows = Number(written.rows[0]?.num_rows ?? 0);
      await chmod(temp, 0o600);
      await rename(temp, target);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    for (const info of await this.list(statsPartition(rollup, day))) {
      if (info.key !== key) await this.store.delete(info.key);
    }
    return rows;
  }
}
