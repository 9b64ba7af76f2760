/** What a table looks like to the writer: flat columns of six types, and how each is to be written. */

export type ColumnType = "string" | "int32" | "int64" | "double" | "boolean" | "timestamp_ms";

export interface ColumnSpec {
  /** Letters, digits and `_`, not starting with a digit. */
  readonly name: string;
  readonly type: ColumnType;
  /** OPTIONAL (null allowed) or REQUIRED. */
  readonly nullable: boolean;
  /**
   * `plain`: values as they are. `dictionary` (strings and int32): a dictionary page per row group and
   * RLE_DICTIONARY indexes. `delta` (int64 and timestamps): DELTA_BINARY_PACKED. `auto` (the default): plain, except
   * strings, which get a dictionary where it pays (see the README). An encoding that does not apply to the
   * column's type means `auto`.
   */
  readonly encoding?: "auto" | "plain" | "dictionary" | "delta";
  /** Min/max and null count in the footer, per row group. Default true. */
  readonly statistics?: boolean;
  /**
   * Strings only: how values are kept while rows are added. `codes`: a Map lookup per value and one code per row,
   * cheap when values repeat as the very same string objects (their hash is cached by the engine). `bytes` (the
   * default): the UTF-8 bytes are copied, and a dictionary, if wanted, is built when the file is written.
   */
  readonly collect?: "codes" | "bytes";
}

export interface TableSpec {
  /** Used in error messages only. */
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
}

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const checked = new WeakSet<TableSpec>();

/** Throws unless every column has a valid, unique name (names reach generated code, see batch.ts). */
export function checkTable(table: TableSpec): void {
  if (checked.has(table)) return;
  if (table.columns.length === 0) throw new Error(`table ${table.name} has no columns`);
  const seen = new Set<string>();
  for (const column of table.columns) {
    if (!COLUMN_NAME.test(column.name))
      throw new Error(`table ${table.name}: bad column name ${column.name}`);
    if (seen.has(column.name)) throw new Error(`table ${table.name}: column ${column.name} appears twice`);
    seen.add(column.name);
  }
  checked.add(table);
}
