import { type ChildProcess, spawn } from "node:child_process";
import { appendFile, mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { generateSampleLog, seededRandom } from "../../functions/apps/demo/sample-log.ts";
import { openLocal } from "../../functions/apps/ingest/local.ts";
import { runCliQuery } from "../../functions/apps/query/command.ts";

/**
 * `logsieve ingest --follow` under `kill -9` (issue 17): a writer appends a generated log at `rate` lines per second
 * (sometimes half a line at a time, as a server's write may be cut), rotates it twice (`access.log` →
 * `access.log.1` → `access.log.2`, each time a new `access.log`), while the follower — `node bin/logsieve.js ingest
 * --follow access.log access.log.1 access.log.2`, a real process — is killed with SIGKILL `kills` times and
 * restarted after each: every other kill at a random moment of its run, the others the moment a batch's objects
 * are being written (a batch intent is in its checkpoint), the worst moment there is. At the end the follower gets SIGTERM (it writes what is complete and exits 0).
 *
 * The oracles: (1) every line written is in the lake exactly once — security/ plus rejects/ rows equal the lines
 * written, and no (stream, line number) appears twice; (2) the day figures (hits, bandwidth, page views, visitors,
 * statuses) equal those of ONE ingest of the same lines into a fresh lake.
 * Used by test/reliability/follow-kill.test.ts (short) and scripts/follow-kill.ts (the long run).
 */

export interface FollowKillOptions {
  readonly dir: string;
  readonly rate: number;
  readonly seconds: number;
  readonly kills: number;
  readonly seed: number;
  /** Progress lines, for the script. */
  readonly log?: (line: string) => void;
}

export interface FollowKillResult {
  readonly linesWritten: number;
  readonly kills: number;
  readonly starts: number;
  readonly rotations: number;
  /** Batches the follower reported as redone after an interruption. */
  readonly recoveredBatches: number;
  /** Kills after which a checkpoint held a batch intent the killed follower had made: it died writing a batch. */
  readonly interruptedKills: number;
  readonly rowsInLake: number;
  readonly distinctLinesInLake: number;
  readonly followDays: readonly Record<string, unknown>[];
  readonly unionDays: readonly Record<string, unknown>[];
  readonly lastExitCode: number | null;
}

const ROOT = new URL("../../", import.meta.url);
const SITE = "example.com";

export async function runFollowKill(options: FollowKillOptions): Promise<FollowKillResult> {
  const log = options.log ?? (() => undefined);
  const logs = join(options.dir, "logs");
  const lake = join(options.dir, "lake");
  await mkdir(logs, { recursive: true });
  const config = join(options.dir, "config.json");
  await writeFile(config, JSON.stringify({ sites: [SITE] }));
  const random = seededRandom(options.seed);
  const total = Math.round(options.rate * options.seconds);
  const now = Date.now();
  const lines = [
    ...generateSampleLog({
      seed: options.seed,
      lines: total,
      startMs: now - 3 * 3_600_000,
      spanMs: 2 * 3_600_000,
      clients: 2000,
      malformedShare: 0.002,
    }),
  ];
  const access = join(logs, "access.log");
  await writeFile(access, "");

  // The follower, restarted after each kill.
  let child: ChildProcess | null = null;
  let starts = 0;
  let recoveredBatches = 0;
  let lastExitCode: number | null = null;
  let exited: Promise<void> = Promise.resolve();
  /** Resolved when the current follower has said its first line (it runs: a kill now interrupts real work). */
  let ready: Promise<void> = Promise.resolve();
  const start = () => {
    starts++;
    const proc = spawn(
      process.execPath,
      [
        "bin/logsieve.js",
        "--lake",
        lake,
        "--config",
        config,
        "ingest",
        "--follow",
        "--json",
        "--batch-seconds",
        "1",
        access,
        `${access}.1`,
        `${access}.2`,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let announceReady = (): void => undefined;
    ready = new Promise((resolve) => {
      announceReady = resolve;
    });
    proc.stdout?.on("data", (chunk: Buffer) => {
      announceReady();
      out += chunk.toString("utf8");
      let nl = out.indexOf("\n");
      while (nl !== -1) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.includes('"recovered":true')) recoveredBatches++;
        nl = out.indexOf("\n");
      }
    });
    let err = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    exited = new Promise((resolve) =>
      proc.once("exit", (code) => {
        announceReady();
        lastExitCode = code;
        if (code !== null && code !== 0) log(`follower exited ${code}: ${err.slice(-500)}`);
        resolve();
      }),
    );
    child = proc;
  };
  start();

  // The killer: each time the follower is up, a random moment within the next 2.5 s (its batches come every second,
  // so the moments fall anywhere in its cycle: reading, writing objects, between the objects and the checkpoint).
  let kills = 0;
  let interruptedKills = 0;
  let writing = true;
  let written = 0;
  const killer = (async () => {
    while (kills < options.kills) {
      await ready;
      // Intents already there when this follower started are an earlier follower's: it redoes those batches.
      const inherited = await intents(lake);
      const fresh = async () => [...(await intents(lake))].some((intent) => !inherited.has(intent));
      if (kills % 2 === 0) {
        await sleep(random() * 1500);
      } else {
        // Every other kill lands while this follower is writing a batch's objects (its intent is in the checkpoint:
        // the window between the first object stored and the checkpoint moved), if it starts one within 10 s.
        const until = Date.now() + 10_000;
        while (Date.now() < until && !(await fresh())) await sleep(2);
      }
      kills++;
      (child as ChildProcess | null)?.kill("SIGKILL");
      await exited;
      const cut = await fresh();
      if (cut) interruptedKills++;
      log(
        `kill ${kills} (${writing ? `${written} lines written` : "writer done"})${cut ? ": a batch was being written" : ""}`,
      );
      start();
    }
  })();
  const rotateAt = [0.35, 0.7].map((share) => Math.floor(total * share));
  let rotations = 0;

  // The writer: every 20 ms the lines due by then, sometimes ending in half a line.
  const began = Date.now();
  let pendingTail = "";
  while (written < total || pendingTail !== "") {
    const elapsed = Date.now() - began;
    const due = Math.min(total, Math.floor((elapsed / 1000) * options.rate));
    if (rotations < rotateAt.length && written >= (rotateAt[rotations] as number) && pendingTail === "") {
      // logrotate without compression: the current log moves on, the server starts a new one.
      await rename(`${access}.1`, `${access}.2`).catch(() => undefined);
      await rename(access, `${access}.1`);
      await writeFile(access, "");
      rotations++;
      log(`rotation ${rotations} after ${written} lines`);
    }
    if (due > written || pendingTail !== "") {
      let text = pendingTail;
      pendingTail = "";
      for (; written < due; written++) text += `${lines[written]}\n`;
      if (written < total && random() < 0.3) {
        // Half of the next line now, the rest with the next write.
        const next = `${lines[written]}\n`;
        const cut = 1 + Math.floor(random() * (next.length - 2));
        text += next.slice(0, cut);
        pendingTail = next.slice(cut);
        written++;
      }
      await appendFile(access, text);
    }
    await sleep(20);
  }
  writing = false;
  await killer;
  log(`writer done: ${total} lines; letting the follower catch up`);
  await ready;
  await sleep(4000);
  (child as ChildProcess | null)?.kill("SIGTERM");
  await exited;
  log(`stopped with SIGTERM: exit code ${lastExitCode}`);

  // (1) every line once, by stream and line number.
  const counted = await countRows(lake);
  // (2) the figures, against one ingest of all the lines.
  const followDays = await dayFigures(lake);
  const unionDir = join(options.dir, "union");
  await mkdir(unionDir, { recursive: true });
  const unionLog = join(unionDir, "all.log");
  await writeFile(unionLog, lines.map((l) => `${l}\n`).join(""));
  const union = await openLocal({ lakeDir: join(unionDir, "lake"), config: { sites: [SITE] } });
  await union.ingestFile(unionLog);
  const unionDays = await dayFigures(union.lakeDir);

  return {
    linesWritten: total,
    kills,
    starts,
    rotations,
    recoveredBatches,
    interruptedKills,
    rowsInLake: counted.rows,
    distinctLinesInLake: counted.distinct,
    followDays,
    unionDays,
    lastExitCode,
  };
}

/** The batch intents in the lake's checkpoints (a batch whose objects were being written), as their files' text. */
async function intents(lake: string): Promise<Set<string>> {
  const dir = join(lake, "checkpoints");
  const names = await readdir(dir).catch(() => [] as string[]);
  const found = new Set<string>();
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    const text = await readFile(join(dir, name), "utf8").catch(() => "{}");
    try {
      if ((JSON.parse(text) as { batch?: unknown }).batch != null) found.add(`${name} ${text}`);
    } catch {
      // being replaced right now: the next look sees it whole
    }
  }
  return found;
}

/** Rows of security/ and rejects/, and distinct (stream, line number) pairs among them. */
async function countRows(lake: string): Promise<{ rows: number; distinct: number }> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const lines = (zone: string) =>
      `SELECT regexp_replace(input_id, '-at[0-9]+$', '') AS stream, line_no FROM read_parquet('${join(lake, zone)}/**/*.parquet', hive_partitioning = false)`;
    const reader = await connection.runAndReadAll(
      `SELECT count(*)::BIGINT AS n, count(DISTINCT (stream, line_no))::BIGINT AS d FROM (${lines("security")} UNION ALL ${lines("rejects")})`,
    );
    const row = reader.getRowObjects()[0] ?? {};
    return { rows: Number(row.n), distinct: Number(row.d) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function dayFigures(lakeDir: string): Promise<Record<string, unknown>[]> {
  const logsieve = await openLocal({ lakeDir, config: { sites: [SITE] } });
  await aggregateDays({ lakeDir, days: "all", config: logsieve.config, store: logsieve.store });
  const daily = await runCliQuery({
    lakeDir,
    name: "daily-traffic",
    params: { from: "2000-01-01", to: "2100-01-01" },
    config: logsieve.config,
  });
  return daily.rows as Record<string, unknown>[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
