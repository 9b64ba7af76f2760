import type { RowSink, TableSchema } from "../../ports/table-encoder.ts";

/**
 * A row given value by value (a {@link RowSink}), collected into an object keyed by column name: the row objects of
 * rows.ts (`buildEvent`, `buildSecurityRow`) are made from the very calls that write the ingest pipeline's rows into
 * column batches, and encoders whose parts take objects only get their objects from it (partitioned-writer.ts).
 * `end()` hands the row to `onRow`; {@link ObjectRowSink.take} returns it instead.
 */
export class ObjectRowSink implements RowSink {
  private readonly names: readonly string[];
  private values: Record<string, unknown> = {};
  private column = 0;
  /** Where `end()` hands each row. */
  onRow: (row: Record<string, unknown>) => void = () => undefined;

  constructor(private readonly schema: TableSchema) {
    this.names = schema.columns.map((column) => column.name);
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

  /** The row given since the last one; throws when a column had no value. */
  take(): Record<string, unknown> {
    const row = this.values;
    const complete = this.column === this.names.length;
    this.values = {};
    this.column = 0;
    if (!complete) throw new Error(`${this.schema.name}: a row with fewer values than columns`);
    return row;
  }

  private put(value: unknown): this {
    const name = this.names[this.column++];
    if (name === undefined) throw new Error(`${this.schema.name}: a row with more values than columns`);
    this.values[name] = value;
    return this;
  }
}
