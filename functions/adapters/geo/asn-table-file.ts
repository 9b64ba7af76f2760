import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { AsnDatabaseError, AsnRangeTable, type AsnTableData, nameOffsets } from "./asn-ranges.ts";

/**
 * The bundled AS table pre-parsed: the range tables of ./asn-ranges.ts as they are after reading the two CSV files
 * (overlaps already cut, order already checked), written once at build time (`cdk synth` for the ingest function,
 * infra/constructs/logsieve-function.ts) and read at every cold start with one `readFileSync` whose bytes the tables
 * view in place. Parsing the 32 MB of CSV cost ≈ 0.4 s of CPU per cold start (the organisation names' slices and
 * their Map lookups most of it); this file is ≈ 9 MB and is read in a few milliseconds.
 *
 * Layout (little-endian, every section 4-byte aligned, nothing else in the file):
 *
 *     magic "LSASNT01"                                 8 bytes
 *     v4 rows, v6 rows, names, name bytes              4 × u32
 *     v4 starts, v4 ends (u32), v4 name indexes (i32)  3 × v4 rows × 4 bytes
 *     v6 starts, v6 ends (4 u32 words each, most significant first), v6 name indexes (i32)
 *     organisation names: UTF-8, joined by "\n", padded with "\n" to a multiple of 4 bytes
 *
 * A name index of -1 is a row without an organisation.
 */

const MAGIC = "LSASNT01";
const HEADER_BYTES = 8 + 4 * 4;
/** The default name, beside the function's bundle (`/var/task/asn-table.bin`). */
export const ASN_TABLE_FILE = "asn-table.bin";

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const pad4 = (n: number): number => (n + 3) & ~3;

/** The table as the file's bytes. */
export function asnTableBytes(table: AsnRangeTable): Buffer {
  if (!littleEndian)
    throw new AsnDatabaseError("the AS table file is written on little-endian machines only");
  const { v4, v6, names } = table.data();
  for (const name of names) {
    if (name.includes("\n")) throw new AsnDatabaseError(`an organisation name holds a line break: ${name}`);
  }
  const nameText = Buffer.from(names.join("\n"), "utf8");
  const nameBytes = pad4(nameText.length);
  const size = HEADER_BYTES + v4.length * 12 + v6.length * 36 + nameBytes;
  const out = Buffer.alloc(size, 0x0a);
  out.write(MAGIC, 0, "latin1");
  const header = new Uint32Array(out.buffer, out.byteOffset + 8, 4);
  header.set([v4.length, v6.length, names.length, nameText.length]);
  let at = HEADER_BYTES;
  const put = (array: Uint32Array | Int32Array, count: number) => {
    out.set(new Uint8Array(array.buffer, array.byteOffset, count * 4), at);
    at += count * 4;
  };
  put(v4.starts, v4.length);
  put(v4.ends, v4.length);
  put(v4.names, v4.length);
  put(v6.starts, v6.length * 4);
  put(v6.ends, v6.length * 4);
  put(v6.names, v6.length);
  nameText.copy(out, at);
  return out;
}

/**
 * A table from the file's bytes, its ranges viewing those bytes in place (copied once when they are not 4-byte
 * aligned). Throws an {@link AsnDatabaseError} on a file that is not one (magic, sizes, name indexes, order).
 */
export function asnTableFromBytes(file: Uint8Array): AsnRangeTable {
  if (!littleEndian) throw new AsnDatabaseError("the AS table file is read on little-endian machines only");
  const bytes = file.byteOffset % 4 === 0 ? file : new Uint8Array(file);
  const notATable = (why: string) => new AsnDatabaseError(`not a logsieve AS table file: ${why}`);
  if (
    bytes.length < HEADER_BYTES ||
    Buffer.from(bytes.buffer, bytes.byteOffset, 8).toString("latin1") !== MAGIC
  ) {
    throw notATable("no LSASNT01 header");
  }
  const [v4Rows, v6Rows, nameCount, nameTextBytes] = new Uint32Array(
    bytes.buffer,
    bytes.byteOffset + 8,
    4,
  ) as unknown as [number, number, number, number];
  const expected = HEADER_BYTES + v4Rows * 12 + v6Rows * 36 + pad4(nameTextBytes);
  if (bytes.length !== expected) throw notATable(`${bytes.length} bytes where its header says ${expected}`);
  let at = bytes.byteOffset + HEADER_BYTES;
  const u32 = (count: number) => {
    const view = new Uint32Array(bytes.buffer, at, count);
    at += count * 4;
    return view;
  };
  const i32 = (count: number) => {
    const view = new Int32Array(bytes.buffer, at, count);
    at += count * 4;
    return view;
  };
  const v4 = { starts: u32(v4Rows), ends: u32(v4Rows), names: i32(v4Rows), length: v4Rows };
  const v6 = { starts: u32(v6Rows * 4), ends: u32(v6Rows * 4), names: i32(v6Rows), length: v6Rows };
  // The names stay bytes of the file (decoded one by one when a lookup first reaches them): 80,000 strings on the
  // heap were about 5 MB per thread, kept for the whole run.
  const text = new Uint8Array(bytes.buffer, at, nameTextBytes);
  let offsets: Uint32Array;
  try {
    offsets = nameOffsets(text, nameCount);
  } catch (error) {
    throw notATable(`its organisation names: ${(error as Error).message}`);
  }
  const data: AsnTableData = { v4, v6, names: { text, offsets } };
  checkTable(data, notATable);
  return AsnRangeTable.fromData(data);
}

