import type { ObjectInfo, ObjectStore, PutOptions } from "../../functions/ports/object-store.ts";
import type { TableEncoder, TableSchema } from "../../functions/ports/table-encoder.ts";

/** An ObjectStore in a Map, for tests of the core: every write is visible, nothing touches the disk. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Uint8Array; lastModified: number }>();
  constructor(private readonly now: () => number = () => 0) {}

  async put(key: string, body: Uint8Array, _options?: PutOptions): Promise<void> {
    this.objects.set(key, { body, lastModified: this.now() });
  }
  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    if (this.objects.has(key)) return false;
    this.objects.set(key, { body, lastModified: this.now() });
    return true;
  }
  async get(key: string): Promise<Uint8Array | null> {
    return this.objects.get(key)?.body ?? null;
  }
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of [...this.objects.keys()].sort()) {
      const object = this.objects.get(key);
      if (key.startsWith(prefix) && object !== undefined) {
        yield { key, size: object.body.byteLength, lastModified: object.lastModified };
      }
    }
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
  keys(prefix = ""): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

/** A TableEncoder that writes JSON lines: lets core tests read back rows without a Parquet reader. */
export const jsonLinesEncoder: TableEncoder = {
  extension: "jsonl",
  encode(_schema: TableSchema, rows: readonly Readonly<Record<string, unknown>>[]): Uint8Array {
    const text = rows
      .map((r) => JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)))
      .join("\n");
    return new TextEncoder().encode(text);
  },
};

export function decodeJsonLines(body: Uint8Array | null): Record<string, unknown>[] {
  if (body === null || body.byteLength === 0) return [];
  return new TextDecoder()
    .decode(body)
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export async function rowsUnder(
  store: MemoryObjectStore,
  prefix: string,
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const key of store.keys(prefix)) rows.push(...decodeJsonLines(await store.get(key)));
  return rows;
}
