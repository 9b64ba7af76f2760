import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServe, startServe } from "../../functions/apps/http/server.ts";
import { queriesFor } from "../../functions/core/dashboard/queries.ts";
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
  PROTOCOLS,
  protocolCarries,
  type RedteamLogFormat,
  SITE,
  SITE_ALIAS,
  UMAMI_WEBSITE,
  unreadableLine,
} from "../fixtures/redteam/inputs.ts";
import { controlCharacters, rowsText, zoneRows } from "../fixtures/redteam/scan.ts";

/**
 * The red-team corpus (issue 16 item 7) end to end: every form of test/fixtures/redteam/corpus.ts — e-mail
 * addresses, IP addresses, phone numbers, ids, session tokens, control characters, in every notation an attacker
 * uses — through every input path that can carry it: five log formats through the real `logsieve ingest`, and four
 * tracker protocols through the real collector (`startServe`). Each PII-bearing request is sent by eight people in
 * eight /24s, so a row holding it would describe eight visitors: k cannot be what hides it, only scrubbing can.
 *
 * Scanned (SCANNED below), for each lake: events/, the rollups aggregation writes to stats/ (every table found
 * there), every door marketing reads through (doors.ts: each marketing route of the dashboard API as JSON and as CSV,
 * the filtered panels of POST /api/dashboard/stats and their CSV, the Stats API v2 with a key of `logsieve keys
 * create`, `logsieve query` of every non-security query), everything the commands printed (also a refused command
 * and the rejects summary), the collector's and the server's log lines, the answers to requests that failed. Positive
 * controls: the scan finds every planted form in what was sent, every log form in security/ and every unreadable
 * line's in rejects/, and every form planted in what each door returns, written as that door writes.
 */

const run = promisify(execFile);
const BIN = join(process.cwd(), "bin", "logsieve.js");

interface Sent {
  readonly path: string; // input path: a log format or a protocol
  readonly form: Form;
  readonly text: string;
}

/** What one door returned: every answer, as text, and how the door writes (for its positive control). */
interface Door {
  readonly name: string;
  readonly format: DoorFormat;
  readonly answers: { readonly status: number; readonly text: string; readonly request?: string }[];
}

/** A server's logger that keeps every line (JSON) for the scan. */
type RecordingLogger = Record<
  "info" | "warn" | "error",
  (message: string, attributes?: Record<string, unknown>) => void
>;

/** An answer to a request that failed, with the form the request itself carried. */
interface FailedAnswer {
  readonly form: Form;
  readonly request: string;
  readonly status: number;
  readonly text: string;
}

