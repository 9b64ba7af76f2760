import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parquetMetadataAsync } from "hyparquet";
import type { CollectorCountsSnapshot } from "../../functions/core/collect/counters.ts";
import type { CollectRejectReason } from "../../functions/core/collect/types.ts";

/**
 * A flood against the collector, shared by test/reliability/collector-load.test.ts (20 s) and
 * scripts/soak-collect.ts (5 minutes): the server is test/helpers/soak-server.ts (startServe, what `logsieve serve`
 * runs) in its own process on 127.0.0.1; the load comes from autocannon in this process.
 *
 * Streams, all at once for the whole run:
 * - the flood: `floodEventsPerSecond` events for one site (`flood.example`), most of them in Matomo bulk requests
 *   of 50, a share as single-event `POST /collect` requests;
 * - a quiet site (`quiet.example`) sending a few events per second: the limit is per site, so none of them may be
 *   refused;
 * - malformed requests of ten kinds, sent one by one, each with the status and reason it must get.
 * The server's heap is sampled after a forced GC every second; its CPU time is read from /proc.
 */

export const FLOOD_SITE = "flood.example";
export const QUIET_SITE = "quiet.example";
const OTHER_SITE = "other.example";
const BULK_SIZE = 50;
const UA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

export interface SoakOptions {
  readonly lakeDir: string;
  readonly durationSeconds: number;
  readonly floodEventsPerSecond: number;
  /** Share of the flood's events sent one request each (the rest in bulk requests of 50). */
  readonly singleShare: number;
  readonly quietEventsPerSecond: number;
  /** The per-site rate limit under test. */
  readonly perSecond: number;
  readonly burst: number;
  /** Malformed requests per second (spread over the kinds). */
  readonly malformedPerSecond: number;
}

interface AutocannonResult {
  requests: { total: number; sent: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  statusCodeStats: Record<string, { count: number }>;
  latency: { p50: number; p99: number; max: number };
}
type Autocannon = (options: {
  url: string;
  connections: number;
  /** Requests to send in all; the run ends when every one was answered (so both sides count the same). */
  amount: number;
  overallRate?: number;
  requests: { method: string; path: string; headers?: Record<string, string>; body?: string }[];
}) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

/** A malformed request, the status it must get and the reason the collector must count. */
interface Malformed {
  readonly kind: string;
  readonly status: number;
  readonly reason: CollectRejectReason;
  readonly request: () => { path: string; init: RequestInit };
}

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "text/plain", "user-agent": UA },
  body: JSON.stringify(body),
});

export const MALFORMED: readonly Malformed[] = [
  {
    kind: "not JSON",
    status: 400,
    reason: "bad_json",
    request: () => ({ path: "/collect", init: { ...json(0), body: "{not json" } }),
  },
  {
    kind: "invalid UTF-8 body",
    status: 400,
    reason: "bad_json",
    request: () => ({
      path: "/collect",
      init: { ...json(0), body: new Uint8Array([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d]) },
    }),
  },
  {
    kind: "unknown route",
    status: 404,
    reason: "not_found",
    request: () => ({ path: "/wp-login.php", init: { method: "GET" } }),
  },
  {
    kind: "wrong method",
    status: 405,
    reason: "method_not_allowed",
    request: () => ({ path: "/collect", init: { method: "DELETE" } }),
  },
  {
    kind: "body over 8 KiB",
    status: 413,
    reason: "body_too_large",
    request: () => ({
      path: "/collect",
      init: { ...json(0), body: `{"site":"${OTHER_SITE}","x":"${"x".repeat(9000)}"}` },
    }),
  },
  {
    kind: "query over 8 KiB",
    status: 414,
    reason: "query_too_large",
    request: () => ({ path: `/p.gif?site=${OTHER_SITE}&x=${"x".repeat(9000)}`, init: { method: "GET" } }),
  },
  {
    kind: "unknown site",
    status: 403,
    reason: "unknown_site",
    request: () => ({ path: "/collect", init: json({ site: "evil.example", url: "https://evil.example/" }) }),
  },
  {
    kind: "XML body",
    status: 400,
    reason: "bad_content_type",
    request: () => ({
      path: "/collect",
      init: { method: "POST", headers: { "content-type": "application/xml" }, body: "<x/>" },
    }),
  },
  {
    kind: "Matomo without rec=1",
    status: 400,
    reason: "not_tracked",
    request: () => ({
      path: `/matomo.php?idsite=${OTHER_SITE}&url=https%3A%2F%2F${OTHER_SITE}%2F`,
      init: { method: "GET" },
    }),
  },
  {
    kind: "data: URL",
    status: 400,
    reason: "data_url",
    request: () => ({
      path: "/api/event",
      init: json({ n: "pageview", u: "data:text/html,<script>x</script>", d: OTHER_SITE }),
    }),
  },
];

