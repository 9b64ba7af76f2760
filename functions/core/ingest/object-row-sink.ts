import type { RowSink, TableSchema } from "../../ports/table-encoder.ts";

/**
 * A row given value by value (a {@link RowSink}), collected into an object keyed by column name: the row objects of
 * rows.ts (`buildEvent`, `buildSecurityRow`) are made from the very calls that write the ingest pipeline's rows into
 * column batches, and encoders whose parts take objects only get their objects from it (partitioned-writer.ts).
 * `end()` hands the row to `onRow`; {@link ObjectRowSink.take} returns it instead.
 */
export class ObjectRowSink implements RowSink {
  private readonly size: number;
  private readonly make: (values: readonly unknown[]) => Record<string, unknown>;
  private values: unknown[];
  private column = 0;
  /** Where `end()` hands each row. */
  onRow: (row: Record<string, unknown>) => void = () => undefined;

  constructor(private readonly schema: TableSchema) {
    this.size = schema.columns.length;
    this.make = rowMakerFor(schema);
    this.values = new Array<unknown>(this.size);
  }

  string(value: string | null): RowSink {
    return this.put(value);
  }

  number(value: number | null): RowSink {
    return this.put(value);
  }

  bigint(value: bigint | null): RowSink {
    return this.put(value);
  }

  boolean(value: boolean | null): RowSink {
    return this.put(value);
  }

  end(): void {
    this.onRow(this.take());
  }

  /** Drops the values given since the last row (a row given halfway when something threw). */
  clear(): void {
    this.column = 0;
  }

  /** The row given since the last one; throws when a column had no value. */
  take(): Record<string, unknown> {
    const complete = this.column === this.size;
    this.column = 0;
    if (!complete) throw new Error(`${this.schema.name}: a row with fewer values than columns`);
    return this.make(this.values);
  }

  private put(value: unknown): this {
    if (this.column >= this.size) throw new Error(`${this.schema.name}: a row with more values than columns`);
    this.values[this.column++] = value;
    return this;
  }
}

const makers = new WeakMap<TableSchema, (values: readonly unknown[]) => Record<string, unknown>>();

/**
 * A function making a row object from its values as one object literal (the columns' names as constant keys, in the
 * schema's order): objects of one shape, made as fast as a literal written by hand (adding the properties one by
 * one by name took twice the time of the collector's whole event). Keys are JSON-quoted.
 */
function rowMakerFor(schema: TableSchema): (values: readonly unknown[]) => Record<string, unknown> {
  let make = makers.get(schema);
  if (make === undefined) {
    const fields = schema.columns.map((column, i) => `${JSON.stringify(column.name)}: v[${i}]`);
    make = new Function("v", `"use strict"; return { ${fields.join(", ")} };`) as (
      values: readonly unknown[],
    ) => Record<string, unknown>;
    makers.set(schema, make);
  }
  return make;
}
