import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSoak } from "../helpers/collector-soak.ts";

/**
 * The collector under a flood, 20 seconds (scripts/soak-collect.ts runs it for 5 minutes; docs/RELIABILITY.md
 * has both): 10,000 events per second for one site, in Matomo bulk requests of 50 and 200 single requests a second
 * (the site's whole allowance), against startServe (what `logsieve serve` runs) on 127.0.0.1 with the default limit
 * of 200 events per second and a burst of 1,000; a quiet site beside it; ten kinds of malformed requests throughout.
 *
 * The soak sends a tenth of its events as single requests (1,000 requests a second). Here a fiftieth: the server's
 * CPU goes with the number of requests, not events, and a fixed number of requests at a fixed rate takes as long as
 * the machine needs to answer them. Beside a second `npm test` on two cores, a tenth stretched this test from 20 s to
 * 80–105 s of its 120 s (server CPU 11–12 s); a fiftieth needs 40 % of the requests and about half the CPU.
 */

const PER_SECOND = 200;
const BURST = 1000;

describe("the collector under a 10,000 events/s flood", () => {
  it("caps the site at its rate limit, answers and counts everything, keeps its heap flat", async () => {
    // Prepare
    const lakeDir = await mkdtemp(join(tmpdir(), "logsieve-load-"));

    // Act
    const r = await runSoak({
      lakeDir,
      durationSeconds: 20,
      floodEventsPerSecond: 10_000,
      singleShare: 0.02,
      quietEventsPerSecond: 5,
      perSecond: PER_SECOND,
      burst: BURST,
      malformedPerSecond: 20,
    }).finally(() => rm(lakeDir, { recursive: true, force: true }));
    const floodStored = r.counters.stored - r.quiet.events;
    const limited = r.counters.rejected.byReason.rate_limited;
    const growth = (r.heap.end - r.heap.baseline) / r.heap.baseline;
    console.info(
      `collector flood: ${r.flood.events} events in ${r.seconds.toFixed(1)} s, ${floodStored} stored, ${limited} rate-limited; ` +
        `heap ${(r.heap.baseline / 2 ** 20).toFixed(1)} → ${(r.heap.end / 2 ** 20).toFixed(1)} MiB (${(growth * 100).toFixed(1)} %); ` +
        `server CPU ${r.serverCpuSeconds.toFixed(1)} s, load generator ${r.loadCpuSeconds.toFixed(1)} s; p99 ${r.latency.p99} ms`,
    );

    // Assess: the flood is capped by the site's bucket, and every one of its events has one fate.
    expect(r.flood.events).toBe(200_000);
    expect(floodStored).toBeLessThanOrEqual(BURST + PER_SECOND * r.seconds);
    expect(floodStored).toBeGreaterThanOrEqual(BURST);
    expect(floodStored + limited).toBe(r.flood.events);
    expect(r.counters.dropped.total).toBe(0);
    // The limit is per site: the quiet site was never refused.
    expect(r.quiet).toEqual({ events: 100, refused: 0, errors: 0 });
    // Every request was answered; malformed ones with their status, each counted under its reason.
    expect(r.flood.errors + r.flood.timeouts).toBe(0);
    expect(r.malformed.wrongStatus).toEqual([]);
    expect(Object.values(r.malformed.sent).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(200);
    for (const [reason, n] of Object.entries(r.malformed.byReason)) {
      expect({
        reason,
        n: r.counters.rejected.byReason[reason as keyof typeof r.counters.rejected.byReason],
      }).toEqual({
        reason,
        n,
      });
    }
    // Unknown paths too: the HTTP app hands them to the collector, which counts them `not_found`.
    expect(r.counters.requests).toBe(r.requestsSent);
    // Memory stays flat; nothing held is lost at shutdown; logs are JSON lines without an address.
    expect(r.heap.samples.length).toBeGreaterThanOrEqual(15);
    expect(growth).toBeLessThan(0.1);
    expect(r.lakeRows).toBe(r.counters.stored);
    expect(r.logLines.count).toBeGreaterThan(0);
    expect(r.logLines.invalid).toBe(0);
    expect(r.logLines.withAddress).toBe(0);
  }, 120_000);
});
