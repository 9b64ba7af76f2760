import { CopyObjectCommand, DeleteObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { S3ObjectRef } from "../../adapters/aws/s3-notifications.ts";
import { ALB_INCOMING_PREFIX, AWS_ENV, type Environment, requireEnv } from "../../runtime/env.ts";

/**
 * Moving ALB access logs from their landing bucket into `incoming/alb/` of the raw bucket. An ALB writes only to a
 * bucket encrypted with SSE-S3, while the raw bucket has its own KMS key and Object Lock: the copy is re-encrypted
 * with the raw bucket's key (its default encryption), then the landed object is deleted.
 *
 * Once only: the copy is conditional (`If-None-Match: *`), so a notification delivered twice, or a move retried
 * after the copy but before the delete, never writes a second version into incoming/ (a second version would be a
 * second input and its lines counted twice). The created object's notification is what starts its ingestion.
 */

export interface LandRuntime {
  readonly s3: S3Client;
  readonly rawBucket: string;
  readonly landingBucket: string;
}

export type MoveOutcome = "moved" | "already-moved" | "gone";

export function composeLand(env: Environment, clients: { s3?: S3Client } = {}): LandRuntime {
  return {
    s3: clients.s3 ?? new S3Client({}),
    rawBucket: requireEnv(env, AWS_ENV.rawBucket),
    landingBucket: requireEnv(env, AWS_ENV.albLandingBucket),
  };
}

/** The key a landed object gets in the raw bucket. */
export function incomingKey(landedKey: string): string {
  return `${ALB_INCOMING_PREFIX}${landedKey}`;
}

export async function moveLanded(rt: LandRuntime, ref: S3ObjectRef): Promise<MoveOutcome> {
  if (ref.bucket !== rt.landingBucket) {
    throw new Error("the land function moves objects of the ALB landing bucket only");
  }
  let outcome: MoveOutcome = "moved";
  try {
    await rt.s3.send(
      new CopyObjectCommand({
        Bucket: rt.rawBucket,
        Key: incomingKey(ref.key),
        CopySource: `${rt.landingBucket}/${ref.key.split("/").map(encodeURIComponent).join("/")}`,
        IfNoneMatch: "*",
      }),
    );
  } catch (error) {
    const { name, status } = describe(error);
    if (name === "PreconditionFailed" || status === 412) outcome = "already-moved";
    else if (name === "NoSuchKey" || status === 404) return "gone";
    else throw error;
  }
  await rt.s3.send(new DeleteObjectCommand({ Bucket: rt.landingBucket, Key: ref.key }));
  return outcome;
}

function describe(error: unknown): { name: string | undefined; status: number | undefined } {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return { name: e?.name, status: e?.$metadata?.httpStatusCode };
}
