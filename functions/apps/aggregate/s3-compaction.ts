import { createHash } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { type AsyncBuffer, parquetMetadata, parquetMetadataAsync, parquetRead } from "hyparquet";
import {
  buildManifest,
  type CompactionManifest,
  canonicalInputs,
  classifyEventsObject,
  compactedName,
  type LooseObject,
  MAX_ROWS_PER_COMPACTED,
  manifestName,
  parseManifest,
  planCompaction,
  type RowSource,
} from "../../core/aggregate/compaction.ts";
import { EVENTS_SCHEMA } from "../../core/zones.ts";
import type { TableEncoder } from "../../ports/table-encoder.ts";

/**
 * Compaction of one day of `events/` on S3, with the rules of functions/core/aggregate/compaction.ts (the planner
 * is the same; see the local job in ./local.ts): a day becomes one or more compacted objects of at most
 * {@link MAX_ROWS_PER_COMPACTED} rows (an input with more has one of its own). For each object the manifest is
 * written first (hidden, `_`), then the object appears in one step (PutObject, or CompleteMultipartUpload), then,
 * once every object of the plan is in place, the objects they replaced are deleted — older compacted objects
 * first, small objects last, each only if it still is what was listed (its ETag), so an input ingested again
 * meanwhile is kept as newer truth. Any interruption leaves a state the next run finishes, and no row is lost:
 * until the deletes end a row may be visible twice, which is why a recompute of the day first clears that
 * ({@link overlaps}).
 *
 * Memory stays flat whatever the day's size: rows are read one row group at a time, as column arrays, with
 * hyparquet (small objects of up to {@link WHOLE_OBJECT_BYTES} in one GET, larger ones and compacted objects by ranged GETs of
 * {@link READ_BLOCK_BYTES}, every read conditional on the ETag the object was hashed or listed with), go into the
 * encoder's file writer (one row group held as columns), and leave as parts of a multipart upload of
 * {@link S3CompactionOptions.partBytes} (an object smaller than one part is one PutObject). Objects are hashed as
 * they stream by. In input order, so the same inputs give the same bytes. Figures: docs/DEPLOY.md, "Sizing".
 */

export interface S3CompactionOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Must write files piece by piece (`startFile`): the Parquet encoder does. */
  readonly encoder: TableEncoder;
  /** Rows a compacted object is filled up to (default {@link MAX_ROWS_PER_COMPACTED}). */
  readonly maxRowsPerObject?: number;
  /** Bytes per part of a compacted object's multipart upload: at least 5 MiB (S3's minimum), default 8 MiB. */
  readonly partBytes?: number;
}

export interface S3CompactionSummary {
  readonly action: "none" | "cleanup" | "rewrite";
  /** Visible Parquet objects in the partition before the first pass and after the last. */
  readonly objectsBefore: number;
  readonly objectsAfter: number;
  /** Rows in the day's visible objects changed (a row was visible twice before): the rollups must be recomputed. */
  readonly rowsChanged: boolean;
  /** Rows in the compacted objects written (0 when none was). */
  readonly rowsWritten: number;
  /** Compacted objects written. */
  readonly objectsWritten: number;
}

interface Listed {
  readonly name: string;
  readonly size: number;
  readonly etag: string;
}

/** A small object as described: what the planner needs, and the version the digest is of (its ETag). */
interface Described extends LooseObject {
  readonly size: number;
  readonly etag: string;
}

/** A rewrite plus the pass that confirms it, with room for one change by a concurrent ingestion. */
const MAX_PASSES = 4;
const EVENT_COLUMNS = EVENTS_SCHEMA.columns.map((c) => c.name);
/** Small objects up to this size are read in one GET (ingestion's parts of 200,000 rows are ~3 MB). */
const WHOLE_OBJECT_BYTES = 16 * 1024 * 1024;
/** Larger objects are read in blocks of this size (one ranged GET each; hyparquet asks chunk by chunk). */
const READ_BLOCK_BYTES = 8 * 1024 * 1024;
/** The end of an object kept while it streams through the hash: its Parquet footer, read from there. */
const TAIL_BYTES = 1024 * 1024;
const MIN_PART_BYTES = 5 * 1024 * 1024;
const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

export class S3EventsCompactor {
  private readonly partBytes: number;

  constructor(private readonly options: S3CompactionOptions) {
    this.partBytes = options.partBytes ?? DEFAULT_PART_BYTES;
    if (!(Number.isInteger(this.partBytes) && this.partBytes >= MIN_PART_BYTES))
      throw new RangeError("partBytes must be an integer of at least 5 MiB (S3's smallest part)");
  }

