import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formsFoundIn,
  formsMissingFrom,
  missedWhenPlanted,
  othersInFailedAnswers,
  rowsOf,
  withData,
} from "../fixtures/redteam/checks.ts";
import { FORMS, type Form } from "../fixtures/redteam/corpus.ts";
import {
  type DoorFormat,
  datumOf,
  failingRequests,
  RT_DAY,
  redteamQueries,
  statsBody,
} from "../fixtures/redteam/doors.ts";
import {
  ALLOWED_PARAM,
  CLOUDFRONT_HEADER,
  type CollectorRequest,
  carries,
  collectorRequest,
  GOALS,
  KEPT_PROPS,
  LOG_FORMATS,
  logLine,
  matomoNumericSite,
  PEOPLE,
  PROP_EVENT,
  PROTOCOLS,
  type RedteamLogFormat,
  SITE,
  SITE_ALIAS,
  UMAMI_WEBSITE,
  unreadableLine,
} from "../fixtures/redteam/inputs.ts";
import { controlCharacters, findForms, parquetRows, rowsText } from "../fixtures/redteam/scan.ts";
import { type Deployment, deployOnStandins } from "../standins/deployment/index.ts";
import type { Standins } from "../standins/index.ts";

/**
 * The red-team corpus (test/fixtures/redteam/) through the DEPLOYED product: the Lambda bundles `cdk synth` writes
 * for this checkout (synthesized afresh whenever a file synth reads changes), run on the local AWS stand-ins. The
 * local red team (privacy-redteam.test.ts) attacks `logsieve ingest`, `logsieve serve` and `logsieve query`; this
 * one attacks what runs on AWS, with the same configuration given to the stack as CDK context (`logsieve:config`).
 *
 * - Log path: every form from the eight people in all five log formats, shipped as an operator ships them
 *   (`incoming/site=…/` as `logsieve ship --site` names it, `incoming/<host>/` without a site, CloudFront's
 *   `incoming/cloudfront/`, ALB's gzipped objects into the landing bucket, moved by the land function), then the
 *   event source mappings pumped: land → ingest → aggregate.
 * - Collector path: every form from the eight people through the API Gateway route of each tracker protocol
 *   (/collect, Plausible, Matomo also with a numeric idsite, Umami), as the tracker calls it behind a trusted proxy
 *   (X-Forwarded-For), then Firehose's buffer delivered into events/ and the aggregation catch-up.
 * - Doors marketing reads: every object of stats/ (what Athena's stats tables read) and events/ as Parquet rows; the
 *   Stats API (POST /api/v2/query with a key of `logsieve keys create --bucket`) with every query of doors.ts; the
 *   dashboard's marketing routes signed in through Cognito (/me, every marketing query as JSON and CSV, the live
 *   panel, the filtered panels of POST /api/dashboard/stats and .csv); requests that fail, carrying a form; and
 *   also every other object of every bucket outside the raw bucket's security zone (Athena's results among them),
 *   every function's log lines and the collector's answers.
 *
 * The template's IAM is enforced on every request of a function or of a signed-in person's role. Positive
 * controls: every form is found in what was sent, every log form in security/ of the raw bucket, every unreadable
 * line in rejects/, every form planted in each door's answer (as doors.ts plants it) and in a row of stats/ and of
 * events/. With the path scrubber made to return its input, the scans of events/, stats/, the other objects and
 * every door with rows fail.
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const run = promisify(execFile);

/** The local red team's configuration, given to the stack whole (infra/constructs/settings.ts reads it). */
const CONFIG = {
  sites: [SITE],
  siteSettings: {
    [SITE]: {
      aliases: [SITE_ALIAS],
      umamiWebsiteIds: [UMAMI_WEBSITE],
      eventProperties: [...KEPT_PROPS],
      goals: GOALS.map((g) => ({ ...g })),
    },
  },
  scrub: { allowedQueryParams: [ALLOWED_PARAM] },
  consent: { logDefaultTier: "marketing" },
  // API Gateway gives the collector the connection's peer as sourceIp; through the stand-in every connection comes
  // from 127.0.0.1, so the eight people travel in X-Forwarded-For, as behind a trusted proxy in front of the API.
  trustedProxies: ["127.0.0.1"],
};