describe("privacy red team: personal data in every form, through every input path", () => {
  let dir: string;
  let lake: string;
  let collectorLake: string;
  const sent: Sent[] = [];
  /** For each log line written: the form it carries (by its second, which becomes the event's ts). */
  const formBySecond = new Map<number, Form>();
  const outputs: string[] = [];
  const collectorLogs: string[] = [];
  /** Log lines of the servers that answered the doors (dashboard and Stats API). */
  const serverLogs: string[] = [];
  const responses: {
    readonly form: Form;
    readonly protocol: string;
    readonly status: number;
    readonly text: string;
  }[] = [];
  const doors = new Map<string, Door>();
  let statusPage = "";
  const failed: FailedAnswer[] = [];
  /** The marketing queries each dashboard offered (GET /api/dashboard/me), by lake. */
  const offered = new Map<string, string[]>();
  let ingestJson: {
    files: {
      name: string;
      dropped: { byReason: Record<string, number> };
      rejected: { total: number; byReason: Record<string, number> };
    }[];
  };

  const door = (name: string, format: DoorFormat): Door => {
    let found = doors.get(name);
    if (found === undefined) {
      found = { name, format, answers: [] };
      doors.set(name, found);
    }
    return found;
  };

  beforeAll(async () => {
    // Prepare: one log file per format, every form it can carry, each from eight people.
    dir = await mkdtemp(join(tmpdir(), "logsieve-redteam-"));
    lake = join(dir, "lake");
    collectorLake = join(dir, "collector-lake");
    const config = {
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
      // The most permissive tier, so the click-id path is attacked in every log format.
      consent: { logDefaultTier: "marketing" },
      trustedProxies: ["127.0.0.1"],
    };
    const configPath = join(dir, "config.json");
    await writeFile(configPath, JSON.stringify(config));
    const files: string[] = [];
    for (const format of LOG_FORMATS) {
      const lines = format === "cloudfront" ? [...CLOUDFRONT_HEADER] : [];
      FORMS.forEach((form, f) => {
        PEOPLE.forEach((person, p) => {
          const second = f * PEOPLE.length + p;
          const line = logLine(format, form, person, second);
          if (line === null) return;
          lines.push(line);
          sent.push({ path: format, form, text: line });
          formBySecond.set(second, form);
        });
      });
      // Lines no format reads, each with a form at its head, after the readable ones (detection reads the head).
      if (format === "combined") lines.push(...FORMS.map(unreadableLine));
      const file = join(dir, `${format}.log`);
      await writeFile(file, `${lines.join("\n")}\n`);
      files.push(file);
    }

    // Act: the real commands, as an operator runs them; then a refused one, whose error is scanned too.
    const cliOn =
      (lakeDir: string) =>
      (...args: string[]) =>
        run("node", [BIN, "--lake", lakeDir, "--config", configPath, ...args], {
          maxBuffer: 64 * 1024 * 1024,
        });
    const cli = cliOn(lake);
    const json = await cli("ingest", "--json", ...files);
    ingestJson = JSON.parse(json.stdout);
    // Again, as a person would: every file is recognized as already ingested (its output is scanned too).
    const text = await cli("ingest", ...files);
    const refused = await cli("ingest", "--site", "203.0.113.250", files[0] as string).catch(
      (e: { stdout: string; stderr: string; code: number }) => e,
    );
    expect((refused as { code?: number }).code).toBe(2);
    const aggregated = await cli("aggregate", "--all");
    outputs.push(
      ...[text, json, refused, aggregated].flatMap((r) => [
        (r as { stdout: string }).stdout,
        (r as { stderr: string }).stderr,
      ]),
    );

    // Act: the collector, every protocol, every form it can carry, from the same eight people.
    const record =
      (into: string[], level: string) =>
      (message: string, attributes: Record<string, unknown> = {}): void => {
        into.push(JSON.stringify({ level, message, ...attributes }));
      };
    const loggerInto = (into: string[]): RecordingLogger => ({
      info: record(into, "INFO"),
      warn: record(into, "WARN"),
      error: record(into, "ERROR"),
    });
    const serve: RunningServe = await startServe({
      host: "127.0.0.1",
      port: 0,
      lakeDir: collectorLake,
      config,
      settings: { rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } },
      sink: { maxBatchAgeMs: 50 },
      logger: loggerInto(collectorLogs),
    });
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
    for (let i = 0; i < requests.length; i += 32) {
      await Promise.all(
        requests.slice(i, i + 32).map(async ({ form, protocol, request }) => {
          sent.push({
            path: protocol,
            form,
            text: `${request.path}\n${JSON.stringify(request.headers)}\n${request.body ?? ""}`,
          });
          const response = await fetch(`${serve.url}${request.path}`, {
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
        }),
      );
    }
    // The local status page after the attack: counters by reason (closed lists), nothing a visitor sent.
    statusPage = await (await fetch(`${serve.url}/_logsieve/status`)).text();
    await serve.close();
    const collectorAggregate = await cliOn(collectorLake)("aggregate", "--all");
    outputs.push(collectorAggregate.stdout, collectorAggregate.stderr);

    // Act: read both lakes as marketing does, through every door, trying to single out what was planted.
    // The log lines are of the red team's day; the collector dated its events by its clock (today, or two days
    // when the run crossed midnight).
    const collectorDays = (await zoneRows(collectorLake, "events")).map((e) =>
      new Date(Number(e.ts)).toISOString().slice(0, 10),
    );
    const sortedDays = [...new Set(collectorDays)].sort();
    const collectorRange = [sortedDays[0] as string, sortedDays[sortedDays.length - 1] as string] as const;
    for (const [lakeName, lakeDir, range] of [
      ["logs", lake, [RT_DAY, RT_DAY]],
      ["collector", collectorLake, collectorRange],
    ] as const) {
      await readDoors(lakeName, lakeDir, range, cliOn(lakeDir), config, loggerInto(serverLogs));
    }
  }, 900_000);

  /** Every door of one lake, as marketing reads it; answers kept by door (named with the lake). */
  async function readDoors(
    lakeName: string,
    lakeDir: string,
    [from, to]: readonly [string, string],
    cli: (...args: string[]) => Promise<{ stdout: string; stderr: string }>,
    config: Record<string, unknown>,
    logger: RecordingLogger,
  ): Promise<void> {
    const named = (name: string) => `${name} (${lakeName})`;
    // A Stats API key, as an operator makes one (its output is scanned with the commands').
    const created = await cli("keys", "create", "--site", SITE, "--name", "red team", "--json");
    outputs.push(created.stdout, created.stderr);
    const key = (JSON.parse(created.stdout) as { key: string }).key;

    // `logsieve query` of every query that is not the security view's (nor the live panel's, which has its route).
    const listed = (await cli("query", "--list")).stdout;
    const names = [...listed.matchAll(/^ {2}(\S+) .*\n\s+file queries\/(dashboard|cli)\.(\w+)\.sql/gm)]
      .filter((m) => m[3] !== "live")
      .map((m) => m[1] as string);
    expect(names.length, "logsieve query --list").toBeGreaterThan(10);
    for (let i = 0; i < names.length; i += 4) {
      await Promise.all(
        names.slice(i, i + 4).map(async (name) => {
          const printed = await cli(
            "query",
            name,
            ...[`site=${SITE}`, `from=${from}`, `to=${to}`].flatMap((p) => ["--param", p]),
            "--format",
            "csv",
          );
          door(named("logsieve query"), "csv").answers.push({ status: 0, text: printed.stdout });
          outputs.push(printed.stderr);
        }),
      );
    }

    const reader = await startServe({ host: "127.0.0.1", port: 0, lakeDir, config, logger });
    try {
      // Sign in with the marketing link the server announced, as a person does.
      const link = /marketing\s+(http\S+)/.exec(reader.announcements.join("\n"))?.[1];
      expect(link, "the marketing sign-in link").toBeDefined();
      const signIn = await fetch(link as string, { redirect: "manual" });
      const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] as string;
      expect(cookie).toMatch(/=/);
      const headers = { cookie, origin: reader.url };
      const get = async (path: string) => {
        const response = await fetch(`${reader.url}${path}`, { headers });
        return { status: response.status, text: await response.text() };
      };
      const post = async (path: string, body: string, extra: Record<string, string> = headers) => {
        const response = await fetch(`${reader.url}${path}`, {
          method: "POST",
          headers: { ...extra, "content-type": "application/json" },
          body,
        });
        return { status: response.status, text: await response.text() };
      };

      const me = await get("/api/dashboard/me");
      door(named("GET /api/dashboard/me"), "json").answers.push(me);
      const queries = (JSON.parse(me.text) as { queries: string[] }).queries;
      offered.set(lakeName, queries);
      const range = `site=${SITE}&from=${from}&to=${to}`;
      for (const query of queries) {
        door(named("GET /api/dashboard/query/<name>"), "json").answers.push(
          await get(`/api/dashboard/query/${query}?${range}`),
        );
        door(named("GET /api/dashboard/export/<name>.csv"), "csv").answers.push(
          await get(`/api/dashboard/export/${query}.csv?${range}`),
        );
      }
      door(named("GET /api/dashboard/live"), "json").answers.push(
        await get(`/api/dashboard/live?site=${SITE}`),
      );

      // Every query through the Stats API; the dashboard's panels (the same service, their own routes and CSV) take
      // every other one each, so both routes see breakdowns and filters.
      const bodies = redteamQueries().map((q) => JSON.stringify(statsBody(q, [from, to])));
      const asked = bodies.flatMap((body, i) => [
        { door: "POST /api/v2/query", format: "json" as const, body },
        i % 2 === 0
          ? { door: "POST /api/dashboard/stats", format: "json" as const, body }
          : { door: "POST /api/dashboard/stats.csv", format: "csv" as const, body },
      ]);
      for (let i = 0; i < asked.length; i += 4) {
        await Promise.all(
          asked.slice(i, i + 4).map(async (a) => {
            const path = a.door.slice("POST ".length);
            const auth = path === "/api/v2/query" ? { authorization: `Bearer ${key}` } : headers;
            const answer = await post(path, a.body, auth);
            door(named(a.door), a.format).answers.push({ ...answer, request: a.body });
          }),
        );
      }

      // Requests that fail, each carrying a form where a careless server would repeat or log it.
      const carrying = withData(FORMS);
      for (let i = 0; i < carrying.length; i += 8) {
        await Promise.all(
          carrying.slice(i, i + 8).map(async (form, j) => {
            const request = failingRequests(form, i + j);
            const auth = request.route === "stats-api" ? { authorization: `Bearer ${key}` } : headers;
            const answer =
              request.method === "GET"
                ? await get(request.path)
                : await post(request.path, request.body ?? "", auth);
            failed.push({ form, request: `${request.path} ${request.body ?? ""}`, ...answer });
          }),
        );
      }
    } finally {
      await reader.close();
    }
  }

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("carries every form through every input path that has its slot, from eight people each", () => {
    // Assess: the size of the attack, printed for the record (docs/PRIVACY.md quotes it).
    const pairs = new Set(sent.map((s) => `${s.path.replace("-numeric-idsite", "")} ${s.form.id}`));
    const paths = new Set(sent.map((s) => s.path.replace("-numeric-idsite", "")));
    console.log(
      `red team: ${FORMS.length} forms, ${paths.size} input paths, ${pairs.size} form × path pairs, ${sent.length} requests`,
    );
    expect(paths).toEqual(new Set([...LOG_FORMATS, ...PROTOCOLS]));
    for (const format of LOG_FORMATS) {
      const forms = FORMS.filter((f) => carries(format, f));
      expect(forms.length, format).toBeGreaterThan(150);
    }
    for (const protocol of PROTOCOLS) {
      expect(FORMS.filter((f) => protocolCarries(protocol, f)).length, protocol).toBeGreaterThan(150);
    }
    expect(pairs.size).toBeGreaterThan(1_200);
  });

  it("positive control: the scan finds every planted form in what was sent, on every input path", () => {
    for (const path of [...LOG_FORMATS, ...PROTOCOLS]) {
      // Prepare
      const mine = sent.filter((s) => s.path === path);
      // Act
      const missing = formsMissingFrom(mine.map((s) => s.text).join("\n"), new Set(mine.map((s) => s.form)));
      // Assess
      expect(missing, path).toEqual([]);
    }
  });

  it("positive control: security/ holds every log form, as the full record must", async () => {
    // Act
    const security = await zoneRows(lake, "security");
    const logForms = new Set(
      sent.filter((s) => (LOG_FORMATS as readonly string[]).includes(s.path)).map((s) => s.form),
    );
    // Assess
    expect(formsMissingFrom(rowsText(security), logForms)).toEqual([]);
    for (const person of PEOPLE) expect(rowsText(security)).toContain(person);
  });

  it("writes an event for every log line of the configured site, and none for another host", async () => {
    // Act
    const events = await zoneRows(lake, "events");
    // Assess: each line's second is its event's ts; every line of a form outside the host slot has its event.
    const byForm = new Map<string, number>();
    for (const event of events) {
      const second = (Number(event.ts) - Date.UTC(2026, 10, 20, 10, 0, 0)) / 1000;
      const form = formBySecond.get(second);
      expect(form, `event at second ${second}`).toBeDefined();
      byForm.set((form as Form).id, (byForm.get((form as Form).id) ?? 0) + 1);
    }
    for (const form of FORMS) {
      const formats = LOG_FORMATS.filter((format) => carries(format, form));
      // A host written user@host in a URL (ALB logs the request URL) names the host after the @: the site itself.
      const counted = formats.filter(
        (format) => form.slot !== "host" || (format === "alb" && form.id === "host-email"),
      );
      expect(byForm.get(form.id) ?? 0, form.id).toBe(counted.length * PEOPLE.length);
    }
    expect(new Set(events.map((e) => e.site))).toEqual(new Set([SITE]));
    // Every other host form of every format with a host is an unknown_site, counted in the summary.
    for (const file of ingestJson.files) {
      const format = LOG_FORMATS.find((f) => file.name.split("/").pop() === `${f}.log`) as RedteamLogFormat;
      const unknown = FORMS.filter(
        (f) => f.slot === "host" && carries(format, f) && !(format === "alb" && f.id === "host-email"),
      );
      expect(file.dropped.byReason.unknown_site ?? 0, format).toBe(unknown.length * PEOPLE.length);
    }
  });

  it("answers every collector request: events stored for the configured site, other sites refused", async () => {
    // Act
    const events = await zoneRows(collectorLake, "events");
    const stored = responses.filter((r) => r.status === 202 || r.status === 200 || r.status === 204);
    // Assess: host forms are refused (a host that is no host name: 400; another site: 403) on every protocol;
    // only a page URL written user@host, whose host is the site itself, is counted (for the site).
    // Umami names its site by the website id only: a host in its `hostname` or page URL is never read (200).
    for (const r of responses.filter((x) => x.form.slot === "host")) {
      const userAtSite = r.form.id === "host-email" && r.protocol === "matomo-numeric-idsite";
      const expected = r.protocol === "umami" ? [200] : userAtSite ? [204] : [400, 403];
      expect(expected, `${r.form.id} ${r.protocol}`).toContain(r.status);
    }
    expect(stored.length).toBeGreaterThan(FORMS.length * PEOPLE.length * 3);
    expect(events.length).toBeGreaterThan(FORMS.length * PEOPLE.length * 2);
    expect(new Set(events.map((e) => e.site))).toEqual(new Set([SITE]));
    // Every protocol stored the red team's events, and the property path kept values (masked) under `plan`/`name`.
    for (const protocol of PROTOCOLS) {
      expect(
        responses.filter((r) => r.protocol === protocol && r.status >= 200 && r.status < 300).length,
        protocol,
      ).toBeGreaterThan(FORMS.length * PEOPLE.length * 0.7);
    }
    const props = events.filter((e) => e.prop_key_1 !== null && e.prop_key_1 !== undefined);
    expect(props.length).toBeGreaterThan(FORMS.filter((f) => f.slot === "prop").length * PEOPLE.length * 3);
  });

  it("rejects every unreadable line into rejects/, and counts it without repeating it (positive control)", async () => {
    // Act
    const rejects = await zoneRows(lake, "rejects");
    const combined = ingestJson.files.find((f) => f.name.split("/").pop() === "combined.log");
    // Assess: counted in the summary (the scan of the commands' output shows it repeats none of them).
    expect(combined?.rejected.total).toBe(FORMS.length);
    expect(combined?.rejected.byReason.malformed).toBe(FORMS.length);
    expect(formsMissingFrom(rowsText(rejects), FORMS)).toEqual([]);
  });

  it("opened every door: each marketing route answered, with the red team's (scrubbed) rows in it", () => {
    // Assess: every query the dashboard offers marketing is the allowlist's marketing queries, and was read.
    for (const [lakeName, queries] of offered) {
      expect(queries, lakeName).toEqual(queriesFor(["marketing"]));
    }
    const refused = [...doors.values()].flatMap((d) =>
      d.answers
        .filter((a) => a.status !== 0 && a.status !== 200)
        .map((a) => `${d.name} ${a.status} ${a.request ?? ""} ${a.text}`),
    );
    expect(refused).toEqual([]);
    const size = [...doors.values()].map((d) => `${d.name}: ${d.answers.length} answers`);
    console.log(`red team doors:\n  ${size.join("\n  ")}`);
    // The doors show the red team's traffic, scrubbed, in their rows (not in a query they repeat): a scan of empty
    // answers would prove nothing. /me holds no rows; the live panel only figures (today's, k-applied).
    for (const lakeName of ["logs", "collector"]) {
      for (const name of DOOR_NAMES.filter((d) => d.endsWith(`(${lakeName})`) && !/\/(me|live) /.test(d))) {
        const found = doors.get(name);
        const data = (found?.answers ?? []).map((a) => rowsOf(found?.format ?? "text", a.text)).join("\n");
        expect(data, name).toContain("/rt/");
        expect(data, name).toMatch(/\[(email|ip|phone|number|token)\]/);
      }
    }
  });

  it("answers a failing request with nothing but what it sent, and logs none of it", () => {
    // Assess: each request failed; its answer holds at most its own form (a Plausible-style error names the field).
    expect(failed.length).toBeGreaterThan(300);
    expect(failed.filter((f) => f.status < 400).map((f) => `${f.status} ${f.request}`)).toEqual([]);
    expect(othersInFailedAnswers(failed)).toEqual([]);
  });

  /**
   * Everything a person outside the security zone can read. A new door is a request in readDoors above: it is
   * scanned here by its name, and its positive control below plants every form in what it returned.
   */
  const SCANNED: readonly { readonly name: string; readonly text: () => Promise<string> }[] = [
    { name: "events/ (logs)", text: async () => rowsText(await zoneRows(lake, "events")) },
    { name: "events/ (collector)", text: async () => rowsText(await zoneRows(collectorLake, "events")) },
    { name: "stats/ (logs)", text: async () => rowsText(await statsRows(lake)) },
    { name: "stats/ (collector)", text: async () => rowsText(await statsRows(collectorLake)) },
    { name: "command output and errors", text: async () => outputs.join("\n") },
    { name: "collector log lines", text: async () => collectorLogs.join("\n") },
    { name: "collector responses", text: async () => responses.map((r) => r.text).join("\n") },
    // Not read by marketing, but a checkpoint must hold no personal data at all (docs/INGEST.md): digests only.
    { name: "checkpoints/", text: async () => filesText(join(lake, "checkpoints")) },
    { name: "server log lines (dashboard, Stats API)", text: async () => serverLogs.join("\n") },
    { name: "the collector's status page", text: async () => statusPage },
    ...DOOR_NAMES.map((name) => ({
      name,
      text: async () => (doors.get(name)?.answers ?? []).map((a) => a.text).join("\n"),
    })),
  ];

  it.each(SCANNED.map((s) => [s.name, s] as const))("finds no form in %s", async (_name, scanned) => {
    // Act
    const text = await scanned.text();
    // Assess: the place was read (a scan of nothing proves nothing), and nothing planted is in it.
    expect(text.length).toBeGreaterThan(100);
    expect(formsFoundIn(text)).toEqual([]);
    for (const person of PEOPLE) expect(text).not.toContain(person);
  });

  it.each(DOOR_NAMES.map((name) => [name] as const))(
    "positive control: every form planted in what %s returns is found",
    (name) => {
      // Prepare: the door's first answer with text in it, planted with each form as the door writes a value.
      const found = doors.get(name);
      expect(found?.answers.length, name).toBeGreaterThan(0);
      const sample = (found?.answers ?? []).map((a) => a.text).find((t) => t.length > 20) as string;
      expect(formsFoundIn(sample)).toEqual([]);
      // Act
      const missed = missedWhenPlanted(found?.format ?? "text", sample);
      // Assess
      expect(missed).toEqual([]);
    },
  );

  it("positive control: every form planted in a server log line, the commands' output or the status page is found", () => {
    for (const [format, text] of [
      ["json-lines", serverLogs.slice(0, 20).join("\n")],
      ["text", outputs.join("\n")],
      ["json", statusPage],
    ] as const) {
      expect(formsFoundIn(text)).toEqual([]);
      expect(missedWhenPlanted(format, text), format).toEqual([]);
    }
  });

  it("finds no control or invisible character in any anonymous value", async () => {
    // Act
    const rows = [
      ...(await zoneRows(lake, "events")),
      ...(await zoneRows(collectorLake, "events")),
      ...(await statsRows(lake)),
      ...(await statsRows(collectorLake)),
    ];
    // Assess
    expect(rows.length).toBeGreaterThan(1000);
    expect(controlCharacters(rows)).toEqual([]);
  });

  it("writes nothing of the attack outside events/, stats/, security/, rejects/, salts/, checkpoints/, goals/ and keys/", async () => {
    // goals/ is the configured goals as a table (core/goals.ts), written by the aggregation: configuration, not data;
    // keys/ the Stats API keys' hashes (`logsieve keys create`).
    expect((await readdir(lake)).sort()).toEqual([
      "checkpoints",
      "events",
      "goals",
      "keys",
      "rejects",
      "salts",
      "security",
      "stats",
    ]);
    expect((await readdir(collectorLake)).sort()).toEqual(["events", "goals", "keys", "salts", "stats"]);
  });
});

/** The doors of both lakes, by the names readDoors gives them (an unread one fails its scan: it has no text). */
const DOOR_NAMES = ["logs", "collector"].flatMap((lakeName) =>
  [
    "GET /api/dashboard/me",
    "GET /api/dashboard/query/<name>",
    "GET /api/dashboard/export/<name>.csv",
    "GET /api/dashboard/live",
    "POST /api/dashboard/stats",
    "POST /api/dashboard/stats.csv",
    "POST /api/v2/query",
    "logsieve query",
  ].map((door) => `${door} (${lakeName})`),
);

/** The text of every file below a folder (JSON checkpoints), one after the other. */
async function filesText(folder: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) parts.push(await readFile(join(entry.parentPath, entry.name), "utf8"));
  }
  return parts.join("\n");
}

/** Every rollup under stats/. */
async function statsRows(lakeDir: string): Promise<Record<string, unknown>[]> {
  const rollups = await readdir(join(lakeDir, "stats")).catch(() => [] as string[]);
  const rows: Record<string, unknown>[] = [];
  for (const rollup of rollups) rows.push(...(await zoneRows(lakeDir, join("stats", rollup))));
  return rows;
}
