import { spawnSync } from "node:child_process";
import {
  appendFile,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  truncate,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { parquetMetadata } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileInput } from "../../functions/adapters/input/resumable-input.ts";
import { LocalObjectStore } from "../../functions/adapters/local/object-store.ts";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { generateSampleLog } from "../../functions/apps/demo/sample-log.ts";
import { type FollowEvent, follow } from "../../functions/apps/ingest/follow.ts";
import {
  type FileIngestSummary,
  type LocalLogsieve,
  localCheckpointBook,
  openLocal,
  UnnamedStdinError,
} from "../../functions/apps/ingest/local.ts";
import { runCliQuery } from "../../functions/apps/query/command.ts";
import { ingestResumable } from "../../functions/core/ingest/resume.ts";
import { FixedClock } from "../../functions/ports/clock.ts";
import type { ObjectStore } from "../../functions/ports/object-store.ts";

/**
 * Every line once (issue 17): each way a log reaches logsieve more than once — grown, rotated, rotated and
 * compressed, truncated and rewritten, copied under another name, piped in — ends with the same figures as ONE
 * ingest of the union of its lines into a fresh lake: hits, bandwidth, page views, visitors and status counts per
 * day (the aggregation and the query a user runs), and the rows of security/ and rejects/. The union lake is the
 * reference; nothing is compared with output of the code under test run the same way.
 */

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const SITE = "example.com";

/** Lines of a sample log in time order; `seed` and the window make different logs. */
function sampleLines(seed: number, lines: number, startMs: number): string[] {
  return [
    ...generateSampleLog({ seed, lines, startMs, spanMs: 10 * HOUR, clients: 250, malformedShare: 0.01 }),
  ];
}

const text = (lines: readonly string[]) => lines.map((l) => `${l}\n`).join("");

interface Figures {
  readonly days: readonly Record<string, unknown>[];
  readonly securityRows: number;
  readonly rejectRows: number;
  readonly eventRows: number;
}

let dir: string;
/** The first log: A (lines 1–1000), B (1001–1500), C (1501–3000), one stream in time order. */
let A: string[];
let B: string[];
let C: string[];
/** Other content, later, written after a truncation. */
let D: string[];
let unionABC: Figures;

async function lakeAt(name: string, clock = new FixedClock(NOW)): Promise<LocalLogsieve> {
  return openLocal({ lakeDir: join(dir, name, "lake"), config: { sites: [SITE] }, clock });
}

async function rowsIn(store: LocalObjectStore, zone: string): Promise<number> {
  let rows = 0;
  for await (const info of store.list(`${zone}/`)) {
    if (!info.key.endsWith(".parquet")) continue;
    const body = await store.get(info.key);
    if (body === null) continue;
    const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    rows += Number(parquetMetadata(file).num_rows);
  }
  return rows;
}

/** The figures a user sees: every day with events aggregated, then `logsieve query daily-traffic`. */
async function figuresOf(logsieve: LocalLogsieve): Promise<Figures> {
  await aggregateDays({
    lakeDir: logsieve.lakeDir,
    days: "all",
    config: logsieve.config,
    store: logsieve.store,
    clock: logsieve.clock,
  });
  const daily = await runCliQuery({
    lakeDir: logsieve.lakeDir,
    name: "daily-traffic",
    params: { from: "2026-11-01", to: "2026-11-30" },
    config: logsieve.config,
  });
  return {
    days: daily.rows as Record<string, unknown>[],
    securityRows: await rowsIn(logsieve.store, "security"),
    rejectRows: await rowsIn(logsieve.store, "rejects"),
    eventRows: await rowsIn(logsieve.store, "events"),
  };
}