/** The red team's clock: noon of its day, so the collector's events fall on the day of the log lines. */
const NOON = Date.UTC(2026, 10, 20, 12, 0, 0);
/** Stand-in time each collector request takes at least: the collector's per-site bucket (200/s) never runs dry. */
const REQUEST_STEP_MS = 10;
const COLLECTOR_CONCURRENCY = 4;
const DOOR_CONCURRENCY = 3;

/** Where an operator's shipping puts each format (docs/DEPLOY.md, "Pointing logs at the bucket"). */
const OBJECT_OF: Record<
  RedteamLogFormat,
  { readonly bucket: "raw" | "landing"; readonly key: string; readonly gzip: boolean }
> = {
  combined: { bucket: "raw", key: "incoming/site=example.com/web1/access.log.1", gzip: false },
  "vhost-combined": { bucket: "raw", key: "incoming/web2/other_vhosts_access.log.1", gzip: false },
  jsonl: { bucket: "raw", key: "incoming/web3/access.json.log.1", gzip: false },
  cloudfront: {
    bucket: "raw",
    key: "incoming/cloudfront/E2REDTEAM0001.2026-11-20-10.a1b2c3d4.gz",
    gzip: true,
  },
  alb: {
    bucket: "landing",
    key: "AWSLogs/111111111111/elasticloadbalancing/eu-central-1/2026/11/20/111111111111_elasticloadbalancing_eu-central-1_app.my-loadbalancer.50dc6c495c0c9188_20261120T1030Z_10.0.0.1_2bw5y3xa.log.gz",
    gzip: true,
  },
};

interface Sent {
  readonly path: string;
  readonly form: Form;
  readonly text: string;
}

interface Door {
  readonly name: string;
  readonly format: DoorFormat;
  readonly answers: { readonly status: number; readonly text: string; readonly request: string }[];
}

let aws: Standins;
let stack: Deployment;
let stop: () => Promise<void>;
let dir: string;
let raw: string;
let analytics: string;
let results: string;
const sent: Sent[] = [];
const responses: {
  readonly form: Form;
  readonly protocol: string;
  readonly status: number;
  readonly text: string;
}[] = [];
const outputs: string[] = [];
/** Answers to requests that failed, with the form the request itself carried. */
const failed: {
  readonly form: Form;
  readonly status: number;
  readonly text: string;
  readonly request: string;
}[] = [];
const doors = new Map<string, Door>();
const timings: string[] = [];

const door = (name: string, format: DoorFormat): Door => {
  let found = doors.get(name);
  if (found === undefined) {
    found = { name, format, answers: [] };
    doors.set(name, found);
  }
  return found;
};

/** Runs `work` over `items`, `width` at a time, in order of start. */
async function inBatches<T>(
  items: readonly T[],
  width: number,
  work: (item: T, index: number) => Promise<void>,
) {
  for (let i = 0; i < items.length; i += width) {
    await Promise.all(items.slice(i, i + width).map((item, j) => work(item, i + j)));
  }
}

/** A Parquet file starts and ends with `PAR1` (Athena's UNLOAD and Firehose name theirs without `.parquet`). */
const isParquet = (body: Buffer) =>
  body.length >= 8 &&
  body.subarray(0, 4).toString("latin1") === "PAR1" &&
  body.subarray(-4).toString("latin1") === "PAR1";

/**
 * The rows of every Parquet object under a prefix of a bucket (the other objects there, such as the aggregation's
 * JSON state, are scanned as text with every other object).
 */
async function objectRows(bucket: string, prefix: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const key of aws.s3.keys(bucket, prefix)) {
    const body = aws.s3.get(bucket, key) as Buffer;
    if (isParquet(body)) rows.push(...(await parquetRows(body)));
  }
  return rows;
}

