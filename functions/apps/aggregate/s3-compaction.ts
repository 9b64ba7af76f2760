import { createHash } from "node:crypto";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { type AsyncBuffer, parquetMetadata, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import {
  buildManifest,
  type CompactionManifest,
  canonicalInputs,
  classifyEventsObject,
  compactedName,
  type LooseObject,
  manifestName,
  parseManifest,
  planCompaction,
  type RowSource,
} from "../../core/aggregate/compaction.ts";
import { EVENTS_SCHEMA } from "../../core/zones.ts";
import type { TableEncoder } from "../../ports/table-encoder.ts";

/**
 * Compaction of one day of `events/` on S3, with the rules of functions/core/aggregate/compaction.ts (the planner
 * is the same; see the local job in ./local.ts): the manifest is written first (hidden, `_`), then the compacted
 * object appears in one PutObject, then the objects it replaced are deleted — older compacted objects first,
 * small objects last, each only if it still is what was listed (its ETag), so an input ingested again meanwhile
 * is kept as newer truth. Any interruption leaves a state the next run finishes, and no row is lost: until the
 * deletes end a row may be visible twice, which is why a recompute of the day first clears that ({@link overlaps}).
 *
 * Rows are read with hyparquet (the compacted object by row ranges, fetched with ranged GETs) and written with the
 * project's Parquet encoder, in input order, so the same inputs give the same bytes. The compacted object of a day
 * is built in memory: the function is sized for a day's events (docs/DEPLOY.md, "Sizing").
 */

export interface S3CompactionOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly encoder: TableEncoder;
}

export interface S3CompactionSummary {
  readonly action: "none" | "cleanup" | "rewrite";
  /** Visible Parquet objects in the partition before the first pass and after the last. */
  readonly objectsBefore: number;
  readonly objectsAfter: number;
  /** Rows in the day's visible objects changed (a row was visible twice before): the rollups must be recomputed. */
  readonly rowsChanged: boolean;
  /** Rows in the compacted object written (0 when none was). */
  readonly rowsWritten: number;
}

interface Listed {
  readonly name: string;
  readonly size: number;
  readonly etag: string;
}

/** A rewrite plus the pass that confirms it, with room for one change by a concurrent ingestion. */
const MAX_PASSES = 4;
const EVENT_COLUMNS = EVENTS_SCHEMA.columns.map((c) => c.name);

export class S3EventsCompactor {
  constructor(private readonly options: S3CompactionOptions) {}