export interface SoakResult {
  readonly seconds: number;
  /** Every request sent, by every stream (each was answered: see the errors and timeouts). */
  readonly requestsSent: number;
  readonly flood: {
    events: number;
    requests: number;
    errors: number;
    timeouts: number;
    statuses: Record<string, number>;
  };
  readonly quiet: { events: number; refused: number; errors: number };
  readonly malformed: {
    readonly sent: Record<string, number>;
    readonly wrongStatus: string[];
    /** What the collector must have counted, by reason. */
    readonly byReason: Partial<Record<CollectRejectReason, number>>;
  };

  readonly counters: CollectorCountsSnapshot;
  readonly sink: { received: number; written: number; pending: number };
  readonly lakeRows: number;
  readonly heap: {
    samples: { t: number; heapUsed: number; rss: number }[];
    baseline: number;
    end: number;
    max: number;
  };
  readonly serverCpuSeconds: number;
  readonly loadCpuSeconds: number;
  readonly logLines: { count: number; invalid: number; withAddress: number };
  readonly latency: { p50: number; p99: number; max: number };
}

/** utime + stime of a process, in seconds (Linux /proc). */
async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

async function lakeRows(lake: string): Promise<number> {
  let rows = 0;
  const eventsDir = join(lake, "events");
  for (const day of await readdir(eventsDir).catch(() => [] as string[])) {
    for (const file of await readdir(join(eventsDir, day))) {
      if (!file.endsWith(".parquet")) continue;
      const bytes = await readFile(join(eventsDir, day, file));
      rows += Number(
        (
          await parquetMetadataAsync(
            bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
          )
        ).num_rows,
      );
    }
  }
  return rows;
}

function startServer(
  options: SoakOptions,
): Promise<{ child: ChildProcess; url: string; stdout: () => string; stderr: () => string }> {
  const serverOptions = {
    lakeDir: options.lakeDir,
    sites: [FLOOD_SITE, QUIET_SITE, OTHER_SITE],
    perSecond: options.perSecond,
    burst: options.burst,
    sampleMs: 1000,
  };
  const child = spawn(
    process.execPath,
    [
      "--expose-gc",
      "--import",
      "tsx",
      new URL("./soak-server.ts", import.meta.url).pathname,
      JSON.stringify(serverOptions),
    ],
    { cwd: new URL("../../", import.meta.url), stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString("utf8");
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString("utf8");
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`soak server did not start: ${err.slice(0, 2000)}`)),
      60_000,
    );
    const check = () => {
      const match = /listening (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      child.stdout?.off("data", check);
      resolve({ child, url: match[1], stdout: () => out, stderr: () => err });
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`soak server exited with ${code}: ${err.slice(0, 2000)}`));
    });
  });
}

