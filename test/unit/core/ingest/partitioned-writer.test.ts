import { describe, expect, it } from "vitest";
import { ParquetEncoder } from "../../../../functions/adapters/parquet/parquet-encoder.ts";
import { intentRecorder } from "../../../../functions/core/ingest/intent-recorder.ts";
import {
  PartitionedWriter,
  type PartitionedWriterOptions,
} from "../../../../functions/core/ingest/partitioned-writer.ts";
import { EVENTS_SCHEMA } from "../../../../functions/core/zones.ts";
import type { ObjectInfo, ObjectStore } from "../../../../functions/ports/object-store.ts";
import type {
  RowSink,
  TableEncoder,
  TablePart,
  TableSchema,
} from "../../../../functions/ports/table-encoder.ts";
import { eventRows } from "../../../helpers/parquet-rows.ts";

const SCHEMA: TableSchema = { name: "t", columns: [{ name: "n", type: "int32", nullable: false }] };

/** Rows as JSON text: what each object holds can be read back. */
const encoder: TableEncoder = {
  extension: "json",
  encode: (_schema, rows) => new TextEncoder().encode(JSON.stringify(rows.map((r) => r.n))),
};

/** Keeps every put (key → the row numbers it holds), in the order they were stored. */
class RecordingStore implements ObjectStore {
  readonly objects = new Map<string, number[]>();
  async put(key: string, body: Uint8Array): Promise<void> {
    this.objects.set(key, JSON.parse(new TextDecoder().decode(body)) as number[]);
  }
  async putIfAbsent(): Promise<boolean> {
    return true;
  }
  async get(): Promise<Uint8Array | null> {
    return null;
  }
  async *list(): AsyncIterable<ObjectInfo> {}
  async delete(): Promise<void> {}
}

function writerWith(store: RecordingStore, options: Partial<PartitionedWriterOptions>): PartitionedWriter {
  return new PartitionedWriter({
    store,
    encoder,
    schema: SCHEMA,
    inputId: "in",
    rowsPerPart: 1000,
    maxBufferedRows: 1000,
    ...options,
  });
}

/** Adds rows `n` to partitions `p`, awaiting whenever the writer asks to. */
async function addAll(writer: PartitionedWriter, rows: readonly [string, number][]): Promise<void> {
  for (const [partition, n] of rows) await writer.add(partition, { n });
}