/** One ingest of `lines` into a fresh lake. */
async function unionFigures(name: string, lines: readonly string[]): Promise<Figures> {
  const logsieve = await lakeAt(name);
  const path = join(await logsDir(name), "union.log");
  await writeFile(path, text(lines));
  await logsieve.ingestFile(path);
  return figuresOf(logsieve);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-once-"));
  const first = sampleLines(17, 3000, NOW - 30 * HOUR);
  A = first.slice(0, 1000);
  B = first.slice(1000, 1500);
  C = first.slice(1500);
  D = sampleLines(18, 800, NOW - 12 * HOUR);
  unionABC = await unionFigures("union-abc", [...A, ...B, ...C]);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A folder for one scenario's logs, next to its lake. */
async function logsDir(name: string): Promise<string> {
  const logs = join(dir, name, "logs");
  await mkdir(logs, { recursive: true });
  return logs;
}

/** Resolves once `done()` holds (looked at every 10 ms), or fails after 30 s. */
async function until(done: () => boolean): Promise<void> {
  const by = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > by) throw new Error("timed out waiting for the follower");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const statuses = (summaries: readonly FileIngestSummary[]) => summaries.map((s) => s.resume.status);

describe("every line once: each delivery pattern equals one ingest of the union of its lines", () => {
  it("reference: the union lake holds every line of A, B and C once", () => {
    expect(unionABC.securityRows + unionABC.rejectRows).toBe(3000);
    expect(unionABC.days.length).toBeGreaterThanOrEqual(1);
  });

  it("grow: a log ingested, appended to, ingested again (the cron job on access.log)", async () => {
    // Prepare
    const logsieve = await lakeAt("grow");
    const log = join(await logsDir("grow"), "access.log");
    await writeFile(log, text(A));

    // Act
    const first = await logsieve.ingestFile(log);
    await appendFile(log, text([...B, ...C]));
    const second = await logsieve.ingestFile(log);
    const third = await logsieve.ingestFile(log);

    // Assess
    expect(statuses([first, second, third])).toEqual(["new", "continued", "already-read"]);
    expect(second.resume.skippedLines).toBe(1000);
    expect(second.accepted + second.rejected.total).toBe(2000);
    expect(await figuresOf(logsieve)).toEqual(unionABC);
  }, 120_000);

  it("rotate: access.log read, grown, renamed to access.log.1, a new access.log started", async () => {
    // Prepare
    const logsieve = await lakeAt("rotate");
    const logs = await logsDir("rotate");
    const log = join(logs, "access.log");
    await writeFile(log, text(A));
    await logsieve.ingestFile(log);
    await appendFile(log, text(B)); // written after the last run, before the rotation

    // Act
    await rename(log, join(logs, "access.log.1"));
    await writeFile(log, text(C));
    const rotated = await logsieve.ingestFile(join(logs, "access.log.1"));
    const current = await logsieve.ingestFile(log);
    const again = [await logsieve.ingestFile(join(logs, "access.log.1")), await logsieve.ingestFile(log)];

    // Assess
    expect(statuses([rotated, current, ...again])).toEqual([
      "continued",
      "new",
      "already-read",
      "already-read",
    ]);
    expect(rotated.accepted + rotated.rejected.total).toBe(500);
    expect(current.note).toMatch(/holds other content than at the last run/);
    expect(await figuresOf(logsieve)).toEqual(unionABC);
  }, 120_000);

  it("rotate + gzip: access.log → access.log.1.gz → access.log.2.gz, the compressed file read on from its checkpoint", async () => {
    // Prepare
    const logsieve = await lakeAt("gzip");
    const logs = await logsDir("gzip");
    const log = join(logs, "access.log");
    await writeFile(log, text(A));
    await logsieve.ingestFile(log);
    await appendFile(log, text(B));

    // Act: logrotate with compress: the grown file is only ever seen compressed.
    await writeFile(join(logs, "access.log.1.gz"), gzipSync(await readFile(log)));
    await writeFile(log, text(C));
    const compressed = await logsieve.ingestFile(join(logs, "access.log.1.gz"));
    const current = await logsieve.ingestFile(log);
    // The next rotation: .1.gz becomes .2.gz, access.log becomes access.log.1.gz, access.log starts empty.
    await rename(join(logs, "access.log.1.gz"), join(logs, "access.log.2.gz"));
    await writeFile(join(logs, "access.log.1.gz"), gzipSync(await readFile(log)));
    await writeFile(log, "");
    const after = [];
    for (const name of ["access.log.2.gz", "access.log.1.gz", "access.log"]) {
      after.push(await logsieve.ingestFile(join(logs, name)));
    }

    // Assess
    expect(statuses([compressed, current])).toEqual(["continued", "new"]);
    expect(compressed.accepted + compressed.rejected.total).toBe(500);
    expect(statuses(after)).toEqual(["already-read", "already-read", "waiting"]);
    expect(await figuresOf(logsieve)).toEqual(unionABC);
  }, 120_000);

  it("follow, stopped right after a rotation: the old file's rest and the new file's lines are written, not left for the grace", async () => {
    // Prepare: the clock stands still, so the rotation grace never ends while following; only stopping ends it.
    const logsieve = await lakeAt("follow-stop");
    const logs = await logsDir("follow-stop");
    const log = join(logs, "access.log");
    await writeFile(log, text(A));
    const events: FollowEvent[] = [];
    const seen = (test: (event: FollowEvent) => boolean) => until(() => events.some(test));
    const stop = new AbortController();
    const following = follow(
      logsieve,
      { files: [log], batchMs: 20 },
      (event) => events.push(event),
      stop.signal,
    );
    await seen((event) => event.kind === "batch");

    // Act: B written to the old file, rotated away, C in the new access.log; the follower stops on seeing it.
    await appendFile(log, text(B));
    await rename(log, join(logs, "access.log.1"));
    await writeFile(log, text(C));
    await seen((event) => event.kind === "rotated");
    stop.abort();
    const totals = await following;

    // Assess
    expect(totals.lines).toBe(3000);
    expect(await figuresOf(logsieve)).toEqual(unionABC);
  }, 120_000);

  it("truncate: copytruncate keeps a copy, empties access.log, other lines follow: read from the start, and said so", async () => {
    // Prepare
    const logsieve = await lakeAt("truncate");
    const logs = await logsDir("truncate");
    const log = join(logs, "access.log");
    await writeFile(log, text(A));
    await logsieve.ingestFile(log);
    await appendFile(log, text(B));

    // Act
    await copyFile(log, join(logs, "access.log.1"));
    await truncate(log, 0);
    await appendFile(log, text(D));
    const current = await logsieve.ingestFile(log);
    const copy = await logsieve.ingestFile(join(logs, "access.log.1"));

    // Assess
    expect(current.resume.status).toBe("new");
    expect(current.note).toMatch(/truncated, replaced or rotated, so it is read from its start/);
    expect(current.accepted + current.rejected.total).toBe(800);
    expect(copy.resume.status).toBe("continued");
    expect(copy.accepted + copy.rejected.total).toBe(500);
    expect(await figuresOf(logsieve)).toEqual(await unionFigures("union-abd", [...A, ...B, ...D]));
  }, 120_000);

  it("same content under another name and another compression is not counted twice", async () => {
    // Prepare
    const logsieve = await lakeAt("copies");
    const logs = await logsDir("copies");
    const all = text([...A, ...B, ...C]);
    await writeFile(join(logs, "web1.log"), all);
    await writeFile(join(logs, "copy-of-web1.log"), all);
    await writeFile(join(logs, "web1.log.gz"), gzipSync(all));
    await writeFile(join(logs, "first-part.log"), text(A)); // an earlier copy: a prefix

    // Act
    const runs = [];
    for (const name of ["web1.log", "copy-of-web1.log", "web1.log.gz", "first-part.log"]) {
      runs.push(await logsieve.ingestFile(join(logs, name)));
    }

    // Assess
    expect(statuses(runs)).toEqual(["new", "already-read", "already-read", "already-read"]);
    expect(runs.slice(1).every((r) => r.objectsWritten === 0)).toBe(true);
    expect(await figuresOf(logsieve)).toEqual(unionABC);
  }, 120_000);

  it("a log that shares its first lines with another, then differs, is read from where they part", async () => {
    // Prepare: the same first 1000 lines, then C instead of B and C (a log cut and continued elsewhere)
    const logsieve = await lakeAt("branch");
    const logs = await logsDir("branch");
    await writeFile(join(logs, "one.log"), text([...A, ...B]));
    await writeFile(join(logs, "two.log"), text([...A.slice(0, 20), ...D]));

    // Act
    const one = await logsieve.ingestFile(join(logs, "one.log"));
    const two = await logsieve.ingestFile(join(logs, "two.log"));
    const twoAgain = await logsieve.ingestFile(join(logs, "two.log"));

    // Assess
    expect(statuses([one, two, twoAgain])).toEqual(["new", "branch", "already-read"]);
    expect(two.resume.skippedLines).toBe(20);
    expect(await figuresOf(logsieve)).toEqual(await unionFigures("union-branch", [...A, ...B, ...D]));
  }, 120_000);

  it("grow, W3C: lines appended after the #Fields header are read on with the header's columns", async () => {
    // Prepare: an IIS log with its own #Fields (16 columns, not IIS's default), of which the first run sees the
    // header and the first record
    const fixture = (await readFile(new URL("../fixtures/logs/iis_w3c.log", import.meta.url), "utf8"))
      .split("\n")
      .filter((l) => l.length > 0);
    const logsieve = await lakeAt("grow-w3c");
    const log = join(await logsDir("grow-w3c"), "u_ex240402.log");
    await writeFile(log, text(fixture.slice(0, 5)));
    const union = await lakeAt("union-w3c");
    const unionLog = join(await logsDir("union-w3c"), "all.log");
    await writeFile(unionLog, text(fixture));

    // Act
    const first = await logsieve.ingestFile(log);
    await appendFile(log, text(fixture.slice(5)));
    const second = await logsieve.ingestFile(log);
    const once = await union.ingestFile(unionLog);

    // Assess
    expect(second.resume.status).toBe("continued");
    expect(second.rejected.total).toBe(0);
    expect(first.accepted + second.accepted).toBe(once.accepted);
    expect(first.dropped.total + second.dropped.total).toBe(once.dropped.total);
    expect(await rowsIn(logsieve.store, "security")).toBe(await rowsIn(union.store, "security"));
  }, 60_000);

  it("stdin: refused without --input-id; with one, piping more of the stream reads on; --allow-duplicates counts again", async () => {
    // Prepare
    const logsieve = await lakeAt("stdin");
    const pipe = (lines: readonly string[]) => Readable.from([Buffer.from(text(lines))]);

    // Act
    const unnamed = await logsieve.ingestFile("-", { stdin: pipe(A) }).catch((error: unknown) => error);
    const first = await logsieve.ingestFile("-", { stdin: pipe(A), inputId: "web1-access" });
    const more = await logsieve.ingestFile("-", { stdin: pipe([...A, ...B, ...C]), inputId: "web1-access" });
    const again = await logsieve.ingestFile("-", { stdin: pipe([...A, ...B, ...C]), inputId: "web1-access" });
    const figures = await figuresOf(logsieve);
    const duplicate = await logsieve.ingestFile("-", { stdin: pipe(A), allowDuplicates: true });

    // Assess
    expect(unnamed).toBeInstanceOf(UnnamedStdinError);
    expect(statuses([first, more, again, duplicate])).toEqual([
      "new",
      "continued",
      "already-read",
      "unchecked",
    ]);
    expect(figures).toEqual(unionABC);
    expect(duplicate.accepted + duplicate.rejected.total).toBe(1000);
    expect((await figuresOf(logsieve)).securityRows).toBeGreaterThan(unionABC.securityRows);
  }, 120_000);

  it("stdin through the command line: without --input-id it exits 2 before reading, naming --input-id and --allow-duplicates", async () => {
    // Prepare
    const lake = join(dir, "cli-stdin", "lake");

    // Act
    const run = spawnSync(process.execPath, ["bin/logsieve.js", "--lake", lake, "ingest", "-"], {
      cwd: new URL("../../", import.meta.url),
      input: text(A.slice(0, 10)),
      encoding: "utf8",
      timeout: 60_000,
    });

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--input-id");
    expect(run.stderr).toContain("--allow-duplicates");
    expect(spawnSync("ls", [lake]).status).not.toBe(0); // no lake was written
  }, 90_000);
});

/** A store whose parquet writes fail after `allowed` of them: a process killed in the middle of a batch. */
function failingAfter(store: ObjectStore, allowed: number): ObjectStore {
  let puts = 0;
  return {
    put: async (key, body, options) => {
      if (key.endsWith(".parquet") && ++puts > allowed) throw new Error("injected: the process died here");
      await store.put(key, body, options);
    },
    putIfAbsent: (key, body, options) => store.putIfAbsent(key, body, options),
    get: (key) => store.get(key),
    list: (prefix) => store.list(prefix),
    delete: (key) => store.delete(key),
  };
}

describe("every line once: a run that stops in the middle of a batch", () => {
  it.each([
    ["the same file, retried an hour later", "plain"],
    ["the file rotated and compressed before the retry", "gzip"],
  ])(
    "%s: the redo overwrites or removes what the stopped run wrote",
    async (_name, retryAs) => {
      // Prepare: small parts, so the stopped run has stored some of them and not others
      const name = `crash-${retryAs}`;
      const lakeDir = join(dir, name, "lake");
      const config = { sites: [SITE], ingest: { rowsPerPart: 1000 } };
      const logs = await logsDir(name);
      const log = join(logs, "access.log");
      await writeFile(log, text(A));
      const first = await openLocal({ lakeDir, config, clock: new FixedClock(NOW) });
      await first.ingestFile(log);
      await appendFile(log, text([...B, ...C]));

      // Act: the second run dies after storing two parts; the retry comes an hour later (rejects would be filed
      // under another hour if the redo did not keep the first attempt's time)
      const store = new LocalObjectStore(lakeDir);
      const broken = failingAfter(store, 2);
      const input = await fileInput(log, { maxLineBytes: first.config.ingest.maxLineBytes });
      const stopped = ingestResumable(
        input,
        {},
        { ...first.deps, store: broken },
        localCheckpointBook(store, first.clock),
      );
      await expect(stopped).rejects.toThrow(/injected/);
      await input.close();
      let retryPath = log;
      if (retryAs === "gzip") {
        retryPath = join(logs, "access.log.1.gz");
        await writeFile(retryPath, gzipSync(await readFile(log)));
        await rm(log);
      }
      const later = await openLocal({ lakeDir, config, clock: new FixedClock(NOW + 61 * 60_000) });
      const retry = await later.ingestFile(retryPath);

      // Assess
      expect(retry.resume.recovered).toBe(true);
      expect(retry.resume.skippedLines).toBe(1000);
      const union = await unionFigures(`union-${name}`, [...A, ...B, ...C]);
      expect(await figuresOf(later)).toEqual(union);
    },
    120_000,
  );

  it("a batch no run stopped in lists none of its partitions for leftovers; the redo of a stopped one still removes a part of its own id numbered past its own", async () => {
    // Prepare: a store that notes what is listed in the zones, and a log read whole once
    const name = "leftovers";
    const lakeDir = join(dir, name, "lake");
    const config = { sites: [SITE], ingest: { rowsPerPart: 1000 } };
    const log = join(await logsDir(name), "access.log");
    await writeFile(log, text(A));
    const first = await openLocal({ lakeDir, config, clock: new FixedClock(NOW) });
    const store = new LocalObjectStore(lakeDir);
    const zoneLists: string[] = [];
    const noting: ObjectStore = {
      put: (key, body, options) => store.put(key, body, options),
      putIfAbsent: (key, body, options) => store.putIfAbsent(key, body, options),
      get: (key) => store.get(key),
      list: (prefix) => {
        if (/^(security|events|rejects)\//.test(prefix)) zoneLists.push(prefix);
        return store.list(prefix);
      },
      delete: (key) => store.delete(key),
    };
    const book = () => localCheckpointBook(store, first.clock);
    const readAll = async (objects: ObjectStore) => {
      const input = await fileInput(log, { maxLineBytes: first.config.ingest.maxLineBytes });
      try {
        return await ingestResumable(input, {}, { ...first.deps, store: objects }, book());
      } finally {
        await input.close();
      }
    };

    // Act 1: a fresh batch (no intent recorded before it)
    const fresh = await readAll(noting);

    // Assess 1: it wrote objects in several partitions, and listed none of them
    expect(fresh.partitions.length).toBeGreaterThan(2);
    expect(zoneLists).toEqual([]);

    // Act 2: the next batch stops after two parts; a part of one of its ids numbered past any it writes is planted
    // beside them (as a run that wrote more parts into that partition would leave it); the redo follows
    await appendFile(log, text([...B, ...C]));
    await expect(readAll(failingAfter(noting, 2))).rejects.toThrow(/injected/);
    const from = Buffer.byteLength(text(A));
    // Which two parts were stored depends on timing (hours of security/, the day of events/, a partition's second
    // part before its first, which waits for the intent): any will do. The batch writes at most two parts in a
    // partition (2,000 lines, 1,000 rows a part), so number 9 is past any the redo writes.
    const stored: string[] = [];
    for (const zone of ["security/", "events/"]) {
      for await (const object of store.list(zone)) stored.push(object.key);
    }
    const ofStopped = new RegExp(`-at${from}-\\d{4}\\.parquet$`);
    const storedPart = stored.find((key) => ofStopped.test(key));
    if (storedPart === undefined) throw new Error(`no part of the stopped batch among ${stored.join(", ")}`);
    const planted = storedPart.replace(/-\d{4}\.parquet$/, "-0009.parquet");
    await store.put(planted, (await store.get(storedPart)) as Uint8Array);
    const redo = await readAll(noting);

    // Assess 2: the redo recovered, the planted part is gone, and the lake equals one ingest of the union
    expect(redo.resume.recovered).toBe(true);
    expect(await store.get(planted)).toBeNull();
    expect(await figuresOf(first)).toEqual(unionABC);
  }, 120_000);
});
