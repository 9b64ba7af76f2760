import { FirehoseClient, PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { eventRecord, FirehoseEventSink } from "../../../../functions/adapters/aws/firehose-event-sink.ts";
import { composeAwsCollectApp } from "../../../../functions/apps/collect/aws.ts";
import { NO_EVENT_PROPS } from "../../../../functions/core/ingest/rows.ts";
import type { EventRow } from "../../../../functions/core/types.ts";
import { EventSinkUnavailableError } from "../../../../functions/ports/event-sink.ts";
import { AWS_ENV } from "../../../../functions/runtime/env.ts";
import { lambdaHandler, v2Handler } from "../../../helpers/lambda-http.ts";
import { httpEvent, json, UA_CHROME } from "./harness.ts";

/**
 * The collector as deployed: the AWS wiring (configuration from the environment, salts in S3, events to Firehose)
 * behind the same handler, with the AWS clients mocked. Firehose must receive one JSON record per event with the
 * `events` columns, an exact 64-bit visitor id and the `dt` partition key; failed records are retried; when
 * Firehose will not take them the client is answered 503.
 */

const firehose = mockClient(FirehoseClient);
const s3 = mockClient(S3Client);
// The mocks replace the client classes' send for the whole process, which the next test file shares.
afterAll(() => {
  firehose.restore();
  s3.restore();
});

const ENV = {
  [AWS_ENV.config]: JSON.stringify({ sites: ["example.com"] }),
  [AWS_ENV.analyticsBucket]: "analytics-bucket",
  [AWS_ENV.eventsDeliveryStream]: "logsieve-events",
  [AWS_ENV.trackerScript]: new URL("../../../../functions/tracker/logsieve.js", import.meta.url).pathname,
  [AWS_ENV.collectorSettings]: JSON.stringify({ rateLimit: { perSecond: 50, burst: 100 } }),
};

const BODY = json({
  site: "example.com",
  url: "https://example.com/a?utm_source=x",
  consent: { statistics: true },
});

function decodeRecords(call: number): Record<string, unknown>[] {
  const input = firehose.commandCalls(PutRecordBatchCommand)[call]?.args[0].input;
  return (input?.Records ?? []).map(
    (r) => JSON.parse(new TextDecoder().decode(r.Data)) as Record<string, unknown>,
  );
}

describe("collector on AWS (Firehose sink, S3 salts)", () => {
  beforeEach(() => {
    firehose.reset();
    s3.reset();
    const missing = Object.assign(new Error("no such key"), {
      name: "NoSuchKey",
      $metadata: { httpStatusCode: 404 },
    });
    s3.on(GetObjectCommand).rejects(missing);
    s3.on(PutObjectCommand).resolves({});
    // Powertools writes logs and metrics to stdout; keep the test output readable.
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    vi.spyOn(console, "info").mockImplementation(() => undefined);
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it("delivers each event to Firehose before answering, as one JSON record with the events columns", async () => {
    // Prepare
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: "1" }] });
    const handle = lambdaHandler(await composeAwsCollectApp(ENV));
    // Act
    const result = await handle(
      httpEvent({ path: "/collect", body: BODY, headers: { "user-agent": UA_CHROME } }),
    );
    // Assess
    expect(result.statusCode).toBe(202);
    const calls = firehose.commandCalls(PutRecordBatchCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.DeliveryStreamName).toBe("logsieve-events");
    const [record] = decodeRecords(0);
    expect(record).toMatchObject({
      site: "example.com",
      source: "collector",
      event_name: "pageview",
      path: "/a",
      query: "utm_source=x",
      consent_tier: "statistics",
      ip_prefix: "203.0.113.0/24",
    });
    expect(typeof record?.ts).toBe("number");
    expect(record?.dt).toBe(new Date(record?.ts as number).toISOString().slice(0, 10));
    // The day's salt was created in the analytics bucket.
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({ Bucket: "analytics-bucket" });
  });

  it("serves logsieve.js from the package path", async () => {
    // Prepare
    const handle = lambdaHandler(await composeAwsCollectApp(ENV));
    // Act
    const result = await handle(httpEvent({ method: "GET", path: "/logsieve.js" }));
    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.body).toContain("logsieve.js — the first-party tracker");
  });

  it("retries only the records Firehose refused", async () => {
    // Prepare: the first call refuses the record, the second takes it.
    firehose
      .on(PutRecordBatchCommand)
      .resolvesOnce({ FailedPutCount: 1, RequestResponses: [{ ErrorCode: "ServiceUnavailableException" }] })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: "1" }] });
    const handle = lambdaHandler(await composeAwsCollectApp(ENV));
    // Act
    const result = await handle(httpEvent({ path: "/collect", body: BODY }));
    // Assess
    expect(result.statusCode).toBe(202);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(2);
    expect(decodeRecords(1)).toEqual(decodeRecords(0));
  });

  it("answers 503 when Firehose does not take the events after its retries", async () => {
    // Prepare
    firehose
      .on(PutRecordBatchCommand)
      .rejects(Object.assign(new Error("throttled"), { name: "ServiceUnavailableException" }));
    const handle = lambdaHandler(await composeAwsCollectApp(ENV));
    // Act
    const result = await handle(httpEvent({ path: "/collect", body: BODY }));
    // Assess
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body ?? "")).toEqual({ error: "unavailable", reason: "sink_unavailable" });
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(4);
  });

  it("answers an API Gateway v2 event through the real entry point, wired from the process environment", async () => {
    // Prepare: what the CDK app sets on the function.
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: "1" }] });
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
    const handler = v2Handler((await import("../../../../functions/apps/collect/handler.ts")).handler);
    // Act
    const accepted = await handler(
      httpEvent({ path: "/collect", body: BODY, headers: { "user-agent": UA_CHROME } }),
    );
    const pixel = await handler(
      httpEvent({
        method: "GET",
        path: "/p.gif",
        query: "site=example.com&url=https%3A%2F%2Fexample.com%2F",
      }),
    );
    // Assess
    expect(accepted.statusCode).toBe(202);
    expect(pixel).toMatchObject({ statusCode: 200, isBase64Encoded: true });
    expect(
      Buffer.from(pixel.body ?? "", "base64")
        .subarray(0, 6)
        .toString("latin1"),
    ).toBe("GIF89a");
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(2);
  });

  it("refuses to start without the delivery stream's name, naming the variable", async () => {
    // Act / Assess
    await expect(composeAwsCollectApp({ ...ENV, [AWS_ENV.eventsDeliveryStream]: "" })).rejects.toThrow(
      AWS_ENV.eventsDeliveryStream,
    );
  });
});