  /**
   * `full`: compact the day (the hourly compaction). `overlaps`: act only when some input's rows are visible
   * twice (a compacted object beside a small object of one of its inputs, two compacted objects, a stray
   * manifest): the cheap check every recompute makes first, reading nothing else.
   */
  async compact(day: string, mode: "full" | "overlaps"): Promise<S3CompactionSummary> {
    let first: { objectsBefore: number } | undefined;
    let action: S3CompactionSummary["action"] = "none";
    let rowsChanged = false;
    let rowsWritten = 0;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const result = await this.compactOnce(day, pass === 0 ? mode : "full");
      first ??= result;
      if (result.action !== "none" && action === "none") action = result.action;
      rowsChanged ||= result.rowsChanged;
      rowsWritten = Math.max(rowsWritten, result.rowsWritten);
      if (result.action === "none" && !result.retry) {
        return {
          action,
          objectsBefore: first.objectsBefore,
          objectsAfter: result.objectsAfter,
          rowsChanged,
          rowsWritten,
        };
      }
      if (mode === "overlaps" && result.action === "none") break;
    }
    throw new Error(
      `events/dt=${day} kept changing while it was being compacted (is it being ingested right now?); the request is retried`,
    );
  }

  private async compactOnce(
    day: string,
    mode: "full" | "overlaps",
  ): Promise<S3CompactionSummary & { retry: boolean }> {
    const partition = `events/dt=${day}/`;
    const listed = await this.list(partition);
    const byName = new Map(listed.map((l) => [l.name, l]));
    const visible = (): number => [...byName.keys()].filter((n) => n.endsWith(".parquet")).length;
    const objectsBefore = visible();
    const none = {
      action: "none" as const,
      objectsBefore,
      objectsAfter: objectsBefore,
      rowsChanged: false,
      rowsWritten: 0,
    };

    const manifests: CompactionManifest[] = [];
    const orphanManifests: string[] = [];
    const described = new Set<string>();
    for (const name of byName.keys()) {
      const kind = classifyEventsObject(name);
      if (kind.kind !== "manifest") continue;
      const body = await this.get(`${partition}${name}`);
      const manifest = body === null ? null : parseManifest(new TextDecoder().decode(body));
      if (manifest !== null && manifest.file === compactedName(kind.digest) && byName.has(manifest.file)) {
        manifests.push(manifest);
        described.add(manifest.file);
      } else {
        orphanManifests.push(name);
      }
    }
    const looseNames = [...byName.keys()].filter((name) => {
      const kind = classifyEventsObject(name);
      return kind.kind === "loose" || (kind.kind === "compacted" && !described.has(name));
    });
    const inManifests = new Set(manifests.flatMap((m) => m.inputs.map((i) => i.inputId)));
    const looseInputs = looseNames.map((name) => inputIdOf(name));
    const twice = looseInputs.some((id) => inManifests.has(id)) || manifestsShareInputs(manifests);
    if (mode === "overlaps" && !twice && manifests.length <= 1 && orphanManifests.length === 0) {
      return { ...none, retry: false };
    }

    const loose = await this.describe(partition, looseNames);
    const plan = planCompaction(loose, manifests, orphanManifests);
    if (plan.action === "none") return { ...none, retry: false };

    let keep = new Set<string>();
    let rowsWritten = 0;
    if (plan.action === "rewrite") {
      const digest = createHash("sha256").update(canonicalInputs(plan.sources)).digest("hex").slice(0, 32);
      const file = compactedName(digest);
      keep = new Set([file, manifestName(digest)]);
      const written = await this.writeCompacted(partition, day, file, digest, plan.sources, loose, byName);
      if (written === null) return { ...none, retry: true };
      rowsWritten = written;
      byName.set(file, { name: file, size: 0, etag: "" });
    }
    for (const name of [...plan.strayManifests, ...plan.deleteCompacted]) {
      if (keep.has(name)) continue;
      await this.delete(`${partition}${name}`);
      byName.delete(name);
    }
    for (const name of plan.deleteLoose) {
      if (keep.has(name)) continue;
      const listedInfo = byName.get(name);
      // An object rewritten since it was listed (the input ingested again meanwhile) is newer truth: keep it,
      // the next pass takes it in place of the rows just compacted.
      if (listedInfo !== undefined && !(await this.unchanged(`${partition}${name}`, listedInfo.etag)))
        continue;
      await this.delete(`${partition}${name}`);
      byName.delete(name);
    }
    return {
      action: plan.action,
      objectsBefore,
      objectsAfter: visible(),
      rowsChanged: twice,
      rowsWritten,
      retry: false,
    };
  }

  /** Objects directly in the partition (not in sub-prefixes), with size and ETag. */
  private async list(partition: string): Promise<Listed[]> {
    const out: Listed[] = [];
    let token: string | undefined;
    do {
      const page = await this.options.client.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: partition,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        const name = (object.Key ?? "").slice(partition.length);
        if (name === "" || name.includes("/")) continue;
        out.push({ name, size: object.Size ?? 0, etag: object.ETag ?? "" });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  private async describe(partition: string, names: readonly string[]): Promise<LooseObject[]> {
    const objects: LooseObject[] = [];
    for (const name of names) {
      const body = await this.get(`${partition}${name}`);
      if (body === null) continue; // deleted meanwhile
      const kind = classifyEventsObject(name);
      objects.push({
        name,
        inputId: inputIdOf(name),
        part: kind.kind === "loose" ? kind.part : 0,
        sha256: createHash("sha256").update(body).digest("hex"),
        rows: Number(parquetMetadata(toArrayBuffer(body)).num_rows),
      });
    }
    return objects;
  }

  /** Writes the manifest, then the compacted object; null when an input changed under us (nothing replaced). */
  private async writeCompacted(
    partition: string,
    day: string,
    file: string,
    digest: string,
    sources: readonly RowSource[],
    loose: readonly LooseObject[],
    listed: ReadonlyMap<string, Listed>,
  ): Promise<number | null> {
    const encoder = this.options.encoder;
    const manifest = buildManifest(day, file, sources);
    const expectedRows = manifest.inputs.reduce((sum, input) => sum + input.rows, 0);
    const shaOf = new Map(loose.map((l) => [l.name, l.sha256]));
    const rows: Record<string, unknown>[] = [];
    const batch = encoder.startBatch?.(EVENTS_SCHEMA, expectedRows);
    const add = (row: Record<string, unknown>) => (batch === undefined ? rows.push(row) : batch.add(row));
    for (const source of sources) {
      if (source.kind === "loose") {
        for (const part of source.parts) {
          const body = await this.get(`${partition}${part.name}`);
          if (body === null || createHash("sha256").update(body).digest("hex") !== shaOf.get(part.name))
            return null;
          for await (const rows of readRows(memoryBuffer(body))) for (const row of rows) add(row);
        }
      } else {
        const compacted = listed.get(source.file);
        if (compacted === undefined) return null;
        const buffer = this.rangedBuffer(`${partition}${source.file}`, compacted.size);
        for await (const rows of readRows(buffer, source.offset, source.offset + source.rows)) {
          for (const row of rows) add(row);
        }
      }
    }
    const added = batch === undefined ? rows.length : batch.rows;
    if (added !== expectedRows) return null;
    const bytes =
      batch !== undefined && encoder.encodeBatch !== undefined
        ? await encoder.encodeBatch(batch)
        : encoder.encode(EVENTS_SCHEMA, rows);
    await this.put(
      `${partition}${manifestName(digest)}`,
      new TextEncoder().encode(`${JSON.stringify(manifest, null, 1)}\n`),
      "application/json",
    );
    await this.put(`${partition}${file}`, bytes, "application/octet-stream");
    return expectedRows;
  }

  private async unchanged(key: string, etag: string): Promise<boolean> {
    try {
      const head = await this.options.client.send(
        new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }),
      );
      return head.ETag === etag;
    } catch (error) {
      if (isNotFound(error)) return true; // already gone
      throw error;
    }
  }

  private async get(key: string): Promise<Uint8Array | null> {
    try {
      const out = await this.options.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
      );
      return out.Body === undefined ? new Uint8Array(0) : await out.Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  private async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.options.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: body,
        ContentLength: body.byteLength,
        ContentType: contentType,
        ChecksumSHA256: createHash("sha256").update(body).digest("base64"),
      }),
    );
  }

  private async delete(key: string): Promise<void> {
    await this.options.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
  }

  /** An object as hyparquet's AsyncBuffer: each slice one ranged GET (only the needed row groups are fetched). */
  private rangedBuffer(key: string, byteLength: number): AsyncBuffer {
    return {
      byteLength,
      slice: async (start: number, end?: number) => {
        const last = (end ?? byteLength) - 1;
        const out = await this.options.client.send(
          new GetObjectCommand({ Bucket: this.options.bucket, Key: key, Range: `bytes=${start}-${last}` }),
        );
        return toArrayBuffer(
          await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
        );
      },
    };
  }
}

