import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { AwsClientStub } from "aws-sdk-client-mock";

/**
 * S3 in memory behind aws-sdk-client-mock: PutObject (with `If-None-Match: *`), GetObject (a Node stream body
 * with the SDK's `transformToByteArray`), ListObjectsV2 (in key order, paged) and DeleteObject, per bucket.
 * `failPut` / `failGet` inject an error for chosen calls (return an error to throw it, undefined to go on).
 */

export interface StoredObject {
  readonly body: Uint8Array;
  readonly lastModified: Date;
  readonly versionId: string;
}

export type S3Fault = (bucket: string, key: string) => Error | undefined;

/** An S3 service error as the SDK raises it: `name` is the code, `$metadata.httpStatusCode` the status. */
export function s3ServiceError(code: string, status: number, message = code): Error {
  return Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: status } });
}

export class FakeS3 {
  readonly buckets = new Map<string, Map<string, StoredObject>>();
  failPut: S3Fault | undefined;
  failGet: S3Fault | undefined;
  /** Objects per ListObjectsV2 page (S3's is 1,000; smaller pages exercise the paging). */
  pageSize = 50;
  puts = 0;
  private versions = 0;

  bucket(name: string): Map<string, StoredObject> {
    let bucket = this.buckets.get(name);
    if (bucket === undefined) {
      bucket = new Map();
      this.buckets.set(name, bucket);
    }
    return bucket;
  }

  putObject(bucket: string, key: string, body: Uint8Array): StoredObject {
    const object = { body, lastModified: new Date(), versionId: `v${++this.versions}` };
    this.bucket(bucket).set(key, object);
    return object;
  }

  /** Every key of a bucket under a prefix, in order. */
  keys(bucket: string, prefix = ""): string[] {
    return [...this.bucket(bucket).keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  install(mock: AwsClientStub<S3Client>): void {
    mock.on(PutObjectCommand).callsFake((input) => {
      const bucket = String(input.Bucket);
      const key = String(input.Key);
      const fault = this.failPut?.(bucket, key);
      if (fault !== undefined) throw fault;
      if (input.IfNoneMatch === "*" && this.bucket(bucket).has(key)) {
        throw s3ServiceError(
          "PreconditionFailed",
          412,
          "At least one of the pre-conditions you specified did not hold",
        );
      }
      const body = input.Body;
      if (!(body instanceof Uint8Array)) throw new Error("the fake takes byte bodies only");
      this.puts++;
      const stored = this.putObject(bucket, key, new Uint8Array(body));
      return { VersionId: stored.versionId, ETag: `"${stored.versionId}"` };
    });
    mock.on(GetObjectCommand).callsFake((input) => {
      const bucket = String(input.Bucket);
      const key = String(input.Key);
      const fault = this.failGet?.(bucket, key);
      if (fault !== undefined) throw fault;
      const object = this.bucket(bucket).get(key);
      if (object === undefined)
        throw new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} });
      const stream = Readable.from([Buffer.from(object.body)]);
      const body = Object.assign(stream, { transformToByteArray: async () => new Uint8Array(object.body) });
      return { Body: body as never, VersionId: object.versionId, ETag: `"${object.versionId}"` };
    });
    mock.on(ListObjectsV2Command).callsFake((input) => {
      const keys = this.keys(String(input.Bucket), input.Prefix ?? "");
      const start = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken);
      const page = keys.slice(start, start + this.pageSize);
      const bucket = this.bucket(String(input.Bucket));
      const truncated = start + this.pageSize < keys.length;
      return {
        Contents: page.map((Key) => {
          const object = bucket.get(Key);
          return { Key, Size: object?.body.byteLength ?? 0, LastModified: object?.lastModified };
        }),
        IsTruncated: truncated,
        ...(truncated ? { NextContinuationToken: String(start + this.pageSize) } : {}),
      };
    });
    mock.on(DeleteObjectCommand).callsFake((input) => {
      this.bucket(String(input.Bucket)).delete(String(input.Key));
      return {};
    });
  }
}
