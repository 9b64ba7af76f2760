import { randomUUID } from "node:crypto";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { sendAggregateRequests } from "../../adapters/aws/aggregate-queue.ts";
import {
  NotificationError,
  objectsInNotification,
  type S3ObjectRef,
  siteFromKey,
} from "../../adapters/aws/s3-notifications.ts";
import { streamInput } from "../../adapters/input/resumable-input.ts";
import { s3BodyChunks } from "../../adapters/input/s3-body.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { ConfigError } from "../../core/config.ts";
import { CheckpointBook } from "../../core/ingest/checkpoint-book.ts";
import type { IngestDeps } from "../../core/ingest/pipeline.ts";
import { ingestResumable, type ResumableSummary } from "../../core/ingest/resume.ts";
import { chooseConfiguredFormat } from "../../core/parse/choose.ts";
import { lakeStoreFromEnv } from "../../runtime/aws-lake.ts";
import { parquetEncoder } from "../../runtime/encoder.ts";
import { enricherFor } from "../../runtime/enricher.ts";
import { AWS_ENV, configFromEnv, type Environment } from "../../runtime/env.ts";
import { saltStoreFor } from "../../runtime/salts.ts";

/**
 * `ingest` on AWS: S3 "object created" notifications (through SQS) for `incoming/` → each object read from the raw
 * bucket and run through the core pipeline → security rows to the raw bucket, events to the analytics bucket →
 * one request per touched day to the aggregate queue. Each object is read from its stream's checkpoint (core/ingest/
 * resume.ts): a redelivered notification, the same log uploaded again under another key or as a new version, or a
 * grown copy of a log read before adds only lines not read yet; an attempt that died midway is redone under the same
 * object keys.
 *
 * A file larger than one invocation reads in its time is read in byte ranges: one invocation reads at most
 * `rangeBytes` of (decompressed) content from the stream's checkpoint — the lines that start in that range, the
 * last one to its end (a line belongs to the range where it starts, as for every checkpointed batch) — moves the
 * checkpoint, and, when it stopped at the bound, sends a continuation for the same object to the ingest queue; the
 * next invocation reads on from the checkpoint. Each range is a batch of the stream with objects of its own.
 */

export interface AwsIngestRuntime {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly rawBucket: string;
  readonly aggregateQueueUrl: string | undefined;
  /** Where continuations of a file read in ranges go (the function's own queue). */
  readonly ingestQueueUrl: string | undefined;
  /** Bytes of (decompressed) content one invocation reads at most, plus the line running over its end. */
  readonly rangeBytes: number;
  readonly deps: IngestDeps;
  readonly checkpoints: CheckpointBook;
}

/** Ranges when the deployment sets none: large enough that no ordinary file is split. */
export const DEFAULT_RANGE_BYTES = 1024 * 1024 * 1024;

/**
 * A stream lock outlives the longest invocation (15 minutes) before another may take it over: a Lambda that timed
 * out cannot be asked whether it still runs. A message that finds its stream locked fails and is redelivered.
 */
const LAMBDA_LEASE_MS = 20 * 60 * 1000;

/** Everything the ingest function needs, built once per cold start from the environment the CDK app sets. */
export async function composeAwsIngest(
  env: Environment,
  clients: { s3?: S3Client; sqs?: SQSClient } = {},
): Promise<AwsIngestRuntime> {
  const s3 = clients.s3 ?? new S3Client({});
  const config = configFromEnv(env);
  const { lake, rawBucket } = lakeStoreFromEnv(env, s3);
  const clock = systemClock;
  const checkpoints = new CheckpointBook(lake, clock, {
    owner: randomUUID(),
    host: "aws-lambda",
    pid: process.pid,
    leaseMs: LAMBDA_LEASE_MS,
  });
  const rangeText = env[AWS_ENV.ingestRangeBytes];
  const rangeBytes = rangeText === undefined ? DEFAULT_RANGE_BYTES : Number(rangeText);
  if (!Number.isSafeInteger(rangeBytes) || rangeBytes < 1024) {
    throw new ConfigError(`${AWS_ENV.ingestRangeBytes} must be a whole number of bytes, at least 1024`, [
      `${AWS_ENV.ingestRangeBytes}: a whole number of bytes, at least 1024`,
    ]);
  }
  return {
    checkpoints,
    ingestQueueUrl: env[AWS_ENV.ingestQueueUrl],
    rangeBytes,
    s3,
    sqs: clients.sqs ?? new SQSClient({}),
    rawBucket,
    aggregateQueueUrl: env[AWS_ENV.aggregateQueueUrl],
    deps: {
      config,
      enrich: await enricherFor(config, {
        countryDb: env[AWS_ENV.geoCountryDb],
        asnTable: env[AWS_ENV.geoAsnTable],
      }),
      salts: saltStoreFor(lake, clock, config),
      store: lake,
      // No worker thread in a Lambda sandbox: the function's memory is sized for the in-thread encoder.
      encoder: parquetEncoder({ threads: false }),
      clock,
    },
  };
}

