import type { ColumnChunk, FileMetaData, RowGroup, SchemaElement } from "hyparquet";
import { ByteWriter } from "hyparquet-writer";
import { writePageHeader } from "hyparquet-writer/src/datapage.js";
import { deltaBinaryPack } from "hyparquet-writer/src/delta.js";
import { writeMetadata } from "hyparquet-writer/src/metadata.js";
import type { ColumnType } from "../../ports/table-encoder.ts";
import { type BatchData, type ColumnData, dictionaryPays } from "./column-batch.ts";
import { maxCompressedLength, snappyCompressInto } from "./snappy.ts";

/**
 * Writes a {@link BatchData} (columns, see column-batch.ts) as one Parquet file: a writer for flat tables only,
 * built for the ingest hot path. It reads typed arrays and writes pages straight from them; hyparquet-writer
 * still provides the parts that are not per value (Thrift page headers and file metadata, Snappy).
 *
 * Format: PAR1, row groups of `rowGroupSize` rows, DATA_PAGE_V2 pages of about 1 MiB (definition levels as
 * RLE/bit-packed hybrid, uncompressed as v2 requires; values Snappy-compressed), FileMetaData version 2,
 * `created_by` as given and no key/value metadata. Per column, by its `encoding`:
 *
 * - strings: `dictionary` → a dictionary page (PLAIN) per row group and RLE_DICTIONARY indexes; `plain` → PLAIN;
 *   `auto` → whatever the batch kept (see column-batch.ts), a dictionary only if it still pays for the row group;
 * - int32: `dictionary` → RLE_DICTIONARY, otherwise PLAIN; int64 and timestamps: `delta` → DELTA_BINARY_PACKED,
 *   otherwise PLAIN; double: PLAIN; boolean: RLE (bit width 1).
 *
 * Min/max statistics (and null counts) for columns with `statistics`: strings compared in UTF-8 byte order, as
 * the Parquet spec and hyparquet-writer do; truncation of long bounds is hyparquet-writer's.
 * Nothing depends on the time, the thread or chance: the same batch gives the same bytes.
 */

export interface ColumnOptions {
  readonly encoding: "auto" | "plain" | "dictionary" | "delta";
  readonly statistics: boolean;
}

export interface ParquetFileOptions {
  readonly schema: readonly SchemaElement[];
  readonly columnTypes: readonly ColumnType[];
  readonly columns: readonly ColumnOptions[];
  readonly rowGroupSize: number;
  readonly createdBy: string;
}

const PAGE_BYTES = 1 << 20;
const PAR1 = 0x31524150;
const TWO_32 = 4294967296;
const utf8 = new TextEncoder();

