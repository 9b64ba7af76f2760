import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { GlueColumn } from "./athena.ts";
import { type Handler, jsonService, ServiceError, type StandinContext } from "./http.ts";
import type { S3Standin } from "./s3.ts";

/**
 * Amazon Data Firehose over its JSON protocol: PutRecord, PutRecordBatch (at most 500 records, 4 MiB), and
 * DescribeDeliveryStream. Records are buffered per stream as Firehose buffers them; {@link FirehoseStandin.flush}
 * plays the end of the buffering interval: each stream's records are partitioned by the value of the field its
 * `!{partitionKeyFromQuery:<field>}` prefix names (the `{dt: .dt}` metadata extraction), converted to Parquet
 * against the stream's Glue columns (Hive JSON SerDe, timestamps in epoch millis), and written into the S3
 * stand-in under the prefix, named as Firehose names objects. A record that is not JSON, or lacks the partition
 * field, goes to the error prefix as Firehose does.
 */

export interface DeliveryStream {
  readonly name: string;
  readonly bucket: string;
  /** e.g. `events/dt=!{partitionKeyFromQuery:dt}/` */
  readonly prefix: string;
  readonly errorPrefix: string;
  readonly fileExtension: string;
  /** The Glue table columns records are converted against. */
  readonly columns: readonly GlueColumn[];
}

const MAX_RECORDS = 500;
const MAX_BYTES = 4 * 1024 * 1024;

export class FirehoseStandin {
  private readonly streams = new Map<string, { stream: DeliveryStream; buffer: Buffer[] }>();
  private db: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;
  private counter = 0;
  private readonly scratch: string;
  readonly handler: Handler;

  constructor(
    private readonly context: StandinContext,
    private readonly s3: S3Standin,
    root: string,
  ) {
    this.scratch = mkdtempSync(join(root, "firehose-"));
    this.handler = jsonService({
      service: "firehose",
      context,
      targetPrefix: "Firehose_20150804",
      contentType: "application/x-amz-json-1.1",
      resourceOf: (_action, input) => String(input.DeliveryStreamName ?? ""),
      handle: async (action, input) => this.handle(action, input),
    });
  }

  registerStream(stream: DeliveryStream): void {
    this.streams.set(stream.name, { stream, buffer: [] });
  }

  /** Records waiting in a stream's buffer. */
  buffered(name: string): number {
    return this.entry(name).buffer.length;
  }

  /** Delivers every buffered record (the end of the buffering interval); returns the keys written. */
  async flush(name?: string): Promise<string[]> {
    const written: string[] = [];
    for (const [streamName, entry] of this.streams) {
      if (name !== undefined && name !== streamName) continue;
      const records = entry.buffer.splice(0);
      if (records.length > 0) written.push(...(await this.deliver(entry.stream, records)));
    }
    return written;
  }

  async close(): Promise<void> {
    if (this.db !== undefined) {
      const { instance, connection } = await this.db;
      connection.closeSync();
      instance.closeSync();
    }
    rmSync(this.scratch, { recursive: true, force: true });
  }

  private async handle(action: string, input: Record<string, unknown>): Promise<unknown> {
    switch (action) {
      case "PutRecord": {
        const entry = this.entry(String(input.DeliveryStreamName));
        entry.buffer.push(Buffer.from(String((input.Record as { Data?: string })?.Data ?? ""), "base64"));
        return { RecordId: this.recordId(), Encrypted: true };
      }
      case "PutRecordBatch": {
        const entry = this.entry(String(input.DeliveryStreamName));
        const records = (input.Records ?? []) as { Data?: string }[];
        if (records.length === 0 || records.length > MAX_RECORDS) {
          throw new ServiceError("ValidationException", 400, `a batch holds 1 to ${MAX_RECORDS} records`);
        }
        const data = records.map((r) => Buffer.from(String(r.Data ?? ""), "base64"));
        if (data.reduce((sum, d) => sum + d.length, 0) > MAX_BYTES) {
          throw new ServiceError("ValidationException", 400, "a batch holds at most 4 MiB");
        }
        entry.buffer.push(...data);
        return {
          FailedPutCount: 0,
          Encrypted: true,
          RequestResponses: data.map(() => ({ RecordId: this.recordId() })),
        };
      }
      case "DescribeDeliveryStream": {
        const { stream } = this.entry(String(input.DeliveryStreamName));
        return {
          DeliveryStreamDescription: {
            DeliveryStreamName: stream.name,
            DeliveryStreamStatus: "ACTIVE",
            DeliveryStreamType: "DirectPut",
            Destinations: [],
            HasMoreDestinations: false,
            VersionId: "1",
          },
        };
      }
      default:
        throw new ServiceError(
          "InvalidArgumentException",
          400,
          `${action} is not implemented by the stand-in`,
        );
    }
  }

