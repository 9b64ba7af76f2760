import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalObjectStore } from "../../functions/adapters/local/object-store.ts";
import { openLocal } from "../../functions/apps/ingest/local.ts";
import { LOG_FORMATS, type LogFormat } from "../../functions/core/types.ts";
import { FixedClock } from "../../functions/ports/clock.ts";
import { AWS_ENV } from "../../functions/runtime/env.ts";
import {
  formatHeader,
  formatLine,
  hasReferrer,
  hasUserAgent,
  isJsonFormat,
} from "../helpers/format-lines.ts";
import { FakeS3 } from "../helpers/s3-fake.ts";

/**
 * Hostile lines in every format, through the local path (openLocal().ingestFile: line splitting, parser, Parquet,
 * the local store) and through `logsieve ingest --json`: lines of 100 KiB and more (and one over the 1 MiB limit),
 * NUL bytes, invalid UTF-8, ANSI escapes, a CR inside a field, an LF inside a field (which ends the line there),
 * CRLF endings, a byte order mark, blank and whitespace lines, and for JSON lines deep nesting, `__proto__` and
 * escaped CR/LF. Each line is marked with what must become of it; the file must complete, every line must be
 * accounted for (accepted + rejected + skipped = lines), the rejects zone must hold exactly the rejected line
 * numbers, and a canary address written into paths, user agents and referrers must appear in security/ only.
 * The last line has no terminator: a plain file may still be growing, so it is held back (reported, not read).
 * Then the same through the ingest Lambda handler, with an object key full of CR, LF, quotes and escapes: every line
 * the handler logs (Powertools, captured from stdout) is one JSON object and names no address.
 */

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const CANARY = "198.51.100.77";
const CLIENT = "203.0.113.5";
/** Stands for invalid UTF-8 in the strings below; replaced by raw bytes when the file is written. */
const INVALID_UTF8 = "\uE000";
const INVALID_BYTES = [0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xc0, 0xaf];
const ANSI = "\u001b[31mred\u001b[0m\u001b]0;title\u0007\u001b[2J";

/** `held`: a plain file's last line without terminator may still be being written; it waits for a later run. */
type Outcome = "accepted" | "rejected" | "skipped" | "held";

interface Fields {
  readonly path?: string;
  readonly ua?: string;
  readonly ref?: string;
}

/** One line of the format (test/helpers/format-lines.ts); for JSON lines every value is JSON-escaped. */
const line = (format: LogFormat, fields: Fields = {}): string =>
  formatLine(format, { ...fields, client: CLIENT });

const HAS_UA = hasUserAgent;
const HAS_REF = hasReferrer;

