import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { EnricherOptions } from "../../../../functions/core/enrich/enrich.ts";
import { AWS_ENV } from "../../../../functions/runtime/env.ts";

/**
 * The collector writes no full address anywhere, so its enricher must not remember any either (the ingest's does:
 * it writes every full address to the security zone anyway; core/enrich/geo-memo.ts). What each wiring asks
 * createEnricher for is recorded; the ingest's default is the positive control.
 */
const asked = vi.hoisted(() => [] as (EnricherOptions | undefined)[]);
vi.mock("../../../../functions/core/enrich/enrich.ts", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../../../functions/core/enrich/enrich.ts")>();
  return {
    ...original,
    createEnricher: (...args: Parameters<typeof original.createEnricher>) => {
      asked.push(args[1]);
      return original.createEnricher(...args);
    },
  };
});

const s3 = mockClient(S3Client);
const firehose = mockClient(FirehoseClient);
afterAll(() => {
  s3.restore();
  firehose.restore();
});

describe("the collector's enricher remembers no address", () => {
  it("locally (`logsieve serve`) and on AWS, where the ingest's enricher does", async () => {
    // Prepare
    const { localCollectorDeps } = await import("../../../../functions/apps/collect/local.ts");
    const { composeAwsCollectApp } = await import("../../../../functions/apps/collect/aws.ts");
    const { enricherFor } = await import("../../../../functions/runtime/enricher.ts");
    const lakeDir = await mkdtemp(join(tmpdir(), "logsieve-collect-memo-"));
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

    try {
      // Act: the local collector, the AWS collector, and the ingest's enricher as the ingest wiring makes it
      const local = await localCollectorDeps({
        lakeDir,
        config: { sites: ["example.com"] },
        sink: { threaded: false },
        logger: silent,
      });
      await local.close();
      const localAsked = asked.splice(0);
      await composeAwsCollectApp({
        [AWS_ENV.config]: JSON.stringify({ sites: ["example.com"] }),
        [AWS_ENV.analyticsBucket]: "analytics-bucket",
        [AWS_ENV.eventsDeliveryStream]: "logsieve-events",
      });
      const awsAsked = asked.splice(0);
      await enricherFor((await import("../../../../functions/core/config.ts")).parseConfig({}));
      const ingestAsked = asked.splice(0);

      // Assess
      expect(localAsked.map((options) => options?.geoMemo)).toEqual([false]);
      expect(awsAsked.map((options) => options?.geoMemo)).toEqual([false]);
      expect(ingestAsked.map((options) => options?.geoMemo)).toEqual([true]);
    } finally {
      await rm(lakeDir, { recursive: true, force: true });
    }
  });
});