  /**
   * `full`: compact the day (the hourly compaction). `overlaps`: act only when some input's rows are visible
   * twice (a compacted object beside a small object of one of its inputs, two compacted objects listing one
   * input, a stray manifest): the cheap check every recompute makes first, reading nothing else.
   */
  async compact(day: string, mode: "full" | "overlaps"): Promise<S3CompactionSummary> {
    let first: { objectsBefore: number } | undefined;
    let action: S3CompactionSummary["action"] = "none";
    let rowsChanged = false;
    let rowsWritten = 0;
    let objectsWritten = 0;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const result = await this.compactOnce(day, pass === 0 ? mode : "full");
      first ??= result;
      if (result.action !== "none" && action === "none") action = result.action;
      rowsChanged ||= result.rowsChanged;
      rowsWritten += result.rowsWritten;
      objectsWritten += result.objectsWritten;
      if (result.action === "none" && !result.retry) {
        return {
          action,
          objectsBefore: first.objectsBefore,
          objectsAfter: result.objectsAfter,
          rowsChanged,
          rowsWritten,
          objectsWritten,
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
      objectsWritten: 0,
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
    if (mode === "overlaps" && !twice && orphanManifests.length === 0) {
      return { ...none, retry: false };
    }

    const loose = await this.describe(partition, looseNames);
    const plan = planCompaction(loose, manifests, orphanManifests, {
      maxRowsPerObject: this.options.maxRowsPerObject,
    });
    if (plan.action === "none") return { ...none, retry: false };

    const keep = new Set<string>();
    let rowsWritten = 0;
    let objectsWritten = 0;
    for (const target of plan.targets) {
      const digest = createHash("sha256").update(canonicalInputs(target.sources)).digest("hex").slice(0, 32);
      const file = compactedName(digest);
      keep.add(file);
      keep.add(manifestName(digest));
      // The same inputs with the same bytes, already compacted (a target that is a whole open object, or one a
      // stopped run wrote): the object there is this one.
      if (described.has(file)) continue;
      const written = await this.writeCompacted(partition, day, file, digest, target.sources, loose, byName);
      // An input changed under us: what this pass wrote is complete and listed in its manifests, the next pass
      // plans again from there.
      if (written === null) return { ...none, rowsWritten, objectsWritten, retry: true };
      rowsWritten += written;
      objectsWritten++;
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
      objectsWritten,
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

  /**
   * Each small object's digest and rows: one GET streamed through the hash (only its last MiB kept, where the
   * footer is), the footer read from there or, when larger, by a ranged GET of the same version.
   */
  private async describe(partition: string, names: readonly string[]): Promise<Described[]> {
    const objects: Described[] = [];
    for (const name of names) {
      const key = `${partition}${name}`;
      const read = await this.hashObject(key);
      if (read === null) continue; // deleted meanwhile
      let rows: number;
      try {
        rows = Number(parquetMetadata(toArrayBuffer(read.tail)).num_rows);
      } catch {
        const metadata = await parquetMetadataAsync(this.rangedBuffer(key, read.size, read.etag));
        rows = Number(metadata.num_rows);
      }
      const kind = classifyEventsObject(name);
      objects.push({
        name,
        inputId: inputIdOf(name),
        part: kind.kind === "loose" ? kind.part : 0,
        sha256: read.sha256,
        rows,
        size: read.size,
        etag: read.etag,
      });
    }
    return objects;
  }

  private async hashObject(
    key: string,
  ): Promise<{ sha256: string; size: number; etag: string; tail: Uint8Array } | null> {
    let out: GetObjectCommandOutput;
    try {
      out = await this.options.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    const hash = createHash("sha256");
    const tail = new TailBuffer(TAIL_BYTES);
    let size = 0;
    for await (const chunk of (out.Body ?? []) as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      tail.push(chunk);
      size += chunk.byteLength;
    }
    return { sha256: hash.digest("hex"), size, etag: out.ETag ?? "", tail: tail.bytes() };
  }

  /**
   * Streams the sources' rows into one compacted object: parts uploaded as they fill, then the manifest, then
   * the object made visible. Null when an input changed under us (nothing becomes visible, the upload is
   * aborted).
   */
  private async writeCompacted(
    partition: string,
    day: string,
    file: string,
    digest: string,
    sources: readonly RowSource[],
    loose: readonly Described[],
    listed: ReadonlyMap<string, Listed>,
  ): Promise<number | null> {
    const encoder = this.options.encoder;
    if (encoder.startFile === undefined)
      throw new Error("compaction needs an encoder that writes files piece by piece (startFile)");
    const manifest = buildManifest(day, file, sources);
    const expectedRows = manifest.inputs.reduce((sum, input) => sum + input.rows, 0);
    const describedByName = new Map(loose.map((l) => [l.name, l]));
    const writer = encoder.startFile(EVENTS_SCHEMA);
    const upload = new PartUpload(
      this.options.client,
      this.options.bucket,
      `${partition}${file}`,
      this.partBytes,
    );
    try {
      for (const source of sources) {
        const reads =
          source.kind === "loose"
            ? source.parts.map((part) => ({ name: part.name, start: undefined, end: undefined }))
            : [{ name: source.file, start: source.offset, end: source.offset + source.rows }];
        for (const read of reads) {
          const buffer = await this.sourceBuffer(partition, read.name, describedByName, listed);
          if (buffer === null) {
            await upload.abort();
            return null;
          }
          for await (const window of readColumns(buffer, read.start, read.end)) {
            // One row object, refilled: the writer keeps only the values.
            const row: Record<string, unknown> = {};
            for (let r = window.start; r < window.end; r++) {
              for (const column of window.columns) row[column.name] = column.valueAt(r);
              writer.add(row);
            }
            await upload.write(writer.take());
          }
        }
      }
      if (writer.rows !== expectedRows) {
        await upload.abort();
        return null;
      }
      await upload.write(writer.finish());
      await this.put(
        `${partition}${manifestName(digest)}`,
        new TextEncoder().encode(`${JSON.stringify(manifest, null, 1)}\n`),
        "application/json",
      );
      await upload.complete();
      return expectedRows;
    } catch (error) {
      await upload.abort();
      if (isPreconditionFailed(error)) return null;
      throw error;
    }
  }

  /**
   * Where a source's rows are read from: a small object whole (one GET, checked against its digest) or, when
   * large, by blocks; a compacted object by blocks. Every read asks for the version described (If-Match), so an
   * object rewritten meanwhile fails the read rather than mix two versions. Null when it changed.
   */
  private async sourceBuffer(
    partition: string,
    name: string,
    described: ReadonlyMap<string, Described>,
    listed: ReadonlyMap<string, Listed>,
  ): Promise<AsyncBuffer | null> {
    const key = `${partition}${name}`;
    const small = described.get(name);
    if (small !== undefined) {
      if (small.size > WHOLE_OBJECT_BYTES) return this.rangedBuffer(key, small.size, small.etag);
      const body = await this.get(key, small.etag);
      if (body === null || createHash("sha256").update(body).digest("hex") !== small.sha256) return null;
      return memoryBuffer(body);
    }
    const compacted = listed.get(name);
    if (compacted === undefined) return null;
    return this.rangedBuffer(key, compacted.size, compacted.etag);
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

  private async get(key: string, ifMatch?: string): Promise<Uint8Array | null> {
    try {
      const out = await this.options.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key, IfMatch: ifMatch }),
      );
      return out.Body === undefined ? new Uint8Array(0) : await out.Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error) || (ifMatch !== undefined && isPreconditionFailed(error))) return null;
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

  /**
   * An object as hyparquet's AsyncBuffer, read in blocks of {@link READ_BLOCK_BYTES} (one ranged GET each, the
   * last block kept: hyparquet asks column chunk by column chunk, mostly in order), each GET conditional on `etag`.
   */
  private rangedBuffer(key: string, byteLength: number, etag: string): AsyncBuffer {
    let block: { start: number; bytes: Uint8Array } | undefined;
    const fetch = async (start: number, end: number): Promise<Uint8Array> => {
      const out = await this.options.client.send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Range: `bytes=${start}-${end - 1}`,
          IfMatch: etag === "" ? undefined : etag,
        }),
      );
      return (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    };
    return {
      byteLength,
      slice: async (start: number, end?: number) => {
        const stop = end ?? byteLength;
        if (block === undefined || start < block.start || stop > block.start + block.bytes.byteLength) {
          const blockEnd = Math.min(byteLength, Math.max(stop, start + READ_BLOCK_BYTES));
          block = { start, bytes: await fetch(start, blockEnd) };
        }
        const from = start - block.start;
        return toArrayBuffer(block.bytes.subarray(from, from + (stop - start)));
      },
    };
  }
}

/**
 * One object uploaded as it is produced: bytes gather until a part is full, then go up as a part of a multipart
 * upload (started with the first full part). Nothing is visible until {@link complete}; an object smaller than one
 * part is a single PutObject there. Parts carry SHA-256 checksums, as the manifest and small objects do.
 */
class PartUpload {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private uploadId: string | undefined;
  private readonly parts: { PartNumber: number; ETag: string; ChecksumSHA256: string }[] = [];

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly partBytes: number,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength === 0) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.byteLength;
    if (this.pendingBytes >= this.partBytes) await this.uploadPart();
  }

  async complete(): Promise<void> {
    if (this.uploadId === undefined) {
      const body = this.take();
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: "application/octet-stream",
          ChecksumSHA256: createHash("sha256").update(body).digest("base64"),
        }),
      );
      return;
    }
    if (this.pendingBytes > 0) await this.uploadPart();
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
    );
    this.uploadId = undefined;
  }

  /** Drops an upload in progress (best effort: the bucket's lifecycle rule aborts what a crash leaves). */
  async abort(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    const uploadId = this.uploadId;
    if (uploadId === undefined) return;
    this.uploadId = undefined;
    await this.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: uploadId }))
      .catch(() => undefined);
  }

  private async uploadPart(): Promise<void> {
    if (this.uploadId === undefined) {
      const created = await this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key,
          ContentType: "application/octet-stream",
          ChecksumAlgorithm: "SHA256",
        }),
      );
      if (created.UploadId === undefined) throw new Error(`S3 gave no upload id for ${this.key}`);
      this.uploadId = created.UploadId;
    }
    const body = this.take();
    const checksum = createHash("sha256").update(body).digest("base64");
    const partNumber = this.parts.length + 1;
    const out = await this.client.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.byteLength,
        ChecksumSHA256: checksum,
      }),
    );
    this.parts.push({ PartNumber: partNumber, ETag: out.ETag ?? "", ChecksumSHA256: checksum });
  }

  private take(): Uint8Array {
    const out = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const chunk of this.pending) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    this.pending = [];
    this.pendingBytes = 0;
    return out;
  }
}