function floodRequests(): {
  bulk: { method: string; path: string; headers: Record<string, string>; body: string }[];
  single: { method: string; path: string; headers: Record<string, string>; body: string }[];
} {
  const page = (i: number) => `https://${FLOOD_SITE}/p/${i}`;
  const bulkBody = JSON.stringify({
    requests: Array.from(
      { length: BULK_SIZE },
      (_, i) => `?idsite=${FLOOD_SITE}&rec=1&url=${encodeURIComponent(page(i))}&action_name=P`,
    ),
  });
  return {
    bulk: [
      {
        method: "POST",
        path: "/matomo.php",
        headers: { "content-type": "text/plain", "user-agent": UA },
        body: bulkBody,
      },
    ],
    single: [
      {
        method: "POST",
        path: "/collect",
        headers: { "content-type": "text/plain", "user-agent": UA },
        body: JSON.stringify({ site: FLOOD_SITE, url: page(1), name: "pageview" }),
      },
    ],
  };
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const server = await startServer(options);
  const pid = server.child.pid ?? 0;
  const serverCpuStart = await cpuSecondsOf(pid);
  const loadCpuStart = process.cpuUsage();
  const started = performance.now();
  const requests = floodRequests();
  const bulkRate = Math.max(
    1,
    Math.round((options.floodEventsPerSecond * (1 - options.singleShare)) / BULK_SIZE),
  );
  const singleRate = Math.round(options.floodEventsPerSecond * options.singleShare);
  const duration = options.durationSeconds;

  const malformedSent: Record<string, number> = {};
  const wrongStatus: string[] = [];
  let stop = false;
  const malformedLoop = (async () => {
    const pause = 1000 / options.malformedPerSecond;
    for (let i = 0; !stop; i++) {
      const kind = MALFORMED[i % MALFORMED.length] as Malformed;
      const { path, init } = kind.request();
      try {
        const response = await fetch(`${server.url}${path}`, init);
        await response.arrayBuffer();
        malformedSent[kind.kind] = (malformedSent[kind.kind] ?? 0) + 1;
        if (response.status !== kind.status) wrongStatus.push(`${kind.kind}: ${response.status}`);
      } catch (error) {
        wrongStatus.push(`${kind.kind}: ${error instanceof Error ? error.message : String(error)}`);
      }
      await new Promise((r) => setTimeout(r, pause));
    }
  })();
  const [bulk, single, quiet] = await Promise.all([
    autocannon({
      url: server.url,
      connections: 4,
      amount: bulkRate * duration,
      overallRate: bulkRate,
      requests: requests.bulk,
    }),
    singleRate > 0
      ? autocannon({
          url: server.url,
          connections: 8,
          amount: singleRate * duration,
          overallRate: singleRate,
          requests: requests.single,
        })
      : Promise.resolve(null),
    autocannon({
      url: server.url,
      connections: 1,
      amount: options.quietEventsPerSecond * duration,
      overallRate: options.quietEventsPerSecond,
      requests: [
        {
          method: "POST",
          path: "/collect",
          headers: { "content-type": "text/plain", "user-agent": UA },
          body: JSON.stringify({ site: QUIET_SITE, url: `https://${QUIET_SITE}/`, name: "pageview" }),
        },
      ],
    }),
  ]);
  stop = true;
  await malformedLoop;
  const seconds = (performance.now() - started) / 1000;
  const serverCpuSeconds = (await cpuSecondsOf(pid)) - serverCpuStart;
  const loadCpu = process.cpuUsage(loadCpuStart);

  const exited = new Promise<void>((resolve) => server.child.once("exit", () => resolve()));
  server.child.kill("SIGTERM");
  await exited;
  const lines = server.stdout().split("\n");
  const samples = lines.flatMap((l) =>
    l.startsWith('{"sample"')
      ? [(JSON.parse(l) as { sample: SoakResult["heap"]["samples"][number] }).sample]
      : [],
  );
  const stoppedLine = lines.find((l) => l.startsWith('{"stopped"'));
  if (stoppedLine === undefined)
    throw new Error(`the soak server did not report on stopping: ${server.stderr().slice(-2000)}`);
  const stopped = (
    JSON.parse(stoppedLine) as { stopped: { collector: CollectorCountsSnapshot; sink: SoakResult["sink"] } }
  ).stopped;

  // The heap after warm-up (a fifth of the run, at least 3 s) against the end of the run.
  const warm = samples.filter((s) => s.t >= Math.max(3, duration / 5));
  const heapOf = (s: { heapUsed: number } | undefined) => s?.heapUsed ?? Number.NaN;
  const logText = server
    .stderr()
    .split("\n")
    .filter((l) => l.length > 0);
  let invalid = 0;
  let withAddress = 0;
  for (const line of logText) {
    try {
      JSON.parse(line);
    } catch {
      invalid++;
    }
    if (/127\.0\.0\.1|::1|::ffff:/.test(line)) withAddress++;
  }
  const statuses: Record<string, number> = {};
  for (const result of [bulk, single]) {
    for (const [status, { count }] of Object.entries(result?.statusCodeStats ?? {}))
      statuses[status] = (statuses[status] ?? 0) + count;
  }
  const byReason: Partial<Record<CollectRejectReason, number>> = {};
  for (const kind of MALFORMED) {
    byReason[kind.reason] = (byReason[kind.reason] ?? 0) + (malformedSent[kind.kind] ?? 0);
  }
  const malformedTotal = Object.values(malformedSent).reduce((a, b) => a + b, 0);
  return {
    seconds,
    requestsSent: bulk.requests.total + (single?.requests.total ?? 0) + quiet.requests.total + malformedTotal,
    flood: {
      events: bulk.requests.total * BULK_SIZE + (single?.requests.total ?? 0),
      requests: bulk.requests.total + (single?.requests.total ?? 0),
      errors: bulk.errors + (single?.errors ?? 0),
      timeouts: bulk.timeouts + (single?.timeouts ?? 0),
      statuses,
    },
    quiet: { events: quiet.requests.total, refused: quiet.non2xx, errors: quiet.errors + quiet.timeouts },
    malformed: { sent: malformedSent, wrongStatus, byReason },
    counters: stopped.collector,
    sink: stopped.sink,
    lakeRows: await lakeRows(options.lakeDir),
    heap: {
      samples,
      baseline: heapOf(warm[0]),
      end: heapOf(samples.at(-1)),
      max: Math.max(...warm.map((s) => s.heapUsed)),
    },
    serverCpuSeconds,
    loadCpuSeconds: (loadCpu.user + loadCpu.system) / 1e6,
    logLines: { count: logText.length, invalid, withAddress },
    latency: {
      p50: bulk.latency.p50,
      p99: Math.max(bulk.latency.p99, single?.latency.p99 ?? 0),
      max: Math.max(bulk.latency.max, single?.latency.max ?? 0),
    },
  };
}