/** What the handler logs of one object: the summary, how it relates to what was read before, its format's origin. */
export interface ObjectIngestSummary extends ResumableSummary {
  /** `formats[i]` of the configuration (matched by key prefix, glob or site), or `detection`. */
  readonly formatFrom: string;
  /** The read stopped at the range bound: a continuation for the rest was sent to the ingest queue. */
  readonly continued: boolean;
}

/** The body of a continuation message on the ingest queue: read on in this object from its stream's checkpoint. */
export interface ContinuationMessage {
  readonly logsieveContinue: {
    readonly bucket: string;
    readonly key: string;
    readonly versionId?: string;
    readonly eTag?: string;
  };
}

/** Ingests what is new in one announced object; returns its summary (the handler logs counts, never a line). */
export async function ingestObject(rt: AwsIngestRuntime, ref: S3ObjectRef): Promise<ObjectIngestSummary> {
  const object = await rt.s3.send(
    new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
  );
  const site = siteFromKey(ref.key);
  // The configuration's formats by key prefix (or glob, or site), as locally by path; else detection.
  const configured = chooseConfiguredFormat(rt.deps.config.formats, { name: ref.key, site });
  // An object is complete: its last line needs no terminator. Compression is told by its magic bytes, not the key.
  const input = streamInput(s3BodyChunks(object.Body, ref.key), {
    complete: true,
    maxLineBytes: rt.deps.config.ingest.maxLineBytes,
  });
  const summary = await ingestResumable(
    input,
    { site, format: configured?.format, maxBatchBytes: rt.rangeBytes },
    rt.deps,
    rt.checkpoints,
  );
  // Stopped at the bound (an input ending exactly there gives one continuation that finds nothing new).
  const continued = summary.resume.to - summary.resume.from >= rt.rangeBytes;
  if (continued) {
    if (rt.ingestQueueUrl === undefined) {
      throw new Error(
        `${AWS_ENV.ingestQueueUrl} is not set: a file larger than one range cannot be continued`,
      );
    }
    const next: ContinuationMessage = {
      logsieveContinue: {
        bucket: ref.bucket,
        key: ref.key,
        ...(ref.versionId === undefined ? {} : { versionId: ref.versionId }),
        ...(ref.eTag === undefined ? {} : { eTag: ref.eTag }),
      },
    };
    await rt.sqs.send(
      new SendMessageCommand({ QueueUrl: rt.ingestQueueUrl, MessageBody: JSON.stringify(next) }),
    );
  }
  // A stream read on uses the format of its first reading: neither detected again nor configured.
  const formatFrom =
    configured !== null
      ? `formats[${configured.index}]`
      : !summary.formatDetected && summary.format !== null
        ? "checkpoint"
        : "detection";
  return { ...summary, formatFrom, continued };
}

/** The objects one ingest-queue message asks to read: those of an S3 notification, or a continuation's. */
export function objectsOfMessage(body: string): S3ObjectRef[] {
  let parsed: Partial<ContinuationMessage> | undefined;
  try {
    parsed = JSON.parse(body) as Partial<ContinuationMessage>;
  } catch {
    parsed = undefined;
  }
  const next = parsed?.logsieveContinue;
  if (next === undefined) return objectsInNotification(body);
  if (typeof next.bucket !== "string" || typeof next.key !== "string") {
    throw new NotificationError(
      "a continuation message names the bucket and key of the object to read on in",
    );
  }
  return [
    { bucket: next.bucket, key: next.key, versionId: next.versionId, eTag: next.eTag, size: undefined },
  ];
}

/** Ingests every object one SQS message asks for and tells aggregation which days they touched. */
export async function ingestNotification(
  rt: AwsIngestRuntime,
  messageBody: string,
  onIngested: (ref: S3ObjectRef, summary: ObjectIngestSummary) => void,
  /** Called before each object is read: the handler names the object a failure happened in. */
  onStart?: (ref: S3ObjectRef) => void,
): Promise<readonly string[]> {
  const days = new Set<string>();
  for (const ref of objectsOfMessage(messageBody)) {
    onStart?.(ref);
    const summary = await ingestObject(rt, ref);
    onIngested(ref, summary);
    for (const day of summary.eventDays) days.add(day);
  }
  const touched = [...days].sort();
  if (rt.aggregateQueueUrl !== undefined && touched.length > 0) {
    // Sent once everything is written: the time says which recompute of each day will see these events.
    const sentAt = rt.deps.clock.now();
    await sendAggregateRequests(
      rt.sqs,
      rt.aggregateQueueUrl,
      touched.map((day) => ({ day, sentAt, why: "ingest" as const })),
    );
  }
  return touched;
}
