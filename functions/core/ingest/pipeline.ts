import type { Detection } from "../parse/index.ts";
import { utcDay } from "../zones.ts";
import { LINES_PER_BATCH, type RawLine } from "./lines.ts";
import { type IngestDeps, type IngestRequest, IngestRun, type IngestSummary } from "./run.ts";
import { writeAnonymizedEvent } from "./steps/anonymize.ts";
import { decideLineConsent } from "./steps/consent.ts";
import { fetchDaySalt, knownDaySalt, needsSalt } from "./steps/day-salt.ts";
import { detectInputFormat } from "./steps/detect-format.ts";
import { enrichRecord } from "./steps/enrich.ts";
import { eventSite } from "./steps/event-site.ts";
import { parseLine } from "./steps/parse-line.ts";
import { isReferrerSpam } from "./steps/referrer-spam.ts";
import { resolveAddress } from "./steps/resolve-address.ts";
import { resolveSite } from "./steps/resolve-site.ts";
import { writeSecurityRow } from "./steps/security-row.ts";

export type { IngestDeps, IngestRequest, IngestSummary } from "./run.ts";

/**
 * Ingestion of one input (a log file or object) as a named pipeline of small steps, one module each in steps/:
 *
 *   detect the format (once per input) → for each line: parse → resolve the client address → resolve the site →
 *   enrich (in memory, full address and user agent) → security row (the full record) → the configured site it
 *   counts for [unknown: dropped] → referrer spam [dropped] → decide consent → [the day's salt] → anonymize (truncated before it exists) →
 *   write the event.
 *
 * Every line ends in exactly one bucket of the summary: accepted, rejected or skipped, and an accepted line may
 * additionally be dropped from analytics by consent, for an unknown site or as referrer spam (it is still in the security zone). A
 * step that ends a line counts it with a reason from the closed sets in reasons.ts and returns null; the loop then
 * moves on.
 *
 * A step is a plain function of the run's shared state (run.ts) and what earlier steps returned. Adding one is a
 * function in steps/ and a line below (and the same line in scripts/bench-stages.ts, which times the steps in this
 * order).
 */
export async function ingest(request: IngestRequest, deps: IngestDeps): Promise<IngestSummary> {
  const input = await detectInputFormat(request.lines, request.format);
  const run = new IngestRun(request, deps, input.format);
  // An input read on from a checkpoint: its parser learns the columns its earlier piece declared, uncounted.
  for (const header of request.prime ?? []) {
    run.parser?.parse(header);
    run.fieldsDirective = header;
  }
  // A forced format holds no lines back (`held` is an empty array literal, an array of another kind than the
  // batches): looping over it once the loop was optimized for the batches' kind threw that code away ("wrong map"
  // at `for (const line of lines)`, once per thread: docs/BENCHMARKS.md, seventh round, `deopt`).
  if (input.held.length > 0) await ingestLines(run, input.held);
  if (input.rest !== null) await ingestRest(run, request, input.rest);
  request.onProgress?.(run.linesRead, run.bytes);
  return finish(run, input.detected, input.detection);
}

/** How often (in lines) `onProgress` hears of the running totals. */
const PROGRESS_EVERY_LINES = 65_536;
/**
 * The first time it hears of them: soon, so that the branch reporting progress runs while the loop below is still
 * unoptimized. First reached after 65,536 lines, it came after V8 had optimized the loop, whose code the branch then
 * threw away in each thread ("insufficient type feedback", docs/BENCHMARKS.md, seventh round, `deopt`).
 */
const FIRST_PROGRESS_LINES = 16 * LINES_PER_BATCH;

/**
 * The batches after the held lines, progress reported between them. A function of its own, apart from `ingest`,
 * because V8 optimizes the loop while it runs (on-stack replacement) and compiles the rest of the function with it:
 * what follows the loop had never run at that point (the first shard's end), and the first shard ending threw the
 * optimized code away. Here nothing follows the loop. (A progress closure made per call of `ingest` was also a new
 * call target for each shard: "wrong call target".)
 */
async function ingestRest(
  run: IngestRun,
  request: IngestRequest,
  rest: AsyncIterator<readonly RawLine[]>,
): Promise<void> {
  let nextProgress = FIRST_PROGRESS_LINES;
  // One call of `rest.next()`, not one before the loop and one at its end: the first ran once per shard, too few
  // times for V8 to record its target, and threw the optimized loop away when the next shard started.
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    await ingestLines(run, next.value);
    if (run.linesRead >= nextProgress) {
      nextProgress = run.linesRead + PROGRESS_EVERY_LINES;
      // Through `call` (with the `this` of a direct call): each shard's `onProgress` is a closure of its own
      // (apps/ingest/shard-pool.ts), and a direct call was compiled for the first shard's, then thrown away at the
      // second's ("wrong call target"); optimized code does not assume the target of a `call`.
      request.onProgress?.call(request, run.linesRead, run.bytes);
    }
  }
}

/**
 * One batch of lines through the steps, line after line and synchronously: the loop awaits only when a writer has to
 * wait for a part to be stored (run.wait) or when a new day needs its salt, both rare. (An await per line cost more
 * than parsing it.)
 */
async function ingestLines(run: IngestRun, lines: readonly RawLine[]): Promise<void> {
  for (const line of lines) {
    if (run.wait !== undefined) await run.waitForWriters();
    run.linesRead++;
    run.bytes += line.bytes;

    const record = parseLine(run, line);
    if (record === null) continue;
    const address = resolveAddress(run, line, record);
    if (address === null) continue;
    const site = resolveSite(run, record);
    const enrichment = enrichRecord(run, record, address);
    writeSecurityRow(run, line, record, address, enrichment, site);
    if (run.wait !== undefined) await run.waitForWriters();
    const counted = eventSite(run, record);
    if (counted === null) continue;
    if (isReferrerSpam(run, record)) continue;
    const decision = decideLineConsent(run, record);
    if (decision === null) continue;
    const day = utcDay(record.timestampMs);
    const salt = needsSalt(decision) ? (knownDaySalt(run, day) ?? (await fetchDaySalt(run, day))) : null;
    writeAnonymizedEvent(run, day, record, address, enrichment, counted, decision, salt);
  }
  if (run.wait !== undefined) await run.waitForWriters();
}

/** Writes what the writers still hold, then the summary. */
async function finish(
  run: IngestRun,
  formatDetected: boolean,
  detection: Detection | null,
): Promise<IngestSummary> {
  const security = await run.securityWriter.finish();
  const events = await run.eventWriter.finish();
  const rejects = await run.rejectWriter.finish();
  return {
    inputId: run.inputId,
    format: run.format,
    formatDetected,
    detection: detection === null ? null : { matched: detection.matched, considered: detection.considered },
    lines: run.accepted + run.rejected,
    accepted: run.accepted,
    rejected: { total: run.rejected, byReason: run.rejectedByReason },
    skipped: run.skipped,
    dropped: { total: run.dropped, byReason: run.droppedByReason },
    events: run.events,
    securityRows: security.rows,
    bytes: run.bytes,
    eventDays: [...run.eventDays].sort(),
    objectsWritten: security.keys.length + events.keys.length + rejects.keys.length,
    partitions: [...security.partitions, ...events.partitions, ...rejects.partitions].sort(),
    fieldsDirective: run.fieldsDirective,
  };
}