describe("PartitionedWriter: open partitions", () => {
  it("writes one object per partition when the input comes back to its partitions within the idle limit", async () => {
    // Prepare: three hours written three times over, as a log concatenated with itself.
    const store = new RecordingStore();
    const writer = writerWith(store, { maxOpenPartitions: 128, idlePartitionRows: 100 });
    const once: [string, number][] = [
      ["h0/", 1],
      ["h0/", 2],
      ["h1/", 3],
      ["h2/", 4],
      ["h2/", 5],
    ];

    // Act
    await addAll(writer, [...once, ...once.map(([p, n]): [string, number] => [p, n + 10]), ...once]);
    const result = await writer.finish();

    // Assess
    expect(Object.fromEntries(store.objects)).toEqual({
      "h0/in-0000.json": [1, 2, 11, 12, 1, 2],
      "h1/in-0000.json": [3, 13, 3],
      "h2/in-0000.json": [4, 5, 14, 15, 4, 5],
    });
    expect(result.rows).toBe(15);
  });

  it("asks the intent of every partition its finish opens at once: one checkpoint write for a day of hours", async () => {
    // Prepare: a small log of one day, one row per hour, every part written at the finish; the intent recorded as
    // the ingest records it, each write stored at once (as the local lake's checkpoint is, synchronously).
    const store = new RecordingStore();
    const intents: (readonly string[])[] = [];
    const record = intentRecorder([], async (partitions) => {
      intents.push(partitions);
    });
    const writer = writerWith(store, {
      maxOpenPartitions: 128,
      idlePartitionRows: 100,
      beforeFirstPart: (partition) => record(partition, null),
    });
    const hours = Array.from({ length: 24 }, (_, h): [string, number] => [`h${h}/`, h]);

    // Act
    await addAll(writer, hours);
    await writer.finish();

    // Assess: every part stored, after one intent naming all 24 hours.
    expect(store.objects.size).toBe(24);
    expect(intents).toEqual([hours.map(([partition]) => partition)]);
  });

  it("writes the least recently used partition once it has received no row for the idle limit, when another opens", async () => {
    // Prepare
    const store = new RecordingStore();
    const writer = writerWith(store, { maxOpenPartitions: 128, idlePartitionRows: 3 });

    // Act: a (rows 1–2), b opens (a idle 1 row: kept), b (3 rows), c opens (a idle 5 rows: written)
    await addAll(writer, [
      ["a/", 1],
      ["a/", 2],
      ["b/", 3],
      ["b/", 4],
      ["b/", 5],
      ["b/", 6],
    ]);
    const beforeC = [...store.objects.keys()];
    await addAll(writer, [["c/", 7]]);
    const afterC = [...store.objects.keys()];
    await addAll(writer, [["a/", 8]]); // a reopens: its second part
    await writer.finish();

    // Assess
    expect(beforeC).toEqual([]);
    expect(afterC).toEqual(["a/in-0000.json"]);
    expect(store.objects.get("a/in-0000.json")).toEqual([1, 2]);
    expect(store.objects.get("a/in-0001.json")).toEqual([8]);
    expect(store.objects.get("b/in-0000.json")).toEqual([3, 4, 5, 6]);
    expect(store.objects.get("c/in-0000.json")).toEqual([7]);
  });

  it("still writes the least recently used partition when more than the limit are open, idle or not", async () => {
    // Prepare
    const store = new RecordingStore();
    const writer = writerWith(store, { maxOpenPartitions: 2, idlePartitionRows: 1_000_000 });

    // Act
    await addAll(writer, [
      ["a/", 1],
      ["b/", 2],
      ["a/", 3],
      ["c/", 4],
    ]);
    const written = [...store.objects.keys()];
    await writer.finish();

    // Assess: b received a row less recently than a
    expect(written).toEqual(["b/in-0000.json"]);
    expect(store.objects.get("a/in-0000.json")).toEqual([1, 3]);
  });
});

/** Keeps every put as it is. */
class BytesStore extends RecordingStore {
  readonly bodies = new Map<string, Uint8Array>();
  override async put(key: string, body: Uint8Array): Promise<void> {
    this.bodies.set(key, body);
  }
}