/** A growing byte buffer for page contents, reused from page to page. */
class Out {
  bytes: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  reset(): void {
    this.pos = 0;
  }
  ensure(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
  }
  u8(value: number): void {
    this.ensure(1);
    this.bytes[this.pos++] = value;
  }
  u32(value: number): void {
    this.ensure(4);
    const b = this.bytes;
    const p = this.pos;
    b[p] = value;
    b[p + 1] = value >>> 8;
    b[p + 2] = value >>> 16;
    b[p + 3] = value >>> 24;
    this.pos = p + 4;
  }
  /** Unsigned varint of a non-negative safe integer. */
  varint(value: number): void {
    this.ensure(8);
    let v = value;
    while (v >= 0x80) {
      this.bytes[this.pos++] = (v % 0x80) + 0x80;
      v = Math.floor(v / 0x80);
    }
    this.bytes[this.pos++] = v;
  }
  zigzag(value: number): void {
    this.varint(value < 0 ? -value * 2 - 1 : value * 2);
  }
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }
  view(): Uint8Array {
    return this.bytes.subarray(0, this.pos);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// RLE / bit-packed hybrid

/**
 * Bit-packs `groups` groups of 8 values starting at `start` (values past `end` are written as 0), LSB first, after
 * the bit-packed run header.
 */
function packGroups(
  out: Out,
  values: ArrayLike<number>,
  start: number,
  groups: number,
  end: number,
  bitWidth: number,
): void {
  out.varint(groups * 2 + 1);
  const count = groups * 8;
  out.ensure(groups * bitWidth);
  const b = out.bytes;
  let p = out.pos;
  if (bitWidth === 1) {
    for (let g = 0; g < count; g += 8) {
      const i = start + g;
      let byte = 0;
      for (let k = 0; k < 8; k++) if (i + k < end && (values[i + k] as number) !== 0) byte |= 1 << k;
      b[p++] = byte;
    }
  } else if (bitWidth <= 24) {
    let buffer = 0;
    let bits = 0;
    for (let k = 0; k < count; k++) {
      const i = start + k;
      const v = i < end ? (values[i] as number) : 0;
      buffer |= v << bits;
      bits += bitWidth;
      while (bits >= 8) {
        b[p++] = buffer & 0xff;
        buffer >>>= 8;
        bits -= 8;
      }
    }
  } else {
    let buffer = 0;
    let bits = 0;
    for (let k = 0; k < count; k++) {
      const i = start + k;
      let v = i < end ? (values[i] as number) >>> 0 : 0;
      let left = bitWidth;
      while (left > 0) {
        const take = Math.min(left, 8 - bits);
        buffer |= (v & ((1 << take) - 1)) << bits;
        v >>>= take;
        left -= take;
        bits += take;
        if (bits === 8) {
          b[p++] = buffer;
          buffer = 0;
          bits = 0;
        }
      }
    }
  }
  out.pos = p;
}

/** Values `[start, end)` as an RLE/bit-packed hybrid: runs of 8 or more repeats as RLE runs, the rest bit-packed. */
function writeHybrid(
  out: Out,
  values: ArrayLike<number>,
  start: number,
  end: number,
  bitWidth: number,
): void {
  const byteWidth = (bitWidth + 7) >> 3;
  let i = start;
  let groupStart = start;
  let groups = 0;
  while (i < end) {
    const v = values[i] as number;
    let run = 1;
    while (i + run < end && values[i + run] === v) run++;
    if (run >= 8) {
      if (groups > 0) {
        packGroups(out, values, groupStart, groups, end, bitWidth);
        groups = 0;
      }
      out.varint(run * 2);
      for (let k = 0; k < byteWidth; k++) out.u8((v >>> (8 * k)) & 0xff);
      i += run;
    } else {
      if (groups === 0) groupStart = i;
      groups++;
      i += 8;
    }
  }
  if (groups > 0) packGroups(out, values, groupStart, groups, end, bitWidth);
}

function bitWidthOf(maxValue: number): number {
  return maxValue <= 0 ? 0 : 32 - Math.clz32(maxValue);
}

// ---------------------------------------------------------------------------------------------------------------
// DELTA_BINARY_PACKED on numbers

const BLOCK = 128;
const MINIBLOCKS = 4;
const PER_MINIBLOCK = BLOCK / MINIBLOCKS;
/** Values within ±2^51 have deltas and adjusted deltas below 2^53: exact as numbers. */
const DELTA_SAFE = 2 ** 51;

/**
 * DELTA_BINARY_PACKED of integer numbers (block 128, 4 miniblocks), the layout hyparquet-writer writes. Returns
 * false, having written nothing, when a value or a packed width is beyond what numbers hold exactly; the caller
 * then uses hyparquet-writer's BigInt version.
 */
function deltaPackNumbers(out: Out, values: ArrayLike<number>, count: number): boolean {
  for (let i = 0; i < count; i++) {
    const v = values[i] as number;
    if (!(v >= -DELTA_SAFE && v <= DELTA_SAFE)) return false;
  }
  const start = out.pos;
  out.varint(BLOCK);
  out.varint(MINIBLOCKS);
  out.varint(count);
  if (count === 0) {
    out.varint(0);
    return true;
  }
  out.zigzag(values[0] as number);
  const deltas = new Float64Array(BLOCK);
  const widths = new Uint8Array(MINIBLOCKS);
  let index = 1;
  while (index < count) {
    const blockEnd = Math.min(index + BLOCK, count);
    const size = blockEnd - index;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < size; i++) {
      const d = (values[index + i] as number) - (values[index + i - 1] as number);
      deltas[i] = d;
      if (d < min) min = d;
    }
    out.zigzag(min);
    for (let mb = 0; mb < MINIBLOCKS; mb++) {
      const from = mb * PER_MINIBLOCK;
      const to = Math.min(from + PER_MINIBLOCK, size);
      let max = 0;
      for (let i = from; i < to; i++) {
        const adjusted = (deltas[i] as number) - min;
        if (adjusted > max) max = adjusted;
      }
      const width = max === 0 ? 0 : Math.floor(Math.log2(max)) + 1;
      // log2 of a number just below a power of two can round up: make sure max fits.
      widths[mb] = width > 0 && 2 ** (width - 1) > max ? width - 1 : width;
      if ((widths[mb] as number) > 45) {
        out.pos = start;
        return false;
      }
    }
    out.raw(widths);
    for (let mb = 0; mb < MINIBLOCKS; mb++) {
      const width = widths[mb] as number;
      if (width === 0) continue;
      const from = mb * PER_MINIBLOCK;
      const to = Math.min(from + PER_MINIBLOCK, size);
      out.ensure(width * 4);
      const b = out.bytes;
      let p = out.pos;
      let buffer = 0;
      let bits = 0;
      if (width <= 24) {
        for (let i = 0; i < PER_MINIBLOCK; i++) {
          const k = from + i;
          const adjusted = k < to ? (deltas[k] as number) - min : 0;
          buffer |= adjusted << bits;
          bits += width;
          while (bits >= 8) {
            b[p++] = buffer & 0xff;
            buffer >>>= 8;
            bits -= 8;
          }
        }
      } else {
        // Arithmetic packing: at most 7 pending bits plus 45 data bits stay below 2^53.
        for (let i = 0; i < PER_MINIBLOCK; i++) {
          const k = from + i;
          const adjusted = k < to ? (deltas[k] as number) - min : 0;
          buffer += adjusted * 2 ** bits;
          bits += width;
          while (bits >= 8) {
            b[p++] = buffer % 0x100;
            buffer = Math.floor(buffer / 0x100);
            bits -= 8;
          }
        }
      }
      out.pos = p;
    }
    index = blockEnd;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics helpers

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

interface Statistics {
  min_value?: unknown;
  max_value?: unknown;
  null_count: bigint;
  nan_count?: bigint;
}

// ---------------------------------------------------------------------------------------------------------------
// The file

/** What writing one column chunk's pages produced. */
interface WrittenChunk {
  readonly encodings: string[];
  readonly dictionaryOffset?: number;
  readonly dataOffset: number;
  readonly uncompressed: number;
}

/** A row group's dictionary of one string column: its values' bytes and how often each occurs. */
interface BuiltDictionary {
  readonly entries: Uint8Array[];
  readonly counts: number[];
}

/** The automatic dictionary rule (column-batch.ts) on a built dictionary. */
function pays(built: BuiltDictionary): boolean {
  let distinctBytes = 0;
  let totalBytes = 0;
  let nonNull = 0;
  for (let i = 0; i < built.entries.length; i++) {
    const length = (built.entries[i] as Uint8Array).length;
    const count = built.counts[i] as number;
    distinctBytes += length;
    totalBytes += length * count;
    nonNull += count;
  }
  return dictionaryPays(built.entries.length, distinctBytes, nonNull, totalBytes);
}

/** Min and max of byte strings (unsigned lexicographic = UTF-8 code point order). */
function bytesBounds(entries: readonly Uint8Array[], stats: Statistics): void {
  if (entries.length === 0) return;
  let min = entries[0] as Uint8Array;
  let max = min;
  for (const entry of entries) {
    if (compareBytes(entry, 0, entry.length, min, 0, min.length) < 0) min = entry;
    if (compareBytes(entry, 0, entry.length, max, 0, max.length) > 0) max = entry;
  }
  stats.min_value = min;
  stats.max_value = max;
}

/**
 * The row group's own dictionary of a `codes` column, in order of first appearance in the row group, and each
 * row's index into it (written to `local`, 0 for nulls).
 */
function remapDictionary(
  column: Extract<ColumnData, { kind: "dict" }>,
  g0: number,
  g1: number,
  local: Int32Array,
): BuiltDictionary {
  const { codes, dictionary } = column;
  const remap = new Int32Array(dictionary.length + 1).fill(-1);
  const used: number[] = [];
  const counts: number[] = [];
  for (let r = g0; r < g1; r++) {
    const global = codes[r] as number;
    if (global === 0) {
      local[r - g0] = 0;
      continue;
    }
    let l = remap[global] as number;
    if (l < 0) {
      l = used.length;
      remap[global] = l;
      used.push(global);
      counts.push(0);
    }
    counts[l] = (counts[l] as number) + 1;
    local[r - g0] = l;
  }
  return { entries: used.map((global) => utf8.encode(dictionary[global - 1] as string)), counts };
}

/** Null flags of a nullable `codes` column (code 0 is null), filled for rows `[g0, g1)`. */
function definedOfCodes(codes: ArrayLike<number>, g0: number, g1: number): Uint8Array {
  const defined = new Uint8Array(g1);
  for (let r = g0; r < g1; r++) defined[r] = codes[r] === 0 ? 0 : 1;
  return defined;
}

/**
 * A dictionary of a `bytes` column's rows `[g0, g1)`, in order of first appearance: an open-addressing hash table
 * over the byte ranges (a 32-bit multiplicative hash of 4 bytes at a time; equal hashes are compared byte by byte).
 * Entries are views into the column's data, not copies.
 */
function dictionaryFromBytes(
  column: Extract<ColumnData, { kind: "bytes" }>,
  g0: number,
  g1: number,
  local: Int32Array,
): BuiltDictionary {
  const { data, ends, defined } = column;
  let size = 16;
  while (size < (g1 - g0) * 2) size *= 2;
  const mask = size - 1;
  const table = new Int32Array(size).fill(-1);
  const hashes = new Int32Array(size);
  const starts: number[] = [];
  const stops: number[] = [];
  const counts: number[] = [];
  let s = g0 === 0 ? 0 : (ends[g0 - 1] as number);
  for (let r = g0; r < g1; r++) {
    const e = ends[r] as number;
    if (defined !== null && defined[r] === 0) {
      local[r - g0] = 0;
      s = e;
      continue;
    }
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
    h ^= h >>> 16;
    let slot = h & mask;
    let code = -1;
    for (;;) {
      const entry = table[slot] as number;
      if (entry < 0) break;
      if (hashes[slot] === h) {
        const es = starts[entry] as number;
        const ee = stops[entry] as number;
        if (ee - es === e - s) {
          let k = 0;
          const n = e - s;
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
      code = starts.length;
      starts.push(s);
      stops.push(e);
      counts.push(0);
      table[slot] = code;
      hashes[slot] = h;
    }
    counts[code] = (counts[code] as number) + 1;
    local[r - g0] = code;
    s = e;
  }
  const entries = starts.map((start, i) => data.subarray(start, stops[i] as number));
  return { entries, counts };
}

interface ChunkResult {
  readonly chunk: ColumnChunk;
  readonly uncompressed: number;
}

/**
 * Working memory of the writer, allocated once per thread and reused for every page of every file (encoding is
 * synchronous): allocating it per file or per page churned the C allocator, and resident memory crept up.
 */
const scratch = {
  levels: new Out(64 * 1024),
  data: new Out(1 << 20),
  compressed: new Out(1 << 20),
  ints: new Int32Array(1024),
  packed: new Int32Array(1024),
  file: new ByteWriter(4 << 20),
};

/** Writes the column chunks of a file, page by page, into `writer`. */
class ColumnWriter {
  private readonly levels = scratch.levels;
  private readonly data = scratch.data;

  constructor(
    private readonly writer: ByteWriter,
    private readonly options: ParquetFileOptions,
  ) {}

  private ints(n: number): Int32Array {
    if (scratch.ints.length < n) scratch.ints = new Int32Array(Math.max(n, scratch.ints.length * 2));
    return scratch.ints;
  }

  write(c: number, column: ColumnData, g0: number, g1: number): ChunkResult {
    const element = this.options.schema[c + 1] as SchemaElement;
    const type = this.options.columnTypes[c] as ColumnType;
    const { encoding, statistics } = this.options.columns[c] as ColumnOptions;
    const start = this.writer.offset;
    let nulls = 0;
    const defined =
      column.kind === "dict"
        ? column.nullable
          ? definedOfCodes(column.codes, g0, g1)
          : null
        : column.defined;
    if (defined !== null) for (let r = g0; r < g1; r++) if (defined[r] === 0) nulls++;
    const stats: Statistics | undefined = statistics ? { null_count: BigInt(nulls) } : undefined;

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
    const dataEncoding = result.encodings[result.encodings.length - 1] as string;
    const chunk: ColumnChunk = {
      file_offset: BigInt(start),
      meta_data: {
        type: element.type as NonNullable<SchemaElement["type"]>,
        encodings: result.encodings as never,
        path_in_schema: [element.name],
        codec: "SNAPPY",
        num_values: BigInt(g1 - g0),
        total_uncompressed_size: BigInt(result.uncompressed),
        total_compressed_size: BigInt(this.writer.offset - start),
        data_page_offset: BigInt(result.dataOffset),
        dictionary_page_offset:
          result.dictionaryOffset === undefined ? undefined : BigInt(result.dictionaryOffset),
        statistics: stats as never,
        encoding_stats: stats
          ? ([
              ...(result.dictionaryOffset === undefined
                ? []
                : [{ page_type: "DICTIONARY_PAGE", encoding: "PLAIN", count: 1 }]),
              { page_type: "DATA_PAGE_V2", encoding: dataEncoding, count: this.pagesWritten },
            ] as never)
          : undefined,
      },
    };
    return { chunk, uncompressed: result.uncompressed };
  }

  private pagesWritten = 0;

  /** Writes the definition levels of rows `[p0, p1)` into `this.levels`; returns the number of nulls. */
  private levelsOf(defined: Uint8Array | null, p0: number, p1: number): number {
    this.levels.reset();
    if (defined === null) return 0;
    writeHybrid(this.levels, defined, p0, p1, 1);
    let nulls = 0;
    for (let r = p0; r < p1; r++) if (defined[r] === 0) nulls++;
    return nulls;
  }

  /** Compresses `this.data` and writes one DATA_PAGE_V2 with `this.levels`; returns its uncompressed size. */
  private page(rows: number, nulls: number, encoding: string): number {
    const levels = this.levels.view();
    const values = this.data.view();
    const compressed = compress(values);
    const headerStart = this.writer.offset;
    writePageHeader(this.writer, {
      type: "DATA_PAGE_V2",
      uncompressed_page_size: levels.length + values.length,
      compressed_page_size: levels.length + compressed.length,
      data_page_header_v2: {
        num_values: rows,
        num_nulls: nulls,
        num_rows: rows,
        encoding: encoding as never,
        definition_levels_byte_length: levels.length,
        repetition_levels_byte_length: 0,
        is_compressed: true,
      },
    });
    const headerSize = this.writer.offset - headerStart;
    this.writer.appendBytes(levels);
    this.writer.appendBytes(compressed);
    this.pagesWritten++;
    return headerSize + levels.length + values.length;
  }

  private dictionaryPage(count: number): number {
    const values = this.data.view();
    const compressed = compress(values);
    const headerStart = this.writer.offset;
    writePageHeader(this.writer, {
      type: "DICTIONARY_PAGE",
      uncompressed_page_size: values.length,
      compressed_page_size: compressed.length,
      dictionary_page_header: { num_values: count, encoding: "PLAIN" },
    });
    const headerSize = this.writer.offset - headerStart;
    this.writer.appendBytes(compressed);
    return headerSize + values.length;
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
    encoding: ColumnOptions["encoding"],
    g0: number,
    g1: number,
    stats: Statistics | undefined,
  ): WrittenChunk {
    if (column.kind === "bytes") {
      const wanted =
        encoding === "dictionary" || (encoding === "auto" && this.sampleSaysDictionary(column, g0, g1));
      if (!wanted) return this.writePlainBytes(column, g0, g1, stats);
      const local = this.ints(g1 - g0);
      const built = dictionaryFromBytes(column, g0, g1, local);
      if (built.entries.length === 0 || (encoding === "auto" && !pays(built)))
        return this.writePlainBytes(column, g0, g1, stats);
      if (stats !== undefined) bytesBounds(built.entries, stats);
      return this.writeDictionary(defined, built.entries, local, g0, g1);
    }
    const local = this.ints(g1 - g0);
    const built = remapDictionary(column, g0, g1, local);
    if (stats !== undefined) bytesBounds(built.entries, stats);
    if (built.entries.length === 0 || encoding === "plain" || (encoding === "auto" && !pays(built)))
      return this.writePlainFromDictionary(defined, local, built.entries, g0, g1);
    return this.writeDictionary(defined, built.entries, local, g0, g1);
  }

  /**
   * hyparquet-writer's sampling for `auto`: 1000 values spread over the chunk; when distinct values make up more
   * than 90 % of the sampled bytes, a dictionary cannot pay and is not built.
   */
  private sampleSaysDictionary(
    column: Extract<ColumnData, { kind: "bytes" }>,
    g0: number,
    g1: number,
  ): boolean {
    const n = g1 - g0;
    const samples = Math.min(n, 1000);
    const seen = new Set<string>();
    let distinctBytes = 0;
    let totalBytes = 0;
    const decoder = new TextDecoder();
    for (let i = 0; i < samples; i++) {
      const r = g0 + (samples === 1 ? 0 : Math.floor((i * (n - 1)) / (samples - 1)));
      if (column.defined !== null && column.defined[r] === 0) continue;
      const s = r === 0 ? 0 : (column.ends[r - 1] as number);
      const e = column.ends[r] as number;
      const size = e - s + 4;
      totalBytes += size;
      const key = decoder.decode(column.data.subarray(s, e));
      if (!seen.has(key)) {
        seen.add(key);
        distinctBytes += size;
      }
    }
    return totalBytes > 0 && distinctBytes / totalBytes <= 0.9;
  }

  /** A dictionary page of `entries` (PLAIN), then data pages of the rows' indexes into it. */
  private writeDictionary(
    defined: Uint8Array | null,
    entries: readonly Uint8Array[],
    local: Int32Array,
    g0: number,
    g1: number,
  ): WrittenChunk {
    const dictionaryOffset = this.writer.offset;
    this.data.reset();
    for (const bytes of entries) {
      this.data.u32(bytes.length);
      this.data.raw(bytes);
    }
    let uncompressed = this.dictionaryPage(entries.length);
    const dataOffset = this.writer.offset;
    // Data pages of indexes (4 bytes per row as the page size estimate, as hyparquet-writer counts them).
    const bitWidth = Math.max(1, bitWidthOf(entries.length - 1));
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
    encoded: readonly Uint8Array[],
    g0: number,
    g1: number,
  ): WrittenChunk {
    const dataOffset = this.writer.offset;
    let uncompressed = 0;
    this.pagesWritten = 0;
    let p0 = g0;
    do {
      // About PAGE_BYTES of values per page (at least one row).
      let bytes = 0;
      let p1 = p0;
      while (p1 < g1 && (bytes < PAGE_BYTES || p1 === p0)) {
        if (defined === null || defined[p1] !== 0)
          bytes += 4 + (encoded[local[p1 - g0] as number] as Uint8Array).length;
        p1++;
      }
      const nulls = this.levelsOf(defined, p0, p1);
      this.data.reset();
      this.data.ensure(bytes);
      for (let r = p0; r < p1; r++) {
        if (defined !== null && defined[r] === 0) continue;
        const value = encoded[local[r - g0] as number] as Uint8Array;
        this.data.u32(value.length);
        this.data.raw(value);
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
    const dataOffset = this.writer.offset;
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
      while (p1 < g1 && ((ends[p1] as number) - pageStart < PAGE_BYTES || p1 === p0)) p1++;
      const nulls = this.levelsOf(defined, p0, p1);
      const out = this.data;
      out.reset();
      out.ensure((p1 - p0 - nulls) * 4 + ((p1 === 0 ? 0 : (ends[p1 - 1] as number)) - pageStart));
      const b = out.bytes;
      let p = 0;
      let s = pageStart;
      for (let r = p0; r < p1; r++) {
        const e = ends[r] as number;
        if (defined !== null && defined[r] === 0) continue;
        const length = e - s;
        b[p] = length;
        b[p + 1] = length >>> 8;
        b[p + 2] = length >>> 16;
        b[p + 3] = length >>> 24;
        p += 4;
        if (length < 64) {
          for (let k = s; k < e; k++) b[p++] = data[k] as number;
        } else {
          b.set(data.subarray(s, e), p);
          p += length;
        }
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
    const entries: number[] = [];
    const local = this.ints(g1 - g0);
    for (let r = g0; r < g1; r++) {
      if (defined !== null && defined[r] === 0) {
        local[r - g0] = 0;
        continue;
      }
      const v = values[r] as number;
      let l = index.get(v);
      if (l === undefined) {
        l = entries.length;
        entries.push(v);
        index.set(v, l);
      }
      local[r - g0] = l;
    }
    if (stats !== undefined && entries.length > 0) {
      stats.min_value = Math.min(...entries);
      stats.max_value = Math.max(...entries);
    }
    if (entries.length === 0) return this.writeFixed(column, "int32", g0, g1, undefined, "PLAIN");
    const dictionaryOffset = this.writer.offset;
    this.data.reset();
    for (const v of entries) this.data.u32(v);
    let uncompressed = this.dictionaryPage(entries.length);
    const dataOffset = this.writer.offset;
    const bitWidth = Math.max(1, bitWidthOf(entries.length - 1));
    const bounds = ColumnWriter.fixedPages(g0, g1, 4);
    this.pagesWritten = 0;
    for (let b = 0; b + 1 < bounds.length; b++) {
      const p0 = bounds[b] as number;
      const p1 = bounds[b + 1] as number;
      const nulls = this.levelsOf(defined, p0, p1);
      const packed = nulls === 0 ? local : this.nonNullIndexes(defined as Uint8Array, local, g0, p0, p1);
      const from = nulls === 0 ? p0 - g0 : 0;
      this.data.reset();
      this.data.u8(bitWidth);
      writeHybrid(this.data, packed, from, from + (p1 - p0 - nulls), bitWidth);
      uncompressed += this.page(p1 - p0, nulls, "RLE_DICTIONARY");
    }
    return { encodings: ["PLAIN", "RLE_DICTIONARY"], dictionaryOffset, dataOffset, uncompressed };
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
    const dataOffset = this.writer.offset;
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
          const length = out.pos - lengthAt - 4;
          const bytes = out.bytes;
          bytes[lengthAt] = length;
          bytes[lengthAt + 1] = length >>> 8;
          bytes[lengthAt + 2] = length >>> 16;
          bytes[lengthAt + 3] = length >>> 24;
          break;
        }
        case "double": {
          if (type === "timestamp_ms") {
            const ms = nonNullNumbers(column.values, defined, p0, p1, n);
            if (encoding === "DELTA_BINARY_PACKED") {
              if (!deltaPackNumbers(out, ms, n))
                bigDelta(
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
              bigDelta(out, values);
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

/** hyparquet-writer's DELTA_BINARY_PACKED with BigInt arithmetic, for values beyond what numbers hold exactly. */
function bigDelta(out: Out, values: bigint[]): void {
  const writer = new ByteWriter();
  deltaBinaryPack(writer, values, "INT64");
  out.raw(writer.getBytes());
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
      let nan = 0n;
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

/** Snappy into the shared buffer: valid until the next call. */
function compress(values: Uint8Array): Uint8Array {
  const out = scratch.compressed;
  out.reset();
  out.ensure(maxCompressedLength(values.length));
  return out.bytes.subarray(0, snappyCompressInto(values, out.bytes));
}

/** The whole file. */
export function writeParquetFile(batch: BatchData, options: ParquetFileOptions): Uint8Array {
  // One growing buffer per thread for the file being written; the result is copied out of it.
  const writer = scratch.file;
  writer.offset = 0;
  writer.index = 0;
  writer.appendUint32(PAR1);
  const columnWriter = new ColumnWriter(writer, options);
  const rowGroups: RowGroup[] = [];
  for (let g0 = 0; g0 < batch.rows; g0 += options.rowGroupSize) {
    const g1 = Math.min(batch.rows, g0 + options.rowGroupSize);
    const groupStart = writer.offset;
    const columns: ColumnChunk[] = [];
    let totalBytes = 0n;
    batch.columns.forEach((column, c) => {
      const { chunk, uncompressed } = columnWriter.write(c, column, g0, g1);
      columns.push(chunk);
      totalBytes += BigInt(uncompressed);
    });
    rowGroups.push({
      columns,
      total_byte_size: totalBytes,
      num_rows: BigInt(g1 - g0),
      total_compressed_size: BigInt(writer.offset - groupStart),
    });
  }
  const metadata: Omit<FileMetaData, "metadata_length"> = {
    version: 2,
    created_by: options.createdBy,
    schema: options.schema as SchemaElement[],
    num_rows: BigInt(batch.rows),
    row_groups: rowGroups,
  };
  writeMetadata(writer, metadata as FileMetaData);
  writer.appendUint32(PAR1);
  return writer.getBytes().slice();
}
