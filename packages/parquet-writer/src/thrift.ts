import type { ByteBuffer } from "./bytes.ts";

/**
 * The Thrift compact protocol for the two structures a Parquet writer serializes, page headers and the file
 * footer (FileMetaData), restricted to the fields this writer sets. Field ids and enum values are those of the
 * Parquet format's parquet.thrift; a field left undefined is not written.
 *
 * Compact protocol in brief: a struct is a sequence of fields, each a header byte `(id delta << 4) | type` (or the
 * type alone followed by the zigzag id when the delta is not 1–15), then the value, and a 0 byte at the end;
 * integers are zigzag varints; binaries a varint length and the bytes; a list a byte `(size << 4) | element type`
 * (size 15 means a varint size follows) and its elements; a boolean field carries its value in the type (1 true,
 * 2 false).
 */

const TRUE = 1;
const FALSE = 2;
const I32 = 5;
const I64 = 6;
const BINARY = 8;
const LIST = 9;
const STRUCT = 12;

export type PhysicalType = "BOOLEAN" | "INT32" | "INT64" | "DOUBLE" | "BYTE_ARRAY";
export type Encoding = "PLAIN" | "RLE" | "DELTA_BINARY_PACKED" | "RLE_DICTIONARY";
export type ConvertedType = "UTF8" | "TIMESTAMP_MILLIS";
export type PageType = "DICTIONARY_PAGE" | "DATA_PAGE_V2";

const PHYSICAL_TYPES: Record<PhysicalType, number> = {
  BOOLEAN: 0,
  INT32: 1,
  INT64: 2,
  DOUBLE: 5,
  BYTE_ARRAY: 6,
};
const ENCODINGS: Record<Encoding, number> = { PLAIN: 0, RLE: 3, DELTA_BINARY_PACKED: 5, RLE_DICTIONARY: 8 };
const CONVERTED_TYPES: Record<ConvertedType, number> = { UTF8: 0, TIMESTAMP_MILLIS: 9 };
const PAGE_TYPES: Record<PageType, number> = { DICTIONARY_PAGE: 2, DATA_PAGE_V2: 3 };
const REPETITION = { REQUIRED: 0, OPTIONAL: 1 } as const;
const SNAPPY = 1;

/** The root element (`numChildren` set, no type) or a leaf column. */
export interface SchemaElement {
  readonly name: string;
  readonly type?: PhysicalType;
  readonly repetition?: keyof typeof REPETITION;
  readonly numChildren?: number;
  readonly convertedType?: ConvertedType;
  /** The STRING logical type annotation. */
  readonly logicalString?: boolean;
}

/** Column chunk statistics: min/max already in their Parquet byte form. */
export interface Statistics {
  readonly nullCount: number;
  readonly min?: Uint8Array;
  readonly max?: Uint8Array;
  /** False when `min` was shortened (written only then, as the spec lets an absent flag mean exact). */
  readonly minExact: boolean;
  readonly maxExact: boolean;
  /** Only for floating-point columns. */
  readonly nanCount?: number;
}

export interface ColumnChunkMetaData {
  /** Where the chunk starts in the file. */
  readonly fileOffset: number;
  readonly type: PhysicalType;
  readonly encodings: readonly Encoding[];
  readonly name: string;
  readonly numValues: number;
  readonly uncompressedSize: number;
  readonly compressedSize: number;
  readonly dataPageOffset: number;
  readonly dictionaryPageOffset?: number;
  readonly statistics?: Statistics;
  readonly encodingStats?: readonly { pageType: PageType; encoding: Encoding; count: number }[];
}

export interface RowGroupMetaData {
  readonly columns: readonly ColumnChunkMetaData[];
  readonly totalByteSize: number;
  readonly numRows: number;
  readonly totalCompressedSize: number;
}

export interface FileMetaData {
  readonly schema: readonly SchemaElement[];
  readonly numRows: number;
  readonly rowGroups: readonly RowGroupMetaData[];
  readonly createdBy: string;
}