/** What a search relies on: each range's start at most its end, starts increasing, ranges apart, names known. */
function checkTable(data: AsnTableData, fail: (why: string) => Error): void {
  const { v4, v6, names } = data;
  for (let i = 0; i < v4.length; i++) {
    const start = v4.starts[i] as number;
    if (start > (v4.ends[i] as number) || (i > 0 && start <= (v4.ends[i - 1] as number))) {
      throw fail(`IPv4 row ${i + 1} is not a range after the one before`);
    }
  }
  const compare = (a: Uint32Array, ai: number, b: Uint32Array, bi: number): number => {
    for (let w = 0; w < 4; w++) {
      const x = a[ai * 4 + w] as number;
      const y = b[bi * 4 + w] as number;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
  for (let i = 0; i < v6.length; i++) {
    if (compare(v6.starts, i, v6.ends, i) > 0 || (i > 0 && compare(v6.starts, i, v6.ends, i - 1) <= 0)) {
      throw fail(`IPv6 row ${i + 1} is not a range after the one before`);
    }
  }
  const nameCount = "offsets" in names ? names.offsets.length - 1 : names.length;
  for (const list of [v4.names, v6.names]) {
    for (const index of list) {
      if (index < -1 || index >= nameCount) throw fail(`a row names organisation ${index} of ${nameCount}`);
    }
  }
}

/** Reads a table file (one `readFileSync`). */
export function readAsnTableFile(path: string): AsnRangeTable {
  return asnTableFromBytes(readFileSync(path));
}

/**
 * The table file for the two CSV files, built when absent: `<dir>/asn-table-<digest>.bin`, the digest covering both
 * files' bytes and this layout, so a changed database (an `npm update`) gets a file of its own. Written to a
 * temporary name and renamed, so processes building it at the same time (tests synthesizing in parallel) never read
 * half a file.
 */
export function ensureAsnTableFile(
  csv: { readonly ipv4: string; readonly ipv6: string },
  dir: string,
): string {
  const ipv4 = readFileSync(csv.ipv4);
  const ipv6 = readFileSync(csv.ipv6);
  const digest = createHash("sha256").update(MAGIC).update(ipv4).update("\0").update(ipv6).digest("hex");
  const path = join(dir, `asn-table-${digest.slice(0, 16)}.bin`);
  if (existsSync(path)) return path;
  const table = AsnRangeTable.fromCsv(ipv4.toString("utf8"), ipv6.toString("utf8"));
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, asnTableBytes(table));
  renameSync(temporary, path);
  return path;
}

/**
 * The table of two CSV files through a cache kept beside them: `<dir>/asn-table-<key>.bin`, the key covering the two
 * files' paths, sizes and modification times (a stat each, where hashing their 32 MB would cost about as much as
 * the parse it saves a good part of). The first process parses the CSV (`parse`, its errors as they are) and writes
 * the file; every later one reads it (≈ 20 ms instead of ≈ 0.4–0.7 s of CPU). A cache that cannot be read or written
 * (a read-only install, a damaged file) is passed over: the CSV is parsed, as without a cache.
 */
export function cachedAsnTable(
  csv: { readonly ipv4: string; readonly ipv6: string },
  dir: string,
  parse: () => AsnRangeTable,
): AsnRangeTable {
  let path: string;
  try {
    const stamp = [csv.ipv4, csv.ipv6].map((file) => {
      const stat = statSync(file);
      return `${file}\0${stat.size}\0${stat.mtimeMs}`;
    });
    const key = createHash("sha256").update(MAGIC).update(stamp.join("\0")).digest("hex").slice(0, 16);
    path = join(dir, `asn-table-${key}.bin`);
  } catch {
    return parse();
  }
  try {
    return readAsnTableFile(path);
  } catch {
    // Not cached yet (or damaged): parsed below, then written.
  }
  const table = parse();
  try {
    mkdirSync(dir, { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, asnTableBytes(table));
    renameSync(temporary, path);
    // Tables of earlier versions of the files are of no more use.
    for (const name of readdirSync(dir)) {
      if (/^asn-table-[0-9a-f]{16}\.bin$/.test(name) && join(dir, name) !== path)
        rmSync(join(dir, name), { force: true });
    }
  } catch {
    // No cache here: the next process parses the CSV too.
  }
  return table;
}