/** The hostile file of a format: its lines (without terminators) with their expected outcomes, and the bytes. */
function hostileFile(format: LogFormat): { lines: { text: string; outcome: Outcome }[]; bytes: Uint8Array } {
  const lines: { text: string; outcome: Outcome; ending?: string }[] = [];
  const add = (text: string, outcome: Outcome, ending = "\n") => lines.push({ text, outcome, ending });
  for (const directive of formatHeader(format).split("\n"))
    if (directive.length > 0) add(directive, "skipped");
  for (let i = 0; i < 5; i++) add(line(format, { path: `/page/${i}` }), "accepted");
  // Long lines: 100 KiB and 150 KiB fields are records; a line over ingest.maxLineBytes (1 MiB) is not.
  add(line(format, { path: `/long/${"p".repeat(150 * 1024)}` }), "accepted");
  if (HAS_UA(format)) add(line(format, { ua: `Mozilla/5.0 ${"u".repeat(100 * 1024)}` }), "accepted");
  add(line(format, { path: `/too-long/${"x".repeat(2 * 1024 * 1024)}` }), "rejected");
  // Control characters and broken encodings inside fields.
  add(line(format, { path: "/nul/\u0000/here" }), "accepted");
  add(line(format, { path: `/bad-utf8/${INVALID_UTF8}/x` }), "accepted");
  add(line(format, { path: `/ansi/${ANSI}` }), "accepted");
  if (HAS_UA(format)) {
    add(line(format, { ua: `Mozilla/5.0 ${ANSI} \u0000 ${INVALID_UTF8}` }), "accepted");
    // A CR inside a field is content (only a CR right before the LF belongs to the terminator); in JSON it is
    // escaped, so every format keeps the line.
    add(line(format, { ua: "Mozilla/5.0\rInjected: header" }), "accepted");
  }
  // The canary address where only the security zone may keep it.
  add(line(format, { path: `/u/${CANARY}/profile?ip=${CANARY}&utm_source=${CANARY}` }), "accepted");
  if (HAS_UA(format)) add(line(format, { ua: `Mozilla/5.0 (from ${CANARY})` }), "accepted");
  if (HAS_REF(format)) add(line(format, { ref: `http://${CANARY}/login` }), "accepted");
  // CRLF ending, blank and whitespace-only lines.
  add(line(format, { path: "/crlf" }), "accepted", "\r\n");
  add("", "skipped");
  add("   \t  ", "skipped");
  if (isJsonFormat(format)) {
    // JSON-escaped CR/LF stays inside the field; a truncated object cannot be a record.
    add(line(format, { ua: "Mozilla/5.0\r\nX-Injected: 1" }), "accepted");
    add(`{"truncated": "${"t".repeat(1000)}`, "rejected");
  }
  if (format === "jsonl") {
    add(
      `{"ts":"2026-11-20T10:00:00Z","remote_addr":"${CLIENT}","request_uri":"/","x":${"[".repeat(70_000)}${"]".repeat(70_000)}}`,
      "rejected",
    );
    add(
      `{"ts":"2026-11-20T10:00:00Z","__proto__":{"remote_addr":"${CLIENT}"},"request_uri":"/"}`,
      "rejected",
    );
    add(
      `{"ts":"2026-11-20T10:00:00Z","remote_addr":"${CLIENT}","request_uri":"/","status":1e400}`,
      "rejected",
    );
    add(
      `{"ts":"2026-11-20T10:00:00Z","remote_addr":"${CLIENT}","request_uri":"/\\ud800\\udfff\\ud800"}`,
      "accepted",
    );
  } else if (!isJsonFormat(format)) {
    // An LF inside a field ends the line there: both halves are broken lines. HAProxy's request is its last field
    // and HAProxy itself cuts long ones off without a closing quote, so its first half is a (shorter) request.
    const [head, tail] = line(format, { path: "/split\nhere" }).split("\n");
    add(head ?? "", format === "haproxy" ? "accepted" : "rejected");
    add(tail ?? "", "rejected");
  }
  add(line(format, { path: "/last-line-without-terminator" }), "held", "");

  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [new Uint8Array([0xef, 0xbb, 0xbf])]; // a byte order mark first
  for (const { text, ending } of lines) {
    const segments = `${text}${ending}`.split(INVALID_UTF8);
    segments.forEach((segment, i) => {
      if (i > 0) parts.push(new Uint8Array(INVALID_BYTES));
      parts.push(encoder.encode(segment));
    });
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return { lines, bytes };
}

async function rowsOf(store: LocalObjectStore, zone: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const info of store.list(`${zone}/`)) {
    if (!info.key.endsWith(".parquet")) continue;
    const body = await store.get(info.key);
    if (body === null) continue;
    const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    rows.push(...((await parquetReadObjects({ file })) as Record<string, unknown>[]));
  }
  return rows;
}

const text = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-hostile-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("hostile lines through the local ingest", () => {
  it.each(LOG_FORMATS.map((f) => [f]))(
    "%s: completes and accounts for every line; the canary reaches security/ only",
    async (format) => {
      // Prepare
      const { lines, bytes } = hostileFile(format);
      const path = join(dir, `hostile-${format}.log`);
      await writeFile(path, bytes);
      const logsieve = await openLocal({
        lakeDir: join(dir, `lake-${format}`),
        config: { sites: ["example.com"] },
        clock: new FixedClock(NOW),
      });
      const expected = (o: Outcome) => lines.filter((l) => l.outcome === o).length;
      const rejectedLineNos = lines.flatMap((l, i) => (l.outcome === "rejected" ? [i + 1] : []));

      // Act
      const summary = await logsieve.ingestFile(path, { format });
      const security = await rowsOf(logsieve.store, "security");
      const rejects = await rowsOf(logsieve.store, "rejects");
      const events = await rowsOf(logsieve.store, "events");

      // Assess: every line accounted for, each as expected.
      const skipped = summary.skipped.blank + summary.skipped.directive;
      expect(summary.accepted + summary.rejected.total + skipped + expected("held")).toBe(lines.length);
      const last = lines[lines.length - 1]?.text ?? "";
      expect(summary.resume.heldBytes).toBe(new TextEncoder().encode(last).length);
      expect(summary.accepted).toBe(expected("accepted"));
      expect(summary.rejected.total).toBe(expected("rejected"));
      expect(skipped).toBe(expected("skipped"));
      expect(summary.rejected.byReason.line_too_long).toBe(1);
      expect(security).toHaveLength(summary.accepted);
      expect(rejects.map((r) => Number(r.line_no)).sort((a, b) => a - b)).toEqual(rejectedLineNos);
      expect(events).toHaveLength(summary.events);
      // The canary: kept in the full record, gone from every event.
      expect(text(security)).toContain(CANARY);
      expect(text(events)).not.toContain(CANARY);
      expect(text(events)).not.toContain(CLIENT);
    },
    60_000,
  );
});

