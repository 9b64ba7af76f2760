import { createHash } from "node:crypto";
import {
  createReadStream,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import {
  accessKeyOf,
  decodeAwsChunked,
  type Handler,
  md5Hex,
  type RecordedRequest,
  readBody,
  requestId,
  ServiceError,
  type StandinContext,
  xmlEscape,
  xmlValues,
} from "./http.ts";

/**
 * S3 over HTTP, path-style (the SDK addresses `http://127.0.0.1:<port>/<bucket>/<key>` when the endpoint is an IP):
 *
 * - objects: PutObject (conditional `If-None-Match: *` and `If-Match`, checksums verified: Content-MD5, SHA-256,
 *   SHA-1, CRC32, plain or `aws-chunked` with a trailing checksum), GetObject (ranges, versions), HeadObject,
 *   DeleteObject (delete markers on versioned buckets, version deletes), DeleteObjects, CopyObject;
 * - listing: ListObjectsV2 (prefix, delimiter, paging), ListObjectVersions (delete markers, paging);
 * - multipart: Create/UploadPart/Complete (parts of at least 5 MiB but the last, conditional complete)/Abort/ListParts;
 * - Object Lock: Get/PutObjectLegalHold; a version under legal hold cannot be deleted (AccessDenied);
 * - encryption: the bucket's default (SSE-KMS with its key and bucket key, or SSE-S3) is applied to every write
 *   and reported in the response headers, as S3 does; the request's own SSE headers win.
 *
 * Bodies live in files under `root` (one per version); the current version of each object is also linked at
 * `root/current/<bucket>/<key>`, so the Athena stand-in's DuckDB reads the lake in place ({@link S3Standin.localPath}).
 * Signatures and IAM are not checked (see deny rules in http.ts, and the IAM check of recorded requests).
 */

export interface BucketOptions {
  readonly versioned?: boolean;
  readonly objectLock?: boolean;
  /** Default encryption: SSE-KMS with this key ARN, or SSE-S3 (`AES256`). Default SSE-S3. */
  readonly kmsKeyArn?: string;
  readonly bucketKeyEnabled?: boolean;
  readonly region?: string;
}

export interface ObjectVersion {
  readonly key: string;
  readonly versionId: string;
  readonly isDeleteMarker: boolean;
  readonly size: number;
  /** Quoted, as S3 returns it. */
  readonly etag: string;
  readonly lastModified: number;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly checksums: Readonly<Record<string, string>>;
  readonly sse: {
    readonly algorithm: "aws:kms" | "AES256";
    readonly kmsKeyId?: string;
    readonly bucketKey?: boolean;
  };
  legalHold?: "ON" | "OFF";
  /** Object Lock retention (set at write time): the version cannot be deleted before this instant. */
  readonly retention?: { readonly mode: "COMPLIANCE" | "GOVERNANCE"; readonly until: number };
  /** File holding the body (none for delete markers). */
  readonly blob?: string;
  /** Sequence of the write, for S3 event `sequencer`s. */
  readonly sequence: number;
}

interface Bucket {
  readonly name: string;
  readonly options: BucketOptions;
  /** Versions per key, newest first. */
  readonly objects: Map<string, ObjectVersion[]>;
  readonly uploads: Map<string, Upload>;
}

interface Upload {
  readonly key: string;
  readonly initiated: number;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly sse: ObjectVersion["sse"];
  readonly checksumAlgorithm: string | undefined;
  readonly parts: Map<number, { etag: string; body: Buffer; checksums: Record<string, string> }>;
}

/** What S3 event notifications announce. */
export interface S3Event {
  readonly eventName: string;
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly eTag: string;
  readonly versionId: string | undefined;
  readonly sequencer: string;
  readonly at: number;
}

const MIN_PART_BYTES = 5 * 1024 * 1024;
const XMLNS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const CHECKSUM_ALGORITHMS = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const;

export class S3Standin {
  private readonly buckets = new Map<string, Bucket>();
  private readonly listeners = new Set<(event: S3Event) => void>();
  private sequence = 0;
  private uploadCounter = 0;

  constructor(
    private readonly context: StandinContext,
    readonly root: string,
    readonly region: string,
  ) {
    mkdirSync(join(root, "blobs"), { recursive: true });
    mkdirSync(join(root, "current"), { recursive: true });
  }

  // --- inspection and setup API -----------------------------------------------------------------------------

  createBucket(name: string, options: BucketOptions = {}): void {
    if (this.buckets.has(name)) throw new Error(`bucket ${name} exists`);
    this.buckets.set(name, { name, options: { ...options }, objects: new Map(), uploads: new Map() });
    mkdirSync(join(this.root, "current", name), { recursive: true });
  }

  bucketNames(): string[] {
    return [...this.buckets.keys()].sort();
  }

  bucketOptions(name: string): BucketOptions {
    return this.bucket(name).options;
  }

  /** Subscribes to object-created/removed events; returns the unsubscribe function. */
  onEvent(listener: (event: S3Event) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes an object as a PutObject would (events fire), bypassing HTTP: fixtures, Firehose, Athena output. */
  put(bucket: string, key: string, body: Uint8Array, options: { contentType?: string } = {}): ObjectVersion {
    const b = this.bucket(bucket);
    const version = this.writeVersion(b, key, Buffer.from(body), {
      contentType: options.contentType ?? "application/octet-stream",
      metadata: {},
      checksums: {},
      sse: this.defaultSse(b),
    });
    this.emit("ObjectCreated:Put", b, version);
    return version;
  }

  /** The current body of an object (or of one version), or undefined. */
  get(bucket: string, key: string, versionId?: string): Buffer | undefined {
    const version = this.findVersion(this.bucket(bucket), key, versionId);
    if (version === undefined || version.isDeleteMarker || version.blob === undefined) return undefined;
    return readBlob(version.blob);
  }

  /** The current version (not a delete marker) of an object, or undefined. */
  head(bucket: string, key: string): ObjectVersion | undefined {
    const current = this.bucket(bucket).objects.get(key)?.[0];
    return current === undefined || current.isDeleteMarker ? undefined : current;
  }

  /** Keys of the current objects under a prefix, in order. */
  keys(bucket: string, prefix = ""): string[] {
    return this.currentObjects(bucket, prefix).map((v) => v.key);
  }

  /** Current objects under a prefix, in key order. */
  currentObjects(bucket: string, prefix = ""): ObjectVersion[] {
    const b = this.bucket(bucket);
    const out: ObjectVersion[] = [];
    for (const key of sortedKeys(b, prefix)) {
      const current = b.objects.get(key)?.[0];
      if (current !== undefined && !current.isDeleteMarker) out.push(current);
    }
    return out;
  }

  /** Every version and delete marker under a prefix: by key, newest first. */
  versions(bucket: string, prefix = ""): ObjectVersion[] {
    const b = this.bucket(bucket);
    return sortedKeys(b, prefix).flatMap((key) => b.objects.get(key) ?? []);
  }

  /** The file DuckDB can read for an object's current version (undefined when the key has no file path). */
  localPath(bucket: string, key: string): string | undefined {
    const path = this.mirrorPath(bucket, key);
    if (path === undefined || this.head(bucket, key) === undefined) return undefined;
    try {
      return statSync(path).isFile() ? path : undefined;
    } catch {
      return undefined;
    }
  }

  /** Multipart uploads started and neither completed nor aborted. */
  openUploads(bucket: string): { key: string; uploadId: string; parts: number }[] {
    return [...this.bucket(bucket).uploads.entries()].map(([uploadId, u]) => ({
      key: u.key,
      uploadId,
      parts: u.parts.size,
    }));
  }

  /** The requests this stand-in answered (a view of the shared log). */
  requests(): RecordedRequest[] {
    return this.context.requests.filter((r) => r.service === "s3");
  }

  // --- HTTP -------------------------------------------------------------------------------------------------

  readonly handler: Handler = async (req, res) => {
    const url = new URL(req.url ?? "/", "http://standin");
    const path = url.pathname.slice(1);
    const slash = path.indexOf("/");
    const bucketName = decodeURIComponent(slash === -1 ? path : path.slice(0, slash));
    const key = slash === -1 ? "" : decodeURIComponent(path.slice(slash + 1));
    const q = url.searchParams;
    const method = req.method ?? "GET";
    const action = operationOf(method, key, q, req);
    const resource = key === "" ? bucketName : `${bucketName}/${key}`;
    const accessKeyId = accessKeyOf(req);
    const details: Record<string, string> = {};
    for (const name of ["versionId", "prefix", "uploadId", "partNumber"]) {
      const value = q.get(name);
      if (value !== null) details[name] = value;
    }
    const copySource = req.headers["x-amz-copy-source"];
    if (typeof copySource === "string") details.copySource = decodeURIComponent(copySource);
    // An SDK retry (`amz-sdk-request: attempt=2; max=3`): what counts requests as AWS would bill them skips these.
    const attempt = /attempt=(\d+)/.exec(String(req.headers["amz-sdk-request"] ?? ""))?.[1];
    if (attempt !== undefined && attempt !== "1") details.sdkAttempt = attempt;
    const recorded = this.context.record({
      service: "s3",
      action,
      resource,
      accessKeyId,
      status: 200,
      details,
    });
    const body = method === "PUT" || method === "POST" ? await readBody(req) : Buffer.alloc(0);
    if (req.headers["if-none-match"] !== undefined)
      details.ifNoneMatch = String(req.headers["if-none-match"]);
    const lockMode = req.headers["x-amz-object-lock-mode"];
    if (typeof lockMode === "string") details.objectLockMode = lockMode;
    const rule = this.context.matchDeny("s3", action, resource, accessKeyId, recorded);
    try {
      if (rule !== undefined) {
        throw new ServiceError(
          rule.code ?? "AccessDenied",
          rule.status ?? 403,
          rule.message ?? "Access Denied",
        );
      }
      if (action === "NotImplemented")
        throw new ServiceError("NotImplemented", 501, `${method} ${url.search}`);
      const bucket = this.buckets.get(bucketName);
      if (bucket === undefined)
        throw new ServiceError("NoSuchBucket", 404, "The specified bucket does not exist");
      await this.dispatch(action, bucket, key, q, req, res, body, details);
      recorded.status = res.statusCode;
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      recorded.status = error.status;
      recorded.errorCode = error.code;
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message>${key === "" ? "" : `<Key>${xmlEscape(key)}</Key>`}<RequestId>${requestId()}</RequestId></Error>`;
      res.writeHead(error.status, { "content-type": "application/xml", "x-amz-request-id": requestId() });
      res.end(method === "HEAD" ? undefined : xml);
    }
  };

  private async dispatch(
    action: string,
    bucket: Bucket,
    key: string,
    q: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    details: Record<string, string>,
  ): Promise<void> {
    switch (action) {
      case "PutObject":
        return this.putObject(bucket, key, req, res, body, details);
      case "GetObject":
      case "HeadObject":
        return this.getObject(bucket, key, q, req, res, action === "HeadObject");
      case "DeleteObject":
        return this.deleteObject(bucket, key, q, res);
      case "DeleteObjects":
        return this.deleteObjects(bucket, body, res);
      case "CopyObject":
        return this.copyObject(bucket, key, req, res);
      case "ListObjectsV2":
        return this.listObjectsV2(bucket, q, res);
      case "ListObjectVersions":
        return this.listObjectVersions(bucket, q, res);
      case "GetBucketLocation":
        return xmlAnswer(
          res,
          `<LocationConstraint ${XMLNS}>${bucket.options.region ?? this.region}</LocationConstraint>`,
        );
      case "HeadBucket":
        res.writeHead(200, { "x-amz-bucket-region": bucket.options.region ?? this.region });
        res.end();
        return;
      case "GetObjectLegalHold":
        return this.getLegalHold(bucket, key, q, res);
      case "PutObjectLegalHold":
        return this.putLegalHold(bucket, key, q, body, res);
      case "CreateMultipartUpload":
        return this.createUpload(bucket, key, req, res, details);
      case "UploadPart":
        return this.uploadPart(bucket, key, q, req, res, body);
      case "CompleteMultipartUpload":
        return this.completeUpload(bucket, key, q, req, res, body);
      case "AbortMultipartUpload": {
        const uploadId = q.get("uploadId") ?? "";
        if (!bucket.uploads.delete(uploadId))
          throw new ServiceError("NoSuchUpload", 404, "The specified upload does not exist");
        res.writeHead(204);
        res.end();
        return;
      }
      case "ListParts":
        return this.listParts(bucket, key, q, res);
      default:
        throw new ServiceError("NotImplemented", 501, `${action} is not implemented by the stand-in`);
    }
  }

  private async putObject(
    bucket: Bucket,
    key: string,
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    details: Record<string, string>,
  ): Promise<void> {
    const { payload, checksums } = verifiedPayload(req, raw);
    this.checkConditions(bucket, key, req);
    const sse = this.requestSse(bucket, req);
    details.sse = sse.algorithm;
    if (sse.kmsKeyId !== undefined) details.kmsKeyId = sse.kmsKeyId;
    const version = this.writeVersion(bucket, key, payload, {
      contentType: String(req.headers["content-type"] ?? "binary/octet-stream"),
      metadata: metadataOf(req),
      checksums,
      sse,
      ...(req.headers["x-amz-object-lock-legal-hold"] === "ON" ? { legalHold: "ON" as const } : {}),
      ...retentionOf(req),
    });
    if (req.headers["x-amz-object-lock-legal-hold"] !== undefined) this.requireObjectLock(bucket);
    if (req.headers["x-amz-object-lock-mode"] !== undefined) this.requireObjectLock(bucket);
    this.emit("ObjectCreated:Put", bucket, version);
    res.writeHead(200, {
      ...this.versionHeaders(bucket, version),
      ...checksumHeaders(checksums),
      etag: version.etag,
    });
    res.end();
  }

  private getObject(
    bucket: Bucket,
    key: string,
    q: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
    headOnly: boolean,
  ): void {
    const versionId = q.get("versionId") ?? undefined;
    const version = this.findVersion(bucket, key, versionId);
    if (version === undefined) {
      if (versionId !== undefined)
        throw new ServiceError("NoSuchVersion", 404, "The specified version does not exist.");
      throw new ServiceError("NoSuchKey", 404, "The specified key does not exist.");
    }
    if (version.isDeleteMarker) {
      if (versionId !== undefined)
        throw new ServiceError(
          "MethodNotAllowed",
          405,
          "The specified method is not allowed against this resource.",
        );
      res.setHeader("x-amz-delete-marker", "true");
      throw new ServiceError("NoSuchKey", 404, "The specified key does not exist.");
    }
    const ifMatch = req.headers["if-match"];
    if (typeof ifMatch === "string" && ifMatch !== version.etag && ifMatch !== "*") {
      throw new ServiceError(
        "PreconditionFailed",
        412,
        "At least one of the pre-conditions you specified did not hold",
      );
    }
    const ifNoneMatch = req.headers["if-none-match"];
    if (typeof ifNoneMatch === "string" && ifNoneMatch === version.etag) {
      res.writeHead(304, { etag: version.etag });
      res.end();
      return;
    }
    const headers: Record<string, string> = {
      ...this.versionHeaders(bucket, version),
      etag: version.etag,
      "last-modified": new Date(version.lastModified).toUTCString(),
      "content-type": version.contentType,
      "accept-ranges": "bytes",
    };
    for (const [name, value] of Object.entries(version.metadata)) headers[`x-amz-meta-${name}`] = value;
    if (version.legalHold !== undefined) headers["x-amz-object-lock-legal-hold"] = version.legalHold;
    const range = req.headers.range;
    let start = 0;
    let end = version.size - 1;
    let status = 200;
    if (typeof range === "string") {
      const parsed = parseRange(range, version.size);
      if (parsed === "unsatisfiable") {
        res.setHeader("content-range", `bytes */${version.size}`);
        throw new ServiceError("InvalidRange", 416, "The requested range is not satisfiable");
      }
      if (parsed !== undefined) {
        [start, end] = parsed;
        status = 206;
        headers["content-range"] = `bytes ${start}-${end}/${version.size}`;
      }
    } else if (req.headers["x-amz-checksum-mode"] === "ENABLED") {
      Object.assign(headers, checksumHeaders(version.checksums));
    }
    headers["content-length"] = String(Math.max(0, end - start + 1));
    res.writeHead(status, headers);
    if (headOnly || version.size === 0 || version.blob === undefined) {
      res.end();
      return;
    }
    createReadStream(version.blob, { start, end }).pipe(res);
  }

  private deleteObject(bucket: Bucket, key: string, q: URLSearchParams, res: ServerResponse): void {
    const versionId = q.get("versionId") ?? undefined;
    const result = this.deleteOne(bucket, key, versionId);
    const headers: Record<string, string> = {};
    if (result.versionId !== undefined) headers["x-amz-version-id"] = result.versionId;
    if (result.deleteMarker) headers["x-amz-delete-marker"] = "true";
    res.writeHead(204, headers);
    res.end();
  }

  private deleteObjects(bucket: Bucket, body: Buffer, res: ServerResponse): void {
    const xml = body.toString("utf8");
    const quiet = xmlValues(xml, "Quiet")[0] === "true";
    const out: string[] = [];
    for (const object of xml.match(/<Object>[\s\S]*?<\/Object>/g) ?? []) {
      const key = xmlValues(object, "Key")[0] ?? "";
      const versionId = xmlValues(object, "VersionId")[0];
      const recorded = this.context.record({
        service: "s3",
        action: "DeleteObject",
        resource: `${bucket.name}/${key}`,
        accessKeyId: "",
        status: 204,
        details: { viaDeleteObjects: "true", ...(versionId === undefined ? {} : { versionId }) },
      });
      try {
        const result = this.deleteOne(bucket, key, versionId);
        if (!quiet) {
          out.push(
            `<Deleted><Key>${xmlEscape(key)}</Key>${versionId === undefined ? "" : `<VersionId>${xmlEscape(versionId)}</VersionId>`}${result.deleteMarker ? `<DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>${result.versionId}</DeleteMarkerVersionId>` : ""}</Deleted>`,
          );
        }
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        recorded.status = error.status;
        recorded.errorCode = error.code;
        out.push(
          `<Error><Key>${xmlEscape(key)}</Key><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message></Error>`,
        );
      }
    }
    xmlAnswer(res, `<DeleteResult ${XMLNS}>${out.join("")}</DeleteResult>`);
  }

  private copyObject(bucket: Bucket, key: string, req: IncomingMessage, res: ServerResponse): void {
    const source = decodeURIComponent(String(req.headers["x-amz-copy-source"]).replace(/^\//, ""));
    const [path, query] = source.split("?versionId=") as [string, string | undefined];
    const slash = path.indexOf("/");
    const sourceBucket = this.buckets.get(path.slice(0, slash));
    if (sourceBucket === undefined)
      throw new ServiceError("NoSuchBucket", 404, "The specified bucket does not exist");
    const sourceVersion = this.findVersion(sourceBucket, path.slice(slash + 1), query);
    if (sourceVersion === undefined || sourceVersion.isDeleteMarker || sourceVersion.blob === undefined) {
      throw new ServiceError("NoSuchKey", 404, "The specified key does not exist.");
    }
    const ifMatch = req.headers["x-amz-copy-source-if-match"];
    if (typeof ifMatch === "string" && ifMatch !== sourceVersion.etag) {
      throw new ServiceError(
        "PreconditionFailed",
        412,
        "At least one of the pre-conditions you specified did not hold",
      );
    }
    this.checkConditions(bucket, key, req);
    const replace = req.headers["x-amz-metadata-directive"] === "REPLACE";
    const version = this.writeVersion(bucket, key, readBlob(sourceVersion.blob), {
      contentType: replace
        ? String(req.headers["content-type"] ?? "binary/octet-stream")
        : sourceVersion.contentType,
      metadata: replace ? metadataOf(req) : { ...sourceVersion.metadata },
      checksums: { ...sourceVersion.checksums },
      sse: this.requestSse(bucket, req),
    });
    this.emit("ObjectCreated:Copy", bucket, version);
    const headers = {
      ...this.versionHeaders(bucket, version),
      ...(sourceVersion.versionId === "null"
        ? {}
        : { "x-amz-copy-source-version-id": sourceVersion.versionId }),
    };
    xmlAnswer(
      res,
      `<CopyObjectResult ${XMLNS}><LastModified>${iso(version.lastModified)}</LastModified><ETag>${xmlEscape(version.etag)}</ETag></CopyObjectResult>`,
      headers,
    );
  }

  private listObjectsV2(bucket: Bucket, q: URLSearchParams, res: ServerResponse): void {
    const prefix = q.get("prefix") ?? "";
    const delimiter = q.get("delimiter") ?? "";
    const maxKeys = Math.min(Number(q.get("max-keys") ?? 1000), 1000);
    const token = q.get("continuation-token");
    const startAfter =
      token !== null ? Buffer.from(token, "base64").toString("utf8") : (q.get("start-after") ?? "");
    const encode = q.get("encoding-type") === "url";
    const enc = (k: string) => xmlEscape(encode ? encodeURIComponent(k).replaceAll("%2F", "/") : k);
    const contents: string[] = [];
    const prefixes = new Set<string>();
    let last = "";
    let truncated = false;
    for (const key of sortedKeys(bucket, prefix)) {
      if (key <= startAfter) continue;
      const current = bucket.objects.get(key)?.[0];
      if (current === undefined || current.isDeleteMarker) continue;
      if (contents.length + prefixes.size >= maxKeys) {
        truncated = true;
        break;
      }
      const cut = delimiter === "" ? -1 : key.indexOf(delimiter, prefix.length);
      if (cut !== -1) {
        const common = key.slice(0, cut + delimiter.length);
        if (!prefixes.has(common)) prefixes.add(common);
        last = key;
        continue;
      }
      contents.push(
        `<Contents><Key>${enc(key)}</Key><LastModified>${iso(current.lastModified)}</LastModified><ETag>${xmlEscape(current.etag)}</ETag><Size>${current.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      );
      last = key;
    }
    const next = truncated
      ? `<NextContinuationToken>${Buffer.from(last).toString("base64")}</NextContinuationToken>`
      : "";
    const common = [...prefixes]
      .map((p) => `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`)
      .join("");
    xmlAnswer(
      res,
      `<ListBucketResult ${XMLNS}><Name>${xmlEscape(bucket.name)}</Name><Prefix>${enc(prefix)}</Prefix><KeyCount>${contents.length + prefixes.size}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>${delimiter === "" ? "" : `<Delimiter>${xmlEscape(delimiter)}</Delimiter>`}<IsTruncated>${truncated}</IsTruncated>${encode ? "<EncodingType>url</EncodingType>" : ""}${contents.join("")}${common}${next}${token === null ? "" : `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`}</ListBucketResult>`,
    );
  }

  private listObjectVersions(bucket: Bucket, q: URLSearchParams, res: ServerResponse): void {
    const prefix = q.get("prefix") ?? "";
    const maxKeys = Math.min(Number(q.get("max-keys") ?? 1000), 1000);
    const keyMarker = q.get("key-marker") ?? "";
    const versionMarker = q.get("version-id-marker") ?? "";
    const encode = q.get("encoding-type") === "url";
    const enc = (k: string) => xmlEscape(encode ? encodeURIComponent(k).replaceAll("%2F", "/") : k);
    const entries: string[] = [];
    let truncated = false;
    let nextKey = "";
    let nextVersion = "";
    outer: for (const key of sortedKeys(bucket, prefix)) {
      if (key < keyMarker) continue;
      const versions = bucket.objects.get(key) ?? [];
      let skipping = key === keyMarker;
      if (skipping && versionMarker === "") continue;
      for (const [index, v] of versions.entries()) {
        if (skipping) {
          if (v.versionId === versionMarker) skipping = false;
          continue;
        }
        if (entries.length >= maxKeys) {
          truncated = true;
          break outer;
        }
        const common = `<Key>${enc(key)}</Key><VersionId>${v.versionId}</VersionId><IsLatest>${index === 0}</IsLatest><LastModified>${iso(v.lastModified)}</LastModified><Owner><ID>standin</ID></Owner>`;
        entries.push(
          v.isDeleteMarker
            ? `<DeleteMarker>${common}</DeleteMarker>`
            : `<Version>${common}<ETag>${xmlEscape(v.etag)}</ETag><Size>${v.size}</Size><StorageClass>STANDARD</StorageClass></Version>`,
        );
        nextKey = key;
        nextVersion = v.versionId;
      }
    }
    const markers = truncated
      ? `<NextKeyMarker>${enc(nextKey)}</NextKeyMarker><NextVersionIdMarker>${nextVersion}</NextVersionIdMarker>`
      : "";
    xmlAnswer(
      res,
      `<ListVersionsResult ${XMLNS}><Name>${xmlEscape(bucket.name)}</Name><Prefix>${enc(prefix)}</Prefix><KeyMarker>${enc(keyMarker)}</KeyMarker><VersionIdMarker>${xmlEscape(versionMarker)}</VersionIdMarker><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${entries.join("")}${markers}</ListVersionsResult>`,
    );
  }

  private getLegalHold(bucket: Bucket, key: string, q: URLSearchParams, res: ServerResponse): void {
    this.requireObjectLock(bucket);
    const version = this.findVersion(bucket, key, q.get("versionId") ?? undefined);
    if (version === undefined || version.isDeleteMarker)
      throw new ServiceError("NoSuchKey", 404, "The specified key does not exist.");
    if (version.legalHold === undefined) {
      throw new ServiceError(
        "NoSuchObjectLockConfiguration",
        404,
        "The specified object does not have a ObjectLock configuration",
      );
    }
    xmlAnswer(res, `<LegalHold ${XMLNS}><Status>${version.legalHold}</Status></LegalHold>`);
  }

  private putLegalHold(
    bucket: Bucket,
    key: string,
    q: URLSearchParams,
    body: Buffer,
    res: ServerResponse,
  ): void {
    this.requireObjectLock(bucket);
    const version = this.findVersion(bucket, key, q.get("versionId") ?? undefined);
    if (version === undefined || version.isDeleteMarker)
      throw new ServiceError("NoSuchKey", 404, "The specified key does not exist.");
    const status = xmlValues(body.toString("utf8"), "Status")[0];
    if (status !== "ON" && status !== "OFF")
      throw new ServiceError("MalformedXML", 400, "LegalHold Status must be ON or OFF");
    version.legalHold = status;
    res.writeHead(200, version.versionId === "null" ? {} : { "x-amz-version-id": version.versionId });
    res.end();
  }

  private createUpload(
    bucket: Bucket,
    key: string,
    req: IncomingMessage,
    res: ServerResponse,
    details: Record<string, string>,
  ): void {
    const uploadId = `upload-${++this.uploadCounter}-${createHash("sha1").update(key).digest("hex").slice(0, 8)}`;
    const sse = this.requestSse(bucket, req);
    details.sse = sse.algorithm;
    details.uploadId = uploadId;
    const algorithm = req.headers["x-amz-checksum-algorithm"];
    bucket.uploads.set(uploadId, {
      key,
      initiated: this.context.clock.now(),
      contentType: String(req.headers["content-type"] ?? "binary/octet-stream"),
      metadata: metadataOf(req),
      sse,
      checksumAlgorithm: typeof algorithm === "string" ? algorithm.toLowerCase() : undefined,
      parts: new Map(),
    });
    xmlAnswer(
      res,
      `<InitiateMultipartUploadResult ${XMLNS}><Bucket>${xmlEscape(bucket.name)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
      sseHeaders(sse),
    );
  }

  private uploadPart(
    bucket: Bucket,
    key: string,
    q: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
  ): void {
    const upload = this.upload(bucket, key, q);
    const partNumber = Number(q.get("partNumber"));
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
      throw new ServiceError("InvalidArgument", 400, "Part number must be an integer between 1 and 10000");
    }
    const { payload, checksums } = verifiedPayload(req, raw);
    const etag = `"${md5Hex(payload)}"`;
    upload.parts.set(partNumber, { etag, body: payload, checksums });
    res.writeHead(200, { etag, ...sseHeaders(upload.sse), ...checksumHeaders(checksums) });
    res.end();
  }

  private completeUpload(
    bucket: Bucket,
    key: string,
    q: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
  ): void {
    const uploadId = q.get("uploadId") ?? "";
    const upload = this.upload(bucket, key, q);
    const xml = body.toString("utf8");
    const listed = (xml.match(/<Part>[\s\S]*?<\/Part>/g) ?? []).map((p) => ({
      number: Number(xmlValues(p, "PartNumber")[0]),
      etag: xmlValues(p, "ETag")[0] ?? "",
    }));
    if (listed.length === 0)
      throw new ServiceError("MalformedXML", 400, "CompleteMultipartUpload lists no parts");
    const chunks: Buffer[] = [];
    const digests: Buffer[] = [];
    for (const [index, part] of listed.entries()) {
      if (index > 0 && part.number <= (listed[index - 1]?.number ?? 0)) {
        throw new ServiceError("InvalidPartOrder", 400, "The list of parts was not in ascending order");
      }
      const stored = upload.parts.get(part.number);
      const quoted = part.etag.startsWith('"') ? part.etag : `"${part.etag}"`;
      if (stored === undefined || stored.etag !== quoted) {
        throw new ServiceError("InvalidPart", 400, "One or more of the specified parts could not be found");
      }
      if (index < listed.length - 1 && stored.body.length < MIN_PART_BYTES) {
        throw new ServiceError(
          "EntityTooSmall",
          400,
          "Your proposed upload is smaller than the minimum allowed object size",
        );
      }
      chunks.push(stored.body);
      digests.push(Buffer.from(stored.etag.slice(1, -1), "hex"));
    }
    this.checkConditions(bucket, key, req);
    const payload = Buffer.concat(chunks);
    const version = this.writeVersion(
      bucket,
      key,
      payload,
      { contentType: upload.contentType, metadata: upload.metadata, checksums: {}, sse: upload.sse },
      `"${md5Hex(Buffer.concat(digests))}-${listed.length}"`,
    );
    bucket.uploads.delete(uploadId);
    this.emit("ObjectCreated:CompleteMultipartUpload", bucket, version);
    xmlAnswer(
      res,
      `<CompleteMultipartUploadResult ${XMLNS}><Location>http://standin/${xmlEscape(bucket.name)}/${xmlEscape(key)}</Location><Bucket>${xmlEscape(bucket.name)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(version.etag)}</ETag></CompleteMultipartUploadResult>`,
      this.versionHeaders(bucket, version),
    );
  }

  private listParts(bucket: Bucket, key: string, q: URLSearchParams, res: ServerResponse): void {
    const upload = this.upload(bucket, key, q);
    const parts = [...upload.parts.entries()]
      .sort(([a], [b]) => a - b)
      .map(
        ([n, p]) =>
          `<Part><PartNumber>${n}</PartNumber><ETag>${xmlEscape(p.etag)}</ETag><Size>${p.body.length}</Size></Part>`,
      );
    xmlAnswer(
      res,
      `<ListPartsResult ${XMLNS}><Bucket>${xmlEscape(bucket.name)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${q.get("uploadId")}</UploadId><IsTruncated>false</IsTruncated>${parts.join("")}</ListPartsResult>`,
    );
  }

  // --- state ------------------------------------------------------------------------------------------------

  private bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (bucket === undefined) throw new Error(`the S3 stand-in has no bucket ${name}`);
    return bucket;
  }

  private upload(bucket: Bucket, key: string, q: URLSearchParams): Upload {
    const upload = bucket.uploads.get(q.get("uploadId") ?? "");
    if (upload === undefined || upload.key !== key)
      throw new ServiceError("NoSuchUpload", 404, "The specified upload does not exist");
    return upload;
  }

  private findVersion(bucket: Bucket, key: string, versionId: string | undefined): ObjectVersion | undefined {
    const versions = bucket.objects.get(key);
    if (versions === undefined) return undefined;
    if (versionId === undefined) return versions[0];
    return versions.find((v) => v.versionId === versionId);
  }

  private checkConditions(bucket: Bucket, key: string, req: IncomingMessage): void {
    const current = bucket.objects.get(key)?.[0];
    const exists = current !== undefined && !current.isDeleteMarker;
    const ifNoneMatch = req.headers["if-none-match"];
    if (ifNoneMatch === "*" && exists) {
      throw new ServiceError(
        "PreconditionFailed",
        412,
        "At least one of the pre-conditions you specified did not hold",
      );
    }
    const ifMatch = req.headers["if-match"];
    if (typeof ifMatch === "string" && (!exists || (ifMatch !== "*" && ifMatch !== current.etag))) {
      throw new ServiceError(
        exists ? "PreconditionFailed" : "NoSuchKey",
        exists ? 412 : 404,
        "At least one of the pre-conditions you specified did not hold",
      );
    }
  }

  private requireObjectLock(bucket: Bucket): void {
    if (bucket.options.objectLock !== true) {
      throw new ServiceError("InvalidRequest", 400, "Bucket is missing Object Lock Configuration");
    }
  }

  private defaultSse(bucket: Bucket): ObjectVersion["sse"] {
    return bucket.options.kmsKeyArn === undefined
      ? { algorithm: "AES256" }
      : {
          algorithm: "aws:kms",
          kmsKeyId: bucket.options.kmsKeyArn,
          bucketKey: bucket.options.bucketKeyEnabled === true,
        };
  }

  private requestSse(bucket: Bucket, req: IncomingMessage): ObjectVersion["sse"] {
    const algorithm = req.headers["x-amz-server-side-encryption"];
    if (algorithm === "AES256") return { algorithm: "AES256" };
    if (algorithm === "aws:kms") {
      const keyId = req.headers["x-amz-server-side-encryption-aws-kms-key-id"];
      return {
        algorithm: "aws:kms",
        kmsKeyId: typeof keyId === "string" ? keyId : (bucket.options.kmsKeyArn ?? "aws/s3"),
        bucketKey:
          req.headers["x-amz-server-side-encryption-bucket-key-enabled"] === "true" ||
          bucket.options.bucketKeyEnabled === true,
      };
    }
    return this.defaultSse(bucket);
  }

  private versionHeaders(bucket: Bucket, version: ObjectVersion): Record<string, string> {
    return {
      ...(bucket.options.versioned === true ? { "x-amz-version-id": version.versionId } : {}),
      ...sseHeaders(version.sse),
    };
  }

  private writeVersion(
    bucket: Bucket,
    key: string,
    body: Buffer,
    meta: Pick<ObjectVersion, "contentType" | "metadata" | "checksums" | "sse"> & {
      legalHold?: "ON" | "OFF";
      retention?: ObjectVersion["retention"];
    },
    etag = `"${md5Hex(body)}"`,
  ): ObjectVersion {
    const sequence = ++this.sequence;
    const blob = join(this.root, "blobs", String(sequence));
    writeFileSync(blob, body);
    const versionId = bucket.options.versioned === true ? versionIdOf(sequence) : "null";
    const version: ObjectVersion = {
      key,
      versionId,
      isDeleteMarker: false,
      size: body.length,
      etag,
      lastModified: this.context.clock.now(),
      contentType: meta.contentType,
      metadata: meta.metadata,
      checksums: meta.checksums,
      sse: meta.sse,
      ...(meta.legalHold === undefined ? {} : { legalHold: meta.legalHold }),
      ...(meta.retention === undefined ? {} : { retention: meta.retention }),
      blob,
      sequence,
    };
    const versions = bucket.objects.get(key) ?? [];
    if (bucket.options.versioned === true) {
      versions.unshift(version);
    } else {
      for (const old of versions) if (old.blob !== undefined) rmSync(old.blob, { force: true });
      versions.splice(0, versions.length, version);
    }
    bucket.objects.set(key, versions);
    this.mirror(bucket.name, key, blob);
    return version;
  }

  private deleteOne(
    bucket: Bucket,
    key: string,
    versionId: string | undefined,
  ): { versionId?: string; deleteMarker: boolean } {
    const versions = bucket.objects.get(key) ?? [];
    if (versionId !== undefined && versionId !== "null" && bucket.options.versioned !== true) {
      throw new ServiceError("InvalidArgument", 400, "Invalid version id specified");
    }
    if (versionId !== undefined && (bucket.options.versioned === true || versionId === "null")) {
      const index = versions.findIndex((v) => v.versionId === versionId);
      if (index === -1) return { versionId, deleteMarker: false };
      const version = versions[index] as ObjectVersion;
      if (
        version.legalHold === "ON" ||
        (version.retention !== undefined && version.retention.until > this.context.clock.now())
      ) {
        throw new ServiceError("AccessDenied", 403, "Access Denied because object protected by object lock.");
      }
      versions.splice(index, 1);
      if (version.blob !== undefined) rmSync(version.blob, { force: true });
      if (versions.length === 0) bucket.objects.delete(key);
      this.mirrorCurrent(bucket, key);
      this.emitRemoved("ObjectRemoved:Delete", bucket, version);
      return { versionId, deleteMarker: version.isDeleteMarker };
    }
    if (bucket.options.versioned === true) {
      const sequence = ++this.sequence;
      const marker: ObjectVersion = {
        key,
        versionId: versionIdOf(sequence),
        isDeleteMarker: true,
        size: 0,
        etag: "",
        lastModified: this.context.clock.now(),
        contentType: "",
        metadata: {},
        checksums: {},
        sse: { algorithm: "AES256" },
        sequence,
      };
      versions.unshift(marker);
      bucket.objects.set(key, versions);
      this.mirrorCurrent(bucket, key);
      this.emitRemoved("ObjectRemoved:DeleteMarkerCreated", bucket, marker);
      return { versionId: marker.versionId, deleteMarker: true };
    }
    const current = versions[0];
    if (current !== undefined) {
      if (current.blob !== undefined) rmSync(current.blob, { force: true });
      bucket.objects.delete(key);
      this.mirrorCurrent(bucket, key);
      this.emitRemoved("ObjectRemoved:Delete", bucket, current);
    }
    return { deleteMarker: false };
  }

  private mirrorPath(bucket: string, key: string): string | undefined {
    const segments = key.split("/");
    if (segments.some((s) => s === "" || s === "." || s === "..")) return undefined;
    return join(this.root, "current", bucket, ...segments);
  }

  /** Links the current version's file at current/<bucket>/<key>; a key that cannot be a file path is skipped. */
  private mirror(bucket: string, key: string, blob: string | undefined): void {
    const path = this.mirrorPath(bucket, key);
    if (path === undefined) return;
    try {
      unlinkSync(path);
    } catch {
      // nothing there yet
    }
    if (blob === undefined) return;
    try {
      mkdirSync(join(path, ".."), { recursive: true });
      linkSync(blob, path);
    } catch {
      // a key that is also a "folder" of other keys: not readable by the Athena stand-in (see localPath)
    }
  }

  private mirrorCurrent(bucket: Bucket, key: string): void {
    const current = bucket.objects.get(key)?.[0];
    this.mirror(bucket.name, key, current === undefined || current.isDeleteMarker ? undefined : current.blob);
  }

  private emit(eventName: string, bucket: Bucket, version: ObjectVersion): void {
    const event: S3Event = {
      eventName,
      bucket: bucket.name,
      key: version.key,
      size: version.size,
      eTag: version.etag.replaceAll('"', ""),
      versionId: bucket.options.versioned === true ? version.versionId : undefined,
      sequencer: version.sequence.toString(16).toUpperCase().padStart(16, "0"),
      at: version.lastModified,
    };
    for (const listener of this.listeners) listener(event);
  }

  private emitRemoved(eventName: string, bucket: Bucket, version: ObjectVersion): void {
    this.emit(eventName, bucket, version);
  }
}

function operationOf(method: string, key: string, q: URLSearchParams, req: IncomingMessage): string {
  const has = (name: string) => q.has(name);
  if (key === "") {
    if (method === "GET") {
      if (q.get("list-type") === "2") return "ListObjectsV2";
      if (has("versions")) return "ListObjectVersions";
      if (has("location")) return "GetBucketLocation";
      return "NotImplemented";
    }
    if (method === "HEAD") return "HeadBucket";
    if (method === "POST" && has("delete")) return "DeleteObjects";
    return "NotImplemented";
  }
  switch (method) {
    case "GET":
      if (has("legal-hold")) return "GetObjectLegalHold";
      if (has("uploadId")) return "ListParts";
      if (has("retention") || has("tagging") || has("acl")) return "NotImplemented";
      return "GetObject";
    case "HEAD":
      return "HeadObject";
    case "PUT":
      if (has("legal-hold")) return "PutObjectLegalHold";
      if (has("retention") || has("tagging") || has("acl")) return "NotImplemented";
      if (has("partNumber") && has("uploadId"))
        return req.headers["x-amz-copy-source"] === undefined ? "UploadPart" : "NotImplemented";
      if (req.headers["x-amz-copy-source"] !== undefined) return "CopyObject";
      return "PutObject";
    case "POST":
      if (has("uploads")) return "CreateMultipartUpload";
      if (has("uploadId")) return "CompleteMultipartUpload";
      return "NotImplemented";
    case "DELETE":
      return has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
    default:
      return "NotImplemented";
  }
}

/** The body without `aws-chunked` framing, every checksum the request carries verified; the checksums kept. */
function verifiedPayload(
  req: IncomingMessage,
  raw: Buffer,
): { payload: Buffer; checksums: Record<string, string> } {
  let payload = raw;
  let trailers: Record<string, string> = {};
  const encoding = String(req.headers["content-encoding"] ?? "");
  if (
    encoding
      .split(",")
      .map((s) => s.trim())
      .includes("aws-chunked")
  ) {
    ({ payload, trailers } = decodeAwsChunked(raw));
    const declared = req.headers["x-amz-decoded-content-length"];
    if (declared !== undefined && Number(declared) !== payload.length) {
      throw new ServiceError("IncompleteBody", 400, "x-amz-decoded-content-length does not match the body");
    }
  }
  const contentSha = req.headers["x-amz-content-sha256"];
  if (typeof contentSha === "string" && /^[0-9a-f]{64}$/.test(contentSha)) {
    if (createHash("sha256").update(payload).digest("hex") !== contentSha) {
      throw new ServiceError(
        "XAmzContentSHA256Mismatch",
        400,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
  }
  const md5 = req.headers["content-md5"];
  if (typeof md5 === "string" && createHash("md5").update(payload).digest("base64") !== md5) {
    throw new ServiceError("BadDigest", 400, "The Content-MD5 you specified did not match what we received.");
  }
  const checksums: Record<string, string> = {};
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const header = `x-amz-checksum-${algorithm}`;
    const value = trailers[header] ?? req.headers[header];
    if (typeof value !== "string") continue;
    const computed = computeChecksum(algorithm, payload);
    if (computed !== undefined && computed !== value) {
      throw new ServiceError(
        "BadDigest",
        400,
        `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
      );
    }
    checksums[algorithm] = value;
  }
  return { payload, checksums };
}

function computeChecksum(
  algorithm: (typeof CHECKSUM_ALGORITHMS)[number],
  payload: Buffer,
): string | undefined {
  switch (algorithm) {
    case "sha256":
    case "sha1":
      return createHash(algorithm).update(payload).digest("base64");
    case "crc32": {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc32(payload) >>> 0);
      return out.toString("base64");
    }
    default:
      return undefined; // crc32c and crc64nvme are kept, not verified
  }
}

function checksumHeaders(checksums: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(checksums).map(([k, v]) => [`x-amz-checksum-${k}`, v]));
}

function sseHeaders(sse: ObjectVersion["sse"]): Record<string, string> {
  const headers: Record<string, string> = { "x-amz-server-side-encryption": sse.algorithm };
  if (sse.kmsKeyId !== undefined) headers["x-amz-server-side-encryption-aws-kms-key-id"] = sse.kmsKeyId;
  if (sse.bucketKey === true) headers["x-amz-server-side-encryption-bucket-key-enabled"] = "true";
  return headers;
}

function metadataOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith("x-amz-meta-") && typeof value === "string")
      out[name.slice("x-amz-meta-".length)] = value;
  }
  return out;
}

function parseRange(header: string, size: number): [number, number] | "unsatisfiable" | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined;
  const [, from, to] = match as unknown as [string, string, string];
  if (from === "" && to === "") return undefined;
  if (from === "") {
    const n = Math.min(Number(to), size);
    return n === 0 ? "unsatisfiable" : [size - n, size - 1];
  }
  const start = Number(from);
  if (start >= size) return "unsatisfiable";
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  return end < start ? undefined : [start, end];
}

function sortedKeys(bucket: Bucket, prefix: string): string[] {
  return [...bucket.objects.keys()]
    .filter((k) => k.startsWith(prefix))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function versionIdOf(sequence: number): string {
  return `v${sequence.toString(36).padStart(8, "0")}${createHash("sha1").update(String(sequence)).digest("hex").slice(0, 24)}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Synchronous on purpose: the stand-in serves tests, where ordering matters more than throughput. */
function readBlob(path: string): Buffer {
  return readFileSync(path);
}

function xmlAnswer(res: ServerResponse, xml: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { "content-type": "application/xml", "x-amz-request-id": requestId(), ...headers });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
}

/** The retention a PutObject asks for (`x-amz-object-lock-mode` with `-retain-until-date`), if any. */
function retentionOf(req: IncomingMessage): { retention?: ObjectVersion["retention"] } {
  const mode = req.headers["x-amz-object-lock-mode"];
  const until = req.headers["x-amz-object-lock-retain-until-date"];
  if (mode !== "COMPLIANCE" && mode !== "GOVERNANCE") return {};
  const at = Date.parse(String(until ?? ""));
  if (!Number.isFinite(at))
    throw new ServiceError(
      "InvalidArgument",
      400,
      "x-amz-object-lock-retain-until-date is required with a mode",
    );
  return { retention: { mode, until: at } };
}