/** The last `capacity` bytes of a stream. */
class TailBuffer {
  private chunks: Uint8Array[] = [];
  private length = 0;

  constructor(private readonly capacity: number) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.byteLength;
    while (
      this.chunks.length > 1 &&
      this.length - (this.chunks[0] as Uint8Array).byteLength >= this.capacity
    ) {
      this.length -= (this.chunks.shift() as Uint8Array).byteLength;
    }
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }
}

/** Rows of a Parquet object decoded at once: one row group's (or the part of it in range), as columns. */
interface ColumnWindow {
  /** Absolute rows `[start, end)`. */
  readonly start: number;
  readonly end: number;
  /** Per column present in the object: its value at an absolute row of the window, rows asked in order. */
  readonly columns: readonly { readonly name: string; readonly valueAt: (row: number) => unknown }[];
}

/**
 * Rows of a Parquet object (all, or `[rowStart, rowEnd)`) as the events schema's columns, one row group at a time
 * (decoded as column arrays: no object per row); timestamps as epoch ms whatever unit the file used (ingestion
 * writes milliseconds, Firehose's Parquet SerDe other units).
 */
async function* readColumns(
  file: AsyncBuffer,
  rowStart?: number,
  rowEnd?: number,
): AsyncIterable<ColumnWindow> {
  const metadata = await parquetMetadataAsync(file);
  const present = new Set(metadata.schema.map((s) => s.name));
  const names = EVENT_COLUMNS.filter((c) => present.has(c));
  const first = rowStart ?? 0;
  const last = rowEnd ?? Number(metadata.num_rows);
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    const start = Math.max(first, groupStart);
    const end = Math.min(last, groupEnd);
    groupStart = groupEnd;
    if (start >= end) continue;
    const chunks = new Map<string, { rowStart: number; data: ArrayLike<unknown> }[]>(
      names.map((n) => [n, []]),
    );
    await parquetRead({
      file,
      metadata,
      columns: names,
      rowStart: start,
      rowEnd: end,
      parsers: {
        timestampFromMilliseconds: (ms: bigint) => Number(ms),
        timestampFromMicroseconds: (us: bigint) => Number(us / 1000n),
        timestampFromNanoseconds: (ns: bigint) => Number(ns / 1_000_000n),
      },
      // Chunks may hold rows outside the range (whole pages): each is placed by its own first row.
      onChunk: (chunk) =>
        chunks.get(chunk.columnName)?.push({ rowStart: chunk.rowStart, data: chunk.columnData }),
    });
    yield {
      start,
      end,
      columns: names.map((name) => {
        const list = (chunks.get(name) ?? []).sort((a, b) => a.rowStart - b.rowStart);
        let at = 0;
        return {
          name,
          valueAt: (row: number): unknown => {
            let chunk = list[at];
            while (chunk !== undefined && row >= chunk.rowStart + chunk.data.length) chunk = list[++at];
            if (chunk === undefined || row < chunk.rowStart)
              throw new Error(`column ${name} has no value for row ${row} (the object is damaged)`);
            return chunk.data[row - chunk.rowStart];
          },
        };
      }),
    };
    if (groupStart >= last) break;
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

/** A conditional read of an object that was rewritten since it was listed or hashed. */
function isPreconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === "PreconditionFailed" || e?.$metadata?.httpStatusCode === 412;
}