describe("hostile lines through `logsieve ingest --json`", () => {
  it("prints one JSON line on stdout, the same accounting, and no address on either stream", async () => {
    // Prepare
    const { lines, bytes } = hostileFile("combined");
    const path = join(dir, "cli-hostile.log");
    await writeFile(path, bytes);

    // Act
    const run = spawnSync(
      process.execPath,
      ["bin/logsieve.js", "--lake", join(dir, "cli-lake"), "ingest", "--json", path],
      { cwd: new URL("../../", import.meta.url), encoding: "utf8", timeout: 60_000 },
    );

    // Assess
    expect(run.status).toBe(0);
    const out = run.stdout.split("\n").filter((l) => l.length > 0);
    expect(out).toHaveLength(1);
    const report = JSON.parse(out[0] ?? "") as {
      totals: { accepted: number; rejected: number; lines: number; heldBytes: number };
      files: { skipped: { blank: number; directive: number } }[];
    };
    const skipped = (report.files[0]?.skipped.blank ?? 0) + (report.files[0]?.skipped.directive ?? 0);
    const held = lines.filter((l) => l.outcome === "held").length;
    expect(held).toBe(1);
    expect(report.totals.accepted + report.totals.rejected + skipped + held).toBe(lines.length);
    expect(report.totals.heldBytes).toBeGreaterThan(0);
    for (const stream of [run.stdout, run.stderr]) {
      expect(stream).not.toContain(CANARY);
      expect(stream).not.toContain(CLIENT);
      expect(stream).not.toContain("\u001b]0;");
    }
  }, 90_000);
});

describe("hostile lines and a hostile object key through the ingest handler", () => {
  it("logs one JSON object per line, whatever the key and the lines hold, and no address", async () => {
    // Prepare
    const s3 = mockClient(S3Client);
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({});
    const fake = new FakeS3();
    fake.install(s3);
    process.env[AWS_ENV.rawBucket] = "raw";
    process.env[AWS_ENV.analyticsBucket] = "analytics";
    process.env[AWS_ENV.config] = JSON.stringify({ sites: ["example.com"] });
    const { handler } = (await import("../../functions/apps/ingest/handler.ts")) as unknown as {
      handler: (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: unknown[] }>;
    };
    const keys = [
      'incoming/site=example.com/evil\r\n{"level":"ERROR","message":"forged"}\u001b[31m.log',
      `incoming/site=example.com/${ANSI}\u0000"quote"\n.log`,
    ];
    const records = LOG_FORMATS.filter((f) => f !== "cloudfront")
      .slice(0, keys.length)
      .map((format, i) => {
        const key = keys[i] ?? "";
        const { versionId } = fake.putObject("raw", key, hostileFile(format).bytes);
        return {
          messageId: `m${i}`,
          receiptHandle: `rh${i}`,
          body: JSON.stringify({
            Records: [
              {
                eventName: "ObjectCreated:Put",
                s3: { bucket: { name: "raw" }, object: { key: encodeURIComponent(key), versionId } },
              },
            ],
          }),
          attributes: {} as SQSEvent["Records"][number]["attributes"],
          messageAttributes: {},
          md5OfBody: "",
          eventSource: "aws:sqs",
          eventSourceARN: "arn:aws:sqs:eu-central-1:123456789012:ingest",
          awsRegion: "eu-central-1",
        };
      });
    let captured = "";
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      captured += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      return true;
    }) as typeof process.stdout.write;

    // Act
    let response: { batchItemFailures: unknown[] };
    try {
      response = await handler({ Records: records }, {} as Context);
    } finally {
      process.stdout.write = write;
      s3.restore();
      sqs.restore();
    }

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const logLines = captured.split("\n").filter((l) => l.length > 0);
    expect(logLines).toHaveLength(records.length);
    for (const logLine of logLines) {
      const entry = JSON.parse(logLine) as { message: string; key: string };
      expect(entry.message).toBe("ingested");
      expect(keys).toContain(entry.key);
      expect(logLine).not.toContain(CANARY);
      expect(logLine).not.toContain(CLIENT);
    }
  }, 60_000);
});
