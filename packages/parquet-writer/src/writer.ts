import { type BatchData, ColumnBatch, type ColumnData } from "./batch.ts";
import { ByteBuffer } from "./bytes.ts";
import { bitWidthOf, deltaPackBigInts, deltaPackNumbers, writeHybrid, writeLevels } from "./encodings.ts";
import { maxCompressedLength, snappyCompressInto } from "./snappy.ts";
import { type ColumnSpec, type ColumnType, checkTable, type TableSpec } from "./table.ts";
import {
  type ColumnChunkMetaData,
  type Encoding,
  type PhysicalType,
  type RowGroupMetaData,
  type SchemaElement,
  type Statistics as StatisticsBytes,
  writeFileMetaData,
  writePageHeader,
} from "./thrift.ts";

/**
 * Writes a {@link BatchData} (columns, see batch.ts) as one Parquet file: a writer for flat tables only, built for a
 * hot path. It reads typed arrays and writes pages straight from them.
 *
 * Format: PAR1, row groups of `rowGroupSize` rows, DATA_PAGE_V2 pages of about 1 MiB (definition levels as
 * RLE/bit-packed hybrid, uncompressed as v2 requires; values Snappy-compressed), FileMetaData version 2,
 * `created_by` as given and no key/value metadata. Per column, by its `encoding`:
 *
 * - strings: `dictionary` → a dictionary page (PLAIN) per row group and RLE_DICTIONARY indexes; `plain` → PLAIN;
 *   `auto` → a dictionary only if it pays for the row group ({@link dictionaryPays});
 * - int32: `dictionary` → RLE_DICTIONARY, otherwise PLAIN; int64 and timestamps: `delta` → DELTA_BINARY_PACKED,
 *   otherwise PLAIN; double: PLAIN; boolean: RLE (bit width 1).
 *
 * Min/max statistics (and null counts) for columns with `statistics`: strings compared in UTF-8 byte order, as
 * the Parquet spec wants; string bounds longer than 16 bytes are shortened on a code point boundary (the max
 * rounded up) and flagged inexact. Nothing depends on the time, the thread or chance: the same batch gives the
 * same bytes.
 */

export interface WriteOptions {
  /** Rows per row group: 100,000 by default (DuckDB's own is 122,880; it reads row groups in parallel). */
  readonly rowGroupSize?: number;
  /** The footer's `created_by`. */
  readonly createdBy?: string;
}

const DEFAULT_ROW_GROUP_SIZE = 100_000;
const DEFAULT_CREATED_BY = "@logsieve/parquet-writer";
const PAGE_BYTES = 1 << 20;
/**
 * Bytes a page header can take: a DATA_PAGE_V2 header is at most 57 (three 32-bit fields and a struct of six, each
 * a field byte and a varint of up to 5 bytes, and two stops); pages are compressed into the file after this room.
 */
const PAGE_HEADER_ROOM = 64;
const PAR1 = 0x31524150;
const TWO_32 = 4294967296;
/** Byte strings longer than this are shortened in statistics (as parquet-java and hyparquet-writer do). */
const STATISTICS_LENGTH = 16;
const utf8 = new TextEncoder();

/** The kind of {@link ColumnData} a column type is collected as (strings: `bytes` or `dict`). */
const KIND_OF: Record<ColumnType, ColumnData["kind"]> = {
  string: "bytes",
  int32: "int32",
  int64: "int64",
  double: "double",
  timestamp_ms: "double",
  boolean: "boolean",
};

// ---------------------------------------------------------------------------------------------------------------
// The table's layout: schema elements and what each column is written as

interface ColumnLayout {
  readonly element: SchemaElement;
  readonly type: ColumnType;
  readonly encoding: "auto" | "plain" | "dictionary" | "delta";
  readonly statistics: boolean;
}

interface Layout {
  readonly schema: readonly SchemaElement[];
  readonly columns: readonly ColumnLayout[];
}

/** The Parquet schema element of one column. */
function schemaElement(column: ColumnSpec): SchemaElement {
  const repetition = column.nullable ? "OPTIONAL" : "REQUIRED";
  const name = column.name;
  switch (column.type) {
    case "string":
      return { name, type: "BYTE_ARRAY", repetition, convertedType: "UTF8", logicalString: true };
    case "int32":
      return { name, type: "INT32", repetition };
    case "int64":
      return { name, type: "INT64", repetition };
    case "double":
      return { name, type: "DOUBLE", repetition };
    case "boolean":
      return { name, type: "BOOLEAN", repetition };
    case "timestamp_ms":
      // The legacy annotation alone. The Parquet spec defines TIMESTAMP_MILLIS as TIMESTAMP(isAdjustedToUTC=true,
      // MILLIS), so Athena/Trino read UTC instants into `timestamp`; DuckDB reads it as TIMESTAMP (UTC wall time),
      // whereas the logical UTC annotation would make it TIMESTAMP WITH TIME ZONE and show times in the session's
      // zone.
      return { name, type: "INT64", repetition, convertedType: "TIMESTAMP_MILLIS" };
  }
}

/** The encoding a column asks for, where it applies to its type (otherwise `auto`). */
function encodingOf(column: ColumnSpec): ColumnLayout["encoding"] {
  const wanted = column.encoding ?? "auto";
  if (wanted === "plain") return "plain";
  if (wanted === "dictionary")
    return column.type === "string" || column.type === "int32" ? "dictionary" : "auto";
  if (wanted === "delta") return column.type === "int64" || column.type === "timestamp_ms" ? "delta" : "auto";
  return "auto";
}

const layouts = new WeakMap<TableSpec, Layout>();