export type PageHeader =
  | {
      readonly type: "DICTIONARY_PAGE";
      readonly uncompressedSize: number;
      readonly compressedSize: number;
      readonly numValues: number;
    }
  | {
      readonly type: "DATA_PAGE_V2";
      readonly uncompressedSize: number;
      readonly compressedSize: number;
      readonly numValues: number;
      readonly numNulls: number;
      readonly numRows: number;
      readonly encoding: Encoding;
      readonly definitionLevelsLength: number;
      /** Always true here: the writer compresses every data page. */
      readonly compressed: true;
    };

const utf8 = new TextEncoder();

/**
 * The UTF-8 bytes of schema and column names, encoded once: every object's footer names each column twice, and
 * encoding them anew was ≈ 27 µs per object (5,002 small objects of 200 logs: 0.14 s; docs/BENCHMARKS.md, issue 20,
 * twelfth round). Names come from a handful of schemas; past {@link MAX_NAMES} the map starts again.
 */
const NAMES = new Map<string, Uint8Array>();
const MAX_NAMES = 4096;

function nameBytes(name: string): Uint8Array {
  let bytes = NAMES.get(name);
  if (bytes === undefined) {
    if (NAMES.size >= MAX_NAMES) NAMES.clear();
    bytes = utf8.encode(name);
    NAMES.set(name, bytes);
  }
  return bytes;
}

/** Writes compact-protocol structs into a {@link ByteBuffer}; field ids must ascend within a struct. */
class CompactWriter {
  private lastId = 0;
  private readonly outer: number[] = [];

  constructor(private readonly out: ByteBuffer) {}

  begin(): void {
    this.outer.push(this.lastId);
    this.lastId = 0;
  }

  end(): void {
    this.out.u8(0);
    this.lastId = this.outer.pop() ?? 0;
  }

  private field(id: number, type: number): void {
    const delta = id - this.lastId;
    if (delta > 0 && delta <= 15) this.out.u8((delta << 4) | type);
    else {
      this.out.u8(type);
      this.out.zigzag(id);
    }
    this.lastId = id;
  }

  i32(id: number, value: number | undefined): void {
    if (value === undefined) return;
    this.field(id, I32);
    this.out.zigzag(value);
  }

  /** An i64 field from a safe integer (every count and offset here). */
  i64(id: number, value: number | undefined): void {
    if (value === undefined) return;
    this.field(id, I64);
    this.out.zigzag(value);
  }

  binary(id: number, value: Uint8Array | undefined): void {
    if (value === undefined) return;
    this.field(id, BINARY);
    this.out.varint(value.length);
    this.out.raw(value);
  }

  string(id: number, value: string | undefined): void {
    if (value !== undefined) this.binary(id, utf8.encode(value));
  }

  /** A column or schema name: its bytes from {@link nameBytes}. */
  name(id: number, value: string): void {
    this.binary(id, nameBytes(value));
  }

  bool(id: number, value: boolean | undefined): void {
    if (value !== undefined) this.field(id, value ? TRUE : FALSE);
  }

  struct(id: number, body: () => void): void {
    this.field(id, STRUCT);
    this.begin();
    body();
    this.end();
  }

  private listHeader(id: number, size: number, type: number): void {
    this.field(id, LIST);
    if (size < 15) this.out.u8((size << 4) | type);
    else {
      this.out.u8((15 << 4) | type);
      this.out.varint(size);
    }
  }

  i32List(id: number, values: readonly number[]): void {
    this.listHeader(id, values.length, I32);
    for (const value of values) this.out.zigzag(value);
  }

  /** A list of one name (a column's path in the schema): its bytes from {@link nameBytes}. */
  nameList(id: number, value: string): void {
    this.listHeader(id, 1, BINARY);
    const bytes = nameBytes(value);
    this.out.varint(bytes.length);
    this.out.raw(bytes);
  }