describe("PartitionedWriter: memory of open partitions", () => {
  it("writes the partition a new one pushes out before the new part takes its column batch, given back to it", async () => {
    // Prepare: the encoder's parts, each start and finish recorded with what the encoder's pool held then
    const real = new ParquetEncoder({ rowGroupSize: 1_000 });
    const calls: string[] = [];
    const spying: TableEncoder = {
      extension: real.extension,
      encode: (schema, objects) => real.encode(schema, objects),
      startPart: (schema, expectedRows) => {
        calls.push(`start, pool ${real.batches.bytesHeld > 0 ? "holds a batch" : "empty"}`);
        const part = real.startPart(schema, expectedRows);
        return {
          get rows() {
            return part.rows;
          },
          get bytesHeld() {
            return part.bytesHeld;
          },
          add: (row) => part.add(row),
          sink: part.sink,
          finish: () => {
            calls.push("finish");
            return part.finish();
          },
        };
      },
    };
    const writer = new PartitionedWriter({
      store: new BytesStore(),
      encoder: spying,
      schema: EVENTS_SCHEMA,
      inputId: "in",
      rowsPerPart: 1_000,
      maxBufferedRows: 1_000,
      maxOpenPartitions: 128,
      idlePartitionRows: 3,
    });
    const rows = eventRows(7);

    // Act: a (2 rows), b (4 rows: a idle), c opens and pushes a out
    const days = ["a", "a", "b", "b", "b", "b", "c"];
    for (const [i, row] of rows.entries()) await writer.add(`events/dt=${days[i]}/`, row);
    const poolAfterC = real.batches.bytesHeld;
    await writer.finish();

    // Assess: a was written (its batch given back) before c's part started, which took that batch
    expect(calls.slice(0, 4)).toEqual([
      "start, pool empty",
      "start, pool empty",
      "finish",
      "start, pool holds a batch",
    ]);
    expect(poolAfterC).toBe(0);
  });

  it("holds each open partition's full row groups encoded, and writes the bytes of the part encoded at once", async () => {
    // Prepare: three days open side by side, rows interleaved, each day far past one row group before it is written
    const group = 1_000;
    const rows = eventRows(24 * group);
    const real = new ParquetEncoder({ rowGroupSize: group });
    const parts: TablePart[] = [];
    const spying: TableEncoder = {
      extension: real.extension,
      encode: (schema, objects) => real.encode(schema, objects),
      startPart: (schema, expectedRows) => {
        const part = real.startPart(schema, expectedRows);
        parts.push(part);
        return part;
      },
    };
    const store = new BytesStore();
    const writer = new PartitionedWriter({
      store,
      encoder: spying,
      schema: EVENTS_SCHEMA,
      inputId: "in",
      rowsPerPart: 100 * group,
      maxBufferedRows: 100 * group,
    });
    const oneGroup = real.startBatch(EVENTS_SCHEMA, group);
    for (const row of rows.slice(0, group)) oneGroup.add(row);

    // Act: the most bytes each open part held at any time
    const most = new Map<TablePart, number>();
    for (const [i, row] of rows.entries()) {
      await writer.add(`events/dt=2026-11-2${i % 3}/`, row);
      for (const part of parts) most.set(part, Math.max(most.get(part) ?? 0, part.bytesHeld));
    }
    await writer.finish();

    // Assess: per part, never more than its object's bytes and one row group as columns
    expect(parts).toHaveLength(3);
    const keys = [...store.bodies.keys()].sort();
    expect(keys).toEqual([0, 1, 2].map((d) => `events/dt=2026-11-2${d}/in-0000.parquet`));
    keys.forEach((key, d) => {
      const body = store.bodies.get(key) as Uint8Array;
      const part = parts[d] as TablePart;
      expect(most.get(part)).toBeLessThanOrEqual(body.byteLength + oneGroup.bytesHeld);
      const dayRows = rows.filter((_, i) => i % 3 === d);
      expect(Buffer.from(body).equals(Buffer.from(real.encode(EVENTS_SCHEMA, dayRows)))).toBe(true);
    });
  });
});

describe("PartitionedWriter: rows given value by value", () => {
  /** Each value of `row` given to the sink by its column's type, in the schema's order. */
  function give(sink: RowSink, schema: TableSchema, row: Readonly<Record<string, unknown>>): void {
    for (const column of schema.columns) {
      const value = row[column.name] ?? null;
      if (typeof value === "bigint") sink.bigint(value);
      else if (column.type === "string") sink.string(value as string | null);
      else if (column.type === "boolean") sink.boolean(value as boolean | null);
      else sink.number(value as number | null);
    }
  }

  it("writes the same objects as rows added as objects, into the encoder's parts or as objects", async () => {
    // Prepare: events over three days, interleaved, with parts of 2,500 rows; and the JSON encoder (objects only)
    const rows = eventRows(9_000);
    const parquet = (): PartitionedWriter =>
      new PartitionedWriter({
        store: byValue,
        encoder: new ParquetEncoder({ rowGroupSize: 1_000 }),
        schema: EVENTS_SCHEMA,
        inputId: "in",
        rowsPerPart: 2_500,
        maxBufferedRows: 6_000,
      });
    const byObject = new BytesStore();
    const byValue = new BytesStore();
    const objects = new PartitionedWriter({
      store: byObject,
      encoder: new ParquetEncoder({ rowGroupSize: 1_000 }),
      schema: EVENTS_SCHEMA,
      inputId: "in",
      rowsPerPart: 2_500,
      maxBufferedRows: 6_000,
    });
    const values = parquet();
    const jsonByObject = new RecordingStore();
    const jsonByValue = new RecordingStore();
    const jsonObjects = writerWith(jsonByObject, { rowsPerPart: 70 });
    const jsonValues = writerWith(jsonByValue, { rowsPerPart: 70 });
    // Act
    for (const [i, row] of rows.entries()) {
      const partition = `events/dt=2026-11-2${i % 3}/`;
      await objects.add(partition, row);
      give(values.row(partition), EVENTS_SCHEMA, row);
      await values.endRow();
      await jsonObjects.add(`h${i % 4}/`, { n: i });
      jsonValues.row(`h${i % 4}/`).number(i);
      await jsonValues.endRow();
    }
    const summaries = [await objects.finish(), await values.finish()];
    await jsonObjects.finish();
    await jsonValues.finish();
    // Assess
    expect(summaries[1]).toEqual(summaries[0]);
    expect([...byValue.bodies.keys()].sort()).toEqual([...byObject.bodies.keys()].sort());
    expect(byValue.bodies.size).toBe(6);
    for (const [key, body] of byObject.bodies)
      expect(Buffer.from(byValue.bodies.get(key) as Uint8Array).equals(Buffer.from(body))).toBe(true);
    expect([...jsonByValue.objects]).toEqual([...jsonByObject.objects]);
  });

  it("refuses a row started before the last one ended, and a row with a value missing", () => {
    // Prepare
    const writer = writerWith(new RecordingStore(), {});
    writer.row("h0/");
    // Act, Assess
    expect(() => writer.add("h0/", { n: 1 })).toThrow("a row was started and not ended");
    const other = writerWith(new RecordingStore(), {});
    other.row("h0/");
    expect(() => other.endRow()).toThrow("fewer values than columns");
  });
});