function layoutOf(table: TableSpec): Layout {
  let layout = layouts.get(table);
  if (layout === undefined) {
    checkTable(table);
    layout = {
      schema: [{ name: "schema", numChildren: table.columns.length }, ...table.columns.map(schemaElement)],
      columns: table.columns.map((column) => ({
        element: schemaElement(column),
        type: column.type,
        encoding: encodingOf(column),
        statistics: column.statistics ?? true,
      })),
    };
    layouts.set(table, layout);
  }
  return layout;
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics in their Parquet byte form

/** A prefix of UTF-8 `bytes` at most `length` bytes long, cut on a code point boundary: a valid lower bound. */
function shortenedMin(bytes: Uint8Array, length: number): Uint8Array {
  let end = length;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.slice(0, end);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A string at most `length` bytes long that is greater than or equal to UTF-8 `bytes`: a prefix whose last code
 * point is incremented (skipping surrogates), or undefined when none fits (the max is then kept whole).
 */
function shortenedMax(bytes: Uint8Array, length: number): Uint8Array | undefined {
  let end = length;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  let text: string;
  try {
    text = strictUtf8.decode(bytes.subarray(0, end));
  } catch {
    // Not UTF-8 (never from JavaScript strings): the byte-wise rule, last byte below 0xFF incremented.
    const prefix = bytes.slice(0, length);
    let i = prefix.length - 1;
    while (i >= 0 && prefix[i] === 0xff) i--;
    if (i < 0) return undefined;
    const rounded = prefix.slice(0, i + 1);
    rounded[i] = (rounded[i] as number) + 1;
    return rounded;
  }
  const codePoints = Array.from(text, (c) => c.codePointAt(0) ?? 0);
  for (let i = codePoints.length - 1; i >= 0; i--) {
    // Drop code point i from the prefix, keeping the bytes before it.
    end--;
    while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
    const code = codePoints[i] as number;
    if (code === 0x10ffff) continue;
    const suffix = utf8.encode(String.fromCodePoint(code === 0xd7ff ? 0xe000 : code + 1));
    if (end + suffix.length > length) continue;
    const rounded = new Uint8Array(end + suffix.length);
    rounded.set(bytes.subarray(0, end));
    rounded.set(suffix, end);
    return rounded;
  }
  return undefined;
}

/** One value's plain encoding (min/max of a fixed-width column). */
function fixedBytes(value: number | bigint | boolean, type: ColumnType): Uint8Array {
  switch (type) {
    case "boolean":
      return new Uint8Array([value ? 1 : 0]);
    case "int32": {
      const bytes = new Uint8Array(4);
      new DataView(bytes.buffer).setInt32(0, value as number, true);
      return bytes;
    }
    case "double": {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setFloat64(0, value as number, true);
      return bytes;
    }
    default: {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigInt64(0, BigInt(value as number | bigint), true);
      return bytes;
    }
  }
}

function statisticsBytes(stats: Statistics, type: ColumnType): StatisticsBytes {
  let min: Uint8Array | undefined;
  let max: Uint8Array | undefined;
  let minExact = true;
  let maxExact = true;
  if (stats.min_value !== undefined && stats.max_value !== undefined) {
    if (type === "string") {
      min = stats.min_value as Uint8Array;
      max = stats.max_value as Uint8Array;
      if (min.length > STATISTICS_LENGTH) {
        min = shortenedMin(min, STATISTICS_LENGTH);
        minExact = false;
      }
      if (max.length > STATISTICS_LENGTH) {
        const shortened = shortenedMax(max, STATISTICS_LENGTH);
        if (shortened !== undefined) {
          max = shortened;
          maxExact = false;
        }
      }
    } else {
      min = fixedBytes(stats.min_value as number | bigint | boolean, type);
      max = fixedBytes(stats.max_value as number | bigint | boolean, type);
    }
  }
  return { nullCount: stats.null_count, min, max, minExact, maxExact, nanCount: stats.nan_count };
}

/**
 * The rule for an automatic dictionary (hyparquet-writer's): dictionary values (with their 4-byte length prefixes)
 * plus bit-packed indexes must be at most half of the plain values (with theirs).
 */
export function dictionaryPays(
  distinct: number,
  distinctBytes: number,
  nonNull: number,
  totalBytes: number,
): boolean {
  if (nonNull === 0) return true;
  const bitWidth = Math.max(1, Math.ceil(Math.log2(Math.max(distinct, 1))));
  const indexBytes = Math.ceil((nonNull * bitWidth) / 8);
  return 2 * (distinctBytes + 4 * distinct + indexBytes) <= totalBytes + 4 * nonNull;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/** Unsigned lexicographic order of two byte ranges: UTF-8 code point order for strings. */
function compareBytes(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < n; i++) {
    const d = (a[aStart + i] as number) - (b[bStart + i] as number);
    if (d !== 0) return d;
  }
  return aEnd - aStart - (bEnd - bStart);
}

/** A chunk's statistics as values, while its pages are written (see {@link statisticsBytes}). */
interface Statistics {
  min_value?: Uint8Array | number | bigint | boolean;
  max_value?: Uint8Array | number | bigint | boolean;
  null_count: number;
  nan_count?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// The file

/** What writing one column chunk's pages produced. */
interface WrittenChunk {
  readonly encodings: Encoding[];
  readonly dictionaryOffset?: number;
  readonly dataOffset: number;
  readonly uncompressed: number;
}

/**
 * A row group's dictionary of one string column: value `i` is `bytes[starts[i], stops[i])`, found `counts[i]` times.
 * The arrays are the writer's scratch (valid until the next dictionary is built); `bytes` is the column's own data
 * or scratch too.
 */
interface BuiltDictionary {
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly starts: Int32Array;
  readonly stops: Int32Array;
  readonly counts: Int32Array;
  /**
   * The dictionary page's values as they are written (PLAIN: each value's 4-byte length, then its bytes, in order),
   * when the builder laid `bytes` out so; null when they must be copied out of `bytes` first.
   */
  readonly plain: Uint8Array | null;
}

/** The automatic dictionary rule ({@link dictionaryPays}) on a built dictionary. */
function pays(built: BuiltDictionary): boolean {
  const { size, starts, stops, counts } = built;
  let distinctBytes = 0;
  let totalBytes = 0;
  let nonNull = 0;
  for (let i = 0; i < size; i++) {
    const length = (stops[i] as number) - (starts[i] as number);
    const count = counts[i] as number;
    distinctBytes += length;
    totalBytes += length * count;
    nonNull += count;
  }
  return dictionaryPays(size, distinctBytes, nonNull, totalBytes);
}

/**
 * Min and max of the dictionary's values (unsigned lexicographic = UTF-8 code point order), as copies: the
 * dictionary's arrays are reused, and the metadata lives until the footer.
 */
function bytesBounds(built: BuiltDictionary, stats: Statistics): void {
  const { size, bytes, starts, stops } = built;
  if (size === 0) return;
  let min = 0;
  let max = 0;
  for (let i = 1; i < size; i++) {
    const s = starts[i] as number;
    const e = stops[i] as number;
    if (compareBytes(bytes, s, e, bytes, starts[min] as number, stops[min] as number) < 0) min = i;
    if (compareBytes(bytes, s, e, bytes, starts[max] as number, stops[max] as number) > 0) max = i;
  }
  stats.min_value = bytes.slice(starts[min] as number, stops[min] as number);
  stats.max_value = bytes.slice(starts[max] as number, stops[max] as number);
}

/** Scratch int arrays of the dictionary builders, at least `n` long (contents undefined). */
function dictionaryArrays(n: number): { starts: Int32Array; stops: Int32Array; counts: Int32Array } {
  if (scratch.starts.length < n) {
    const size = Math.max(n, scratch.starts.length * 2);
    scratch.starts = new Int32Array(size);
    scratch.stops = new Int32Array(size);
    scratch.counts = new Int32Array(size);
  }
  return scratch;
}

/**
 * The row group's own dictionary of a `codes` column, in order of first appearance in the row group, and each
 * row's index into it (written to `local`, 0 for nulls). The values' UTF-8 bytes go into one scratch buffer, each
 * after its 4-byte length: the dictionary page's values as they are written (`plain`), with no second copy of them
 * (a `codes` column of user agents has a dictionary page of megabytes, and the copy was a second scratch buffer of
 * that size per thread: docs/BENCHMARKS.md, ninth round).
 */
function remapDictionary(
  column: Extract<ColumnData, { kind: "dict" }>,
  g0: number,
  g1: number,
  local: Int32Array,
): BuiltDictionary {
  const { codes, dictionary } = column;
  if (scratch.remap.length < dictionary.length + 1)
    scratch.remap = new Int32Array(Math.max(dictionary.length + 1, scratch.remap.length * 2));
  const remap = scratch.remap;
  remap.fill(-1, 0, dictionary.length + 1);
  const { starts, stops, counts } = dictionaryArrays(Math.min(g1 - g0, dictionary.length));
  const out = scratch.dictionary;
  out.reset();
  let size = 0;
  for (let r = g0; r < g1; r++) {
    const global = codes[r] as number;
    if (global === 0) {
      local[r - g0] = 0;
      continue;
    }
    let l = remap[global] as number;
    if (l < 0) {
      l = size++;
      remap[global] = l;
      // Room for the length, filled in once the value's bytes are written (writeUtf8 may move the buffer).
      out.ensure(4);
      const lengthAt = out.pos;
      out.pos += 4;
      starts[l] = out.pos;
      writeUtf8(out, dictionary[global - 1] as string);
      stops[l] = out.pos;
      out.lengthSince(lengthAt);
      counts[l] = 0;
    }
    counts[l] = (counts[l] as number) + 1;
    local[r - g0] = l;
  }
  return { size, bytes: out.bytes, starts, stops, counts, plain: out.view() };
}

/** `value`'s UTF-8 bytes at `out`'s position (as TextEncoder gives them). */
function writeUtf8(out: ByteBuffer, value: string): void {
  const n = value.length;
  out.ensure(n * 3);
  const b = out.bytes;
  const start = out.pos;
  let p = start;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80) {
      p = start + utf8.encodeInto(value, b.subarray(start)).written;
      break;
    }
    b[p++] = c;
  }
  out.pos = p;
}

/**
 * Null flags of a nullable `codes` column (code 0 is null), filled for rows `[g0, g1)`: the writer's scratch, valid
 * while the chunk is written.
 */
function definedOfCodes(codes: ArrayLike<number>, g0: number, g1: number): Uint8Array {
  if (scratch.defined.length < g1) scratch.defined = new Uint8Array(Math.max(g1, scratch.defined.length * 2));
  const defined = scratch.defined;
  for (let r = g0; r < g1; r++) defined[r] = codes[r] === 0 ? 0 : 1;
  return defined;
}

/** int32 dictionary values below this are looked up in an array (writeDictInt32). */
const SMALL_INTS = 4096;

/** Values read by sampleSaysDictionary. */
const SAMPLE_SIZE = 1000;
/** Slots of the sample's table (sampleSaysDictionary): more than twice its 1,000 values. */
const SAMPLE_SLOTS = 2048;

/**
 * Where a sampled value's key starts: after a leading byte order mark, which TextDecoder drops (the sample compared
 * decoded strings before, and must decide as it did). UTF-8 written from JavaScript strings is valid, so otherwise
 * equal text is equal bytes.
 */
function sampleKeyStart(data: Uint8Array, s: number, e: number): number {
  return e - s >= 3 && data[s] === 0xef && data[s + 1] === 0xbb && data[s + 2] === 0xbf ? s + 3 : s;
}

/**
 * Rows up to which an `auto` byte-array chunk builds its dictionary before the sample (see `ColumnWriter.writeStrings`):
 * at most twice the sample's rows, so a chunk that ends up PLAIN hashed at most about twice what the sample would.
 */
const BUILD_BEFORE_SAMPLE = 2 * SAMPLE_SIZE;

/** True when a value of the dictionary starts with a UTF-8 byte order mark (see {@link sampleKeyStart}). */
function hasLeadingBom(built: BuiltDictionary): boolean {
  const { size, bytes, starts, stops } = built;
  for (let i = 0; i < size; i++) {
    const s = starts[i] as number;
    if ((stops[i] as number) - s >= 3 && bytes[s] === 0xef && bytes[s + 1] === 0xbb && bytes[s + 2] === 0xbf)
      return true;
  }
  return false;
}

/**
 * hyparquet-writer's sampling for `auto`: 1000 values spread over rows `[g0, g1)`, each counted with 4 bytes of
 * length; when the distinct values make up more than 90 % of the sampled bytes, a dictionary cannot pay and is not
 * built. `firstOfItsKind(r, s, e)` says whether row `r` (bytes `[s, e)`) is the first of its value among the rows
 * sampled so far: one rule, whether the values are told apart by their bytes or by their dictionary codes.
 */
function sampleSaysDictionaryBy(
  column: Extract<ColumnData, { kind: "bytes" }>,
  g0: number,
  g1: number,
  firstOfItsKind: (r: number, s: number, e: number) => boolean,
): boolean {
  const { ends, defined } = column;
  const n = g1 - g0;
  const samples = Math.min(n, SAMPLE_SIZE);
  let distinctBytes = 0;
  let totalBytes = 0;
  for (let i = 0; i < samples; i++) {
    const r = g0 + (samples === 1 ? 0 : Math.floor((i * (n - 1)) / (samples - 1)));
    if (defined !== null && defined[r] === 0) continue;
    const s = r === 0 ? 0 : (ends[r - 1] as number);
    const e = ends[r] as number;
    const size = e - s + 4;
    totalBytes += size;
    if (firstOfItsKind(r, s, e)) distinctBytes += size;
  }
  return totalBytes > 0 && distinctBytes / totalBytes <= 0.9;
}

/**
 * What {@link ColumnWriter.sampleSaysDictionary} answers for rows `[g0, g1)`, read from their dictionary codes
 * (`local`, as {@link dictionaryFromBytes} wrote them; `size` distinct values): two sampled rows are the same value
 * exactly when their codes are equal — when no value starts with a byte order mark.
 */
function sampleOfCodesSaysDictionary(
  column: Extract<ColumnData, { kind: "bytes" }>,
  g0: number,
  g1: number,
  local: Int32Array,
  size: number,
): boolean {
  if (scratch.seen.length < size) scratch.seen = new Uint8Array(size * 2);
  const seen = scratch.seen;
  seen.fill(0, 0, size);
  return sampleSaysDictionaryBy(column, g0, g1, (r) => {
    const code = local[r - g0] as number;
    if (seen[code] !== 0) return false;
    seen[code] = 1;
    return true;
  });
}

/** A 32-bit hash of `data[s, e)`, 4 bytes at a time (the dictionary's). */
function hashBytes(data: Uint8Array, s: number, e: number): number {
  let h = Math.imul(e - s, 0x9e3779b1);
  let i = s;
  for (; i + 4 <= e; i += 4) {
    const word =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    h = Math.imul(h ^ word, 0x01000193);
    h ^= h >>> 15;
  }
  for (; i < e; i++) h = Math.imul(h ^ (data[i] as number), 0x01000193);
  return h ^ (h >>> 16);
}

/**
 * A dictionary of a `bytes` column's rows `[g0, g1)`, in order of first appearance: an open-addressing hash table
 * over the byte ranges ({@link hashBytes}; equal hashes are compared byte by byte).
 * Values are ranges of the column's data, not copies. The table starts small and doubles when half full (a row
 * group's distinct values are usually far fewer than its rows): the codes do not depend on its size.
 */
function dictionaryFromBytes(
  column: Extract<ColumnData, { kind: "bytes" }>,
  g0: number,
  g1: number,
  local: Int32Array,
): BuiltDictionary {
  const { data, ends, defined } = column;
  let capacity = 1024;
  let mask = capacity - 1;
  // Per slot: the entry (-1: empty) and its hash, side by side.
  if (scratch.slots.length < capacity * 2) scratch.slots = new Int32Array(capacity * 2);
  let slots: Int32Array = scratch.slots;
  slots.fill(-1, 0, capacity * 2);
  const { starts, stops, counts } = dictionaryArrays(g1 - g0);
  let size = 0;
  let s = g0 === 0 ? 0 : (ends[g0 - 1] as number);
  for (let r = g0; r < g1; r++) {
    const e = ends[r] as number;
    if (defined !== null && defined[r] === 0) {
      local[r - g0] = 0;
      s = e;
      continue;
    }
    const h = hashBytes(data, s, e);
    let slot = h & mask;
    let code = -1;
    for (;;) {
      const entry = slots[slot * 2] as number;
      if (entry < 0) break;
      if (slots[slot * 2 + 1] === h) {
        const es = starts[entry] as number;
        const n = e - s;
        if ((stops[entry] as number) - es === n) {
          let k = 0;
          while (k < n && data[es + k] === data[s + k]) k++;
          if (k === n) {
            code = entry;
            break;
          }
        }
      }
      slot = (slot + 1) & mask;
    }
    if (code < 0) {
      code = size++;
      starts[code] = s;
      stops[code] = e;
      counts[code] = 0;
      slots[slot * 2] = code;
      slots[slot * 2 + 1] = h;
      if (size * 2 > capacity) {
        capacity *= 2;
        mask = capacity - 1;
        slots = grownSlots(slots, capacity);
      }
    }
    counts[code] = (counts[code] as number) + 1;
    local[r - g0] = code;
    s = e;
  }
  return { size, bytes: data, starts, stops, counts, plain: null };
}

/** The hash table of {@link dictionaryFromBytes} rehashed into `capacity` slots (the scratch, grown if needed). */
function grownSlots(old: Int32Array, capacity: number): Int32Array {
  const previous = old.slice(0, capacity);
  if (scratch.slots.length < capacity * 2) scratch.slots = new Int32Array(capacity * 2);
  const slots = scratch.slots;
  slots.fill(-1, 0, capacity * 2);
  const mask = capacity - 1;
  for (let p = 0; p < capacity; p += 2) {
    const entry = previous[p] as number;
    if (entry < 0) continue;
    const h = previous[p + 1] as number;
    let slot = h & mask;
    while ((slots[slot * 2] as number) >= 0) slot = (slot + 1) & mask;
    slots[slot * 2] = entry;
    slots[slot * 2 + 1] = h;
  }
  return slots;
}

interface ChunkResult {
  readonly chunk: ColumnChunkMetaData;
  readonly uncompressed: number;
}

/**
 * Working memory of the writer, allocated once per thread and reused for every page of every file (encoding is
 * synchronous): allocating it per file or per page churned the C allocator, and resident memory crept up.
 */
const scratch = {
  levels: new ByteBuffer(64 * 1024),
  /** Dictionaries (see {@link BuiltDictionary}): values' bytes, their ranges and counts, the hash table, remaps. */
  dictionary: new ByteBuffer(64 * 1024),
  starts: new Int32Array(1024),
  stops: new Int32Array(1024),
  counts: new Int32Array(1024),
  slots: new Int32Array(2048),
  remap: new Int32Array(1024),
  defined: new Uint8Array(1024),
  sample: new Int32Array(SAMPLE_SLOTS * 3),
  /** sampleOfCodesSaysDictionary's flags per dictionary code. */
  seen: new Uint8Array(1024),
  /** writeDictInt32's codes of small values, -1 when unseen. */
  smallInts: new Int32Array(SMALL_INTS).fill(-1),
  data: new ByteBuffer(1 << 20),
  ints: new Int32Array(1024),
  packed: new Int32Array(1024),
  file: new ByteBuffer(4 << 20),
};

/**
 * Bytes of this thread's working memory, kept for the next files once encoding has grown it (for tests and
 * diagnostics): the dictionary's byte buffer, the file's (the row groups being written), every other byte buffer
 * (page values, definition levels) and the per-row and per-value arrays.
 */
export function scratchBytes(): { dictionary: number; file: number; otherBuffers: number; arrays: number } {
  let otherBuffers = 0;
  let arrays = 0;
  for (const value of Object.values(scratch)) {
    if (value instanceof ByteBuffer) otherBuffers += value.bytes.byteLength;
    else if (ArrayBuffer.isView(value)) arrays += value.byteLength;
  }
  const dictionary = scratch.dictionary.bytes.byteLength;
  const file = scratch.file.bytes.byteLength;
  return { dictionary, file, otherBuffers: otherBuffers - dictionary - file, arrays };
}

/**
 * Makes the per-row scratch arrays at least `rows` long, before a file's columns are written. Each chunk's writer
 * still grows the array it uses when it is too short, but that branch first ran when the first larger row group
 * came, after V8 had optimized the chunk writers (`definedOfCodes`, `remapDictionary`, `nonNullIndexes`, ...)
 * without it, and threw their code away in each thread ("insufficient type feedback", docs/BENCHMARKS.md, seventh
 * round, `deopt`). Reserved here for a whole row group from the first file on, those branches never run. Memory:
 * 26 bytes per row of a row group (2.6 MB for 100,000 rows), what the arrays grew to after the first full row group
 * anyway; the pages of an array past the rows actually written are never touched.
 */
function reserveScratch(rows: number): void {
  if (reservedRows >= rows) return;
  reservedRows = rows;
  if (scratch.defined.length < rows) scratch.defined = new Uint8Array(rows);
  if (scratch.seen.length < rows) scratch.seen = new Uint8Array(rows);
  if (scratch.ints.length < rows) scratch.ints = new Int32Array(rows);
  if (scratch.packed.length < rows) scratch.packed = new Int32Array(rows);
  if (scratch.remap.length < rows + 1) scratch.remap = new Int32Array(rows + 1);
  if (scratch.starts.length < rows) {
    scratch.starts = new Int32Array(rows);
    scratch.stops = new Int32Array(rows);
    scratch.counts = new Int32Array(rows);
  }
}
/** The rows {@link reserveScratch} made room for (the arrays only grow). */
let reservedRows = 0;

/** Writes the column chunks of a file, page by page, into `writer`. */
class ColumnWriter {
  private readonly levels = scratch.levels;
  private readonly data = scratch.data;

  constructor(
    private readonly writer: ByteBuffer,
    private readonly layout: Layout,
  ) {}

  private ints(n: number): Int32Array {
    if (scratch.ints.length < n) scratch.ints = new Int32Array(Math.max(n, scratch.ints.length * 2));
    return scratch.ints;
  }

  write(c: number, column: ColumnData, g0: number, g1: number): ChunkResult {
    const { element, type, encoding, statistics } = this.layout.columns[c] as ColumnLayout;
    const start = this.writer.pos;
    const defined =
      column.kind === "dict"
        ? column.nullable
          ? definedOfCodes(column.codes, g0, g1)
          : null
        : column.defined;
    // The chunk's nulls are counted page by page (levelsOf: every row of the chunk is in exactly one page).
    this.chunkNulls = 0;
    const stats: Statistics | undefined = statistics ? { null_count: 0 } : undefined;

    let result: WrittenChunk;
    switch (column.kind) {
      case "dict":
      case "bytes":
        result = this.writeStrings(column, defined, encoding, g0, g1, stats);
        break;
      case "int32":
        result =
          encoding === "dictionary"
            ? this.writeDictInt32(column, g0, g1, stats)
            : this.writeFixed(column, type, g0, g1, stats, "PLAIN");
        break;
      case "int64":
      case "double":
        result = this.writeFixed(
          column,
          type,
          g0,
          g1,
          stats,
          encoding === "delta" && type !== "double" ? "DELTA_BINARY_PACKED" : "PLAIN",
        );
        break;
      case "boolean":
        result = this.writeFixed(column, type, g0, g1, stats, "RLE");
        break;
    }
    if (stats !== undefined) stats.null_count = this.chunkNulls;
    const dataEncoding = result.encodings[result.encodings.length - 1] as Encoding;
    const chunk: ColumnChunkMetaData = {
      fileOffset: start,
      type: element.type as PhysicalType,
      encodings: result.encodings,
      name: element.name,
      numValues: g1 - g0,
      uncompressedSize: result.uncompressed,
      compressedSize: this.writer.pos - start,
      dataPageOffset: result.dataOffset,
      dictionaryPageOffset: result.dictionaryOffset,
      statistics: stats === undefined ? undefined : statisticsBytes(stats, type),
      encodingStats:
        stats === undefined
          ? undefined
          : [
              ...(result.dictionaryOffset === undefined
                ? []
                : [{ pageType: "DICTIONARY_PAGE", encoding: "PLAIN", count: 1 } as const]),
              { pageType: "DATA_PAGE_V2", encoding: dataEncoding, count: this.pagesWritten },
            ],
    };
    return { chunk, uncompressed: result.uncompressed };
  }

  private pagesWritten = 0;
  /** Nulls of the pages written so far of the chunk being written. */
  private chunkNulls = 0;

  /** Writes the definition levels of rows `[p0, p1)` into `this.levels`; returns the number of nulls. */
  private levelsOf(defined: Uint8Array | null, p0: number, p1: number): number {
    this.levels.reset();
    if (defined === null) return 0;
    const nulls = writeLevels(this.levels, defined, p0, p1);
    this.chunkNulls += nulls;
    return nulls;
  }

  /** Compresses `this.data` and writes one DATA_PAGE_V2 with `this.levels`; returns its uncompressed size. */
  private page(rows: number, nulls: number, encoding: Encoding): number {
    const levels = this.levels.view();
    const values = this.data.view();
    const headerStart = this.writer.pos;
    const compressedLength = this.compressAfterHeader(values, levels.length);
    writePageHeader(this.writer, {
      type: "DATA_PAGE_V2",
      uncompressedSize: levels.length + values.length,
      compressedSize: levels.length + compressedLength,
      numValues: rows,
      numNulls: nulls,
      numRows: rows,
      encoding,
      definitionLevelsLength: levels.length,
      compressed: true,
    });
    const headerSize = this.writer.pos - headerStart;
    this.writer.raw(levels);
    this.placeCompressed(headerStart, levels.length, compressedLength);
    this.pagesWritten++;
    return headerSize + levels.length + values.length;
  }

  /** A DICTIONARY_PAGE of `count` PLAIN values; returns its uncompressed size. */
  private dictionaryPage(values: Uint8Array, count: number): number {
    const headerStart = this.writer.pos;
    const compressedLength = this.compressAfterHeader(values, 0);
    writePageHeader(this.writer, {
      type: "DICTIONARY_PAGE",
      uncompressedSize: values.length,
      compressedSize: compressedLength,
      numValues: count,
    });
    const headerSize = this.writer.pos - headerStart;
    this.placeCompressed(headerStart, 0, compressedLength);
    return headerSize + values.length;
  }

  /**
   * Snappy-compresses `values` straight into the file, after room for the page's header and `levelsLength` bytes of
   * definition levels (the header's size depends on the compressed size, so it is written after); returns the
   * compressed length. {@link placeCompressed} then moves the bytes up against the header and levels. Compressed
   * into a buffer of its own and copied into the file instead, that buffer grew to the largest page of the thread
   * and stayed (dictionary pages of user agents: 4 MiB per thread; docs/BENCHMARKS.md, ninth round); the move
   * copies the same bytes as the copy did.
   */
  private compressAfterHeader(values: Uint8Array, levelsLength: number): number {
    const out = this.writer;
    out.ensure(PAGE_HEADER_ROOM + levelsLength + maxCompressedLength(values.length));
    return snappyCompressInto(values, out.bytes.subarray(out.pos + PAGE_HEADER_ROOM + levelsLength));
  }

  /** Moves the bytes {@link compressAfterHeader} wrote for the page at `headerStart` to the file's position. */
  private placeCompressed(headerStart: number, levelsLength: number, compressedLength: number): void {
    const out = this.writer;
    const from = headerStart + PAGE_HEADER_ROOM + levelsLength;
    if (out.pos > from) throw new Error(`a page header took more than ${PAGE_HEADER_ROOM} bytes`);
    out.bytes.copyWithin(out.pos, from, from + compressedLength);
    out.pos += compressedLength;
  }

  /** Page boundaries for fixed-width values: about PAGE_BYTES of values per page. */
  private static fixedPages(g0: number, g1: number, width: number): number[] {
    const perPage = Math.max(1, Math.floor(PAGE_BYTES / width));
    const bounds = [g0];
    for (let r = g0 + perPage; r < g1; r += perPage) bounds.push(r);
    bounds.push(g1);
    return bounds;
  }

  /** A string column chunk: PLAIN, or a dictionary page and RLE_DICTIONARY indexes, as its encoding says. */
  private writeStrings(
    column: Extract<ColumnData, { kind: "dict" | "bytes" }>,
    defined: Uint8Array | null,
    encoding: ColumnLayout["encoding"],
    g0: number,
    g1: number,
    stats: Statistics | undefined,
  ): WrittenChunk {
    if (column.kind === "bytes") {
      if (encoding === "auto" && g1 - g0 <= BUILD_BEFORE_SAMPLE) {
        // A small chunk: the sample reads most of its rows, and nearly always says "dictionary" (the `elastic` bench
        // log's hourly security files: 1,490 times of 1,495), which then hashes the same rows again. Built first,
        // the dictionary's codes answer the sample, unless a value starts with a byte order mark (which the sample
        // leaves out of its key).
        const local = this.ints(g1 - g0);
        const built = dictionaryFromBytes(column, g0, g1, local);
        const sampled = hasLeadingBom(built)
          ? this.sampleSaysDictionary(column, g0, g1)
          : sampleOfCodesSaysDictionary(column, g0, g1, local, built.size);
        if (!sampled || built.size === 0 || !pays(built)) return this.writePlainBytes(column, g0, g1, stats);
        if (stats !== undefined) bytesBounds(built, stats);
        return this.writeStringDictionary(defined, built, local, g0, g1);
      }
      const wanted =
        encoding === "dictionary" || (encoding === "auto" && this.sampleSaysDictionary(column, g0, g1));
      if (!wanted) return this.writePlainBytes(column, g0, g1, stats);
      const local = this.ints(g1 - g0);
      const built = dictionaryFromBytes(column, g0, g1, local);
      if (built.size === 0 || (encoding === "auto" && !pays(built)))
        return this.writePlainBytes(column, g0, g1, stats);
      if (stats !== undefined) bytesBounds(built, stats);
      return this.writeStringDictionary(defined, built, local, g0, g1);
    }
    const local = this.ints(g1 - g0);
    const built = remapDictionary(column, g0, g1, local);
    if (stats !== undefined) bytesBounds(built, stats);
    if (built.size === 0 || encoding === "plain" || (encoding === "auto" && !pays(built)))
      return this.writePlainFromDictionary(defined, local, built, g0, g1);
    return this.writeStringDictionary(defined, built, local, g0, g1);
  }

  /** {@link sampleSaysDictionaryBy} telling the sampled values apart by their bytes (see sampleKeyStart). */
  private sampleSaysDictionary(
    column: Extract<ColumnData, { kind: "bytes" }>,
    g0: number,
    g1: number,
  ): boolean {
    const { data } = column;
    // The distinct sampled values by their bytes: open addressing, [start, end, hash] per slot.
    const slots = scratch.sample;
    slots.fill(-1);
    return sampleSaysDictionaryBy(column, g0, g1, (_r, s, e) => {
      const ks = sampleKeyStart(data, s, e);
      const h = hashBytes(data, ks, e);
      let slot = h & (SAMPLE_SLOTS - 1);
      for (;;) {
        const start = slots[slot * 3] as number;
        if (start < 0) break;
        if (slots[slot * 3 + 2] === h) {
          const end = slots[slot * 3 + 1] as number;
          if (end - start === e - ks && compareBytes(data, start, end, data, ks, e) === 0) return false;
        }
        slot = (slot + 1) & (SAMPLE_SLOTS - 1);
      }
      slots[slot * 3] = ks;
      slots[slot * 3 + 1] = e;
      slots[slot * 3 + 2] = h;
      return true;
    });
  }

  /** A dictionary page of the built dictionary's values (PLAIN), then data pages of the rows' indexes into it. */
  private writeStringDictionary(
    defined: Uint8Array | null,
    built: BuiltDictionary,
    local: Int32Array,
    g0: number,
    g1: number,
  ): WrittenChunk {
    const { size, bytes, starts, stops } = built;
    let values = built.plain;
    if (values === null) {
      // Into the dictionary scratch (free: a dictionary built from bytes points into the column's own data), not
      // the pages' buffer, which then grows only to a data page's size (see remapDictionary).
      const out = scratch.dictionary;
      out.reset();
      for (let i = 0; i < size; i++) copyPlain(out, bytes, starts[i] as number, stops[i] as number);
      values = out.view();
    }
    return this.writeDictionary(defined, values, size, local, g0, g1);
  }

  /**
   * A dictionary page of the `count` PLAIN values `values` (strings or int32), then data pages of the rows' indexes
   * into it (`local`, per row of the row group).
   */
  private writeDictionary(
    defined: Uint8Array | null,
    values: Uint8Array,
    count: number,
    local: Int32Array,
    g0: number,
    g1: number,
  ): WrittenChunk {
    const dictionaryOffset = this.writer.pos;
    let uncompressed = this.dictionaryPage(values, count);
    const dataOffset = this.writer.pos;
    // Data pages of indexes (4 bytes per row as the page size estimate, as hyparquet-writer counts them).
    const bitWidth = Math.max(1, bitWidthOf(count - 1));
    const bounds = ColumnWriter.fixedPages(g0, g1, 4);
    this.pagesWritten = 0;
    for (let b = 0; b + 1 < bounds.length; b++) {
      const p0 = bounds[b] as number;
      const p1 = bounds[b + 1] as number;
      const nulls = this.levelsOf(defined, p0, p1);
      // The indexes of the rows that have a value, side by side.
      const packed = nulls === 0 ? local : this.nonNullIndexes(defined as Uint8Array, local, g0, p0, p1);
      const from = nulls === 0 ? p0 - g0 : 0;
      this.data.reset();
      this.data.u8(bitWidth);
      writeHybrid(this.data, packed, from, from + (p1 - p0 - nulls), bitWidth);
      uncompressed += this.page(p1 - p0, nulls, "RLE_DICTIONARY");
    }
    return { encodings: ["PLAIN", "RLE_DICTIONARY"], dictionaryOffset, dataOffset, uncompressed };
  }

  /** The local indexes of the non-null rows of `[p0, p1)`, from index 0 of a scratch array. */
  private nonNullIndexes(
    defined: Uint8Array,
    local: Int32Array,
    g0: number,
    p0: number,
    p1: number,
  ): Int32Array {
    if (scratch.packed.length < p1 - p0)
      scratch.packed = new Int32Array(Math.max(p1 - p0, scratch.packed.length * 2));
    const out = scratch.packed;
    let n = 0;
    for (let r = p0; r < p1; r++) if (defined[r] !== 0) out[n++] = local[r - g0] as number;
    return out;
  }

  private writePlainFromDictionary(
    defined: Uint8Array | null,
    local: Int32Array,
    built: BuiltDictionary,
    g0: number,
    g1: number,
  ): WrittenChunk {
    const { bytes, starts, stops } = built;
    const dataOffset = this.writer.pos;
    let uncompressed = 0;
    this.pagesWritten = 0;
    let p0 = g0;
    do {
      // About PAGE_BYTES of values per page (at least one row).
      let size = 0;
      let p1 = p0;
      while (p1 < g1 && (size < PAGE_BYTES || p1 === p0)) {
        if (defined === null || defined[p1] !== 0) {
          const l = local[p1 - g0] as number;
          size += 4 + (stops[l] as number) - (starts[l] as number);
        }
        p1++;
      }
      const nulls = this.levelsOf(defined, p0, p1);
      const out = this.data;
      out.reset();
      out.ensure(size);
      for (let r = p0; r < p1; r++) {
        if (defined !== null && defined[r] === 0) continue;
        const l = local[r - g0] as number;
        copyPlain(out, bytes, starts[l] as number, stops[l] as number);
      }
      uncompressed += this.page(p1 - p0, nulls, "PLAIN");
      p0 = p1;
    } while (p0 < g1);
    return { encodings: ["PLAIN"], dataOffset, uncompressed };
  }

  private writePlainBytes(
    column: Extract<ColumnData, { kind: "bytes" }>,
    g0: number,
    g1: number,
    stats: Statistics | undefined,
  ): WrittenChunk {
    const { data, ends, defined } = column;
    const dataOffset = this.writer.pos;
    let uncompressed = 0;
    this.pagesWritten = 0;
    let minStart = -1;
    let minEnd = -1;
    let maxStart = -1;
    let maxEnd = -1;
    let p0 = g0;
    do {
      // About PAGE_BYTES of values per page (at least one row).
      let p1 = p0;
      const pageStart = p0 === 0 ? 0 : (ends[p0 - 1] as number);
      // Ends never decrease: when the rest of the chunk's bytes fit in one page, it runs to the chunk's end (most
      // chunks, and every chunk of nulls only, without a look at each row).
      if ((ends[g1 - 1] as number) - pageStart < PAGE_BYTES) p1 = g1;
      else while (p1 < g1 && ((ends[p1] as number) - pageStart < PAGE_BYTES || p1 === p0)) p1++;
      const nulls = this.levelsOf(defined, p0, p1);
      const out = this.data;
      out.reset();
      out.ensure((p1 - p0 - nulls) * 4 + ((p1 === 0 ? 0 : (ends[p1 - 1] as number)) - pageStart));
      const b = out.bytes;
      let p = 0;
      let s = pageStart;
      // A page of nulls only has no values to write.
      for (let r = nulls === p1 - p0 ? p1 : p0; r < p1; r++) {
        const e = ends[r] as number;
        if (defined !== null && defined[r] === 0) continue;
        p = putPlain(b, p, data, s, e);
        if (stats !== undefined) {
          if (minStart < 0 || compareBytes(data, s, e, data, minStart, minEnd) < 0) {
            minStart = s;
            minEnd = e;
          }
          if (maxStart < 0 || compareBytes(data, s, e, data, maxStart, maxEnd) > 0) {
            maxStart = s;
            maxEnd = e;
          }
        }
        s = e;
      }
      out.pos = p;
      uncompressed += this.page(p1 - p0, nulls, "PLAIN");
      p0 = p1;
    } while (p0 < g1);
    if (stats !== undefined && minStart >= 0) {
      stats.min_value = data.slice(minStart, minEnd);
      stats.max_value = data.slice(maxStart, maxEnd);
    }
    return { encodings: ["PLAIN"], dataOffset, uncompressed };
  }

  private writeDictInt32(
    column: Extract<ColumnData, { kind: "int32" }>,
    g0: number,
    g1: number,
    stats: Statistics | undefined,
  ): WrittenChunk {
    const { values, defined } = column;
    const index = new Map<number, number>();
    // Values in [0, SMALL_INTS) (HTTP statuses...) are found in an array, the others in the Map; `small` is all -1
    // between calls (the entries put in are reset at the end).
    const small = scratch.smallInts;
    const entries: number[] = [];
    const local = this.ints(g1 - g0);
    for (let r = g0; r < g1; r++) {
      if (defined !== null && defined[r] === 0) {
        local[r - g0] = 0;
        continue;
      }
      const v = values[r] as number;
      let l: number | undefined;
      if (v >= 0 && v < SMALL_INTS) {
        l = small[v] as number;
        if (l < 0) {
          l = entries.length;
          entries.push(v);
          small[v] = l;
        }
      } else {
        l = index.get(v);
        if (l === undefined) {
          l = entries.length;
          entries.push(v);
          index.set(v, l);
        }
      }
      local[r - g0] = l;
    }
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of entries) {
      if (v >= 0 && v < SMALL_INTS) small[v] = -1;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (stats !== undefined && entries.length > 0) {
      stats.min_value = min;
      stats.max_value = max;
    }
    if (entries.length === 0) return this.writeFixed(column, "int32", g0, g1, undefined, "PLAIN");
    this.data.reset();
    for (const v of entries) this.data.u32(v);
    return this.writeDictionary(defined, this.data.view(), entries.length, local, g0, g1);
  }

  /** int32, int64, timestamps, doubles and booleans, PLAIN / DELTA_BINARY_PACKED / RLE. */
  private writeFixed(
    column: Extract<ColumnData, { kind: "int32" | "int64" | "double" | "boolean" }>,
    type: ColumnType,
    g0: number,
    g1: number,
    stats: Statistics | undefined,
    encoding: "PLAIN" | "DELTA_BINARY_PACKED" | "RLE",
  ): WrittenChunk {
    const defined = column.defined;
    const width = column.kind === "boolean" ? 1 / 8 : column.kind === "int32" ? 4 : 8;
    const bounds = ColumnWriter.fixedPages(g0, g1, width);
    const dataOffset = this.writer.pos;
    let uncompressed = 0;
    this.pagesWritten = 0;
    if (stats !== undefined) fixedStatistics(column, type, g0, g1, stats);
    for (let b = 0; b + 1 < bounds.length; b++) {
      const p0 = bounds[b] as number;
      const p1 = bounds[b + 1] as number;
      const nulls = this.levelsOf(defined, p0, p1);
      const n = p1 - p0 - nulls;
      const out = this.data;
      out.reset();
      switch (column.kind) {
        case "int32": {
          out.ensure(n * 4);
          for (let r = p0; r < p1; r++)
            if (defined === null || defined[r] !== 0) out.u32(column.values[r] as number);
          break;
        }
        case "boolean": {
          const bits = new Uint8Array(n);
          let k = 0;
          for (let r = p0; r < p1; r++)
            if (defined === null || defined[r] !== 0) bits[k++] = column.values[r] as number;
          const lengthAt = out.pos;
          out.u32(0);
          writeHybrid(out, bits, 0, n, 1);
          out.lengthSince(lengthAt);
          break;
        }
        case "double": {
          if (type === "timestamp_ms") {
            const ms = nonNullNumbers(column.values, defined, p0, p1, n);
            if (encoding === "DELTA_BINARY_PACKED") {
              if (!deltaPackNumbers(out, ms, n))
                deltaPackBigInts(
                  out,
                  Array.from(ms, (v) => BigInt(v)),
                );
            } else {
              out.ensure(n * 8);
              for (let k = 0; k < n; k++) {
                const v = ms[k] as number;
                const high = Math.floor(v / TWO_32);
                out.u32(v - high * TWO_32);
                out.u32(high >>> 0);
              }
            }
          } else {
            const doubles = nonNullNumbers(column.values, defined, p0, p1, n);
            out.raw(new Uint8Array(doubles.buffer, doubles.byteOffset, n * 8));
          }
          break;
        }
        case "int64": {
          const words = column.words;
          if (encoding === "DELTA_BINARY_PACKED") {
            const numbers = new Float64Array(n);
            let safe = true;
            let k = 0;
            for (let r = p0; r < p1; r++) {
              if (defined !== null && defined[r] === 0) continue;
              const low = words[2 * r] as number;
              const high = (words[2 * r + 1] as number) | 0;
              if (high > 0x1fffff || high < -0x200000) safe = false;
              numbers[k++] = high * TWO_32 + low;
            }
            if (!(safe && deltaPackNumbers(out, numbers, n))) {
              const big = new BigInt64Array(words.buffer, words.byteOffset, words.length / 2);
              const values: bigint[] = [];
              for (let r = p0; r < p1; r++)
                if (defined === null || defined[r] !== 0) values.push(big[r] as bigint);
              deltaPackBigInts(out, values);
            }
          } else if (defined === null) {
            out.raw(new Uint8Array(words.buffer, words.byteOffset + p0 * 8, (p1 - p0) * 8));
          } else {
            out.ensure(n * 8);
            for (let r = p0; r < p1; r++) {
              if (defined[r] === 0) continue;
              out.u32(words[2 * r] as number);
              out.u32(words[2 * r + 1] as number);
            }
          }
          break;
        }
      }
      uncompressed += this.page(p1 - p0, nulls, encoding);
    }
    return { encodings: [encoding], dataOffset, uncompressed };
  }
}

function nonNullNumbers(
  values: Float64Array,
  defined: Uint8Array | null,
  p0: number,
  p1: number,
  n: number,
): Float64Array {
  if (defined === null) return values.subarray(p0, p1);
  const out = new Float64Array(n);
  let k = 0;
  for (let r = p0; r < p1; r++) if (defined[r] !== 0) out[k++] = values[r] as number;
  return out;
}

function fixedStatistics(
  column: Extract<ColumnData, { kind: "int32" | "int64" | "double" | "boolean" }>,
  type: ColumnType,
  g0: number,
  g1: number,
  stats: Statistics,
): void {
  const defined = column.defined;
  switch (column.kind) {
    case "int32": {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let r = g0; r < g1; r++) {
        if (defined !== null && defined[r] === 0) continue;
        const v = column.values[r] as number;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (min <= max) {
        stats.min_value = min;
        stats.max_value = max;
      }
      break;
    }
    case "int64": {
      const big = new BigInt64Array(column.words.buffer, column.words.byteOffset, column.words.length / 2);
      let min: bigint | undefined;
      let max: bigint | undefined;
      for (let r = g0; r < g1; r++) {
        if (defined !== null && defined[r] === 0) continue;
        const v = big[r] as bigint;
        if (min === undefined || v < min) min = v;
        if (max === undefined || v > max) max = v;
      }
      stats.min_value = min;
      stats.max_value = max;
      break;
    }
    case "double": {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      let nan = 0;
      let any = false;
      for (let r = g0; r < g1; r++) {
        if (defined !== null && defined[r] === 0) continue;
        const v = column.values[r] as number;
        if (Number.isNaN(v)) {
          nan++;
          continue;
        }
        any = true;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (any) {
        // Signed zero as the spec wants it: min -0, max +0.
        stats.min_value = min === 0 ? -0 : min;
        stats.max_value = max === 0 ? 0 : max;
      }
      if (type === "double") stats.nan_count = nan;
      break;
    }
    case "boolean": {
      let seenTrue = false;
      let seenFalse = false;
      for (let r = g0; r < g1; r++) {
        if (defined !== null && defined[r] === 0) continue;
        if (column.values[r] !== 0) seenTrue = true;
        else seenFalse = true;
      }
      if (seenTrue || seenFalse) {
        stats.min_value = !seenFalse;
        stats.max_value = seenTrue;
      }
      break;
    }
  }
}

/** One PLAIN byte array: its 4-byte little-endian length, then `bytes[start, end)`. */
function copyPlain(out: ByteBuffer, bytes: Uint8Array, start: number, end: number): void {
  out.ensure(4 + end - start);
  out.pos = putPlain(out.bytes, out.pos, bytes, start, end);
}

/**
 * One PLAIN byte array written at `p` of `b`, which has room for it: its 4-byte little-endian length, then
 * `bytes[start, end)` (short values by a loop, cheaper than `set`'s call for a few bytes). Returns where it ends.
 */
function putPlain(b: Uint8Array, p: number, bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  b[p] = length;
  b[p + 1] = length >>> 8;
  b[p + 2] = length >>> 16;
  b[p + 3] = length >>> 24;
  let at = p + 4;
  if (length < 64) {
    for (let k = start; k < end; k++) b[at++] = bytes[k] as number;
  } else {
    b.set(bytes.subarray(start, end), at);
    at += length;
  }
  return at;
}

/**
 * Writes the columns of a finished {@link ColumnBatch} as one Parquet file, `table` being the spec the batch was
 * started with (or an equal one). Synchronous; the result is a fresh array.
 */
export function writeParquet(table: TableSpec, batch: BatchData, options: WriteOptions = {}): Uint8Array {
  const rowGroupSize = rowGroupSizeOf(options);
  const layout = layoutOf(table);
  checkBatch(table, layout, batch);
  // One growing buffer per thread for the file being written; the result is copied out of it.
  const writer = scratch.file;
  writer.reset();
  writer.u32(PAR1);
  const rowGroups = writeRowGroupsInto(writer, layout, batch, rowGroupSize);
  writeFileMetaData(writer, {
    schema: layout.schema,
    numRows: batch.rows,
    rowGroups,
    createdBy: options.createdBy ?? DEFAULT_CREATED_BY,
  });
  writer.u32(PAR1);
  return writer.view().slice();
}

function rowGroupSizeOf(options: WriteOptions): number {
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!(Number.isInteger(rowGroupSize) && rowGroupSize > 0))
    throw new RangeError("rowGroupSize must be a positive integer");
  return rowGroupSize;
}

/**
 * Writes `batch` as row groups of at most `rowGroupSize` rows at `writer`'s position; the metadata's offsets are
 * counted from the writer's start. The one loop of {@link writeParquet} and {@link encodeRowGroups},
 * so a file written at once and one written a row group at a time cannot differ.
 */
function writeRowGroupsInto(
  writer: ByteBuffer,
  layout: Layout,
  batch: BatchData,
  rowGroupSize: number,
): RowGroupMetaData[] {
  reserveScratch(Math.max(batch.rows, rowGroupSize));
  const columnWriter = new ColumnWriter(writer, layout);
  const rowGroups: RowGroupMetaData[] = [];
  for (let g0 = 0; g0 < batch.rows; g0 += rowGroupSize) {
    const g1 = Math.min(batch.rows, g0 + rowGroupSize);
    const groupStart = writer.pos;
    const columns: ColumnChunkMetaData[] = [];
    let totalBytes = 0;
    batch.columns.forEach((column, c) => {
      const { chunk, uncompressed } = columnWriter.write(c, column, g0, g1);
      columns.push(chunk);
      totalBytes += uncompressed;
    });
    rowGroups.push({
      columns,
      totalByteSize: totalBytes,
      numRows: g1 - g0,
      totalCompressedSize: writer.pos - groupStart,
    });
  }
  return rowGroups;
}

/** A column chunk's metadata with its offsets moved `by` bytes further into the file. */
function rebased(chunk: ColumnChunkMetaData, by: number): ColumnChunkMetaData {
  return {
    ...chunk,
    fileOffset: chunk.fileOffset + by,
    dataPageOffset: chunk.dataPageOffset + by,
    dictionaryPageOffset:
      chunk.dictionaryPageOffset === undefined ? undefined : chunk.dictionaryPageOffset + by,
  };
}

/**
 * Row groups encoded apart from the file they will belong to ({@link encodeRowGroups}), to be placed by
 * {@link ParquetFileWriter.append}. Plain data (typed arrays, numbers, strings): it can be posted between threads,
 * `bytes`' buffer transferred.
 */
export interface EncodedRowGroups {
  readonly table: string;
  readonly rows: number;
  /** Encoded for the very start of a file: `bytes` begins with the file's magic. */
  readonly atStart: boolean;
  /** The row groups' bytes (after the magic, when `atStart`): exactly what the file holds there. */
  readonly bytes: Uint8Array;
  /** Their metadata, offsets counted from the first byte of `bytes`. */
  readonly rowGroups: readonly RowGroupMetaData[];
}

/**
 * The rows of `batch` as row groups of at most `rowGroupSize` rows, without a footer, for a file being written a
 * row group at a time whose row groups may be encoded elsewhere (another thread) than where the file is assembled:
 * page bytes do not depend on where they sit in the file, only the footer's offsets do, and
 * {@link ParquetFileWriter.append} moves those. `atStart`: these are the file's first bytes (the magic is put
 * first). The result is a fresh array.
 */
export function encodeRowGroups(
  table: TableSpec,
  batch: BatchData,
  options: WriteOptions = {},
  atStart = false,
): EncodedRowGroups {
  const rowGroupSize = rowGroupSizeOf(options);
  const layout = layoutOf(table);
  checkBatch(table, layout, batch);
  const writer = scratch.file;
  writer.reset();
  if (atStart) writer.u32(PAR1);
  const rowGroups = writeRowGroupsInto(writer, layout, batch, rowGroupSize);
  return { table: table.name, rows: batch.rows, atStart, bytes: writer.view().slice(), rowGroups };
}

/** A batch whose columns are not the table's (another table's batch): refused before anything is written. */
function checkBatch(table: TableSpec, layout: Layout, batch: BatchData): void {
  if (batch.columns.length !== layout.columns.length)
    throw new Error(
      `table ${table.name}: the batch has ${batch.columns.length} columns, the table ${layout.columns.length}`,
    );
  batch.columns.forEach((column, c) => {
    const type = (layout.columns[c] as ColumnLayout).type;
    if (KIND_OF[type] !== column.kind && !(type === "string" && column.kind === "dict"))
      throw new Error(`table ${table.name}: column ${c} holds ${column.kind} values, not ${type}`);
  });
}

/** Rows to a file in one call: a {@link ColumnBatch} filled with `rows`, then {@link writeParquet}. */
export function encodeRows(
  table: TableSpec,
  rows: readonly Readonly<Record<string, unknown>>[],
  options: WriteOptions = {},
): Uint8Array {
  const batch = new ColumnBatch(table, rows.length);
  for (const row of rows) batch.add(row);
  return writeParquet(table, batch.finish(), options);
}

/**
 * One Parquet file written a row group at a time, for files larger than memory: each {@link writeRowGroups} call
 * gives the bytes of its row groups (offsets counted from the file's start), {@link finish} the footer. The caller
 * sends the pieces on in order (a multipart upload, a file); only one batch of rows is held at a time. Batches of
 * `rowGroupSize` rows (the last one fewer) give the same bytes as {@link writeParquet} of all the rows at once:
 * row groups keep their own dictionaries and statistics. Row groups may also be encoded elsewhere (another thread,
 * {@link encodeRowGroups}) and placed here in order with {@link append}.
 */
export class ParquetFileWriter {
  private readonly layout: Layout;
  private readonly rowGroups: RowGroupMetaData[] = [];
  /** Bytes handed out so far: where the next row group starts. */
  private offset = 0;
  private rows = 0;
  private finished = false;

  constructor(
    private readonly table: TableSpec,
    private readonly options: WriteOptions = {},
  ) {
    rowGroupSizeOf(options); // a bad size is refused here, not at the first row group
    this.layout = layoutOf(table);
  }

  /** Rows written so far. */
  get rowCount(): number {
    return this.rows;
  }

  /** The rows of `batch` as row groups of at most `rowGroupSize` rows (the file's magic first, the first time). */
  writeRowGroups(batch: BatchData): Uint8Array {
    if (this.finished) throw new Error(`table ${this.table.name}: the file was already finished`);
    return this.append(encodeRowGroups(this.table, batch, this.options, this.offset === 0));
  }

  /**
   * Row groups from {@link encodeRowGroups} (with this file's table and options, on any thread) as the file's next
   * ones: gives their bytes to send on (`encoded.bytes` itself). `encoded.atStart` must say whether nothing was
   * written yet.
   */
  append(encoded: EncodedRowGroups): Uint8Array {
    if (this.finished) throw new Error(`table ${this.table.name}: the file was already finished`);
    if (encoded.table !== this.table.name)
      throw new Error(`table ${this.table.name}: row groups of table ${encoded.table}`);
    if (encoded.atStart !== (this.offset === 0))
      throw new Error(
        `table ${this.table.name}: row groups encoded ${encoded.atStart ? "for" : "after"} the file's start, ` +
          `appended ${this.offset === 0 ? "at" : "after"} it`,
      );
    const base = this.offset;
    for (const group of encoded.rowGroups) {
      this.rowGroups.push(
        base === 0 ? group : { ...group, columns: group.columns.map((chunk) => rebased(chunk, base)) },
      );
    }
    this.rows += encoded.rows;
    this.offset += encoded.bytes.length;
    return encoded.bytes;
  }

  /** The footer (and the magic, for a file of no rows): the file's last bytes. */
  finish(): Uint8Array {
    if (this.finished) throw new Error(`table ${this.table.name}: the file was already finished`);
    this.finished = true;
    const writer = scratch.file;
    writer.reset();
    if (this.offset === 0) writer.u32(PAR1);
    writeFileMetaData(writer, {
      schema: this.layout.schema,
      numRows: this.rows,
      rowGroups: this.rowGroups,
      createdBy: this.options.createdBy ?? DEFAULT_CREATED_BY,
    });
    writer.u32(PAR1);
    return writer.view().slice();
  }
}