describe("Firehose event records", () => {
  const row: EventRow = {
    ts: Date.UTC(2026, 10, 20, 23, 59, 59),
    site: "example.com",
    source: "collector",
    event_name: 'say "hi"\n',
    method: null,
    path: "/",
    query: null,
    status: null,
    bytes: 0,
    is_asset: false,
    referrer_host: null,
    utm_source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_term: null,
    utm_content: null,
    click_id: null,
    country: null,
    browser: null,
    browser_major: null,
    os: null,
    device: "desktop",
    is_bot: false,
    bot_name: null,
    visitor_id: -9_007_199_254_740_993n,
    ip_prefix: null,
    consent_tier: "anonymous",
    consent_reason: "no_consent_anonymous",
    ...NO_EVENT_PROPS,
  };

  it("writes the visitor id as an exact 64-bit integer, escapes text, and carries the UTC day as dt", () => {
    // Act
    const text = eventRecord(row);
    // Assess
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toContain('"visitor_id":-9007199254740993,');
    expect(text).toContain('"event_name":"say \\"hi\\"\\n"');
    expect(text).toContain('"dt":"2026-11-20"');
    expect(text.split("\n")).toHaveLength(2);
  });

  it("splits a large write into calls within Firehose's 500-record limit", async () => {
    // Prepare
    const calls: number[] = [];
    const client = {
      send: async (command: PutRecordBatchCommand) => {
        calls.push(command.input.Records?.length ?? 0);
        return { FailedPutCount: 0, RequestResponses: [] };
      },
    } as unknown as FirehoseClient;
    const sink = new FirehoseEventSink({ client, deliveryStreamName: "s" });
    // Act
    await sink.write(Array.from({ length: 1201 }, () => row));
    // Assess
    expect(calls).toEqual([500, 500, 201]);
    expect(sink.stats()).toMatchObject({ received: 1201, written: 1201, batches: 3, pending: 0 });
  });

  it("fails with the service's error code only", async () => {
    // Prepare
    const client = {
      send: async () => {
        throw Object.assign(new Error("details 198.51.100.1"), { name: "ResourceNotFoundException" });
      },
    } as unknown as FirehoseClient;
    const sink = new FirehoseEventSink({
      client,
      deliveryStreamName: "s",
      maxAttempts: 2,
      sleep: async () => undefined,
    });
    // Act
    const failure = sink.write([row]).catch((error: unknown) => error);
    // Assess
    const error = await failure;
    expect(error).toBeInstanceOf(EventSinkUnavailableError);
    expect((error as Error).message).toBe(
      "event sink: Firehose did not take 1 events after 2 attempts (ResourceNotFoundException)",
    );
  });
});
