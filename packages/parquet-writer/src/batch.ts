import { Buffer } from "node:buffer";
import { type ColumnSpec, type ColumnType, checkTable, type TableSpec } from "./table.ts";

/**
 * Rows collected column by column for one Parquet file: a {@link ColumnBatch} is filled row after row, and nothing
 * per row survives but its values, stored the way the file will hold them:
 *
 * - strings collected as `codes` (columns whose values repeat as the very same string objects): one code per row
 *   (0 = null) and the distinct values in order of first appearance;
 * - strings collected as `bytes`: their UTF-8 bytes, back to back in one growing buffer, and each row's end offset
 *   (the writer builds a dictionary from them if the column wants one, possibly on another thread);
 * - int32 / double / timestamp / boolean: typed arrays; int64: little-endian 64-bit words (from numbers or bigints);
 * - for nullable columns (but `codes`), one byte per row (1 = a value, 0 = null).
 *
 * Everything depends on the rows and their order only, so the same rows give the same file.
 *
 * {@link ColumnBatch.finish} gives the finished columns as plain data (typed arrays, arrays of strings): what the
 * writer reads, and what can be posted to a worker thread with the typed arrays' buffers transferred
 * ({@link batchBuffers}).
 */

type StringMode = "codes" | "bytes";

/** A finished column, plain data only (it can cross threads). `defined` is null for required columns. */
export type ColumnData =
  | {
      readonly kind: "dict";
      /** No `defined` flags: code 0 is null. */
      readonly defined: null;
      readonly nullable: boolean;
      /** Per row, 0 for null or 1 + the index of its value in `dictionary`; as narrow as the dictionary allows. */
      readonly codes: Codes;
      readonly dictionary: readonly string[];
    }
  | {
      readonly kind: "bytes";
      readonly defined: Uint8Array | null;
      readonly data: Uint8Array;
      /** Per row, the end offset of its bytes in `data` (a null has zero length). */
      readonly ends: Int32Array;
    }
  | { readonly kind: "int32"; readonly defined: Uint8Array | null; readonly values: Int32Array }
  /** Little-endian signed 64-bit words, two uint32 per row (low word first). */
  | { readonly kind: "int64"; readonly defined: Uint8Array | null; readonly words: Uint32Array }
  | { readonly kind: "double"; readonly defined: Uint8Array | null; readonly values: Float64Array }
  | { readonly kind: "boolean"; readonly defined: Uint8Array | null; readonly values: Uint8Array };

/** Dictionary codes: one byte per row while the dictionary has fewer than 255 values, then two, then four. */
export type Codes = Uint8Array | Uint16Array | Int32Array;

export interface BatchData {
  readonly table: string;
  readonly rows: number;
  readonly columns: readonly ColumnData[];
}

/** Thrown for a value the schema does not allow; names the table, column and row, never the value. */
export class EncodeError extends Error {
  constructor(table: string, column: string, row: number, problem: string) {
    super(`cannot encode ${table} row ${row}, column "${column}": ${problem}`);
    this.name = "EncodeError";
  }
}

const PROBLEMS = [
  "is null or missing but the column is not nullable",
  "expected a string",
  "expected a boolean",
  "expected a number",
  "expected a 32-bit integer",
  "expected a safe integer or a bigint",
  "bigint out of the signed 64-bit range",
  "timestamp outside the safe integer range",
  "was given a value of another type (values out of the column order?)",
  "row ended with a value missing or one too many (values out of the column order?)",
] as const;

/** What each column takes when a row is written value by value ({@link ColumnBatch.string} and the others). */
const KIND_STRING = 1;
const KIND_INT32 = 2;
const KIND_DOUBLE = 3;
const KIND_TIMESTAMP = 4;
const KIND_INT64 = 5;
const KIND_BOOLEAN = 6;
const KINDS: Readonly<Record<ColumnType, number>> = {
  string: KIND_STRING,
  int32: KIND_INT32,
  double: KIND_DOUBLE,
  timestamp_ms: KIND_TIMESTAMP,
  int64: KIND_INT64,
  boolean: KIND_BOOLEAN,
};
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const NO_KINDS = new Uint8Array(0);
/** The unused code arrays of a string column (see StringColumn). */
const NO_CODES8 = new Uint8Array(0);
const NO_CODES16 = new Uint16Array(0);
const NO_CODES32 = new Int32Array(0);
const EMPTY_CODES8 = new Uint8Array(0);
const EMPTY_CODES16 = new Uint16Array(0);
const EMPTY_CODES32 = new Int32Array(0);

