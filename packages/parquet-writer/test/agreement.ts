import { expect } from "vitest";
import type { ColumnType, TableSpec } from "../src/index.ts";
import {
  type ChunkStatistics,
  compareUtf8,
  type FileView,
  type Row,
  readWithArrow,
  readWithDuckDB,
  readWithHyparquet,
  statisticsOf,
  type Value,
} from "./readers.ts";

/** What a reader should give back for an input value: timestamps as numbers, int64 as bigint, strings as UTF-8. */
export function expectedValue(type: ColumnType, value: unknown): Value {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "int64":
      return BigInt(value as number | bigint);
    case "timestamp_ms":
      return Number(value as number | bigint);
    case "string":
      // Written as UTF-8: a lone surrogate cannot be, and becomes U+FFFD.
      return (value as string).replace(/\p{Cs}/gu, "\uFFFD");
    default:
      return value as Value;
  }
}

export function expectedRows(table: TableSpec, rows: readonly Readonly<Record<string, unknown>>[]): Row[] {
  return rows.map((r) =>
    Object.fromEntries(table.columns.map((c) => [c.name, expectedValue(c.type, r[c.name])])),
  );
}

/** The file as each of the three readers sees it. */
export async function readThree(
  bytes: Uint8Array,
  dir: string,
  name: string,
): Promise<readonly [FileView, FileView, FileView]> {
  const duck = await readWithDuckDB(bytes, dir, name);
  const hyparquet = await readWithHyparquet(bytes);
  const arrow = readWithArrow(bytes, hyparquet.rowGroupSizes.length);
  return [duck, hyparquet, arrow];
}

const utf8Length = (text: string): number => new TextEncoder().encode(text).length;

/**
 * A footer bound against the true one (from the values): equal when the footer calls it exact; otherwise a string
 * bound shortened to at most 16 bytes — the min a prefix of the true min, the max not below the true max. A true
 * string bound of at most 16 bytes must be exact.
 */
function expectBound(
  label: string,
  type: ColumnType,
  footer: string | undefined,
  exact: boolean,
  truth: string | undefined,
  side: "min" | "max",
): void {
  if (exact || truth === undefined || footer === undefined) {
    expect(footer, label).toBe(truth);
    return;
  }
  expect(type, `${label}: only strings are shortened`).toBe("string");
  const bound = footer.slice(2);
  const value = truth.slice(2);
  expect(utf8Length(value), `${label}: shortened though short`).toBeGreaterThan(16);
  expect(utf8Length(bound), label).toBeLessThanOrEqual(16);
  if (side === "min") expect(value.startsWith(bound), `${label}: min not a prefix`).toBe(true);
  else expect(compareUtf8(bound, value), `${label}: max below the true max`).toBeGreaterThanOrEqual(0);
}

/**
 * DuckDB's parquet_metadata() leaves out a double bound that is infinite (the footer holds it: hyparquet and the
 * values agree); the same statistics without such bounds, to compare with DuckDB's.
 */
function withoutInfiniteBounds(
  statistics: readonly Record<string, ChunkStatistics | null>[],
): Record<string, ChunkStatistics | null>[] {
  const infinite = (key: string | undefined): boolean => key === "f:Infinity" || key === "f:-Infinity";
  return statistics.map((group) =>
    Object.fromEntries(
      Object.entries(group).map(([name, s]) => {
        if (s === null) return [name, s];
        const { min, max, ...rest } = s;
        return [
          name,
          {
            ...rest,
            ...(infinite(min) ? {} : { min }),
            ...(infinite(max) ? {} : { max }),
          } as ChunkStatistics,
        ];
      }),
    ),
  );
}

export interface AgreementOptions {
  readonly rowGroupSize: number;
  /** Columns written without statistics (their footer entries must be absent). */
  readonly withoutStatistics?: readonly string[];
}

/**
 * The three views agree with each other and with the input: column types and nullability, every value, the row
 * groups, and per row group and column the footer's statistics (DuckDB and hyparquet read the same footer and must
 * report the same, but for {@link withoutInfiniteBounds}; they must match the statistics of the values arrow-rs
 * decodes for that row group, and of the input rows).
 */
export function expectAgreement(
  views: readonly FileView[],
  table: TableSpec,
  input: readonly Readonly<Record<string, unknown>>[],
  options: AgreementOptions,
): void {
  const columns = table.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }));
  const rows = expectedRows(table, input);
  const groups: number[] = [];
  for (let g = 0; g < input.length; g += options.rowGroupSize)
    groups.push(Math.min(options.rowGroupSize, input.length - g));
  const noStatistics = new Set(options.withoutStatistics ?? []);
  const [duck, hyparquet, arrow] = views as [FileView, FileView, FileView];
  for (const view of views) {
    expect(view.columns, `${view.reader}: columns`).toEqual(columns);
    expect(view.rows.length, `${view.reader}: rows`).toBe(rows.length);
    // Value by value (Object.is: NaN equals NaN, -0 differs from 0); the first differing row goes through expect,
    // which names it and shows the difference.
    const differs = rows.findIndex((row, i) =>
      table.columns.some((c) => !Object.is(view.rows[i]?.[c.name], row[c.name])),
    );
    if (differs >= 0) expect(view.rows[differs], `${view.reader}: row ${differs}`).toEqual(rows[differs]);
    expect(Object.keys(view.rows[0] ?? {}), `${view.reader}: row keys`).toEqual(
      rows.length === 0 ? [] : columns.map((c) => c.name),
    );
    expect(view.rowGroupSizes, `${view.reader}: row groups`).toEqual(groups);
  }
  expect(withoutInfiniteBounds(hyparquet.statistics), "DuckDB and hyparquet read the same footer").toEqual(
    duck.statistics,
  );
  let start = 0;
  groups.forEach((size, g) => {
    for (const c of table.columns) {
      const label = `row group ${g}, ${c.name}`;
      // The footer as hyparquet reads it (DuckDB's equals it but for infinite bounds, checked above).
      const footer = hyparquet.statistics[g]?.[c.name];
      if (noStatistics.has(c.name)) {
        expect(footer, `${label}: statistics were not asked for`).toBeNull();
        continue;
      }
      const fromInput = statisticsOf(
        c.type,
        rows.slice(start, start + size).map((r) => r[c.name] ?? null),
      );
      const decoded = arrow.statistics[g]?.[c.name] as ChunkStatistics;
      expect(decoded, `${label}: arrow-rs values`).toEqual(fromInput);
      expect(footer, `${label}: footer statistics`).toBeTruthy();
      const stats = footer as ChunkStatistics;
      expect(stats.nulls, `${label}: null count`).toBe(fromInput.nulls);
      expectBound(`${label}: min`, c.type, stats.min, stats.minExact, fromInput.min, "min");
      expectBound(`${label}: max`, c.type, stats.max, stats.maxExact, fromInput.max, "max");
    }
    start += size;
  });
}