  structList<T>(id: number, items: readonly T[], body: (item: T) => void): void {
    this.listHeader(id, items.length, STRUCT);
    for (const item of items) {
      this.begin();
      body(item);
      this.end();
    }
  }
}

export function writePageHeader(out: ByteBuffer, header: PageHeader): void {
  const w = new CompactWriter(out);
  w.begin();
  w.i32(1, PAGE_TYPES[header.type]);
  w.i32(2, header.uncompressedSize);
  w.i32(3, header.compressedSize);
  if (header.type === "DICTIONARY_PAGE") {
    w.struct(7, () => {
      w.i32(1, header.numValues);
      w.i32(2, ENCODINGS.PLAIN);
    });
  } else {
    w.struct(8, () => {
      w.i32(1, header.numValues);
      w.i32(2, header.numNulls);
      w.i32(3, header.numRows);
      w.i32(4, ENCODINGS[header.encoding]);
      w.i32(5, header.definitionLevelsLength);
      w.i32(6, 0);
      // is_compressed (7) defaults to true.
    });
  }
  w.end();
}

function writeStatistics(w: CompactWriter, s: Statistics): void {
  w.i64(3, s.nullCount);
  w.binary(5, s.max);
  w.binary(6, s.min);
  w.bool(7, s.maxExact ? undefined : false);
  w.bool(8, s.minExact ? undefined : false);
  w.i64(9, s.nanCount);
}

function writeColumnChunk(w: CompactWriter, c: ColumnChunkMetaData): void {
  w.i64(2, c.fileOffset);
  w.struct(3, () => {
    w.i32(1, PHYSICAL_TYPES[c.type]);
    w.i32List(
      2,
      c.encodings.map((e) => ENCODINGS[e]),
    );
    w.nameList(3, c.name);
    w.i32(4, SNAPPY);
    w.i64(5, c.numValues);
    w.i64(6, c.uncompressedSize);
    w.i64(7, c.compressedSize);
    w.i64(9, c.dataPageOffset);
    w.i64(11, c.dictionaryPageOffset);
    const statistics = c.statistics;
    if (statistics !== undefined) w.struct(12, () => writeStatistics(w, statistics));
    if (c.encodingStats !== undefined)
      w.structList(13, c.encodingStats, (s) => {
        w.i32(1, PAGE_TYPES[s.pageType]);
        w.i32(2, ENCODINGS[s.encoding]);
        w.i32(3, s.count);
      });
  });
}

/** The footer: FileMetaData (version 2, every column in type-defined sort order), then its length. */
export function writeFileMetaData(out: ByteBuffer, meta: FileMetaData): void {
  const start = out.pos;
  const w = new CompactWriter(out);
  w.begin();
  w.i32(1, 2);
  w.structList(2, meta.schema, (e) => {
    w.i32(1, e.type === undefined ? undefined : PHYSICAL_TYPES[e.type]);
    w.i32(3, e.repetition === undefined ? undefined : REPETITION[e.repetition]);
    w.name(4, e.name);
    w.i32(5, e.numChildren);
    w.i32(6, e.convertedType === undefined ? undefined : CONVERTED_TYPES[e.convertedType]);
    // LogicalType is a union: STRING is its field 1, an empty struct.
    if (e.logicalString === true) w.struct(10, () => w.struct(1, () => {}));
  });
  w.i64(3, meta.numRows);
  w.structList(4, meta.rowGroups, (g) => {
    w.structList(1, g.columns, (c) => writeColumnChunk(w, c));
    w.i64(2, g.totalByteSize);
    w.i64(3, g.numRows);
    w.i64(6, g.totalCompressedSize);
  });
  w.string(6, meta.createdBy);
  // ColumnOrder per leaf: TYPE_ORDER (field 1, an empty struct): min/max follow the column's type order.
  w.structList(
    7,
    meta.schema.filter((e) => e.type !== undefined),
    () => w.struct(1, () => {}),
  );
  w.end();
  out.u32(out.pos - start);
}