beforeAll(async () => {
  const started = Date.now();
  const lap = (what: string) => timings.push(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  ({ aws, stack, stop } = await deployOnStandins({
    synth: { context: { "logsieve:config": JSON.stringify(CONFIG) } },
  }));
  // Every request a function or a signed-in person's role makes is checked against the template's IAM, as on AWS.
  stack.enforceIam();
  lap("deployed");
  aws.clock.advance(NOON - aws.clock.now());
  raw = stack.nameOf("RawBucket");
  analytics = stack.nameOf("AnalyticsBucket");
  results = stack.nameOf("QueryResultsBucket");
  dir = await mkdtemp(join(tmpdir(), "logsieve-redteam-aws-"));
  const configPath = join(dir, "config.json");
  await writeFile(configPath, JSON.stringify(CONFIG));

  // Log path: one object per format, every form it can carry, each from eight people, shipped as an operator does.
  for (const format of LOG_FORMATS) {
    const lines = format === "cloudfront" ? [...CLOUDFRONT_HEADER] : [];
    FORMS.forEach((form, f) => {
      PEOPLE.forEach((person, p) => {
        const line = logLine(format, form, person, f * PEOPLE.length + p);
        if (line === null) return;
        lines.push(line);
        sent.push({ path: format, form, text: line });
      });
    });
    // Lines no format reads, after the readable ones (detection reads the head): rejects/ only.
    if (format === "combined") lines.push(...FORMS.map(unreadableLine));
    const target = OBJECT_OF[format];
    const body = Buffer.from(`${lines.join("\n")}\n`);
    aws.s3.put(
      target.bucket === "raw" ? raw : stack.nameOf("AlbLogBucket"),
      target.key,
      target.gzip ? gzipSync(body) : body,
    );
  }
  const logBatches = await stack.pump();
  const failedBatches = logBatches.filter((b) => !b.result.ok || b.failedMessageIds.length > 0);
  if (failedBatches.length > 0)
    throw new Error(
      `a land, ingest or aggregate batch failed: ${JSON.stringify(failedBatches[0]?.result.error)}`,
    );
  lap("logs ingested and aggregated");

  // Collector path: every protocol's API Gateway route, every form it can carry, from the same eight people.
  const api = await stack.exposeApi();
  const requests: { form: Form; protocol: string; request: CollectorRequest }[] = [];
  for (const form of FORMS) {
    for (const person of PEOPLE) {
      for (const protocol of PROTOCOLS) {
        const request = collectorRequest(protocol, form, person);
        if (request !== null) requests.push({ form, protocol, request });
      }
      const numeric = matomoNumericSite(form, person);
      if (numeric !== null) requests.push({ form, protocol: "matomo-numeric-idsite", request: numeric });
    }
  }
  await inBatches(requests, COLLECTOR_CONCURRENCY, async ({ form, protocol, request }) => {
    aws.clock.advance(REQUEST_STEP_MS);
    sent.push({
      path: protocol,
      form,
      text: `${request.path}\n${JSON.stringify(request.headers)}\n${request.body ?? ""}`,
    });
    const response = await fetch(`${api}${request.path}`, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    responses.push({
      form,
      protocol,
      status: response.status,
      text: `${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`,
    });
  });
  lap(`collector: ${requests.length} requests`);
  // The end of Firehose's buffering interval, then the catch-up a quarter of an hour later recomputes the day.
  await aws.firehose.flush(stack.nameOf("EventsStream/Stream"));
  aws.clock.advance(16 * 60_000);
  const [catchUp] = await stack.fireSchedule("AggregateCatchUp");
  if (catchUp?.ok !== true) throw new Error(`the catch-up failed: ${JSON.stringify(catchUp?.error)}`);
  const collectorBatches = await stack.pump();
  if (collectorBatches.some((b) => !b.result.ok || b.failedMessageIds.length > 0))
    throw new Error("an aggregate batch failed");
  lap("collector events delivered and aggregated");

  // Doors: the Stats API with an operator's key, and the dashboard as a signed-in marketing person.
  const created = await run(
    process.execPath,
    [
      "bin/logsieve.js",
      "--config",
      configPath,
      "keys",
      "create",
      "--site",
      SITE,
      "--name",
      "red team",
      "--json",
      "--bucket",
      analytics,
    ],
    { cwd: ROOT, env: { ...process.env, ...aws.clientEnv("AKIDOPERATOR0000") } },
  );
  outputs.push(created.stdout, created.stderr);
  const key = (JSON.parse(created.stdout) as { key: string }).key;
  aws.cognito.addUser("mia@example.com", "Temp-Passw0rd-Mia!", ["marketing"]);
  const signedIn = { authorization: `Bearer ${aws.cognito.idTokenFor("mia@example.com")}` };
  const call = async (
    method: "GET" | "POST",
    path: string,
    headers: Record<string, string>,
    body?: string,
  ) => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body }),
    });
    return {
      status: response.status,
      text: await response.text(),
      request: `${method} ${path} ${body ?? ""}`,
    };
  };

  const bodies = redteamQueries().map((q) => JSON.stringify(statsBody(q)));
  const asked = bodies.flatMap((body, i) => [
    {
      door: "POST /api/v2/query",
      format: "json" as const,
      path: "/api/v2/query",
      body,
      headers: { authorization: `Bearer ${key}` },
    },
    i % 2 === 0
      ? {
          door: "POST /api/dashboard/stats",
          format: "json" as const,
          path: "/api/dashboard/stats",
          body,
          headers: signedIn,
        }
      : {
          door: "POST /api/dashboard/stats.csv",
          format: "csv" as const,
          path: "/api/dashboard/stats.csv",
          body,
          headers: signedIn,
        },
  ]);
  await inBatches(asked, DOOR_CONCURRENCY, async (q) => {
    door(q.door, q.format).answers.push(await call("POST", q.path, q.headers, q.body));
  });
  lap(`Stats API and filtered panels: ${asked.length} requests`);

  const me = await call("GET", "/api/dashboard/me", signedIn);
  door("GET /api/dashboard/me", "json").answers.push(me);
  const queries = me.status === 200 ? (JSON.parse(me.text) as { queries: string[] }).queries : [];
  const range = `site=${SITE}&from=${RT_DAY}&to=${RT_DAY}`;
  await inBatches(queries, DOOR_CONCURRENCY, async (query) => {
    door("GET /api/dashboard/query/<name>", "json").answers.push(
      await call("GET", `/api/dashboard/query/${query}?${range}`, signedIn),
    );
    door("GET /api/dashboard/export/<name>.csv", "csv").answers.push(
      await call("GET", `/api/dashboard/export/${query}.csv?${range}`, signedIn),
    );
  });
  // The live panel: its one-minute schedule writes today's figures, the route reads them.
  const [live] = await stack.fireSchedule("Live/EveryMinute");
  if (live?.ok !== true) throw new Error(`the live function failed: ${JSON.stringify(live?.error)}`);
  door("GET /api/dashboard/live", "json").answers.push(
    await call("GET", `/api/dashboard/live?site=${SITE}`, signedIn),
  );
  lap(`dashboard: ${queries.length} queries and the live panel`);

  // Requests that fail, each carrying a form where a careless function would repeat or log it.
  await inBatches(FORMS, DOOR_CONCURRENCY, async (form, index) => {
    const request = failingRequests(form, index);
    const headers = request.route === "stats-api" ? { authorization: `Bearer ${key}` } : signedIn;
    failed.push({ form, ...(await call(request.method, request.path, headers, request.body)) });
  });
  lap(`failing requests: ${FORMS.length}`);
  console.log(`red team on AWS, set-up:\n  ${timings.join("\n  ")}`);
}, 600_000);

