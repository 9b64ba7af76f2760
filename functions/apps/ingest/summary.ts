import type { FileIngestSummary } from "./local.ts";

export interface IngestTotals {
  readonly files: number;
  readonly lines: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly dropped: number;
  readonly events: number;
  readonly bytes: number;
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
    seconds: sum((s) => s.seconds),
  };
}

function byReason(counts: Partial<Record<string, number>>): string {
  const entries = Object.entries(counts).filter(([, n]) => (n ?? 0) > 0);
  return entries.length === 0 ? "" : ` (${entries.map(([reason, n]) => `${reason}: ${n}`).join(", ")})`;
}

/** The human-readable summary of one file: what was read, what landed, what was turned away and why. */
export function formatIngestSummary(s: FileIngestSummary): string {
  const rate = s.seconds > 0 ? Math.round(s.lines / s.seconds) : s.lines;
  const sample =
    s.detection === null ? "" : `${s.detection.matched} of ${s.detection.considered} sample lines matched`;
  const format =
    s.format === null
      ? `unknown (no supported format matched${s.detection === null ? "" : ` any of ${s.detection.considered} sample lines`})`
      : s.formatDetected
        ? `${s.format} (detected: ${sample})`
        : `${s.format} (${s.formatFrom.startsWith("formats[") ? `configuration ${s.formatFrom}` : s.formatFrom})`;
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
  return lines.join("\n");
}