/*
 * MUTABLE_FROM_THE_START. V8 treats an object's field as a constant until the first time one of the objects of its
 * hidden class has it set again, and optimized code may rely on that; the first such change throws that code away
 * ("code dependencies"). For a batch's fields that first change came mid-run — the first batch growing past 1,024
 * rows (`capacity`), the first finished (`finished`), the first reset (`values`), the first column with more than
 * 255 values (`width`) — so `ColumnBatch#string`, `#number`, `#boolean` and the ingest loop that inlines them were
 * compiled again after each, in every thread (docs/BENCHMARKS.md, fifth round, `deopts`). The constructors set those
 * fields a second time, to another value of the same type and back, so they are mutable from the first object on.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/**
 * A batch starts small and grows by half as rows arrive (see ColumnBatch#grow): an input that reopens partitions
 * often (logs going back in time, many small parts) allocated 16,384 rows and 256 KiB per column for every part before, which made garbage
 * collection the largest cost of such inputs (docs/BENCHMARKS.md). The bytes written do not depend on it.
 *
 * This small, so that the first batch of a thread grows (and a `bytes` column's data with it) within its first
 * rows, while `ColumnBatch#string`/`#number` and the ingest loop that inlines them still run unoptimized and record
 * the growing branch: starting at 1,024 rows and 16 KiB, the first growth came after V8 had optimized them without
 * it, and threw that code away ("insufficient type feedback" deoptimizations at `this.grow()` and at the data's
 * doubling, in each thread: docs/BENCHMARKS.md, seventh round, `deopt`). Growing from 32 rather than 1,024 rows
 * costs a few more growths of small arrays per new batch.
 */
const INITIAL_ROWS = 32;
const INITIAL_BYTES = 512;
/** Strings up to this length are copied by a loop; longer ones by Buffer#write (see StringColumn.push). */
const SHORT_STRING = 16;
const TWO_32 = 4294967296;

type TypedArray = Int32Array | Uint8Array | Uint16Array | Float64Array | Uint32Array;
type TypedArrayType<T extends TypedArray> = {
  new (buffer: ArrayBuffer): T;
  readonly BYTES_PER_ELEMENT: number;
};

function allocate<T extends TypedArray>(type: TypedArrayType<T>, length: number): T {
  return new type(new ArrayBuffer(length * type.BYTES_PER_ELEMENT));
}

/** `expectedRows` as a batch keeps it: no limit when it is not a positive number. */
function expectedRowsOf(expectedRows: number | undefined): number {
  return expectedRows !== undefined && expectedRows > 0 ? expectedRows : Number.POSITIVE_INFINITY;
}

/** A copy of `array` with room for `size` elements (same type); `array`'s memory is given back (see {@link freeNow}). */
function resized<T extends TypedArray>(array: T, size: number): T {
  const next = allocate(array.constructor as unknown as TypedArrayType<T>, size);
  next.set(array.subarray(0, Math.min(array.length, size)));
  freeNow(array);
  return next;
}

/** Arrays at least this large are given back at once by {@link freeNow}; smaller ones are left to the collector. */
const FREE_NOW_BYTES = 64 * 1024;

/**
 * Gives an array's memory back now rather than when the garbage collector finds it unreachable: its buffer is moved
 * (transferred, which detaches it) into a clone that nothing references. The clone is in V8's young generation, so
 * the next scavenge, a few milliseconds on, frees the memory; the array itself, if it had lived long enough to be
 * in the old generation (a batch's arrays: they live for a partition's rows), would have held it until the next full
 * collection, which V8 starts only well above the level after the last one — and that garbage was a large part of
 * an ingest thread's peak memory (docs/BENCHMARKS.md, eighth round). Only for an array no one else views: its
 * buffer becomes zero bytes long. Small arrays are left to the collector (the clone costs a few microseconds).
 */
export function freeNow(array: { readonly buffer: ArrayBufferLike; readonly byteLength: number }): void {
  const buffer = array.buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < FREE_NOW_BYTES || SHARED_ZEROS.has(buffer))
    return;
  structuredClone(buffer, { transfer: [buffer] });
}

/**
 * Zeros that the finished data of every column holding only nulls views (see StringColumn): read, never written,
 * and never transferred ({@link batchBuffers} leaves them out, so a post copies them), so one region serves every
 * such column of the thread. Grown by replacing it; views of an earlier one stay valid.
 */
let sharedZeros = new ArrayBuffer(0);
const SHARED_ZEROS = new WeakSet<ArrayBuffer>();

/** `rows` zero bytes and `rows` zero int32s, views of the shared zeros. */
function zeros(rows: number): { bytes: Uint8Array; ints: Int32Array } {
  if (sharedZeros.byteLength < rows * 5) {
    sharedZeros = new ArrayBuffer(Math.max(rows * 5, sharedZeros.byteLength * 2));
    SHARED_ZEROS.add(sharedZeros);
  }
  // The int32s first (aligned at 0), then the bytes.
  const ints = new Int32Array(sharedZeros, 0, rows);
  return { ints, bytes: new Uint8Array(sharedZeros, rows * 4, rows) };
}

/** The distinct buffers under a batch's typed arrays (not the shared zeros, which stay). */
export function batchBuffers(data: BatchData): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const add = (array: { buffer: ArrayBufferLike } | null): void => {
    if (array !== null && array.buffer instanceof ArrayBuffer && !SHARED_ZEROS.has(array.buffer)) {
      buffers.add(array.buffer);
    }
  };
  for (const column of data.columns) {
    add(column.defined);
    switch (column.kind) {
      case "dict":
        add(column.codes);
        break;
      case "bytes":
        add(column.data);
        add(column.ends);
        break;
      case "int64":
        add(column.words);
        break;
      default:
        add(column.values);
    }
  }
  return [...buffers];
}

