/**
 * The collector server for the soak runs: `startServe`, exactly what `logsieve serve` runs, in its own process on
 * 127.0.0.1, started with `--expose-gc` so its heap can be measured after a full collection. Prints
 * `listening <url>` once, then every `sampleMs` one JSON line `{"sample": {...}}` on stdout with the heap used after
 * a forced GC, the RSS and the time; its collector's log lines (JSON) go to stderr. On SIGTERM it stops taking
 * requests, drains the event sink and prints `{"stopped": {collector counters, sink stats}}`.
 *
 *   node --expose-gc --import tsx test/helpers/soak-server.ts '<options JSON>'
 */

import { jsonLinesLogger } from "../../functions/apps/collect/local.ts";
import { startServe } from "../../functions/apps/http/server.ts";

interface SoakServerOptions {
  readonly lakeDir: string;
  readonly sites: readonly string[];
  readonly perSecond: number;
  readonly burst: number;
  readonly sampleMs: number;
}

const options = JSON.parse(process.argv[2] ?? "{}") as SoakServerOptions;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

const running = await startServe({
  host: "127.0.0.1",
  port: 0,
  lakeDir: options.lakeDir,
  config: { sites: options.sites },
  settings: { rateLimit: { perSecond: options.perSecond, burst: options.burst } },
  logger: jsonLinesLogger(),
});
process.stdout.write(`listening ${running.url}\n`);

const started = performance.now();
const timer = setInterval(() => {
  gc();
  const memory = process.memoryUsage();
  const sample = { t: (performance.now() - started) / 1000, heapUsed: memory.heapUsed, rss: memory.rss };
  process.stdout.write(`${JSON.stringify({ sample })}\n`);
}, options.sampleMs);

process.once("SIGTERM", () => {
  clearInterval(timer);
  void running.close().then(() => {
    const stopped = {
      collector: running.collector.collector.counters(),
      sink: running.collector.sink.stats(),
    };
    process.stdout.write(`${JSON.stringify({ stopped })}\n`, () => process.exit(0));
  });
});
