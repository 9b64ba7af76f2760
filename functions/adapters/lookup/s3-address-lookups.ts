import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { AddressLookupStore } from "../../core/security/address-lookup.ts";

/**
 * Address lookups in the raw bucket (core/security/address-lookup.ts). The bucket is versioned (Object Lock), so
 * removing means deleting the version PutObject created: a plain delete would only put a marker on top and leave
 * the addresses in a noncurrent version for another day.
 */
export class S3AddressLookupStore implements AddressLookupStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async write(key: string, body: Uint8Array): Promise<string | null> {
    const out = await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: "application/vnd.apache.parquet",
      }),
    );
    return out.VersionId ?? null;
  }

  async remove(key: string, version: string | null): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(version === null ? {} : { VersionId: version }),
      }),
    );
  }
}