/**
 * The batch grows every column at once (`resize`), before the row that needs it, so the per-value methods
 * never check for room. `defined` flags exist for nullable columns only.
 */
abstract class Column {
  defined: Uint8Array | null;
  constructor(nullable: boolean) {
    this.defined = nullable ? allocate(Uint8Array, INITIAL_ROWS) : null;
  }
  resize(rows: number): void {
    if (this.defined !== null) this.defined = resized(this.defined, rows);
  }
  definedOf(rows: number): Uint8Array | null {
    return this.defined === null ? null : this.defined.subarray(0, rows);
  }
  /**
   * Empty again, keeping the arrays: every row's slots are written by its push, so nothing needs clearing. The
   * data {@link finish} gave views these arrays and must no longer be in use.
   */
  reset(): void {}
  /** False once an array's buffer was transferred to another thread (it is then detached: zero bytes long). */
  attached(): boolean {
    return this.defined === null || this.defined.byteLength > 0;
  }
  /** Bytes this column holds (its arrays' whole capacity). */
  bytesHeld(): number {
    return this.defined?.byteLength ?? 0;
  }
  /** Gives the arrays' memory back now (see {@link freeNow}); the column is unusable afterwards. */
  release(): void {
    if (this.defined !== null) freeNow(this.defined);
  }
}

/**
 * EARLY_COLUMNS. Of the first `codes` columns made in a thread, one in three stores two-byte codes from its first row
 * and one in three four-byte codes (until their first `reset`), whatever their number of values. A column's codes
 * become two bytes wide at its 256th value and four at its 65,536th, which came late (after V8 had optimized
 * `StringColumn#push` and `#pushNull` into `ColumnBatch#string` and the ingest loop without the branch storing wider
 * codes), and threw that code away in each thread ("insufficient type feedback" at `this.codes16[row] = code`:
 * docs/BENCHMARKS.md, seventh round, `deopt`). With these, the three branches run from the first rows on, and the
 * writer gets the three array types from its first files (`definedOfCodes` and `remapDictionary` saw the wider ones
 * late too: "wrong map"). A code is the same number at any width: the bytes written do not change. The first 64
 * columns: the first batches of a few tables, 1–3 bytes more per row in two thirds of their columns.
 */
const EARLY_COLUMNS = 64;
let earlyColumnsLeft = EARLY_COLUMNS;

/**
 * A new empty dictionary array. One allocation site for every dictionary (the constructor's and `reset`'s): V8
 * starts an empty array literal as an array of small integers and changes its kind at the first string pushed, and
 * it remembers that per literal, so later arrays of the same literal start as arrays of objects. With a literal in
 * `reset` of its own, the first reset's array was of small integers again and `newValue`'s optimized push threw its
 * code away ("not a Smi", once per thread).
 */
function noValues(): string[] {
  return [];
}

/**
 * A string column. `codes` (columns whose values repeat as the very same string objects: site, country, browser,
 * consent tier, user agent, path...): one Map lookup per value, a dictionary in order of first appearance, and per
 * row a code (0 = null) in the narrowest array that holds it. `bytes` (everything else: addresses, raw targets,
 * referrers): the UTF-8 bytes, copied (measured: hashing a fresh 120-character string for a Map costs 3–4 times as
 * much as copying it); the encoder builds a dictionary from the bytes if the column wants one.
 */
class StringColumn extends Column {
  private readonly codesMode: boolean;
  // codes: one array per width, each field always of its one type (a field whose array changed from Uint8Array to
  // Uint16Array to Int32Array was generalized by V8 at each change, discarding the optimized code that stored into
  // it); `width` says which is in use: 1, 2 or 4 bytes per code.
  private codes8: Uint8Array = NO_CODES8;
  private codes16: Uint16Array = NO_CODES16;
  private codes32: Int32Array = NO_CODES32;
  private width = 1;
  private readonly index = new Map<string, number>();
  /** Handed out as the finished column's dictionary: replaced, never emptied, by `reset`. */
  private values: string[] = noValues();
  /** The last value and its code: runs of one value (a site, an agent) skip the Map (`===` compares text). */
  private lastValue: string | undefined = undefined;
  private lastCode = 0;
  private readonly nullable: boolean;
  // bytes (`data` and `buffer` view the same memory)
  private data: Uint8Array = new Uint8Array(0);
  private buffer: Buffer = Buffer.alloc(0);
  private size = 0;
  private ends = new Int32Array(0);
  /**
   * bytes: every row since the last reset is null. Such a column writes nothing per row and its arrays do not grow
   * with the batch: they are sized (and their first rows zeroed) at its first value, and a column that ends with
   * nulls only is finished as views of shared zeros — the same data, so the same file. Many of the events table's
   * nullable columns hold nothing for a server log's lines (the four property slots' keys and values, the
   * campaign tags, the click id, the query): their null flags and end offsets were 5 bytes a row each, ≈ 75 bytes
   * of every row an ingest thread holds until its shard ends (docs/BENCHMARKS.md, seventh round).
   */
  private nullsOnly = true;
  /** The rows the batch has room for (its last `resize`): what the arrays get at the first value. */
  private rowsCapacity = INITIAL_ROWS;

