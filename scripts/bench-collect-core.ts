/**
 * The collector's core in-process, without HTTP: the requests of `npm run bench:collect` (the four tracking
 * protocols, half with consent, five browser agents) handed to `createCollector(…).handle` over in-memory ports (a
 * sink that counts rows, one fixed salt), and the CPU time per request. A before/after comparison of the core reads
 * this figure: without sockets, a load generator and the machine's other work it moves by a few percent, where
 * `bench:collect`'s wall figures move by a third.
 *
 *   npx tsx scripts/bench-collect-core.ts [--requests 400000] [--rounds 5]
 *
 * Prints the CPU µs per request of each round (process user + system time; the first round warms up) and the
 * median of the others.
 */

import { systemClock } from "../functions/adapters/local/system-clock.ts";
import { createCollector } from "../functions/core/collect/collector.ts";
import { parseCollectorSettings } from "../functions/core/collect/settings.ts";
import type { CollectRequest } from "../functions/core/collect/types.ts";
import { parseConfig } from "../functions/core/config.ts";
import { createEnricher } from "../functions/core/enrich/enrich.ts";
import type { EventRow } from "../functions/core/types.ts";
import type { EventSink, EventSinkStats } from "../functions/ports/event-sink.ts";
import { NO_GEO } from "../functions/ports/geo.ts";
import type { SaltStore } from "../functions/ports/salt-store.ts";
import { AGENTS, option, SITE } from "./bench-collect-requests.ts";

/** The 40 requests of scripts/bench-collect.ts, as the node routes hand them to the core. */
function requests(): CollectRequest[] {
  const out: CollectRequest[] = [];
  for (let i = 0; i < 40; i++) {
    const ua = AGENTS[i % AGENTS.length] as string;
    const page = `https://${SITE}/articles/${i}?utm_source=newsletter&utm_medium=email`;
    const base = { "user-agent": ua, host: "127.0.0.1", connection: "keep-alive" };
    const post = (path: string, type: string, body: string): CollectRequest => ({
      method: "POST",
      path,
      rawQuery: "",
      headers: {
        ...base,
        origin: `https://${SITE}`,
        "content-type": type,
        "content-length": String(body.length),
      },
      body,
      bodyBytes: Buffer.byteLength(body),
      sourceIp: `192.0.2.${1 + (i % 200)}`,
    });
    const get = (path: string, query: string): CollectRequest => ({
      method: "GET",
      path,
      rawQuery: query,
      headers: base,
      body: null,
      bodyBytes: 0,
      sourceIp: `192.0.2.${1 + (i % 200)}`,
    });
    switch (i % 4) {
      case 0: {
        const consent = i % 8 === 0 ? { statistics: true } : { statistics: false };
        const body = {
          site: SITE,
          url: page,
          referrer: "https://www.google.com/",
          name: "pageview",
          consent,
        };
        out.push(post("/collect", "text/plain;charset=UTF-8", JSON.stringify(body)));
        break;
      }
      case 1: {
        const body = { n: "pageview", u: page, d: SITE, r: "https://duckduckgo.com/", v: 26 };
        out.push(post("/api/event", "text/plain", JSON.stringify(body)));
        break;
      }
      case 2:
        out.push(get("/p.gif", `site=${SITE}&url=${encodeURIComponent(page)}&cs=1`));
        break;
      default:
        out.push(
          get(
            "/matomo.php",
            `idsite=${SITE}&rec=1&r=123456&url=${encodeURIComponent(page)}&action_name=Article&_id=0123456789abcdef&send_image=0${i % 8 === 3 ? "&consent=1" : ""}`,
          ),
        );
    }
  }
  return out;
}

class CountingSink implements EventSink {
  received = 0;
  async write(rows: readonly EventRow[]): Promise<void> {
    this.received += rows.length;
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  stats(): EventSinkStats {
    return { received: this.received, written: this.received, pending: 0, batches: 0, failedAttempts: 0 };
  }
}

const SALT = new Uint8Array(32).fill(7);
const salts: SaltStore = {
  saltForDay: async () => SALT,
  destroyExpired: async () => [],
};

const total = option("requests", 400_000);
const rounds = option("rounds", 5);
const sink = new CountingSink();
const collector = createCollector({
  config: parseConfig({ sites: [SITE] }),
  settings: parseCollectorSettings({ rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } }),
  enrich: createEnricher(NO_GEO),
  salts,
  sink,
  clock: systemClock,
  trackerScript: null,
});
const batch = requests();
const perRound: number[] = [];
for (let round = 0; round < rounds; round++) {
  const before = process.cpuUsage();
  for (let n = 0; n < total; n++) {
    const outcome = await collector.handle(batch[n % batch.length] as CollectRequest);
    if (outcome.response.statusCode >= 300) throw new Error(`refused: ${outcome.rejected.join(",")}`);
  }
  const used = process.cpuUsage(before);
  const us = (used.user + used.system) / total;
  perRound.push(us);
  process.stdout.write(`round ${round + 1}: ${us.toFixed(2)} µs CPU per request\n`);
}
const measured = perRound.slice(1).sort((a, b) => a - b);
const median = measured[Math.floor(measured.length / 2)] ?? Number.NaN;
process.stdout.write(
  `median of rounds 2–${rounds}: ${median.toFixed(2)} µs CPU per request (${sink.received} rows)\n`,
);
