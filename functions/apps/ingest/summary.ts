import type { FollowEvent } from "./follow.ts";
import type { FileIngestSummary } from "./local.ts";

export interface IngestTotals {
  readonly files: number;
  readonly lines: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly dropped: number;
  readonly events: number;
  readonly bytes: number;
  /** Lines and content bytes of the inputs that earlier runs had ingested: not read again. */
  readonly alreadyIngestedLines: number;
  readonly alreadyIngestedBytes: number;
  /** Bytes after the inputs' last complete lines, left for a later run. */
  readonly heldBytes: number;
  readonly seconds: number;
}

export function totalsOf(summaries: readonly FileIngestSummary[]): IngestTotals {
  const sum = (f: (s: FileIngestSummary) => number) => summaries.reduce((n, s) => n + f(s), 0);
  return {
    files: summaries.length,
    lines: sum((s) => s.lines),
    accepted: sum((s) => s.accepted),
    rejected: sum((s) => s.rejected.total),
    dropped: sum((s) => s.dropped.total),
    events: sum((s) => s.events),
    bytes: sum((s) => s.bytes),
    alreadyIngestedLines: sum((s) => s.resume.skippedLines),
    alreadyIngestedBytes: sum((s) => s.resume.skippedBytes),
    heldBytes: sum((s) => s.resume.heldBytes),
    seconds: sum((s) => s.seconds),
  };
}

function byReason(counts: Partial<Record<string, number>>): string {
  const entries = Object.entries(counts).filter(([, n]) => (n ?? 0) > 0);
  return entries.length === 0 ? "" : ` (${entries.map(([reason, n]) => `${reason}: ${n}`).join(", ")})`;
}

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;
const n = (value: number) => value.toLocaleString("en");

/** How the input relates to what earlier runs read (checkpoints): one line, or none for a first reading. */
function resumeLine(s: FileIngestSummary): string | null {
  const r = s.resume;
  switch (r.status) {
    case "new":
      return null;
    case "branch":
      return `  already ingested  its first ${n(r.skippedLines)} lines, shared with a log read before (stream ${r.branchOf}): read from line ${n(r.skippedLines + 1)}`;
    case "continued":
      return `  already ingested  ${n(r.skippedLines)} lines (${mib(r.skippedBytes)}) by earlier runs: read on from there`;
    case "already-read":
      return r.shorter
        ? `  already ingested  all of it: an earlier, shorter state of a log read to line ${n(r.skippedLines)} — nothing new`
        : `  already ingested  all ${n(r.skippedLines)} lines (${mib(r.skippedBytes)}) — nothing new`;
    case "waiting":
      return "  waiting           its first line is not complete yet: nothing read";
    case "unchecked":
      return "  --allow-duplicates: read whole, without a checkpoint (counted again if it was ingested before)";
  }
}

/** The human-readable summary of one file: what was read, what landed, what was turned away and why. */
export function formatIngestSummary(s: FileIngestSummary): string {
  const head = resumeLine(s);
  const extra: string[] = [];
  if (s.resume.recovered) {
    extra.push(
      "  recovered         an earlier run stopped during a batch: that batch was written again, not added",
    );
  }
  if (s.resume.heldBytes > 0) {
    extra.push(
      `  held back         ${n(s.resume.heldBytes)} bytes after the last complete line (a line still being written: the next run reads it)`,
    );
  }
  if (s.note !== null) extra.push(`  note              ${s.name} ${s.note}`);
  if (s.resume.status === "already-read" || s.resume.status === "waiting") {
    return [`${s.name}: ${s.format ?? "format not known yet"}`, head, ...extra]
      .filter((l): l is string => l !== null)
      .join("\n");
  }
  const body = formatCounts(s);
  return [body[0] as string, ...(head === null ? [] : [head]), ...body.slice(1), ...extra].join("\n");
}

function formatCounts(s: FileIngestSummary): string[] {
  const rate = s.seconds > 0 ? Math.round(s.lines / s.seconds) : s.lines;
  const sample =
    s.detection === null ? "" : `${s.detection.matched} of ${s.detection.considered} sample lines matched`;
  const format =
    s.format === null
      ? `unknown (no supported format matched${s.detection === null ? "" : ` any of ${s.detection.considered} sample lines`})`
      : s.formatDetected
        ? `${s.format} (detected: ${sample})`
        : `${s.format} (${s.formatFrom.startsWith("formats[") ? `configuration ${s.formatFrom}` : s.formatFrom === "checkpoint" ? "as when it was first read" : s.formatFrom})`;
  const lines = [
    `${s.name}: ${format}`,
    `  lines     ${s.lines.toLocaleString("en")}  (${(s.bytes / 1_048_576).toFixed(1)} MiB in ${s.seconds.toFixed(2)} s, ${rate.toLocaleString("en")} lines/s)`,
    `  accepted  ${s.accepted.toLocaleString("en")}  → security/ ${s.securityRows.toLocaleString("en")} rows, events/ ${s.events.toLocaleString("en")} events`,
    `  rejected  ${s.rejected.total.toLocaleString("en")}${byReason(s.rejected.byReason)}  → rejects/`,
    `  dropped   ${s.dropped.total.toLocaleString("en")}${byReason(s.dropped.byReason)}  (kept out of analytics: consent, unknown site, referrer spam)`,
  ];
  if (s.skipped.blank + s.skipped.directive > 0) {
    lines.push(
      `  skipped   ${s.skipped.blank} blank, ${s.skipped.directive} format directives (#Fields, #Version)`,
    );
  }
  return lines;
}

/** One line per event of `ingest --follow`, stamped with the time (UTC). */
export function formatFollowEvent(event: FollowEvent, now: number): string {
  const time = new Date(now).toISOString().slice(11, 19);
  switch (event.kind) {
    case "batch": {
      const s = event.summary;
      return `${time} ${event.file}  +${n(s.lines)} lines (${n(s.accepted)} accepted, ${n(s.rejected.total)} rejected, ${n(s.dropped.total)} dropped), read to byte ${n(s.resume.to)}${s.resume.recovered ? "  (an interrupted batch redone, not added)" : ""}`;
    }
    case "following":
      return event.offset === 0
        ? `${time} ${event.file}  following from its first line (stream ${event.stream})`
        : `${time} ${event.file}  following from line ${n(event.lines + 1)} (byte ${n(event.offset)}): the lines before were ingested earlier`;
    case "rotated":
      return `${time} ${event.file}  rotated: reading the old file to its end, then the new one`;
    case "truncated":
      return `${time} ${event.file}  cut back below byte ${n(event.offset)} (truncated or replaced): reading it from its start as a new stream`;
    case "waiting":
      return `${time} ${event.file}  waiting: ${event.why === "missing" ? "no such file yet" : event.why === "no complete line yet" ? "its first line is not complete yet" : "it holds the same log as another file followed here"}`;
    case "skipped":
      return `${time} ${event.file}  not followed: ${event.why}`;
  }
}