  constructor(nullable: boolean, mode: StringMode) {
    // Codes need no null flags (code 0 is null).
    super(nullable && mode !== "codes");
    this.nullable = nullable;
    this.codesMode = mode === "codes";
    // See EARLY_COLUMNS: of the first columns, one in three starts with two-byte codes, one with four-byte ones.
    const early = this.codesMode && earlyColumnsLeft > 0 ? earlyColumnsLeft-- % 3 : 0;
    if (early === 1) {
      this.codes16 = allocate(Uint16Array, INITIAL_ROWS);
      this.width = 2;
    } else if (early === 2) {
      this.codes32 = allocate(Int32Array, INITIAL_ROWS);
      this.width = 4;
    } else if (this.codesMode) this.codes8 = allocate(Uint8Array, INITIAL_ROWS);
    else {
      this.setData(allocate(Uint8Array, INITIAL_BYTES));
      this.ends = allocate(Int32Array, INITIAL_ROWS);
    }
    // See MUTABLE_FROM_THE_START: the fields set again later (wider codes, `reset`, the first value) are set once
    // more here, each to another value of its own type and then back.
    const { codes8, codes16, codes32, width } = this;
    this.codes8 = EMPTY_CODES8;
    this.codes8 = codes8;
    this.codes16 = EMPTY_CODES16;
    this.codes16 = codes16;
    this.codes32 = EMPTY_CODES32;
    this.codes32 = codes32;
    this.width = -1;
    this.width = width;
    this.values = noValues();
    this.lastCode = -1;
    this.lastCode = 0;
    this.lastValue = "";
    this.lastValue = undefined;
    this.size = -1;
    this.size = 0;
    this.nullsOnly = false;
    this.nullsOnly = true;
  }

  override resize(rows: number): void {
    this.rowsCapacity = rows;
    if (!this.codesMode) {
      // Holding nulls only, the arrays wait for the first value (see `nullsOnly`).
      if (this.nullsOnly) return;
      super.resize(rows);
      this.ends = resized(this.ends, rows);
      return;
    }
    super.resize(rows);
    if (this.width === 1) this.codes8 = resized(this.codes8, rows);
    else if (this.width === 2) this.codes16 = resized(this.codes16, rows);
    else this.codes32 = resized(this.codes32, rows);
  }

  override reset(): void {
    if (this.codesMode) {
      this.index.clear();
      this.values = noValues();
      this.lastValue = undefined;
      this.lastCode = 0;
      // Codes start one byte wide again, over the same memory (a wider array's buffer holds as many bytes and more).
      if (this.width !== 1) {
        const wide = this.width === 2 ? this.codes16 : this.codes32;
        this.codes8 = new Uint8Array(wide.buffer, wide.byteOffset, wide.length);
        this.codes16 = NO_CODES16;
        this.codes32 = NO_CODES32;
        this.width = 1;
      }
    } else {
      this.size = 0;
      this.nullsOnly = true;
    }
  }

  override attached(): boolean {
    if (!super.attached()) return false;
    return this.codesMode
      ? this.codes().byteLength > 0
      : this.data.byteLength > 0 && this.ends.byteLength > 0;
  }

