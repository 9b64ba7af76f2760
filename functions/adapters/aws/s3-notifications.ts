/**
 * The S3 objects an SQS message announces. S3 event notifications arrive as JSON in the message body;
 * keys are URL-encoded with `+` for spaces. `s3:TestEvent` messages (sent when a notification is set up)
 * announce nothing.
 */
export interface S3ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string | undefined;
  readonly eTag: string | undefined;
  readonly size: number | undefined;
}

interface S3EventRecord {
  readonly eventName?: string;
  readonly s3?: {
    readonly bucket?: { readonly name?: string };
    readonly object?: {
      readonly key?: string;
      readonly versionId?: string;
      readonly eTag?: string;
      readonly size?: number;
    };
  };
}

export class NotificationError extends Error {
  override readonly name = "NotificationError";
}

export function objectsInNotification(body: string): S3ObjectRef[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new NotificationError("SQS message body is not JSON: expected an S3 event notification");
  }
  if (typeof parsed !== "object" || parsed === null) {
    throw new NotificationError("SQS message body is not an object: expected an S3 event notification");
  }
  const message = parsed as { Event?: string; Records?: unknown };
  if (message.Event === "s3:TestEvent") return [];
  if (!Array.isArray(message.Records)) {
    throw new NotificationError("SQS message has no Records: expected an S3 event notification");
  }
  const refs: S3ObjectRef[] = [];
  for (const record of message.Records as S3EventRecord[]) {
    if (record.eventName !== undefined && !record.eventName.startsWith("ObjectCreated:")) continue;
    const bucket = record.s3?.bucket?.name;
    const rawKey = record.s3?.object?.key;
    if (bucket === undefined || rawKey === undefined) {
      throw new NotificationError("S3 event record without bucket name or object key");
    }
    refs.push({
      bucket,
      key: decodeURIComponent(rawKey.replace(/\+/g, " ")),
      versionId: record.s3?.object?.versionId,
      eTag: record.s3?.object?.eTag,
      size: record.s3?.object?.size,
    });
  }
  return refs;
}

/**
 * The site an incoming object belongs to when its key says so (`incoming/site=example.com/...`), for
 * formats without a host field (nginx/Apache combined); CloudFront, ALB and vhost logs carry their host.
 */
export function siteFromKey(key: string): string | undefined {
  const match = /(?:^|\/)site=([a-z0-9.-]{1,253})\//i.exec(key);
  return match?.[1]?.toLowerCase();
}