/** A store whose puts land only when the test lets them: what the writer does while parts are in flight. */
class GatedStore extends RecordingStore {
  readonly waiting: { key: string; land: () => void }[] = [];
  override put(key: string, body: Uint8Array): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push({ key, land: () => super.put(key, body).then(resolve) });
    });
  }
}

describe("PartitionedWriter: parts in flight", () => {
  /** Adds one row; true when the writer asked the caller to wait. */
  const addOne = (writer: PartitionedWriter, partition: string, n: number): boolean =>
    writer.add(partition, { n }) !== undefined;

  it("goes on without waiting while the parts being stored hold no more than maxRowsInFlight rows", async () => {
    // Prepare: hours of 3 rows each, written when the next opens; puts that never land until released.
    const store = new GatedStore();
    const writer = writerWith(store, { maxOpenPartitions: 1, maxRowsInFlight: 12 });

    // Act: four hours written one after the other, none of their puts landed.
    const waits: boolean[] = [];
    for (let hour = 0; hour < 5; hour++) {
      for (let n = 0; n < 3; n++) waits.push(addOne(writer, `h${hour}/`, hour * 10 + n));
    }
    await Promise.resolve();

    // Assess: 12 rows in four parts in flight and never a wait; a fifth part (15 rows) is one too many.
    expect(waits.every((waited) => !waited)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.waiting.map((each) => each.key)).toEqual([
      "h0/in-0000.json",
      "h1/in-0000.json",
      "h2/in-0000.json",
      "h3/in-0000.json",
    ]);
    expect(addOne(writer, "h5/", 50)).toBe(true);
    for (const each of store.waiting.splice(0)) each.land();
    const finished = writer.finish();
    await new Promise((resolve) => setImmediate(resolve));
    for (const each of store.waiting.splice(0)) each.land();
    await finished;
    expect(store.objects.get("h4/in-0000.json")).toEqual([40, 41, 42]);
    expect(store.objects.get("h5/in-0000.json")).toEqual([50]);
  });

  it("waits for the part in flight before the next one without maxRowsInFlight (one part in flight)", async () => {
    // Prepare
    const store = new GatedStore();
    const writer = writerWith(store, { maxOpenPartitions: 1 });

    // Act: the second hour's first row writes the first hour; the third hour's writes the second: one too many.
    const waits = [addOne(writer, "h0/", 0), addOne(writer, "h1/", 10), addOne(writer, "h2/", 20)];

    // Assess
    expect(waits).toEqual([false, false, true]);
  });
});