  push(row: number, value: string): void {
    if (this.codesMode) {
      let code = this.lastCode;
      if (value !== this.lastValue) {
        const known = this.index.get(value);
        code = known === undefined ? this.newValue(value) : known;
        this.lastValue = value;
        this.lastCode = code;
      }
      if (this.width === 1) this.codes8[row] = code;
      else if (this.width === 2) this.codes16[row] = code;
      else this.codes32[row] = code;
      return;
    }
    if (this.nullsOnly) this.firstValue(row);
    if (this.defined !== null) this.defined[row] = 1;
    const n = value.length;
    const start = this.size;
    if (start + n * 3 > this.data.length) {
      // Without a loop: one growth is all the first (small) ones need, and a loop body first run later, after V8
      // optimized the method, threw that code away (see INITIAL_ROWS). By half, as the rows grow (ColumnBatch#grow).
      const needed = start + n * 3;
      this.setData(
        resized(this.data, Math.max(this.data.length + (this.data.length >>> 1), needed + (needed >>> 1))),
      );
    }
    let p = start;
    if (n > SHORT_STRING) {
      // Longer strings are usually slices of the log line, whose characters JavaScript reads slowly (measured
      // 5 ns per character, against about 1 ns per byte for Buffer#write).
      p += this.buffer.write(value, start);
    } else {
      const data = this.data;
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          p = start + this.buffer.write(value, start);
          break;
        }
        data[p++] = c;
      }
    }
    this.size = p;
    this.ends[row] = p;
  }

  /**
   * The column's first value since the last reset, at `row`: its arrays get the batch's capacity, and the rows
   * before it are nulls (flag 0, end offset 0: no bytes yet). Arrays kept from an earlier row group hold its rows.
   */
  private firstValue(row: number): void {
    this.nullsOnly = false;
    const rows = this.rowsCapacity;
    if (this.ends.length < rows) {
      freeNow(this.ends);
      this.ends = allocate(Int32Array, rows);
    } else this.ends.fill(0, 0, row);
    if (this.defined !== null) {
      if (this.defined.length < rows) {
        freeNow(this.defined);
        this.defined = allocate(Uint8Array, rows);
      } else this.defined.fill(0, 0, row);
    }
  }

  private newValue(value: string): number {
    this.values.push(value);
    const code = this.values.length;
    this.index.set(value, code);
    // Wider codes from now on: 2 bytes up to 65,535 values, then 4 (a column of EARLY_COLUMNS may be wider already).
    if (code === 0x100 && this.width === 1) {
      this.codes16 = allocate(Uint16Array, this.codes8.length);
      this.codes16.set(this.codes8);
      freeNow(this.codes8);
      this.codes8 = NO_CODES8;
      this.width = 2;
    } else if (code === 0x10000 && this.width === 2) {
      this.codes32 = allocate(Int32Array, this.codes16.length);
      this.codes32.set(this.codes16);
      freeNow(this.codes16);
      this.codes16 = NO_CODES16;
      this.width = 4;
    }
    return code;
  }

  /** The codes array in use. */
  private codes(): Codes {
    return this.width === 1 ? this.codes8 : this.width === 2 ? this.codes16 : this.codes32;
  }

  private setData(data: Uint8Array): void {
    this.data = data;
    this.buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  pushNull(row: number): void {
    if (this.codesMode) {
      if (this.width === 1) this.codes8[row] = 0;
      else if (this.width === 2) this.codes16[row] = 0;
      else this.codes32[row] = 0;
      return;
    }
    if (this.nullsOnly) return;
    if (this.defined !== null) this.defined[row] = 0;
    this.ends[row] = this.size;
  }

  override release(): void {
    super.release();
    if (this.codesMode) freeNow(this.codes());
    else {
      freeNow(this.data);
      freeNow(this.ends);
    }
  }

  /** The arrays' capacity, plus a code unit per character of the distinct values of a `codes` column. */
  override bytesHeld(): number {
    if (!this.codesMode) return super.bytesHeld() + this.data.byteLength + this.ends.byteLength;
    let text = 0;
    for (const value of this.values) text += value.length;
    return super.bytesHeld() + this.codes().byteLength + text;
  }

  finish(rows: number): ColumnData {
    if (this.codesMode) {
      return {
        kind: "dict",
        defined: null,
        nullable: this.nullable,
        codes: this.codes().subarray(0, rows),
        dictionary: this.values,
      };
    }
    if (this.nullsOnly) {
      const none = zeros(rows);
      return {
        kind: "bytes",
        defined: this.defined === null ? null : none.bytes,
        data: this.data.subarray(0, 0),
        ends: none.ints,
      };
    }
    return {
      kind: "bytes",
      defined: this.definedOf(rows),
      data: this.data.subarray(0, this.size),
      ends: this.ends.subarray(0, rows),
    };
  }
}

/** The typed array of each fixed-width kind: timestamps are doubles (epoch ms), booleans bytes (0 or 1). */
const FIXED_ARRAYS = { int32: Int32Array, double: Float64Array, boolean: Uint8Array } as const;
type FixedKind = keyof typeof FIXED_ARRAYS;
type FixedArray = Int32Array | Float64Array | Uint8Array;

/** int32, double, timestamp and boolean values: one typed array per column, 0 under a null. */
class FixedColumn extends Column {
  values: FixedArray;
  constructor(
    private readonly kind: FixedKind,
    nullable: boolean,
  ) {
    super(nullable);
    this.values = allocate<FixedArray>(FIXED_ARRAYS[kind], INITIAL_ROWS);
  }
  override resize(rows: number): void {
    super.resize(rows);
    this.values = resized(this.values, rows);
  }
  override attached(): boolean {
    return super.attached() && this.values.byteLength > 0;
  }
  /** `value` fits the column's array (a boolean arrives as 0 or 1). */
  push(row: number, value: number): void {
    this.values[row] = value;
    if (this.defined !== null) this.defined[row] = 1;
  }
  pushNull(row: number): void {
    this.values[row] = 0;
    if (this.defined !== null) this.defined[row] = 0;
  }
  override bytesHeld(): number {
    return super.bytesHeld() + this.values.byteLength;
  }
  override release(): void {
    super.release();
    freeNow(this.values);
  }
  finish(rows: number): ColumnData {
    return {
      kind: this.kind,
      defined: this.definedOf(rows),
      values: this.values.subarray(0, rows),
    } as ColumnData;
  }
}