afterAll(async () => {
  await stop?.();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("privacy red team through the deployed bundles on the AWS stand-ins", () => {
  it("carries every form through every input path that has its slot, from eight people each", () => {
    const pairs = new Set(sent.map((s) => `${s.path.replace("-numeric-idsite", "")} ${s.form.id}`));
    const paths = new Set(sent.map((s) => s.path.replace("-numeric-idsite", "")));
    console.log(
      `red team on AWS: ${FORMS.length} forms, ${paths.size} input paths, ${pairs.size} form × path pairs, ${sent.length} requests`,
    );
    expect(paths).toEqual(new Set([...LOG_FORMATS, ...PROTOCOLS]));
    expect(pairs.size).toBeGreaterThan(1_200);
  });

  it("positive control: the scan finds every planted form in what was sent, on every input path", () => {
    for (const path of [...LOG_FORMATS, ...PROTOCOLS]) {
      const mine = sent.filter((s) => s.path === path);
      const missing = formsMissingFrom(mine.map((s) => s.text).join("\n"), new Set(mine.map((s) => s.form)));
      expect(missing, path).toEqual([]);
    }
  });

  it("positive control: security/ of the raw bucket holds every log form and every person, as the full record must", async () => {
    const security = rowsText(await objectRows(raw, "security/"));
    const logForms = new Set(
      sent.filter((s) => (LOG_FORMATS as readonly string[]).includes(s.path)).map((s) => s.form),
    );
    expect(formsMissingFrom(security, logForms)).toEqual([]);
    for (const person of PEOPLE) expect(security).toContain(person);
  });

  it("positive control: rejects/ of the raw bucket holds every unreadable line", async () => {
    expect(formsMissingFrom(rowsText(await objectRows(raw, "rejects/")), FORMS)).toEqual([]);
  });

  it("writes an event for every log line of the configured site, and stores the collector's red-team events", async () => {
    const events = await objectRows(analytics, "events/");
    const fromLogs = events.filter((e) => e.source !== "collector");
    // Host forms name another site (an unknown_site drop), except a URL written user@host in ALB's request line.
    const expected = LOG_FORMATS.reduce(
      (sum, format) =>
        sum +
        FORMS.filter(
          (f) => carries(format, f) && (f.slot !== "host" || (format === "alb" && f.id === "host-email")),
        ).length *
          PEOPLE.length,
      0,
    );
    expect(fromLogs.length).toBe(expected);
    expect(new Set(events.map((e) => e.site))).toEqual(new Set([SITE]));
    const fromCollector = events.filter((e) => e.source === "collector");
    expect(fromCollector.length).toBeGreaterThan(FORMS.length * PEOPLE.length * 2);
    for (const protocol of PROTOCOLS) {
      expect(
        responses.filter((r) => r.protocol === protocol && r.status >= 200 && r.status < 300).length,
        protocol,
      ).toBeGreaterThan(FORMS.length * PEOPLE.length * 0.7);
    }
    // Host forms refused as locally (Umami names its site by the website id only).
    for (const r of responses.filter((x) => x.form.slot === "host")) {
      const userAtSite = r.form.id === "host-email" && r.protocol === "matomo-numeric-idsite";
      const expectedStatus = r.protocol === "umami" ? [200] : userAtSite ? [204] : [400, 403];
      expect(expectedStatus, `${r.form.id} ${r.protocol}`).toContain(r.status);
    }
    // The property path kept values (masked) under the kept names.
    const props = fromCollector.filter((e) => e.prop_key_1 !== null && e.prop_key_1 !== undefined);
    expect(props.length).toBeGreaterThan(FORMS.filter((f) => f.slot === "prop").length * PEOPLE.length * 3);
  });

  it("recomputed stats/ from both paths: the collector's custom event and goal are in the rollups, beside the log pages", async () => {
    const stats = rowsText(await objectRows(analytics, "stats/"));
    // Only the collector sends events by name; the log lines reach the same pages.
    expect(stats).toContain(PROP_EVENT);
    expect(stats).toContain(GOALS[1].name);
    expect(stats).toContain("/rt/page");
  });

  it("opened every door: each answered 200, with the red team's (scrubbed) rows in it", () => {
    const refused = [...doors.values()].flatMap((d) =>
      d.answers.filter((a) => a.status !== 200).map((a) => `${d.name} ${a.status} ${a.request} ${a.text}`),
    );
    expect(refused).toEqual([]);
    console.log(
      `red team on AWS, doors:\n  ${[...doors.values()].map((d) => `${d.name}: ${d.answers.length} answers`).join("\n  ")}`,
    );
    // /me holds no rows; the live panel only today's k-applied figures.
    for (const name of DOOR_NAMES.filter((d) => !/\/(me|live)$/.test(d))) {
      const found = doors.get(name);
      const data = (found?.answers ?? []).map((a) => rowsOf(found?.format ?? "json", a.text)).join("\n");
      expect(data, name).toContain("/rt/");
      expect(data, name).toMatch(/\[(email|ip|phone|number|token)\]/);
    }
  });

  it("answers a failing request with nothing but what it sent (the functions' logs are scanned below)", () => {
    expect(failed.length).toBe(FORMS.length);
    expect(failed.filter((f) => f.status < 400).map((f) => `${f.status} ${f.request}`)).toEqual([]);
    expect(othersInFailedAnswers(failed)).toEqual([]);
  });

  /** Everything outside the security zone, scanned for every form. */
  const SCANNED: readonly { readonly name: string; readonly text: () => Promise<string> }[] = [
    {
      name: "events/ (analytics bucket)",
      text: async () => rowsText(await objectRows(analytics, "events/")),
    },
    { name: "stats/ (analytics bucket)", text: async () => rowsText(await objectRows(analytics, "stats/")) },
    {
      name: "every other object outside the raw bucket's security zone",
      text: async () => otherObjectsText(),
    },
    { name: "the collector's answers", text: async () => responses.map((r) => r.text).join("\n") },
    {
      name: "every function's log lines",
      text: async () => [...stack.functions.values()].map((f) => stack.logs(f)).join("\n"),
    },
    { name: "the operator's command output", text: async () => outputs.join("\n") },
    ...DOOR_NAMES.map((name) => ({
      name,
      text: async () => (doors.get(name)?.answers ?? []).map((a) => a.text).join("\n"),
    })),
  ];

  it("scans the other objects: Athena's results of the Stats API and dashboard reads, the raw bucket's checkpoints/", async () => {
    const objects = await otherObjects();
    const prefixes = new Map<string, number>();
    for (const o of objects) {
      const [bucket, first] = o.where.split("/") as [string, string];
      const named =
        bucket === raw ? "raw" : bucket === analytics ? "analytics" : bucket === results ? "results" : bucket;
      prefixes.set(`${named}/${first}/`, (prefixes.get(`${named}/${first}/`) ?? 0) + 1);
    }
    console.log(
      `red team on AWS, other objects scanned: ${[...prefixes].map(([p, n]) => `${p} ${n}`).join(", ")}`,
    );
    expect(prefixes.get("results/marketing/") ?? 0).toBeGreaterThan(0);
    expect(prefixes.get("results/pipeline/") ?? 0).toBeGreaterThan(0);
    expect(prefixes.get("raw/checkpoints/") ?? 0).toBeGreaterThan(0);
  });

  it.each(SCANNED.map((s) => [s.name, s] as const))("finds no form in %s", async (_name, scanned) => {
    const text = await scanned.text();
    expect(text.length).toBeGreaterThan(100);
    expect(formsFoundIn(text)).toEqual([]);
    for (const person of PEOPLE) expect(text).not.toContain(person);
  });

  it.each(DOOR_NAMES.map((name) => [name] as const))(
    "positive control: every form planted in what %s returns is found",
    (name) => {
      const found = doors.get(name);
      const sample = (found?.answers ?? []).map((a) => a.text).find((t) => t.length > 20) as string;
      expect(sample, name).toBeDefined();
      expect(formsFoundIn(sample)).toEqual([]);
      expect(missedWhenPlanted(found?.format ?? "text", sample)).toEqual([]);
    },
  );

  it("positive control: every form planted in a row of stats/ or events/ is found", async () => {
    for (const prefix of ["stats/", "events/"]) {
      const rows = await objectRows(analytics, prefix);
      const text = rowsText(rows);
      expect(formsFoundIn(text), prefix).toEqual([]);
      const row = rows.find((r) =>
        Object.entries(r).some(([c, v]) => c !== "visitor_id" && typeof v === "string"),
      ) as Record<string, unknown>;
      const column = Object.keys(row).find((c) => c !== "visitor_id" && typeof row[c] === "string") as string;
      const missed = withData(FORMS).filter(
        (form) => !findForms(rowsText([{ ...row, [column]: datumOf(form) }]), [form]).has(form.id),
      );
      expect(
        missed.map((f) => f.id),
        prefix,
      ).toEqual([]);
    }
  });

  it("finds no control or invisible character in any anonymous value", async () => {
    const rows = [...(await objectRows(analytics, "events/")), ...(await objectRows(analytics, "stats/"))];
    expect(rows.length).toBeGreaterThan(1000);
    expect(controlCharacters(rows)).toEqual([]);
  });
});

const DOOR_NAMES = [
  "POST /api/v2/query",
  "POST /api/dashboard/stats",
  "POST /api/dashboard/stats.csv",
  "GET /api/dashboard/me",
  "GET /api/dashboard/query/<name>",
  "GET /api/dashboard/export/<name>.csv",
  "GET /api/dashboard/live",
];

/**
 * Every object of every bucket but the raw bucket's security zone (incoming/, security/, rejects/), salts/ (random
 * secrets) and the Parquet of events/ and stats/ (scanned on their own): Parquet as rows, anything else as text.
 */
async function otherObjects(): Promise<{ readonly where: string; readonly text: string }[]> {
  const found: { where: string; text: string }[] = [];
  for (const bucket of aws.s3.bucketNames()) {
    for (const key of aws.s3.keys(bucket)) {
      if (bucket === raw && /^(incoming|security|rejects)\//.test(key)) continue;
      if (bucket === analytics && /^salts\//.test(key)) continue;
      const body = aws.s3.get(bucket, key) as Buffer;
      if (bucket === analytics && /^(events|stats)\//.test(key) && isParquet(body)) continue;
      const text = isParquet(body) ? rowsText(await parquetRows(body)) : body.toString("utf8");
      found.push({ where: `${bucket}/${key}`, text: `${key}\n${text}` });
    }
  }
  return found;
}

async function otherObjectsText(): Promise<string> {
  return (await otherObjects()).map((o) => o.text).join("\n");
}