  private entry(name: string): { stream: DeliveryStream; buffer: Buffer[] } {
    const entry = this.streams.get(name);
    if (entry === undefined)
      throw new ServiceError("ResourceNotFoundException", 400, `Firehose ${name} not found.`);
    return entry;
  }

  private recordId(): string {
    return createHash("sha256")
      .update(`record:${++this.counter}`)
      .digest("hex")
      .repeat(2)
      .slice(0, 112);
  }

  private async deliver(stream: DeliveryStream, records: Buffer[]): Promise<string[]> {
    const field = /!\{partitionKeyFromQuery:(\w+)\}/.exec(stream.prefix)?.[1];
    const partitions = new Map<string, string[]>();
    const errors: string[] = [];
    for (const record of records) {
      const text = record.toString("utf8").trim();
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        errors.push(text);
        continue;
      }
      const value = field === undefined ? "" : parsed[field];
      if (field !== undefined && typeof value !== "string") {
        errors.push(text);
        continue;
      }
      const list = partitions.get(String(value)) ?? [];
      list.push(text);
      partitions.set(String(value), list);
    }
    const now = this.context.clock.now();
    const stamp = new Date(now).toISOString().slice(0, 19).replace(/[T:]/g, "-");
    const written: string[] = [];
    for (const [value, lines] of partitions) {
      const prefix = stream.prefix.replace(/!\{partitionKeyFromQuery:\w+\}/, value);
      const key = `${prefix}${stream.name}-1-${stamp}-${this.objectId()}${stream.fileExtension}`;
      this.s3.put(stream.bucket, key, await this.toParquet(stream, lines), {
        contentType: "application/octet-stream",
      });
      written.push(key);
    }
    if (errors.length > 0) {
      const day = new Date(now).toISOString().slice(0, 10);
      const prefix = stream.errorPrefix
        .replace("!{firehose:error-output-type}", "processing-failed")
        .replace("!{timestamp:yyyy-MM-dd}", day);
      const key = `${prefix}${stream.name}-1-${stamp}-${this.objectId()}`;
      this.s3.put(stream.bucket, key, Buffer.from(`${errors.join("\n")}\n`));
      written.push(key);
    }
    return written;
  }

  private objectId(): string {
    const h = createHash("sha256")
      .update(`object:${++this.counter}:${process.pid}`)
      .digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  }

  private async toParquet(stream: DeliveryStream, lines: readonly string[]): Promise<Buffer> {
    this.db ??= (async () => {
      const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
      const connection = await instance.connect();
      await connection.run("SET TimeZone = 'UTC'");
      return { instance, connection };
    })();
    const { connection } = await this.db;
    const n = ++this.counter;
    const input = join(this.scratch, `records-${n}.json`);
    const output = join(this.scratch, `out-${n}.parquet`);
    writeFileSync(input, `${lines.join("\n")}\n`);
    // Timestamps arrive as epoch millis (the stream's Hive JSON SerDe reads timestampFormats ["millis"]).
    const readTypes = stream.columns
      .map((c) => `'${c.name}': '${c.type === "timestamp" ? "BIGINT" : glueToDuck(c.type)}'`)
      .join(", ");
    const select = stream.columns
      .map((c) => (c.type === "timestamp" ? `epoch_ms("${c.name}") AS "${c.name}"` : `"${c.name}"`))
      .join(", ");
    try {
      await connection.run(
        `COPY (SELECT ${select} FROM read_json('${input}', format = 'newline_delimited', columns = {${readTypes}})) TO '${output}' (FORMAT parquet, COMPRESSION snappy)`,
      );
      return readFileSync(output);
    } finally {
      rmSync(input, { force: true });
      rmSync(output, { force: true });
    }
  }
}

function glueToDuck(type: string): string {
  switch (type) {
    case "string":
      return "VARCHAR";
    case "bigint":
      return "BIGINT";
    case "int":
      return "INTEGER";
    case "double":
      return "DOUBLE";
    case "boolean":
      return "BOOLEAN";
    default:
      throw new Error(`the Firehose stand-in has no conversion for Glue type ${type}`);
  }
}