/** Signed 64-bit integers from safe-integer numbers or bigints, as little-endian words. */
class Int64Column extends Column {
  private words = allocate(Uint32Array, INITIAL_ROWS * 2);
  private big = new BigInt64Array(this.words.buffer);
  constructor(nullable: boolean) {
    super(nullable);
    if (!LITTLE_ENDIAN) throw new Error("Parquet encoding needs a little-endian platform");
    // See MUTABLE_FROM_THE_START (`resize` replaces both).
    this.words = allocate(Uint32Array, INITIAL_ROWS * 2);
    this.big = new BigInt64Array(this.words.buffer);
  }
  override resize(rows: number): void {
    super.resize(rows);
    this.words = resized(this.words, rows * 2);
    this.big = new BigInt64Array(this.words.buffer);
  }
  override attached(): boolean {
    return super.attached() && this.words.byteLength > 0;
  }
  /** `value` is a safe integer. */
  pushNumber(row: number, value: number): void {
    const high = Math.floor(value / TWO_32);
    this.words[2 * row] = value - high * TWO_32;
    this.words[2 * row + 1] = high >>> 0;
    if (this.defined !== null) this.defined[row] = 1;
  }
  /** `value` is within the signed 64-bit range. */
  pushBigInt(row: number, value: bigint): void {
    this.big[row] = value;
    if (this.defined !== null) this.defined[row] = 1;
  }
  pushNull(row: number): void {
    this.words[2 * row] = 0;
    this.words[2 * row + 1] = 0;
    if (this.defined !== null) this.defined[row] = 0;
  }
  override bytesHeld(): number {
    return super.bytesHeld() + this.words.byteLength;
  }
  override release(): void {
    super.release();
    freeNow(this.words);
  }
  finish(rows: number): ColumnData {
    return { kind: "int64", defined: this.definedOf(rows), words: this.words.subarray(0, 2 * rows) };
  }
}

type Builder = StringColumn | FixedColumn | Int64Column;

function builderFor(column: ColumnSpec): Builder {
  switch (column.type) {
    case "string":
      return new StringColumn(column.nullable, column.collect === "codes" ? "codes" : "bytes");
    case "int32":
      return new FixedColumn("int32", column.nullable);
    case "double":
    case "timestamp_ms":
      return new FixedColumn("double", column.nullable);
    case "boolean":
      return new FixedColumn("boolean", column.nullable);
    case "int64":
      return new Int64Column(column.nullable);
  }
}

type AddRow = (
  row: Readonly<Record<string, unknown>>,
  index: number,
  builders: readonly Builder[],
  fail: (row: number, column: number, problem: number) => never,
) => void;

/**
 * One function per schema that reads a row's properties by constant names (monomorphic loads: a generic loop with
 * `row[column.name]` was the largest single cost of encoding) and pushes each value into its column after checking
 * its type. Column names are checked (table.ts) before they reach the generated source.
 */
function compileAddRow(columns: readonly ColumnSpec[]): AddRow {
  const lines: string[] = [];
  columns.forEach((column, c) => {
    const v = `r[${JSON.stringify(column.name)}]`;
    const b = `b${c}`;
    const orNull = column.nullable ? `${b}.pushNull(i);` : `fail(i, ${c}, 0);`;
    const checks: Record<ColumnType, string> = {
      string: `if (typeof v === "string") ${b}.push(i, v); else if (v == null) { ${orNull} } else fail(i, ${c}, 1);`,
      boolean: `if (typeof v === "boolean") ${b}.push(i, v ? 1 : 0); else if (v == null) { ${orNull} } else fail(i, ${c}, 2);`,
      int32: `if (typeof v === "number") { if ((v | 0) !== v) fail(i, ${c}, 4); ${b}.push(i, v); } else if (v == null) { ${orNull} } else fail(i, ${c}, 3);`,
      double: `if (typeof v === "number") ${b}.push(i, v); else if (v == null) { ${orNull} } else fail(i, ${c}, 3);`,
      int64: `if (typeof v === "number") { if (!Number.isSafeInteger(v)) fail(i, ${c}, 5); ${b}.pushNumber(i, v); } else if (typeof v === "bigint") { if (v < MIN || v > MAX) fail(i, ${c}, 6); ${b}.pushBigInt(i, v); } else if (v == null) { ${orNull} } else fail(i, ${c}, 5);`,
      timestamp_ms: `if (typeof v === "number") { if (!Number.isSafeInteger(v)) fail(i, ${c}, 7); ${b}.push(i, v); } else if (typeof v === "bigint") { if (v < -SAFE || v > SAFE) fail(i, ${c}, 7); ${b}.push(i, Number(v)); } else if (v == null) { ${orNull} } else fail(i, ${c}, 5);`,
    };
    lines.push(`v = ${v}; ${checks[column.type]}`);
  });
  const source = [
    `"use strict";`,
    `const MIN = -(2n ** 63n), MAX = 2n ** 63n - 1n, SAFE = BigInt(Number.MAX_SAFE_INTEGER);`,
    `return function addRow(r, i, b, fail) {`,
    `if (r === null || typeof r !== "object") fail(i, -1, 0);`,
    ...columns.map((_, c) => `const b${c} = b[${c}];`),
    `let v;`,
    ...lines,
    `};`,
  ].join("\n");
  // Generated from checked column names only (checkTable).
  return new Function(source)() as AddRow;
}

const compiled = new WeakMap<TableSpec, AddRow>();