/** Rows read per step: row objects live only for one window, the compacted object's rows are columns. */
const READ_WINDOW_ROWS = 65_536;

/**
 * Rows of a Parquet object (all, or `[rowStart, rowEnd)`) as the events schema's values, a window at a time;
 * timestamps as epoch ms whatever unit the file used (ingestion writes milliseconds, Firehose's Parquet SerDe
 * other units).
 */
async function* readRows(
  file: AsyncBuffer,
  rowStart?: number,
  rowEnd?: number,
): AsyncIterable<Record<string, unknown>[]> {
  const metadata = await parquetMetadataAsync(file);
  const present = new Set(metadata.schema.map((s) => s.name));
  const columns = EVENT_COLUMNS.filter((c) => present.has(c));
  const last = rowEnd ?? Number(metadata.num_rows);
  for (let from = rowStart ?? 0; from < last; from += READ_WINDOW_ROWS) {
    yield await parquetReadObjects({
      file,
      metadata,
      columns,
      rowStart: from,
      rowEnd: Math.min(last, from + READ_WINDOW_ROWS),
      parsers: {
        timestampFromMilliseconds: (ms: bigint) => Number(ms),
        timestampFromMicroseconds: (us: bigint) => Number(us / 1000n),
        timestampFromNanoseconds: (ns: bigint) => Number(ns / 1_000_000n),
      },
    });
  }
}

function memoryBuffer(bytes: Uint8Array): AsyncBuffer {
  const buffer = toArrayBuffer(bytes);
  return { byteLength: buffer.byteLength, slice: (start, end) => buffer.slice(start, end) };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The input an events object belongs to (a compacted object without its manifest is an input of its own). */
function inputIdOf(name: string): string {
  const kind = classifyEventsObject(name);
  return kind.kind === "loose" ? kind.inputId : name.slice(0, -".parquet".length);
}

function manifestsShareInputs(manifests: readonly CompactionManifest[]): boolean {
  const seen = new Set<string>();
  for (const manifest of manifests) {
    for (const input of manifest.inputs) {
      if (seen.has(input.inputId)) return true;
      seen.add(input.inputId);
    }
  }
  return false;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}