function addRowFor(table: TableSpec): AddRow {
  let addRow = compiled.get(table);
  if (addRow === undefined) {
    checkTable(table);
    addRow = compileAddRow(table.columns);
    compiled.set(table, addRow);
  }
  return addRow;
}

/**
 * Rows of one table collected as columns: `add` checks each value against its column and stores it; `finish` gives
 * the columns for {@link writeParquet}. The row-adding function is generated once per table object (property reads
 * by constant names), so keep one {@link TableSpec} object per table.
 */
export class ColumnBatch {
  private count = 0;
  private capacity = INITIAL_ROWS;
  private readonly builders: Builder[];
  private readonly addRow: AddRow;
  private finished = false;
  /** Per column, its {@link KINDS} value; emptied when the batch is spent, so a value given then fails. */
  private kinds: Uint8Array;
  /** The columns' {@link KINDS}, for a batch made ready again by {@link ColumnBatch.reset}. */
  private readonly columnKinds: Uint8Array;
  /** Per column, 1 when it takes nulls. */
  private readonly nullable: Uint8Array;
  /** The column the next value given by {@link ColumnBatch.string} and the others goes to. */
  private cursor = 0;

  /** Rows the caller means to add at most: room is never reserved beyond it (more rows still fit). */
  private expectedRows: number;

  constructor(
    readonly schema: TableSpec,
    expectedRows?: number,
  ) {
    this.addRow = addRowFor(schema);
    this.builders = schema.columns.map(builderFor);
    this.columnKinds = Uint8Array.from(schema.columns, (column) => KINDS[column.type]);
    this.kinds = this.columnKinds;
    this.nullable = Uint8Array.from(schema.columns, (column) => (column.nullable ? 1 : 0));
    this.expectedRows = expectedRowsOf(expectedRows);
    // See MUTABLE_FROM_THE_START: set again by the first grow, `finish`, value and row.
    this.capacity = 0;
    this.capacity = INITIAL_ROWS;
    this.finished = true;
    this.finished = false;
    this.count = -1;
    this.count = 0;
    this.cursor = -1;
    this.cursor = 0;
  }

  /**
   * Makes the batch empty and ready for rows again — after {@link finish}, or to drop its rows — keeping the
   * arrays its columns have grown to, so the next rows fill memory already there instead of growing new arrays
   * (and leaving the old ones as garbage) from {@link INITIAL_ROWS} up. What it gives is the bytes a fresh batch
   * gives for the same rows: every row's slots are written by the row itself. The data an earlier `finish` gave
   * views these arrays: it must no longer be in use (encoded, or dropped), nor its buffers transferred away
   * ({@link ColumnBatch.reusable} says whether they are still here).
   */
  reset(expectedRows?: number): void {
    for (const builder of this.builders) builder.reset();
    this.count = 0;
    this.cursor = 0;
    this.finished = false;
    this.kinds = this.columnKinds;
    this.expectedRows = expectedRowsOf(expectedRows);
  }

  /**
   * False when some of the batch's arrays were transferred to another thread (posted with {@link batchBuffers}):
   * such a batch cannot be {@link reset}.
   */
  get reusable(): boolean {
    return this.builders.every((builder) => builder.attached());
  }

  get rows(): number {
    return this.count;
  }

  /**
   * Gives the memory of the batch's arrays back now, not when the garbage collector gets to them (see
   * {@link freeNow}): for a batch that will not be used again, whose finished data is no longer in use. Spent
   * afterwards, like a finished batch.
   */
  release(): void {
    if (!this.reusable) return;
    for (const builder of this.builders) builder.release();
    this.finished = true;
    this.kinds = NO_KINDS;
  }

  /**
   * About the memory the batch holds: its columns' arrays (their whole capacity, not only the rows in them) and the
   * distinct strings of `codes` columns (a byte per character). 0 once finished (the columns are handed over).
   */
  get bytesHeld(): number {
    if (this.finished) return 0;
    let bytes = 0;
    for (const builder of this.builders) bytes += builder.bytesHeld();
    return bytes;
  }

  /**
   * Appends one row (an object keyed by column name; other properties are ignored). A value the column does not
   * allow throws an {@link EncodeError} naming the table, column and row, never the value; the batch is then spent.
   */
  add(row: Readonly<Record<string, unknown>>): void {
    if (this.finished) throw new Error(`the ${this.schema.name} batch was already encoded`);
    if (this.cursor !== 0) this.fail(this.count, -1, 9);
    if (this.count >= this.capacity) this.grow();
    this.addRow(row, this.count, this.builders, this.fail);
    this.count++;
  }

  /**
   * Room for half as many rows again. By half, not by doubling: a batch holds its rows until its part is written
   * (an hour of security/, a day of events/), and its capacity past them is resident too (a kept batch's arrays were
   * all written by an earlier part): with doubling the open parts' batches held 1.5× the bytes their rows use on
   * `elastic` (88 parts open per shard: 48 MiB for 31), growing by half holds at most 1.5× and about 1.2× on
   * average (a `bytes` column's data grows the same way). The copies add up to twice the final size instead of once;
   * peak RSS on `elastic` ≈ 10 MiB lower, CPU within the noise (docs/BENCHMARKS.md, eighth round).
   */
  private grow(): void {
    const grown = this.capacity + (this.capacity >>> 1);
    this.capacity = this.count < this.expectedRows ? Math.min(grown, this.expectedRows) : grown;
    for (const builder of this.builders) builder.resize(this.capacity);
  }

  // A row written value by value, without a row object: one call per column in the table's order, then `endRow`.
  // Each value is checked as `add` checks it (its column's type, null where allowed, the number's range); a value
  // for a column of another type, or a row with a value missing or one too many, throws an EncodeError too.

  /** The next column's value: a string column. */
  string(value: string | null): void {
    const c = this.next();
    if (this.kinds[c] !== KIND_STRING) this.fail(this.count, c, 8);
    const column = this.builders[c] as StringColumn;
    if (value !== null) column.push(this.count, value);
    else if (this.nullable[c] === 1) column.pushNull(this.count);
    else this.fail(this.count, c, 0);
  }

  /** The next column's value: an int32, double, timestamp_ms or (a safe integer) int64 column. */
  number(value: number | null): void {
    const c = this.next();
    const kind = this.kinds[c];
    const row = this.count;
    if (value === null) {
      if (this.nullable[c] !== 1) this.fail(row, c, kind === undefined ? 8 : 0);
      if (kind === KIND_INT64) (this.builders[c] as Int64Column).pushNull(row);
      else if (kind === KIND_INT32 || kind === KIND_DOUBLE || kind === KIND_TIMESTAMP)
        (this.builders[c] as FixedColumn).pushNull(row);
      else this.fail(row, c, 8);
      return;
    }
    switch (kind) {
      case KIND_INT32:
        if ((value | 0) !== value) this.fail(row, c, 4);
        (this.builders[c] as FixedColumn).push(row, value);
        return;
      case KIND_DOUBLE:
        (this.builders[c] as FixedColumn).push(row, value);
        return;
      case KIND_TIMESTAMP:
        if (!Number.isSafeInteger(value)) this.fail(row, c, 7);
        (this.builders[c] as FixedColumn).push(row, value);
        return;
      case KIND_INT64:
        if (!Number.isSafeInteger(value)) this.fail(row, c, 5);
        (this.builders[c] as Int64Column).pushNumber(row, value);
        return;
      default:
        this.fail(row, c, 8);
    }
  }

  /** The next column's value: an int64 or timestamp_ms column. */
  bigint(value: bigint | null): void {
    const c = this.next();
    const kind = this.kinds[c];
    const row = this.count;
    if (kind === KIND_INT64) {
      const column = this.builders[c] as Int64Column;
      if (value === null) {
        if (this.nullable[c] !== 1) this.fail(row, c, 0);
        column.pushNull(row);
      } else {
        if (value < MIN_INT64 || value > MAX_INT64) this.fail(row, c, 6);
        column.pushBigInt(row, value);
      }
    } else if (kind === KIND_TIMESTAMP) {
      const column = this.builders[c] as FixedColumn;
      if (value === null) {
        if (this.nullable[c] !== 1) this.fail(row, c, 0);
        column.pushNull(row);
      } else {
        if (value < -SAFE_BIG || value > SAFE_BIG) this.fail(row, c, 7);
        column.push(row, Number(value));
      }
    } else this.fail(row, c, 8);
  }

  /** The next column's value: a boolean column. */
  boolean(value: boolean | null): void {
    const c = this.next();
    if (this.kinds[c] !== KIND_BOOLEAN) this.fail(this.count, c, 8);
    const column = this.builders[c] as FixedColumn;
    if (value !== null) column.push(this.count, value ? 1 : 0);
    else if (this.nullable[c] === 1) column.pushNull(this.count);
    else this.fail(this.count, c, 0);
  }

  /** Ends a row given value by value: every column must have had its value. */
  endRow(): void {
    if (this.cursor !== this.builders.length) this.fail(this.count, -1, 9);
    this.cursor = 0;
    this.count++;
  }

  /** The column of the next value; room for a new row is made at its first value. */
  private next(): number {
    const c = this.cursor++;
    if (c === 0) {
      if (this.finished) throw new Error(`the ${this.schema.name} batch was already encoded`);
      if (this.count >= this.capacity) this.grow();
    }
    return c;
  }

  private readonly fail = (row: number, column: number, problem: number): never => {
    const name = column < 0 ? "(row)" : (this.schema.columns[column]?.name ?? "?");
    // The columns before the bad one already took the row: the batch cannot be used any more.
    this.finished = true;
    this.kinds = NO_KINDS;
    throw new EncodeError(this.schema.name, name, row, PROBLEMS[problem] ?? "invalid value");
  };

  /** The columns as plain data; the batch is spent afterwards. */
  finish(): BatchData {
    if (this.finished) throw new Error(`the ${this.schema.name} batch was already encoded`);
    if (this.cursor !== 0) this.fail(this.count, -1, 9);
    this.finished = true;
    this.kinds = NO_KINDS;
    const rows = this.count;
    return { table: this.schema.name, rows, columns: this.builders.map((b) => b.finish(rows)) };
  }
}
